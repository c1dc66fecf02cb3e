//! The people at an account: listed with their direct links, added and changed on the
//! device (queued, shown at once, marked waiting until the server has them).

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_protocol::AccountId;
use rounds_protocol::ipc::{AccountDetail, ContactView, IpcError, SaveContact};

use crate::parts::{ExternalLink, text_field};
use crate::state::{Fetch, Kept, ctx};
use crate::{ipc, words};

/// The form's state, kept while the account is drawn again under it.
#[derive(Clone, Copy)]
struct Form {
    /// Open, for a new contact or the one `draft.contact_id` names.
    open: RwSignal<bool>,
    draft: RwSignal<SaveContact>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<IpcError>>,
}

#[component]
pub fn Contacts(
    account: AccountId,
    contacts: Vec<ContactView>,
    f: Fetch<AccountDetail>,
) -> impl IntoView {
    let form_state = Kept::get(|| Form {
        open: RwSignal::new(false),
        draft: RwSignal::new(SaveContact::new(account, "")),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
    });
    let Form { open, draft, .. } = form_state;
    let first = contacts.is_empty();
    let open_new = move |_| {
        draft.set(SaveContact {
            // The first person added is the one quick actions reach.
            primary: first,
            ..SaveContact::new(account, "")
        });
        open.set(true);
    };
    let list = if contacts.is_empty() {
        view! { <p class="muted">"No contacts yet."</p> }.into_any()
    } else {
        let rows = contacts.clone();
        view! {
            <ul class="plain-list contacts">
                {rows
                    .into_iter()
                    .map(|c| {
                        let start = SaveContact {
                            account_id: account,
                            contact_id: Some(c.id),
                            name: c.name.clone(),
                            title: c.title.clone(),
                            phone: c.phone.clone(),
                            email: c.email.clone(),
                            primary: c.primary,
                        };
                        view! {
                            <li class="contact" class:pending=c.pending>
                                <span class="contact-name">
                                    {c.name}
                                    {c.primary.then(|| view! { <span class="badge quiet">"Primary"</span> })}
                                    {c.pending.then(|| view! { <span class="pending-tag">"waiting to sync"</span> })}
                                </span>
                                {c.title.map(|t| view! { <span class="muted">{t}</span> })}
                                <span class="contact-links">
                                    {c.phone.map(|p| view! { <ExternalLink href=rounds_core::tel_uri(&p)>{p}</ExternalLink> })}
                                    {c.email.map(|e| view! { <ExternalLink href=rounds_core::mailto_uri(&e)>{e}</ExternalLink> })}
                                </span>
                                <button
                                    class="button link edit-contact"
                                    on:click=move |_| {
                                        draft.set(start.clone());
                                        open.set(true);
                                    }
                                >
                                    "Edit"
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let form = move || {
        open.get()
            .then(|| view! { <ContactForm form=form_state f=f /> })
    };
    view! {
        <section class="card" id="contacts">
            <div class="card-head">
                <h2>"Contacts"</h2>
                <button id="add-contact" class="button secondary" on:click=open_new>
                    "+ Add contact"
                </button>
            </div>
            {list}
            {form}
        </section>
    }
}

#[component]
fn ContactForm(form: Form, f: Fetch<AccountDetail>) -> impl IntoView {
    let ctx = ctx();
    let Form {
        open,
        draft,
        busy,
        error,
    } = form;
    let account = draft.with_untracked(|d| d.account_id);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || draft.with_untracked(|d| d.name.trim().is_empty()) {
            return;
        }
        busy.set(true);
        error.set(None);
        let req = draft.get_untracked();
        spawn_local(async move {
            let answer = ipc::save_contact(req).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(_) => {
                    let _ = open.try_set(false);
                    ctx.poll_now.set(true);
                    f.run(ipc::account(account));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <form id="contact-form" class="contact-form" on:submit=save novalidate=true>
            {text_field(draft, "contact-name", "Name", "text", |d| d.name.clone(), |d, v| d.name = v)}
            {text_field(draft, "contact-title", "Role", "text", |d| d.title.clone().unwrap_or_default(), |d, v| d.title = Some(v))}
            {text_field(draft, "contact-phone", "Phone", "tel", |d| d.phone.clone().unwrap_or_default(), |d, v| d.phone = Some(v))}
            {text_field(draft, "contact-email", "E-mail", "email", |d| d.email.clone().unwrap_or_default(), |d, v| d.email = Some(v))}
            <label class="check">
                <input
                    id="contact-primary"
                    type="checkbox"
                    prop:checked=move || draft.with(|d| d.primary)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        draft.update(|d| d.primary = on);
                    }
                />
                "Primary contact (quick actions call and mail them)"
            </label>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
            <div class="form-actions">
                <button
                    id="contact-save"
                    class="button primary"
                    type="submit"
                    disabled=move || busy.get() || draft.with(|d| d.name.trim().is_empty())
                >
                    "Save contact"
                </button>
                <button class="button secondary" type="button" on:click=move |_| open.set(false)>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
