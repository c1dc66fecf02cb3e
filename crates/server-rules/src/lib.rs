//! rounds-server-rules: everything the server decides, with one function for each rule.
//! Sign-in and devices ([`auth`]), push exactly once ([`push`]), pull by territory bucket
//! ([`pull`]) over the [`changelog`], field merge ([`fields`]), organisation changes
//! ([`org`], [`manage`]), what a manager reviews ([`review`]), and import ([`import`]).
//! It speaks to the database through `rounds-server-db` and knows nothing of HTTP: the
//! server binary maps these functions and their [`Error`]s onto routes and answers.

pub mod account_list;
pub mod appointments;
pub mod auth;
pub mod backup;
pub mod blobs;
pub mod boundaries;
pub mod calendar;
pub mod changelog;
pub mod crm;
pub mod crm_export;
pub mod design;
pub mod error;
pub mod feed;
pub mod fields;
pub mod history;
pub mod import;
pub mod manage;
pub mod merge;
pub mod org;
pub mod photos;
pub mod places;
pub mod planned_weeks;
pub mod pull;
pub mod push;
pub mod quotas;
pub mod regions;
pub mod review;
pub mod scenarios;
pub mod scope;
pub mod sessions;
pub mod settings;
pub mod stage;
pub mod state;
pub mod throttle;
pub mod units;

// The storage seam, under the names the rules use for it.
use rounds_server_db as db;
use rounds_server_db::{params, time};

pub use error::{Error, Result};
pub use settings::Settings;
