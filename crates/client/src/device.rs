//! This installation: its store, the signed-in rep, the device token and the sync loop.
//! The app shell holds one `Device` and hands it each UI request.

use std::path::{Path, PathBuf};

use rounds_protocol::ErrorCode;
use rounds_protocol::ipc::{DemoOffer, IpcError, Profile, Session, SignIn};
use rounds_store::Store;

use chrono::{DateTime, Utc};

use crate::engine::{Clock, SyncEngine};
use crate::http::ServerApi;
use crate::planner::Trigger;
use crate::rep::{Rep, store_err};
use crate::runner::{Runner, SyncStatus};
use crate::session::TokenFile;

/// A demo server the first-run screen offers.
#[derive(Clone)]
pub struct Demo {
    pub server_url: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("server_url", &self.server_url)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

pub struct Device {
    /// Where "now" comes from: the system clock, or a test's.
    clock: Clock,
    db_path: PathBuf,
    token: TokenFile,
    demo: Option<Demo>,
    rep: Option<Rep>,
    runner: Option<Runner>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("db_path", &self.db_path)
            .field("token", &self.token)
            .field("demo", &self.demo)
            .field("rep", &self.rep)
            .field("runner", &self.runner)
            .finish()
    }
}

impl Device {
    /// Opens (creating on first run) `rounds.db` and the token file in `data_dir`. Every
    /// answer and the sync loop read "now" from `clock` (`system_clock()` in the app).
    pub fn open(data_dir: &Path, demo: Option<Demo>, clock: Clock) -> Result<Self, IpcError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            IpcError::new(
                ErrorCode::StorageFull,
                format!("{}: {e}", data_dir.display()),
            )
        })?;
        let db_path = data_dir.join("rounds.db");
        let token = TokenFile::new(data_dir.join("device-token"));
        let store = Store::open(&db_path).map_err(store_err)?;
        let rep = match (Rep::saved_profile(&store)?, token.load()) {
            (Some(profile), Some(_)) => Some(Rep::new(store, profile)),
            _ => None,
        };
        Ok(Self {
            clock,
            db_path,
            token,
            demo,
            rep,
            runner: None,
        })
    }

    /// Now, on the device's clock: what Today, logging and the reminder go by.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Starts the sync loop if a rep is signed in. Needs a tokio runtime.
    pub fn start(&mut self) -> Result<(), IpcError> {
        if self.rep.is_some() && self.runner.is_none() {
            self.spawn_runner()?;
        }
        Ok(())
    }

    pub fn signed_in(&self) -> bool {
        self.rep.is_some()
    }

    pub fn session(&self) -> Result<Session, IpcError> {
        if let Some(rep) = &self.rep {
            return Ok(Session::SignedIn(rep.profile().to_ipc()));
        }
        let store = self.open_store()?;
        Ok(Session::SignedOut {
            server_url: Rep::saved_profile(&store)?.map(|p| p.server_url),
            demo: self.demo.as_ref().map(|d| DemoOffer {
                server_url: d.server_url.clone(),
                email: d.email.clone(),
            }),
        })
    }

    /// Signs in (see [`SharedDevice::sign_in`] for the app's way, which does not hold the
    /// device while the server answers).
    pub async fn sign_in(&mut self, req: &SignIn) -> Result<Profile, IpcError> {
        let pending = self.begin_sign_in(req.clone())?;
        let done = pending.run().await?;
        self.finish_sign_in(done)
    }

    /// The demo server's sign-in, when one is configured.
    pub fn demo_sign_in(&self) -> Result<SignIn, IpcError> {
        let demo = self
            .demo
            .clone()
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no demo server configured"))?;
        Ok(SignIn {
            server_url: demo.server_url,
            email: demo.email,
            password: demo.password,
        })
    }

    pub async fn open_demo(&mut self) -> Result<Profile, IpcError> {
        let req = self.demo_sign_in()?;
        self.sign_in(&req).await
    }

    /// Refused while changes wait to be sent: they would be stranded on this device.
    pub async fn sign_out(&mut self) -> Result<(), IpcError> {
        let pending = self.begin_sign_out()?;
        pending.run().await;
        self.finish_sign_out()
    }

    /// Sign-in, first step: the rep signs out here at once (taps answer "not signed in"
    /// meanwhile) and the store to sign in with is opened.
    pub fn begin_sign_in(&mut self, req: SignIn) -> Result<PendingSignIn, IpcError> {
        let store = self.open_store()?;
        self.rep = None;
        Ok(PendingSignIn {
            store,
            runner: self.runner.take(),
            req,
        })
    }

    /// Sign-in, last step: keeps the token and starts syncing.
    pub fn finish_sign_in(&mut self, done: SignedIn) -> Result<Profile, IpcError> {
        self.token.save(&done.token).map_err(|e| {
            IpcError::new(
                ErrorCode::StorageFull,
                format!("saving the device token: {e}"),
            )
        })?;
        let ipc = done.profile.to_ipc();
        if let Some(old) = self.runner.take() {
            // A second sign-in finished first: its loop gives way to this one.
            tokio::spawn(old.stop());
        }
        self.rep = Some(Rep::new(done.store, done.profile));
        self.spawn_runner()?;
        Ok(ipc)
    }

    /// Sign-out, first step: refused while changes wait to be sent; otherwise the rep is
    /// signed out here at once, so nothing new can be logged for them meanwhile.
    pub fn begin_sign_out(&mut self) -> Result<PendingSignOut, IpcError> {
        if let Some(rep) = &self.rep {
            let pending = rep
                .store()
                .read()
                .outbox()
                .pending_count()
                .map_err(store_err)?;
            if pending > 0 {
                return Err(IpcError::new(
                    ErrorCode::Conflict,
                    format!("{pending} changes are not synced yet"),
                ));
            }
        }
        let server_url = self.rep.take().map(|r| r.profile().server_url.clone());
        Ok(PendingSignOut {
            runner: self.runner.take(),
            api: server_url
                .zip(self.token.load())
                .and_then(|(url, token)| ServerApi::new(&url, Some(token)).ok()),
        })
    }

    /// Sign-out, last step: forgets the token, unless someone signed in meanwhile.
    pub fn finish_sign_out(&mut self) -> Result<(), IpcError> {
        if self.rep.is_some() {
            return Ok(());
        }
        self.token
            .clear()
            .map_err(|e| IpcError::new(ErrorCode::StorageFull, e.to_string()))
    }

    /// The signed-in rep's server, with this device's token: for a request made outside
    /// the device's lock (changing the password), so no tap waits on the network.
    pub fn server_api(&self) -> Result<ServerApi, IpcError> {
        let url = self.rep()?.profile().server_url.clone();
        let token = self
            .token
            .load()
            .ok_or_else(|| IpcError::new(ErrorCode::Unauthenticated, "no device token"))?;
        ServerApi::new(&url, Some(token)).map_err(crate::session::client_err)
    }

    /// Stops the sync loop after its current step.
    pub async fn stop(&mut self) {
        if let Some(runner) = self.runner.take() {
            runner.stop().await;
        }
    }

    pub fn rep(&self) -> Result<&Rep, IpcError> {
        self.rep
            .as_ref()
            .ok_or_else(|| IpcError::new(ErrorCode::Unauthenticated, "not signed in"))
    }

    pub fn rep_mut(&mut self) -> Result<&mut Rep, IpcError> {
        self.rep
            .as_mut()
            .ok_or_else(|| IpcError::new(ErrorCode::Unauthenticated, "not signed in"))
    }

    pub fn status(&self) -> SyncStatus {
        self.runner
            .as_ref()
            .map(|r| r.status().borrow().clone())
            .unwrap_or_default()
    }

    pub fn trigger(&self, t: Trigger) {
        if let Some(r) = &self.runner {
            r.trigger(t);
        }
    }

    fn open_store(&self) -> Result<Store, IpcError> {
        Store::open(&self.db_path).map_err(store_err)
    }

    /// The loop gets its own connection, so a long pull never blocks the UI's reads.
    fn spawn_runner(&mut self) -> Result<(), IpcError> {
        let Some(rep) = &self.rep else {
            return Ok(());
        };
        let token = self
            .token
            .load()
            .ok_or_else(|| IpcError::new(ErrorCode::Unauthenticated, "no device token"))?;
        let api = ServerApi::new(&rep.profile().server_url, Some(token))
            .map_err(crate::session::client_err)?;
        let store = self.open_store()?;
        self.runner = Some(Runner::spawn(
            store,
            SyncEngine::new(api, self.clock.clone()),
        ));
        Ok(())
    }
}

