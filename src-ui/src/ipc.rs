//! The only code that talks to the shell: one typed async fn per command in
//! `rounds_protocol::ipc::command`. Everything else in the UI sees Rust types only.

use rounds_protocol::ErrorCode;
use rounds_protocol::auth::ChangePassword;
use rounds_protocol::ipc::{
    AccountDetail, AccountList, AccountQuery, AddFollowUp, AmendActivity, AttachPhoto,
    CancelAppointment, CheckOut, CompleteFollowUp, DayRoute, DaySettings, EditAccount, IpcError,
    LeadDraft, LogActivity, Logged, Lookalike, MapPin, MapPinsNear, NewLead, PinToDay, PlanDay,
    PlanWeek, Profile, SaveAppointment, SaveContact, Session, SignIn, SyncView, TodayView,
    WeekPlan, command,
};
use rounds_protocol::{AccountId, ActivityId, AppointmentId, ContactId, FollowUpId, PhotoId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

/// `IpcError::detail` when the page runs in a plain browser; words.rs recognises it.
pub const NOT_IN_APP: &str = "not running inside the app";

#[wasm_bindgen]
extern "C" {
    // `withGlobalTauri` puts the invoke function here; it answers a Promise. This module
    // is what needs the global: the UI is Rust compiled to wasm with no JavaScript bundle
    // to import `@tauri-apps/api` into, and the CSP (`script-src 'self'`) lets no other
    // script run beside it to reach the global.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// Commands take their input as one argument named `req`.
#[derive(Debug, Serialize)]
struct Args<'a, T> {
    req: &'a T,
}

fn internal(detail: impl Into<String>) -> IpcError {
    IpcError::new(ErrorCode::Internal, detail)
}

/// Checked first so a plain browser gets a typed error instead of a TypeError.
fn in_app() -> bool {
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).ok();
    get(&js_sys::global(), "__TAURI__")
        .filter(|t| t.is_object())
        .and_then(|t| get(&t, "core"))
        .filter(|c| c.is_object())
        .and_then(|c| get(&c, "invoke"))
        .is_some_and(|f| f.is_function())
}

fn describe(v: &JsValue) -> String {
    v.as_string()
        .or_else(|| js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| format!("{v:?}"))
}

async fn call_raw(cmd: &str, args: JsValue) -> Result<JsValue, IpcError> {
    if !in_app() {
        return Err(internal(NOT_IN_APP));
    }
    invoke(cmd, args).await.map_err(|e| {
        serde_wasm_bindgen::from_value::<IpcError>(e.clone())
            .unwrap_or_else(|_| internal(format!("{cmd}: {}", describe(&e))))
    })
}

fn args<T: Serialize>(req: &T) -> Result<JsValue, IpcError> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    Args { req }
        .serialize(&ser)
        .map_err(|e| internal(format!("serialize request: {e}")))
}

fn no_args() -> JsValue {
    js_sys::Object::new().into()
}

fn decode<T: DeserializeOwned>(cmd: &str, v: JsValue) -> Result<T, IpcError> {
    serde_wasm_bindgen::from_value(v).map_err(|e| internal(format!("{cmd}: answer: {e}")))
}

async fn call<R: Serialize, T: DeserializeOwned>(cmd: &str, req: &R) -> Result<T, IpcError> {
    let v = call_raw(cmd, args(req)?).await?;
    decode(cmd, v)
}

async fn call0<T: DeserializeOwned>(cmd: &str) -> Result<T, IpcError> {
    let v = call_raw(cmd, no_args()).await?;
    decode(cmd, v)
}

/// Commands answering `()`: whatever comes back (null, undefined) is ignored.
async fn call_unit<R: Serialize>(cmd: &str, req: &R) -> Result<(), IpcError> {
    call_raw(cmd, args(req)?).await.map(drop)
}

pub async fn session() -> Result<Session, IpcError> {
    call0(command::SESSION).await
}

pub async fn sign_in(req: SignIn) -> Result<Profile, IpcError> {
    call(command::SIGN_IN, &req).await
}

pub async fn open_demo() -> Result<Profile, IpcError> {
    call0(command::OPEN_DEMO).await
}

pub async fn change_password(req: ChangePassword) -> Result<(), IpcError> {
    call_unit(command::CHANGE_PASSWORD, &req).await
}

pub async fn sign_out() -> Result<(), IpcError> {
    call_raw(command::SIGN_OUT, no_args()).await.map(drop)
}

