//! "New lead here": the shop at the door, saved offline in at most three taps plus its
//! name. The place is the device's fix, asked for as the screen opens, or a tap on a map
//! that works offline; before saving, the rep is asked about accounts on the device it
//! may already be.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_core::{LatLon, Priority};
use rounds_protocol::ipc::{Fix, IpcError, LeadDraft, Lookalike, MapPin, NewLead};

use crate::map::PinPicker;
use crate::parts::text_field;
use crate::state::{Screen, ctx};
use crate::{format, geo, ipc, words};

/// How long the screen waits for a fix before the rep saves without one.
const LOCATE_MS: u32 = 8_000;

#[derive(Debug, Clone, PartialEq)]
enum Fixing {
    Locating,
    Found(Fix),
    /// Put on the map by the rep (the accuracy is a finger's width at that zoom).
    Placed(Fix),
    None,
}

#[component]
pub fn NewLeadScreen() -> impl IntoView {
    let ctx = ctx();
    let lead = RwSignal::new(NewLead::default());
    let fixing = RwSignal::new(Fixing::Locating);
    let asked = RwSignal::new(None::<Vec<Lookalike>>);
    let error = RwSignal::new(None::<IpcError>);
    let saving = RwSignal::new(false);
    spawn_local(async move {
        let fix = geo::position(LOCATE_MS).await;
        let _ = fixing.try_set(fix.map_or(Fixing::None, Fixing::Found));
    });

    let fix = move || match fixing.get_untracked() {
        Fixing::Found(f) | Fixing::Placed(f) => Some(f),
        _ => None,
    };
    // "Place on the map": where it opens and the pins around, while it is open.
    let picking = RwSignal::new(None::<(LatLon, Vec<MapPin>)>);
    let no_map = RwSignal::new(false);
    let open_map = move |_| {
        let near = fix().and_then(|f| LatLon::new(f.lat, f.lon).ok());
        spawn_local(async move {
            let pins = ipc::map_pins(near).await.unwrap_or_default();
            let start = near.or_else(|| pins.first().map(|p| p.location));
            match start {
                Some(start) => {
                    let _ = picking.try_set(Some((start, pins)));
                }
                None => {
                    let _ = no_map.try_set(true);
                }
            }
        });
    };
    let picker = move || {
        let online = web_sys::window().is_some_and(|w| w.navigator().on_line());
        picking.get().map(|(start, around)| {
            view! {
                <PinPicker
                    start=start
                    current=fix().and_then(|f| LatLon::new(f.lat, f.lon).ok())
                    around=around
                    online=online
                    on_pick=Callback::new(move |(p, accuracy_m): (LatLon, f64)| {
                        picking.set(None);
                        fixing.set(Fixing::Placed(Fix { lat: p.lat(), lon: p.lon(), accuracy_m }));
                    })
                    on_cancel=Callback::new(move |_| picking.set(None))
                />
            }
        })
    };
    let create = move || {
        saving.set(true);
        let mut req = lead.get_untracked();
        req.fix = fix();
        spawn_local(async move {
            let answer = ipc::create_account(req).await;
            let _ = saving.try_set(false);
            match answer {
                Ok(id) => {
                    ctx.refresh.update(|n| *n += 1);
                    ctx.poll_now.set(true);
                    ctx.go(Screen::Account(id));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    // First save: ask about look-alikes; with none, save at once.
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() || lead.with_untracked(|l| l.name.trim().is_empty()) {
            return;
        }
        error.set(None);
        let draft = lead.with_untracked(|l| LeadDraft {
            name: l.name.clone(),
            phone: l.phone.clone(),
            fix: fix(),
        });
        saving.set(true);
        spawn_local(async move {
            match ipc::lookalikes(draft).await {
                Ok(found) if found.is_empty() => create(),
                Ok(found) => {
                    let _ = saving.try_set(false);
                    let _ = asked.try_set(Some(found));
                }
                Err(e) => {
                    let _ = saving.try_set(false);
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };

    let name = move || lead.with(|l| l.name.clone());
    let on_name = move |ev| {
        let v = event_target_value(&ev);
        lead.update(|l| l.name = v);
    };

    let place = move || match fixing.get() {
        Fixing::Locating => "Finding where you are…".to_owned(),
        Fixing::Found(f) => format!("Pinned where you stand (±{} m)", f.accuracy_m.round()),
        Fixing::Placed(f) => format!("Placed on the map (±{} m)", f.accuracy_m.round()),
        Fixing::None => {
            "No location: it is saved without a pin (fix it later from the account)".to_owned()
        }
    };

    view! {
        <section id="new-lead" class="screen">
            <button id="back" class="button link back" on:click=move |_| ctx.go(Screen::Accounts)>
                "‹ Accounts"
            </button>
            <div class="screen-head">
                <div>
                    <h1>"New lead here"</h1>
                    <p id="lead-place" class="muted" role="status">{place}</p>
                    {move || (!matches!(fixing.get(), Fixing::Locating)).then(|| view! {
                        <button id="lead-on-map" type="button" class="button secondary" on:click=open_map>
                            "Place on the map"
                        </button>
                    })}
                    {move || no_map.get().then(|| view! {
                        <p class="muted">"No account has a pin yet to open the map on."</p>
                    })}
                </div>
            </div>
            {picker}
            <div class="card">
                <form class="lead-form" on:submit=save novalidate=true>
                    <label for="lead-name">"Name of the shop"</label>
                    <input
                        id="lead-name"
                        required
                        autofocus
                        maxlength="200"
                        autocomplete="off"
                        prop:value=name
                        on:input=on_name
                    />
                    <details class="more">
                        <summary>"Phone, e-mail, address, industry"</summary>
                        {text_field(lead, "lead-phone", "Phone", "tel", |l| l.phone.clone().unwrap_or_default(), |l, v| l.phone = Some(v))}
                        {text_field(lead, "lead-email", "E-mail", "email", |l| l.email.clone().unwrap_or_default(), |l, v| l.email = Some(v))}
                        {text_field(lead, "lead-street", "Street", "text", |l| l.street.clone(), |l, v| l.street = v)}
                        {text_field(lead, "lead-city", "City", "text", |l| l.city.clone(), |l, v| l.city = v)}
                        {text_field(lead, "lead-postal", "Postal code", "text", |l| l.postal_code.clone(), |l, v| l.postal_code = v)}
                        {text_field(lead, "lead-industry", "Industry", "text", |l| l.industry.clone().unwrap_or_default(), |l, v| l.industry = Some(v))}
                        <label for="lead-priority">"Call plan"</label>
                        <select
                            id="lead-priority"
                            on:change=move |ev| {
                                let picked = event_target_value(&ev).parse::<usize>().ok();
                                lead.update(|l| l.priority = picked.and_then(|i| Priority::ALL.get(i).copied()));
                            }
                        >
                            {Priority::ALL
                                .iter()
                                .enumerate()
                                .map(|(i, p)| {
                                    let p = *p;
                                    let chosen = move || lead.with(|l| l.priority.unwrap_or(Priority::Low) == p);
                                    view! { <option value=i.to_string() prop:selected=chosen>{words::priority(p)}</option> }
                                })
                                .collect_view()}
                        </select>
                    </details>
                    {move || {
                        error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })
                    }}
                    <Show when=move || asked.with(Option::is_none)>
                        <button
                            id="lead-save"
                            class="button primary wide"
                            type="submit"
                            disabled=move || saving.get() || lead.with(|l| l.name.trim().is_empty())
                        >
                            {move || if saving.get() { "Saving…" } else { "Save lead" }}
                        </button>
                    </Show>
                </form>
            </div>
            {move || {
                asked
                    .get()
                    .map(|found| {
                        view! {
                            <div id="lookalikes" class="card lookalikes" role="alert">
                                <h2>"Already on your list?"</h2>
                                <ul class="lookalike-list">
                                    {found
                                        .into_iter()
                                        .map(|l| {
                                            let id = l.id;
                                            view! {
                                                <li>
                                                    <span class="lookalike-text">{question(&l)}</span>
                                                    <button
                                                        class="button secondary open-lookalike"
                                                        on:click=move |_| ctx.go(Screen::Account(id))
                                                    >
                                                        "Open it"
                                                    </button>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                                <button
                                    id="lead-save-anyway"
                                    class="button primary wide"
                                    disabled=move || saving.get()
                                    on:click=move |_| create()
                                >
                                    "No, it is a new account"
                                </button>
                            </div>
                        }
                    })
            }}
        </section>
    }
}

/// "Is this Acme Tools (Springfield), 80 m away? Same phone."
pub fn question(l: &Lookalike) -> String {
    let mut s = format!("Is this {}", l.name);
    if !l.city.is_empty() {
        s.push_str(&format!(" ({})", l.city));
    }
    if let Some(d) = l.distance_m {
        s.push_str(&format!(", {} away", format::distance(d)));
    }
    s.push('?');
    if l.same_phone {
        s.push_str(" Same phone number.");
    }
    s
}
