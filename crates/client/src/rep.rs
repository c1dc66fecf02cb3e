//! The rep's use cases over the device store, answered in the IPC types the UI reads:
//! Today, plan my day, accounts, an account, quick actions, the sync screen.
//!
//! Everything here works offline; "now" is passed in so tests fix the day.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rounds_core::activity::CHECK_IN_RADIUS_M;
use rounds_core::calendar::{MAX_DAYS_OFF, local_date, start_of_day};
use rounds_core::score::{self, Touched};
use rounds_core::{
    AccountCadence, ActivityKind, CadenceEngine, CheckIn, CorrectionKind, LatLon, LocationFix,
    Priority, RotationPlan, Status, TouchKind, Tz, WorkCalendar,
};
use rounds_protocol::auth::UserInfo;
use rounds_protocol::ipc::{
    AccountDetail, AccountList, AccountOrder, AccountQuery, AccountSummary, AddFollowUp,
    AmendActivity, AppointmentItem, AttachPhoto, CancelAppointment, CompleteFollowUp, ContactView,
    DayRoute, DaySettings, DueFilter, FollowUpItem, Horizon, IpcError, IssueKindView, IssueView,
    LogActivity, Logged, LunchSlot, MapPin, NextDue, NightAway, Owed, PhotoItem, PhotoUpload,
    PinToDay, PlanDay, Profile, RouteCandidate, RoutePoint, RouteStop, SaveAppointment,
    ScoreFactor, SyncView, TimelineItem, TodayItem, TodayView, WeekDay, WeekPlan, WeekStop,
};
use rounds_protocol::sync::MutationBody;
use rounds_protocol::week::{
    MAX_NOT_PLANNED, MAX_PLANNED_DAYS, PlannedDay, PlannedMiss, PlannedVisit, PlannedWeek,
};
use rounds_protocol::{AccountId, ActivityId, AppointmentId, ErrorCode, FollowUpId, PhotoId};
use rounds_route::{
    End, FIXED, Options, TimedOptions, TimedProblem, Window, WindowDrop, fit_windows_preferring,
};
use rounds_store::{
    AccountView, AppointmentInput, FollowUpView, IssueKind, NewActivity, NewFollowUp, NewPhoto,
    PhotoView, Store, SyncIssue, Upload,
};
use serde::{Deserialize, Serialize};

mod calendar_file;

pub use calendar_file::CalendarFile;

use crate::engine::Progress;
use crate::runner::SyncStatus;

/// Settings keys this module owns.
pub const PROFILE_KEY: &str = "profile";
pub const WORKDAY_KEY: &str = "workday_minutes";
pub const DAY_START_KEY: &str = "day_start_minutes";
pub const VISIT_KEY: &str = "visit_minutes";
pub const HOME_KEY: &str = "home";
/// The rep's hours by weekday, in the opening-hours form (one stretch a day).
pub const WEEK_HOURS_KEY: &str = "week_hours";
/// The rep's own days off: `[date]`.
pub const DAYS_OFF_KEY: &str = "days_off";
/// The office's place, and the weekdays that start and end there.
pub const OFFICE_KEY: &str = "office";
pub const OFFICE_DAYS_KEY: &str = "office_days";
/// Nights away on trips: `[NightAway]`.
pub const NIGHTS_KEY: &str = "nights_away";
/// The rep's lunch break: `LunchBreak`.
pub const LUNCH_KEY: &str = "lunch";
/// At most this many nights away are kept.
const MAX_NIGHTS: usize = 60;
/// The days the rep put accounts' visits on: `[(account, date)]`.
pub const WEEK_PINS_KEY: &str = "week_pins";
/// The visits of the week the rep was last shown: `[(account, date)]`.
pub const WEEK_SHOWN_KEY: &str = "week_shown";
/// That week whole, as its manager reads it (`PlannedWeek`), and when the last one
/// sent to the server was planned.
pub const PLANNED_WEEK_KEY: &str = "planned_week";
pub const PLANNED_WEEK_SENT_KEY: &str = "planned_week_sent";
pub const REMINDED_KEY: &str = "reminded_on";

use rounds_core::workload::{
    VISIT_MINUTES as DEFAULT_VISIT_MIN, WORKDAY_MINUTES as DEFAULT_WORKDAY_MIN,
};
/// Workdays `plan_week` plans, today included: two weeks.
const WEEK_WORKDAYS: usize = 10;
/// Lists stop here; search narrows further.
const LIST_LIMIT: usize = 200;

/// Who is signed in on this device, kept in the store's settings (the token is not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProfile {
    pub user: UserInfo,
    pub server_url: String,
}

impl StoredProfile {
    pub fn to_ipc(&self) -> Profile {
        Profile {
            name: self.user.name.clone(),
            email: self.user.email.clone(),
            server_url: self.server_url.clone(),
            time_zone: self.user.time_zone.clone(),
        }
    }

    /// The rep's zone; UTC when the server sent one this build does not know.
    pub fn tz(&self) -> Tz {
        self.user.time_zone.parse().unwrap_or(Tz::UTC)
    }
}

/// The signed-in rep's view of the device store.
#[derive(Debug)]
pub struct Rep {
    store: Store,
    profile: StoredProfile,
    calendar: WorkCalendar,
}

/// Cadence for every account, computed once per request.
struct Evaluated {
    today: NaiveDate,
    inputs: rounds_store::TodayInputs,
    cadence: Vec<AccountCadence>,
    plan: Option<RotationPlan>,
}

impl Evaluated {
    /// How long a visit of `account` takes: its own length, else its bucket's under the
    /// plan in force today, else the rep's `default`.
    fn visit_minutes(&self, account: &rounds_store::TodayAccount, default: u32) -> u32 {
        account
            .visit_minutes
            .or_else(|| {
                self.plan
                    .as_ref()?
                    .rule_on(account.priority, self.today)?
                    .visit_minutes
            })
            .map_or(default, u32::from)
    }
}

impl Rep {
    pub fn new(store: Store, profile: StoredProfile) -> Self {
        Self {
            store,
            profile,
            calendar: WorkCalendar::default(),
        }
    }

    /// The profile saved by the last sign-in on this store, if any.
    pub fn saved_profile(store: &Store) -> Result<Option<StoredProfile>, IpcError> {
        store.read().settings().get(PROFILE_KEY).map_err(store_err)
    }

