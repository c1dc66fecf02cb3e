//! The cadence engine: what the call-rotation plan says is owed and due, per account and
//! kind, for the period containing `today`. A pure function of the plan, the account, its
//! activities, `today`, the rep's time zone and work calendar.
//!
//! # The rules
//!
//! * **Period.** The bucket's rule in force today names the period (week, month,
//!   quarter); the current period is the one containing `today` in the rep's local
//!   calendar. Owed touches do not roll over into the next period.
//! * **Counting.** An activity counts on its *local date* in the rep's zone, by the time
//!   it happened, not when it was logged: a visit back-dated into last month counts for
//!   last month. Notes are not touches.
//! * **Window.** The account's window runs from the latest of the period start, the
//!   account's creation date and the plan's first effective date, to the period end.
//!   `N` is the number of workdays in the window.
//! * **Planned (pro-rated).** Each workday `d` of the window contributes
//!   `touches(rule on d) / workdays(the rule's period containing d)`; planned is that sum
//!   rounded half up. A full period under one rule gives exactly the plan's number; an
//!   account created, or a plan changed, mid-period gets its share.
//! * **Due dates.** The planned touches are spread evenly over the window's workdays:
//!   touch `k` is due on the first workday by which the running sum of the per-day
//!   contributions above reaches `k` (a touch added by rounding up is due on the last
//!   workday). Under one rule for the whole window that is workday `⌈k·N/p⌉` (1-based),
//!   so each touch falls due at the end of its equal share of the period. The next due
//!   date is that of touch `done + 1`.
//! * **Status** of a kind, most severe first: *at risk* when more touches are owed than
//!   workdays remain (today included; at most one touch of a kind per account per day);
//!   *overdue by N days* when the next due date is before today (calendar days);
//!   *due today*; *on track*; *done* when nothing is owed; *not planned* when the plan
//!   asks for none.
//! * **Lost accounts** are out of the rotation: an account lost by `today` owes nothing
//!   (every kind *not planned*) for the whole period until its stage moves on, so it
//!   leaves Today and the compliance figures instead of counting as missed touches. A
//!   period that ended before the loss is counted as it was.
//! * **Urgency** orders the Today list: by status (at risk, overdue, due today, on track),
//!   then days late, then bucket priority, then touches owed, then visits before calls
//!   before e-mails. Each account carries the one-sentence reason of its most urgent kind.

use std::fmt;
use std::sync::OnceLock;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::account::{Account, Priority, Stage};
use crate::activity::{Activity, Logged, TouchKind};
use crate::calendar::{DateRange, LocalDays, Period, WorkCalendar};
use crate::id::AccountId;
use crate::plan::RotationPlan;

/// What cadence needs to know of an account. The full [`Account`] has it; so does the
/// device's slim Today row, which spares reading every field of 20,000 accounts.
pub trait Scheduled {
    fn account_id(&self) -> AccountId;
    fn priority(&self) -> Priority;
    fn created_at(&self) -> DateTime<Utc>;
    /// Breaks ties in the Today order.
    fn name(&self) -> &str;
    /// Whether the account was lost by `day` (and not moved on since): it is then out of
    /// the rotation for the period being counted.
    fn lost_by(&self, day: NaiveDate) -> bool;
}

impl Scheduled for Account {
    fn account_id(&self) -> AccountId {
        self.id
    }
    fn priority(&self) -> Priority {
        self.priority
    }
    fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn lost_by(&self, day: NaiveDate) -> bool {
        // A loss with no date (an import's) counts from always.
        self.stage == Stage::Lost && self.stage_dates.lost.is_none_or(|d| d <= day)
    }
}

/// Where one kind of touch stands for the current period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    NotPlanned,
    Done,
    OnTrack,
    DueToday,
    Overdue { days: u32 },
    AtRisk { workdays_left: u32 },
}

impl Status {
    fn tier(self) -> u64 {
        match self {
            Status::NotPlanned | Status::Done => 0,
            Status::OnTrack => 1,
            Status::DueToday => 2,
            Status::Overdue { .. } => 3,
            Status::AtRisk { .. } => 4,
        }
    }

