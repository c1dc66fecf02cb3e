//! The contract between the app's UI and its shell: one command name and one request and
//! answer type per screen action. The UI (wasm) and the shell (native) both compile these
//! types, so a renamed field breaks the build, not the running app.
//!
//! Failures carry an [`ErrorCode`]; the UI words them itself and never shows raw text.

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core::cadence::Status;
use rounds_core::{
    ActivityKind, CheckIn, Kare, LatLon, Outcome, Priority, Stage, TouchKind, VisitState,
};
use serde::{Deserialize, Serialize};

use crate::{AccountId, ActivityId, AppointmentId, ContactId, ErrorCode, FollowUpId, PhotoId};

/// Command names, as the shell registers them.
pub mod command {
    pub const SESSION: &str = "session";
    pub const SIGN_IN: &str = "sign_in";
    pub const OPEN_DEMO: &str = "open_demo";
    pub const SIGN_OUT: &str = "sign_out";
    pub const TODAY: &str = "today";
    pub const PLAN_DAY: &str = "plan_day";
    pub const PLAN_WEEK: &str = "plan_week";
    pub const ACCOUNTS: &str = "accounts";
    pub const ACCOUNT: &str = "account";
    pub const LOG_ACTIVITY: &str = "log_activity";
    pub const AMEND_ACTIVITY: &str = "amend_activity";
    pub const UNDO_ACTIVITY: &str = "undo_activity";
    pub const SYNC_STATUS: &str = "sync_status";
    pub const SYNC_NOW: &str = "sync_now";
    pub const DISMISS_ISSUE: &str = "dismiss_issue";
    pub const OPEN_URL: &str = "open_url";
    pub const DAY_SETTINGS: &str = "day_settings";
    pub const SAVE_DAY_SETTINGS: &str = "save_day_settings";
    /// Takes a [`crate::auth::ChangePassword`]; needs the network.
    pub const CHANGE_PASSWORD: &str = "change_password";
    pub const LOOKALIKES: &str = "lookalikes";
    pub const CREATE_ACCOUNT: &str = "create_account";
    pub const EDIT_ACCOUNT: &str = "edit_account";
    pub const SAVE_CONTACT: &str = "save_contact";
    pub const CHECK_OUT: &str = "check_out";
    pub const ADD_FOLLOW_UP: &str = "add_follow_up";
    pub const COMPLETE_FOLLOW_UP: &str = "complete_follow_up";
    pub const SAVE_APPOINTMENT: &str = "save_appointment";
    pub const CANCEL_APPOINTMENT: &str = "cancel_appointment";
    pub const PIN_TO_DAY: &str = "pin_to_day";
    /// Needs the network; answers the calendar feed's address (a new one each time).
    pub const CALENDAR_FEED: &str = "calendar_feed";
    /// Offline: saves the planned week and the appointments ahead as an iCalendar file;
    /// answers where it was saved.
    pub const SAVE_WEEK_CALENDAR: &str = "save_week_calendar";
    pub const ATTACH_PHOTO: &str = "attach_photo";
    pub const PHOTO: &str = "photo";
    pub const MAP_PINS: &str = "map_pins";
}

/// Every command's failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpcError {
    pub code: ErrorCode,
    /// For logs and bug reports; the UI shows its own words for `code`.
    #[serde(default)]
    pub detail: Option<String>,
}

impl IpcError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: Some(detail.into()),
        }
    }
}

impl std::error::Error for IpcError {}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.code)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

// --- Session -----------------------------------------------------------------------------

/// `session`: who is signed in on this device, if anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Session {
    SignedOut {
        /// The last server used, to prefill the form.
        server_url: Option<String>,
        /// A demo server the app was started with, offered as "Open the demo".
        demo: Option<DemoOffer>,
    },
    SignedIn(Profile),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoOffer {
    pub server_url: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub email: String,
    pub server_url: String,
    /// IANA zone the rep's days are counted in.
    pub time_zone: String,
}

/// `sign_in`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub server_url: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("server_url", &self.server_url)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

// --- Today ------------------------------------------------------------------------------

