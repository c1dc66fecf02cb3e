//! Pins the JSON between the app's UI and its shell. Both sides compile these types, but
//! an app update can meet an old UI bundle in a WebView cache: changes stay additive.

use chrono::{NaiveDate, TimeZone, Utc};
use rounds_core::cadence::Status;
use rounds_core::{ActivityKind, CheckIn, LatLon, Outcome, Priority, TouchKind};
use rounds_protocol::ErrorCode;
use rounds_protocol::ipc::*;
use uuid::Uuid;

fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 + n,
    ))
}

fn place() -> LatLon {
    LatLon::new(39.7392, -104.9903).unwrap()
}

fn owed() -> Owed {
    Owed {
        kind: TouchKind::Visit,
        planned: 2,
        done: 0,
        owed: 2,
        status: Status::Overdue { days: 2 },
        next_due: NaiveDate::from_ymd_opt(2026, 3, 16),
    }
}

#[test]
fn today_view() {
    let view = TodayView {
        date: NaiveDate::from_ymd_opt(2026, 3, 18).unwrap(),
        items: vec![TodayItem {
            account_id: id(1),
            name: "Acme Hardware".into(),
            city: "Denver".into(),
            priority: Priority::High,
            location: Some(place()),
            status: Status::Overdue { days: 2 },
            reason: "2 of 2 visits still owed, the first was due on 16 March".into(),
            owed: vec![owed()],
        }],
        accounts_total: 150,
        next: Some(NextDue {
            date: NaiveDate::from_ymd_opt(2026, 3, 19).unwrap(),
            visits: 3,
            calls: 0,
            emails: 1,
        }),
        follow_ups: vec![FollowUpItem {
            id: id(5),
            account_id: id(1),
            account_name: "Acme Hardware".into(),
            kind: TouchKind::Call,
            due: NaiveDate::from_ymd_opt(2026, 3, 17).unwrap(),
            note: Some("Call back about the spring order".into()),
            days_late: 1,
            done: false,
            pending: true,
        }],
    };
    insta::assert_json_snapshot!(view);
    // An answer from before follow-ups still reads.
    let mut old = serde_json::to_value(&view).unwrap();
    old.as_object_mut().unwrap().remove("follow_ups");
    let back: TodayView = serde_json::from_value(old).unwrap();
    assert!(back.follow_ups.is_empty());
}

#[test]
fn day_route() {
    let route = DayRoute {
        start: Some(RoutePoint {
            label: "Home".into(),
            location: place(),
        }),
        end: None,
        stops: vec![RouteStop {
            account_id: id(1),
            name: "Acme Hardware".into(),
            city: "Denver".into(),
            location: place(),
            status: Status::DueToday,
            pinned: true,
            leg_m: 4_200,
            leg_min: 8,
            visit_min: 30,
            begin_min: 8 * 60 + 38,
            hours: Some("08:00-17:00".into()),
            appointment: false,
            approximate: true,
        }],
        return_leg_m: 4_200,
        total_m: 8_400,
        busy_min: 47,
        workday_min: 480,
        left_out: vec![RouteCandidate {
            account_id: id(2),
            name: "Birch Dental".into(),
            reason: "does not fit in the workday".into(),
        }],
        unplaced: Vec::new(),
        lunch: Some(LunchSlot {
            after_stops: 1,
            begin_min: 12 * 60 + 10,
            end_min: 12 * 60 + 40,
        }),
        no_lunch: false,
    };
    insta::assert_json_snapshot!(route);
    // An answer from before lunch breaks still reads.
    let mut old = serde_json::to_value(&route).unwrap();
    old.as_object_mut().unwrap().remove("lunch");
    let back: DayRoute = serde_json::from_value(old).unwrap();
    assert_eq!((back.lunch, back.no_lunch), (None, false));
}

#[test]
fn quick_action_and_answer() {
    let req = LogActivity {
        account_id: id(1),
        kind: ActivityKind::Visit,
        contact_id: None,
        fix: Some(Fix {
            lat: 39.7392,
            lon: -104.9903,
            accuracy_m: 15.0,
        }),
        outcome: Some(Outcome::Reached),
        note: None,
    };
    insta::assert_json_snapshot!("log_activity", req);
    let answer = Logged {
        activity_id: id(10),
        open: None,
        check_in: Some(CheckIn::Inside),
    };
    insta::assert_json_snapshot!("logged", answer);
}

