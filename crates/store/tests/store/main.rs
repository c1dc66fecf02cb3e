//! rounds-store against real SQLite files.

mod capture;
mod fixtures;
mod follow_ups;
mod local;
mod open;
mod outbox;
mod photos;
mod pull;
mod queries;
