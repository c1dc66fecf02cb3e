//! The sync promise under faults: the real server on 127.0.0.1:0 (its own SQLite file),
//! devices as real client stores in their own files, and a seeded fault proxy between
//! them. Every scenario ends with the oracle: nothing logged is lost, nothing is applied
//! twice, no outbox row vanishes without a receipt.
//!
//! The counts are small by default (the fast profile CI runs). `ROUNDS_FAULTS=full` runs
//! the full counts: `ROUNDS_FAULTS=full cargo test --release -p rounds-tests --test faults`.
//! `ROUNDS_FAULT_SEED=n` replays a run (each test prints the seed it used).

// The scenarios run on both backends through the server's test kit.
#[macro_use]
extern crate rounds_server_testkit;

mod oracle;
mod proxy;
#[path = "../sync/support.rs"]
#[allow(dead_code)]
mod support;

mod clocks;
mod compaction;
mod crashes;
mod damage;
mod delivery;
mod fleet;
mod outage;
mod races;
mod restore;
mod sweep;

/// `fast` in the default profile, `full` with `ROUNDS_FAULTS=full`.
pub fn scale(fast: usize, full: usize) -> usize {
    if std::env::var("ROUNDS_FAULTS").is_ok_and(|v| v == "full") {
        full
    } else {
        fast
    }
}

/// The seed for this test's fault schedule, printed so a failure can be replayed.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("ROUNDS_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_122);
    println!("{test}: fault seed {seed} (ROUNDS_FAULT_SEED={seed} replays it)");
    seed
}
