//! Photos: the record a device pushes ([`MutationBody::AttachPhoto`], applied by
//! [`crate::push`]) and the bytes it then uploads in chunks, resumably, into the blob
//! store. The server takes bytes only for a hash a photo of the uploader's names, up to
//! the size that photo declared, and of the image type it declared: an upload is never a
//! way to store arbitrary files.
//!
//! [`MutationBody::AttachPhoto`]: rounds_protocol::sync::MutationBody::AttachPhoto

use std::sync::Arc;

use chrono::{DateTime, SubsecRound as _, Utc};
use rounds_core::{ContentHash, ImageType};
use rounds_protocol::records::PhotoRecord;
use rounds_protocol::sync::{BLOB_CHUNK_BYTES, BlobStatus, Row as SyncRow};
use rounds_protocol::{AccountId, ActivityId, DeviceId, ErrorCode, PhotoId, TerritoryId, UserId};

use crate::auth;
use crate::blobs::{BlobStore, Sealed};
use crate::changelog;
use crate::db::{DbError, FromRow, Row, Sql, Tx, query_as, query_opt_as};
use crate::state::AppState;
use crate::{Error, Result, params, time};

/// A photo as the server keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRow {
    pub id: PhotoId,
    pub account_id: AccountId,
    pub activity_id: Option<ActivityId>,
    pub rep_id: UserId,
    pub sha256: String,
    pub bytes: u64,
    pub content_type: String,
    pub caption: Option<String>,
    pub taken_at: DateTime<Utc>,
    /// Its bytes have all arrived and matched their hash.
    pub received: bool,
}

const COLUMNS: &str = "id, account_id, activity_id, rep_id, sha256, bytes, content_type, caption, taken_at, received_at";

impl FromRow for PhotoRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        Ok(PhotoRow {
            id: r.parse("id")?,
            account_id: r.parse("account_id")?,
            activity_id: r.opt_parse("activity_id")?,
            rep_id: r.parse("rep_id")?,
            sha256: r.text("sha256")?,
            bytes: u64::try_from(r.int("bytes")?).unwrap_or(0),
            content_type: r.text("content_type")?,
            caption: r.opt_text("caption")?,
            taken_at: time::parse(&r.text("taken_at")?)
                .ok_or_else(|| DbError::Decode("photos.taken_at is not an instant".into()))?,
            received: r.opt_text("received_at")?.is_some(),
        })
    }
}

impl PhotoRow {
    /// The record the rep's devices receive.
    pub fn record(&self) -> PhotoRecord {
        PhotoRecord {
            id: self.id,
            account_id: self.account_id,
            activity_id: self.activity_id,
            rep_id: self.rep_id,
            sha256: self.sha256.clone(),
            bytes: self.bytes,
            content_type: self.content_type.clone(),
            caption: self.caption.clone(),
            taken_at: self.taken_at,
        }
    }
}

/// Records a photo the first time its id arrives (a second copy is a no-op) and sends
/// its record to the devices that hold its account. Its bytes count as received when the
/// device next asks for the upload's status (at once, when the blob store already holds
/// the same picture).
pub fn insert(
    tx: &mut Tx<'_>,
    rec: &PhotoRecord,
    territory: Option<TerritoryId>,
    device: DeviceId,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.exec(
        "INSERT INTO photos (id, account_id, activity_id, rep_id, device_id, sha256, bytes, content_type, caption, taken_at, recorded_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL) ON CONFLICT (id) DO NOTHING",
        params![
            rec.id,
            rec.account_id,
            rec.activity_id,
            rec.rep_id,
            device,
            rec.sha256.as_str(),
            rec.bytes,
            rec.content_type.as_str(),
            rec.caption.as_deref(),
            time::text(rec.taken_at),
            time::text(now)
        ],
    )?;
    if let Some(b) = changelog::territory_bucket(territory) {
        // As stored (to the microsecond), so every device and every later snapshot or
        // move sends the same record.
        let mut sent = rec.clone();
        sent.taken_at = rec.taken_at.trunc_subsecs(6);
        changelog::put(tx, &b, &SyncRow::Photo(sent))?;
    }
    Ok(())
}

/// Whether a photo of this id is recorded.
pub fn exists(tx: &mut dyn Sql, id: PhotoId) -> Result<bool> {
    Ok(tx
        .query_opt("SELECT 1 AS one FROM photos WHERE id = $1", params![id])?
        .is_some())
}

/// The photos of an account, newest first.
pub fn of_account(tx: &mut dyn Sql, account: AccountId) -> Result<Vec<PhotoRow>> {
    Ok(query_as(
        tx,
        &format!(
            "SELECT {COLUMNS} FROM photos WHERE account_id = $1 ORDER BY taken_at DESC, id DESC"
        ),
        params![account],
    )?)
}