    /// Due today, overdue or at risk: belongs on the Today list.
    pub fn is_due(self) -> bool {
        self.tier() >= 2
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCadence {
    pub kind: TouchKind,
    pub planned: u32,
    pub done: u32,
    pub owed: u32,
    /// Due date of the next owed touch; `None` when nothing is owed.
    pub next_due: Option<NaiveDate>,
    pub status: Status,
    /// Local date of the latest touch of this kind among the activities given (any period).
    pub last_done: Option<NaiveDate>,
}

/// An account's cadence for the current period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCadence {
    pub account: AccountId,
    pub priority: Priority,
    /// The current period, or `None` when the plan has no rule for the account's bucket.
    pub period: Option<(Period, DateRange)>,
    /// Visits, calls, e-mails, in that order.
    pub kinds: [KindCadence; 3],
    pub urgency: u64,
    /// The kind whose state decided the urgency.
    pub reason: Reason,
}

impl AccountCadence {
    pub fn kind(&self, kind: TouchKind) -> &KindCadence {
        &self.kinds[kind.index()]
    }

    pub fn is_due(&self) -> bool {
        self.kinds.iter().any(|k| k.status.is_due())
    }
}

/// The one-sentence explanation shown to the rep, e.g. "2 of 2 visits still owed, the
/// first was due on 3 March".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub kind: KindCadence,
    pub period: Option<Period>,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.kind;
        let noun = if k.planned == 1 {
            k.kind.singular()
        } else {
            k.kind.plural()
        };
        let period = self.period.map_or("period", Period::noun);
        let which = if k.done == 0 { "first" } else { "next" };
        let day = |d: Option<NaiveDate>| {
            d.map(|d| d.format("%-d %B").to_string())
                .unwrap_or_default()
        };
        match k.status {
            Status::NotPlanned => write!(f, "no touches planned"),
            Status::Done => write!(f, "all {} {noun} done this {period}", k.planned),
            Status::OnTrack => write!(
                f,
                "{} of {} {noun} still owed, the {which} is due on {}",
                k.owed,
                k.planned,
                day(k.next_due)
            ),
            Status::DueToday => write!(
                f,
                "{} of {} {noun} still owed, the {which} is due today",
                k.owed, k.planned
            ),
            Status::Overdue { .. } => write!(
                f,
                "{} of {} {noun} still owed, the {which} was due on {}",
                k.owed,
                k.planned,
                day(k.next_due)
            ),
            Status::AtRisk { workdays_left } => write!(
                f,
                "{} of {} {noun} still owed with {} workday{} left this {period}",
                k.owed,
                k.planned,
                workdays_left,
                if workdays_left == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The window a bucket's accounts share when they existed for the whole period,
/// computed once per bucket rather than once per account.
#[derive(Debug, Clone)]
struct Window {
    period: Period,
    range: DateRange,
    start: NaiveDate,
    workdays: Vec<NaiveDate>,
    /// Per kind, the due date of each planned touch; its length is the planned count.
    schedule: [Vec<NaiveDate>; 3],
}

/// Evaluates accounts against one plan for one `today`. Build it once per Today list.
#[derive(Debug)]
pub struct CadenceEngine<'a> {
    plan: &'a RotationPlan,
    calendar: &'a WorkCalendar,
    today: NaiveDate,
    local_days: LocalDays,
    /// Per priority (in `Priority::ALL` order): the shared window, if the bucket has a rule.
    shared: [Option<Window>; 3],
    /// Per priority, per day of the period: the window of accounts created that day,
    /// built on first use (accounts created mid-period are few, their days fewer).
    late: [Vec<OnceLock<Window>>; 3],
}

impl<'a> CadenceEngine<'a> {
    pub fn new(
        plan: &'a RotationPlan,
        today: NaiveDate,
        tz: Tz,
        calendar: &'a WorkCalendar,
    ) -> Self {
        let mut span_start = today;
        let mut span_end = today;
        let shared = Priority::ALL.map(|priority| {
            let rule = plan.rule_on(priority, today)?;
            let range = rule.period.bounds(today);
            span_start = span_start.min(rule.period.previous(today).start);
            span_end = span_end.max(range.end);
            Some(window(
                plan,
                calendar,
                priority,
                rule.period,
                range,
                range.start,
            ))
        });
        let late = shared.each_ref().map(|w| {
            w.as_ref().map_or_else(Vec::new, |w| {
                (0..w.range.days().count())
                    .map(|_| OnceLock::new())
                    .collect()
            })
        });
        Self {
            plan,
            calendar,
            today,
            local_days: LocalDays::new(tz, DateRange::new(span_start, span_end)),
            shared,
            late,
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// The cadence of one account, given its activities (others' are ignored).
    pub fn evaluate<L: Logged>(
        &self,
        account: &impl Scheduled,
        activities: &[L],
    ) -> AccountCadence {
        let (id, priority) = (account.account_id(), account.priority());
        let Some(shared) = &self.shared[priority_index(priority)] else {
            return not_planned(account);
        };
        if account.lost_by(self.today) {
            return not_planned(account);
        }
        let created = self.local_days.date_of(account.created_at());
        let w = if created > shared.start {
            let p = priority_index(priority);
            let day = (created - shared.range.start).num_days() as usize;
            match self.late[p].get(day) {
                Some(cell) => cell.get_or_init(|| {
                    window(
                        self.plan,
                        self.calendar,
                        priority,
                        shared.period,
                        shared.range,
                        created,
                    )
                }),
                // Created after the period ends (a clock ahead): nothing is owed yet.
                None => return not_planned(account),
            }
        } else {
            shared
        };

        let mut done = [0u32; 3];
        let mut last_done: [Option<NaiveDate>; 3] = [None; 3];
        for a in activities {
            if a.account_id() != id {
                continue;
            }
            let Some(kind) = a.kind().touch() else {
                continue;
            };
            let day = self.local_days.date_of(a.occurred_at());
            let i = kind.index();
            if w.range.contains(day) {
                done[i] += 1;
            }
            if day <= self.today && last_done[i].is_none_or(|l| day > l) {
                last_done[i] = Some(day);
            }
        }

        let kinds = TouchKind::ALL.map(|kind| {
            let i = kind.index();
            kind_cadence(kind, w, self.today, done[i], last_done[i])
        });
        let decisive = kinds
            .iter()
            .max_by_key(|k| urgency(k, priority))
            .copied()
            .unwrap_or(kinds[0]);
        AccountCadence {
            account: id,
            priority,
            period: Some((w.period, w.range)),
            kinds,
            urgency: urgency(&decisive, priority),
            reason: Reason {
                kind: decisive,
                period: Some(w.period),
            },
        }
    }

    /// The Today list: accounts with a touch due today, overdue or at risk, most urgent
    /// first (ties by name, then id, so the order is stable).
    pub fn today_list<'b, A: Scheduled + 'b>(
        &self,
        accounts: impl IntoIterator<Item = (&'b A, &'b [Activity])>,
    ) -> Vec<TodayEntry<'b, A>> {
        let mut list: Vec<TodayEntry<'b, A>> = accounts
            .into_iter()
            .map(|(account, activities)| TodayEntry {
                account,
                cadence: self.evaluate(account, activities),
            })
            .filter(|e| e.cadence.is_due())
            .collect();
        list.sort_by(|a, b| {
            b.cadence
                .urgency
                .cmp(&a.cadence.urgency)
                .then_with(|| a.account.name().cmp(b.account.name()))
                .then_with(|| a.account.account_id().cmp(&b.account.account_id()))
        });
        list
    }
}

/// One line of the Today list.
#[derive(Debug, Clone)]
pub struct TodayEntry<'a, A = Account> {
    pub account: &'a A,
    pub cadence: AccountCadence,
}

/// The cadence of one account: the whole rule set above as one call.
pub fn account_cadence(
    plan: &RotationPlan,
    account: &Account,
    activities: &[Activity],
    today: NaiveDate,
    tz: Tz,
    calendar: &WorkCalendar,
) -> AccountCadence {
    CadenceEngine::new(plan, today, tz, calendar).evaluate(account, activities)
}

fn priority_index(p: Priority) -> usize {
    match p {
        Priority::High => 0,
        Priority::Medium => 1,
        Priority::Low => 2,
    }
}

fn window(
    plan: &RotationPlan,
    calendar: &WorkCalendar,
    priority: Priority,
    period: Period,
    range: DateRange,
    from: NaiveDate,
) -> Window {
    let plan_start = plan
        .versions()
        .first()
        .map_or(range.start, |v| v.effective_from);
    let start = from.max(range.start).max(plan_start);
    let workdays = calendar.workdays(DateRange::new(start, range.end));
    let schedule = TouchKind::ALL.map(|kind| schedule(plan, calendar, priority, kind, &workdays));
    Window {
        period,
        range,
        start,
        workdays,
        schedule,
    }
}

/// The due date of each planned touch of one kind. Accrues, over the window's workdays,
/// touches(rule on d) / workdays(rule's period around d); touch `k` is due on the day the
/// sum reaches `k`; planned is the sum rounded half up. Exact rational arithmetic: a due
/// date must not wobble with float rounding.
fn schedule(
    plan: &RotationPlan,
    calendar: &WorkCalendar,
    priority: Priority,
    kind: TouchKind,
    workdays: &[NaiveDate],
) -> Vec<NaiveDate> {
    let mut sum = Fraction::ZERO;
    let mut due = Vec::new();
    // Workdays in the rule's period around the current day; recounted only when the
    // period changes.
    let mut per_period: Option<(DateRange, u64)> = None;
    for &day in workdays {
        let Some(rule) = plan.rule_on(priority, day) else {
            continue;
        };
        let touches = u64::from(rule.touches.get(kind));
        if touches == 0 {
            continue;
        }
        let bounds = rule.period.bounds(day);
        let in_period = match per_period {
            Some((b, n)) if b == bounds => n,
            _ => {
                let n = calendar.count_workdays(bounds) as u64;
                per_period = Some((bounds, n));
                n
            }
        };
        sum = sum.add(Fraction::new(touches, in_period));
        while sum.at_least(due.len() as u64 + 1) {
            due.push(day);
        }
    }
    let planned = sum.round_half_up() as usize;
    if let Some(&last) = workdays.last() {
        // The sum reached every pushed touch, so `planned >= due.len()`.
        due.resize(planned, last);
    }
    due
}

#[derive(Debug, Clone, Copy)]
struct Fraction {
    num: u64,
    den: u64,
}

impl Fraction {
    const ZERO: Fraction = Fraction { num: 0, den: 1 };

    fn new(num: u64, den: u64) -> Self {
        let g = gcd(num, den).max(1);
        Self {
            num: num / g,
            den: den / g,
        }
    }

    fn add(self, o: Fraction) -> Self {
        let l = self.den / gcd(self.den, o.den) * o.den;
        Fraction::new(self.num * (l / self.den) + o.num * (l / o.den), l)
    }

    fn at_least(self, whole: u64) -> bool {
        self.num >= whole * self.den
    }

    fn round_half_up(self) -> u32 {
        u32::try_from((2 * self.num + self.den) / (2 * self.den)).unwrap_or(u32::MAX)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn kind_cadence(
    kind: TouchKind,
    w: &Window,
    today: NaiveDate,
    done: u32,
    last_done: Option<NaiveDate>,
) -> KindCadence {
    let schedule = &w.schedule[kind.index()];
    let planned = schedule.len() as u32;
    let owed = planned.saturating_sub(done);
    let mut k = KindCadence {
        kind,
        planned,
        done,
        owed,
        next_due: None,
        status: if planned == 0 {
            Status::NotPlanned
        } else {
            Status::Done
        },
        last_done,
    };
    let Some(&due) = schedule.get(done as usize) else {
        return k;
    };
    k.next_due = Some(due);
    let left = w.workdays.len() - w.workdays.partition_point(|d| *d < today);
    k.status = if owed as usize > left {
        Status::AtRisk {
            workdays_left: left as u32,
        }
    } else if due < today {
        Status::Overdue {
            days: (today - due).num_days().max(0) as u32,
        }
    } else if due == today {
        Status::DueToday
    } else {
        Status::OnTrack
    };
    k
}

fn urgency(k: &KindCadence, priority: Priority) -> u64 {
    let days_late = match k.status {
        Status::Overdue { days } => u64::from(days.min(0xFFFF)),
        _ => 0,
    };
    let kind_rank = match k.kind {
        TouchKind::Visit => 2,
        TouchKind::Call => 1,
        TouchKind::Email => 0,
    };
    (k.status.tier() << 40)
        | (days_late << 24)
        | (u64::from(priority.weight()) << 16)
        | (u64::from(k.owed.min(0xFF)) << 8)
        | kind_rank
}

fn not_planned(account: &impl Scheduled) -> AccountCadence {
    let kinds = TouchKind::ALL.map(|kind| KindCadence {
        kind,
        planned: 0,
        done: 0,
        owed: 0,
        next_due: None,
        status: Status::NotPlanned,
        last_done: None,
    });
    AccountCadence {
        account: account.account_id(),
        priority: account.priority(),
        period: None,
        kinds,
        urgency: 0,
        reason: Reason {
            kind: kinds[0],
            period: None,
        },
    }
}
