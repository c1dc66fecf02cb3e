//! Every cadence rule and edge case as a named table row. March 2026 has 22 workdays
//! (Mon–Fri): visits for a high-priority account (2 a month) fall due on the 11th and
//! 22nd workdays, 16 and 31 March; e-mails (4) on 9, 16, 24 and 31 March.

use chrono::NaiveDate;
use rounds_core::ActivityKind::{Call, Email, Note, Visit};
use rounds_core::{
    Account, ActivityKind, CadenceEngine, Period, Priority, RotationPlan, Status, TouchKind, Tz,
    WorkCalendar, account_cadence,
};
use rstest::rstest;

use crate::fixtures::*;

struct Expect {
    planned: u32,
    done: u32,
    owed: u32,
    next_due: Option<NaiveDate>,
    status: Status,
}

fn expect(planned: u32, done: u32, next_due: Option<NaiveDate>, status: Status) -> Expect {
    Expect {
        planned,
        done,
        owed: planned.saturating_sub(done),
        next_due,
        status,
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    plan: &RotationPlan,
    account: &Account,
    log: &[(ActivityKind, NaiveDate)],
    today: NaiveDate,
    calendar: &WorkCalendar,
    kind: TouchKind,
    e: Expect,
) {
    let tz = ny();
    let acts = touches(account, tz, log);
    let c = account_cadence(plan, account, &acts, today, tz, calendar);
    let k = c.kind(kind);
    assert_eq!(
        (k.planned, k.done, k.owed, k.next_due, k.status),
        (e.planned, e.done, e.owed, e.next_due, e.status),
        "{kind:?} on {today}: (planned, done, owed, next due, status)"
    );
}

#[rstest]
#[case::early_in_the_month_on_track(d(2026, 3, 4), &[], expect(2, 0, Some(d(2026, 3, 16)), Status::OnTrack))]
#[case::first_visit_due_today(d(2026, 3, 16), &[], expect(2, 0, Some(d(2026, 3, 16)), Status::DueToday))]
#[case::first_visit_overdue(d(2026, 3, 18), &[], expect(2, 0, Some(d(2026, 3, 16)), Status::Overdue { days: 2 }))]
#[case::overdue_counted_in_calendar_days_on_a_weekend(d(2026, 3, 21), &[], expect(2, 0, Some(d(2026, 3, 16)), Status::Overdue { days: 5 }))]
#[case::one_done_next_due_at_month_end(d(2026, 3, 18), &[(Visit, d(2026, 3, 10))], expect(2, 1, Some(d(2026, 3, 31)), Status::OnTrack))]
#[case::early_touch_counts_ahead(d(2026, 3, 3), &[(Visit, d(2026, 3, 2))], expect(2, 1, Some(d(2026, 3, 31)), Status::OnTrack))]
#[case::all_done(d(2026, 3, 20), &[(Visit, d(2026, 3, 5)), (Visit, d(2026, 3, 19))], expect(2, 2, None, Status::Done))]
#[case::extra_visits_owe_nothing(d(2026, 3, 20), &[(Visit, d(2026, 3, 5)), (Visit, d(2026, 3, 6)), (Visit, d(2026, 3, 19))], expect(2, 3, None, Status::Done))]
#[case::two_owed_one_workday_left_is_at_risk(d(2026, 3, 31), &[], expect(2, 0, Some(d(2026, 3, 16)), Status::AtRisk { workdays_left: 1 }))]
#[case::one_owed_one_workday_left_is_due_today(d(2026, 3, 31), &[(Visit, d(2026, 3, 12))], expect(2, 1, Some(d(2026, 3, 31)), Status::DueToday))]
#[case::notes_and_calls_are_not_visits(d(2026, 3, 18), &[(Note, d(2026, 3, 10)), (Call, d(2026, 3, 11))], expect(2, 0, Some(d(2026, 3, 16)), Status::Overdue { days: 2 }))]
#[case::back_dated_into_last_month_does_not_count_now(d(2026, 3, 3), &[(Visit, d(2026, 2, 27))], expect(2, 0, Some(d(2026, 3, 16)), Status::OnTrack))]
#[case::back_dated_within_the_month_counts(d(2026, 3, 18), &[(Visit, d(2026, 3, 2))], expect(2, 1, Some(d(2026, 3, 31)), Status::OnTrack))]
fn high_priority_visits_in_march(
    #[case] today: NaiveDate,
    #[case] log: &[(ActivityKind, NaiveDate)],
    #[case] e: Expect,
) {
    let a = account(1, Priority::High);
    check(
        &seeds_plan(),
        &a,
        log,
        today,
        &WorkCalendar::default(),
        TouchKind::Visit,
        e,
    );
}

#[rstest]
#[case::first_email_due_on_the_sixth_workday(d(2026, 3, 6), &[], expect(4, 0, Some(d(2026, 3, 9)), Status::OnTrack))]
#[case::behind_on_emails(d(2026, 3, 17), &[(Email, d(2026, 3, 9))], expect(4, 1, Some(d(2026, 3, 16)), Status::Overdue { days: 1 }))]
#[case::three_emails_owed_two_workdays_left(d(2026, 3, 30), &[(Email, d(2026, 3, 9))], expect(4, 1, Some(d(2026, 3, 16)), Status::AtRisk { workdays_left: 2 }))]
fn high_priority_emails_in_march(
    #[case] today: NaiveDate,
    #[case] log: &[(ActivityKind, NaiveDate)],
    #[case] e: Expect,
) {
    let a = account(1, Priority::High);
    check(
        &seeds_plan(),
        &a,
        log,
        today,
        &WorkCalendar::default(),
        TouchKind::Email,
        e,
    );
}

#[rstest]
// February 2026: 20 workdays; the 10th is 13 February.
#[case::february(d(2026, 2, 16), &[], expect(2, 0, Some(d(2026, 2, 13)), Status::Overdue { days: 3 }))]
// April 2026: 22 workdays; the 11th is 15 April.
#[case::thirty_day_april(d(2026, 4, 15), &[], expect(2, 0, Some(d(2026, 4, 15)), Status::DueToday))]
// February 2028 has 21 workdays and ends on Tuesday the 29th.
#[case::leap_day_is_in_february(d(2028, 2, 29), &[(Visit, d(2028, 2, 10))], expect(2, 1, Some(d(2028, 2, 29)), Status::DueToday))]
#[case::leap_day_touch_counts_for_february(d(2028, 2, 29), &[(Visit, d(2028, 2, 10)), (Visit, d(2028, 2, 29))], expect(2, 2, None, Status::Done))]
// March 2028 has 23 workdays; the 12th is the 16th.
#[case::leap_day_touch_not_in_march(d(2028, 3, 1), &[(Visit, d(2028, 2, 29))], expect(2, 0, Some(d(2028, 3, 16)), Status::OnTrack))]
fn month_lengths(
    #[case] today: NaiveDate,
    #[case] log: &[(ActivityKind, NaiveDate)],
    #[case] e: Expect,
) {
    let a = account(1, Priority::High);
    check(
        &seeds_plan(),
        &a,
        log,
        today,
        &WorkCalendar::default(),
        TouchKind::Visit,
        e,
    );
}

#[rstest]
// Created on Monday 16 March: 12 of March's 22 workdays -> 2 x 12/22 = 1.09 -> 1 visit,
// due when 2/22 a day has accrued to 1, on the 11th workday (the 30th); 4 x 12/22 = 2.18
// -> 2 e-mails, the first on the 6th workday (the 23rd).
#[case::created_mid_month_visits(
    d(2026, 3, 16),
    TouchKind::Visit,
    expect(1, 0, Some(d(2026, 3, 30)), Status::OnTrack)
)]
#[case::created_mid_month_emails(
    d(2026, 3, 16),
    TouchKind::Email,
    expect(2, 0, Some(d(2026, 3, 23)), Status::OnTrack)
)]
// Created on the last workday: 2 x 1/22 rounds to nothing.
#[case::created_on_the_last_day(
    d(2026, 3, 31),
    TouchKind::Visit,
    expect(0, 0, None, Status::NotPlanned)
)]
// Created on the 12th, 14 workdays left: 2 x 14/22 = 1.27 -> 1, due on the window's 11th
// workday, the 26th.
#[case::created_on_the_twelfth(
    d(2026, 3, 12),
    TouchKind::Visit,
    expect(1, 0, Some(d(2026, 3, 26)), Status::OnTrack)
)]
fn account_created_mid_period(
    #[case] created: NaiveDate,
    #[case] kind: TouchKind,
    #[case] e: Expect,
) {
    let mut a = account(1, Priority::High);
    a.created_at = local_noon(ny(), created);
    check(
        &seeds_plan(),
        &a,
        &[],
        d(2026, 3, 20),
        &WorkCalendar::default(),
        kind,
        e,
    );
}

