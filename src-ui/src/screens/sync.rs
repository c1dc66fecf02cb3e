//! Sync: what is waiting, what went wrong, and the button to sync now.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_core::{LatLon, calendar};
use rounds_protocol::auth::ChangePassword;
use rounds_protocol::ipc::{DaySettings, IpcError, IssueView, LunchBreak, NightAway, Session};

use crate::parts::{ErrorBox, ProgressBar, Skeleton};
use crate::state::{Ctx, Phase, Screen, ctx};
use crate::{format, geo, ipc, words};

#[component]
pub fn SyncScreen() -> impl IntoView {
    let ctx = ctx();
    let seen = ctx.polls.get_untracked();
    ctx.poll_now.set(true);
    // Loaded once a status newer than this screen has arrived.
    let fresh = move || ctx.polls.get() > seen;
    let requested = RwSignal::new(false);
    let answered = StoredValue::new(false);
    let failed = RwSignal::new(None::<IpcError>);
    let status = move || ctx.sync.get();
    let syncing =
        move || requested.get() || ctx.sync.with(|s| s.as_ref().is_some_and(|s| s.syncing));
    // "Syncing…" holds from the tap until a status newer than the shell's answer.
    Effect::watch(
        move || ctx.polls.get(),
        move |_, _, _| {
            if answered.get_value() {
                answered.set_value(false);
                requested.set(false);
            }
        },
        false,
    );
    let sync_now = move |_| {
        requested.set(true);
        answered.set_value(false);
        failed.set(None);
        spawn_local(async move {
            let answer = ipc::sync_now().await;
            answered.set_value(true);
            if let Err(e) = answer {
                requested.set(false);
                failed.set(Some(e));
            }
            ctx.poll_now.set(true);
        });
    };
    let body = move || {
        let Some(s) = status() else {
            return match ctx.poll_error.get() {
                Some(e) => view! {
                    <ErrorBox error=e retry=Callback::new(move |_| ctx.poll_now.set(true)) />
                }
                .into_any(),
                None => view! { <Skeleton rows=2 /> }.into_any(),
            };
        };
        let (at, now) = (s.last_success, s.now);
        let last = move || {
            ctx.polls.track();
            at.map(|at| format::ago(at, now))
                .unwrap_or_else(|| "Never".into())
        };
        let progress = s.progress;
        let label = s.progress_label.clone();
        let error = s
            .last_error
            .filter(|_| !s.syncing)
            .map(|code| view! { <div class="error-box" role="alert"><p>{words::sync_error(code)}</p></div> });
        view! {
            <div class="card">
                <dl class="facts">
                    <div>
                        <dt>"Last synced"</dt>
                        <dd id="last-synced">{last}</dd>
                    </div>
                    <div>
                        <dt>"Waiting to sync"</dt>
                        <dd id="pending-count">{s.pending.to_string()}</dd>
                    </div>
                    <div>
                        <dt>"Connection"</dt>
                        <dd class=if s.online { "online" } else { "offline" }>
                            {if s.online { "Online" } else { "Offline" }}
                        </dd>
                    </div>
                </dl>
                {s
                    .syncing
                    .then(|| {
                        view! {
                            <ProgressBar progress=Signal::derive(move || progress) />
                            <p class="progress-label" aria-live="polite">
                                {label.unwrap_or_else(|| "Syncing…".into())}
                            </p>
                        }
                    })}
                {error}
            </div>
            <Issues issues=s.issues />
        }
        .into_any()
    };
    view! {
        <section id="sync" class="screen" class:loading=move || {
                !fresh() || (status().is_none() && ctx.poll_error.with(Option::is_none))
            }>
            <div class="screen-head">
                <h1>"Sync"</h1>
                // Never disabled by a running sync: a tap also cuts a retry backoff short.
                <button id="sync-now" class="button primary" on:click=sync_now>
                    {move || if syncing() { "Syncing…" } else { "Sync now" }}
                </button>
            </div>
            {move || failed.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
            {body}
            <DayForm />
            <CalendarFeed />
            <PasswordForm />
            <SignOut />
        </section>
    }
}

#[component]
fn Issues(issues: Vec<IssueView>) -> impl IntoView {
    let ctx = ctx();
    if issues.is_empty() {
        return view! {
            <div class="empty">
                <h2>"Nothing needs your attention"</h2>
                <p>"Everything you logged was accepted."</p>
            </div>
        }
        .into_any();
    }
    let zone = ctx.profile().map(|p| p.time_zone);
    view! {
        <section class="card">
            <h2>"Needs your attention"</h2>
            <ul class="plain-list">
                {issues
                    .into_iter()
                    .map(|i| {
                        let seq = i.seq;
                        let open = i
                            .account_id
                            .map(|id| {
                                view! {
                                    <button class="button small secondary" on:click=move |_| ctx.go(Screen::Account(id))>
                                        "Open account"
                                    </button>
                                }
                            });
                        view! {
                            <li class="issue">
                                <span class="badge quiet">{words::issue_kind(i.kind)}</span>
                                <p class="issue-what">{i.what}</p>
                                <p class="muted">{i.reason}</p>
                                <p class="muted small">{format::date_time(i.at, zone.as_deref())}</p>
                                <div class="issue-actions">
                                    {open}
                                    <button class="button small secondary" on:click=move |_| dismiss(ctx, seq)>
                                        "Dismiss"
                                    </button>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

fn dismiss(ctx: Ctx, seq: u64) {
    // Gone from the list at once; the next status confirms it.
    ctx.sync.update(|s| {
        if let Some(s) = s {
            s.issues.retain(|i| i.seq != seq);
        }
    });
    spawn_local(async move {
        let _ = ipc::dismiss_issue(seq).await;
        ctx.poll_now.set(true);
    });
}

/// Changing the password needs the server; the other devices and browsers signed in as
/// the rep are signed out by it, this one stays.
/// The address of the rep's appointments and planned visits as a calendar, for the
/// calendar app they use.
#[component]
fn CalendarFeed() -> impl IntoView {
    let url = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<IpcError>);
    let busy = RwSignal::new(false);
    let make = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let out = ipc::calendar_feed().await;
            busy.set(false);
            match out {
                Ok(u) => url.set(Some(u)),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card" id="calendar-feed" aria-labelledby="calendar-title">
            <h2 id="calendar-title">"Your visits in your calendar"</h2>
            <p class="muted">
                "Subscribe to this address in your calendar app: your appointments show there, and the visits of the week you last planned, marked tentative, after each sync. Anyone with it sees them; a new address ends the old one."
            </p>
            {move || url.get().map(|u| view! {
                <input id="calendar-url" type="text" readonly=true prop:value=u />
            })}
            <button id="calendar-make" class="button secondary" on:click=make disabled=move || busy.get()>
                {move || if url.with(Option::is_some) { "Make a new address" } else { "Get the address" }}
            </button>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let open = RwSignal::new(false);
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let note = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let save = move |_| {
        let (c, n, a) = (
            current.get_untracked(),
            new.get_untracked(),
            again.get_untracked(),
        );
        if n != a {
            note.set(Some((
                false,
                "The new password and its repetition differ.".into(),
            )));
            return;
        }
        if n.chars().count() < 8 {
            note.set(Some((
                false,
                "The new password needs at least 8 characters.".into(),
            )));
            return;
        }
        busy.set(true);
        note.set(None);
        spawn_local(async move {
            let req = ChangePassword {
                current_password: c,
                new_password: n,
            };
            let out = ipc::change_password(req).await;
            busy.set(false);
            match out {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    again.set(String::new());
                    open.set(false);
                    note.set(Some((
                        true,
                        "Password changed. Your other devices will ask you to sign in again."
                            .into(),
                    )));
                }
                Err(e) => note.set(Some((false, words::password_error(&e).to_owned()))),
            }
        });
    };
    let field = |id: &'static str,
                 label: &'static str,
                 value: RwSignal<String>,
                 auto: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="password" autocomplete=auto
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    view! {
        <section class="card password-form" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            {move || {
                if open.get() {
                    view! {
                        {field("current-password", "Current password", current, "current-password")}
                        {field("new-password", "New password (at least 8 characters)", new, "new-password")}
                        {field("again-password", "New password again", again, "new-password")}
                        <div class="row-actions">
                            <button class="button secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                            <button id="password-save" class="button primary" on:click=save disabled=move || busy.get()>
                                {move || if busy.get() { "Changing…" } else { "Change password" }}
                            </button>
                        </div>
                    }
                        .into_any()
                } else {
                    view! {
                        <button id="password-open" class="button link" on:click=move |_| {
                            note.set(None);
                            open.set(true);
                        }>"Change password"</button>
                    }
                        .into_any()
                }
            }}
            {move || note.get().map(|(ok, text)| {
                if ok {
                    view! { <p class="form-ok" role="status">{text}</p> }.into_any()
                } else {
                    view! { <p class="form-error" role="alert">{text}</p> }.into_any()
                }
            })}
        </section>
    }
}

/// Signing out asks twice when work has not reached the server.
#[component]
fn SignOut() -> impl IntoView {
    let ctx = ctx();
    let confirm = RwSignal::new(false);
    let failed = RwSignal::new(None::<IpcError>);
    let pending = move || ctx.sync.with(|s| s.as_ref().map_or(0, |s| s.pending));
    let sign_out = move |_| {
        failed.set(None);
        spawn_local(async move {
            if let Err(e) = ipc::sign_out().await {
                failed.set(Some(e));
                return;
            }
            let next = match ipc::session().await {
                Ok(Session::SignedOut { server_url, demo }) => {
                    Phase::SignedOut { server_url, demo }
                }
                _ => Phase::SignedOut {
                    server_url: None,
                    demo: None,
                },
            };
            ctx.reset();
            ctx.phase.set(next);
        });
    };
    view! {
        <section class="sign-out">
            {move || {
                if confirm.get() {
                    let warn = match pending() {
                        0 => "Sign out of Rounds on this device?".to_owned(),
                        n => format!(
                            "{} not synced yet. Sign out anyway?",
                            format::plural(n, "change is", "changes are"),
                        ),
                    };
                    view! {
                        <p>{warn}</p>
                        <div class="row-actions">
                            <button class="button secondary" on:click=move |_| confirm.set(false)>
                                "Cancel"
                            </button>
                            <button id="sign-out-confirm" class="button danger" on:click=sign_out>
                                "Sign out"
                            </button>
                        </div>
                    }
                        .into_any()
                } else {
                    view! {
                        <button id="sign-out" class="button link" on:click=move |_| confirm.set(true)>
                            "Sign out"
                        </button>
                    }
                        .into_any()
                }
            }}
            {move || failed.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
        </section>
    }
}

/// The lunch break as typed: none when the minutes are empty; checked by the rule the
/// shell keeps, so a refusal says why.
fn lunch_of(from: &str, until: &str, minutes: &str) -> Result<Option<LunchBreak>, String> {
    if minutes.trim().is_empty() {
        return Ok(None);
    }
    let minutes: u16 = minutes
        .trim()
        .parse()
        .map_err(|_| "write its length in minutes".to_owned())?;
    let time = |t: &str| format::minute_of(t).ok_or_else(|| "write its times as HH:MM".to_owned());
    let (from_min, until_min) = (time(from)?, time(until)?);
    rounds_core::hours::check_lunch(from_min, until_min, minutes).map_err(|e| e.to_string())?;
    Ok(Some(LunchBreak {
        from_min,
        until_min,
        minutes,
    }))
}

/// What "plan my day" and the week plan with: when the day starts, the workday, time
/// per visit, and home.
#[component]
fn DayForm() -> impl IntoView {
    let loaded = RwSignal::new(None::<DaySettings>);
    let hours = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let visit = RwSignal::new(String::new());
    let home = RwSignal::new(None::<LatLon>);
    let office = RwSignal::new(None::<LatLon>);
    let office_days = RwSignal::new(Vec::<chrono::Weekday>::new());
    let nights = RwSignal::new(Vec::<NightAway>::new());
    let night_date = RwSignal::new(String::new());
    let week_hours = RwSignal::new(String::new());
    let days_off = RwSignal::new(String::new());
    let lunch_from = RwSignal::new(String::new());
    let lunch_until = RwSignal::new(String::new());
    let lunch_minutes = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    let failed = RwSignal::new(None::<IpcError>);
    let fill = move |s: DaySettings| {
        hours.set(format!("{}", f64::from(s.workday_minutes) / 60.0));
        start.set(format::clock(s.day_start_minutes));
        visit.set(s.visit_minutes.to_string());
        home.set(s.home);
        office.set(s.office);
        office_days.set(s.office_days.clone());
        nights.set(s.nights_away.clone());
        week_hours.set(s.week_hours.clone().unwrap_or_default());
        days_off.set(calendar::format_days_off(
            &s.days_off.iter().copied().collect(),
        ));
        let (from, until, minutes) = match s.lunch {
            Some(l) => (
                format::clock(u32::from(l.from_min)),
                format::clock(u32::from(l.until_min)),
                l.minutes.to_string(),
            ),
            None => ("12:00".into(), "14:00".into(), String::new()),
        };
        lunch_from.set(from);
        lunch_until.set(until);
        lunch_minutes.set(minutes);
        loaded.set(Some(s));
    };
    spawn_local(async move {
        match ipc::day_settings().await {
            Ok(s) => fill(s),
            Err(e) => failed.set(Some(e)),
        }
    });
    // Sets `place` (home or office) to where the device is.
    let here = move |place: RwSignal<Option<LatLon>>| {
        note.set(Some("Finding where you are…".into()));
        spawn_local(async move {
            match geo::position(5_000).await.as_ref().and_then(geo::lat_lon) {
                Some(p) => {
                    place.set(Some(p));
                    note.set(None);
                }
                None => note.set(Some("Could not get your location.".into())),
            }
        });
    };
    let save = move |_| {
        let Some(current) = loaded.get_untracked() else {
            return;
        };
        let workday = hours
            .get_untracked()
            .trim()
            .replace(',', ".")
            .parse::<f64>();
        let per_visit = visit.get_untracked().trim().parse::<u32>();
        let day_start = format::minute_of(&start.get_untracked()).map(u32::from);
        let (Ok(workday), Ok(per_visit), Some(day_start)) = (workday, per_visit, day_start) else {
            note.set(Some(
                "Enter the start as a time of day, the workday in hours and the visit in minutes."
                    .into(),
            ));
            return;
        };
        let off = match calendar::parse_days_off(&days_off.get_untracked()) {
            Ok(d) => d.into_iter().collect(),
            Err(e) => {
                note.set(Some(format!("Days off: {e}.")));
                return;
            }
        };
        let lunch = match lunch_of(
            &lunch_from.get_untracked(),
            &lunch_until.get_untracked(),
            &lunch_minutes.get_untracked(),
        ) {
            Ok(l) => l,
            Err(e) => {
                note.set(Some(format!("Lunch: {e}.")));
                return;
            }
        };
        let own_hours = week_hours.get_untracked();
        if let Err(e) = rounds_core::hours::work_week(&own_hours) {
            note.set(Some(format!("Your hours: {e}.")));
            return;
        }
        let req = DaySettings {
            day_start_minutes: day_start,
            workday_minutes: (workday * 60.0).round().clamp(0.0, 10_000.0) as u32,
            visit_minutes: per_visit,
            home: home.get_untracked(),
            week_hours: Some(own_hours.trim().to_owned()).filter(|t| !t.is_empty()),
            days_off: off,
            office: office.get_untracked(),
            office_days: office_days.get_untracked(),
            nights_away: nights.get_untracked(),
            lunch,
            ..current
        };
        failed.set(None);
        note.set(None);
        spawn_local(async move {
            match ipc::save_day_settings(req).await {
                Ok(s) => {
                    fill(s);
                    note.set(Some(
                        "Saved. Plan my day and the week use these now.".into(),
                    ));
                }
                Err(e) => failed.set(Some(e)),
            }
        });
    };
    let home_text = move || match home.get() {
        Some(p) => format!("{:.4}, {:.4}", p.lat(), p.lon()),
        None => "Not set: the day starts at the most urgent stop".into(),
    };
    let office_text = move || match office.get() {
        Some(p) => format!("{:.4}, {:.4}", p.lat(), p.lon()),
        None => "Not set".into(),
    };
    // A night away, at the place the device is now (the rep checks in, then adds it).
    let add_night = move |_| {
        let Ok(night) = night_date.get_untracked().parse::<chrono::NaiveDate>() else {
            note.set(Some("Pick the night's date first.".into()));
            return;
        };
        note.set(Some("Finding where you are…".into()));
        spawn_local(async move {
            match geo::position(5_000).await.as_ref().and_then(geo::lat_lon) {
                Some(place) => {
                    nights.update(|v| {
                        v.retain(|n| n.night != night);
                        v.push(NightAway { night, place });
                        v.sort_by_key(|n| n.night);
                    });
                    note.set(Some("Added. Save to plan with it.".into()));
                }
                None => note.set(Some("Could not get your location.".into())),
            }
        });
    };
    let night_list = move || {
        nights
            .get()
            .into_iter()
            .map(|n| {
                let night = n.night;
                view! {
                    <li class="night-away" data-night=night.to_string()>
                        <span>{format::long_date(night)}</span>
                        <span class="muted">{format!(" {:.4}, {:.4}", n.place.lat(), n.place.lon())}</span>
                        <button type="button" class="button link" on:click=move |_| nights.update(|v| v.retain(|x| x.night != night))>
                            "Remove"
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    use chrono::Weekday::*;
    let weekdays = [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
        .into_iter()
        .map(|d| {
            let id = format!("office-{}", d.to_string().to_lowercase());
            let label_for = id.clone();
            view! {
                <label class="check" for=label_for>
                    <input id=id type="checkbox"
                        prop:checked=move || office_days.with(|v| v.contains(&d))
                        disabled=move || office.with(Option::is_none)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            office_days.update(|v| {
                                v.retain(|x| *x != d);
                                if on {
                                    v.push(d);
                                }
                            });
                        } />
                    {d.to_string()}
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="card day-form" aria-labelledby="day-title">
            <h2 id="day-title">"Your day"</h2>
            <label for="day-start">"Day starts at"</label>
            <input id="day-start" type="time" step="300"
                prop:value=move || start.get() on:input=move |ev| start.set(event_target_value(&ev)) />
            <label for="workday-hours">"Workday (hours)"</label>
            <input id="workday-hours" type="number" min="1" max="16" step="0.5" inputmode="decimal"
                prop:value=move || hours.get() on:input=move |ev| hours.set(event_target_value(&ev)) />
            <label for="visit-minutes">"Time at each visit (minutes)"</label>
            <input id="visit-minutes" type="number" min="5" max="240" step="5" inputmode="numeric"
                prop:value=move || visit.get() on:input=move |ev| visit.set(event_target_value(&ev)) />
            <label for="week-hours">"Hours by weekday (optional)"</label>
            <input id="week-hours" type="text" autocomplete="off" placeholder="Mo-Th 08:00-17:00; Fr 08:00-13:00"
                aria-describedby="week-hours-help"
                prop:value=move || week_hours.get() on:input=move |ev| week_hours.set(event_target_value(&ev)) />
            <p id="week-hours-help" class="muted">
                "Written like a shop's opening hours, one stretch a day. When set, it replaces the start and workday above, and days it leaves out are days off."
            </p>
            <label for="days-off">"Days off"</label>
            <textarea id="days-off" rows="3" placeholder="2026-12-24 – 2027-01-01" aria-describedby="days-off-help"
                prop:value=move || days_off.get() on:input=move |ev| days_off.set(event_target_value(&ev))></textarea>
            <p id="days-off-help" class="muted">
                "One date or stretch a line: the week plans around them, besides the company's holidays."
            </p>
            <fieldset class="plain lunch">
                <legend class="label">"Lunch break"</legend>
                <div class="lunch-fields">
                    <div>
                        <label for="lunch-minutes">"Minutes"</label>
                        <input id="lunch-minutes" type="number" min="5" max="120" step="5" inputmode="numeric" placeholder="none"
                            aria-describedby="lunch-help"
                            prop:value=move || lunch_minutes.get() on:input=move |ev| lunch_minutes.set(event_target_value(&ev)) />
                    </div>
                    <div>
                        <label for="lunch-from">"Between"</label>
                        <input id="lunch-from" type="time" step="300"
                            prop:value=move || lunch_from.get() on:input=move |ev| lunch_from.set(event_target_value(&ev)) />
                    </div>
                    <div>
                        <label for="lunch-until">"And"</label>
                        <input id="lunch-until" type="time" step="300"
                            prop:value=move || lunch_until.get() on:input=move |ev| lunch_until.set(event_target_value(&ev)) />
                    </div>
                </div>
                <p id="lunch-help" class="muted">
                    "Taken wherever you are, in a wait before a shop opens when there is one. Leave the minutes empty for none. An appointment over lunch wins."
                </p>
            </fieldset>
            <p class="label">"Home (start and end of the day)"</p>
            <p id="home-place" class="muted">{home_text}</p>
            <div class="row-actions">
                <button id="home-here" type="button" class="button secondary" on:click=move |_| here(home)>"Use where I am now"</button>
                <button id="home-clear" type="button" class="button secondary" on:click=move |_| home.set(None)>"Clear"</button>
            </div>
            <p class="label">"Office (optional)"</p>
            <p id="office-place" class="muted">{office_text}</p>
            <div class="row-actions">
                <button id="office-here" type="button" class="button secondary" on:click=move |_| here(office)>"Use where I am now"</button>
                <button id="office-clear" type="button" class="button secondary" on:click=move |_| {
                    office.set(None);
                    office_days.set(Vec::new());
                }>"Clear"</button>
            </div>
            <fieldset class="plain office-days">
                <legend class="label">"Days that start and end at the office"</legend>
                <div class="row-actions">{weekdays}</div>
            </fieldset>
            <p class="label">"Nights away"</p>
            <p class="muted">"On a trip, that day ends where you stay and the next starts there."</p>
            <ul class="plain-list nights-away">{night_list}</ul>
            <label for="night-date">"Night of"</label>
            <input id="night-date" type="date"
                prop:value=move || night_date.get() on:input=move |ev| night_date.set(event_target_value(&ev)) />
            <div class="row-actions">
                <button id="night-here" type="button" class="button secondary" on:click=add_night>"Staying where I am now"</button>
            </div>
            {move || loaded.get().map(|s| view! { <p class="muted">"Days are counted in " {s.time_zone} "."</p> })}
            {move || note.get().map(|n| view! { <p class="muted" role="status">{n}</p> })}
            {move || failed.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
            <button id="save-day" type="button" class="button primary" disabled=move || loaded.with(Option::is_none) on:click=save>
                "Save"
            </button>
        </section>
    }
}
