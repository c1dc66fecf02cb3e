//! The rep's side of Rounds, below the UI: the sync engine that pushes the outbox and
//! pulls the territory (with a pure planner deciding when), and the HTTP client for the
//! server; and the rep's use cases (Today, plan my day, accounts, quick actions), answered
//! in the IPC types the UI reads. Never depends on Tauri: the shell drives it, tests drive it the same way.

mod capture;
mod device;
mod engine;
mod error;
mod http;
pub mod planner;
pub mod rep;
mod runner;
pub mod session;

pub use device::{Demo, Device, PendingSignIn, PendingSignOut, SharedDevice, SignedIn};
pub use engine::{Clock, Progress, SyncEngine, SyncReport, clock_starting_at, system_clock};
pub use error::ClientError;
pub use http::ServerApi;
pub use rep::{Rep, StoredProfile};
pub use runner::{Runner, SyncStatus};
pub use session::{TokenFile, client_err, sign_in};
