//! The blob store: photos' bytes, named by their SHA-256. One seam ([`BlobStore`]) with
//! one implementation on the server's filesystem ([`FsBlobs`]); an S3-compatible store
//! would be a second implementation (a partial upload maps onto a multipart upload, a
//! sealed blob onto an object named by its hash), chosen in `AppState::new`.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use rounds_core::ContentHash;
use sha2::{Digest, Sha256};

/// How a partial upload ended when it was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    /// The bytes matched their hash and are stored under it.
    Stored,
    /// They did not: the partial copy is discarded, to be sent again from the start.
    Mismatch,
}

/// Where blobs are kept. `upload` names one uploader's partial copy (the device), so two
/// devices sending the same photo never write into each other's bytes.
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Whether the whole blob is stored.
    fn contains(&self, hash: &ContentHash) -> io::Result<bool>;
    /// Bytes of `upload`'s partial copy so far (0: none).
    fn received(&self, hash: &ContentHash, upload: &str) -> io::Result<u64>;
    /// Appends `bytes` to `upload`'s partial copy if it now holds exactly `offset` bytes;
    /// returns how many it holds afterwards (unchanged when `offset` was not its end).
    fn append(
        &self,
        hash: &ContentHash,
        upload: &str,
        offset: u64,
        bytes: &[u8],
    ) -> io::Result<u64>;
    /// Checks `upload`'s partial copy against `hash`: stored under it when it matches,
    /// discarded when not.
    fn seal(&self, hash: &ContentHash, upload: &str) -> io::Result<Sealed>;
    /// The whole blob, if stored.
    fn read(&self, hash: &ContentHash) -> io::Result<Option<Vec<u8>>>;
    /// Removes partial copies not written to since `before` (uploads given up on: a
    /// device wiped mid-upload); answers how many. A device that does come back starts
    /// that upload over. (On S3: a lifecycle rule that aborts stale multipart uploads.)
    fn sweep_partials(&self, before: SystemTime) -> io::Result<usize>;
}

/// Blobs as files: `sha256/ab/abcdef…` for whole blobs, `partial/<hash>.<upload>` while
/// they arrive. A blob is renamed into place only after its bytes were synced to disk
/// and matched their hash, so a crash leaves a partial copy (resumed) or a whole blob,
/// never a torn one under its name.
#[derive(Debug)]
pub struct FsBlobs {
    root: PathBuf,
    /// Appends and seals, one at a time in this process (each is a few hundred
    /// kilobytes at most).
    lock: Mutex<()>,
}

impl FsBlobs {
    pub fn new(root: impl Into<PathBuf>) -> FsBlobs {
        FsBlobs {
            root: root.into(),
            lock: Mutex::new(()),
        }
    }

    fn whole(&self, hash: &ContentHash) -> PathBuf {
        let h = hash.as_str();
        self.root.join("sha256").join(&h[..2]).join(h)
    }

