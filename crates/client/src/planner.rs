//! When to sync: a pure decision from the engine's state, the moment and what woke it.
//! The runner only sleeps and calls; every rule is here and tested with tables.
//!
//! Rules:
//! * A manual "sync now", the network coming back, or the app starting: sync at once,
//!   whatever the backoff (the rep is waiting, or the reason for waiting is gone).
//! * After a failure: wait `min(2^failures × 2 s, 5 min)`, with up to half of it as
//!   random jitter so a fleet of devices does not retry in step.
//! * With changes waiting and no failure: sync soon (a short debounce after a write).
//! * Otherwise pull every 5 minutes, so a quiet device still receives changes.
//! * Offline: wait for the network (the shell reports it) but still try every 5 minutes,
//!   since "offline" reports are not always right.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// What the engine remembers between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncState {
    /// Mutations not yet settled by a receipt.
    pub pending: u64,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// Failed attempts since the last success.
    pub failures: u32,
    /// What the platform last said about connectivity.
    pub online: bool,
}

/// What woke the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Start,
    Timer,
    LocalWrite,
    NetworkUp,
    /// The platform reports no connectivity (the engine marks itself offline first).
    NetworkDown,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    SyncNow,
    /// Sleep until then (or until another trigger).
    WaitUntil(DateTime<Utc>),
}

pub const BASE_BACKOFF: Duration = Duration::from_secs(2);
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
pub const PULL_INTERVAL: Duration = Duration::from_secs(300);
pub const WRITE_DEBOUNCE: Duration = Duration::from_secs(1);

/// The wait after `failures` consecutive failures, before jitter.
pub fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let factor = 1u64 << (failures - 1).min(16);
    BASE_BACKOFF.saturating_mul(factor as u32).min(MAX_BACKOFF)
}

/// `jitter` is a random number in `[0, 1)` supplied by the caller (tests pass fixed ones).
pub fn decide(state: &SyncState, trigger: Trigger, now: DateTime<Utc>, jitter: f64) -> Decision {
    if matches!(
        trigger,
        Trigger::Manual | Trigger::NetworkUp | Trigger::Start
    ) {
        return Decision::SyncNow;
    }
    let after = |d: Duration| {
        state.last_attempt.map_or(now, |t| {
            t + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
        })
    };
    let due = if !state.online {
        after(PULL_INTERVAL)
    } else if state.failures > 0 {
        let wait = backoff(state.failures);
        after(wait.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0)))
    } else if state.pending > 0 {
        after(WRITE_DEBOUNCE)
    } else {
        after(PULL_INTERVAL)
    };
    if due <= now {
        Decision::SyncNow
    } else {
        Decision::WaitUntil(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rstest::rstest;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 18, 12, 0, 0).unwrap() + chrono::Duration::seconds(secs)
    }

    fn state(pending: u64, last_attempt: Option<i64>, failures: u32, online: bool) -> SyncState {
        SyncState {
            pending,
            last_attempt: last_attempt.map(t),
            last_success: None,
            failures,
            online,
        }
    }

    #[rstest]
    #[case::manual_ignores_backoff(
        state(3, Some(0), 6, true),
        Trigger::Manual,
        1,
        Decision::SyncNow
    )]
    #[case::network_back_ignores_backoff(
        state(3, Some(0), 6, false),
        Trigger::NetworkUp,
        1,
        Decision::SyncNow
    )]
    #[case::app_start_syncs(state(0, None, 0, true), Trigger::Start, 0, Decision::SyncNow)]
    #[case::never_attempted_with_work(
        state(2, None, 0, true),
        Trigger::Timer,
        0,
        Decision::SyncNow
    )]
    #[case::write_is_debounced(
        state(1, Some(0), 0, true),
        Trigger::LocalWrite,
        0,
        Decision::WaitUntil(t(1))
    )]
    #[case::debounce_over(state(1, Some(0), 0, true), Trigger::Timer, 2, Decision::SyncNow)]
    #[case::idle_pulls_every_five_minutes(
        state(0, Some(0), 0, true),
        Trigger::Timer,
        60,
        Decision::WaitUntil(t(300))
    )]
    #[case::idle_pull_due(state(0, Some(0), 0, true), Trigger::Timer, 300, Decision::SyncNow)]
    // 3 failures: 8 s, half of it jitter; jitter 0 gives 4 s.
    #[case::backoff_with_least_jitter(
        state(5, Some(0), 3, true),
        Trigger::Timer,
        1,
        Decision::WaitUntil(t(4))
    )]
    #[case::backoff_over(state(5, Some(0), 3, true), Trigger::Timer, 8, Decision::SyncNow)]
    // A new write does not cut a backoff short: the server is still failing.
    #[case::write_during_backoff_waits(
        state(5, Some(0), 3, true),
        Trigger::LocalWrite,
        1,
        Decision::WaitUntil(t(4))
    )]
    #[case::offline_still_retries_every_five_minutes(
        state(5, Some(0), 12, false),
        Trigger::Timer,
        100,
        Decision::WaitUntil(t(300))
    )]
    #[case::network_down_waits(
        state(2, Some(0), 0, false),
        Trigger::NetworkDown,
        5,
        Decision::WaitUntil(t(300))
    )]
    #[case::offline_does_not_hammer(
        state(5, Some(0), 1, false),
        Trigger::LocalWrite,
        10,
        Decision::WaitUntil(t(300))
    )]
    fn decisions(
        #[case] s: SyncState,
        #[case] trigger: Trigger,
        #[case] at: i64,
        #[case] expected: Decision,
    ) {
        assert_eq!(decide(&s, trigger, t(at), 0.0), expected);
    }

    #[rstest]
    #[case(0, 0)]
    #[case(1, 2)]
    #[case(2, 4)]
    #[case(5, 32)]
    #[case(9, 300)]
    #[case(40, 300)]
    fn backoff_doubles_up_to_five_minutes(#[case] failures: u32, #[case] secs: u64) {
        assert_eq!(backoff(failures), Duration::from_secs(secs));
    }

    #[test]
    fn jitter_spreads_retries_within_the_second_half() {
        let s = state(1, Some(0), 4, true); // 16 s
        let at = |j| match decide(&s, Trigger::Timer, t(0), j) {
            Decision::WaitUntil(w) => (w - t(0)).num_milliseconds(),
            Decision::SyncNow => 0,
        };
        assert_eq!(at(0.0), 8_000);
        assert_eq!(at(0.5), 12_000);
        assert_eq!(at(0.999_999), 15_999);
    }
}