    pub fn profile(&self) -> &StoredProfile {
        &self.profile
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    fn plan(&self) -> Result<Option<RotationPlan>, IpcError> {
        Ok(self
            .store
            .read()
            .plans()
            .list()
            .map_err(store_err)?
            .into_iter()
            .next())
    }

    fn evaluate(&self, now: DateTime<Utc>) -> Result<Evaluated, IpcError> {
        self.evaluate_since(now, None)
    }

    /// As [`Rep::evaluate`], reading activities from `at_least_from` too when it is earlier
    /// than cadence needs (the priority score looks back further).
    fn evaluate_since(
        &self,
        now: DateTime<Utc>,
        at_least_from: Option<fn(NaiveDate) -> NaiveDate>,
    ) -> Result<Evaluated, IpcError> {
        let tz = self.profile.tz();
        let today = local_date(tz, now);
        let plan = self.plan()?;
        // Cadence reads the current period and the one before it (for "last done").
        let since_day = plan
            .as_ref()
            .map(|p| {
                Priority::ALL
                    .iter()
                    .filter_map(|&b| p.rule_on(b, today))
                    .map(|r| r.period.previous(today).start)
                    .min()
                    .unwrap_or(today)
            })
            .unwrap_or(today);
        let since_day = at_least_from.map_or(since_day, |f| since_day.min(f(today)));
        let inputs = self
            .store
            .read()
            .today_inputs(start_of_day(tz, since_day))
            .map_err(store_err)?;
        let cadence = match &plan {
            Some(plan) => {
                let engine = CadenceEngine::new(plan, today, tz, &self.calendar);
                (0..inputs.accounts.len())
                    .map(|i| engine.evaluate(&inputs.accounts[i], inputs.activities_of(i)))
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(Evaluated {
            today,
            inputs,
            cadence,
            plan,
        })
    }

    pub fn today(&self, now: DateTime<Utc>) -> Result<TodayView, IpcError> {
        let ev = self.evaluate(now)?;
        let mut order: Vec<usize> = (0..ev.cadence.len())
            .filter(|&i| ev.cadence[i].is_due())
            .collect();
        // Most urgent first; ties by name then id, as the cadence engine orders its list.
        order.sort_by(|&a, &b| {
            let (x, y) = (&ev.inputs.accounts[a], &ev.inputs.accounts[b]);
            ev.cadence[b]
                .urgency
                .cmp(&ev.cadence[a].urgency)
                .then_with(|| x.name.cmp(&y.name))
                .then_with(|| x.id.cmp(&y.id))
        });
        let items = order
            .into_iter()
            .map(|i| {
                let a = &ev.inputs.accounts[i];
                let c = &ev.cadence[i];
                TodayItem {
                    account_id: a.id,
                    name: a.name.clone(),
                    city: a.city.clone(),
                    priority: a.priority,
                    location: a.location,
                    status: c.reason.kind.status,
                    reason: c.reason.to_string(),
                    owed: owed(c),
                }
            })
            .collect();
        let read = self.store.read();
        let names: HashMap<AccountId, &str> = ev
            .inputs
            .accounts
            .iter()
            .map(|a| (a.id, a.name.as_str()))
            .collect();
        let follow_ups = read
            .follow_ups()
            .due(ev.today)
            .map_err(store_err)?
            .into_iter()
            .map(|v| {
                let name = names.get(&v.follow_up.account).copied();
                follow_up_item(v, name, ev.today)
            })
            .collect();
        Ok(TodayView {
            date: ev.today,
            items,
            accounts_total: ev.inputs.accounts.len() as u64,
            next: next_due(&ev.cadence, ev.today),
            follow_ups,
        })
    }

    /// Today's owed visits (plus the rep's additions, minus their drops) as a route that
    /// fits the workday. Pinned stops are kept first when the day is too short.
    pub fn plan_day(&self, req: &PlanDay, now: DateTime<Utc>) -> Result<DayRoute, IpcError> {
        let ev = self.evaluate(now)?;
        let settings = self.day_settings()?;
        // Today's hours; a day off the rep plans anyway runs on their usual ones.
        let (day_start, day_end) = self.hours_on(&settings, ev.today).unwrap_or((
            settings.day_start_minutes,
            settings.day_start_minutes + settings.workday_minutes,
        ));
        let workday_min = day_end - day_start;
        let visit_min = settings.visit_minutes;

        // Candidates: owed visits that are due, most urgent first, then the additions.
        let mut candidates: Vec<usize> = (0..ev.cadence.len())
            .filter(|&i| {
                let v = ev.cadence[i].kind(TouchKind::Visit);
                v.owed > 0 && v.status.is_due()
            })
            .collect();
        candidates.sort_by(|&a, &b| ev.cadence[b].urgency.cmp(&ev.cadence[a].urgency));
        for id in &req.added {
            if let Some(i) = ev.inputs.accounts.iter().position(|a| a.id == *id)
                && !candidates.contains(&i)
            {
                candidates.push(i);
            }
        }
        let tz = self.profile.tz();
        let weekday = ev.today.weekday();
        // The day's clock: from its start, or from now once it has begun, to its end.
        let now_min = minute_of_day(now, tz);
        let begin = day_start.max(now_min);
        // Today's appointments still ahead go on the route at their time, due or not
        // (one before the day's usual start moves the start).
        let mut booked: HashMap<AccountId, (u16, u16)> = HashMap::new();
        for v in self
            .store
            .read()
            .appointments()
            .between(ev.today, ev.today)
            .map_err(store_err)?
        {
            let a = v.appointment;
            if u32::from(a.at_min) >= now_min && !booked.contains_key(&a.account) {
                booked.insert(a.account, (a.at_min, a.minutes));
                if let Some(i) = ev.inputs.accounts.iter().position(|x| x.id == a.account)
                    && !candidates.contains(&i)
                {
                    candidates.insert(0, i);
                }
            }
        }
        candidates.retain(|i| !req.dropped.contains(&ev.inputs.accounts[*i].id));

        let no_room = |i: usize| RouteCandidate {
            account_id: ev.inputs.accounts[i].id,
            name: ev.inputs.accounts[i].name.clone(),
            reason: format!(
                "does not fit in the workday; {}",
                ev.cadence
                    .get(i)
                    .map(|c| c.reason.to_string())
                    .unwrap_or_default()
            ),
        };
        let appointment = |i: usize| booked.get(&ev.inputs.accounts[i].id).copied();
        let visit_of = |i: usize| match appointment(i) {
            Some((_, minutes)) => u32::from(minutes),
            None => ev.visit_minutes(&ev.inputs.accounts[i], visit_min),
        };
        let secs = |m: u32| i64::from(m) * 60;
        let mut unplaced = Vec::new();
        let mut left_out = Vec::new();
        // (account, window its visit may start in)
        let mut placed: Vec<(usize, Window)> = Vec::new();
        for i in candidates {
            let a = &ev.inputs.accounts[i];
            let leave = |why: String| RouteCandidate {
                account_id: a.id,
                name: a.name.clone(),
                reason: why,
            };
            if a.location.is_none() {
                unplaced.push(leave("no location on the account".into()));
                continue;
            }
            let visit = visit_of(i);
            let open = match (appointment(i), &a.hours) {
                // The time agreed, whatever the hours say; only the day's end bounds it.
                (Some((at, _)), _) => {
                    let at = u32::from(at);
                    (at + visit <= day_end).then_some((at, at))
                }
                (None, _) if a.closed_on.contains(&ev.today) => None,
                (None, None) => Some((begin, day_end.saturating_sub(visit))),
                (None, Some(h)) => h.visit_start(weekday, visit as u16).map(|w| {
                    (
                        u32::from(w.open).max(begin),
                        u32::from(w.close).min(day_end.saturating_sub(visit)),
                    )
                }),
            };
            match open {
                Some((from, to)) if from <= to => {
                    placed.push((i, Window::new(secs(from), secs(to))))
                }
                _ if appointment(i).is_some() => {
                    left_out.push(leave("its appointment ends after today's workday".into()))
                }
                _ => left_out.push(leave(match &a.hours {
                    _ if a.closed_on.contains(&ev.today) => {
                        "closed today (one of its closed dates)".to_owned()
                    }
                    Some(h) if h.is_closed(weekday) => "closed today".to_owned(),
                    Some(h) if h.visit_start(weekday, visit as u16).is_none() => format!(
                        "open only {} today, too short for a {visit}-minute visit",
                        h.describe(weekday)
                    ),
                    Some(h) => format!(
                        "open {} today, outside what is left of your day",
                        h.describe(weekday)
                    ),
                    None => "no time left in today's workday".to_owned(),
                })),
            }
        }
        // The time-window search drops one stop at a time, so its cost grows steeply
        // with what cannot fit (seconds at 50 stops). What the visits alone could not
        // fill one and a half times over is left out first, least urgent first; pinned,
        // booked and added stops always stay in.
        let span = secs(day_end.saturating_sub(begin));
        let mut load = 0;
        placed.retain(|&(i, _)| {
            let id = ev.inputs.accounts[i].id;
            let fixed =
                req.pinned.contains(&id) || req.added.contains(&id) || appointment(i).is_some();
            load += secs(visit_of(i));
            if fixed || 2 * load <= 3 * span {
                return true;
            }
            left_out.push(no_room(i));
            false
        });

        let (day_start_at, day_end_at) = Self::day_ends(&settings, ev.today);
        let start = req
            .from
            .map(|p| ("Where you are".to_owned(), p))
            .or(day_start_at.map(|(label, p)| (label.to_owned(), p)));
        // Tonight's place on a trip: the day ends there instead of back at its start.
        let stay = day_end_at
            .filter(|(_, p)| day_start_at.map(|(_, s)| s) != Some(*p))
            .map(|(label, location)| RoutePoint {
                label: label.to_owned(),
                location,
            });
        let empty = DayRoute {
            start: start
                .clone()
                .map(|(label, location)| RoutePoint { label, location }),
            end: stay.clone(),
            stops: Vec::new(),
            return_leg_m: 0,
            total_m: 0,
            busy_min: 0,
            workday_min,
            left_out: left_out.clone(),
            unplaced: unplaced.clone(),
            lunch: None,
            no_lunch: false,
        };
        if placed.is_empty() {
            return Ok(empty);
        }
        // Node 0 is the start; without a place for it the rep begins at whichever stop
        // is best (no drive to it) and ends anywhere.
        let mut points = vec![start.as_ref().map(|(_, p)| route_point(*p)).transpose()?];
        for (i, _) in &placed {
            points.push(Some(route_point(
                ev.inputs.accounts[*i].location.expect("placed"),
            )?));
        }
        let n = placed.len();
        // Node n + 1, when the day ends at tonight's place: reached last, never dropped.
        if let Some(s) = &stay {
            points.push(Some(route_point(s.location)?));
        }
        let end = match (&stay, &start) {
            (Some(_), _) => End::Stop(n + 1),
            (None, Some(_)) => End::Start,
            (None, None) => End::Free,
        };
        let options = Options::default();
        let mut service = vec![0];
        let leave_at = booked
            .values()
            .map(|&(at, _)| u32::from(at))
            .fold(begin, u32::min);
        let mut windows = vec![Window::new(secs(leave_at), secs(day_end))];
        let mut urgency = vec![u32::MAX];
        for (k, (i, w)) in placed.iter().enumerate() {
            service.push(secs(visit_of(*i)));
            windows.push(*w);
            let fixed =
                req.pinned.contains(&ev.inputs.accounts[*i].id) || appointment(*i).is_some();
            urgency.push(if fixed {
                FIXED
            } else {
                (n - k) as u32 // candidates are in urgency order
            });
        }
        if stay.is_some() {
            service.push(0);
            windows.push(Window::new(secs(leave_at), secs(day_end)));
            urgency.push(u32::MAX);
        }
        // When buyers like visits (not for a booked time): kept where the day allows.
        let mut preferred = vec![None];
        preferred.extend(placed.iter().map(|&(i, _)| match appointment(i) {
            Some(_) => None,
            None => preferred_start(ev.inputs.accounts[i].preferred_hours.as_ref(), weekday),
        }));
        if stay.is_some() {
            preferred.push(None);
        }
        let problem = TimedProblem::new(drive_matrix(&points, &options), service, windows, 0, end)
            .map_err(route_err)?;
        let (timed, no_lunch) = fit_windows_preferring(
            &problem,
            &preferred,
            Self::rest_of(&settings),
            &urgency,
            &TimedOptions {
                seed: 7,
                ..Default::default()
            },
        )
        .map_err(route_err)?;
        let lunch = timed.schedule.rest.map(|r| LunchSlot {
            after_stops: timed.schedule.visits[..r.after]
                .iter()
                .filter(|v| (1..=n).contains(&v.stop))
                .count() as u32,
            begin_min: (r.begin / 60) as u32,
            end_min: (r.end / 60) as u32,
        });

        let metres = |a: usize, b: usize| match (points[a], points[b]) {
            (Some(a), Some(b)) => a.distance_m(b),
            _ => 0,
        };
        let mut stops = Vec::new();
        let mut prev = 0;
        let mut busy = 0;
        for v in timed
            .schedule
            .visits
            .iter()
            .filter(|v| (1..=n).contains(&v.stop))
        {
            let (i, _) = placed[v.stop - 1];
            let a = &ev.inputs.accounts[i];
            let leg_m = metres(prev, v.stop);
            let drive = problem.travel(prev, v.stop);
            busy += drive + secs(visit_of(i));
            stops.push(RouteStop {
                account_id: a.id,
                name: a.name.clone(),
                city: a.city.clone(),
                location: a.location.expect("placed"),
                status: ev.cadence[i].kind(TouchKind::Visit).status,
                pinned: req.pinned.contains(&a.id),
                leg_m,
                leg_min: ((drive + 30) / 60) as u32,
                visit_min: visit_of(i),
                begin_min: (v.begin / 60) as u32,
                hours: a.hours.as_ref().map(|h| h.describe(weekday)),
                appointment: appointment(i).is_some(),
                approximate: a.approximate,
            });
            prev = v.stop;
        }
        let back_to = match end {
            End::Start => Some(0),
            End::Stop(k) => Some(k),
            End::Free => None,
        };
        let return_leg_m = back_to.map_or(0, |k| metres(prev, k));
        if let Some(k) = back_to {
            busy += problem.travel(prev, k);
        }
        left_out.extend(
            timed
                .dropped
                .iter()
                .filter(|d| (1..=n).contains(&d.stop))
                .map(|d| {
                    let (i, _) = placed[d.stop - 1];
                    let mut out = no_room(i);
                    if let (WindowDrop::OutOfReach, Some(h)) =
                        (d.reason, &ev.inputs.accounts[i].hours)
                    {
                        out.reason = format!(
                            "cannot be reached while open today ({})",
                            h.describe(weekday)
                        );
                    }
                    out
                }),
        );
        Ok(DayRoute {
            total_m: stops.iter().map(|s| s.leg_m).sum::<u64>() + return_leg_m,
            stops,
            return_leg_m,
            busy_min: ((busy + 30) / 60) as u32,
            left_out,
            lunch,
            no_lunch,
            ..empty
        })
    }

    /// The owed visits of the next two weeks' workdays (today's from now on), each day
    /// ordered and timed, made of neighbours; every account's visits spaced through its
    /// period, overdue ones first; calls and e-mails spread over the days; what fits on
    /// no day listed with why. Offline, from the device's copy (rounds-plan).
    pub fn plan_week(&self, now: DateTime<Utc>) -> Result<WeekPlan, IpcError> {
        self.plan_ahead(now, Horizon::TwoWeeks)
    }

    /// [`Self::plan_week`] over the horizon asked for: two weeks, the rest of the
    /// month, or four weeks.
    pub fn plan_ahead(&self, now: DateTime<Utc>, horizon: Horizon) -> Result<WeekPlan, IpcError> {
        Ok(self.plan_week_with_remote(now, horizon)?.0)
    }

    /// [`Self::plan_week`], kept as the week the rep was shown: the next plan starts
    /// from it, and it is sent after the next sync for the rep's manager to read.
    pub fn plan_and_remember_week(
        &mut self,
        now: DateTime<Utc>,
        horizon: Horizon,
    ) -> Result<WeekPlan, IpcError> {
        let (plan, remote) = self.plan_week_with_remote(now, horizon)?;
        self.remember_week(&plan)?;
        let clock = |m: u32| u16::try_from(m.min(24 * 60)).unwrap_or(24 * 60);
        let mut snapshot = PlannedWeek {
            planned_at: now,
            summary: plan.summary.clone(),
            days: plan
                .days
                .iter()
                .zip(remote)
                .map(|(d, (calls, emails))| PlannedDay {
                    date: d.date,
                    start_min: clock(d.start_min),
                    end_min: clock(d.end_min),
                    visits: d
                        .stops
                        .iter()
                        .map(|s| PlannedVisit {
                            account_id: s.account_id,
                            begin_min: clock(s.begin_min),
                            minutes: clock(s.visit_min),
                            appointment: s.appointment,
                            pinned: s.pinned,
                        })
                        .collect(),
                    calls,
                    emails,
                })
                .collect(),
            not_planned: plan
                .not_planned
                .iter()
                .map(|n| PlannedMiss {
                    account_id: n.account_id,
                    reason: n.reason.clone(),
                })
                .collect(),
        };
        snapshot.not_planned.truncate(MAX_NOT_PLANNED);
        // A plan past the wire's limits is shown, not sent: the server would refuse it.
        if snapshot.check().is_ok() {
            self.store
                .set_setting(PLANNED_WEEK_KEY, &snapshot)
                .map_err(store_err)?;
        }
        Ok(plan)
    }

    /// The week's plan, and each day's accounts to call and to e-mail by id.
    #[allow(clippy::type_complexity)]
    fn plan_week_with_remote(
        &self,
        now: DateTime<Utc>,
        horizon: Horizon,
    ) -> Result<(WeekPlan, Vec<(Vec<AccountId>, Vec<AccountId>)>), IpcError> {
        let ev = self.evaluate(now)?;
        let settings = self.day_settings()?;
        let DaySettings {
            day_start_minutes: day_start,
            workday_minutes: workday_min,
            visit_minutes: visit_min,
            home,
            ..
        } = settings;
        let now_min = minute_of_day(now, self.profile.tz());

        // The rep's workdays with their hours (today's from now on), today only while
        // some of it is left. A year without one is a settings mistake, said as such.
        // To the month's end means at least one day, when none is left in it.
        let month_end = rounds_core::Period::Month.bounds(ev.today).end;
        let four_weeks = ev.today + chrono::Days::new(28);
        let more = |dates: &[NaiveDate], day: NaiveDate| {
            dates.len() < MAX_PLANNED_DAYS
                && match horizon {
                    Horizon::TwoWeeks => dates.len() < WEEK_WORKDAYS,
                    Horizon::FourWeeks => dates.is_empty() || day < four_weeks,
                    Horizon::MonthEnd => dates.is_empty() || day <= month_end,
                }
        };
        let mut dates = Vec::new();
        let mut hours = Vec::new();
        let mut day = ev.today;
        while more(&dates, day) {
            if let Some((start, end)) = self.hours_on(&settings, day) {
                let start = if day == ev.today {
                    start.max(now_min)
                } else {
                    start
                };
                if day != ev.today || start + visit_min < end {
                    dates.push(day);
                    hours.push((start, end));
                }
            }
            day = day
                .succ_opt()
                .filter(|d| (*d - ev.today).num_days() <= 366)
                .ok_or_else(|| {
                    IpcError::new(
                        ErrorCode::InvalidInput,
                        "no workdays in the coming year: check your hours and days off",
                    )
                })?;
        }

        // Appointments of the plan's days, still ahead: fixed at their day and time.
        // One on a day off is kept aside: that day joins the plan for it alone.
        let mut booked: HashMap<AccountId, Vec<(usize, u16, u16)>> = HashMap::new();
        let mut off_day: Vec<rounds_core::Appointment> = Vec::new();
        let last = dates[dates.len() - 1];
        for v in self
            .store
            .read()
            .appointments()
            .between(ev.today, last)
            .map_err(store_err)?
        {
            let a = v.appointment;
            if a.on == ev.today && u32::from(a.at_min) < now_min {
                continue; // already begun
            }
            let Some(day) = dates.iter().position(|d| *d == a.on) else {
                off_day.push(a);
                continue;
            };
            booked
                .entry(a.account)
                .or_default()
                .push((day, a.at_min, a.minutes));
        }

        let pinned_days: HashMap<AccountId, usize> = self
            .week_pins(ev.today)?
            .into_iter()
            .filter_map(|(a, d)| dates.iter().position(|x| *x == d).map(|k| (a, k)))
            .collect();

        // Place 0 is home, place 1 the office; without a home the days start wherever is
        // best (no drive to it). An office day starts and ends at the office.
        let mut points: Vec<Option<rounds_route::LatLon>> = vec![
            home.map(route_point).transpose()?,
            settings.office.map(route_point).transpose()?,
        ];
        // Then each night's place on a trip: that day ends there, the next starts there.
        let mut night_place: HashMap<NaiveDate, usize> = HashMap::new();
        for n in &settings.nights_away {
            points.push(Some(route_point(n.place)?));
            night_place.insert(n.night, points.len() - 1);
        }
        let base_place = |d: &NaiveDate| usize::from(Self::office_day(&settings, *d));
        let from_place = |d: &NaiveDate| {
            d.pred_opt()
                .and_then(|p| night_place.get(&p).copied())
                .unwrap_or_else(|| base_place(d))
        };
        let to_place = |d: &NaiveDate| night_place.get(d).copied().unwrap_or_else(|| base_place(d));
        let mut appointments = Vec::new();
        let mut pins = Vec::new();
        let mut k_of: HashMap<AccountId, usize> = HashMap::new();
        let mut accounts = Vec::new();
        let mut owed = Vec::new();
        let mut index = Vec::new();
        let mut unplaced = Vec::new();
        let mut by_urgency: Vec<usize> = (0..ev.cadence.len()).collect();
        by_urgency.sort_by_key(|&i| ev.cadence[i].urgency);
        let mut rank = vec![0u32; ev.cadence.len()];
        for (r, &i) in by_urgency.iter().enumerate() {
            rank[i] = r as u32;
        }
        for (i, c) in ev.cadence.iter().enumerate() {
            let a = &ev.inputs.accounts[i];
            let [visits, calls, emails] = c.kinds.map(|k| k.owed);
            // A visit booked on a day off is one of those owed.
            let visits =
                visits.saturating_sub(off_day.iter().filter(|x| x.account == a.id).count() as u32);
            let fixed = booked.get(&a.id);
            if visits + calls + emails == 0 && fixed.is_none() {
                continue;
            }
            // An appointment at an account with no pin is kept; the drive to it is not
            // known (counted as none).
            let place = match a.location {
                Some(p) => {
                    points.push(Some(route_point(p)?));
                    points.len() - 1
                }
                None => {
                    if visits > 0 && fixed.is_none() {
                        unplaced.push(RouteCandidate {
                            account_id: a.id,
                            name: a.name.clone(),
                            reason: "no location on the account".into(),
                        });
                    }
                    0
                }
            };
            let visit = c.kind(TouchKind::Visit);
            let due_by = c
                .period
                .and_then(|(_, range)| dates.iter().rposition(|d| *d <= range.end));
            owed.push(rounds_plan::Owed {
                account: accounts.len(),
                visits: if a.location.is_some() { visits } else { 0 },
                calls,
                emails,
                overdue: behind(visit.status),
                urgency: rank[i],
                due_by,
            });
            // The planner gives an account one visit length: an appointment's, when
            // it has one (the first, should two differ).
            let minutes = fixed
                .and_then(|f| f.first().map(|f| f.2))
                .unwrap_or(u16::try_from(ev.visit_minutes(a, visit_min)).unwrap_or(u16::MAX));
            if let Some(&day) = pinned_days.get(&a.id) {
                pins.push(rounds_plan::Pin {
                    account: accounts.len(),
                    day,
                });
            }
            for &(day, at_min, _) in fixed.into_iter().flatten() {
                appointments.push(rounds_plan::Appointment {
                    account: accounts.len(),
                    day,
                    at: i64::from(at_min) * 60,
                });
            }
            k_of.insert(a.id, accounts.len());
            accounts.push(rounds_plan::Account {
                place,
                visit_secs: i64::from(minutes) * 60,
                open: opening_windows(a.hours.as_ref(), &a.closed_on, &dates, minutes),
                preferred: match &a.preferred_hours {
                    Some(p) => dates
                        .iter()
                        .map(|d| preferred_start(Some(p), d.weekday()))
                        .collect(),
                    None => Vec::new(),
                },
            });
            index.push(i);
        }
        // The visits of the plan the rep last saw stay on their days where they still
        // can, so a re-plan moves as few as it must.
        let previous = self
            .dated_accounts(WEEK_SHOWN_KEY)?
            .iter()
            .filter_map(|(a, d)| Some((*k_of.get(a)?, dates.iter().position(|x| x == d)?)))
            .collect();
        let travel = drive_matrix(&points, &Options::default());
        let days = hours
            .iter()
            .zip(&dates)
            .map(|(&(start, end), d)| rounds_plan::WorkDay {
                start: i64::from(start) * 60,
                end: i64::from(end) * 60,
                from: from_place(d),
                to: to_place(d),
                rest: Self::rest_of(&settings),
            })
            .collect();
        let input = rounds_plan::PlanInput {
            travel,
            days,
            accounts,
            owed,
            appointments,
            pins,
            previous,
            seed: 7,
        };
        let plan = rounds_plan::plan(&input)
            .map_err(|e| IpcError::new(ErrorCode::InvalidInput, format!("plan: {e}")))?;
        let account = |k: usize| &ev.inputs.accounts[index[k]];
        let name = |k: usize| account(k).name.clone();
        let mut days: Vec<WeekDay> = plan
            .days
            .iter()
            .zip(dates.iter().zip(&hours))
            .map(|(d, (date, &(start_min, end_min)))| {
                let (from, to) = Self::day_ends(&settings, *date);
                let (base, end) = (from.map(|(_, p)| p), to.map(|(_, p)| p));
                WeekDay {
                    date: *date,
                    base,
                    end: end.filter(|e| base != Some(*e)),
                    start_min,
                    end_min,
                    stops: d
                        .stops
                        .iter()
                        .map(|s| WeekStop {
                            account_id: account(s.account).id,
                            name: name(s.account),
                            city: account(s.account).city.clone(),
                            begin_min: (s.begin / 60) as u32,
                            visit_min: (input.accounts[s.account].visit_secs / 60) as u32,
                            overdue: input
                                .owed
                                .iter()
                                .any(|o| o.account == s.account && o.overdue),
                            appointment: s.kind == rounds_plan::StopKind::Appointment,
                            pinned: s.kind == rounds_plan::StopKind::Pinned,
                            location: account(s.account).location,
                            hours: account(s.account)
                                .hours
                                .as_ref()
                                .map(|h| h.describe(date.weekday())),
                        })
                        .collect(),
                    drive_min: ((d.drive_secs + 30) / 60) as u32,
                    finish_min: (d.finish / 60) as u32,
                    calls: d.calls.iter().map(|&k| name(k)).collect(),
                    emails: d.emails.iter().map(|&k| name(k)).collect(),
                    day_off: false,
                    lunch: d.rest.map(|r| LunchSlot {
                        after_stops: r.after_stops as u32,
                        begin_min: (r.begin / 60) as u32,
                        end_min: (r.end / 60) as u32,
                    }),
                    no_lunch: d.no_rest,
                }
            })
            .collect();
        let not_planned = plan
            .not_planned
            .iter()
            .map(|n| RouteCandidate {
                account_id: account(n.account).id,
                name: name(n.account),
                reason: n.reason.describe().into(),
            })
            .collect();
        let mut remote: Vec<(Vec<AccountId>, Vec<AccountId>)> = plan
            .days
            .iter()
            .map(|d| {
                let ids = |ks: &[usize]| ks.iter().map(|&k| account(k).id).collect();
                (ids(&d.calls), ids(&d.emails))
            })
            .collect();
        for day in self.days_off_with_appointments(&ev, &settings, &off_day)? {
            let at = days.partition_point(|d| d.date < day.date);
            days.insert(at, day);
            remote.insert(at, (Vec::new(), Vec::new()));
        }
        Ok((
            WeekPlan {
                summary: plan.summary(name),
                days,
                not_planned,
                unplaced,
                day_start_min: day_start,
                workday_min,
                horizon,
            },
            remote,
        ))
    }

    /// Days off with appointments booked on them: each a day of its own in the plan with
    /// those visits alone, in time order, driven from and back to where the day starts.
    fn days_off_with_appointments(
        &self,
        ev: &Evaluated,
        settings: &DaySettings,
        booked: &[rounds_core::Appointment],
    ) -> Result<Vec<WeekDay>, IpcError> {
        let mut by_day: std::collections::BTreeMap<NaiveDate, Vec<&rounds_core::Appointment>> =
            Default::default();
        for a in booked {
            by_day.entry(a.on).or_default().push(a);
        }
        let mut out = Vec::new();
        for (date, mut list) in by_day {
            list.sort_by_key(|a| (a.at_min, a.id));
            let (from, to) = Self::day_ends(settings, date);
            let (base, end) = (from.map(|(_, p)| p), to.map(|(_, p)| p));
            let row = |id: AccountId| ev.inputs.accounts.iter().position(|x| x.id == id);
            let mut points: Vec<Option<rounds_route::LatLon>> =
                vec![base.map(route_point).transpose()?];
            for a in &list {
                let at = row(a.account).and_then(|i| ev.inputs.accounts[i].location);
                points.push(at.map(route_point).transpose()?);
            }
            points.push(end.or(base).map(route_point).transpose()?);
            let drive = drive_matrix(&points, &Options::default());
            let legs: Vec<i64> = (1..points.len()).map(|k| drive[k - 1][k]).collect();
            let last = list
                .last()
                .map_or(0, |a| u32::from(a.at_min) + u32::from(a.minutes));
            let stops = list
                .iter()
                .filter_map(|a| {
                    let i = row(a.account)?;
                    let x = &ev.inputs.accounts[i];
                    Some(WeekStop {
                        account_id: x.id,
                        name: x.name.clone(),
                        city: x.city.clone(),
                        begin_min: u32::from(a.at_min),
                        visit_min: u32::from(a.minutes),
                        overdue: behind(ev.cadence[i].kind(TouchKind::Visit).status),
                        appointment: true,
                        pinned: false,
                        location: x.location,
                        hours: x.hours.as_ref().map(|h| h.describe(date.weekday())),
                    })
                })
                .collect::<Vec<_>>();
            out.push(WeekDay {
                date,
                base,
                end: end.filter(|e| base != Some(*e)),
                start_min: list.first().map_or(0, |a| u32::from(a.at_min)),
                end_min: last,
                stops,
                drive_min: ((legs.iter().sum::<i64>() + 30) / 60) as u32,
                finish_min: last + (legs.last().copied().unwrap_or(0) / 60) as u32,
                calls: Vec::new(),
                emails: Vec::new(),
                day_off: true,
                lunch: None,
                no_lunch: false,
            });
        }
        Ok(out)
    }

    /// The account list, filtered; each account carries its priority score (rounds-core,
    /// as the manager's dashboard computes it), and `AccountOrder::Priority` ranks by it.
    pub fn accounts(&self, q: &AccountQuery, now: DateTime<Utc>) -> Result<AccountList, IpcError> {
        let ev = self.evaluate_since(now, Some(score::lookback_start))?;
        let tz = self.profile.tz();
        let index: HashMap<AccountId, usize> = ev
            .inputs
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id, i))
            .collect();
        let read = self.store.read();
        // (view, snippet, distance) in the order the list shows them.
        let rows: Vec<(AccountView, Option<String>, Option<f64>)> = if let Some(at) = q.near {
            let radius = q.radius_m.filter(|r| r.is_finite() && *r > 0.0);
            read.accounts()
                .nearby(at, radius.unwrap_or(25_000.0), usize::MAX)
                .map_err(store_err)?
                .into_iter()
                .map(|(v, d)| (v, None, Some(d)))
                .collect()
        } else if !q.text.trim().is_empty() {
            read.search(&q.text, 2_000)
                .map_err(store_err)?
                .into_iter()
                .map(|h| (h.account, Some(h.snippet), None))
                .collect()
        } else {
            let mut all = read.accounts().all().map_err(store_err)?;
            all.sort_by(|a, b| a.account.name.cmp(&b.account.name));
            all.into_iter().map(|v| (v, None, None)).collect()
        };

        // The same score and order as the manager's dashboard (rounds-core).
        let mut rows: Vec<_> = rows
            .into_iter()
            .map(|(view, snippet, distance)| {
                let acts = index
                    .get(&view.account.id)
                    .map_or(&[][..], |&i| ev.inputs.activities_of(i));
                let touched = Touched::from_activities(acts, tz, ev.today);
                let s = score::score(&view.account, touched, ev.today);
                (view, snippet, distance, s)
            })
            .collect();
        if q.order == AccountOrder::Priority {
            rows.sort_by(|a, b| {
                score::compare(
                    (&a.3, &a.0.account.name, a.0.account.id),
                    (&b.3, &b.0.account.name, b.0.account.id),
                )
            });
        }

        let mut items = Vec::new();
        let mut total = 0u64;
        for (view, snippet, distance_m, score) in rows {
            let a = &view.account;
            let cadence = index.get(&a.id).and_then(|&i| ev.cadence.get(i));
            let status = cadence.map_or(Status::NotPlanned, |c| c.reason.kind.status);
            let keep = q.priority.is_none_or(|p| p == a.priority)
                && q.kare.is_none_or(|k| Some(k) == a.kare)
                && q.stage.is_none_or(|s| s == a.stage)
                && q.due.is_none_or(|d| matches_due(d, cadence));
            if !keep {
                continue;
            }
            total += 1;
            if items.len() < LIST_LIMIT {
                items.push(AccountSummary {
                    id: a.id,
                    name: a.name.clone(),
                    city: a.address.city.clone(),
                    priority: a.priority,
                    stage: a.stage,
                    kare: a.kare,
                    status,
                    reason: cadence.map(|c| c.reason.to_string()).unwrap_or_default(),
                    snippet,
                    distance_m,
                    pending: !view.pending_fields.is_empty(),
                    score: score.total,
                    score_factors: score
                        .factors
                        .iter()
                        .map(|f| ScoreFactor {
                            label: f.kind.label().to_owned(),
                            points: f.points,
                            max: f.kind.max(),
                            why: f.why.clone(),
                        })
                        .collect(),
                });
            }
        }
        Ok(AccountList { items, total })
    }

    pub fn account(&self, id: AccountId, now: DateTime<Utc>) -> Result<AccountDetail, IpcError> {
        let read = self.store.read();
        let view =
            read.accounts().get(id).map_err(store_err)?.ok_or_else(|| {
                IpcError::new(ErrorCode::NotFound, "no such account on this device")
            })?;
        let ev = self.evaluate(now)?;
        let cadence = ev
            .inputs
            .accounts
            .iter()
            .position(|a| a.id == id)
            .and_then(|i| ev.cadence.get(i));
        let a = view.account;
        let contacts = read
            .contacts()
            .with_pending(id)
            .map_err(store_err)?
            .into_iter()
            .map(|(c, pending)| ContactView {
                id: c.id,
                name: c.name,
                title: c.title,
                phone: c.phone.map(|p| p.to_string()),
                email: c.email.map(|e| e.to_string()),
                primary: c.primary,
                pending,
            })
            .collect();
        let timeline = read
            .activities()
            .timeline(id)
            .map_err(store_err)?
            .into_iter()
            .map(|e| TimelineItem {
                id: e.activity.id,
                kind: e.activity.kind,
                occurred_at: e.activity.occurred_at,
                outcome: e.activity.outcome,
                check_in: (e.activity.kind == ActivityKind::Visit).then(|| {
                    LocationFix::verify(
                        e.activity.fix.as_ref(),
                        a.check_in_location(),
                        CHECK_IN_RADIUS_M,
                    )
                }),
                visit: e.activity.visit_state(now).filter(|_| !e.voided),
                note: e.activity.note,
                pending: e.pending,
                voided: e.voided,
            })
            .collect();
        let addr = &a.address;
        let address = [
            addr.street.clone(),
            [
                addr.city.as_str(),
                addr.region.as_str(),
                addr.postal_code.as_str(),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(", "),
        ]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
        Ok(AccountDetail {
            id: a.id,
            name: a.name.clone(),
            address,
            location: a.location,
            location_source: a.location_source,
            priority: a.priority,
            stage: a.stage,
            kare: a.kare,
            industry: a.industry.clone(),
            phone: a.phone.as_ref().map(|p| p.to_string()),
            email: a.email.as_ref().map(|e| e.to_string()),
            revenue: a.revenue.to_string(),
            expenses: a.expenses.to_string(),
            net_profit: a
                .net_profit()
                .map(|m| m.to_string())
                .unwrap_or_else(|_| "—".into()),
            contacts,
            cadence: cadence.map(owed).unwrap_or_default(),
            reason: if a.stage == rounds_core::Stage::Lost {
                "lost: out of the call plan until its stage moves on".into()
            } else {
                cadence.map(|c| c.reason.to_string()).unwrap_or_default()
            },
            timeline,
            pending_fields: view.pending_fields.iter().map(|f| f.to_string()).collect(),
            street: a.address.street.clone(),
            city: a.address.city.clone(),
            region: a.address.region.clone(),
            postal_code: a.address.postal_code.clone(),
            country: a.address.country.clone(),
            follow_ups: read
                .follow_ups()
                .of_account(id)
                .map_err(store_err)?
                .into_iter()
                .map(|v| follow_up_item(v, Some(a.name.as_str()), ev.today))
                .collect(),
            today: Some(ev.today),
            photos: read
                .photos()
                .of_account(id, self.profile.user.id)
                .map_err(store_err)?
                .into_iter()
                .map(|v| {
                    let on_device = self.store.has_photo_file(&v.photo.hash);
                    photo_item(v, on_device)
                })
                .collect(),
            around: self.around(&a)?,
            hours: a.hours.as_ref().map(ToString::to_string),
            hours_today: if a.closed_on.contains(&ev.today) {
                Some("closed (one of its closed dates)".into())
            } else {
                a.hours.as_ref().map(|h| h.describe(ev.today.weekday()))
            },
            closed_on: rounds_core::calendar::dates_line(&a.closed_on),
            preferred_hours: a.preferred_hours.as_ref().map(ToString::to_string),
            potential: a.potential.map(|m| m.to_string()),
            potential_estimate: a.potential_estimate.map(|m| m.to_string()),
            potential_estimate_plain: a.potential_estimate.map(|m| m.plain()),
            currency: a.revenue.currency.code().to_owned(),
            visit_minutes: a.visit_minutes,
            planned_visit_minutes: Some({
                let default = self.day_settings()?.visit_minutes;
                let minutes = ev
                    .inputs
                    .accounts
                    .iter()
                    .find(|x| x.id == id)
                    .map_or(default, |x| ev.visit_minutes(x, default));
                u16::try_from(minutes).unwrap_or(u16::MAX)
            }),
            appointments: read
                .appointments()
                .of_account(id)
                .map_err(store_err)?
                .into_iter()
                .filter(|v| v.appointment.on >= ev.today)
                .map(|v| AppointmentItem {
                    id: v.appointment.id,
                    on: v.appointment.on,
                    at_min: v.appointment.at_min,
                    minutes: v.appointment.minutes,
                    note: v.appointment.note.clone(),
                    cancelled: v.appointment.is_cancelled(),
                    pending: v.pending,
                })
                .collect(),
        })
    }

    /// Pinned accounts around `a`, for its map: the nearest to its pin, or, without a
    /// pin, those in its city.
    fn around(&self, a: &rounds_core::Account) -> Result<Vec<MapPin>, IpcError> {
        if let Some(at) = a.location {
            return self.pins_near(at, Some(a.id));
        }
        let city = a.address.city.trim().to_lowercase();
        if city.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .read()
            .accounts()
            .all()
            .map_err(store_err)?
            .into_iter()
            .map(|v| v.account)
            .filter(|o| o.id != a.id && o.address.city.trim().to_lowercase() == city)
            .filter_map(map_pin)
            .take(PINS_SHOWN)
            .collect())
    }

    /// Pins for a map to open on: the nearest to `near`, or without it, to the middle of
    /// the territory's pins (none when no account has a pin).
    pub fn map_pins(&self, near: Option<LatLon>) -> Result<Vec<MapPin>, IpcError> {
        let at = match near {
            Some(at) => at,
            None => {
                let all: Vec<LatLon> = self
                    .store
                    .read()
                    .accounts()
                    .all()
                    .map_err(store_err)?
                    .into_iter()
                    .filter_map(|v| v.account.location)
                    .collect();
                match LatLon::middle(&all) {
                    Some(at) => at,
                    None => return Ok(Vec::new()),
                }
            }
        };
        self.pins_near(at, None)
    }

    /// Up to [`PINS_SHOWN`] pinned accounts nearest `at` within 100 km, but `except`.
    fn pins_near(&self, at: LatLon, except: Option<AccountId>) -> Result<Vec<MapPin>, IpcError> {
        Ok(self
            .store
            .read()
            .accounts()
            .nearby(at, 100_000.0, PINS_SHOWN + 1)
            .map_err(store_err)?
            .into_iter()
            .map(|(v, _)| v.account)
            .filter(|o| Some(o.id) != except)
            .filter_map(map_pin)
            .take(PINS_SHOWN)
            .collect())
    }

    /// Keeps a photo (a `data:` URL from the webview) on the device and queues it.
    pub fn attach_photo(
        &mut self,
        req: &AttachPhoto,
        now: DateTime<Utc>,
    ) -> Result<PhotoId, IpcError> {
        let bytes = data_url_bytes(&req.data_url)?;
        self.store
            .attach_photo(
                NewPhoto {
                    account_id: req.account_id,
                    activity_id: req.activity_id,
                    rep_id: self.profile.user.id,
                    bytes,
                    caption: req.caption.clone(),
                },
                now,
            )
            .map_err(store_err)
    }

    /// A photo kept on this device, as a `data:` URL an `<img>` shows.
    pub fn photo(&self, id: PhotoId) -> Result<String, IpcError> {
        use base64::Engine as _;
        let view = self
            .store
            .read()
            .photos()
            .get(id, self.profile.user.id)
            .map_err(store_err)?
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no such photo on this device"))?;
        let bytes = self
            .store
            .photo_bytes(&view.photo.hash)
            .map_err(store_err)?;
        Ok(format!(
            "data:{};base64,{}",
            view.photo.image_type.mime(),
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    /// A quick action: saved in the outbox before this returns.
    pub fn log(&mut self, req: &LogActivity, now: DateTime<Utc>) -> Result<Logged, IpcError> {
        let (new, open, check_in) = self.touch(req, now)?;
        let saved = self.store.log_activity(new, now).map_err(store_err)?;
        Ok(Logged {
            activity_id: saved.activity.id,
            open,
            check_in,
        })
    }

    /// A follow-up done with one tap: the touch it promised is logged (opening the phone
    /// or mail app as a quick action does) and the follow-up closed, queued together.
    pub fn complete_follow_up(
        &mut self,
        req: &CompleteFollowUp,
        now: DateTime<Utc>,
    ) -> Result<Logged, IpcError> {
        let f = self
            .store
            .read()
            .follow_ups()
            .get(req.id)
            .map_err(store_err)?
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no such follow-up on this device"))?
            .follow_up;
        let kind = match f.kind {
            TouchKind::Visit => ActivityKind::Visit,
            TouchKind::Call => ActivityKind::Call,
            TouchKind::Email => ActivityKind::Email,
        };
        let (new, open, check_in) = self.touch(
            &LogActivity {
                account_id: f.account,
                kind,
                contact_id: None,
                fix: req.fix,
                outcome: None,
                note: f.note.clone(),
            },
            now,
        )?;
        let saved = self
            .store
            .complete_follow_up(req.id, new, now)
            .map_err(store_err)?;
        Ok(Logged {
            activity_id: saved.activity.id,
            open,
            check_in,
        })
    }

    /// A next step on an account: queued and shown at once.
    pub fn add_follow_up(
        &mut self,
        req: &AddFollowUp,
        now: DateTime<Utc>,
    ) -> Result<FollowUpId, IpcError> {
        self.store
            .add_follow_up(
                NewFollowUp {
                    account_id: req.account_id,
                    rep_id: self.profile.user.id,
                    kind: req.kind,
                    due: req.due,
                    note: req.note.clone(),
                },
                now,
            )
            .map_err(store_err)
    }

    /// A new appointment on an account, or a move of one: queued and planned around at
    /// once.
    pub fn save_appointment(
        &mut self,
        req: &SaveAppointment,
        now: DateTime<Utc>,
    ) -> Result<AppointmentId, IpcError> {
        self.store
            .save_appointment(
                AppointmentInput {
                    id: req.id,
                    account_id: req.account_id,
                    rep_id: self.profile.user.id,
                    on: req.on,
                    at_min: req.at_min,
                    minutes: req.minutes,
                    note: req.note.clone(),
                },
                now,
            )
            .map_err(store_err)
    }

    pub fn cancel_appointment(
        &mut self,
        req: &CancelAppointment,
        now: DateTime<Utc>,
    ) -> Result<(), IpcError> {
        self.store
            .cancel_appointment(req.id, now)
            .map_err(store_err)
    }

    /// What logging `req` saves, what to open after (`tel:`, `mailto:`), and the
    /// check-in's verdict for a visit.
    fn touch(
        &self,
        req: &LogActivity,
        now: DateTime<Utc>,
    ) -> Result<(NewActivity, Option<String>, Option<CheckIn>), IpcError> {
        let read = self.store.read();
        let view = read
            .accounts()
            .get(req.account_id)
            .map_err(store_err)?
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no such account on this device"))?;
        let contacts = read
            .contacts()
            .of_account(req.account_id)
            .map_err(store_err)?;
        let contact = match req.contact_id {
            Some(id) => Some(
                contacts
                    .iter()
                    .find(|c| c.id == id)
                    .ok_or_else(|| {
                        IpcError::new(ErrorCode::InvalidInput, "contact not on this account")
                    })?
                    .clone(),
            ),
            None => contacts
                .iter()
                .find(|c| c.primary)
                .or(contacts.first())
                .cloned(),
        };
        let fix = match req.fix {
            Some(f) => Some(LocationFix {
                at: LatLon::new(f.lat, f.lon).map_err(|e| {
                    IpcError::new(ErrorCode::InvalidInput, format!("location fix: {e}"))
                })?,
                accuracy_m: f.accuracy_m,
            }),
            None => None,
        };
        let account = view.account;
        let open = match req.kind {
            ActivityKind::Call => contact
                .as_ref()
                .and_then(|c| c.phone.clone())
                .or(account.phone.clone())
                .map(|p| format!("tel:{}", p.dial())),
            ActivityKind::Email => contact
                .as_ref()
                .and_then(|c| c.email.clone())
                .or(account.email.clone())
                .map(|e| rounds_core::mailto_uri(&e.to_string())),
            ActivityKind::Visit | ActivityKind::Note => None,
        };
        let check_in = (req.kind == ActivityKind::Visit).then(|| {
            LocationFix::verify(fix.as_ref(), account.check_in_location(), CHECK_IN_RADIUS_M)
        });
        let new = NewActivity {
            account_id: req.account_id,
            rep_id: self.profile.user.id,
            contact_id: contact.map(|c| c.id),
            kind: req.kind,
            occurred_at: now,
            duration_min: None,
            outcome: req.outcome,
            note: req.note.clone(),
            fix,
        };
        Ok((new, open, check_in))
    }

    /// The sheet after a quick action: outcome and note, as a correction of the fact.
    pub fn amend(&mut self, req: &AmendActivity, now: DateTime<Utc>) -> Result<(), IpcError> {
        let note = req.note.clone().filter(|n| !n.trim().is_empty());
        if req.outcome.is_none() && note.is_none() {
            return Ok(());
        }
        self.store
            .correct_activity(
                req.activity_id,
                CorrectionKind::Amend {
                    occurred_at: None,
                    duration_min: None,
                    outcome: req.outcome,
                    note,
                },
                now,
            )
            .map_err(store_err)?;
        Ok(())
    }

    /// A mis-tap: the activity is voided (kept in history, struck through, not counted).
    pub fn undo(&mut self, activity: ActivityId, now: DateTime<Utc>) -> Result<(), IpcError> {
        self.store
            .correct_activity(
                activity,
                CorrectionKind::Void {
                    reason: "logged by mistake".into(),
                },
                now,
            )
            .map_err(store_err)?;
        Ok(())
    }

    pub fn day_settings(&self) -> Result<DaySettings, IpcError> {
        let settings = self.store.read().settings();
        Ok(DaySettings {
            day_start_minutes: settings
                .get(DAY_START_KEY)
                .map_err(store_err)?
                .unwrap_or_else(rounds_protocol::ipc::default_day_start),
            workday_minutes: settings
                .get(WORKDAY_KEY)
                .map_err(store_err)?
                .unwrap_or(DEFAULT_WORKDAY_MIN),
            visit_minutes: settings
                .get(VISIT_KEY)
                .map_err(store_err)?
                .unwrap_or(DEFAULT_VISIT_MIN),
            home: settings.get(HOME_KEY).map_err(store_err)?,
            time_zone: self.profile.user.time_zone.clone(),
            week_hours: settings.get(WEEK_HOURS_KEY).map_err(store_err)?,
            days_off: settings
                .get(DAYS_OFF_KEY)
                .map_err(store_err)?
                .unwrap_or_default(),
            office: settings.get(OFFICE_KEY).map_err(store_err)?,
            office_days: settings
                .get(OFFICE_DAYS_KEY)
                .map_err(store_err)?
                .unwrap_or_default(),
            nights_away: settings
                .get(NIGHTS_KEY)
                .map_err(store_err)?
                .unwrap_or_default(),
            lunch: settings.get(LUNCH_KEY).map_err(store_err)?,
        })
    }

    /// The rep's lunch break as the route engine takes it: started between its first
    /// time and its last less its length.
    fn rest_of(s: &DaySettings) -> Option<rounds_route::Rest> {
        let l = s.lunch?;
        let m = |v: u16| i64::from(v) * 60;
        Some(rounds_route::Rest {
            window: Window::new(m(l.from_min), m(l.until_min.saturating_sub(l.minutes))),
            length: m(l.minutes),
        })
    }

    /// Where the rep's day on `day` starts and where it ends: last night's place on a
    /// trip, else the day's base; tonight's place on a trip, else the base.
    #[allow(clippy::type_complexity)]
    fn day_ends(
        s: &DaySettings,
        day: NaiveDate,
    ) -> (
        Option<(&'static str, LatLon)>,
        Option<(&'static str, LatLon)>,
    ) {
        let night = |d: Option<NaiveDate>| {
            let d = d?;
            s.nights_away.iter().find(|n| n.night == d).map(|n| n.place)
        };
        let base = Self::base_on(s, day);
        (
            night(day.pred_opt())
                .map(|p| ("Where you stayed", p))
                .or(base),
            night(Some(day))
                .map(|p| ("Where you stay tonight", p))
                .or(base),
        )
    }

    /// Where the rep's day on `day` starts and ends: the office on an office day, else
    /// home (`None` without either: the day starts at its first stop).
    fn base_on(s: &DaySettings, day: NaiveDate) -> Option<(&'static str, LatLon)> {
        match s.office {
            Some(office) if Self::office_day(s, day) => Some(("Office", office)),
            _ => s.home.map(|h| ("Home", h)),
        }
    }

    /// `day` starts and ends at the office (one is set, and it is one of its weekdays).
    fn office_day(s: &DaySettings, day: NaiveDate) -> bool {
        s.office.is_some() && s.office_days.contains(&day.weekday())
    }

    /// When the rep works on `day` (start and end, minutes from midnight), or `None` on
    /// a day off: a company holiday, one of the rep's own days off, or a weekday their
    /// hours leave out (the company's work week, when they have set no hours).
    fn hours_on(&self, s: &DaySettings, day: NaiveDate) -> Option<(u32, u32)> {
        if self.calendar.holidays.contains(&day) || s.days_off.contains(&day) {
            return None;
        }
        match s
            .week_hours
            .as_deref()
            .and_then(|t| rounds_core::OpeningHours::parse(t).ok())
        {
            Some(week) => week
                .on(day.weekday())
                .first()
                .map(|span| (u32::from(span.open), u32::from(span.close))),
            None => self
                .calendar
                .works_on(day.weekday())
                .then_some((s.day_start_minutes, s.day_start_minutes + s.workday_minutes)),
        }
    }

    /// Keeps the visits of the week the rep was shown, so the next plan starts from it.
    pub fn remember_week(&mut self, plan: &WeekPlan) -> Result<(), IpcError> {
        let shown: Vec<(AccountId, NaiveDate)> = plan
            .days
            .iter()
            .flat_map(|d| {
                d.stops
                    .iter()
                    .filter(|s| !s.appointment)
                    .map(move |s| (s.account_id, d.date))
            })
            .collect();
        self.store
            .set_setting(WEEK_SHOWN_KEY, &shown)
            .map_err(store_err)
    }

    /// A list of (account, date) kept in the settings under `key` (pins, the week shown).
    fn dated_accounts(&self, key: &str) -> Result<Vec<(AccountId, NaiveDate)>, IpcError> {
        Ok(self
            .store
            .read()
            .settings()
            .get(key)
            .map_err(store_err)?
            .unwrap_or_default())
    }

    /// The days the rep put accounts' next visits on, from today on.
    fn week_pins(&self, today: NaiveDate) -> Result<Vec<(AccountId, NaiveDate)>, IpcError> {
        let mut pins = self.dated_accounts(WEEK_PINS_KEY)?;
        pins.retain(|(_, d)| *d >= today);
        Ok(pins)
    }

    /// Puts an account's next visit on a workday from today on, or (no date) lets the
    /// planner choose again. Pins of days gone by are dropped on the way.
    pub fn pin_to_day(&mut self, req: &PinToDay, now: DateTime<Utc>) -> Result<(), IpcError> {
        let today = local_date(self.profile.tz(), now);
        if let Some(d) = req.date {
            if d < today || self.hours_on(&self.day_settings()?, d).is_none() {
                return Err(IpcError::new(
                    ErrorCode::InvalidInput,
                    "pick one of your workdays from today on",
                ));
            }
            if self
                .store
                .read()
                .accounts()
                .get(req.account_id)
                .map_err(store_err)?
                .is_none()
            {
                return Err(IpcError::new(ErrorCode::NotFound, "no such account here"));
            }
        }
        let mut pins = self.week_pins(today)?;
        pins.retain(|(a, _)| *a != req.account_id);
        if let Some(d) = req.date {
            pins.push((req.account_id, d));
        }
        self.store
            .set_setting(WEEK_PINS_KEY, &pins)
            .map_err(store_err)
    }

    /// Checked before anything is saved; all or nothing.
    pub fn save_day_settings(&mut self, s: &DaySettings) -> Result<DaySettings, IpcError> {
        if !(60..=960).contains(&s.workday_minutes) {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "the workday must be between 1 and 16 hours",
            ));
        }
        if s.day_start_minutes + s.workday_minutes > 24 * 60 {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "the workday must end by midnight: start earlier or work fewer hours",
            ));
        }
        if !(5..=240).contains(&s.visit_minutes) {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "a visit must be between 5 and 240 minutes",
            ));
        }
        let week_hours = week_hours(s.week_hours.as_deref())?;
        if s.days_off.len() > MAX_DAYS_OFF {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                format!("at most {MAX_DAYS_OFF} days off"),
            ));
        }
        let mut days_off = s.days_off.clone();
        days_off.sort();
        days_off.dedup();
        if !s.office_days.is_empty() && s.office.is_none() {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "office days need the office's place: set it first",
            ));
        }
        let mut office_days = s.office_days.clone();
        office_days.sort_by_key(|d| d.num_days_from_monday());
        office_days.dedup();
        // One place a night (the last given), by date.
        let mut nights: Vec<NightAway> = Vec::new();
        for n in s.nights_away.iter().rev() {
            if !nights.iter().any(|m| m.night == n.night) {
                nights.push(*n);
            }
        }
        nights.sort_by_key(|n| n.night);
        if nights.len() > MAX_NIGHTS {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                format!("at most {MAX_NIGHTS} nights away"),
            ));
        }
        if let Some(l) = s.lunch {
            rounds_core::hours::check_lunch(l.from_min, l.until_min, l.minutes)
                .map_err(|e| IpcError::new(ErrorCode::InvalidInput, e.to_string()))?;
        }
        self.store
            .set_settings(&[
                (DAY_START_KEY, serde_json::json!(s.day_start_minutes)),
                (WORKDAY_KEY, serde_json::json!(s.workday_minutes)),
                (VISIT_KEY, serde_json::json!(s.visit_minutes)),
                (HOME_KEY, serde_json::json!(s.home)),
                (WEEK_HOURS_KEY, serde_json::json!(week_hours)),
                (DAYS_OFF_KEY, serde_json::json!(days_off)),
                (OFFICE_KEY, serde_json::json!(s.office)),
                (OFFICE_DAYS_KEY, serde_json::json!(office_days)),
                (NIGHTS_KEY, serde_json::json!(nights)),
                (LUNCH_KEY, serde_json::json!(s.lunch)),
            ])
            .map_err(store_err)?;
        self.day_settings()
    }

    /// The day's reminder: at most once per local day, and only when something is due.
    /// Records the day when it returns a text, so a restart does not remind again.
    pub fn due_reminder(&mut self, now: DateTime<Utc>) -> Result<Option<String>, IpcError> {
        let today = self.today(now)?;
        let last: Option<NaiveDate> = self
            .store
            .read()
            .settings()
            .get(REMINDED_KEY)
            .map_err(store_err)?;
        let Some(first) = today.items.first() else {
            return Ok(None);
        };
        if last == Some(today.date) {
            return Ok(None);
        }
        self.store
            .set_setting(REMINDED_KEY, &today.date)
            .map_err(store_err)?;
        let n = today.items.len();
        Ok(Some(format!(
            "{n} account{} due today. First: {} ({}).",
            if n == 1 { "" } else { "s" },
            first.name,
            first.reason
        )))
    }

    pub fn dismiss_issue(&mut self, seq: u64) -> Result<(), IpcError> {
        self.store.dismiss_issue(seq).map_err(store_err)
    }

    /// The sync screen: the loop's status plus what the server did not apply.
    pub fn sync_view(&self, status: &SyncStatus, now: DateTime<Utc>) -> Result<SyncView, IpcError> {
        let read = self.store.read();
        let issues = read.issues().open().map_err(store_err)?;
        let names: HashMap<AccountId, String> = read
            .accounts()
            .all()
            .map_err(store_err)?
            .into_iter()
            .map(|v| (v.account.id, v.account.name))
            .collect();
        let tz = self.profile.tz();
        let pending = read.outbox().pending_count().map_err(store_err)?;
        let (progress, progress_label) = match status.progress {
            Some(Progress::Pushed { settled, pending }) if status.syncing => (
                Some(settled as f32 / (settled + pending).max(1) as f32),
                Some(format!("Sent {settled} of {}", settled + pending)),
            ),
            Some(Progress::Pulled { page, ops, .. }) if status.syncing => {
                (None, Some(format!("Received page {page} ({ops} changes)")))
            }
            _ => (None, None),
        };
        Ok(SyncView {
            syncing: status.syncing,
            progress,
            progress_label,
            last_success: status.last_success,
            pending,
            online: status.online,
            last_error: status.last_error.as_ref().map(|(c, _)| *c),
            issues: issues.iter().map(|i| issue_view(i, &names, tz)).collect(),
            now: Some(now),
        })
    }
}