#[rstest]
// 2 visits a month until the 13th (10 workdays accrue 20/22), 4 from the 16th (4/22 a day):
// 68/22 = 3.09 -> 3 planned. The first is due when the sum reaches 1 (the 16th), the
// second at 2 (the 23rd), the third at 3 (the 31st).
#[case::raised_mid_month(vec![(d(2020, 1, 1), 2), (d(2026, 3, 16), 4)], d(2026, 3, 13), 3, Some(d(2026, 3, 16)), Status::OnTrack)]
#[case::raised_mid_month_later(vec![(d(2020, 1, 1), 2), (d(2026, 3, 16), 4)], d(2026, 3, 24), 3, Some(d(2026, 3, 16)), Status::Overdue { days: 8 })]
// 4 until the 13th, 2 after: 40/22 + 24/22 = 2.9 -> 3; under the old plan the first was
// due on the 6th workday, the 9th.
#[case::lowered_mid_month(vec![(d(2020, 1, 1), 4), (d(2026, 3, 16), 2)], d(2026, 3, 13), 3, Some(d(2026, 3, 9)), Status::Overdue { days: 4 })]
// A plan that starts on the 16th: only its window counts, 2 x 12/22 = 1.09 -> 1, due on
// the window's 11th workday, the 30th.
#[case::plan_starts_mid_month(vec![(d(2026, 3, 16), 2)], d(2026, 3, 20), 1, Some(d(2026, 3, 30)), Status::OnTrack)]
// ...and before it starts there is nothing to do.
#[case::before_the_plan_starts(vec![(d(2026, 3, 16), 2)], d(2026, 3, 13), 0, None, Status::NotPlanned)]
// A change next month does not touch this one.
#[case::change_next_month(vec![(d(2020, 1, 1), 2), (d(2026, 4, 1), 4)], d(2026, 3, 13), 2, Some(d(2026, 3, 16)), Status::OnTrack)]
fn plan_changed_mid_period(
    #[case] versions: Vec<(NaiveDate, u32)>,
    #[case] today: NaiveDate,
    #[case] planned: u32,
    #[case] next_due: Option<NaiveDate>,
    #[case] status: Status,
) {
    let plan = plan_versions(
        versions
            .into_iter()
            .map(|(from, v)| (from, rule(Period::Month, v, 2, 4)))
            .collect(),
    );
    let a = account(1, Priority::High);
    check(
        &plan,
        &a,
        &[],
        today,
        &WorkCalendar::default(),
        TouchKind::Visit,
        expect(planned, 0, next_due, status),
    );
}

