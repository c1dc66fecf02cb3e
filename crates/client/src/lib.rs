//! The rep's side of Rounds, below the UI: the sync engine that pushes the outbox and
//! pulls the territory (with a pure planner deciding when), and the HTTP client for the
//! server. Never depends on Tauri: the shell drives it, tests drive it the same way.

mod engine;
mod error;
mod http;
pub mod planner;
mod runner;

pub use engine::{Clock, Progress, SyncEngine, SyncReport, system_clock};
pub use error::ClientError;
pub use http::ServerApi;
pub use runner::{Runner, SyncStatus};
