//! The whole loop with real parts: the device's SQLite store and sync engine against the
//! real server (on 127.0.0.1:0, its own SQLite file) seeded with the demo organisation.
//! A rep logs offline, it reaches the server exactly once, and a device only ever holds
//! its own territory.

mod reassign;
mod resume;
// Shared with the fault, app and dashboard tests, which use parts these tests do not.
#[allow(dead_code)]
mod support;
mod the_app;
mod the_loop;