#[test]
fn plan_switching_from_weekly_to_monthly_prorates_by_each_rules_own_period() {
    // Weekly 1 visit until Sunday 15 March (10 workdays at 1/5 = 2), then 2 a month
    // (12 workdays at 2/22 = 1.09): 3.09 -> 3.
    let plan = plan_versions(vec![
        (d(2020, 1, 1), rule(Period::Week, 1, 0, 0)),
        (d(2026, 3, 16), rule(Period::Month, 2, 0, 0)),
    ]);
    let a = account(1, Priority::High);
    let c = account_cadence(
        &plan,
        &a,
        &[],
        d(2026, 3, 20),
        ny(),
        &WorkCalendar::default(),
    );
    assert_eq!(c.kind(TouchKind::Visit).planned, 3);
    assert_eq!(c.period.map(|(p, _)| p), Some(Period::Month));
}

#[rstest]
// A holiday on Monday 16 March: 21 workdays, the 11th is Tuesday the 17th.
#[case::holiday_moves_the_due_date(vec![d(2026, 3, 16)], d(2026, 3, 17), Some(d(2026, 3, 17)), Status::DueToday)]
// Holidays on the 30th and 31st: 20 workdays, the 10th is the 13th, the last is Friday
// the 27th.
#[case::holidays_at_month_end(vec![d(2026, 3, 30), d(2026, 3, 31)], d(2026, 3, 27), Some(d(2026, 3, 13)), Status::AtRisk { workdays_left: 1 })]
fn holidays_are_days_off(
    #[case] holidays: Vec<NaiveDate>,
    #[case] today: NaiveDate,
    #[case] next_due: Option<NaiveDate>,
    #[case] status: Status,
) {
    let a = account(1, Priority::High);
    let cal = WorkCalendar::with_holidays(holidays);
    check(
        &seeds_plan(),
        &a,
        &[],
        today,
        &cal,
        TouchKind::Visit,
        expect(2, 0, next_due, status),
    );
}