#[test]
fn session_and_errors() {
    insta::assert_json_snapshot!(
        "session_signed_out",
        Session::SignedOut {
            server_url: Some("https://rounds.example.com".into()),
            demo: None,
        }
    );
    insta::assert_json_snapshot!(
        "ipc_error",
        IpcError::new(ErrorCode::InvalidCredentials, "wrong password")
    );
}

#[test]
fn sync_view() {
    let view = SyncView {
        syncing: true,
        progress: Some(0.5),
        progress_label: Some("Sent 1 of 2".into()),
        last_success: Some(Utc.with_ymd_and_hms(2026, 3, 18, 9, 0, 0).unwrap()),
        pending: 1,
        online: true,
        last_error: None,
        issues: vec![IssueView {
            seq: 4,
            kind: IssueKindView::Quarantined,
            what: "Visit to Acme Hardware, 18 March".into(),
            reason: "the account moved to another territory".into(),
            account_id: Some(id(1)),
            at: Utc.with_ymd_and_hms(2026, 3, 18, 9, 0, 0).unwrap(),
        }],
        now: Some(Utc.with_ymd_and_hms(2026, 3, 18, 9, 5, 0).unwrap()),
    };
    insta::assert_json_snapshot!(view);
}

#[test]
fn requests_with_fields_left_out_still_read() {
    let q: AccountQuery = serde_json::from_str(r#"{"text":"lee"}"#).unwrap();
    assert_eq!(q.text, "lee");
    assert_eq!(q.near, None);
    let p: PlanDay = serde_json::from_str("{}").unwrap();
    assert_eq!(p, PlanDay::default());
    let e: IpcError = serde_json::from_str(r#"{"code":"a_code_from_a_newer_shell"}"#).unwrap();
    assert_eq!(e.code, ErrorCode::Unknown);
}

#[test]
fn account_list_with_the_priority_score() {
    let query = AccountQuery {
        text: "dental".into(),
        order: AccountOrder::Priority,
        ..AccountQuery::default()
    };
    insta::assert_json_snapshot!("account_query", query);
    let list = AccountList {
        items: vec![AccountSummary {
            id: id(1),
            name: "Acme Hardware".into(),
            city: "Denver".into(),
            priority: Priority::High,
            stage: rounds_core::Stage::Customer,
            kare: None,
            status: Status::DueToday,
            reason: "1 of 2 visits still owed, the next is due today".into(),
            snippet: None,
            distance_m: None,
            pending: false,
            score: 60,
            score_factors: vec![ScoreFactor {
                label: "Revenue".into(),
                points: 11,
                max: 30,
                why: "revenue USD 39,000.00: full 30 points at USD 100,000.00".into(),
            }],
        }],
        total: 1,
    };
    insta::assert_json_snapshot!("account_list", list);
}

#[test]
fn an_older_ui_or_shell_still_reads_the_account_list() {
    // What a query and a summary looked like before the score: still accepted.
    let q: AccountQuery = serde_json::from_str(r#"{"text":"acme"}"#).unwrap();
    assert_eq!(q.order, AccountOrder::Natural);
    let old = r#"{"id":"01900000-0000-7000-8000-000000000001","name":"Acme","city":"Denver",
        "priority":"high","stage":"customer","kare":null,"status":{"status":"done"},
        "reason":"","snippet":null,"distance_m":null,"pending":false}"#;
    let s: AccountSummary = serde_json::from_str(old).unwrap();
    assert_eq!((s.score, s.score_factors.len()), (0, 0));
}

#[test]
fn day_settings_with_a_lunch_break() {
    let settings = DaySettings {
        day_start_minutes: 8 * 60,
        workday_minutes: 9 * 60,
        visit_minutes: 30,
        home: Some(place()),
        time_zone: "America/Denver".into(),
        week_hours: None,
        days_off: Vec::new(),
        office: None,
        office_days: Vec::new(),
        nights_away: Vec::new(),
        lunch: Some(LunchBreak {
            from_min: 12 * 60,
            until_min: 14 * 60,
            minutes: 30,
        }),
    };
    insta::assert_json_snapshot!(settings);
    // Settings saved before lunch breaks read as none.
    let mut old = serde_json::to_value(&settings).unwrap();
    old.as_object_mut().unwrap().remove("lunch");
    let back: DaySettings = serde_json::from_value(old).unwrap();
    assert_eq!(back.lunch, None);
}
