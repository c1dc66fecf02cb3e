//! Photos a rep attaches in the field (a shelf, a storefront, a signed form): the bytes are
//! named by their SHA-256, so a retried upload or the same picture attached twice is kept
//! once, and only image types a browser shows safely are taken.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AccountId, ActivityId, PhotoId, RepId};

/// A photo's bytes at most: a phone's full-size JPEG fits, a raw scan does not.
pub const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;
/// At most this many characters in a photo's caption.
pub const MAX_CAPTION_CHARS: usize = 200;

/// The SHA-256 of a photo's bytes, as 64 lowercase hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("not a SHA-256 in hexadecimal: {0:?}")]
    Hash(String),
    #[error("a photo of {0} bytes is larger than the {MAX_PHOTO_BYTES} bytes allowed")]
    TooLarge(u64),
    #[error("an empty file is not a photo")]
    Empty,
    #[error("only JPEG, PNG and WebP photos are taken, not {0:?}")]
    Type(String),
    #[error("the file is not the {0} image it says it is")]
    NotThatType(&'static str),
    #[error("a caption has at most {MAX_CAPTION_CHARS} characters")]
    Caption,
}

impl ContentHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash a SHA-256 digest names (the digest is computed where the bytes are).
    pub fn from_digest(digest: [u8; 32]) -> ContentHash {
        use fmt::Write as _;
        let mut s = String::with_capacity(64);
        for b in digest {
            let _ = write!(s, "{b:02x}");
        }
        ContentHash(s)
    }
}

impl FromStr for ContentHash {
    type Err = PhotoError;
    fn from_str(s: &str) -> Result<Self, PhotoError> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(ContentHash(s.to_owned()))
        } else {
            Err(PhotoError::Hash(s.chars().take(80).collect()))
        }
    }
}

impl TryFrom<String> for ContentHash {
    type Error = PhotoError;
    fn try_from(s: String) -> Result<Self, PhotoError> {
        s.parse()
    }
}

impl From<ContentHash> for String {
    fn from(h: ContentHash) -> String {
        h.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The image types taken: what every browser and webview shows, and nothing that can
/// carry script (no SVG, no HTML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    pub const ALL: [ImageType; 3] = [ImageType::Jpeg, ImageType::Png, ImageType::Webp];

    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Webp => "webp",
        }
    }

    pub fn from_mime(mime: &str) -> Result<Self, PhotoError> {
        let m = mime.trim();
        ImageType::ALL
            .into_iter()
            .find(|t| {
                t.mime().eq_ignore_ascii_case(m) || (m == "image/jpg" && *t == ImageType::Jpeg)
            })
            .ok_or_else(|| PhotoError::Type(m.chars().take(80).collect()))
    }

    /// The type the file's first bytes show, whatever its name or label says.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageType::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageType::Png)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(ImageType::Webp)
        } else {
            None
        }
    }

    /// `head` is this type: a file labelled JPEG that is really HTML is refused.
    pub fn check(self, head: &[u8]) -> Result<(), PhotoError> {
        if ImageType::sniff(head) == Some(self) {
            Ok(())
        } else {
            Err(PhotoError::NotThatType(self.mime()))
        }
    }
}

/// A photo as the domain knows it: which account (and visit) it shows, who took it,
/// and the bytes it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: PhotoId,
    pub account: AccountId,
    /// The visit or other touch it was taken at, if any.
    pub activity: Option<ActivityId>,
    pub rep: RepId,
    pub hash: ContentHash,
    pub bytes: u64,
    pub image_type: ImageType,
    pub caption: Option<String>,
    pub taken_at: DateTime<Utc>,
}

/// A size a photo may have.
pub fn check_size(bytes: u64) -> Result<(), PhotoError> {
    match bytes {
        0 => Err(PhotoError::Empty),
        b if b > MAX_PHOTO_BYTES => Err(PhotoError::TooLarge(b)),
        _ => Ok(()),
    }
}

/// A caption, trimmed; empty is none.
pub fn caption(input: Option<&str>) -> Result<Option<String>, PhotoError> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > MAX_CAPTION_CHARS => Err(PhotoError::Caption),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_64_lowercase_hex_digits() {
        let good = "a".repeat(64);
        assert!(good.parse::<ContentHash>().is_ok());
        for bad in [
            "A".repeat(64),
            "a".repeat(63),
            "a".repeat(65),
            format!("{}g", "a".repeat(63)),
            "../../etc/passwd".into(),
            String::new(),
        ] {
            assert!(bad.parse::<ContentHash>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_first_bytes_decide_the_type() {
        let cases: [(&[u8], Option<ImageType>); 6] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], Some(ImageType::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some(ImageType::Png)),
            (b"RIFF\x10\0\0\0WEBPVP8 ", Some(ImageType::Webp)),
            (b"RIFF\x10\0\0\0WAVEfmt ", None),
            (b"<html><script>", None),
            (b"<svg xmlns=", None),
        ];
        for (head, want) in cases {
            assert_eq!(ImageType::sniff(head), want, "{head:?}");
        }
        assert!(ImageType::Jpeg.check(b"<html>").is_err());
        assert!(ImageType::Png.check(b"\x89PNG\r\n\x1a\n").is_ok());
    }

    #[test]
    fn types_sizes_and_captions() {
        assert_eq!(ImageType::from_mime("image/JPEG"), Ok(ImageType::Jpeg));
        assert_eq!(ImageType::from_mime("image/jpg"), Ok(ImageType::Jpeg));
        assert!(ImageType::from_mime("image/svg+xml").is_err());
        assert!(ImageType::from_mime("text/html").is_err());
        assert_eq!(check_size(0), Err(PhotoError::Empty));
        assert!(check_size(MAX_PHOTO_BYTES).is_ok());
        assert_eq!(
            check_size(MAX_PHOTO_BYTES + 1),
            Err(PhotoError::TooLarge(MAX_PHOTO_BYTES + 1))
        );
        assert_eq!(caption(Some("  ")), Ok(None));
        assert_eq!(caption(Some(" Shelf ")), Ok(Some("Shelf".into())));
        assert!(caption(Some(&"x".repeat(MAX_CAPTION_CHARS + 1))).is_err());
    }
}