/// `today`: what is due, most urgent first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TodayView {
    /// The rep's local date.
    pub date: NaiveDate,
    pub items: Vec<TodayItem>,
    /// Accounts in the territory on this device (0 before the first sync).
    pub accounts_total: u64,
    /// The next day after today when touches fall due, and how many of each kind: what an
    /// empty Today says ("Next: 3 visits due Thursday"). `None` when nothing more is owed
    /// this period.
    #[serde(default)]
    pub next: Option<NextDue>,
    /// Added later: the rep's open follow-ups due today or before, most overdue first.
    #[serde(default)]
    pub follow_ups: Vec<FollowUpItem>,
}

/// A next step the rep promised, as Today and the account show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpItem {
    pub id: FollowUpId,
    pub account_id: AccountId,
    pub account_name: String,
    pub kind: TouchKind,
    pub due: NaiveDate,
    pub note: Option<String>,
    /// Days past due (0: due today, negative: not yet due).
    pub days_late: i64,
    pub done: bool,
    /// Saved on this device and not yet confirmed by the server.
    pub pending: bool,
}

/// `attach_photo`: a photo taken or picked on the device, as the webview reads a file (a
/// `data:` URL, base64); kept in the app's folder and queued. Answers its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachPhoto {
    pub account_id: AccountId,
    /// The visit or other touch it belongs to, if any.
    #[serde(default)]
    pub activity_id: Option<ActivityId>,
    pub data_url: String,
    #[serde(default)]
    pub caption: Option<String>,
}

/// A photo on the account's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoItem {
    pub id: PhotoId,
    /// The visit (or other touch) it was taken at, if any.
    #[serde(default)]
    pub activity_id: Option<ActivityId>,
    pub caption: Option<String>,
    pub taken_at: DateTime<Utc>,
    pub bytes: u64,
    pub upload: PhotoUpload,
    /// Its bytes are on this device (one taken on another device comes with a sync).
    pub on_device: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PhotoUpload {
    /// Kept on the device, to be sent on the next sync.
    Waiting,
    /// On the server.
    Uploaded,
    /// Taken on another device: on the server, and here once fetched.
    FromAnotherDevice,
    /// The server would not take it; it stays on the device.
    Refused { reason: String },
}

/// `add_follow_up`: a next step on an account ("call back Tuesday"); answers its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddFollowUp {
    pub account_id: AccountId,
    pub kind: TouchKind,
    pub due: NaiveDate,
    #[serde(default)]
    pub note: Option<String>,
}

/// `save_appointment`: a visit fixed at a date and a time on an account (or, with
/// `id`, a move of one); answers its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveAppointment {
    #[serde(default)]
    pub id: Option<AppointmentId>,
    pub account_id: AccountId,
    /// The rep's local date and start (minutes from midnight).
    pub on: NaiveDate,
    pub at_min: u16,
    pub minutes: u16,
    #[serde(default)]
    pub note: Option<String>,
}

/// `pin_to_day`: the rep puts an account's next visit on a day of the week's plan (or,
/// with no date, lets the planner choose again). Kept on this device only: the plan is
/// the rep's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinToDay {
    pub account_id: AccountId,
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// `cancel_appointment`: kept, marked cancelled, on every device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelAppointment {
    pub id: AppointmentId,
}

/// An appointment on the account's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentItem {
    pub id: AppointmentId,
    pub on: NaiveDate,
    pub at_min: u16,
    pub minutes: u16,
    pub note: Option<String>,
    pub cancelled: bool,
    /// Saved on this device and not yet confirmed by the server.
    pub pending: bool,
}

/// `complete_follow_up`: done with one tap; logs the promised touch (a visit with the
/// device's fix when it has one) and answers as a quick action does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompleteFollowUp {
    pub id: FollowUpId,
    #[serde(default)]
    pub fix: Option<Fix>,
}

