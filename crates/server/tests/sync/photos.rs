//! Photos: the record is applied once like any mutation; the bytes arrive in chunks,
//! resume after a cut, are kept once under their hash, and only as the record declared.

use chrono::Utc;
use rounds_protocol::records::PhotoRecord;
use rounds_protocol::sync::{BLOB_CHUNK_BYTES, BlobStatus, MutationBody};
use rounds_protocol::{AccountId, PhotoId, UserId};
use rounds_server::photos;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::dashboard::Browser;
use crate::support::*;

on_both_backends!(
    threads = 4;
    a_photo_is_recorded_once_and_its_bytes_arrive_in_chunks_once,
    bytes_that_are_not_what_a_photo_declared_are_refused,
    a_photo_for_another_rep_or_an_account_not_held_is_kept_for_review,
    a_photo_reaches_the_devices_that_hold_its_account_and_only_they_read_its_bytes,
);

/// A PNG's signature, then `len - 8` bytes that vary with `seed` (the server checks the
/// signature and the hash, not the picture).
fn png(len: usize, seed: u8) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend((0..len - 8).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    b
}

fn sha(bytes: &[u8]) -> String {
    rounds_core::ContentHash::from_digest(Sha256::digest(bytes).into()).to_string()
}

fn photo_of(account: AccountId, rep: UserId, bytes: &[u8]) -> PhotoRecord {
    PhotoRecord {
        id: PhotoId::from_uuid(Uuid::now_v7()),
        account_id: account,
        activity_id: None,
        rep_id: rep,
        sha256: sha(bytes),
        bytes: bytes.len() as u64,
        content_type: "image/png".into(),
        caption: Some("Shelf by the door".into()),
        taken_at: Utc::now(),
    }
}

async fn status(d: &Device, sha256: &str) -> ApiResult<BlobStatus> {
    let res = d
        .http
        .get(format!("{}/sync/blobs/{sha256}", d.base))
        .bearer_auth(&d.token)
        .send()
        .await
        .expect("request");
    answer(res).await
}

async fn put(d: &Device, sha256: &str, offset: u64, chunk: &[u8]) -> ApiResult<BlobStatus> {
    let res = d
        .http
        .put(format!("{}/sync/blobs/{sha256}?offset={offset}", d.base))
        .bearer_auth(&d.token)
        .header("content-type", "application/octet-stream")
        .body(chunk.to_vec())
        .send()
        .await
        .expect("request");
    answer(res).await
}

async fn answer(res: reqwest::Response) -> ApiResult<BlobStatus> {
    let code = res.status().as_u16();
    let body = res.bytes().await.expect("body");
    if code == 200 {
        Ok(serde_json::from_slice(&body).expect("a blob status"))
    } else {
        Err((
            code,
            serde_json::from_slice(&body).expect("an ApiError answer"),
        ))
    }
}

/// Files under the server's blob directory (whole blobs and partial copies).
fn blob_files(server: &TestServer) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&server.settings.blob_dir(), &mut out);
    out
}

