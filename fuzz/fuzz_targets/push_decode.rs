//! Proves that no push body, however malformed, panics the server's decoding and checks:
//! JSON → `PushRequest`, `push::validate`, each mutation's `parse_body` and activity checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rounds_protocol::sync::{MutationBody, PushRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    let _ = rounds_server::push::validate(&req);
    for m in &req.mutations {
        // What push does with a body before touching the database.
        if let Ok(MutationBody::LogActivity { activity }) = m.parse_body() {
            let _ = rounds_core::Activity::try_from(&activity);
        }
    }
});