pub async fn today() -> Result<TodayView, IpcError> {
    call0(command::TODAY).await
}

pub async fn plan_day(req: PlanDay) -> Result<DayRoute, IpcError> {
    call(command::PLAN_DAY, &req).await
}

pub async fn plan_week(req: PlanWeek) -> Result<WeekPlan, IpcError> {
    call(command::PLAN_WEEK, &req).await
}

pub async fn accounts(req: AccountQuery) -> Result<AccountList, IpcError> {
    call(command::ACCOUNTS, &req).await
}

pub async fn account(id: AccountId) -> Result<AccountDetail, IpcError> {
    call(command::ACCOUNT, &id).await
}

pub async fn log_activity(req: LogActivity) -> Result<Logged, IpcError> {
    call(command::LOG_ACTIVITY, &req).await
}

pub async fn amend_activity(req: AmendActivity) -> Result<(), IpcError> {
    call_unit(command::AMEND_ACTIVITY, &req).await
}

pub async fn undo_activity(id: ActivityId) -> Result<(), IpcError> {
    call_unit(command::UNDO_ACTIVITY, &id).await
}

pub async fn lookalikes(req: LeadDraft) -> Result<Vec<Lookalike>, IpcError> {
    call(command::LOOKALIKES, &req).await
}

pub async fn create_account(req: NewLead) -> Result<AccountId, IpcError> {
    call(command::CREATE_ACCOUNT, &req).await
}

pub async fn edit_account(req: EditAccount) -> Result<(), IpcError> {
    call_unit(command::EDIT_ACCOUNT, &req).await
}

pub async fn save_contact(req: SaveContact) -> Result<ContactId, IpcError> {
    call(command::SAVE_CONTACT, &req).await
}

pub async fn check_out(req: CheckOut) -> Result<u32, IpcError> {
    call(command::CHECK_OUT, &req).await
}

pub async fn add_follow_up(req: AddFollowUp) -> Result<FollowUpId, IpcError> {
    call(command::ADD_FOLLOW_UP, &req).await
}

pub async fn attach_photo(req: AttachPhoto) -> Result<PhotoId, IpcError> {
    call(command::ATTACH_PHOTO, &req).await
}

/// Pinned accounts for a map to open on (near a point, or the territory's middle).
pub async fn map_pins(near: MapPinsNear) -> Result<Vec<MapPin>, IpcError> {
    call(command::MAP_PINS, &near).await
}

/// A photo kept on the device, as a `data:` URL.
pub async fn photo(id: PhotoId) -> Result<String, IpcError> {
    call(command::PHOTO, &id).await
}

pub async fn complete_follow_up(req: CompleteFollowUp) -> Result<Logged, IpcError> {
    call(command::COMPLETE_FOLLOW_UP, &req).await
}

pub async fn save_appointment(req: SaveAppointment) -> Result<AppointmentId, IpcError> {
    call(command::SAVE_APPOINTMENT, &req).await
}

pub async fn cancel_appointment(req: CancelAppointment) -> Result<(), IpcError> {
    call(command::CANCEL_APPOINTMENT, &req).await
}

pub async fn pin_to_day(req: PinToDay) -> Result<(), IpcError> {
    call(command::PIN_TO_DAY, &req).await
}

pub async fn calendar_feed() -> Result<String, IpcError> {
    call0(command::CALENDAR_FEED).await
}

pub async fn save_week_calendar() -> Result<String, IpcError> {
    call0(command::SAVE_WEEK_CALENDAR).await
}

pub async fn day_settings() -> Result<DaySettings, IpcError> {
    call0(command::DAY_SETTINGS).await
}

pub async fn save_day_settings(req: DaySettings) -> Result<DaySettings, IpcError> {
    call(command::SAVE_DAY_SETTINGS, &req).await
}

pub async fn sync_status() -> Result<SyncView, IpcError> {
    call0(command::SYNC_STATUS).await
}

pub async fn sync_now() -> Result<(), IpcError> {
    call_raw(command::SYNC_NOW, no_args()).await.map(drop)
}

pub async fn dismiss_issue(seq: u64) -> Result<(), IpcError> {
    call_unit(command::DISMISS_ISSUE, &seq).await
}

pub async fn open_url(url: String) -> Result<(), IpcError> {
    call_unit(command::OPEN_URL, &url).await
}
