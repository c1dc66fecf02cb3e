//! One module per screen.

pub mod account;
pub mod account_edit;
pub mod accounts;
pub mod appointments;
pub mod contacts;
pub mod first_run;
pub mod follow_ups;
pub mod new_lead;
pub mod photos;
pub mod route;
pub mod sync;
pub mod today;
pub mod week;
