//! The sync engine: push the outbox, then pull and apply, reporting progress per page.
//! It only fetches, calls and applies; when to run is the planner's call.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rounds_core::ContentHash;
use rounds_protocol::sync::{BLOB_CHUNK_BYTES, MAX_PUSH_BYTES, MAX_PUSH_MUTATIONS, PushRequest};
use rounds_protocol::week::PlannedWeek;
use rounds_protocol::{ErrorCode, PROTOCOL_VERSION, SCHEMA_VERSION};
use rounds_store::{Store, StoreError, Upload};

use crate::error::ClientError;
use crate::http::ServerApi;
use crate::planner::{self, Decision, SyncState, Trigger};
use crate::rep::{PLANNED_WEEK_KEY, PLANNED_WEEK_SENT_KEY};

/// Where "now" comes from; tests inject their own.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[allow(clippy::disallowed_methods)] // The clock itself reads the system time.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// A clock that reads `at` now and runs on from there at the real pace: a test fixes the
/// day the app lives in ("the 1st of March, 09:00") and it still passes on any other day.
#[allow(clippy::disallowed_methods)] // The clock itself reads the system time.
pub fn clock_starting_at(at: DateTime<Utc>) -> Clock {
    let offset = at - Utc::now();
    Arc::new(move || Utc::now() + offset)
}

/// Progress the UI can show while a sync runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A push round settled `settled` mutations; `pending` remain.
    Pushed { settled: u64, pending: u64 },
    /// Page `page` of the pull was applied.
    Pulled { page: u32, ops: usize, more: bool },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub settled: u64,
    /// Photos whose bytes were settled (stored on the server, or refused by it).
    pub uploaded: u64,
    /// Photos taken elsewhere whose bytes arrived on this device.
    pub fetched: u64,
    pub pages: u32,
    pub ops: usize,
}

/// Photo bytes fetched in one sync at most: a device that gains a territory with years of
/// photos is not held in one sync; the next sync goes on where this one stopped.
pub const FETCH_BYTES_PER_SYNC: u64 = 64 * 1024 * 1024;

/// Pages pulled in one sync at most (two million operations).
const MAX_PAGES_PER_SYNC: u32 = 2_000;

/// JSON overhead of the push envelope, left free under the byte limit.
const ENVELOPE_BYTES: usize = 4 * 1024;

#[derive(Clone)]
pub struct SyncEngine {
    api: ServerApi,
    clock: Clock,
    state: SyncState,
    /// The store was checked for damaged synced rows (once per engine, at its first pull).
    checked_damage: bool,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("api", &self.api)
            .field("state", &self.state)
            .finish()
    }
}