fn issue_view(i: &SyncIssue, names: &HashMap<AccountId, String>, tz: Tz) -> IssueView {
    let account = |id: &AccountId| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "an account no longer on this device".into())
    };
    let what = match &i.mutation {
        None => "A change this app can no longer read".to_owned(),
        Some(MutationBody::LogActivity { activity }) => {
            let kind = match activity.kind {
                ActivityKind::Visit => "Visit to",
                ActivityKind::Call => "Call to",
                ActivityKind::Email => "E-mail to",
                ActivityKind::Note => "Note on",
            };
            format!(
                "{kind} {}, {}",
                account(&activity.account_id),
                local_date(tz, activity.occurred_at).format("%-d %B")
            )
        }
        Some(MutationBody::CorrectActivity { correction }) => format!(
            "Correction of an activity, {}",
            local_date(tz, correction.made_at).format("%-d %B")
        ),
        Some(MutationBody::EditAccount { account_id, edit }) => format!(
            "Change of {} on {}",
            edit.field().replace('_', " "),
            account(account_id)
        ),
        // The account itself has left the device's lists; its name is in the payload.
        Some(MutationBody::SaveContact { contact }) => format!(
            "Contact {} on {}",
            contact.name,
            account(&contact.account_id)
        ),
        Some(MutationBody::SaveFollowUp { follow_up }) => format!(
            "Follow-up ({}) on {}, due {}",
            follow_up.kind.singular(),
            account(&follow_up.account_id),
            follow_up.due_on.format("%-d %B")
        ),
        Some(MutationBody::SaveAppointment { appointment: a }) => format!(
            "Appointment at {}, {} at {}",
            account(&a.account_id),
            a.on.format("%-d %B"),
            rounds_core::hours::clock(a.at_min)
        ),
        Some(MutationBody::AttachPhoto { photo }) => format!(
            "Photo of {}, taken {}",
            account(&photo.account_id),
            local_date(tz, photo.taken_at).format("%-d %B")
        ),
        Some(MutationBody::ChangeStage { account_id, to, .. }) => {
            format!("Move of {} to {}", account(account_id), to.as_str())
        }
        Some(MutationBody::CreateAccount { account }) => format!(
            "New account {}, added {}",
            account.name,
            local_date(tz, account.created_at).format("%-d %B")
        ),
    };
    IssueView {
        seq: i.seq,
        kind: match i.kind {
            IssueKind::Rejected => IssueKindView::Rejected,
            IssueKind::Quarantined => IssueKindView::Quarantined,
            IssueKind::Superseded => IssueKindView::Conflict,
        },
        what,
        reason: i.reason.clone(),
        account_id: i.account_id,
        at: i.at,
    }
}