#[test]
fn a_custom_work_week() {
    // Works Tuesday to Saturday: March 2026 then has 21 workdays (five Mondays out, four
    // Saturdays in); the 11th is Tuesday 17 March, and Saturday the 14th is a workday.
    let a = account(1, Priority::High);
    let cal = WorkCalendar {
        work_week: [false, true, true, true, true, true, false],
        ..WorkCalendar::default()
    };
    check(
        &seeds_plan(),
        &a,
        &[],
        d(2026, 3, 17),
        &cal,
        TouchKind::Visit,
        expect(2, 0, Some(d(2026, 3, 17)), Status::DueToday),
    );
    assert!(cal.is_workday(d(2026, 3, 14)) && !cal.is_workday(d(2026, 3, 16)));
}

#[rstest]
// Medium: 1 call a week, due on the week's last workday (Friday).
#[case::weekly_call_on_track(
    Priority::Medium,
    TouchKind::Call,
    d(2026, 3, 4),
    expect(1, 0, Some(d(2026, 3, 6)), Status::OnTrack)
)]
#[case::weekly_call_due_friday(
    Priority::Medium,
    TouchKind::Call,
    d(2026, 3, 6),
    expect(1, 0, Some(d(2026, 3, 6)), Status::DueToday)
)]
#[case::weekly_call_at_risk_on_saturday(Priority::Medium, TouchKind::Call, d(2026, 3, 7), expect(1, 0, Some(d(2026, 3, 6)), Status::AtRisk { workdays_left: 0 }))]
// Low: 1 visit a quarter, due on Q1's last workday, Tuesday 31 March.
#[case::quarterly_visit(
    Priority::Low,
    TouchKind::Visit,
    d(2026, 2, 10),
    expect(1, 0, Some(d(2026, 3, 31)), Status::OnTrack)
)]
#[case::kind_not_in_plan(
    Priority::Low,
    TouchKind::Call,
    d(2026, 2, 10),
    expect(0, 0, None, Status::NotPlanned)
)]
fn weekly_and_quarterly_buckets(
    #[case] priority: Priority,
    #[case] kind: TouchKind,
    #[case] today: NaiveDate,
    #[case] e: Expect,
) {
    let a = account(1, priority);
    check(
        &seeds_plan(),
        &a,
        &[],
        today,
        &WorkCalendar::default(),
        kind,
        e,
    );
}