/// The photos of a territory's accounts after `after` by id, for a pull's snapshot.
pub fn in_territory(
    tx: &mut dyn Sql,
    territory: TerritoryId,
    after: &str,
    limit: usize,
) -> Result<Vec<PhotoRow>> {
    Ok(query_as(
        tx,
        &format!(
            "SELECT {COLUMNS} FROM photos
             WHERE account_id IN (SELECT id FROM accounts WHERE territory_id = $1)
               AND id > $2 ORDER BY id LIMIT $3"
        ),
        params![territory, after, limit],
    )?)
}

pub fn get(tx: &mut dyn Sql, id: PhotoId) -> Result<Option<PhotoRow>> {
    Ok(query_opt_as(
        tx,
        &format!("SELECT {COLUMNS} FROM photos WHERE id = $1"),
        params![id],
    )?)
}

/// The bytes of a photo whose record the caller may already see, if they have arrived.
pub async fn bytes(state: &AppState, photo: &PhotoRow) -> Result<Option<Vec<u8>>> {
    let hash: ContentHash = photo
        .sha256
        .parse()
        .map_err(|e| Error::Internal(format!("photo {}: {e}", photo.id)))?;
    let blobs = state.blobs.clone();
    blocking(move || blobs.read(&hash)).await
}

/// A photo's bytes for one of the caller's devices: only a photo of an account in a
/// territory the caller may see now, and only once all its bytes have arrived. Any other
/// id is answered as unknown, so an id says nothing of a territory the caller does not hold.
pub async fn download(state: &AppState, token: &str, id: &str) -> Result<(ImageType, Vec<u8>)> {
    let unknown = || Error::client(ErrorCode::NotFound, "no such photo, or not yet uploaded");
    let id: PhotoId = id
        .parse()
        .map_err(|_| Error::client(ErrorCode::MalformedRequest, format!("{id:?} is not an id")))?;
    let (token, now) = (token.to_owned(), state.settings.clock.now());
    let photo = state
        .db
        .read(move |tx| {
            let caller = auth::authenticate(tx, &token, now)?;
            let Some(photo) = get(tx, id)? else {
                return Ok(None);
            };
            let territory: Option<TerritoryId> = tx
                .query_one(
                    "SELECT territory_id FROM accounts WHERE id = $1",
                    params![photo.account_id],
                )?
                .opt_parse("territory_id")?;
            let held = crate::pull::allowed_buckets(tx, &caller)?;
            Ok::<_, Error>(
                changelog::territory_bucket(territory)
                    .filter(|b| held.contains_key(&b.0))
                    .map(|_| photo),
            )
        })
        .await?
        .filter(|p| p.received)
        .ok_or_else(unknown)?;
    let image_type =
        ImageType::from_mime(&photo.content_type).map_err(|e| Error::Internal(e.to_string()))?;
    let bytes = bytes(state, &photo).await?.ok_or_else(unknown)?;
    Ok((image_type, bytes))
}

/// What the uploader must match: the size and type its photo declared for the hash.
struct Declared {
    size: u64,
    image_type: ImageType,
}

fn parse_hash(sha256: &str) -> Result<ContentHash> {
    sha256.parse().map_err(|e: rounds_core::photo::PhotoError| {
        Error::client(ErrorCode::InvalidInput, e.to_string())
    })
}

/// The caller and what their photos declare for `hash`: refused when no photo of the
/// caller's names it.
async fn declared(
    state: &AppState,
    token: &str,
    hash: &ContentHash,
) -> Result<(auth::Caller, Declared)> {
    let (token, h, now) = (
        token.to_owned(),
        hash.to_string(),
        state.settings.clock.now(),
    );
    state
        .db
        .read(move |tx| {
            let caller = auth::authenticate(tx, &token, now)?;
            let row = tx.query_opt(
                "SELECT bytes, content_type FROM photos WHERE sha256 = $1 AND rep_id = $2
                 ORDER BY recorded_at LIMIT 1",
                params![h, caller.user],
            )?;
            let Some(row) = row else {
                return Err(Error::client(
                    ErrorCode::NotFound,
                    "no photo of yours names these bytes: push the photo's record first",
                ));
            };
            let image_type = ImageType::from_mime(&row.text("content_type")?)
                .map_err(|e| Error::Internal(e.to_string()))?;
            Ok((
                caller,
                Declared {
                    size: u64::try_from(row.int("bytes")?).unwrap_or(0),
                    image_type,
                },
            ))
        })
        .await
}