fn owed(c: &AccountCadence) -> Vec<Owed> {
    c.kinds
        .iter()
        .map(|k| Owed {
            kind: k.kind,
            planned: k.planned,
            done: k.done,
            owed: k.owed,
            status: k.status,
            next_due: k.next_due,
        })
        .collect()
}

fn matches_due(filter: DueFilter, cadence: Option<&AccountCadence>) -> bool {
    let Some(c) = cadence else {
        return false;
    };
    match filter {
        DueFilter::Due => c.is_due(),
        DueFilter::OnTrack => !c.is_due() && c.kinds.iter().any(|k| k.owed > 0),
        DueFilter::Done => c.kinds.iter().all(|k| k.owed == 0),
    }
}

/// Per plan day, when a visit of `minutes` may start at an account with `hours` (seconds
/// from midnight); `None` on a day it is closed or too short. Empty: hours not known,
/// so open whenever the rep works.
/// The rep's hours as given, checked (rounds-core's rule, which the form also applies)
/// and in their shortest form; blank is none.
fn week_hours(text: Option<&str>) -> Result<Option<String>, IpcError> {
    let week = rounds_core::hours::work_week(text.unwrap_or_default())
        .map_err(|e| IpcError::new(ErrorCode::InvalidInput, format!("your hours: {e}")))?;
    Ok(week.map(|w| w.to_string()))
}

