//! The app's state: one [`Device`], shared by the commands and the background tasks; it
//! is never held while the network answers (see [`SharedDevice`]).

use rounds_client::{Device, SharedDevice};
use tokio::sync::MutexGuard;

use crate::config::Config;

#[derive(Debug)]
pub struct AppState {
    config: Config,
    device: SharedDevice,
}

impl AppState {
    pub fn open(config: Config) -> Result<Self, Box<dyn std::error::Error>> {
        let device = Device::open(&config.data_dir, config.demo.clone(), config.clock.clone())?;
        tracing::info!(data_dir = %config.data_dir.display(), signed_in = device.signed_in(), "device opened");
        Ok(Self {
            config,
            device: SharedDevice::new(device),
        })
    }

    /// Where a file the rep saves goes: the configured folder, else their Downloads,
    /// else the app's own folder (a desktop without one).
    pub fn export_dir(&self, app: &tauri::AppHandle) -> std::path::PathBuf {
        use tauri::Manager as _;
        self.config
            .export_dir
            .clone()
            .or_else(|| app.path().download_dir().ok())
            .unwrap_or_else(|| self.config.data_dir.join("exports"))
    }

    /// Called once the runtime runs: starts syncing, or signs in to the demo when asked.
    pub async fn start(&self) {
        {
            let mut device = self.device.lock().await;
            if device.signed_in() {
                if let Err(e) = device.start() {
                    tracing::warn!(%e, "sync did not start");
                }
                return;
            }
        }
        if self.config.auto_sign_in {
            match self.device.open_demo().await {
                Ok(p) => tracing::info!(email = %p.email, "signed in to the demo"),
                Err(e) => tracing::warn!(%e, "demo sign-in at start failed"),
            }
        }
    }

    /// Once per local day, a system notification with what is due. Checked a little
    /// after start (the first sync has usually landed by then) and every 15 minutes.
    pub async fn remind(&self, app: &tauri::AppHandle) {
        use tauri_plugin_notification::NotificationExt as _;
        tokio::time::sleep(std::time::Duration::from_secs(20)).await;
        loop {
            let text = {
                let mut device = self.device.lock().await;
                let now = device.now();
                match device.rep_mut() {
                    Ok(rep) => rep.due_reminder(now),
                    Err(_) => Ok(None),
                }
            };
            match text {
                Ok(Some(body)) => {
                    // A desktop without a notification service refuses; the app goes on.
                    if let Err(e) = app
                        .notification()
                        .builder()
                        .title("Rounds")
                        .body(body)
                        .show()
                    {
                        tracing::warn!(%e, "the due reminder could not be shown");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(%e, "the due reminder could not be computed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(15 * 60)).await;
        }
    }

    /// The device, for a command's work on it (none of which waits on the network).
    pub async fn device(&self) -> MutexGuard<'_, Device> {
        self.device.lock().await
    }

    /// For sign-in and sign-out, which wait on the network without holding the device.
    pub fn shared(&self) -> &SharedDevice {
        &self.device
    }
}
