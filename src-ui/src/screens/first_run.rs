//! Signing in, and waiting for the first territory download.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_protocol::ipc::{DemoOffer, IpcError, Profile, SignIn};

use crate::parts::ProgressBar;
use crate::state::{Phase, ctx};
use crate::{ipc, words};

#[component]
pub fn FirstRun(server_url: Option<String>, demo: Option<DemoOffer>) -> impl IntoView {
    let ctx = ctx();
    let server = RwSignal::new(server_url.unwrap_or_default());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    let signed_in = move |result: Result<Profile, IpcError>| match result {
        Ok(profile) => {
            ctx.sync.set(None);
            ctx.phase.set(Phase::FirstSync(profile));
            ctx.poll_now.set(true);
        }
        Err(e) => {
            busy.set(false);
            error.set(Some(words::sign_in_error(&e).to_owned()));
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let req = SignIn {
            server_url: server.get_untracked().trim().to_owned(),
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        if req.server_url.is_empty() || req.email.is_empty() || req.password.is_empty() {
            error.set(Some(
                "Enter the server address, your e-mail and your password.".into(),
            ));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move { signed_in(ipc::sign_in(req).await) });
    };

    let open_demo = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move { signed_in(ipc::open_demo().await) });
    };

    let demo_view = demo.map(|d| {
        view! {
            <div class="demo-offer">
                <p class="muted">
                    "Just looking? Open a demo territory as " <strong>{d.email}</strong> "."
                </p>
                <button
                    id="open-demo"
                    type="button"
                    class="button secondary wide"
                    disabled=move || busy.get()
                    on:click=open_demo
                >
                    "Open the demo"
                </button>
            </div>
        }
    });

    view! {
        <div class="first-run">
            <div class="card first-run-card">
                <p class="brand big">"Rounds"</p>
                <h1>"Sign in"</h1>
                <p class="muted">"Use the server address and account your manager gave you."</p>
                <form on:submit=submit novalidate=true>
                    <label for="server-url">"Server address"</label>
                    <input
                        id="server-url"
                        type="text"
                        inputmode="url"
                        autocomplete="url"
                        autocapitalize="off"
                        spellcheck="false"
                        placeholder="https://rounds.example.com"
                        prop:value=move || server.get()
                        on:input=move |ev| server.set(event_target_value(&ev))
                    />
                    <label for="email">"E-mail"</label>
                    <input
                        id="email"
                        type="email"
                        autocomplete="username"
                        autocapitalize="off"
                        spellcheck="false"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        type="password"
                        autocomplete="current-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    {move || {
                        error
                            .get()
                            .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
                    }}
                    <button id="sign-in" type="submit" class="button primary wide" disabled=move || busy.get()>
                        {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
                {demo_view}
            </div>
        </div>
    }
}

/// Shown after signing in until the first sync has brought the territory.
#[component]
pub fn FirstSync() -> impl IntoView {
    let ctx = ctx();
    let go_on = move || {
        if let Phase::FirstSync(p) = ctx.phase.get_untracked() {
            ctx.phase.set(Phase::Main(p));
        }
    };
    Effect::new(move |_| {
        if ctx
            .sync
            .with(|s| s.as_ref().is_some_and(|s| s.last_success.is_some()))
        {
            go_on();
        }
    });
    let retry = move |_| {
        spawn_local(async move {
            let _ = ipc::sync_now().await;
            ctx.poll_now.set(true);
        });
    };
    let failure = move || {
        ctx.sync.with(|s| {
            let s = s.as_ref()?;
            if !s.online {
                return Some(
                    "You are offline. Your territory will download when you are back online.",
                );
            }
            match (s.syncing, s.last_error) {
                (false, Some(code)) => Some(words::sync_error(code)),
                _ => None,
            }
        })
    };
    let progress = move || ctx.sync.with(|s| s.as_ref().and_then(|s| s.progress));
    let label = move || {
        ctx.sync
            .with(|s| s.as_ref().and_then(|s| s.progress_label.clone()))
            .unwrap_or_else(|| "Starting…".into())
    };
    view! {
        <div class="first-run">
            <div class="card first-run-card" id="first-sync">
                <p class="brand big">"Rounds"</p>
                <h1>"Getting your territory…"</h1>
                <p class="muted">"Accounts, contacts and your call plan are being copied to this device, so Rounds works without signal."</p>
                <ProgressBar progress=Signal::derive(progress) />
                <p class="progress-label" aria-live="polite">{label}</p>
                {move || {
                    failure()
                        .map(|words| {
                            view! {
                                <div class="error-box" role="alert">
                                    <p>{words}</p>
                                    <button class="button secondary" on:click=retry>
                                        "Try again"
                                    </button>
                                </div>
                            }
                        })
                }}
                <button class="button link" on:click=move |_| go_on()>
                    "Continue without waiting"
                </button>
            </div>
        </div>
    }
}
