//! Where the app keeps its files and how it was started (demo server, auto sign-in).

use std::path::PathBuf;

use rounds_client::{Clock, Demo, system_clock};

/// The shell's start-up configuration. The rep's own preferences (time zone, workday,
/// home) live in the store's settings; the device token in its own file.
#[derive(Clone)]
pub struct Config {
    /// Holds `rounds.db` and the token file.
    pub data_dir: PathBuf,
    /// A demo server the first-run screen offers ("Open the demo").
    pub demo: Option<Demo>,
    /// Sign in to the demo at start when signed out (the README's run command).
    pub auto_sign_in: bool,
    /// Where "now" comes from: the system clock, or in a debug build the instant
    /// `ROUNDS_TEST_NOW` names (tests fix the day the app lives in).
    pub clock: Clock,
    /// Where files the rep saves (the week's calendar) go; `None`: their Downloads.
    pub export_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("demo", &self.demo)
            .field("auto_sign_in", &self.auto_sign_in)
            .field("export_dir", &self.export_dir)
            .finish()
    }
}

impl Config {
    /// `ROUNDS_DATA_DIR` overrides the platform's app-data folder (tests, side-by-side
    /// installs). `ROUNDS_DEMO_SERVER`, `ROUNDS_DEMO_EMAIL`, `ROUNDS_DEMO_PASSWORD` offer a
    /// demo; `ROUNDS_AUTO_SIGN_IN=1` signs in to it at start. `ROUNDS_EXPORT_DIR` names
    /// where saved files go instead of the Downloads folder (tests).
    pub fn from_env(default_data_dir: PathBuf) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let demo = var("ROUNDS_DEMO_SERVER").map(|server_url| Demo {
            server_url,
            email: var("ROUNDS_DEMO_EMAIL").unwrap_or_else(|| "dana@demo.rounds.app".into()),
            password: var("ROUNDS_DEMO_PASSWORD").unwrap_or_else(|| "rounds-demo".into()),
        });
        Self {
            data_dir: var("ROUNDS_DATA_DIR").map_or(default_data_dir, PathBuf::from),
            auto_sign_in: demo.is_some() && var("ROUNDS_AUTO_SIGN_IN").is_some_and(|v| v == "1"),
            demo,
            clock: test_clock(var("ROUNDS_TEST_NOW")).unwrap_or_else(system_clock),
            export_dir: var("ROUNDS_EXPORT_DIR").map(PathBuf::from),
        }
    }
}

/// `ROUNDS_TEST_NOW` (RFC 3339, e.g. `2027-03-01T16:00:00Z`) starts the app's clock at
/// that instant. Read only by debug builds: a release build always runs on the real clock.
#[cfg(debug_assertions)]
fn test_clock(value: Option<String>) -> Option<Clock> {
    let at = chrono::DateTime::parse_from_rfc3339(value?.trim())
        .inspect_err(|e| tracing::warn!(%e, "ROUNDS_TEST_NOW is not an RFC 3339 instant; ignored"))
        .ok()?;
    tracing::warn!(%at, "the app's clock starts at ROUNDS_TEST_NOW");
    Some(rounds_client::clock_starting_at(at.to_utc()))
}

#[cfg(not(debug_assertions))]
fn test_clock(_value: Option<String>) -> Option<Clock> {
    None
}