async fn a_photo_is_recorded_once_and_its_bytes_arrive_in_chunks_once(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.pull(None).await.expect("first sync");
    laptop.pull(None).await.expect("first sync");
    let bytes = png(2 * BLOB_CHUNK_BYTES + 1234, 7);
    let rec = photo_of(org.north_accounts[0], org.ana, &bytes);
    let h = rec.sha256.clone();

    // Before its record is in, no byte is taken.
    let refused = put(&phone, &h, 0, &bytes[..100])
        .await
        .expect_err("no record yet");
    assert_eq!(refused.0, 404, "{refused:?}");

    let m = phone.queue(&MutationBody::AttachPhoto { photo: rec.clone() });
    let req = phone.request(vec![m]);
    for _ in 0..2 {
        // The answer is lost and the push sent again: one photo.
        let res = phone.push_request(&req).await.expect("push");
        assert_eq!(
            res.results[0].status,
            rounds_protocol::sync::MutationStatus::Applied
        );
    }
    phone.outbox.clear();
    assert_eq!(server.count("SELECT COUNT(*) FROM photos").await, 1);

    let s = status(&phone, &h).await.expect("status");
    assert_eq!(
        (s.size, s.received, s.complete),
        (bytes.len() as u64, 0, false)
    );
    let first = &bytes[..BLOB_CHUNK_BYTES];
    let s = put(&phone, &h, 0, first).await.expect("first chunk");
    assert_eq!(s.received, BLOB_CHUNK_BYTES as u64);
    // The first chunk again (its answer was lost): not written twice.
    let s = put(&phone, &h, 0, first)
        .await
        .expect("the same chunk again");
    assert_eq!(s.received, BLOB_CHUNK_BYTES as u64, "still one copy of it");
    // A chunk from too far ahead writes nothing; the answer says where to go on from.
    let s = put(
        &phone,
        &h,
        2 * BLOB_CHUNK_BYTES as u64,
        &bytes[2 * BLOB_CHUNK_BYTES..],
    )
    .await
    .expect("a chunk past the end of the copy");
    assert_eq!(s.received, BLOB_CHUNK_BYTES as u64);
    // The upload is cut here; the device asks where it stands and resumes.
    let mut s = status(&phone, &h).await.expect("status after the cut");
    assert_eq!(
        s.received, BLOB_CHUNK_BYTES as u64,
        "resumes from the server's end"
    );
    while !s.complete {
        let start = s.received as usize;
        let end = (start + BLOB_CHUNK_BYTES).min(bytes.len());
        s = put(&phone, &h, start as u64, &bytes[start..end])
            .await
            .expect("chunk");
    }
    assert_eq!(s.received, bytes.len() as u64);
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM photos WHERE received_at IS NOT NULL")
            .await,
        1
    );

    // The same picture attached again from the laptop: a second photo, the bytes once.
    let again = photo_of(org.north_accounts[1], org.ana, &bytes);
    laptop.queue(&MutationBody::AttachPhoto {
        photo: again.clone(),
    });
    laptop.push().await.expect("push");
    let s = status(&laptop, &h).await.expect("status");
    assert!(s.complete, "nothing to send: {s:?}");
    let s = put(&laptop, &h, 0, &bytes[..100])
        .await
        .expect("a needless chunk");
    assert!(s.complete);
    let files = blob_files(&server);
    assert_eq!(files.len(), 1, "one file for one picture: {files:?}");
    assert_eq!(
        std::fs::read(&files[0]).expect("read"),
        bytes,
        "byte for byte"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM photos WHERE received_at IS NOT NULL")
            .await,
        2
    );

    // The manager sees it on the account and gets the bytes as they were taken.
    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let page = maria
        .page(&format!("/dashboard/accounts/{}", org.north_accounts[0]))
        .await;
    assert!(page.contains("Shelf by the door"), "{page}");
    let src = format!("/dashboard/photos/{}", rec.id);
    assert!(page.contains(&src), "{page}");
    let feed = maria.page("/dashboard/activity").await;
    assert!(feed.contains("Photos from reps"), "{feed}");
    assert!(feed.contains(&src), "the feed shows it: {feed}");
    let (code, kind, got) = maria.get_bytes(&src).await;
    assert_eq!((code, kind.as_str()), (200, "image/png"));
    assert_eq!(got, bytes);
    // Not to someone signed out, nor by a made-up id.
    let mut stranger = Browser::new(&server.base);
    let (code, _, got) = stranger.get_bytes(&src).await;
    assert_ne!(code, 200);
    assert_ne!(got, bytes);
    let (code, _, _) = maria
        .get_bytes(&format!("/dashboard/photos/{}", Uuid::now_v7()))
        .await;
    assert_eq!(code, 404);
    let listed = server
        .db
        .read(move |tx| photos::of_account(tx, org.north_accounts[0]))
        .await
        .expect("read");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].received);
}

