//! One Tauri command per UI action, named as in `rounds_protocol::ipc::command`. Each
//! takes its request as the single argument `req` and answers with an IPC type or an
//! [`IpcError`]; the work is rounds-client's.

use rounds_client::planner::Trigger;
use rounds_protocol::auth::ChangePassword;
use rounds_protocol::ipc::{
    AccountDetail, AccountList, AccountQuery, AddFollowUp, AmendActivity, AttachPhoto,
    CancelAppointment, CheckOut, CompleteFollowUp, DayRoute, DaySettings, EditAccount, IpcError,
    LeadDraft, LogActivity, Logged, Lookalike, MapPin, MapPinsNear, NewLead, PinToDay, PlanDay,
    PlanWeek, Profile, SaveAppointment, SaveContact, Session, SignIn, SyncView, TodayView,
    WeekPlan,
};
use rounds_protocol::{
    AccountId, ActivityId, AppointmentId, ContactId, ErrorCode, FollowUpId, PhotoId,
};
use tauri::State;
use tauri_plugin_opener::OpenerExt as _;

use crate::state::AppState;

type Answer<T> = Result<T, IpcError>;

#[tauri::command]
pub async fn session(state: State<'_, AppState>) -> Answer<Session> {
    state.device().await.session()
}

#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>, req: SignIn) -> Answer<Profile> {
    state.shared().sign_in(req).await
}

