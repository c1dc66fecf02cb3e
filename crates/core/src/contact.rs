//! Contacts: the people a rep talks to at an account.

use serde::{Deserialize, Serialize};

use crate::id::{AccountId, ContactId};
use crate::value::{Email, Phone};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    /// The person a quick action calls or mails when none is chosen.
    pub primary: bool,
}