impl SyncEngine {
    /// The engine's clock reading.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn new(api: ServerApi, clock: Clock) -> Self {
        Self {
            api,
            clock,
            state: SyncState {
                online: true,
                ..SyncState::default()
            },
            checked_damage: false,
        }
    }

    pub fn api(&self) -> &ServerApi {
        &self.api
    }

    pub fn api_mut(&mut self) -> &mut ServerApi {
        &mut self.api
    }

    pub fn state(&self) -> SyncState {
        self.state
    }

    pub fn set_online(&mut self, online: bool) {
        self.state.online = online;
    }

    /// What to do next, by the planner's rules.
    pub fn decide(
        &self,
        store: &Store,
        trigger: Trigger,
        jitter: f64,
    ) -> Result<Decision, ClientError> {
        let mut state = self.state;
        state.pending = store.read().outbox().pending_count()?;
        Ok(planner::decide(&state, trigger, (self.clock)(), jitter))
    }

    /// One full sync: push everything queued, then pull until the server has no more.
    /// A failure is remembered for the backoff and returned; whatever was settled before
    /// it stays settled.
    pub async fn sync_once(
        &mut self,
        store: &mut Store,
        mut progress: impl FnMut(Progress),
    ) -> Result<SyncReport, ClientError> {
        self.state.last_attempt = Some((self.clock)());
        let outcome = self.push_then_pull(store, &mut progress).await;
        match &outcome {
            Ok(_) => {
                self.state.failures = 0;
                self.state.last_success = Some((self.clock)());
            }
            Err(_) => self.state.failures = self.state.failures.saturating_add(1),
        }
        self.state.pending = store
            .read()
            .outbox()
            .pending_count()
            .unwrap_or(self.state.pending);
        outcome
    }

    async fn push_then_pull(
        &mut self,
        store: &mut Store,
        progress: &mut impl FnMut(Progress),
    ) -> Result<SyncReport, ClientError> {
        let mut report = SyncReport {
            settled: self.push_all(store, progress).await?,
            ..SyncReport::default()
        };
        // Photos' records are on the server now; their bytes follow.
        report.uploaded = self.upload_photos(store).await?;
        // Downloads never wait for uploads: even a push that settled nothing new is
        // followed by the pull.
        if self.pull_all(store, progress, &mut report).await? > 0 {
            // The server was restored from a backup and lost what it had acknowledged:
            // send it again now, and take it back with the rest.
            report.settled += self.push_all(store, progress).await?;
            self.pull_all(store, progress, &mut report).await?;
        }
        // The rows are in; the pictures they name follow.
        report.fetched = self.fetch_photos(store).await?;
        self.send_planned_week(store).await?;
        Ok(report)
    }

    /// Sends the week the rep was last shown, for their manager, when it is newer than
    /// the one sent before. Its failure is not the sync's: what the rep logged is
    /// settled already, and the next sync tries again (a server too old to know the
    /// route answers 404 every time, harmlessly).
    async fn send_planned_week(&mut self, store: &mut Store) -> Result<(), ClientError> {
        let (week, sent) = {
            let read = store.read();
            let settings = read.settings();
            (
                settings.get::<PlannedWeek>(PLANNED_WEEK_KEY)?,
                settings.get::<DateTime<Utc>>(PLANNED_WEEK_SENT_KEY)?,
            )
        };
        let Some(week) = week.filter(|w| sent.is_none_or(|t| w.planned_at > t)) else {
            return Ok(());
        };
        match self.api.put_planned_week(&week).await {
            Ok(()) => store.set_setting(PLANNED_WEEK_SENT_KEY, &week.planned_at)?,
            // Refused for what it is: sending it again would be refused again.
            Err(ClientError::Api(e))
                if matches!(
                    e.code,
                    ErrorCode::InvalidInput
                        | ErrorCode::MalformedRequest
                        | ErrorCode::PayloadTooLarge
                ) =>
            {
                tracing::warn!(error = %e.message, "the server refused the planned week");
                store.set_setting(PLANNED_WEEK_SENT_KEY, &week.planned_at)?;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the planned week was not sent; next sync tries again");
            }
        }
        Ok(())
    }

    /// Fetches the bytes of photos the server sent and this device lacks, up to
    /// [`FETCH_BYTES_PER_SYNC`], then removes the files of photos the device no longer
    /// holds. A photo whose bytes have not reached the server yet, or whose answer does
    /// not match its hash, is tried again next sync; a network failure stops the sync as
    /// any other call would.
    async fn fetch_photos(&mut self, store: &mut Store) -> Result<u64, ClientError> {
        let mut fetched = 0;
        let mut budget = FETCH_BYTES_PER_SYNC;
        let mut seen = std::collections::HashSet::new();
        let synced = store.read().photos().synced_files()?;
        for (id, hash, size) in synced {
            if store.has_photo_file(&hash) || !seen.insert(hash.clone()) {
                continue;
            }
            if size > budget {
                break;
            }
            budget -= size;
            let bytes = match self.api.photo_bytes(id, size).await {
                Ok(bytes) => bytes,
                Err(ClientError::Api(e)) if e.code == ErrorCode::NotFound => continue,
                Err(e) => return Err(e),
            };
            if store.keep_fetched(&hash, &bytes)? {
                fetched += 1;
            }
        }
        store.prune_photo_files()?;
        Ok(fetched)
    }

    /// Pulls and applies pages until the server has no more. Returns how many of this
    /// device's acknowledged mutations a restored server turned out to have lost (they
    /// are queued again).
    async fn pull_all(
        &mut self,
        store: &mut Store,
        progress: &mut impl FnMut(Progress),
        report: &mut SyncReport,
    ) -> Result<u64, ClientError> {
        let mut lost = 0;
        // Once per start: buckets with rows that no longer read are sent again, one with
        // each page asked for.
        let mut damaged = if self.checked_damage {
            Vec::new()
        } else {
            self.checked_damage = true;
            store.read().damaged_buckets()?
        };
        loop {
            let cursor = store.read().cursor()?;
            let resnapshot = damaged.pop();
            let page = self
                .api
                .pull_resnapshot(cursor.as_deref(), resnapshot.as_deref())
                .await?;
            if page.reset {
                lost += store.requeue_lost(page.last_applied_seq)?;
            }
            let stats = store.apply_pull(&page, (self.clock)())?;
            report.pages += 1;
            report.ops += stats.ops;
            progress(Progress::Pulled {
                page: report.pages,
                ops: stats.ops,
                more: page.has_more,
            });
            // The cap only guards against a server that never says "no more"; the next
            // sync continues from the stored cursor.
            if (!page.has_more && damaged.is_empty()) || report.pages >= MAX_PAGES_PER_SYNC {
                return Ok(lost);
            }
        }
    }

    /// Uploads the bytes of every photo still waiting, each resumed from where the
    /// server's copy ends, in chunks. A photo the server refuses (no record of it there,
    /// not the image it claims) is settled as refused and never blocks the rest; a
    /// network failure stops the sync, to resume next time.
    async fn upload_photos(&mut self, store: &mut Store) -> Result<u64, ClientError> {
        let mut settled = 0;
        let waiting = store.read().photos().waiting()?;
        for (hash, size) in waiting {
            let outcome = match store.photo_bytes(&hash) {
                Ok(bytes) if bytes.len() as u64 == size => {
                    match self.upload_one(&hash, &bytes).await {
                        Ok(()) => Upload::Done,
                        // What the server says of this photo alone; anything else (signed
                        // out, revoked, busy) stops the sync as any other call would.
                        Err(ClientError::Api(e))
                            if matches!(
                                e.code,
                                ErrorCode::NotFound
                                    | ErrorCode::InvalidInput
                                    | ErrorCode::PayloadTooLarge
                            ) =>
                        {
                            Upload::Refused(e.message)
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(_) => Upload::Refused("the photo's file on this device has changed".into()),
                Err(StoreError::NotFound(why)) => Upload::Refused(why),
                Err(e) => return Err(e.into()),
            };
            store.settle_upload(&hash, &outcome)?;
            settled += 1;
        }
        Ok(settled)
    }

    async fn upload_one(&self, hash: &ContentHash, bytes: &[u8]) -> Result<(), ClientError> {
        let mut status = self.api.blob_status(hash.as_str()).await?;
        // A chunk whose answer was lost is not written twice: the server says where its
        // copy ends, and the next chunk starts there. Bounded, against a server that
        // never moves on.
        let mut rounds = 0;
        while !status.complete {
            rounds += 1;
            if rounds > 4 * (bytes.len() / BLOB_CHUNK_BYTES + 2) {
                return Err(ClientError::Network(
                    "the upload of a photo makes no progress".into(),
                ));
            }
            let start = usize::try_from(status.received)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            let end = (start + BLOB_CHUNK_BYTES).min(bytes.len());
            status = self
                .api
                .put_blob_chunk(hash.as_str(), start as u64, bytes[start..end].to_vec())
                .await?;
        }
        Ok(())
    }

    async fn push_all(
        &mut self,
        store: &mut Store,
        progress: &mut impl FnMut(Progress),
    ) -> Result<u64, ClientError> {
        let device_id = store.device_id();
        let mut settled_total = 0;
        let mut requeued = false;
        loop {
            let batch = store
                .read()
                .outbox()
                .next_batch(MAX_PUSH_MUTATIONS, MAX_PUSH_BYTES - ENVELOPE_BYTES)?;
            if batch.is_empty() {
                return Ok(settled_total);
            }
            let seqs: Vec<u64> = batch.iter().map(|e| e.mutation.seq).collect();
            store.mark_in_flight(&seqs)?;
            let req = PushRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: SCHEMA_VERSION,
                device_id,
                mutations: batch.into_iter().map(|e| e.mutation).collect(),
            };
            let res = match self.api.push(&req).await {
                Ok(res) => res,
                Err(e) => {
                    // No receipt: every row goes back to pending, to be sent again.
                    store.record_push_failure(&seqs, &e.to_string())?;
                    return Err(e);
                }
            };
            // An answer from another epoch: the server was restored from a backup.
            let restored = store
                .read()
                .meta()
                .server_epoch()?
                .is_some_and(|e| e != res.epoch);
            let settled = store.record_receipts(&res, (self.clock)())?;
            settled_total += settled;
            let unsettled: Vec<u64> = seqs
                .iter()
                .copied()
                .filter(|s| {
                    store
                        .read()
                        .outbox()
                        .get(*s)
                        .ok()
                        .flatten()
                        .is_some_and(|e| e.state == rounds_store::OutboxState::InFlight)
                })
                .collect();
            if !unsettled.is_empty() {
                store.record_push_failure(&unsettled, "no receipt in the server's answer")?;
            }
            if restored && !requeued {
                // What it acknowledged after its backup is lost: queue it again, in order
                // right after what it has, and go on pushing.
                requeued = true;
                if store.requeue_lost(res.last_applied_seq)? > 0 || settled == 0 {
                    continue;
                }
            }
            let pending = store.read().outbox().pending_count()?;
            progress(Progress::Pushed { settled, pending });
            if settled == 0 {
                // The server settled nothing of a non-empty batch (a gap it wants filled
                // first, or receipts we cannot match): stop rather than spin.
                return Err(ClientError::Api(rounds_protocol::ApiError::new(
                    ErrorCode::SequenceGap,
                    "the server applied none of the queued changes; they stay queued",
                )));
            }
        }
    }
}