/// When a visit should start on `day` for the buyer's liking: their longest span.
fn preferred_start(
    preferred: Option<&rounds_core::OpeningHours>,
    day: chrono::Weekday,
) -> Option<Window> {
    preferred?
        .on(day)
        .iter()
        .max_by_key(|s| (s.minutes(), std::cmp::Reverse(s.open)))
        .map(|s| Window::new(i64::from(s.open) * 60, i64::from(s.close) * 60))
}

fn opening_windows(
    hours: Option<&rounds_core::OpeningHours>,
    closed_on: &BTreeSet<NaiveDate>,
    dates: &[NaiveDate],
    minutes: u16,
) -> Vec<Option<Window>> {
    if hours.is_none() && !dates.iter().any(|d| closed_on.contains(d)) {
        return Vec::new();
    }
    let all_day = Window::new(0, 24 * 3600);
    dates
        .iter()
        .map(|d| match hours {
            _ if closed_on.contains(d) => None,
            None => Some(all_day),
            Some(h) => h
                .visit_start(d.weekday(), minutes)
                .map(|w| Window::new(i64::from(w.open) * 60, i64::from(w.close) * 60)),
        })
        .collect()
}

/// Minutes after local midnight of an instant in the rep's zone.
fn minute_of_day(at: DateTime<Utc>, tz: Tz) -> u32 {
    let t = at.with_timezone(&tz).time();
    chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t)
}