async fn bytes_that_are_not_what_a_photo_declared_are_refused(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let ben = Device::sign_in(&server.base, "ben@example.com").await;
    ana.pull(None).await.expect("first sync");
    let bytes = png(5_000, 3);
    let rec = photo_of(org.north_accounts[0], org.ana, &bytes);
    let h = rec.sha256.clone();
    ana.queue(&MutationBody::AttachPhoto { photo: rec.clone() });
    ana.push().await.expect("push");

    let cases: Vec<(&str, ApiResult<BlobStatus>, u16)> = vec![
        ("not a hash", put(&ana, "etc-passwd", 0, b"x").await, 400),
        (
            "a hash in capitals",
            put(&ana, &h.to_uppercase(), 0, b"x").await,
            400,
        ),
        // Traversal never reaches a blob: `..` is resolved away, and an encoded `/` is
        // part of the name, which is not a hash.
        (
            "a path out",
            put(&ana, "..%2F..%2Fetc%2Fpasswd", 0, b"x").await,
            400,
        ),
        (
            "another rep's photo",
            put(&ben, &h, 0, &bytes[..100]).await,
            404,
        ),
        (
            "HTML where a PNG was declared",
            put(&ana, &h, 0, b"<html><script>alert(1)</script>").await,
            400,
        ),
        (
            "past the declared size",
            put(&ana, &h, 0, &png(5_001, 3)).await,
            400,
        ),
        (
            "a chunk over the limit",
            put(&ana, &h, 0, &png(BLOB_CHUNK_BYTES + 1, 3)).await,
            413,
        ),
    ];
    for (what, got, want) in cases {
        match got {
            Err((code, e)) => assert_eq!(code, want, "{what}: {e:?}"),
            Ok(s) => panic!("{what} was taken: {s:?}"),
        }
    }
    // Signed out.
    let res = reqwest::Client::new()
        .put(format!("{}/sync/blobs/{h}?offset=0", server.base))
        .body(bytes.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);

    // Bytes of the right size and type that are not the photo: refused whole, and the
    // upload starts over.
    let wrong = png(5_000, 4);
    let (code, e) = put(&ana, &h, 0, &wrong).await.expect_err("not its bytes");
    assert_eq!(code, 400, "{e:?}");
    assert!(e.message.contains("SHA-256"), "{e:?}");
    let s = status(&ana, &h).await.expect("status");
    assert_eq!((s.received, s.complete), (0, false));
    assert!(blob_files(&server).is_empty(), "nothing kept");
    // The real bytes then go in.
    assert!(put(&ana, &h, 0, &bytes).await.expect("the photo").complete);
}

async fn a_photo_for_another_rep_or_an_account_not_held_is_kept_for_review(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    let bytes = png(1_000, 1);
    ana.queue(&MutationBody::AttachPhoto {
        photo: photo_of(org.north_accounts[0], org.ben, &bytes),
    });
    ana.queue(&MutationBody::AttachPhoto {
        photo: photo_of(org.south_accounts[0], org.ana, &bytes),
    });
    let mut svg = photo_of(org.north_accounts[0], org.ana, &bytes);
    svg.content_type = "image/svg+xml".into();
    ana.queue(&MutationBody::AttachPhoto { photo: svg });
    let mut huge = photo_of(org.north_accounts[0], org.ana, &bytes);
    huge.bytes = rounds_core::photo::MAX_PHOTO_BYTES + 1;
    ana.queue(&MutationBody::AttachPhoto { photo: huge });
    let res = ana.push().await.expect("push");
    for r in &res.results {
        assert!(
            matches!(
                r.status,
                rounds_protocol::sync::MutationStatus::Quarantined { .. }
            ),
            "{res:?}"
        );
    }
    assert_eq!(server.count("SELECT COUNT(*) FROM photos").await, 0);
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM mutations WHERE status = 'quarantined' AND kind = 'attach_photo'")
            .await,
        4,
        "kept in the ledger, as sent"
    );
    // And no bytes are taken for them.
    let (code, _) = put(&ana, &sha(&bytes), 0, &bytes)
        .await
        .expect_err("no photo");
    assert_eq!(code, 404);
}

/// The device's copy of a photo's record, if it has one.
fn photo_on(device: &Device, id: PhotoId) -> Option<PhotoRecord> {
    device.rows.values().find_map(|r| match r {
        rounds_protocol::sync::Row::Photo(p) if p.id == id => Some(p.clone()),
        _ => None,
    })
}

/// `GET /sync/photos/{id}`: the bytes and their content type, or the error's status.
async fn download(d: &Device, id: PhotoId) -> Result<(String, Vec<u8>), u16> {
    let res = d
        .http
        .get(format!("{}/sync/photos/{id}", d.base))
        .bearer_auth(&d.token)
        .send()
        .await
        .expect("request");
    let code = res.status().as_u16();
    let mime = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.bytes().await.expect("body").to_vec();
    if code == 200 {
        Ok((mime, body))
    } else {
        Err(code)
    }
}

