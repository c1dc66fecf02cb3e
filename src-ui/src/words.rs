//! Every user-facing word for codes and enums. Raw error text never reaches the screen:
//! an error is shown as the words for its code.

use rounds_core::cadence::Status;
use rounds_core::{ActivityKind, CheckIn, Kare, Outcome, Priority, Stage, TouchKind};
use rounds_protocol::ErrorCode;
use rounds_protocol::ipc::{DueFilter, IpcError, IssueKindView, NextDue};

use crate::ipc::NOT_IN_APP;

/// Words for a failure anywhere in the app.
pub fn error(e: &IpcError) -> &'static str {
    if e.code == ErrorCode::Internal && e.detail.as_deref() == Some(NOT_IN_APP) {
        return "Rounds is not running inside the app. Open it from the Rounds app.";
    }
    code(e.code)
}

pub fn code(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidCredentials => "That e-mail and password do not match an account.",
        ErrorCode::Unauthenticated => "You have been signed out. Sign in again.",
        ErrorCode::DeviceRevoked => {
            "This device or account has been switched off. Ask your manager to turn it back on."
        }
        ErrorCode::Forbidden => "You do not have access to this.",
        ErrorCode::MalformedRequest | ErrorCode::InvalidInput => {
            "Something in that was not accepted. Check it and try again."
        }
        ErrorCode::PayloadTooLarge => "That is too large to send.",
        ErrorCode::NotFound => "That is no longer on this device.",
        ErrorCode::Conflict => "That clashes with a change already made.",
        ErrorCode::UpgradeRequired => "This version of Rounds is too old. Update the app.",
        ErrorCode::SequenceGap | ErrorCode::CursorExpired => {
            "Sync has to start over. It will retry by itself."
        }
        ErrorCode::RateLimited => "Too many tries at once. Wait a minute and try again.",
        ErrorCode::Unavailable => "The server is busy. Try again in a moment.",
        ErrorCode::Network => "Cannot reach the server. Check your connection.",
        ErrorCode::StorageFull => "This device is out of storage space. Free some and try again.",
        ErrorCode::QuotaExceeded => {
            "The server holds too much of this device's work for your manager to review. Ask them to review it; nothing leaves this device until then."
        }
        ErrorCode::StorageCorrupt => {
            "The data on this device cannot be read. Contact your administrator."
        }
        ErrorCode::Internal | ErrorCode::Unknown => "Something went wrong. Try again.",
    }
}

/// Sign-in has its own words: the rep is typing a server address and a password.
pub fn sign_in_error(e: &IpcError) -> &'static str {
    match e.code {
        ErrorCode::Network => "Cannot reach the server. Check the address and your connection.",
        ErrorCode::Forbidden => {
            "This app is for reps. Managers sign in to the dashboard in a browser."
        }
        ErrorCode::MalformedRequest | ErrorCode::InvalidInput | ErrorCode::NotFound => {
            "Check the server address."
        }
        ErrorCode::DeviceRevoked => {
            "This account or device has been switched off. Ask your manager to turn it back on."
        }
        ErrorCode::UpgradeRequired => {
            "This version of Rounds is too old for the server. Update the app."
        }
        ErrorCode::RateLimited => "Too many sign-in attempts. Wait a minute and try again.",
        _ => error(e),
    }
}

/// Words for a failed password change.
pub fn password_error(e: &IpcError) -> &'static str {
    match e.code {
        ErrorCode::InvalidCredentials => "The current password is wrong.",
        ErrorCode::InvalidInput => "The new password needs at least 8 characters.",
        ErrorCode::Network => "Changing the password needs a connection to the server.",
        ErrorCode::RateLimited => "Too many tries. Wait a minute and try again.",
        _ => error(e),
    }
}

/// Short words for the sync badge and sync screen.
pub fn sync_error(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Network => "Could not reach the server. It will retry when you are online.",
        ErrorCode::Unavailable | ErrorCode::RateLimited | ErrorCode::Internal => {
            "The server could not sync just now. It will retry by itself."
        }
        other => self::code(other),
    }
}

pub fn status(s: Status) -> String {
    match s {
        Status::NotPlanned => "Not planned".into(),
        Status::Done => "Done".into(),
        Status::OnTrack => "On track".into(),
        Status::DueToday => "Due today".into(),
        Status::Overdue { days: 1 } => "Overdue by 1 day".into(),
        Status::Overdue { days } => format!("Overdue by {days} days"),
        Status::AtRisk { workdays_left: 0 } => "At risk, no workdays left".into(),
        Status::AtRisk { workdays_left: 1 } => "At risk, 1 workday left".into(),
        Status::AtRisk { workdays_left } => format!("At risk, {workdays_left} workdays left"),
    }
}