/// A sign-in between its first and last step: what waits on the network.
#[derive(Debug)]
pub struct PendingSignIn {
    store: Store,
    runner: Option<Runner>,
    req: SignIn,
}

/// A sign-in the server accepted, to finish with [`Device::finish_sign_in`].
#[derive(Debug)]
pub struct SignedIn {
    store: Store,
    profile: crate::rep::StoredProfile,
    token: String,
}

impl PendingSignIn {
    /// Stops the old sync loop and asks the server. Holds nothing of the device's.
    pub async fn run(mut self) -> Result<SignedIn, IpcError> {
        if let Some(runner) = self.runner.take() {
            runner.stop().await;
        }
        let device_name = format!("Rounds app ({})", std::env::consts::OS);
        let (profile, token) = crate::session::sign_in(
            &mut self.store,
            &self.req,
            &device_name,
            std::env::consts::OS,
        )
        .await?;
        Ok(SignedIn {
            store: self.store,
            profile,
            token,
        })
    }
}

/// A sign-out between its first and last step.
#[derive(Debug)]
pub struct PendingSignOut {
    runner: Option<Runner>,
    api: Option<ServerApi>,
}

impl PendingSignOut {
    /// Stops the sync loop and ends the token on the server; offline, the token is
    /// forgotten here all the same (and expires there).
    pub async fn run(self) {
        if let Some(runner) = self.runner {
            runner.stop().await;
        }
        if let Some(api) = self.api {
            let _ = api.logout().await;
        }
    }
}