/// Drive seconds between every two places; a place not known (no start) is zero from
/// and to everywhere.
fn drive_matrix(points: &[Option<rounds_route::LatLon>], options: &Options) -> Vec<Vec<i64>> {
    points
        .iter()
        .map(|a| {
            points
                .iter()
                .map(|b| match (a, b) {
                    (Some(a), Some(b)) => options.drive_time_of(a.distance_m(*b)).as_secs() as i64,
                    _ => 0,
                })
                .collect()
        })
        .collect()
}

/// A visit the week marks as overdue: late already, or at risk of it.
fn behind(status: Status) -> bool {
    matches!(status, Status::Overdue { .. } | Status::AtRisk { .. })
}

fn route_point(p: LatLon) -> Result<rounds_route::LatLon, IpcError> {
    rounds_route::LatLon::new(p.lat(), p.lon()).map_err(route_err)
}

fn route_err(e: rounds_route::RouteError) -> IpcError {
    IpcError::new(ErrorCode::InvalidInput, format!("route: {e}"))
}
/// The bytes of a `data:…;base64,…` URL (what a webview's file reader gives).
fn data_url_bytes(url: &str) -> Result<Vec<u8>, IpcError> {
    use base64::Engine as _;
    let bad = || {
        IpcError::new(
            ErrorCode::InvalidInput,
            "the photo could not be read; pick it again",
        )
    };
    let (head, data) = url.split_once(',').ok_or_else(bad)?;
    if !head.starts_with("data:") || !head.ends_with(";base64") {
        return Err(bad());
    }
    // 10 MiB of photo is about 14 MB of base64: refuse more before decoding it.
    let max = rounds_core::photo::MAX_PHOTO_BYTES as usize / 3 * 4 + 8;
    if data.len() > max {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "the photo is larger than 10 MB; take it at a lower resolution",
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| bad())
}