/// CSS class carrying the status colour.
pub fn status_class(s: Status) -> &'static str {
    match s {
        Status::NotPlanned => "st-none",
        Status::Done => "st-done",
        Status::OnTrack => "st-on-track",
        Status::DueToday => "st-today",
        Status::Overdue { .. } => "st-overdue",
        Status::AtRisk { .. } => "st-risk",
    }
}

/// What an empty Today says comes next: "Next: 3 visits and 1 e-mail due Thursday 19
/// March."
pub fn next_due(next: Option<NextDue>) -> String {
    let Some(n) = next else {
        return "All caught up: nothing more is owed this period.".into();
    };
    let parts: Vec<String> = [
        (TouchKind::Visit, n.visits),
        (TouchKind::Call, n.calls),
        (TouchKind::Email, n.emails),
    ]
    .into_iter()
    .filter(|(_, count)| *count > 0)
    .map(|(kind, count)| touches(kind, count))
    .collect();
    let what = match parts.as_slice() {
        [] => "touches".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    format!("Next: {what} due {}.", crate::format::long_date(n.date))
}

/// "2 visits", "1 call".
pub fn touches(kind: TouchKind, n: u32) -> String {
    let word = if n == 1 {
        kind.singular()
    } else {
        kind.plural()
    };
    format!("{n} {word}")
}

pub fn touch_title(kind: TouchKind) -> &'static str {
    match kind {
        TouchKind::Visit => "Visits",
        TouchKind::Call => "Calls",
        TouchKind::Email => "E-mails",
    }
}

pub fn activity(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Visit => "Visit",
        ActivityKind::Call => "Call",
        ActivityKind::Email => "E-mail",
        ActivityKind::Note => "Note",
    }
}

pub const OUTCOMES: [Outcome; 7] = [
    Outcome::Reached,
    Outcome::LeftMessage,
    Outcome::NoAnswer,
    Outcome::MeetingBooked,
    Outcome::OrderTaken,
    Outcome::NotInterested,
    Outcome::FollowUpNeeded,
];

pub fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Reached => "Reached them",
        Outcome::LeftMessage => "Left a message",
        Outcome::NoAnswer => "No answer",
        Outcome::MeetingBooked => "Meeting booked",
        Outcome::OrderTaken => "Order taken",
        Outcome::NotInterested => "Not interested",
        Outcome::FollowUpNeeded => "Follow-up needed",
    }
}

pub fn check_in(c: CheckIn) -> &'static str {
    match c {
        CheckIn::Inside => "Checked in on site",
        CheckIn::Outside => "Checked in away from the site",
        CheckIn::NoFix => "No location fix",
    }
}

pub fn priority(p: Priority) -> &'static str {
    match p {
        Priority::High => "High",
        Priority::Medium => "Medium",
        Priority::Low => "Low",
    }
}

pub fn priority_class(p: Priority) -> &'static str {
    match p {
        Priority::High => "pri-high",
        Priority::Medium => "pri-medium",
        Priority::Low => "pri-low",
    }
}

pub const STAGES: [Stage; 4] = [
    Stage::Lead,
    Stage::Opportunity,
    Stage::Customer,
    Stage::Lost,
];

pub fn stage(s: Stage) -> &'static str {
    match s {
        Stage::Lead => "Lead",
        Stage::Opportunity => "Opportunity",
        Stage::Customer => "Customer",
        Stage::Lost => "Lost",
    }
}

pub fn kare(k: Kare) -> &'static str {
    match k {
        Kare::Keep => "Keep",
        Kare::Attain => "Attain",
        Kare::Recapture => "Recapture",
        Kare::Expand => "Expand",
    }
}

pub const DUE_FILTERS: [DueFilter; 3] = [DueFilter::Due, DueFilter::OnTrack, DueFilter::Done];

pub fn due_filter(d: DueFilter) -> &'static str {
    match d {
        DueFilter::Due => "Due now",
        DueFilter::OnTrack => "On track",
        DueFilter::Done => "Done",
    }
}

pub fn issue_kind(k: IssueKindView) -> &'static str {
    match k {
        IssueKindView::Rejected => "Not accepted",
        IssueKindView::Quarantined => "Held for review",
        IssueKindView::Conflict => "Replaced by a later change",
    }
}

/// A field name from `pending_fields`, in words.
pub fn field(name: &str) -> String {
    match name {
        "created" => "the new account itself".into(),
        "name" => "name".into(),
        "phone" => "phone".into(),
        "email" => "e-mail".into(),
        "stage" => "stage".into(),
        "priority" => "priority".into(),
        "kare" => "K.A.R.E.".into(),
        "address" | "street" | "city" | "region" | "postal_code" | "country" => "address".into(),
        "location" => "location".into(),
        "revenue" => "revenue".into(),
        "expenses" => "expenses".into(),
        "industry" => "industry".into(),
        "hours" => "opening hours".into(),
        "visit_minutes" => "visit length".into(),
        other => other.replace('_', " "),
    }
}
