//! Proves that `Cursor::decode` never panics on a client-sent cursor, and that a cursor
//! it accepts survives `encode` → `decode` unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rounds_server::pull::Cursor;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cursor) = Cursor::decode(s) else {
        return;
    };
    let again = Cursor::decode(&cursor.encode()).expect("an encoded cursor decodes");
    assert_eq!(cursor, again, "encode/decode changed the cursor");
});
