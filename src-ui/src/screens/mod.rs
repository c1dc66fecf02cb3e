//! One module per screen.

pub mod account;
pub mod accounts;
pub mod first_run;
pub mod route;
pub mod sync;
pub mod today;