/// Touches falling due on one day: each counts an account whose next touch of that kind
/// is due then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextDue {
    pub date: NaiveDate,
    pub visits: u32,
    pub calls: u32,
    pub emails: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TodayItem {
    pub account_id: AccountId,
    pub name: String,
    pub city: String,
    pub priority: Priority,
    pub location: Option<LatLon>,
    /// The decisive kind's status.
    pub status: Status,
    /// One sentence: "2 of 2 visits still owed, the first was due on 16 March".
    pub reason: String,
    /// Visits, calls, e-mails.
    pub owed: Vec<Owed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owed {
    pub kind: TouchKind,
    pub planned: u32,
    pub done: u32,
    pub owed: u32,
    pub status: Status,
    pub next_due: Option<NaiveDate>,
}

// --- Route ------------------------------------------------------------------------------

/// `plan_day`: turn today's owed visits into a route that fits the workday.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanDay {
    /// Where the rep is now; `None` starts from home (or the first stop without one).
    #[serde(default)]
    pub from: Option<LatLon>,
    /// Accounts the rep took off today's route.
    #[serde(default)]
    pub dropped: Vec<AccountId>,
    /// Accounts the rep added although no visit is owed.
    #[serde(default)]
    pub added: Vec<AccountId>,
    /// Accounts the rep pinned: kept even when the day is full.
    #[serde(default)]
    pub pinned: Vec<AccountId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRoute {
    /// Where the route starts (and ends, for a round trip).
    pub start: Option<RoutePoint>,
    /// Where it ends when that is not the start: tonight's place on a trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<RoutePoint>,
    pub stops: Vec<RouteStop>,
    /// The drive back to the start, 0 when the route ends at the last stop.
    pub return_leg_m: u64,
    pub total_m: u64,
    /// Straight-line drive estimate plus visits.
    pub busy_min: u32,
    pub workday_min: u32,
    /// Owed visits that did not fit, least urgent first.
    pub left_out: Vec<RouteCandidate>,
    /// Owed visits to accounts with no location: they cannot be routed.
    pub unplaced: Vec<RouteCandidate>,
    /// The rep's lunch break, when the day takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lunch: Option<LunchSlot>,
    /// The rep has a lunch break, but today's appointments leave no room for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_lunch: bool,
}

/// When a day's lunch break falls: after its first `after_stops` stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LunchSlot {
    pub after_stops: u32,
    pub begin_min: u32,
    pub end_min: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutePoint {
    pub label: String,
    pub location: LatLon,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteStop {
    pub account_id: AccountId,
    pub name: String,
    pub city: String,
    pub location: LatLon,
    pub status: Status,
    pub pinned: bool,
    /// Drive to this stop from the previous point.
    pub leg_m: u64,
    pub leg_min: u32,
    pub visit_min: u32,
    /// When the visit starts, minutes after midnight: the day's start (or now, if later),
    /// plus the drives and visits before it.
    #[serde(default)]
    pub begin_min: u32,
    /// The account's opening hours today in words ("10:00-17:00"), when known. Today's
    /// route leaves out an account closed today; it does not yet time visits inside
    /// the hours (the week does).
    #[serde(default)]
    pub hours: Option<String>,
    /// An appointment fixed at this time.
    #[serde(default)]
    pub appointment: bool,
    /// Added later: its location is only the middle of its postal code, so the drive
    /// to it is a guess; setting its pin at the door fixes that.
    #[serde(default)]
    pub approximate: bool,
}

/// `plan_week`: the owed visits of the next two weeks' workdays, each day ordered and
/// timed, made of neighbours, every account's visits spaced through its period.
/// 08:30: what an older app's settings mean.
pub fn default_day_start() -> u32 {
    8 * 60 + 30
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekPlan {
    /// "Delivers 46 of 48 owed visits; 2 at risk: …".
    pub summary: String,
    pub days: Vec<WeekDay>,
    /// Owed visits that fit on no day, with why.
    pub not_planned: Vec<RouteCandidate>,
    /// Owed visits to accounts with no location: they cannot be planned.
    pub unplaced: Vec<RouteCandidate>,
    pub day_start_min: u32,
    pub workday_min: u32,
    /// How far it plans.
    #[serde(default)]
    pub horizon: Horizon,
}

/// How far `plan_week` plans: the next two weeks' workdays, those left in this month,
/// or the next four weeks'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    #[default]
    TwoWeeks,
    MonthEnd,
    FourWeeks,
}

/// `plan_week`'s request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanWeek {
    #[serde(default)]
    pub horizon: Horizon,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekDay {
    pub date: NaiveDate,
    pub stops: Vec<WeekStop>,
    /// Straight-line drive estimate for the day, minutes.
    pub drive_min: u32,
    /// Minutes from midnight the rep is back (or done).
    pub finish_min: u32,
    /// Where the day starts (home, the office on an office day, last night's place on a
    /// trip), when set.
    #[serde(default)]
    pub base: Option<LatLon>,
    /// Where it ends, when not where it starts (tonight's place on a trip).
    #[serde(default)]
    pub end: Option<LatLon>,
    /// The rep's hours that day, minutes from midnight (today's start is "now" once
    /// the day has begun).
    #[serde(default)]
    pub start_min: u32,
    #[serde(default)]
    pub end_min: u32,
    /// Accounts to call and to e-mail that day, by name.
    pub calls: Vec<String>,
    pub emails: Vec<String>,
    /// Added later: not a workday, in the plan only for the appointments booked on it
    /// (nothing else is planned there, and no visit can be moved to it).
    #[serde(default)]
    pub day_off: bool,
    /// The rep's lunch break, when the day takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lunch: Option<LunchSlot>,
    /// The rep has a lunch break, but the day's appointments leave no room for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_lunch: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekStop {
    pub account_id: AccountId,
    pub name: String,
    pub city: String,
    /// Minutes from midnight the visit starts.
    pub begin_min: u32,
    pub visit_min: u32,
    pub overdue: bool,
    /// The account's opening hours that day in words ("10:00-17:00"), when known.
    #[serde(default)]
    pub hours: Option<String>,
    /// A visit fixed at this time (an appointment), not one the planner chose.
    #[serde(default)]
    pub appointment: bool,
    /// The rep put it on this day.
    #[serde(default)]
    pub pinned: bool,
    /// The account's pin, for the day's map (an appointment may have none).
    #[serde(default)]
    pub location: Option<LatLon>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteCandidate {
    pub account_id: AccountId,
    pub name: String,
    pub reason: String,
}

// --- Accounts ---------------------------------------------------------------------------

/// `accounts`: search and filters, all offline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountQuery {
    /// Words matched against account, contact and note text; empty lists everything.
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub due: Option<DueFilter>,
    #[serde(default)]
    pub kare: Option<Kare>,
    #[serde(default)]
    pub stage: Option<Stage>,
    /// Nearby: accounts within `radius_m` of this point, nearest first.
    #[serde(default)]
    pub near: Option<LatLon>,
    #[serde(default)]
    pub radius_m: Option<f64>,
    /// Added later: absent means [`AccountOrder::Natural`].
    #[serde(default)]
    pub order: AccountOrder,
}

/// How the account list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountOrder {
    /// By name; nearest first for "nearby"; best match first for a search.
    #[default]
    Natural,
    /// By the account priority score (rounds-core), highest first: the dashboard's order.
    Priority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueFilter {
    /// Due today, overdue or at risk.
    Due,
    /// Something owed, not yet due.
    OnTrack,
    /// Nothing owed this period.
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountList {
    pub items: Vec<AccountSummary>,
    /// Matches before the list was cut to its limit.
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: AccountId,
    pub name: String,
    pub city: String,
    pub priority: Priority,
    pub stage: Stage,
    pub kare: Option<Kare>,
    pub status: Status,
    pub reason: String,
    /// For a search: what matched, with the match wrapped in `[` `]`.
    pub snippet: Option<String>,
    /// For "nearby": metres from the point asked about.
    pub distance_m: Option<f64>,
    pub pending: bool,
    /// Added later: the account priority score, 0–100 (0 from an older shell).
    #[serde(default)]
    pub score: u32,
    /// Added later: the score's factors, in the order the score lists them.
    #[serde(default)]
    pub score_factors: Vec<ScoreFactor>,
}

/// One factor of the priority score: its points out of `max`, and why in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreFactor {
    pub label: String,
    pub points: u32,
    pub max: u32,
    pub why: String,
}

/// `account`: everything the account screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub id: AccountId,
    pub name: String,
    pub address: Vec<String>,
    pub location: Option<LatLon>,
    /// Added later: where `location` came from (the rep's pin, an address, a postal
    /// code's middle…); `None`: not recorded.
    #[serde(default)]
    pub location_source: Option<rounds_core::LocationSource>,
    pub priority: Priority,
    pub stage: Stage,
    pub kare: Option<Kare>,
    pub industry: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Formatted with the currency ("$22,000.00").
    pub revenue: String,
    pub expenses: String,
    pub net_profit: String,
    pub contacts: Vec<ContactView>,
    pub cadence: Vec<Owed>,
    pub reason: String,
    pub timeline: Vec<TimelineItem>,
    /// Fields changed on this device and not yet confirmed by the server.
    pub pending_fields: Vec<String>,
    /// Added later: the address by part, for the edit form.
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    /// Added later: the account's follow-ups, open ones first.
    #[serde(default)]
    pub follow_ups: Vec<FollowUpItem>,
    /// Added later: the rep's local date, for the follow-up form's quick picks.
    #[serde(default)]
    pub today: Option<NaiveDate>,
    /// Added later: the photos taken of it on this device, newest first.
    #[serde(default)]
    pub photos: Vec<PhotoItem>,
    /// Added later: other pinned accounts around it (the nearest, or in its city when it
    /// has no pin), for placing its pin on a map that works offline.
    #[serde(default)]
    pub around: Vec<MapPin>,
    /// Added later: its opening hours as written (`Mo-Fr 08:00-17:00`), and today's in
    /// words ("08:00-17:00", "closed").
    #[serde(default)]
    pub hours: Option<String>,
    #[serde(default)]
    pub hours_today: Option<String>,
    /// Added later: minutes a visit there takes, when set on the account.
    #[serde(default)]
    pub visit_minutes: Option<u16>,
    /// Added later: its appointments from today on, by date and time.
    #[serde(default)]
    pub appointments: Vec<AppointmentItem>,
    /// Added later: how long a visit there is planned to take (its own length, or the
    /// rep's usual one).
    #[serde(default)]
    pub planned_visit_minutes: Option<u16>,
    /// Added later: the dates it is closed, on one line
    /// (`2026-12-24, 2026-12-28 – 2027-01-01`).
    #[serde(default)]
    pub closed_on: Option<String>,
    /// Added later: when its buyer likes visits (`Tu,Th 09:00-11:00`).
    #[serde(default)]
    pub preferred_hours: Option<String>,
    /// Added later: what it could buy in a year as the company set it
    /// (`USD 120,000.00`); `None`: not set.
    #[serde(default)]
    pub potential: Option<String>,
    /// Added later: the rep's own estimate of it, formatted like `potential`.
    #[serde(default)]
    pub potential_estimate: Option<String>,
    /// Added later: the same estimate as a form shows it (`120000.00`).
    #[serde(default)]
    pub potential_estimate_plain: Option<String>,
    /// Added later: the account's currency (`USD`), what an estimate is typed in.
    #[serde(default)]
    pub currency: String,
}

/// `map_pins`: pinned accounts for a map that must open somewhere — the nearest to a
/// point, or without one, the nearest to the middle of the territory.
pub type MapPinsNear = Option<LatLon>;

/// An account's pin on a map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapPin {
    pub id: AccountId,
    pub name: String,
    pub location: LatLon,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: ContactId,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub primary: bool,
    /// Added later: saved on this device and not yet confirmed by the server.
    #[serde(default)]
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineItem {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    pub check_in: Option<CheckIn>,
    /// Not yet on the server.
    pub pending: bool,
    pub voided: bool,
    /// Added later: a visit's state now (under way, checked out, closed itself).
    #[serde(default)]
    pub visit: Option<VisitState>,
}

// --- Quick actions ----------------------------------------------------------------------

/// `log_activity`: one tap. Saved locally before the answer comes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogActivity {
    pub account_id: AccountId,
    pub kind: ActivityKind,
    #[serde(default)]
    pub contact_id: Option<ContactId>,
    /// A check-in's location fix, when the device has one.
    #[serde(default)]
    pub fix: Option<Fix>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logged {
    pub activity_id: ActivityId,
    /// What to open on the device: `tel:`, `mailto:` or a maps link; `None` for a visit.
    pub open: Option<String>,
    pub check_in: Option<CheckIn>,
}

/// `amend_activity`: the optional sheet after a quick action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmendActivity {
    pub activity_id: ActivityId,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub note: Option<String>,
}

