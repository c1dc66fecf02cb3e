//! The rep's app shell: Tauri commands that hand each UI request to rounds-client, the
//! background sync loop, and where the app keeps its files. No SQL and no HTTP here.

mod commands;
mod config;
mod state;

use tauri::Manager as _;

pub use config::Config;
pub use state::AppState;

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROUNDS_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let config = Config::from_env(app.path().app_data_dir()?);
            let state = AppState::open(config)?;
            app.manage(state);
            // Sync starts with the app: the runner lives on Tauri's tokio runtime.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<AppState>().start().await;
            });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<AppState>().remind(&handle).await;
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session,
            commands::sign_in,
            commands::open_demo,
            commands::sign_out,
            commands::today,
            commands::plan_day,
            commands::plan_week,
            commands::accounts,
            commands::account,
            commands::log_activity,
            commands::amend_activity,
            commands::undo_activity,
            commands::sync_status,
            commands::sync_now,
            commands::dismiss_issue,
            commands::open_url,
            commands::day_settings,
            commands::save_day_settings,
            commands::change_password,
            commands::lookalikes,
            commands::create_account,
            commands::edit_account,
            commands::save_contact,
            commands::check_out,
            commands::add_follow_up,
            commands::complete_follow_up,
            commands::save_appointment,
            commands::cancel_appointment,
            commands::pin_to_day,
            commands::calendar_feed,
            commands::save_week_calendar,
            commands::attach_photo,
            commands::photo,
            commands::map_pins,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("the app failed to start");
}
