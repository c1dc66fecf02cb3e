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