#[tauri::command]
pub async fn open_demo(state: State<'_, AppState>) -> Answer<Profile> {
    state.shared().open_demo().await
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Answer<()> {
    state.shared().sign_out().await
}

#[tauri::command]
pub async fn today(state: State<'_, AppState>) -> Answer<TodayView> {
    let device = state.device().await;
    device.rep()?.today(device.now())
}

#[tauri::command]
pub async fn plan_day(state: State<'_, AppState>, req: PlanDay) -> Answer<DayRoute> {
    let device = state.device().await;
    device.rep()?.plan_day(&req, device.now())
}

#[tauri::command]
pub async fn plan_week(state: State<'_, AppState>, req: PlanWeek) -> Answer<WeekPlan> {
    let mut device = state.device().await;
    let now = device.now();
    // Kept: the next plan starts from what the rep saw, so it moves as few visits as it
    // must, and the rep's manager reads it after the next sync.
    device.rep_mut()?.plan_and_remember_week(now, req.horizon)
}

#[tauri::command]
pub async fn accounts(state: State<'_, AppState>, req: AccountQuery) -> Answer<AccountList> {
    let device = state.device().await;
    device.rep()?.accounts(&req, device.now())
}

#[tauri::command]
pub async fn account(state: State<'_, AppState>, req: AccountId) -> Answer<AccountDetail> {
    let device = state.device().await;
    device.rep()?.account(req, device.now())
}

#[tauri::command]
pub async fn log_activity(state: State<'_, AppState>, req: LogActivity) -> Answer<Logged> {
    let mut device = state.device().await;
    let now = device.now();
    let logged = device.rep_mut()?.log(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(logged)
}

#[tauri::command]
pub async fn amend_activity(state: State<'_, AppState>, req: AmendActivity) -> Answer<()> {
    let mut device = state.device().await;
    let now = device.now();
    device.rep_mut()?.amend(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(())
}

#[tauri::command]
pub async fn undo_activity(state: State<'_, AppState>, req: ActivityId) -> Answer<()> {
    let mut device = state.device().await;
    let now = device.now();
    device.rep_mut()?.undo(req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(())
}

#[tauri::command]
pub async fn lookalikes(state: State<'_, AppState>, req: LeadDraft) -> Answer<Vec<Lookalike>> {
    state.device().await.rep()?.lookalikes(&req)
}

#[tauri::command]
pub async fn create_account(state: State<'_, AppState>, req: NewLead) -> Answer<AccountId> {
    let mut device = state.device().await;
    let now = device.now();
    let id = device.rep_mut()?.create_account(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(id)
}

#[tauri::command]
pub async fn edit_account(state: State<'_, AppState>, req: EditAccount) -> Answer<()> {
    let mut device = state.device().await;
    let now = device.now();
    device.rep_mut()?.edit_account(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(())
}

#[tauri::command]
pub async fn save_contact(state: State<'_, AppState>, req: SaveContact) -> Answer<ContactId> {
    let mut device = state.device().await;
    let now = device.now();
    let id = device.rep_mut()?.save_contact(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(id)
}

#[tauri::command]
pub async fn add_follow_up(state: State<'_, AppState>, req: AddFollowUp) -> Answer<FollowUpId> {
    let mut device = state.device().await;
    let now = device.now();
    let id = device.rep_mut()?.add_follow_up(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(id)
}

#[tauri::command]
pub async fn attach_photo(state: State<'_, AppState>, req: AttachPhoto) -> Answer<PhotoId> {
    let mut device = state.device().await;
    let now = device.now();
    let id = device.rep_mut()?.attach_photo(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(id)
}

#[tauri::command]
pub async fn map_pins(state: State<'_, AppState>, req: MapPinsNear) -> Answer<Vec<MapPin>> {
    let device = state.device().await;
    device.rep()?.map_pins(req)
}

#[tauri::command]
pub async fn photo(state: State<'_, AppState>, req: PhotoId) -> Answer<String> {
    let device = state.device().await;
    device.rep()?.photo(req)
}

#[tauri::command]
pub async fn complete_follow_up(
    state: State<'_, AppState>,
    req: CompleteFollowUp,
) -> Answer<Logged> {
    let mut device = state.device().await;
    let now = device.now();
    let logged = device.rep_mut()?.complete_follow_up(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(logged)
}

#[tauri::command]
pub async fn save_appointment(
    state: State<'_, AppState>,
    req: SaveAppointment,
) -> Answer<AppointmentId> {
    let mut device = state.device().await;
    let now = device.now();
    let id = device.rep_mut()?.save_appointment(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(id)
}

#[tauri::command]
pub async fn pin_to_day(state: State<'_, AppState>, req: PinToDay) -> Answer<()> {
    let mut device = state.device().await;
    let now = device.now();
    device.rep_mut()?.pin_to_day(&req, now)?;
    Ok(())
}

#[tauri::command]
pub async fn cancel_appointment(state: State<'_, AppState>, req: CancelAppointment) -> Answer<()> {
    let mut device = state.device().await;
    let now = device.now();
    device.rep_mut()?.cancel_appointment(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(())
}

/// Answers the visit's length in minutes.
#[tauri::command]
pub async fn check_out(state: State<'_, AppState>, req: CheckOut) -> Answer<u32> {
    let mut device = state.device().await;
    let now = device.now();
    let minutes = device.rep_mut()?.check_out(&req, now)?;
    device.trigger(Trigger::LocalWrite);
    Ok(minutes)
}

#[tauri::command]
pub async fn day_settings(state: State<'_, AppState>) -> Answer<DaySettings> {
    state.device().await.rep()?.day_settings()
}

#[tauri::command]
pub async fn save_day_settings(
    state: State<'_, AppState>,
    req: DaySettings,
) -> Answer<DaySettings> {
    state.device().await.rep_mut()?.save_day_settings(&req)
}

/// The device's lock is held only to read where and who; the network wait is outside it.
#[tauri::command]
pub async fn change_password(state: State<'_, AppState>, req: ChangePassword) -> Answer<()> {
    let api = state.device().await.server_api()?;
    api.change_password(&req)
        .await
        .map_err(rounds_client::client_err)
}

/// A new address of the rep's calendar feed; the network wait is outside the lock.
#[tauri::command]
pub async fn calendar_feed(state: State<'_, AppState>) -> Answer<String> {
    let api = state.device().await.server_api()?;
    api.calendar_feed().await.map_err(rounds_client::client_err)
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Answer<SyncView> {
    let device = state.device().await;
    device.rep()?.sync_view(&device.status(), device.now())
}

#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Answer<()> {
    let device = state.device().await;
    device.rep()?;
    device.trigger(Trigger::Manual);
    Ok(())
}

#[tauri::command]
pub async fn dismiss_issue(state: State<'_, AppState>, req: u64) -> Answer<()> {
    state.device().await.rep_mut()?.dismiss_issue(req)
}

/// Saves the planned week and the appointments ahead as an iCalendar file, offline, and
/// answers where. Written beside its place and then renamed, so a full disk leaves no
/// half file under the real name.
#[tauri::command]
pub async fn save_week_calendar(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Answer<String> {
    let file = {
        let device = state.device().await;
        device.rep()?.week_calendar(device.now())?
    };
    let dir = state.export_dir(&app);
    let path = dir.join(&file.name);
    let part = dir.join(format!(".{}.part", file.name));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&part, file.text))
        .and_then(|()| std::fs::rename(&part, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&part);
        tracing::warn!(%e, path = %path.display(), "calendar file not saved");
        return Err(IpcError::new(
            ErrorCode::StorageFull,
            format!("could not save {}: {e}", path.display()),
        ));
    }
    Ok(path.display().to_string())
}

/// Opens a dialer, mail app or map. Only these schemes: the UI never opens arbitrary
/// pages or files through the shell.
#[tauri::command]
pub async fn open_url(app: tauri::AppHandle, req: String) -> Answer<()> {
    const ALLOWED: [&str; 4] = ["tel:", "mailto:", "geo:", "https://www.openstreetmap.org/"];
    if !ALLOWED.iter().any(|p| req.starts_with(p)) || req.len() > 2_000 {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "not a link the app opens",
        ));
    }
    app.opener()
        .open_url(req, None::<&str>)
        .map_err(|e| IpcError::new(ErrorCode::NotFound, format!("no app to open it: {e}")))
}
