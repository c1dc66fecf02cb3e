//! The shell of the UI: session start, the sync-status poller, header, tab bar and the
//! current screen.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_protocol::ErrorCode;
use rounds_protocol::ipc::{Session, SyncView};

use crate::format;
use crate::ipc;
use crate::parts::ErrorBox;
use crate::screens::{account, accounts, first_run, new_lead, route, sync, today, week};
use crate::state::{Ctx, Phase, Screen, ctx};

/// How often the badge is refreshed; faster while a sync runs, for the progress bar.
const POLL_MS: f64 = 3_000.0;
const TICK: Duration = Duration::from_millis(1_000);

#[component]
pub fn App() -> impl IntoView {
    let ctx = Ctx::new();
    provide_context(ctx);
    start(ctx);
    poll(ctx);
    // The platform back gesture walks the hash history.
    let listener = window_event_listener_untyped("hashchange", move |_| {
        if let Some(s) = location_hash().and_then(|h| Screen::from_hash(&h)) {
            ctx.show(s);
        }
    });
    on_cleanup(move || listener.remove());

    move || match ctx.phase.get() {
        Phase::Starting => view! {
            <div class="splash loading" role="status">
                <p class="brand">"Rounds"</p>
                <p>"Loading…"</p>
            </div>
        }
        .into_any(),
        Phase::Failed(error) => view! {
            <div class="splash">
                <p class="brand">"Rounds"</p>
                <ErrorBox error=error retry=Callback::new(move |_| start(ctx)) />
            </div>
        }
        .into_any(),
        Phase::SignedOut { server_url, demo } => {
            view! { <first_run::FirstRun server_url=server_url demo=demo /> }.into_any()
        }
        Phase::FirstSync(_) => view! { <first_run::FirstSync /> }.into_any(),
        Phase::Main(_) => view! { <Main /> }.into_any(),
    }
}

/// Asks the shell who is signed in.
pub fn start(ctx: Ctx) {
    ctx.phase.set(Phase::Starting);
    spawn_local(async move {
        let phase = match ipc::session().await {
            Ok(Session::SignedIn(p)) => Phase::Main(p),
            Ok(Session::SignedOut { server_url, demo }) => Phase::SignedOut { server_url, demo },
            Err(e) => Phase::Failed(e),
        };
        ctx.phase.set(phase);
    });
}

/// Polls `sync_status` every 3 s (every second while syncing, or at once when asked).
fn poll(ctx: Ctx) {
    let last = StoredValue::new(f64::MIN);
    let in_flight = StoredValue::new(false);
    let tick = move || {
        if !matches!(
            ctx.phase.get_untracked(),
            Phase::Main(_) | Phase::FirstSync(_)
        ) || in_flight.get_value()
        {
            return;
        }
        let now = js_sys::Date::now();
        let syncing = ctx
            .sync
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.syncing));
        if !(ctx.poll_now.get_untracked() || syncing || now - last.get_value() >= POLL_MS) {
            return;
        }
        ctx.poll_now.set(false);
        in_flight.set_value(true);
        last.set_value(now);
        spawn_local(async move {
            let answer = ipc::sync_status().await;
            in_flight.set_value(false);
            match answer {
                Ok(view) => {
                    ctx.poll_error.set(None);
                    apply(ctx, view);
                }
                Err(e) => ctx.poll_error.set(Some(e)),
            }
            ctx.polls.update(|n| *n += 1);
        });
    };
    tick();
    set_interval(tick, TICK);
    // A request for a fresh status should not wait for the next tick.
    Effect::watch(
        move || ctx.poll_now.get(),
        move |now, _, _| {
            if *now {
                tick();
            }
        },
        false,
    );
}

