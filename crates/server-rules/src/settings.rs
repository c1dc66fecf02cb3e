//! Layered configuration: defaults, then a TOML file, then `ROUNDS_*` environment
//! variables (e.g. `ROUNDS_DATABASE_URL`, `ROUNDS_LISTEN`).
//!
//! Kept here rather than in the server binary on purpose: the rules decide with it
//! (password cost, token and session lifetimes, sign-in limits, the clock, where photos
//! live), and the demo seeder reads the same file as the server to reach the same
//! database, without depending on the server binary.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::time::Clock;

/// A value that must never reach a log: `Debug` and `Display` print it redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A database URL: may carry a password, so it prints with the password masked.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(Secret);

impl DatabaseUrl {
    pub fn new(s: impl Into<String>) -> Self {
        DatabaseUrl(Secret::new(s))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// `postgres://user:***@host/db`; SQLite paths as they are.
    pub fn redacted(&self) -> String {
        let url = self.expose();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let creds = &url[scheme + 3..at];
                match creds.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                    None => url.to_owned(),
                }
            }
            _ => url.to_owned(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub listen: SocketAddr,
    /// `postgres://…` for PostgreSQL; anything else is an SQLite file path
    /// (`sqlite://path` or a bare path).
    pub database_url: DatabaseUrl,
    /// PostgreSQL schema to use (created if missing); none means the user's default.
    pub database_schema: Option<String>,
    pub pool_size: usize,
    /// Dashboard pages served at once by this process; the rest wait their turn, so
    /// devices' syncs always find a database connection and CPU (0: no limit).
    pub dashboard_concurrency: usize,
    /// How long a device token lives before the device must sign in again.
    pub token_ttl_days: u32,
    /// argon2id cost for new password hashes (existing hashes carry their own).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// `tracing` filter, e.g. `info,rounds_server=debug`.
    pub log: String,
    /// Mark the dashboard's session cookie `Secure` (set it when served over HTTPS).
    pub cookie_secure: bool,
    /// How long a dashboard sign-in lasts.
    pub session_ttl_hours: u32,
    /// Password hashes (argon2id, 19 MiB each) in flight at most; a sign-in past that is
    /// answered 429 at once.
    pub sign_in_concurrent_hashes: usize,
    /// Sign-in attempts a minute from one client address (a burst of as many).
    pub sign_in_per_address_per_minute: u32,
    /// Sign-in attempts a minute for one e-mail, from anywhere.
    pub sign_in_per_email_per_minute: u32,
    /// The server is behind a reverse proxy: the client address is the last one in
    /// `X-Forwarded-For`, and HTTPS is what `X-Forwarded-Proto` says.
    pub behind_proxy: bool,
    /// Connections held open at most; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// A connection with no byte read or written for this long is closed.
    pub idle_timeout_secs: u64,
    /// A request (body included) not answered within this long is answered 503.
    pub request_timeout_secs: u64,
    /// Where photos' bytes are kept (a directory, created when missing). None: beside an
    /// SQLite database (`rounds.db.blobs/`), or `rounds-blobs/` in the working directory
    /// on PostgreSQL. Servers sharing one PostgreSQL must share this directory too.
    pub blob_dir: Option<PathBuf>,
    /// The dashboard map's raster tiles, a URL template with `{z}`, `{x}`, `{y}` (and
    /// optionally `{s}` for subdomains), fetched by the manager's browser. Empty: no tiles
    /// (pins and areas on a plain background; nothing leaves the browser for a map).
    /// The default is OpenStreetMap's own tile server, whose usage policy suits light use;
    /// a company with many managers points this at its own or a provider's tile server.
    pub map_tiles: String,
    /// The credit the tiles' provider asks for, shown on the map.
    pub map_attribution: String,
    /// An external geocoder's search endpoint, Nominatim- or Photon-compatible
    /// (`https://nominatim.example.org/search`, `https://photon.example.org/api`). Set, the
    /// server looks up the street addresses of accounts placed only by their postal code
    /// (or not at all) in the background, each address text once. Empty (the default):
    /// no address leaves the server.
    pub geocoder_url: String,
    /// Lookups a second at most (Nominatim's public instance allows one).
    pub geocoder_per_second: f64,
    /// After a pass over every account, the geocoder waits this long before the next.
    pub geocoder_pass_secs: u64,
    /// A failed lookup is tried again after this long, doubling each time (a day at most).
    pub geocoder_retry_secs: u64,
    /// Where "now" comes from: the system clock, unless a test starts its own.
    #[serde(skip)]
    pub clock: Clock,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DatabaseUrl::new("sqlite://rounds.db"),
            database_schema: None,
            pool_size: 8,
            dashboard_concurrency: 2,
            token_ttl_days: 90,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            log: "info".into(),
            cookie_secure: false,
            session_ttl_hours: 12,
            sign_in_concurrent_hashes: 4,
            sign_in_per_address_per_minute: 30,
            sign_in_per_email_per_minute: 10,
            behind_proxy: false,
            max_connections: 2048,
            idle_timeout_secs: 120,
            request_timeout_secs: 60,
            blob_dir: None,
            map_tiles: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            map_attribution: "© OpenStreetMap contributors".into(),
            geocoder_url: String::new(),
            geocoder_per_second: 1.0,
            geocoder_pass_secs: 300,
            geocoder_retry_secs: 60,
            clock: Clock::system(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Whether a request came over HTTPS: `cookie_secure` says the server is only ever
    /// reached that way; behind a proxy (`behind_proxy`), its `X-Forwarded-Proto` says.
    /// Cookies are then `Secure`, and answers carry HSTS.
    pub fn over_https(&self, forwarded_proto: Option<&str>) -> bool {
        self.cookie_secure
            || self.behind_proxy
                && forwarded_proto.is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
    }

    /// The client's address: the peer's, or behind a proxy (`behind_proxy`) the last hop
    /// of `X-Forwarded-For` (`forwarded_for`: its last header), the one the proxy itself
    /// added; anything earlier in the list is the client's say and is not believed.
    pub fn client_addr(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if self.behind_proxy
            && let Some(ip) = forwarded_for
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
        peer
    }

    /// The directory photos' bytes are kept in (see `blob_dir`).
    pub fn blob_dir(&self) -> PathBuf {
        if let Some(dir) = &self.blob_dir {
            return dir.clone();
        }
        let url = self.database_url.expose();
        if crate::db::pool::is_postgres_url(url) {
            return PathBuf::from("rounds-blobs");
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        PathBuf::from(format!("{path}.blobs"))
    }

    /// Defaults, then `file` (if it exists), then `ROUNDS_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            fig = fig.merge(Toml::file(file));
        }
        let settings = fig
            .merge(Env::prefixed("ROUNDS_").only(&[
                "listen",
                "database_url",
                "database_schema",
                "pool_size",
                "dashboard_concurrency",
                "token_ttl_days",
                "argon2_memory_kib",
                "argon2_iterations",
                "log",
                "cookie_secure",
                "session_ttl_hours",
                "sign_in_concurrent_hashes",
                "sign_in_per_address_per_minute",
                "sign_in_per_email_per_minute",
                "behind_proxy",
                "max_connections",
                "idle_timeout_secs",
                "request_timeout_secs",
                "blob_dir",
                "map_tiles",
                "map_attribution",
                "geocoder_url",
                "geocoder_per_second",
                "geocoder_pass_secs",
                "geocoder_retry_secs",
            ]))
            .extract::<Settings>()
            .map_err(|e| SettingsError::Load(Box::new(e)))?;
        settings.map_tile_origin().map_err(SettingsError::Invalid)?;
        let geocoder = settings.geocoder_url.trim();
        if !geocoder.is_empty()
            && !geocoder.starts_with("https://")
            && !geocoder.starts_with("http://")
        {
            return Err(SettingsError::Invalid(format!(
                "geocoder_url {geocoder:?} is not an http(s) URL"
            )));
        }
        if !(settings.geocoder_per_second.is_finite() && settings.geocoder_per_second > 0.0) {
            return Err(SettingsError::Invalid(
                "geocoder_per_second must be a number above 0".into(),
            ));
        }
        Ok(settings)
    }

    /// Where the map's tiles come from, for the map page's Content-Security-Policy
    /// (`https://*.tile.example` when the template has `{s}`); `None` when tiles are off.
    /// An error says what is wrong with `map_tiles`.
    pub fn map_tile_origin(&self) -> Result<Option<String>, String> {
        let url = self.map_tiles.trim();
        if url.is_empty() {
            return Ok(None);
        }
        let bad = |why: &str| Err(format!("map_tiles {url:?} {why}"));
        let Some((scheme, rest)) = url.split_once("://") else {
            return bad("is not an http(s) URL");
        };
        if scheme != "https" && scheme != "http" {
            return bad("is not an http(s) URL");
        }
        if ["{z}", "{x}", "{y}"].iter().any(|p| !rest.contains(p)) {
            return bad("needs {z}, {x} and {y}");
        }
        let host = rest
            .split('/')
            .next()
            .unwrap_or_default()
            .replace("{s}", "*");
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-.:*[]".contains(c);
        if host.is_empty() || !host.chars().all(allowed) || host.contains('{') {
            return bad("has no plain host name");
        }
        Ok(Some(format!("{scheme}://{host}")))
    }

    /// Cheap password hashing for tests (argon2's real cost is deliberate).
    pub fn for_tests(database_url: &str) -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: DatabaseUrl::new(database_url),
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            pool_size: 8,
            log: "warn".into(),
            // Tests sign many devices in at once from one address; the attack tests set
            // the real limits.
            sign_in_concurrent_hashes: 64,
            sign_in_per_address_per_minute: 100_000,
            sign_in_per_email_per_minute: 100_000,
            ..Settings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_never_prints() {
        let url = DatabaseUrl::new("postgres://rounds:hunter2@db.example:5432/rounds");
        let shown = format!("{url} {url:?}");
        assert!(!shown.contains("hunter2"), "password leaked: {shown}");
        assert!(shown.contains("postgres://rounds:***@db.example:5432/rounds"));
        assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
    }

    #[test]
    fn a_settings_file_with_a_bad_tile_url_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rounds.toml");
        std::fs::write(
            &file,
            "map_tiles = \"ftp://tiles.example/{z}/{x}/{y}.png\"\n",
        )
        .unwrap();
        let err = Settings::load(Some(&file)).expect_err("refused");
        assert!(
            err.to_string().contains("map_tiles") && err.to_string().contains("http(s)"),
            "{err}"
        );
        std::fs::write(&file, "map_tiles = \"\"\n").unwrap();
        assert_eq!(Settings::load(Some(&file)).expect("no tiles").map_tiles, "");
    }

    #[test]
    fn the_map_tile_setting_is_checked() {
        let origin = |url: &str| {
            Settings {
                map_tiles: url.into(),
                ..Settings::default()
            }
            .map_tile_origin()
        };
        assert_eq!(
            origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            Ok(Some("https://tile.openstreetmap.org".into()))
        );
        assert_eq!(
            origin("https://{s}.tiles.example:8443/osm/{z}/{x}/{y}.png"),
            Ok(Some("https://*.tiles.example:8443".into()))
        );
        assert_eq!(origin(""), Ok(None));
        assert_eq!(origin("  "), Ok(None));
        for bad in [
            "tile.openstreetmap.org/{z}/{x}/{y}.png",
            "javascript://x/{z}/{x}/{y}",
            "https://tiles.example/{z}/{x}.png",
            "https:///{z}/{x}/{y}.png",
            "https://a b/{z}/{x}/{y}.png",
            "https://x.example;script-src */{z}/{x}/{y}",
        ] {
            assert!(origin(bad).is_err(), "{bad} accepted");
        }
    }
}