/// The app's one [`Device`], shared by its commands and its background tasks. A command
/// holds the device only while it works on it: sign-in and sign-out wait on the network
/// without it, so no tap ever waits on the network.
#[derive(Debug, Clone)]
pub struct SharedDevice(std::sync::Arc<tokio::sync::Mutex<Device>>);

impl SharedDevice {
    pub fn new(device: Device) -> Self {
        Self(std::sync::Arc::new(tokio::sync::Mutex::new(device)))
    }

    /// The device, for work that does not wait on the network.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, Device> {
        self.0.lock().await
    }

    pub async fn sign_in(&self, req: SignIn) -> Result<Profile, IpcError> {
        let pending = self.lock().await.begin_sign_in(req)?;
        let done = pending.run().await?;
        self.lock().await.finish_sign_in(done)
    }

    pub async fn open_demo(&self) -> Result<Profile, IpcError> {
        let req = self.lock().await.demo_sign_in()?;
        self.sign_in(req).await
    }

    pub async fn sign_out(&self) -> Result<(), IpcError> {
        let pending = self.lock().await.begin_sign_out()?;
        pending.run().await;
        self.lock().await.finish_sign_out()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A sign-in waiting on a server that never answers leaves the device free: the
    /// first-run screen's question is answered at once, and the sign-in is still waiting.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_sign_in_freezes_no_tap() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::open(dir.path(), None, crate::system_clock()).unwrap();
        let shared = SharedDevice::new(device);
        // Accepts connections and never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((conn, _)) = silent.accept().await {
                open.push(conn);
            }
        });
        let signing_in = tokio::spawn({
            let shared = shared.clone();
            async move {
                shared
                    .sign_in(SignIn {
                        server_url: url,
                        email: "dana@example.com".into(),
                        password: "a password".into(),
                    })
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let session = tokio::time::timeout(Duration::from_secs(5), async {
            shared.lock().await.session()
        })
        .await
        .expect("a tap is answered while the sign-in waits on the network")
        .unwrap();
        assert!(matches!(session, Session::SignedOut { .. }));
        assert!(!signing_in.is_finished(), "the sign-in is still waiting");
        signing_in.abort();
        held.abort();
    }
}