// --- New accounts -----------------------------------------------------------------------

/// `lookalikes`: before a new account is saved, what on the device it may already be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadDraft {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// Where the rep stands (or the point placed on the map).
    #[serde(default)]
    pub fix: Option<Fix>,
}

/// One account the new one may be ("Is this Acme Tools, 80 m away?").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lookalike {
    pub id: AccountId,
    pub name: String,
    pub city: String,
    pub stage: Stage,
    /// Metres between the two, when both have a place.
    pub distance_m: Option<f64>,
    pub same_phone: bool,
    pub similar_name: bool,
    pub nearby: bool,
}

/// `create_account`: "New lead here". Only the name is required; the place is the
/// device's fix at the door or a point on the map, with its accuracy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewLead {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub fix: Option<Fix>,
    /// The rotation bucket; low when not chosen.
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// `edit_account`: the rep's changes to an account's details, stage or pin, queued
/// together (each field merges on its own on the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditAccount {
    pub account_id: AccountId,
    pub edits: Vec<crate::sync::AccountEdit>,
    /// Why the account was lost, when `edits` move its stage to lost (required then).
    #[serde(default)]
    pub lost_reason: Option<String>,
}

/// `save_contact`: a new contact on an account (no `contact_id`) or a change of one;
/// answers the contact's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveContact {
    pub account_id: AccountId,
    #[serde(default)]
    pub contact_id: Option<ContactId>,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// The person quick actions call or mail.
    #[serde(default)]
    pub primary: bool,
}