#[rstest]
// 23:30 on 31 March in New York is already 1 April in UTC: it counts for March.
#[case::late_evening_at_month_end("America/New_York", "2026-04-01T03:30:00Z", d(2026, 3, 31), 1)]
// ...and the next month does not see it.
#[case::not_in_the_next_month("America/New_York", "2026-04-01T03:30:00Z", d(2026, 4, 2), 0)]
// DST starts 8 March 2026 at 02:00 in New York; 23:30 that day is 03:30 UTC on the 9th.
#[case::dst_spring_forward_day("America/New_York", "2026-03-09T03:30:00Z", d(2026, 3, 9), 1)]
// DST ends 1 November 2026; 00:30 EDT that day (04:30 UTC) is November, 23:59 EDT the
// evening before (03:59 UTC) is October.
#[case::dst_fall_back_after_midnight("America/New_York", "2026-11-01T04:30:00Z", d(2026, 11, 2), 1)]
#[case::dst_fall_back_before_midnight(
    "America/New_York",
    "2026-11-01T03:59:00Z",
    d(2026, 11, 2),
    0
)]
// In Auckland, noon UTC on 28 February is 01:00 on 1 March.
#[case::ahead_of_utc("Pacific/Auckland", "2026-02-28T12:00:00Z", d(2026, 3, 2), 1)]
fn activities_count_on_their_local_date(
    #[case] zone: &str,
    #[case] at: &str,
    #[case] today: NaiveDate,
    #[case] done: u32,
) {
    let tz: Tz = zone.parse().unwrap();
    let a = account(1, Priority::High);
    let acts = vec![activity(1, &a, Visit, utc(at))];
    let c = account_cadence(
        &seeds_plan(),
        &a,
        &acts,
        today,
        tz,
        &WorkCalendar::default(),
    );
    assert_eq!(
        c.kind(TouchKind::Visit).done,
        done,
        "{at} in {zone}, today {today}"
    );
}

#[test]
fn activities_of_other_accounts_are_ignored() {
    let a = account(1, Priority::High);
    let b = account(2, Priority::High);
    let acts = touches(&b, ny(), &[(Visit, d(2026, 3, 3)), (Visit, d(2026, 3, 4))]);
    let c = account_cadence(
        &seeds_plan(),
        &a,
        &acts,
        d(2026, 3, 18),
        ny(),
        &WorkCalendar::default(),
    );
    assert_eq!(c.kind(TouchKind::Visit).done, 0);
}

#[test]
fn last_done_looks_back_into_the_previous_period() {
    let a = account(1, Priority::High);
    let acts = touches(&a, ny(), &[(Visit, d(2026, 2, 20)), (Call, d(2026, 3, 2))]);
    let c = account_cadence(
        &seeds_plan(),
        &a,
        &acts,
        d(2026, 3, 4),
        ny(),
        &WorkCalendar::default(),
    );
    assert_eq!(c.kind(TouchKind::Visit).last_done, Some(d(2026, 2, 20)));
    assert_eq!(c.kind(TouchKind::Visit).done, 0);
    assert_eq!(c.kind(TouchKind::Call).last_done, Some(d(2026, 3, 2)));
}

#[rstest]
#[case::overdue(d(2026, 3, 18), &[(Email, d(2026, 3, 9)), (Email, d(2026, 3, 10)), (Call, d(2026, 3, 2))], "2 of 2 visits still owed, the first was due on 16 March")]
// Visits and calls both fall due on the 16th: visits come first.
#[case::due_today(d(2026, 3, 16), &[(Email, d(2026, 3, 9)), (Email, d(2026, 3, 10))], "2 of 2 visits still owed, the first is due today")]
#[case::at_risk(d(2026, 3, 31), &[(Visit, d(2026, 3, 3)), (Call, d(2026, 3, 3)), (Call, d(2026, 3, 4)), (Email, d(2026, 3, 9))], "3 of 4 e-mails still owed with 1 workday left this month")]
#[case::on_track(d(2026, 3, 25), &[(Email, d(2026, 3, 9)), (Email, d(2026, 3, 10)), (Email, d(2026, 3, 11)), (Visit, d(2026, 3, 2)), (Visit, d(2026, 3, 3)), (Call, d(2026, 3, 2)), (Call, d(2026, 3, 3))], "1 of 4 e-mails still owed, the next is due on 31 March")]
#[case::everything_done(d(2026, 3, 25), &[(Email, d(2026, 3, 9)), (Email, d(2026, 3, 10)), (Email, d(2026, 3, 11)), (Email, d(2026, 3, 12)), (Visit, d(2026, 3, 2)), (Visit, d(2026, 3, 3)), (Call, d(2026, 3, 2)), (Call, d(2026, 3, 3))], "all 2 visits done this month")]
fn the_reason_is_one_sentence(
    #[case] today: NaiveDate,
    #[case] log: &[(ActivityKind, NaiveDate)],
    #[case] sentence: &str,
) {
    let a = account(1, Priority::High);
    let acts = touches(&a, ny(), log);
    let c = account_cadence(
        &seeds_plan(),
        &a,
        &acts,
        today,
        ny(),
        &WorkCalendar::default(),
    );
    assert_eq!(c.reason.to_string(), sentence);
}

