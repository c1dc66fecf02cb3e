//! The background sync loop: owns a store connection and the engine, sleeps as the
//! planner says, wakes on a trigger (a local write, the network back, "sync now"), and
//! publishes its status for the UI. Syncing starts when the runner starts, retries on its
//! own after failures, and drains the outbox without waiting for a new write.

use chrono::{DateTime, Utc};
use rounds_protocol::ErrorCode;
use rounds_store::Store;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::engine::{Progress, SyncEngine};
use crate::planner::{Decision, Trigger};

/// What the sync screen shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    pub syncing: bool,
    pub last_success: Option<DateTime<Utc>>,
    pub pending: u64,
    pub progress: Option<Progress>,
    /// The last failure, until a sync succeeds.
    pub last_error: Option<(ErrorCode, String)>,
    pub online: bool,
}

/// A handle on the running loop. Dropping it stops the loop after its current step.
#[derive(Debug)]
pub struct Runner {
    triggers: mpsc::Sender<Trigger>,
    status: watch::Receiver<SyncStatus>,
    task: JoinHandle<()>,
}

impl Runner {
    /// Starts the loop on the current tokio runtime. It syncs at once (app start).
    pub fn spawn(store: Store, engine: SyncEngine) -> Runner {
        let (triggers, rx) = mpsc::channel(64);
        let pending = store.read().outbox().pending_count().unwrap_or(0);
        let (status_tx, status) = watch::channel(SyncStatus {
            pending,
            online: true,
            ..SyncStatus::default()
        });
        let task = tokio::spawn(run(store, engine, rx, status_tx));
        Runner {
            triggers,
            status,
            task,
        }
    }

    /// Wakes the loop. Never blocks; a full queue already holds a wake-up.
    pub fn trigger(&self, t: Trigger) {
        let _ = self.triggers.try_send(t);
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// Stops the loop and waits for it.
    pub async fn stop(self) {
        drop(self.triggers);
        let _ = self.task.await;
    }
}

/// Jitter needs spread, not quality: a xorshift seeded from the clock, rather than a
/// random-number crate for one number a minute.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

async fn run(
    mut store: Store,
    mut engine: SyncEngine,
    mut triggers: mpsc::Receiver<Trigger>,
    status: watch::Sender<SyncStatus>,
) {
    let mut jitter = Jitter(engine.now().timestamp_nanos_opt().unwrap_or(1) as u64 | 1);
    let mut trigger = Trigger::Start;
    loop {
        match trigger {
            Trigger::NetworkUp => engine.set_online(true),
            Trigger::NetworkDown => engine.set_online(false),
            Trigger::Start | Trigger::Timer | Trigger::LocalWrite | Trigger::Manual => {}
        }
        let decision = match engine.decide(&store, trigger, jitter.next()) {
            Ok(d) => d,
            Err(e) => {
                status.send_modify(|s| s.last_error = Some((e.code(), e.to_string())));
                Decision::WaitUntil(engine.now() + chrono::Duration::seconds(30))
            }
        };
        match decision {
            Decision::SyncNow => {
                status.send_modify(|s| {
                    s.syncing = true;
                    s.progress = None;
                });
                let progress_tx = status.clone();
                let result = engine
                    .sync_once(&mut store, |p| {
                        progress_tx.send_modify(|s| s.progress = Some(p))
                    })
                    .await;
                let pending = store.read().outbox().pending_count().unwrap_or(0);
                let state = engine.state();
                status.send_modify(|s| {
                    s.syncing = false;
                    s.pending = pending;
                    s.last_success = state.last_success;
                    s.online = state.online;
                    s.last_error = result.as_ref().err().map(|e| (e.code(), e.to_string()));
                });
                trigger = Trigger::Timer;
            }
            Decision::WaitUntil(at) => {
                let wait = (at - engine.now()).to_std().unwrap_or_default();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => trigger = Trigger::Timer,
                    t = triggers.recv() => match t {
                        Some(t) => trigger = t,
                        None => return,
                    },
                }
            }
        }
        if triggers.is_closed() {
            return;
        }
    }
}
