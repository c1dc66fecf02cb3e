//! Photos on the device: kept in the photos folder under their hash before they are
//! queued, only real JPEG, PNG or WebP images up to the limit, settled by the upload.

use rounds_core::photo::MAX_PHOTO_BYTES;
use rounds_protocol::ActivityId;
use rounds_protocol::sync::MutationBody;
use rounds_store::{NewPhoto, StoreError, Upload};

use crate::fixtures::*;

fn photo(i: usize, bytes: Vec<u8>) -> NewPhoto {
    NewPhoto {
        account_id: account_id(i),
        activity_id: None,
        rep_id: rep(),
        bytes,
        caption: Some("  Storefront  ".into()),
    }
}

fn jpeg(len: usize) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.resize(len, 0x42);
    b
}

#[test]
fn a_photo_is_on_disk_and_queued_in_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let bytes = jpeg(3_000);
    let id = store.attach_photo(photo(1, bytes.clone()), now()).unwrap();

    let listed = store
        .read()
        .photos()
        .of_account(account_id(1), rep())
        .unwrap();
    assert_eq!(listed.len(), 1);
    let p = &listed[0].photo;
    assert_eq!(p.id, id);
    assert_eq!(p.caption.as_deref(), Some("Storefront"), "kept trimmed");
    assert_eq!(p.image_type.mime(), "image/jpeg");
    assert_eq!(listed[0].upload, Upload::Waiting);
    assert_eq!(store.photo_bytes(&p.hash).unwrap(), bytes, "byte for byte");
    assert!(
        store.photos_dir().join(p.hash.as_str()).is_file(),
        "named by its hash"
    );

    let queued = store.read().outbox().all().unwrap();
    assert_eq!(queued.len(), 1);
    let MutationBody::AttachPhoto { photo: rec } = queued[0].mutation.parse_body().unwrap() else {
        panic!("an attach_photo mutation");
    };
    assert_eq!(rec.id, id);
    assert_eq!(rec.sha256, p.hash.as_str());
    assert_eq!(rec.bytes, 3_000);
    assert_eq!(
        store.read().photos().waiting().unwrap(),
        [(p.hash.clone(), 3_000)]
    );

    // The same picture on another account (and on a visit): one file, two photos.
    let visit = ActivityId::from_uuid(uuid::Uuid::now_v7());
    let mut again = photo(2, bytes.clone());
    again.activity_id = Some(visit);
    store.attach_photo(again, now()).unwrap();
    let files = std::fs::read_dir(store.photos_dir()).unwrap().count();
    assert_eq!(files, 1, "one file per picture");
    assert_eq!(
        store.read().photos().waiting().unwrap().len(),
        1,
        "uploaded once for both"
    );

    store.settle_upload(&p.hash, &Upload::Done).unwrap();
    assert!(store.read().photos().waiting().unwrap().is_empty());
    let both = store
        .read()
        .photos()
        .of_account(account_id(2), rep())
        .unwrap();
    assert_eq!(both[0].upload, Upload::Done);
    assert_eq!(both[0].photo.activity, Some(visit));
}

#[test]
fn what_is_not_a_photo_is_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 2);
    let too_big = jpeg(MAX_PHOTO_BYTES as usize + 1);
    let mut long_caption = photo(1, jpeg(100));
    long_caption.caption = Some("x".repeat(201));
    let cases: Vec<(&str, NewPhoto)> = vec![
        ("an empty file", photo(1, Vec::new())),
        (
            "HTML named .jpg",
            photo(1, b"<html><script>x</script></html>".to_vec()),
        ),
        (
            "an SVG",
            photo(1, b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()),
        ),
        ("over the size limit", photo(1, too_big)),
        ("a caption over 200 characters", long_caption),
    ];
    for (what, p) in cases {
        let e = store.attach_photo(p, now()).expect_err(what);
        assert!(matches!(e, StoreError::Invalid(_)), "{what}: {e:?}");
    }
    let e = store
        .attach_photo(photo(99, jpeg(100)), now())
        .expect_err("an account the device does not hold");
    assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
    assert!(
        store.read().outbox().all().unwrap().is_empty(),
        "nothing queued"
    );
    let files = std::fs::read_dir(store.photos_dir()).map_or(0, |d| d.count());
    assert_eq!(files, 0, "nothing written");
}