#[test]
fn today_list_orders_by_urgency_and_leaves_out_what_is_not_due() {
    let tz = ny();
    let plan = seeds_plan();
    let cal = WorkCalendar::default();
    let today = d(2026, 3, 25);
    let mut overdue_long = account(1, Priority::High);
    overdue_long.name = "Overdue since the 16th".into();
    let mut overdue_short = account(2, Priority::High);
    overdue_short.name = "Overdue since the 24th".into();
    let mut on_track = account(3, Priority::High);
    on_track.name = "On track".into();
    let mut medium = account(4, Priority::Medium);
    medium.name = "Weekly call owed".into();
    let logs = [
        // Nothing at all: visits due 16 March -> overdue 9 days.
        vec![],
        // Visits, calls done; 2 e-mails done -> the 3rd was due on the 24th.
        touches(
            &overdue_short,
            tz,
            &[
                (Visit, d(2026, 3, 2)),
                (Visit, d(2026, 3, 3)),
                (Call, d(2026, 3, 2)),
                (Call, d(2026, 3, 3)),
                (Email, d(2026, 3, 2)),
                (Email, d(2026, 3, 3)),
            ],
        ),
        touches(
            &on_track,
            tz,
            &[
                (Visit, d(2026, 3, 2)),
                (Call, d(2026, 3, 2)),
                (Email, d(2026, 3, 2)),
                (Email, d(2026, 3, 3)),
                (Email, d(2026, 3, 4)),
            ],
        ),
        vec![],
    ];
    let accounts = [&overdue_long, &overdue_short, &on_track, &medium];
    let engine = CadenceEngine::new(&plan, today, tz, &cal);
    let list = engine.today_list(accounts.iter().zip(&logs).map(|(a, l)| (*a, l.as_slice())));
    let names: Vec<&str> = list.iter().map(|e| e.account.name.as_str()).collect();
    assert_eq!(
        names,
        ["Overdue since the 16th", "Overdue since the 24th"],
        "on-track and medium (due Friday) are not due today"
    );
    assert_eq!(
        list[0].cadence.kind(TouchKind::Visit).status,
        Status::Overdue { days: 9 }
    );
    assert_eq!(
        list[1].cadence.reason.to_string(),
        "2 of 4 e-mails still owed, the next was due on 24 March"
    );
}