/// Pins drawn around a place on a map: enough for bearings, few enough to read.
const PINS_SHOWN: usize = 15;

fn map_pin(a: rounds_core::Account) -> Option<MapPin> {
    Some(MapPin {
        id: a.id,
        location: a.location?,
        name: a.name,
    })
}

fn photo_item(v: PhotoView, on_device: bool) -> PhotoItem {
    PhotoItem {
        on_device,
        id: v.photo.id,
        activity_id: v.photo.activity,
        caption: v.photo.caption,
        taken_at: v.photo.taken_at,
        bytes: v.photo.bytes,
        upload: match v.upload {
            Upload::Waiting => PhotoUpload::Waiting,
            Upload::Done => PhotoUpload::Uploaded,
            Upload::Elsewhere => PhotoUpload::FromAnotherDevice,
            Upload::Refused(reason) => PhotoUpload::Refused { reason },
        },
    }
}

fn follow_up_item(v: FollowUpView, account: Option<&str>, today: NaiveDate) -> FollowUpItem {
    let f = v.follow_up;
    FollowUpItem {
        id: f.id,
        account_id: f.account,
        account_name: account.unwrap_or_default().to_owned(),
        kind: f.kind,
        due: f.due,
        days_late: (today - f.due).num_days(),
        done: f.done.is_some(),
        note: f.note,
        pending: v.pending,
    }
}

pub(crate) fn store_err(e: rounds_store::StoreError) -> IpcError {
    IpcError::new(e.code(), e.to_string())
}

/// The first day after `today` on which a touch falls due, and how many of each kind do.
fn next_due(cadence: &[AccountCadence], today: NaiveDate) -> Option<NextDue> {
    let upcoming = || {
        cadence
            .iter()
            .flat_map(|c| c.kinds.iter())
            .filter(|k| k.owed > 0)
            .filter_map(|k| k.next_due.filter(|d| *d > today).map(|d| (d, k.kind)))
    };
    let date = upcoming().map(|(d, _)| d).min()?;
    let mut next = NextDue {
        date,
        visits: 0,
        calls: 0,
        emails: 0,
    };
    for (_, kind) in upcoming().filter(|(d, _)| *d == date) {
        match kind {
            TouchKind::Visit => next.visits += 1,
            TouchKind::Call => next.calls += 1,
            TouchKind::Email => next.emails += 1,
        }
    }
    Some(next)
}