#[test]
fn a_refused_upload_is_kept_on_the_device_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 2);
    store.attach_photo(photo(1, jpeg(500)), now()).unwrap();
    let (hash, _) = store.read().photos().waiting().unwrap().remove(0);
    store
        .settle_upload(
            &hash,
            &Upload::Refused("no photo of yours names these bytes".into()),
        )
        .unwrap();
    let listed = store
        .read()
        .photos()
        .of_account(account_id(1), rep())
        .unwrap();
    assert_eq!(
        listed[0].upload,
        Upload::Refused("no photo of yours names these bytes".into())
    );
    assert!(store.photo_bytes(&hash).is_ok(), "the bytes stay");
}

/// A photo another device of the rep's took, as the server sends it.
fn synced(i: usize, bytes: &[u8]) -> rounds_protocol::records::PhotoRecord {
    use sha2::Digest as _;
    rounds_protocol::records::PhotoRecord {
        id: rounds_protocol::PhotoId::from_uuid(uuid::Uuid::now_v7()),
        account_id: account_id(i),
        activity_id: None,
        rep_id: rep(),
        sha256: rounds_core::ContentHash::from_digest(sha2::Sha256::digest(bytes).into())
            .to_string(),
        bytes: bytes.len() as u64,
        content_type: "image/jpeg".into(),
        caption: Some("Taken on the laptop".into()),
        taken_at: now() - chrono::Duration::hours(1),
    }
}

fn put_photo(rec: &rounds_protocol::records::PhotoRecord) -> rounds_protocol::sync::Op {
    rounds_protocol::sync::Op::Put {
        bucket: bucket(),
        row: rounds_protocol::sync::Row::Photo(rec.clone()),
    }
}

/// Ages a file past the hour a fresh one is spared by the pruning.
fn age(path: &std::path::Path) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(old)
        .unwrap();
}

#[test]
fn photos_from_the_server_are_listed_fetched_by_hash_and_dropped_with_their_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let own = store.attach_photo(photo(1, jpeg(500)), now()).unwrap();
    let bytes = jpeg(2_000);
    let theirs = synced(1, &bytes);
    store
        .apply_pull(&page(vec![put_photo(&theirs)], "c2"), now())
        .unwrap();

    // Listed with the rep's own, newest first; on the server, not yet on this device.
    let listed = store
        .read()
        .photos()
        .of_account(account_id(1), rep())
        .unwrap();
    let ids: Vec<_> = listed.iter().map(|v| v.photo.id).collect();
    assert_eq!(ids, [own, theirs.id]);
    assert_eq!(listed[1].upload, Upload::Elsewhere);
    assert!(!store.has_photo_file(&listed[1].photo.hash));
    assert_eq!(
        store.read().photos().synced_files().unwrap(),
        [(theirs.id, listed[1].photo.hash.clone(), 2_000)]
    );
    // Not for this device to upload.
    assert_eq!(store.read().photos().waiting().unwrap().len(), 1);

    // Bytes that are not the picture its hash names are not kept.
    let hash = listed[1].photo.hash.clone();
    assert!(!store.keep_fetched(&hash, &jpeg(1_999)).unwrap());
    assert!(!store.has_photo_file(&hash));
    assert!(store.keep_fetched(&hash, &bytes).unwrap());
    assert_eq!(store.photo_bytes(&hash).unwrap(), bytes);

    // Its own photo coming back from the server is listed once, with its upload's state.
    let own_rec = {
        let e = store.read().outbox().all().unwrap().remove(0);
        let MutationBody::AttachPhoto { photo } = e.mutation.parse_body().unwrap() else {
            panic!("an attach_photo mutation");
        };
        photo
    };
    store
        .apply_pull(&page(vec![put_photo(&own_rec)], "c3"), now())
        .unwrap();
    let listed = store
        .read()
        .photos()
        .of_account(account_id(1), rep())
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].upload, Upload::Waiting);

    // The territory goes: the synced photo with it, the rep's own stays to be uploaded.
    store.wipe_bucket(&bucket().0).unwrap();
    assert!(store.read().photos().synced_files().unwrap().is_empty());
    assert_eq!(store.read().photos().waiting().unwrap().len(), 1);
    // A stray file young enough to be a photo being attached right now is spared; the
    // dropped photo's file, once settled, goes; the rep's own never does.
    let stray = store.photos_dir().join("0".repeat(64));
    std::fs::write(&stray, b"half written").unwrap();
    assert_eq!(store.prune_photo_files().unwrap(), 0, "all young");
    for e in std::fs::read_dir(store.photos_dir()).unwrap() {
        age(&e.unwrap().path());
    }
    assert_eq!(store.prune_photo_files().unwrap(), 2);
    assert!(!store.has_photo_file(&hash), "no longer held");
    assert!(!stray.exists());
    assert_eq!(
        store.photo_bytes(&own_rec.sha256.parse().unwrap()).unwrap(),
        jpeg(500)
    );
}
