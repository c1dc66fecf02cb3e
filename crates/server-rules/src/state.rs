//! What every request shares: the database, the settings, and this process's sign-in
//! guard. Handlers (the API's and the dashboard's) hold one and ask the rules with it.

use std::net::IpAddr;
use std::sync::Arc;

use rounds_protocol::{DeviceId, ErrorCode, UserId};
use tokio::sync::OwnedSemaphorePermit;

use crate::blobs::{BlobStore, FsBlobs};
use crate::db::{Db, Sql as _};
use crate::settings::Settings;
use crate::throttle::SignInGuard;
use crate::{Error, Result, params};

#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// Sign-in rate limits and the cap on password hashes, for this process.
    pub sign_in: Arc<SignInGuard>,
    /// Photos' bytes.
    pub blobs: Arc<dyn BlobStore>,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> Self {
        Self {
            db,
            sign_in: Arc::new(SignInGuard::new(&settings)),
            blobs: Arc::new(FsBlobs::new(settings.blob_dir())),
            settings: Arc::new(settings),
        }
    }

    /// Admits a sign-in attempt (see [`SignInGuard::admit`]), or the refusal to answer
    /// (`rate_limited`, with when to retry).
    pub fn admit_sign_in(&self, from: IpAddr, email: &str) -> Result<OwnedSemaphorePermit> {
        self.sign_in.admit(from, email).map_err(|r| {
            tracing::warn!(%from, reason = r.message, "sign-in refused before checking");
            Error::retry_later(ErrorCode::RateLimited, r.message, r.retry_after)
        })
    }
}

/// How a password change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// Changed; every sign-in of the user's ended but `keep`'s.
    Changed,
    /// The current password given is not theirs: nothing changed.
    WrongCurrent,
}

impl AppState {
    /// The one way a password is changed by its owner (from the app or the dashboard):
    /// the new one must be acceptable; the current one is checked like a sign-in, under
    /// the same limits; then every other sign-in of theirs ends (`keep`: the device asking).
    pub async fn change_password(
        &self,
        from: IpAddr,
        user: UserId,
        current: String,
        new: String,
        keep: Option<DeviceId>,
    ) -> Result<PasswordChange> {
        crate::auth::acceptable_password(&new)?;
        let now = self.settings.clock.now();
        let email = self
            .db
            .read(move |tx| {
                tx.query_one("SELECT email FROM users WHERE id = $1", params![user])
                    .and_then(|r| r.text(0))
            })
            .await?;
        let permit = self.admit_sign_in(from, &email)?;
        let checked =
            crate::auth::check_password(&self.db, &self.settings, &email, current, now, permit)
                .await?;
        if checked.is_none() {
            return Ok(PasswordChange::WrongCurrent);
        }
        let settings = self.settings.clone();
        let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&new, &settings))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        self.db
            .write(move |tx| crate::auth::set_password(tx, user, &hash, keep, now))
            .await?;
        tracing::info!(%user, "password changed");
        Ok(PasswordChange::Changed)
    }
}

/// The client's address, as the server binary resolved it for this request (see
/// [`Settings::client_addr`]); handlers read it from the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);
