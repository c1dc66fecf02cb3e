//! Sign-in throttling: what keeps a flood of password guesses from stalling the server or
//! guessing a password. Three walls, cheapest first:
//!
//! 1. **Per client address and per e-mail**, a GCRA rate limit held in memory (`governor`:
//!    keyed limiters whose state is one small cell per key, pruned as keys go quiet).
//! 2. **Per account**, consecutive failures stored with the user, so every server process
//!    sees them: after a few, each attempt must wait longer, then the account locks for a
//!    while ([`lockout`]). A locked account is refused before any hashing.
//! 3. **A hard cap on password hashes in flight.** argon2id costs 19 MiB and tens of
//!    milliseconds each, on the blocking pool the database shares; past the cap a sign-in
//!    is answered 429 at once instead of queueing (queued hashes are what used gigabytes).
//!
//! `tower_governor` was not used: it limits whole routes by peer address and answers in
//! its own format, while sign-in needs a second key (the e-mail), the API's error body and
//! the dashboard's page.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::settings::Settings;

/// Failures in a row an account may have before attempts are slowed down.
pub const FREE_FAILURES: u32 = 4;
/// Failures in a row after which the account locks for [`LOCK`].
pub const LOCK_AFTER: u32 = 10;
/// How long a locked account stays locked.
pub const LOCK: chrono::Duration = chrono::Duration::minutes(15);

/// When an account with `failures` consecutive failed sign-ins, the last at `at`, may try
/// again: at once for the first few, then after 10 s, 20 s, 40 s … (slowed down), and
/// from the tenth on after [`LOCK`] (locked). `None` means no wait.
pub fn lockout(failures: u32, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if failures <= FREE_FAILURES {
        None
    } else if failures < LOCK_AFTER {
        Some(at + chrono::Duration::seconds(10 << (failures - FREE_FAILURES - 1)))
    } else {
        Some(at + LOCK)
    }
}

/// Why a sign-in was not even tried, and when to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub message: &'static str,
    pub retry_after: Duration,
}

/// The in-memory walls (1 and 3 above); one per server process.
#[derive(Debug)]
pub struct SignInGuard {
    hashes: Arc<Semaphore>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_email: DefaultKeyedRateLimiter<String>,
}

/// Keys kept before quiet ones are pruned, so a spray of addresses cannot grow memory.
const PRUNE_ABOVE: usize = 10_000;

fn quota(per_minute: u32) -> Quota {
    let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n).allow_burst(n)
}

impl SignInGuard {
    pub fn new(settings: &Settings) -> Self {
        Self {
            hashes: Arc::new(Semaphore::new(settings.sign_in_concurrent_hashes.max(1))),
            per_address: RateLimiter::keyed(quota(settings.sign_in_per_address_per_minute)),
            per_email: RateLimiter::keyed(quota(settings.sign_in_per_email_per_minute)),
        }
    }

    /// Admits one sign-in attempt from `address` for `email`: the permit to hash a password
    /// (held until the check is done), or why not and when to come back.
    pub fn admit(&self, address: IpAddr, email: &str) -> Result<OwnedSemaphorePermit, Refused> {
        let clock = DefaultClock::default();
        if self.per_address.len() > PRUNE_ABOVE {
            self.per_address.retain_recent();
        }
        if self.per_email.len() > PRUNE_ABOVE {
            self.per_email.retain_recent();
        }
        if let Err(wait) = self.per_address.check_key(&address) {
            return Err(Refused {
                message: "too many sign-in attempts from this address; wait and try again",
                retry_after: wait.wait_time_from(clock.now()),
            });
        }
        let email = email.trim().to_lowercase();
        if let Err(wait) = self.per_email.check_key(&email) {
            return Err(Refused {
                message: "too many sign-in attempts for this account; wait and try again",
                retry_after: wait.wait_time_from(clock.now()),
            });
        }
        Arc::clone(&self.hashes)
            .try_acquire_owned()
            .map_err(|_| Refused {
                message: "the server is busy with other sign-ins; try again in a moment",
                retry_after: Duration::from_secs(1),
            })
    }

    /// Hashes in flight now (for tests and the load check).
    pub fn hashing(&self, settings: &Settings) -> usize {
        settings.sign_in_concurrent_hashes.max(1) - self.hashes.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn failures_slow_down_then_lock() {
        let cases = [
            (0, None),
            (1, None),
            (FREE_FAILURES, None),
            (FREE_FAILURES + 1, Some(10)),
            (FREE_FAILURES + 2, Some(20)),
            (FREE_FAILURES + 3, Some(40)),
            (LOCK_AFTER - 1, Some(10 << (LOCK_AFTER - FREE_FAILURES - 2))),
            (LOCK_AFTER, Some(LOCK.num_seconds())),
            (LOCK_AFTER + 50, Some(LOCK.num_seconds())),
        ];
        for (failures, wait) in cases {
            assert_eq!(
                lockout(failures, at(0)),
                wait.map(at),
                "{failures} failures in a row"
            );
        }
    }

    #[test]
    fn the_waits_grow_and_never_pass_the_lock() {
        let mut last = 0;
        for failures in 0..40 {
            let wait = lockout(failures, at(0)).map_or(0, |t| (t - at(0)).num_seconds());
            assert!(wait >= last, "{failures}: {wait} s after {last} s");
            assert!(wait <= LOCK.num_seconds());
            last = wait;
        }
    }

    fn settings(hashes: usize, per_minute: u32) -> Settings {
        Settings {
            sign_in_concurrent_hashes: hashes,
            sign_in_per_address_per_minute: per_minute,
            sign_in_per_email_per_minute: per_minute,
            ..Settings::default()
        }
    }

    #[test]
    fn hashes_past_the_cap_are_refused_at_once() {
        let s = settings(2, 1_000);
        let guard = SignInGuard::new(&s);
        let ip: IpAddr = [10, 0, 0, 1].into();
        let a = guard.admit(ip, "a@example.com").expect("first");
        let _b = guard.admit(ip, "b@example.com").expect("second");
        assert_eq!(guard.hashing(&s), 2);
        let refused = guard
            .admit(ip, "c@example.com")
            .expect_err("third waits for none");
        assert_eq!(refused.retry_after, Duration::from_secs(1));
        drop(a);
        assert!(
            guard.admit(ip, "c@example.com").is_ok(),
            "a freed permit is reused"
        );
    }

    #[test]
    fn one_address_and_one_account_are_limited_apart() {
        let guard = SignInGuard::new(&settings(100, 3));
        let (one, two): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        for i in 0..3 {
            let _ = guard
                .admit(one, &format!("u{i}@example.com"))
                .expect("within the burst");
        }
        let r = guard
            .admit(one, "new@example.com")
            .expect_err("the address is over");
        assert!(r.message.contains("address"), "{r:?}");
        assert!(r.retry_after > Duration::ZERO);
        let _ = guard
            .admit(two, "new@example.com")
            .expect("another address may still try");
        // One account from many addresses is limited on its own.
        for i in 0..3 {
            let _ = guard
                .admit([10, 0, 1, i].into(), "Dana@Example.com ")
                .expect("within the account's burst");
        }
        let r = guard
            .admit([10, 0, 1, 9].into(), "dana@example.com")
            .expect_err("the account is over, from any address");
        assert!(r.message.contains("account"), "{r:?}");
    }
}
