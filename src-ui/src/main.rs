//! The rep's app UI: Leptos, rendered in the Tauri webview, talking to the shell only
//! through `ipc`.

mod app;
mod format;
mod geo;
mod ipc;
mod map;
mod parts;
mod screens;
mod state;
mod words;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