fn apply(ctx: Ctx, view: SyncView) {
    let before = ctx.sync.get_untracked();
    if let Some(before) = &before {
        let finished = before.syncing && !view.syncing;
        if finished || before.last_success != view.last_success {
            ctx.refresh.update(|n| *n += 1);
        }
    }
    let signed_off = |v: &SyncView| {
        matches!(
            v.last_error,
            Some(ErrorCode::Unauthenticated | ErrorCode::DeviceRevoked)
        )
    };
    // The shell may have signed the device out: ask it again.
    let recheck = signed_off(&view) && !before.as_ref().is_some_and(signed_off);
    // Only on change: the sync screen re-renders from this, and focus should stay put.
    if before.as_ref() != Some(&view) {
        ctx.sync.set(Some(view));
    }
    if recheck {
        spawn_local(async move {
            if let Ok(Session::SignedOut { server_url, demo }) = ipc::session().await {
                ctx.reset();
                ctx.phase.set(Phase::SignedOut { server_url, demo });
            }
        });
    }
}

/// The signed-in app: header, tabs and the current screen.
#[component]
fn Main() -> impl IntoView {
    let ctx = ctx();
    let screen = Memo::new(move |_| ctx.screen.get());
    let name = move || ctx.profile().map(|p| p.name).unwrap_or_default();
    view! {
        <div class="app">
            <header class="app-header">
                <span class="brand">"Rounds"</span>
                <span class="rep">{name}</span>
                <SyncBadge />
            </header>
            // The week takes the width a laptop has, its days side by side.
            <div class="layout" class:wide=move || screen.get() == Screen::Week>
                <Tabs />
                <main class="content">
                    {move || match screen.get() {
                        Screen::Today => view! { <today::Today /> }.into_any(),
                        Screen::Route => view! { <route::Route /> }.into_any(),
                        Screen::Week => view! { <week::Week /> }.into_any(),
                        Screen::Accounts => view! { <accounts::Accounts /> }.into_any(),
                        Screen::Sync => view! { <sync::SyncScreen /> }.into_any(),
                        Screen::Account(id) => view! { <account::Account id=id /> }.into_any(),
                        Screen::NewLead => view! { <new_lead::NewLeadScreen /> }.into_any(),
                    }}
                </main>
            </div>
        </div>
    }
}

#[component]
fn Tabs() -> impl IntoView {
    let ctx = ctx();
    view! {
        <nav class="tabs" aria-label="Main">
            {Screen::TABS
                .into_iter()
                .map(|(screen, label)| {
                    view! {
                        <button
                            data-screen=screen.key()
                            class:active=move || ctx.tab() == screen
                            aria-current=move || (ctx.tab() == screen).then_some("page")
                            on:click=move |_| ctx.go(screen)
                        >
                            <span class=format!("tab-icon icon-{}", screen.key()) aria-hidden="true"></span>
                            <span class="tab-label">{label}</span>
                        </button>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// "Synced 5 min ago" / "3 waiting" / "Syncing…" / "Offline".
pub fn badge_text(s: Option<&SyncView>) -> (String, &'static str) {
    let Some(s) = s else {
        return ("Sync".into(), "idle");
    };
    if s.syncing {
        return ("Syncing…".into(), "syncing");
    }
    if !s.online {
        return ("Offline".into(), "offline");
    }
    if s.pending > 0 {
        return (format!("{} waiting", s.pending), "waiting");
    }
    if s.last_error.is_some() {
        return ("Sync problem".into(), "error");
    }
    match s.last_success {
        Some(at) => (format!("Synced {}", format::ago(at, s.now)), "ok"),
        None => ("Not synced yet".into(), "waiting"),
    }
}

#[component]
fn SyncBadge() -> impl IntoView {
    let ctx = ctx();
    // Polls also tick the clock, so "5 min ago" moves on.
    let state = move || {
        ctx.polls.track();
        ctx.sync.with(|s| badge_text(s.as_ref()))
    };
    view! {
        <button
            id="sync-badge"
            class=move || format!("sync-badge badge-{}", state().1)
            on:click=move |_| ctx.go(Screen::Sync)
        >
            <span class="dot" aria-hidden="true"></span>
            {move || state().0}
        </button>
    }
}
