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

    pub async fn sign_in(&mut self, req: &SignIn) -> Result<Profile, IpcError> {
        self.stop().await;
        self.rep = None;
        let mut store = self.open_store()?;
        let device_name = format!("Rounds app ({})", std::env::consts::OS);
        let (profile, token) =
            crate::session::sign_in(&mut store, req, &device_name, std::env::consts::OS).await?;
        self.token.save(&token).map_err(|e| {
            IpcError::new(
                ErrorCode::StorageFull,
                format!("saving the device token: {e}"),
            )
        })?;
        let ipc = profile.to_ipc();
        self.rep = Some(Rep::new(store, profile));
        self.spawn_runner()?;
        Ok(ipc)
    }

    pub async fn open_demo(&mut self) -> Result<Profile, IpcError> {
        let demo = self
            .demo
            .clone()
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no demo server configured"))?;
        self.sign_in(&SignIn {
            server_url: demo.server_url,
            email: demo.email,
            password: demo.password,
        })
        .await
    }

    /// Refused while changes wait to be sent: they would be stranded on this device.
    pub async fn sign_out(&mut self) -> Result<(), IpcError> {
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
        self.stop().await;
        // The token dies on the server too; offline, it is forgotten here all the same
        // (and expires there).
        let server_url = self.rep.as_ref().map(|r| r.profile().server_url.clone());
        if let (Some(url), Some(token)) = (server_url, self.token.load())
            && let Ok(api) = ServerApi::new(&url, Some(token))
        {
            let _ = api.logout().await;
        }
        self.rep = None;
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
