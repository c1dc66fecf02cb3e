//! rounds-store against real SQLite files.

mod capture;
mod fixtures;
mod local;
mod open;
mod outbox;
mod pull;
mod queries;
