//! `photos` (local): pictures the rep attached on this device. The bytes are written to
//! the photos folder beside the database, named by their SHA-256, before the photo and
//! its `attach_photo` mutation are queued in one transaction; the sync engine uploads the
//! bytes after the record has been pushed.
//!
//! `synced_photos` (synced): the photos of the accounts the device holds, as the server
//! sends them, whichever device took them. The sync engine fetches their bytes into the
//! same folder (one file per picture, checked against its hash) and removes files no
//! photo the device holds names any more.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rounds_core::photo::{self, ImageType};
use rounds_core::{ContentHash, Photo};
use rounds_protocol::records::PhotoRecord;
use rounds_protocol::sync::MutationBody;
use rounds_protocol::{AccountId, ActivityId, PhotoId, RepId};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use crate::Store;
use crate::error::{Result, StoreError};
use crate::log::{enqueue, new_id, require_account};

/// A photo the rep took or picked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhoto {
    pub account_id: AccountId,
    pub activity_id: Option<ActivityId>,
    pub rep_id: RepId,
    pub bytes: Vec<u8>,
    pub caption: Option<String>,
}

/// How a photo's upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    Waiting,
    Done,
    /// Taken on another device (or by another rep): on the server, nothing for this
    /// device to upload.
    Elsewhere,
    /// The server would not take it (in its words); it stays on this device.
    Refused(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhotoView {
    pub photo: Photo,
    pub upload: Upload,
}

/// A photo whose bytes wait to be uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoUpload {
    pub hash: ContentHash,
    pub bytes: u64,
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy)]
pub struct PhotosRead<'a> {
    conn: &'a Connection,
}

const COLUMNS: &str =
    "id, account_id, activity_id, sha256, bytes, content_type, caption, taken_at, upload";

fn view(r: &rusqlite::Row<'_>, rep: RepId) -> rusqlite::Result<Option<PhotoView>> {
    let id: uuid::Uuid = r.get(0)?;
    let account: uuid::Uuid = r.get(1)?;
    let activity: Option<uuid::Uuid> = r.get(2)?;
    let (sha, bytes, mime, caption, taken, upload): (
        String,
        i64,
        String,
        Option<String>,
        String,
        Option<String>,
    ) = (
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    );
    let (Ok(hash), Ok(image_type), Ok(taken_at)) = (
        sha.parse(),
        ImageType::from_mime(&mime),
        taken.parse::<DateTime<Utc>>(),
    ) else {
        return Ok(None);
    };
    Ok(Some(PhotoView {
        photo: Photo {
            id: PhotoId::from_uuid(id),
            account: AccountId::from_uuid(account),
            activity: activity.map(ActivityId::from_uuid),
            rep,
            hash,
            bytes: u64::try_from(bytes).unwrap_or(0),
            image_type,
            caption,
            taken_at,
        },
        upload: match upload.as_deref() {
            None => Upload::Waiting,
            Some("done") => Upload::Done,
            Some(why) => Upload::Refused(why.to_owned()),
        },
    }))
}

/// A photo the server sent, taken elsewhere.
fn synced_view(data: &str) -> Option<PhotoView> {
    let rec: PhotoRecord = serde_json::from_str(data).ok()?;
    Some(PhotoView {
        photo: Photo::try_from(&rec).ok()?,
        upload: Upload::Elsewhere,
    })
}

/// Writes the photos the server sends.
pub(crate) struct PhotosWrite<'a> {
    pub(crate) tx: &'a Transaction<'a>,
}

impl PhotosWrite<'_> {
    pub fn put(&self, bucket: i64, r: &PhotoRecord) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO synced_photos(id, bucket, account_id, sha256, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                r.id.as_uuid(),
                bucket,
                r.account_id.as_uuid(),
                r.sha256,
                serde_json::to_string(r)?
            ])?;
        Ok(())
    }

    pub fn delete(&self, id: &uuid::Uuid) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM synced_photos WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}

