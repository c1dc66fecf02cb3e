//! Signing a device in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DeviceId, UserId};

/// `POST /auth/password`: the signed-in user changes their own password. Every other
/// sign-in of theirs (devices, dashboard sessions) ends; this device stays signed in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for ChangePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePassword { <redacted> }")
    }
}

/// `POST /auth/login` from the app: registers this installation as a device of the user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// A name the rep and the admin recognise ("Dana's phone").
    pub device_name: String,
    pub platform: String,
    /// The installation's own id, made when its database was created. Signing in again
    /// on the same install keeps the device (and its mutation numbering) on the server;
    /// `None` lets the server make one.
    #[serde(default)]
    pub device_id: Option<DeviceId>,
}

/// Never print the password, even in debug logs.
impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("device_name", &self.device_name)
            .field("platform", &self.platform)
            .field("device_id", &self.device_id)
            .finish()
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub device_id: DeviceId,
    /// Bearer token for this device; keep it out of plain configuration.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserInfo,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("device_id", &self.device_id)
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: rounds_core::Role,
    /// IANA zone name, e.g. `America/Chicago`.
    pub time_zone: String,
}

/// `POST /sync/calendar-feed`: the caller's new calendar feed of appointments. `path`
/// joins the server's address (`<server>/calendar/<secret>.ics`); the previous address
/// stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarFeed {
    pub path: String,
}