async fn a_photo_reaches_the_devices_that_hold_its_account_and_only_they_read_its_bytes(
    backend: Backend,
) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    for d in [&mut phone, &mut laptop, &mut ben] {
        d.pull(None).await.expect("first sync");
    }
    let bytes = png(BLOB_CHUNK_BYTES + 99, 3);
    let rec = photo_of(org.north_accounts[0], org.ana, &bytes);
    let m = phone.queue(&MutationBody::AttachPhoto { photo: rec.clone() });
    let req = phone.request(vec![m]);
    phone.push_request(&req).await.expect("push");
    phone.push_request(&req).await.expect("the same push again");
    phone.outbox.clear();

    // The record travels at once, once, as the phone made it (its time to the
    // microsecond, as the server keeps it); the bytes only when they have all arrived.
    let rec_sent = PhotoRecord {
        taken_at: chrono::SubsecRound::trunc_subsecs(rec.taken_at, 6),
        ..rec.clone()
    };
    laptop.pull(None).await.expect("pull");
    assert_eq!(photo_on(&laptop, rec.id), Some(rec_sent.clone()));
    let puts = laptop
        .last_pull
        .iter()
        .flat_map(|p| &p.ops)
        .filter(|op| {
            matches!(
                op,
                rounds_protocol::sync::Op::Put {
                    row: rounds_protocol::sync::Row::Photo(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(puts, 1, "one record, however often it was pushed");
    assert_eq!(
        download(&laptop, rec.id).await,
        Err(404),
        "not uploaded yet"
    );
    put(&phone, &rec.sha256, 0, &bytes[..BLOB_CHUNK_BYTES])
        .await
        .expect("chunk");
    put(
        &phone,
        &rec.sha256,
        BLOB_CHUNK_BYTES as u64,
        &bytes[BLOB_CHUNK_BYTES..],
    )
    .await
    .expect("last chunk");
    assert_eq!(
        download(&laptop, rec.id).await,
        Ok(("image/png".to_owned(), bytes.clone())),
        "the rep's other device reads the picture"
    );

    // Ben holds South: no record, and the id alone reads nothing (as if it did not exist).
    ben.pull(None).await.expect("pull");
    assert_eq!(photo_on(&ben, rec.id), None, "never sent outside North");
    assert_eq!(download(&ben, rec.id).await, Err(404));
    assert_eq!(
        download(&ben, PhotoId::from_uuid(Uuid::now_v7())).await,
        Err(404)
    );
    let bad = ben
        .http
        .get(format!("{}/sync/photos/not-an-id", ben.base))
        .bearer_auth(&ben.token)
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status().as_u16(), 400);
    let anonymous = reqwest::Client::new()
        .get(format!("{}/sync/photos/{}", server.base, rec.id))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status().as_u16(), 401);

    // An app from before photos is never sent a row it cannot read.
    let mut old = Device::sign_in(&server.base, "ana@example.com").await;
    old.schema_version = Some(2);
    old.pull(None).await.expect("first sync of an older app");
    assert!(
        !old.rows
            .keys()
            .any(|(_, t, _)| *t == rounds_protocol::sync::Table::Photo),
        "no photo rows for schema 2"
    );
    assert!(
        old.account(org.north_accounts[0]).is_some(),
        "the rest as before"
    );

    // The account moves to South: its photo goes with it, to Ben and not to Ana.
    let (moved, south) = (org.north_accounts[0], org.south);
    server
        .db
        .write(move |tx| rounds_server::org::assign_account(tx, moved, Some(south), Utc::now()))
        .await
        .expect("moved to South");
    ben.pull(None).await.expect("pull");
    laptop.pull(None).await.expect("pull");
    assert_eq!(
        photo_on(&ben, rec.id),
        Some(rec_sent.clone()),
        "arrives with its account"
    );
    assert_eq!(photo_on(&laptop, rec.id), None, "leaves with its account");
    assert_eq!(download(&ben, rec.id).await.map(|(_, b)| b), Ok(bytes));
    assert_eq!(download(&laptop, rec.id).await, Err(404));
    // A device that starts from nothing gets it in the snapshot.
    let mut fresh = Device::sign_in(&server.base, "ben@example.com").await;
    fresh
        .pull(Some(3))
        .await
        .expect("first sync in small pages");
    assert_eq!(photo_on(&fresh, rec.id), Some(rec_sent));
}