#[test]
fn at_risk_outranks_overdue_and_priority_breaks_ties() {
    let tz = ny();
    let cal = WorkCalendar::default();
    let same = rule(Period::Month, 2, 0, 0);
    let plan = RotationPlan::single(
        rounds_core::PlanId::from_uuid(uuid::Uuid::from_u128(9)),
        "Same for all",
        d(2020, 1, 1),
        [
            (Priority::High, same),
            (Priority::Medium, same),
            (Priority::Low, same),
        ],
    )
    .unwrap();

    // 31 March, the last workday: none done is at risk (2 owed, 1 workday left); one done
    // leaves the second due today.
    let engine = CadenceEngine::new(&plan, d(2026, 3, 31), tz, &cal);
    let at_risk = engine.evaluate(&account(1, Priority::Low), &[] as &[rounds_core::Activity]);
    let one_done = account(2, Priority::High);
    let one_left = engine.evaluate(
        &one_done,
        &touches(&one_done, tz, &[(Visit, d(2026, 3, 2))]),
    );
    assert!(matches!(
        at_risk.kind(TouchKind::Visit).status,
        Status::AtRisk { .. }
    ));
    assert_eq!(one_left.kind(TouchKind::Visit).status, Status::DueToday);
    assert!(
        at_risk.urgency > one_left.urgency,
        "at risk beats due today even at lower priority"
    );

    // Same state, different buckets: the higher priority ranks first.
    let engine = CadenceEngine::new(&plan, d(2026, 3, 18), tz, &cal);
    let high = engine.evaluate(&account(3, Priority::High), &[] as &[rounds_core::Activity]);
    let low = engine.evaluate(&account(4, Priority::Low), &[] as &[rounds_core::Activity]);
    assert_eq!(
        high.kind(TouchKind::Visit).status,
        Status::Overdue { days: 2 }
    );
    assert_eq!(
        low.kind(TouchKind::Visit).status,
        Status::Overdue { days: 2 }
    );
    assert!(high.urgency > low.urgency);

    // More days late ranks first, whatever the bucket.
    let engine = CadenceEngine::new(&plan, d(2026, 3, 19), tz, &cal);
    let later = engine.evaluate(&account(4, Priority::Low), &[] as &[rounds_core::Activity]);
    assert!(later.urgency > high.urgency);
}

#[test]
fn an_account_without_a_rule_for_its_bucket_is_not_planned() {
    let plan = plan_versions(vec![(d(2020, 1, 1), rule(Period::Month, 2, 2, 4))]);
    let a = account(1, Priority::Low);
    let c = account_cadence(
        &plan,
        &a,
        &[],
        d(2026, 3, 18),
        ny(),
        &WorkCalendar::default(),
    );
    assert!(c.kinds.iter().all(|k| k.status == Status::NotPlanned));
    assert_eq!(c.urgency, 0);
    assert!(c.period.is_none());
}

/// A shop the rep marked lost is out of the rotation for the period it was lost in and
/// after, whatever its bucket or history; a period that ended before the loss counts as it
/// was; a lost account won back owes its share again.
#[rstest]
#[case::lead(rounds_core::Stage::Lead, None, true)]
#[case::opportunity(rounds_core::Stage::Opportunity, None, true)]
#[case::customer(rounds_core::Stage::Customer, None, true)]
#[case::lost_with_no_date(rounds_core::Stage::Lost, None, false)]
#[case::lost_earlier_this_month(rounds_core::Stage::Lost, Some(d(2026, 3, 5)), false)]
#[case::lost_today(rounds_core::Stage::Lost, Some(d(2026, 3, 18)), false)]
#[case::lost_after_the_day_counted(rounds_core::Stage::Lost, Some(d(2026, 4, 2)), true)]
#[case::won_back_after_a_loss(rounds_core::Stage::Lead, Some(d(2026, 3, 5)), true)]
fn a_lost_account_owes_nothing(
    #[case] stage: rounds_core::Stage,
    #[case] lost_on: Option<NaiveDate>,
    #[case] owes: bool,
) {
    let plan = plan_versions(vec![(d(2020, 1, 1), rule(Period::Month, 2, 2, 4))]);
    let tz = ny();
    let mut a = account(1, Priority::High);
    a.stage = stage;
    a.stage_dates.lost = lost_on;
    // 18 March: the first visit was due on the 16th; one call done.
    let acts = touches(&a, tz, &[(Call, d(2026, 3, 2))]);
    let c = account_cadence(
        &plan,
        &a,
        &acts,
        d(2026, 3, 18),
        tz,
        &WorkCalendar::default(),
    );
    if owes {
        assert_eq!(
            c.kind(TouchKind::Visit).status,
            Status::Overdue { days: 2 },
            "{stage:?}"
        );
        assert!(c.is_due(), "{stage:?}");
    } else {
        assert!(
            c.kinds
                .iter()
                .all(|k| k.status == Status::NotPlanned && k.owed == 0)
        );
        assert!(!c.is_due());
        assert_eq!(c.urgency, 0, "never ranked in Today");
    }
}
