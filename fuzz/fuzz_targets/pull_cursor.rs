//! Proves that `Cursor::decode` never panics on a client-sent cursor, and that a cursor
//! it accepts survives `encode` → `decode` unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rounds_protocol::DeviceId;
use rounds_server::pull::Cursor;

const KEY: &[u8] = b"a fuzzing key";

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let device = DeviceId::from_uuid(uuid::Uuid::from_u128(7));
    let Ok(Some(cursor)) = Cursor::decode(s, KEY, device) else {
        return;
    };
    let again = Cursor::decode(&cursor.encode(KEY, device), KEY, device)
        .expect("an encoded cursor decodes")
        .expect("and its signature holds");
    assert_eq!(cursor, again, "encode/decode changed the cursor");
});
