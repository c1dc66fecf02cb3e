//! The server's HTTP API as the device uses it.

use std::time::Duration;

use rounds_protocol::auth::{ChangePassword, LoginRequest, LoginResponse};
use rounds_protocol::sync::{BlobStatus, MAX_PULL_OPS, PullResponse, PushRequest, PushResponse};
use rounds_protocol::{ApiError, ErrorCode, PROTOCOL_VERSION, PhotoId, SCHEMA_VERSION};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ClientError;

/// A device's connection to one server. Cheap to clone.
#[derive(Clone)]
pub struct ServerApi {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

/// Never print the token.
impl std::fmt::Debug for ServerApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerApi")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ServerApi {
    /// `base` like `https://rounds.example.com` (a trailing slash is fine).
    pub fn new(base: &str, token: Option<String>) -> Result<Self, ClientError> {
        let base = base.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://") && loopback(&base)) {
            return Err(ClientError::Api(ApiError::new(
                ErrorCode::InvalidInput,
                "the server address must start with https:// (plain http:// only on this machine)",
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("rounds-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Network(e.to_string()))?;
        Ok(Self { base, http, token })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn set_token(&mut self, token: Option<String>) {
        self.token = token;
    }

    pub async fn login(&self, req: &LoginRequest) -> Result<LoginResponse, ClientError> {
        self.send(
            self.http
                .post(format!("{}/auth/login", self.base))
                .json(req),
        )
        .await
    }

    /// Ends this device's sign-in on the server: its token stops working there. The
    /// device keeps its id, so signing in again later resumes its ledger.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        self.send_no_content(
            self.http
                .post(format!("{}/auth/logout", self.base))
                .bearer_auth(token),
        )
        .await
    }

    /// Changes the signed-in user's password; every other sign-in of theirs ends.
    pub async fn change_password(&self, req: &ChangePassword) -> Result<(), ClientError> {
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        self.send_no_content(
            self.http
                .post(format!("{}/auth/password", self.base))
                .bearer_auth(token)
                .json(req),
        )
        .await
    }

    /// A new secret address of the user's calendar feed of appointments (the old one
    /// stops working): the whole URL, for a calendar app to subscribe to.
    pub async fn calendar_feed(&self) -> Result<String, ClientError> {
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        let feed: rounds_protocol::auth::CalendarFeed = self
            .send(
                self.http
                    .post(format!("{}/sync/calendar-feed", self.base))
                    .bearer_auth(token),
            )
            .await?;
        Ok(format!("{}{}", self.base.trim_end_matches('/'), feed.path))
    }

    /// Sends the weeks this device planned, for the rep's manager to read.
    pub async fn put_planned_week(
        &self,
        week: &rounds_protocol::week::PlannedWeek,
    ) -> Result<(), ClientError> {
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        self.send_no_content(
            self.http
                .put(format!("{}/sync/planned-week", self.base))
                .bearer_auth(token)
                .json(week),
        )
        .await
    }

    /// A request answered with no body (204) when it worked.
    async fn send_no_content(&self, req: reqwest::RequestBuilder) -> Result<(), ClientError> {
        let res = req.send().await.map_err(network)?;
        if res.status().is_success() {
            return Ok(());
        }
        let status = res.status();
        let body = res.bytes().await.map_err(network)?;
        Err(serde_json::from_slice::<ApiError>(&body).map_or_else(
            |_| ClientError::Network(format!("the server answered {status}")),
            ClientError::Api,
        ))
    }

    pub async fn push(&self, req: &PushRequest) -> Result<PushResponse, ClientError> {
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        self.send(
            self.http
                .post(format!("{}/sync/push", self.base))
                .bearer_auth(token)
                .json(req),
        )
        .await
    }

    /// Where the upload of a photo's bytes stands on the server.
    pub async fn blob_status(&self, sha256: &str) -> Result<BlobStatus, ClientError> {
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        self.send(
            self.http
                .get(format!("{}/sync/blobs/{sha256}", self.base))
                .bearer_auth(token),
        )
        .await
    }

    /// Sends one chunk of a photo's bytes, starting at `offset`.
    pub async fn put_blob_chunk(
        &self,
        sha256: &str,
        offset: u64,
        chunk: Vec<u8>,
    ) -> Result<BlobStatus, ClientError> {
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        self.send(
            self.http
                .put(format!("{}/sync/blobs/{sha256}", self.base))
                .bearer_auth(token)
                .query(&[("offset", offset)])
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(chunk),
        )
        .await
    }

    /// The bytes of a photo the rep's account holds, at most `max` of them.
    pub async fn photo_bytes(&self, id: PhotoId, max: u64) -> Result<Vec<u8>, ClientError> {
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        self.send_raw(
            self.http
                .get(format!("{}/sync/photos/{id}", self.base))
                .bearer_auth(token),
            usize::try_from(max).unwrap_or(usize::MAX).max(64 * 1024),
        )
        .await
    }

    pub async fn pull(&self, cursor: Option<&str>) -> Result<PullResponse, ClientError> {
        self.pull_resnapshot(cursor, None).await
    }

    /// A pull that also has the server send `resnapshot` (a bucket this device found
    /// damaged) again from a snapshot.
    pub async fn pull_resnapshot(
        &self,
        cursor: Option<&str>,
        resnapshot: Option<&str>,
    ) -> Result<PullResponse, ClientError> {
        #[derive(Serialize)]
        struct Query<'a> {
            cursor: Option<&'a str>,
            limit: usize,
            protocol_version: u32,
            schema_version: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            resnapshot: Option<&'a str>,
        }
        let token = self.token.as_deref().ok_or(ClientError::SignedOut)?;
        self.send(
            self.http
                .get(format!("{}/sync/pull", self.base))
                .bearer_auth(token)
                .query(&Query {
                    cursor,
                    limit: MAX_PULL_OPS,
                    protocol_version: PROTOCOL_VERSION,
                    schema_version: SCHEMA_VERSION,
                    resnapshot,
                }),
        )
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let body = self.send_raw(req, usize::MAX).await?;
        serde_json::from_slice(&body)
            .map_err(|e| ClientError::Network(format!("unreadable answer from the server: {e}")))
    }

    /// The body of a successful answer, read up to `max` bytes (more is refused as a
    /// broken answer, never held in memory).
    async fn send_raw(
        &self,
        req: reqwest::RequestBuilder,
        max: usize,
    ) -> Result<Vec<u8>, ClientError> {
        let mut res = req.send().await.map_err(network)?;
        let status = res.status();
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > max {
                return Err(ClientError::Network(format!(
                    "the server's answer is larger than the {max} bytes expected"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok(body);
        }
        // An error answer from our server carries {code, message}; anything else (a
        // proxy's HTML page) is described by its status.
        let err = serde_json::from_slice::<ApiError>(&body).unwrap_or_else(|_| {
            let code = match status.as_u16() {
                401 => ErrorCode::Unauthenticated,
                403 => ErrorCode::Forbidden,
                404 => ErrorCode::NotFound,
                413 => ErrorCode::PayloadTooLarge,
                429 => ErrorCode::RateLimited,
                500..=599 => ErrorCode::Unavailable,
                _ => ErrorCode::Unknown,
            };
            ApiError::new(code, format!("the server answered {status}"))
        });
        Err(ClientError::Api(err))
    }
}

/// Whether `base` (`http://host[:port]…`) names this machine: the one place a password
/// and a token may travel unencrypted.
fn loopback(base: &str) -> bool {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn network(e: reqwest::Error) -> ClientError {
    ClientError::Network(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        for (base, ok) in [
            ("https://rounds.example.com", true),
            ("http://127.0.0.1:8080", true),
            ("http://127.8.0.1", true),
            ("http://localhost:8080/", true),
            ("http://[::1]:8080", true),
            ("http://rounds.example.com", false),
            ("http://192.168.1.10:8080", false),
            ("http://localhost.evil.example", false),
            ("http://127.0.0.1.evil.example", false),
            ("ftp://127.0.0.1", false),
        ] {
            assert_eq!(ServerApi::new(base, None).is_ok(), ok, "{base}");
        }
    }
}