impl<'a> PhotosRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    /// The account's photos, newest first: those taken on this device (`rep`: this
    /// device's rep, who took them) with their upload's state, and those the server sent.
    pub fn of_account(&self, account: AccountId, rep: RepId) -> Result<Vec<PhotoView>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM photos WHERE account_id = ?1 ORDER BY taken_at DESC, id DESC"
        ))?;
        let rows = st.query_map([account.as_uuid()], |r| view(r, rep))?;
        let mut out = Vec::new();
        for r in rows {
            out.extend(r?);
        }
        // A photo of this device's comes back from the server too: shown once, as taken.
        let own: std::collections::HashSet<PhotoId> = out.iter().map(|v| v.photo.id).collect();
        out.extend(
            self.synced(Some(account))?
                .into_iter()
                .filter(|v| !own.contains(&v.photo.id)),
        );
        out.sort_by_key(|v| std::cmp::Reverse((v.photo.taken_at, v.photo.id)));
        Ok(out)
    }

    pub fn get(&self, id: PhotoId, rep: RepId) -> Result<Option<PhotoView>> {
        let found = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM photos WHERE id = ?1"))?
            .query_row([id.as_uuid()], |r| view(r, rep))
            .optional()?;
        if let Some(found) = found.flatten() {
            return Ok(Some(found));
        }
        let synced: Option<String> = self
            .conn
            .prepare_cached("SELECT data FROM synced_photos WHERE id = ?1")?
            .query_row([id.as_uuid()], |r| r.get(0))
            .optional()?;
        Ok(synced.and_then(|data| synced_view(&data)))
    }

    /// The photos the server sent: each record that still reads (a damaged one is left
    /// out, as other synced rows are), with the account they belong to.
    fn synced(&self, account: Option<AccountId>) -> Result<Vec<PhotoView>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT data FROM synced_photos WHERE ?1 IS NULL OR account_id = ?1")?;
        let rows = st.query_map([account.map(|a| *a.as_uuid())], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for data in rows {
            out.extend(synced_view(&data?));
        }
        Ok(out)
    }

    /// Photos the server sent, by id, with their hash and size: the sync engine fetches
    /// the bytes of those not on the device yet.
    pub fn synced_files(&self) -> Result<Vec<(PhotoId, ContentHash, u64)>> {
        Ok(self
            .synced(None)?
            .into_iter()
            .map(|v| (v.photo.id, v.photo.hash, v.photo.bytes))
            .collect())
    }

    /// The hashes any photo on the device names, its own or synced.
    fn named_hashes(&self) -> Result<std::collections::HashSet<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT sha256 FROM photos UNION SELECT sha256 FROM synced_photos")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Photos still waiting to be uploaded, oldest first, each blob once.
    pub fn waiting(&self) -> Result<Vec<(ContentHash, u64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT sha256, max(bytes) FROM photos WHERE upload IS NULL GROUP BY sha256 ORDER BY min(taken_at)",
        )?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for r in rows {
            let (sha, bytes) = r?;
            if let Ok(hash) = sha.parse() {
                out.push((hash, u64::try_from(bytes).unwrap_or(0)));
            }
        }
        Ok(out)
    }
}

/// Writes `bytes` to `path` whole or not at all: a temporary file, synced, then renamed.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = path.with_extension("part");
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

fn io_error(e: std::io::Error) -> StoreError {
    // ENOSPC: the same words as a full database.
    if e.raw_os_error() == Some(28) {
        StoreError::Full
    } else {
        StoreError::Io(e.to_string())
    }
}

impl Store {
    /// The folder photos are kept in, beside the database.
    pub fn photos_dir(&self) -> PathBuf {
        self.path.with_extension("photos")
    }

    fn photo_path(&self, hash: &ContentHash) -> PathBuf {
        self.photos_dir().join(hash.as_str())
    }