impl SaveContact {
    /// A new contact with just a name.
    pub fn new(account_id: AccountId, name: &str) -> Self {
        SaveContact {
            account_id,
            contact_id: None,
            name: name.to_owned(),
            title: None,
            phone: None,
            email: None,
            primary: false,
        }
    }
}

/// `check_out`: the rep leaves; the open visit gets its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOut {
    pub account_id: AccountId,
    pub activity_id: ActivityId,
}

// --- Sync -------------------------------------------------------------------------------

/// `sync_status`: the sync screen and the badge in the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncView {
    pub syncing: bool,
    /// 0..=1 while a sync runs, when known.
    pub progress: Option<f32>,
    pub progress_label: Option<String>,
    pub last_success: Option<DateTime<Utc>>,
    pub pending: u64,
    pub online: bool,
    pub last_error: Option<ErrorCode>,
    pub issues: Vec<IssueView>,
    /// The device's clock when this view was made: "synced 5 min ago" is measured
    /// against it, not against the web view's own clock.
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueView {
    pub seq: u64,
    pub kind: IssueKindView,
    /// What the rep did, in words: "Visit to Acme Hardware, 3 May".
    pub what: String,
    /// Why the server did not apply it, as the server said.
    pub reason: String,
    pub account_id: Option<AccountId>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKindView {
    /// Not applied; kept here and on the server for a manager to review.
    Rejected,
    /// Accepted but held for review (e.g. logged on an account moved away).
    Quarantined,
    /// A field edit that a later one replaced; kept as a conflict.
    Conflict,
}

// --- The rep's day --------------------------------------------------------------------

/// `day_settings` / `save_day_settings`: what "plan my day" plans with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySettings {
    /// When the day starts, minutes after midnight (08:30 unless the rep says).
    #[serde(default = "default_day_start")]
    pub day_start_minutes: u32,
    /// Time for visits and driving, 60 to 960 minutes; the day must end by midnight.
    pub workday_minutes: u32,
    /// Time planned at each stop, 5 to 240 minutes.
    pub visit_minutes: u32,
    /// Where the day starts and ends; `None` starts at the most urgent stop.
    pub home: Option<LatLon>,
    /// Read-only here: the rep's zone comes from the server.
    #[serde(default)]
    pub time_zone: String,
    /// The rep's hours by weekday, written like an account's opening hours with one
    /// stretch a day (`Mo-Th 08:00-17:00; Fr 08:00-13:00`); a day it leaves out is a
    /// day off. `None`: each workday starts at `day_start_minutes` and lasts
    /// `workday_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_hours: Option<String>,
    /// The rep's own days off (leave, training), besides the company's holidays.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_off: Vec<NaiveDate>,
    /// The office, where the days of `office_days` start and end instead of home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<LatLon>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub office_days: Vec<chrono::Weekday>,
    /// Nights away on a trip: that day ends at the place, and the next starts there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nights_away: Vec<NightAway>,
    /// A lunch break each workday, taken wherever the rep is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lunch: Option<LunchBreak>,
}

/// A lunch break: `minutes` long, inside `from_min`–`until_min` (minutes from
/// midnight); checked by `rounds_core::hours::check_lunch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LunchBreak {
    pub from_min: u16,
    pub until_min: u16,
    pub minutes: u16,
}

/// A night away from home (a hotel on a trip), and where.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NightAway {
    pub night: NaiveDate,
    pub place: LatLon,
}
