//! The sync contract, end to end: a real server on 127.0.0.1:0 over a real database, and
//! fake devices speaking the wire protocol with reqwest. Every scenario runs on SQLite;
//! on PostgreSQL too when `ROUNDS_TEST_POSTGRES_URL` names a database.
//!
//! Scenarios about sync log "now" on the real clock against a server on the real clock:
//! they hold on any day. Those that read the calendar (the dashboard's periods, quotas,
//! scores) start the server's clock at [`support::TEST_NOW`] instead.
#![allow(clippy::disallowed_methods)]

// The scenarios run on both backends through the server's test kit.
#[macro_use]
extern crate rounds_server_testkit;

mod account_list;
mod attacks;
mod bad_input;
mod capture;
mod columns;
mod contacts;
mod crm_shapes;
mod dashboard;
mod design;
mod geocoding;
mod group_commit;
mod hierarchy;
mod insight;
mod manage;
mod map;
mod operations;
mod photos;
mod places;
mod scenarios;
mod script_import;
mod support;
