//! Signing a rep in on this device, and keeping the device token out of plain config.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rounds_core::Role;
use rounds_protocol::ErrorCode;
use rounds_protocol::auth::LoginRequest;
use rounds_protocol::ipc::{IpcError, SignIn};
use rounds_store::Store;

use crate::error::ClientError;
use crate::http::ServerApi;
use crate::rep::{PROFILE_KEY, StoredProfile, store_err};

/// The device token in its own file, readable by the user only: not in the settings table,
/// which backups and bug reports may carry. (Mobile builds put it in the platform keystore.)
#[derive(Debug, Clone)]
pub struct TokenFile {
    path: PathBuf,
}

impl TokenFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn load(&self) -> Option<String> {
        let t = std::fs::read_to_string(&self.path).ok()?;
        let t = t.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }

    /// Written to a temporary file and renamed over the old one, so a crash never leaves
    /// half a token.
    pub fn save(&self, token: &str) -> std::io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp)?;
            f.write_all(token.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }

    pub fn clear(&self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Signs in at the server, registering this installation as the rep's device, and saves
/// the profile. Returns the profile and the device token (the caller stores the token).
///
/// Another rep signing in on a device with unsent work is refused: that work belongs to
/// the first rep and must reach the server under their name.
pub async fn sign_in(
    store: &mut Store,
    req: &SignIn,
    device_name: &str,
    platform: &str,
) -> Result<(StoredProfile, String), IpcError> {
    let email = req.email.trim();
    if email.is_empty() || req.password.is_empty() {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "e-mail and password are required",
        ));
    }
    let api = ServerApi::new(&req.server_url, None).map_err(client_err)?;
    let login = api
        .login(&LoginRequest {
            email: email.to_owned(),
            password: req.password.clone(),
            device_name: device_name.to_owned(),
            platform: platform.to_owned(),
            device_id: Some(store.device_id()),
        })
        .await
        .map_err(client_err)?;
    if login.user.role != Role::Rep {
        return Err(IpcError::new(
            ErrorCode::Forbidden,
            "this app is for reps; managers use the dashboard",
        ));
    }
    let previous: Option<StoredProfile> = store
        .read()
        .settings()
        .get(PROFILE_KEY)
        .map_err(store_err)?;
    if let Some(previous) = previous
        && previous.user.id != login.user.id
    {
        let pending = store.read().outbox().pending_count().map_err(store_err)?;
        if pending > 0 {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                format!(
                    "{pending} changes of {} are not synced yet",
                    previous.user.name
                ),
            ));
        }
        store.reset_synced().map_err(store_err)?;
    }
    let profile = StoredProfile {
        user: login.user,
        server_url: api.base().to_owned(),
    };
    store
        .set_setting(PROFILE_KEY, &profile)
        .map_err(store_err)?;
    Ok((profile, login.token))
}

/// A client failure as the app's UI gets it: its code, and the message for the log.
pub fn client_err(e: ClientError) -> IpcError {
    IpcError::new(e.code(), e.to_string())
}