    fn partial(&self, hash: &ContentHash, upload: &str) -> PathBuf {
        // `upload` is a device id (a UUID); anything else is kept to safe characters.
        let upload: String = upload
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(64)
            .collect();
        self.root.join("partial").join(format!("{hash}.{upload}"))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic while holding it leaves no state behind but the files themselves.
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn len_or_zero(path: &Path) -> io::Result<u64> {
    match fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

impl BlobStore for FsBlobs {
    fn contains(&self, hash: &ContentHash) -> io::Result<bool> {
        Ok(fs::metadata(self.whole(hash)).is_ok_and(|m| m.is_file()))
    }

    fn received(&self, hash: &ContentHash, upload: &str) -> io::Result<u64> {
        len_or_zero(&self.partial(hash, upload))
    }

    fn append(
        &self,
        hash: &ContentHash,
        upload: &str,
        offset: u64,
        bytes: &[u8],
    ) -> io::Result<u64> {
        let _one = self.guard();
        let path = self.partial(hash, upload);
        let held = len_or_zero(&path)?;
        if held != offset {
            return Ok(held);
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut f = OpenOptions::new().create(true).append(true).open(&path)?;
        if let Err(e) = f.write_all(bytes).and_then(|()| f.sync_data()) {
            // A full disk may leave part of the chunk: cut back to what was acknowledged.
            let _ = f.set_len(held);
            return Err(e);
        }
        Ok(held + bytes.len() as u64)
    }

    fn seal(&self, hash: &ContentHash, upload: &str) -> io::Result<Sealed> {
        let _one = self.guard();
        let path = self.partial(hash, upload);
        let whole = self.whole(hash);
        if whole.is_file() {
            // A twin request sealed it first (a retried last chunk).
            if path.exists() {
                fs::remove_file(&path)?;
            }
            return Ok(Sealed::Stored);
        }
        let mut f = File::open(&path)?;
        let mut sha = Sha256::new();
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            sha.update(&buf[..n]);
        }
        if ContentHash::from_digest(sha.finalize().into()) != *hash {
            fs::remove_file(&path)?;
            return Ok(Sealed::Mismatch);
        }
        if let Some(dir) = whole.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::rename(&path, &whole)?;
        if let Some(dir) = whole.parent() {
            // The rename is durable once its directory is synced.
            File::open(dir)?.sync_all()?;
        }
        Ok(Sealed::Stored)
    }

    fn read(&self, hash: &ContentHash) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.whole(hash)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn sweep_partials(&self, before: SystemTime) -> io::Result<usize> {
        let _one = self.guard();
        let entries = match fs::read_dir(self.root.join("partial")) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_file() && meta.modified()? < before {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// The SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> ContentHash {
    ContentHash::from_digest(Sha256::digest(bytes).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_arrives_in_chunks_resumes_and_is_kept_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobs::new(dir.path());
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let hash = sha256(&bytes);
        assert_eq!(blobs.append(&hash, "dev", 0, &bytes[..400]).unwrap(), 400);
        // A chunk sent again (its answer was lost) is not written twice.
        assert_eq!(blobs.append(&hash, "dev", 0, &bytes[..400]).unwrap(), 400);
        // Another device's copy is its own.
        assert_eq!(blobs.received(&hash, "other").unwrap(), 0);
        assert_eq!(
            blobs.append(&hash, "dev", 400, &bytes[400..]).unwrap(),
            1000
        );
        assert!(!blobs.contains(&hash).unwrap());
        assert_eq!(blobs.seal(&hash, "dev").unwrap(), Sealed::Stored);
        assert!(blobs.contains(&hash).unwrap());
        assert_eq!(blobs.read(&hash).unwrap().unwrap(), bytes);
        assert_eq!(blobs.received(&hash, "dev").unwrap(), 0);
    }

    #[test]
    fn bytes_that_do_not_match_their_hash_are_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobs::new(dir.path());
        let hash = sha256(b"the real photo");
        blobs.append(&hash, "dev", 0, b"something else").unwrap();
        assert_eq!(blobs.seal(&hash, "dev").unwrap(), Sealed::Mismatch);
        assert!(!blobs.contains(&hash).unwrap());
        assert_eq!(blobs.received(&hash, "dev").unwrap(), 0);
        assert_eq!(blobs.read(&hash).unwrap(), None);
    }

    #[test]
    fn an_upload_name_cannot_leave_the_partial_directory() {
        let blobs = FsBlobs::new("/blobs");
        let hash = sha256(b"x");
        let p = blobs.partial(&hash, "../../etc/passwd");
        assert!(p.starts_with("/blobs/partial"), "{}", p.display());
        assert!(!p.to_string_lossy().contains(".."));
    }

    #[test]
    fn only_partial_copies_left_alone_for_long_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobs::new(dir.path());
        let (old, fresh, whole) = (sha256(b"old"), sha256(b"fresh"), sha256(b"whole"));
        blobs.append(&old, "dev", 0, b"ol").unwrap();
        blobs.append(&fresh, "dev", 0, b"fr").unwrap();
        blobs.append(&whole, "dev", 0, b"whole").unwrap();
        blobs.seal(&whole, "dev").unwrap();
        let week_ago = SystemTime::now() - std::time::Duration::from_secs(8 * 24 * 3600);
        File::options()
            .write(true)
            .open(blobs.partial(&old, "dev"))
            .unwrap()
            .set_modified(week_ago)
            .unwrap();
        let cutoff = SystemTime::now() - std::time::Duration::from_secs(7 * 24 * 3600);
        assert_eq!(blobs.sweep_partials(cutoff).unwrap(), 1);
        assert_eq!(blobs.received(&old, "dev").unwrap(), 0, "given up on: gone");
        assert_eq!(
            blobs.received(&fresh, "dev").unwrap(),
            2,
            "still arriving: kept"
        );
        assert!(
            blobs.contains(&whole).unwrap(),
            "whole blobs are never swept"
        );
        assert_eq!(blobs.sweep_partials(cutoff).unwrap(), 0);
    }

    #[test]
    fn sha256_of_a_known_string() {
        assert_eq!(
            sha256(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
