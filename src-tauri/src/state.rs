//! The app's state: one [`Device`] behind an async lock, since sign-in awaits the network.

use rounds_client::Device;
use rounds_protocol::ipc::SignIn;
use tokio::sync::{Mutex, MutexGuard};

use crate::config::Config;

#[derive(Debug)]
pub struct AppState {
    config: Config,
    device: Mutex<Device>,
}

impl AppState {
    pub fn open(config: Config) -> Result<Self, Box<dyn std::error::Error>> {
        let device = Device::open(&config.data_dir, config.demo.clone())?;
        tracing::info!(data_dir = %config.data_dir.display(), signed_in = device.signed_in(), "device opened");
        Ok(Self {
            config,
            device: Mutex::new(device),
        })
    }

    /// Called once the runtime runs: starts syncing, or signs in to the demo when asked.
    pub async fn start(&self) {
        let mut device = self.device.lock().await;
        if device.signed_in() {
            if let Err(e) = device.start() {
                tracing::warn!(%e, "sync did not start");
            }
            return;
        }
        if self.config.auto_sign_in
            && let Some(demo) = &self.config.demo
        {
            let req = SignIn {
                server_url: demo.server_url.clone(),
                email: demo.email.clone(),
                password: demo.password.clone(),
            };
            match device.sign_in(&req).await {
                Ok(p) => tracing::info!(email = %p.email, "signed in to the demo"),
                Err(e) => tracing::warn!(%e, "demo sign-in at start failed"),
            }
        }
    }

    pub async fn device(&self) -> MutexGuard<'_, Device> {
        self.device.lock().await
    }
}
