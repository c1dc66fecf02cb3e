//! Small pieces shared by the screens.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_core::Priority;
use rounds_core::cadence::Status;
use rounds_protocol::ipc::IpcError;

use crate::state::Fetch;
use crate::{ipc, words};

/// A failure in words, with a way to try again.
#[component]
pub fn ErrorBox(error: IpcError, retry: Callback<()>) -> impl IntoView {
    view! {
        <div class="error-box" role="alert">
            <p>{words::error(&error)}</p>
            <button class="button secondary" on:click=move |_| retry.run(())>
                "Try again"
            </button>
        </div>
    }
}

/// Grey placeholder rows while the first answer is on its way.
#[component]
pub fn Skeleton(#[prop(default = 4)] rows: usize) -> impl IntoView {
    view! {
        <div class="skeleton" aria-hidden="true">
            {(0..rows).map(|_| view! { <div class="skeleton-row"></div> }).collect_view()}
        </div>
        <p class="visually-hidden" role="status">
            "Loading…"
        </p>
    }
}

#[component]
pub fn PriorityBadge(priority: Priority) -> impl IntoView {
    view! {
        <span class=format!("badge {}", words::priority_class(priority))>
            {words::priority(priority)}
        </span>
    }
}

/// A coloured dot and the status in words.
#[component]
pub fn StatusTag(status: Status) -> impl IntoView {
    view! {
        <span class=format!("status-tag {}", words::status_class(status))>
            <span class="dot" aria-hidden="true"></span>
            {words::status(status)}
        </span>
    }
}

/// Hands a `tel:`, `mailto:` or maps link to the shell; failures are not worth a word.
pub fn open(url: String) {
    spawn_local(async move {
        let _ = ipc::open_url(url).await;
    });
}

/// A link that works in the app (through the shell) and, for keyboards, like any link.
#[component]
pub fn ExternalLink(href: String, children: Children) -> impl IntoView {
    let url = href.clone();
    view! {
        <a
            href=href
            on:click=move |ev| {
                ev.prevent_default();
                open(url.clone());
            }
        >
            {children()}
        </a>
    }
}

/// Determinate when the fraction is known, a moving stripe otherwise.
#[component]
pub fn ProgressBar(#[prop(into)] progress: Signal<Option<f32>>) -> impl IntoView {
    let percent = move || progress.get().map(|p| (p.clamp(0.0, 1.0) * 100.0).round());
    view! {
        <div
            class="progress"
            role="progressbar"
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=move || percent().map(|p| p.to_string())
            class:indeterminate=move || percent().is_none()
        >
            <div
                class="progress-fill"
                style:width=move || percent().map(|p| format!("{p}%")).unwrap_or_else(|| "40%".into())
            ></div>
        </div>
    }
}

/// A screen's body: the data when it is there (kept while a newer request runs), a
/// skeleton before the first answer, and the failure in words with a retry.
pub fn fetched<T: Clone + Send + Sync + 'static>(
    f: Fetch<T>,
    retry: Callback<()>,
    show: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        let error = f
            .error
            .get()
            .map(|e| view! { <ErrorBox error=e retry=retry /> });
        let content = match f.data.get() {
            Some(v) => Some(show(v)),
            None if error.is_some() => None,
            None => Some(view! { <Skeleton /> }.into_any()),
        };
        view! {
            {error}
            {content}
        }
    }
}

/// A labelled text input bound to one field of a form's draft.
pub fn text_field<T: Send + Sync + 'static>(
    draft: RwSignal<T>,
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    get: fn(&T) -> String,
    set: fn(&mut T, String),
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            type=kind
            autocomplete="off"
            maxlength="200"
            prop:value=move || draft.with(get)
            on:input=move |ev| {
                let v = event_target_value(&ev);
                draft.update(|d| set(d, v));
            }
        />
    }
}