/// Where the caller's upload of `sha256` stands.
pub async fn status(state: &AppState, token: &str, sha256: &str) -> Result<BlobStatus> {
    let hash = parse_hash(sha256)?;
    let (caller, d) = declared(state, token, &hash).await?;
    let blobs = state.blobs.clone();
    let h = hash.clone();
    let (complete, received) = blocking(move || {
        let upload = caller.device.to_string();
        if blobs.contains(&h)? {
            drop_partial(blobs.as_ref(), &h, &upload)?;
            return Ok((true, 0));
        }
        Ok((false, blobs.received(&h, &upload)?))
    })
    .await?;
    if complete {
        mark_received(state, &hash).await?;
    }
    Ok(BlobStatus {
        sha256: hash.to_string(),
        size: d.size,
        received: if complete { d.size } else { received },
        complete,
    })
}

/// Takes the chunk of `sha256` that starts at `offset`. A chunk at another offset than
/// the end of what the server holds (a retry whose answer was lost) writes nothing; the
/// answer says where to go on from. The last chunk seals the blob: its bytes must match
/// their hash, or the upload starts over.
pub async fn put_chunk(
    state: &AppState,
    token: &str,
    sha256: &str,
    offset: u64,
    chunk: bytes::Bytes,
) -> Result<BlobStatus> {
    let hash = parse_hash(sha256)?;
    if chunk.len() > BLOB_CHUNK_BYTES {
        return Err(Error::client(
            ErrorCode::PayloadTooLarge,
            format!("a chunk carries at most {BLOB_CHUNK_BYTES} bytes"),
        ));
    }
    let (caller, d) = declared(state, token, &hash).await?;
    let answer = |received: u64, complete: bool| BlobStatus {
        sha256: hash.to_string(),
        size: d.size,
        received,
        complete,
    };
    let end = offset.saturating_add(chunk.len() as u64);
    if end > d.size {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            format!(
                "the chunk ends at byte {end}, past the {} bytes the photo declared",
                d.size
            ),
        ));
    }
    if offset == 0 && !chunk.is_empty() {
        d.image_type
            .check(&chunk)
            .map_err(|e| Error::client(ErrorCode::InvalidInput, format!("refused: {e}")))?;
    }
    let blobs: Arc<dyn BlobStore> = state.blobs.clone();
    let (h, upload, size) = (hash.clone(), caller.device.to_string(), d.size);
    let outcome = blocking(move || {
        if blobs.contains(&h)? {
            drop_partial(blobs.as_ref(), &h, &upload)?;
            return Ok(Outcome::Complete);
        }
        let held = blobs.append(&h, &upload, offset, &chunk)?;
        if held != size {
            return Ok(Outcome::Partial(held));
        }
        Ok(match blobs.seal(&h, &upload)? {
            Sealed::Stored => Outcome::Complete,
            Sealed::Mismatch => Outcome::Mismatch,
        })
    })
    .await?;
    match outcome {
        Outcome::Partial(held) => Ok(answer(held, false)),
        Outcome::Complete => {
            mark_received(state, &hash).await?;
            Ok(answer(d.size, true))
        }
        Outcome::Mismatch => Err(Error::client(
            ErrorCode::InvalidInput,
            "the bytes sent do not match their SHA-256; send them again from the start",
        )),
    }
}

/// The caller's partial copy of a blob another upload completed: no longer needed.
fn drop_partial(blobs: &dyn BlobStore, hash: &ContentHash, upload: &str) -> std::io::Result<()> {
    if blobs.received(hash, upload)? > 0 {
        // Sealing a stored blob discards the partial copy.
        blobs.seal(hash, upload)?;
    }
    Ok(())
}

enum Outcome {
    Partial(u64),
    Complete,
    Mismatch,
}

/// Every photo naming `hash` has its bytes now (one write that finds nothing to do once
/// they are all marked).
async fn mark_received(state: &AppState, hash: &ContentHash) -> Result<()> {
    let (h, now) = (hash.to_string(), time::text(state.settings.clock.now()));
    state
        .db
        .write(move |tx| {
            tx.exec(
                "UPDATE photos SET received_at = $1 WHERE sha256 = $2 AND received_at IS NULL",
                params![now.as_str(), h.as_str()],
            )?;
            Ok::<_, Error>(())
        })
        .await
}

/// File work off the async threads; a failing disk (full, read-only) is answered
/// `unavailable`, so the device keeps its copy and tries again later.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "blob store");
            Err(Error::retry_later(
                ErrorCode::Unavailable,
                "the server cannot store photos right now; the device keeps them and retries",
                std::time::Duration::from_secs(60),
            ))
        }
        Err(e) => Err(Error::Internal(format!("blob task: {e}"))),
    }
}