    /// Keeps a photo on the device and queues it for the server. Only JPEG, PNG and WebP
    /// (by their bytes, not their name) up to the size limit are taken; the file is on
    /// disk before the photo is queued, so a queued photo always has its bytes.
    pub fn attach_photo(&mut self, new: NewPhoto, now: DateTime<Utc>) -> Result<PhotoId> {
        photo::check_size(new.bytes.len() as u64)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let image_type = ImageType::sniff(&new.bytes).ok_or_else(|| {
            StoreError::Invalid("only JPEG, PNG and WebP photos can be attached".into())
        })?;
        let caption = photo::caption(new.caption.as_deref())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let hash = ContentHash::from_digest(Sha256::digest(&new.bytes).into());
        self.read()
            .accounts()
            .get(new.account_id)?
            .ok_or_else(|| StoreError::NotFound(format!("account {}", new.account_id)))?;
        self.keep_file(&hash, &new.bytes)?;
        let device = *self.device_id.as_uuid();
        let rec = PhotoRecord {
            id: PhotoId::from_uuid(new_id(now)),
            account_id: new.account_id,
            activity_id: new.activity_id,
            rep_id: new.rep_id,
            sha256: hash.to_string(),
            bytes: new.bytes.len() as u64,
            content_type: image_type.mime().to_owned(),
            caption,
            taken_at: now,
        };
        self.write(|w| {
            require_account(w, rec.account_id)?;
            w.tx.prepare_cached(
                "INSERT INTO photos (id, account_id, activity_id, sha256, bytes, content_type, caption, taken_at, upload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL)",
            )?
            .execute(params![
                rec.id.as_uuid(),
                rec.account_id.as_uuid(),
                rec.activity_id.as_ref().map(|a| *a.as_uuid()),
                rec.sha256,
                rec.bytes as i64,
                rec.content_type,
                rec.caption,
                rec.taken_at.to_rfc3339(),
            ])?;
            let id = *rec.id.as_uuid();
            let account = rec.account_id;
            let photo_id = rec.id;
            let body = MutationBody::AttachPhoto { photo: rec };
            enqueue(w, device, &body, "attach_photo", &id, Some(account), now)?;
            Ok(photo_id)
        })
    }

    /// The bytes of a photo kept on this device.
    pub fn photo_bytes(&self, hash: &ContentHash) -> Result<Vec<u8>> {
        fs::read(self.photo_path(hash)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                StoreError::NotFound("the photo's file is gone from this device".into())
            }
            _ => StoreError::Io(e.to_string()),
        })
    }

    /// Whether a photo's bytes are on this device (a synced one's may still be on its way).
    pub fn has_photo_file(&self, hash: &ContentHash) -> bool {
        self.photo_path(hash).is_file()
    }

    /// Keeps bytes fetched from the server for a synced photo, only when they are the
    /// picture its hash names; answers whether they were.
    pub fn keep_fetched(&self, hash: &ContentHash, bytes: &[u8]) -> Result<bool> {
        if ContentHash::from_digest(Sha256::digest(bytes).into()) != *hash {
            return Ok(false);
        }
        self.keep_file(hash, bytes)?;
        Ok(true)
    }

    /// Writes a picture's file under its hash, once: the same picture is one file.
    fn keep_file(&self, hash: &ContentHash, bytes: &[u8]) -> Result<()> {
        let path = self.photo_path(hash);
        if !path.exists() {
            write_whole(&path, bytes).map_err(io_error)?;
        }
        Ok(())
    }

    /// Removes the files of photos the device no longer holds (their account went to
    /// another territory, or was merged away) and unfinished temporary files. A photo of
    /// this device's own is never removed here: its row stays until the app is reset.
    /// Files younger than an hour stay: another connection (the app's, while this one
    /// syncs) writes a photo's file just before its row commits.
    pub fn prune_photo_files(&self) -> Result<usize> {
        const SETTLED: std::time::Duration = std::time::Duration::from_secs(3600);
        let named = self.read().photos().named_hashes()?;
        let entries = match fs::read_dir(self.photos_dir()) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io_error(e)),
        };
        let mut removed = 0;
        for entry in entries {
            let entry = entry.map_err(io_error)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let young = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_none_or(|age| age < SETTLED);
            if !named.contains(&name) && !young {
                fs::remove_file(entry.path()).map_err(io_error)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Where an upload's bytes are read from.
    pub fn photo_upload(&self, hash: &ContentHash, bytes: u64) -> PhotoUpload {
        PhotoUpload {
            hash: hash.clone(),
            bytes,
            path: self.photo_path(hash),
        }
    }

    /// Settles every photo of `hash`: uploaded, or refused with the server's words.
    pub fn settle_upload(&mut self, hash: &ContentHash, outcome: &Upload) -> Result<()> {
        let value = match outcome {
            Upload::Waiting | Upload::Elsewhere => return Ok(()),
            Upload::Done => "done".to_owned(),
            Upload::Refused(why) => why.chars().take(500).collect(),
        };
        self.write(|w| {
            w.tx.prepare_cached(
                "UPDATE photos SET upload = ?1 WHERE sha256 = ?2 AND upload IS NULL",
            )?
            .execute(params![value, hash.as_str()])?;
            Ok(())
        })
    }
}
