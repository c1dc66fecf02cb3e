//! Pins the JSON of every wire message. A failing snapshot here means the protocol changed:
//! only additive changes are allowed (see the crate docs), and old snapshots must still
//! deserialise.

use chrono::{NaiveDate, TimeZone, Utc};
use rounds_core::{
    ActivityKind, CorrectionKind, Kare, LocationSource, Outcome, Period, Priority, Role, Stage,
    TouchKind,
};
use rounds_protocol::auth::{LoginRequest, LoginResponse, UserInfo};
use rounds_protocol::records::*;
use rounds_protocol::sync::*;
use rounds_protocol::*;
use uuid::Uuid;

mod ipc;

fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 + n,
    ))
}

fn hlc(ms: u64, c: u32) -> Hlc {
    Hlc {
        wall_ms: ms,
        counter: c,
        node: Uuid::from_u128(0xD),
    }
}

fn at(h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 16, h, 30, 0).unwrap()
}

fn activity() -> ActivityRecord {
    ActivityRecord {
        id: id(10),
        account_id: id(1),
        rep_id: id(2),
        contact_id: Some(id(3)),
        kind: ActivityKind::Visit,
        occurred_at: at(14),
        duration_min: Some(30),
        outcome: Some(Outcome::OrderTaken),
        note: Some("Reordered 40 cases".into()),
        fix: Some(FixRecord {
            lat: 41.8781,
            lon: -87.6298,
            accuracy_m: 12.5,
        }),
    }
}

fn account() -> AccountRecord {
    AccountRecord {
        id: id(1),
        name: "Dorne 1".into(),
        street: "1 Sunspear Way".into(),
        city: "Chicago".into(),
        region: "IL".into(),
        postal_code: "60601".into(),
        country: "US".into(),
        lat: Some(41.8858),
        lon: Some(-87.6181),
        stage: Stage::Customer,
        priority: Priority::High,
        kare: Some(Kare::Keep),
        currency: "USD".into(),
        revenue_minor: 3_900_000,
        expenses_minor: 1_700_000,
        phone: Some("(312) 555-0100".into()),
        email: Some("buyer@dorne.example".into()),
        industry: Some("Grocery".into()),
        territory_id: Some(id(5)),
        created_at: at(9),
        lead_on: NaiveDate::from_ymd_opt(2025, 1, 6),
        opportunity_on: NaiveDate::from_ymd_opt(2025, 2, 3),
        won_on: NaiveDate::from_ymd_opt(2025, 3, 3),
        lost_on: None,
        hours: None,
        visit_minutes: None,
        closed_on: None,
        preferred_hours: None,
        potential_minor: None,
        potential_estimate_minor: None,
        location_source: None,
    }
}

#[test]
fn push_request() {
    let bodies = [
        MutationBody::LogActivity {
            activity: activity(),
        },
        MutationBody::CorrectActivity {
            correction: CorrectionRecord {
                id: id(11),
                target: id(10),
                made_at: at(15),
                change: CorrectionKind::Void {
                    reason: "wrong account".into(),
                },
            },
        },
        MutationBody::EditAccount {
            account_id: id(1),
            edit: AccountEdit::Phone(Some("(312) 555-0199".into())),
        },
        MutationBody::EditAccount {
            account_id: id(1),
            edit: AccountEdit::Location(Some(LatLonRecord {
                lat: 41.886,
                lon: -87.618,
            })),
        },
    ];
    let req = PushRequest {
        protocol_version: PROTOCOL_VERSION,
        schema_version: SCHEMA_VERSION,
        device_id: id(20),
        mutations: bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                Mutation::new(
                    i as u64 + 1,
                    id(30 + i as u128),
                    hlc(1_773_671_400_000, i as u32),
                    b,
                )
            })
            .collect(),
    };
    insta::assert_json_snapshot!(req);
    let back: PushRequest = serde_json::from_value(serde_json::to_value(&req).unwrap()).unwrap();
    assert_eq!(back, req);
    for (m, b) in back.mutations.iter().zip(&bodies) {
        assert_eq!(&m.parse_body().unwrap(), b);
    }
}

/// Added after the first release: a new lead made on the device. Its own snapshot, so
/// the older messages' pins stay as they were.
#[test]
fn create_account_mutation() {
    let mut lead = account();
    lead.stage = Stage::Lead;
    lead.priority = Priority::Low;
    lead.kare = None;
    lead.revenue_minor = 0;
    lead.expenses_minor = 0;
    lead.opportunity_on = None;
    lead.won_on = None;
    lead.hours = Some("Mo-Fr 08:00-17:00".into());
    lead.visit_minutes = Some(40);
    let body = MutationBody::CreateAccount { account: lead };
    let m = Mutation::new(7, id(30), hlc(1_773_671_400_000, 0), &body);
    insta::assert_json_snapshot!(m);
    assert_eq!(m.parse_body().unwrap(), body);
}

/// Added after the first release: a contact added or changed on the device.
#[test]
fn save_contact_mutation() {
    let contact = ContactRecord {
        id: id(40),
        account_id: id(1),
        name: "Ana Martins".into(),
        title: Some("Buyer".into()),
        phone: Some("(312) 555-0142".into()),
        email: Some("ana@dorne.example".into()),
        primary: true,
    };
    let body = MutationBody::SaveContact { contact };
    let m = Mutation::new(8, id(31), hlc(1_773_671_460_000, 0), &body);
    insta::assert_json_snapshot!(m);
    assert_eq!(m.parse_body().unwrap(), body);
}

/// Added after the first release: a stage change with the reason the account was lost.
#[test]
fn change_stage_mutation() {
    let body = MutationBody::ChangeStage {
        account_id: id(1),
        from: Stage::Opportunity,
        to: Stage::Lost,
        reason: Some("Went with a cheaper supplier".into()),
    };
    let m = Mutation::new(9, id(32), hlc(1_773_671_520_000, 0), &body);
    insta::assert_json_snapshot!(m);
    assert_eq!(m.parse_body().unwrap(), body);
    // A reason is optional on the wire (a move to any stage but lost has none).
    let plain = MutationBody::ChangeStage {
        account_id: id(1),
        from: Stage::Lead,
        to: Stage::Opportunity,
        reason: None,
    };
    let json = serde_json::to_value(&plain).unwrap();
    assert_eq!(json.get("reason"), None);
    assert_eq!(serde_json::from_value::<MutationBody>(json).unwrap(), plain);
}

/// Added after the first release: a next step, here already done by a logged call.
#[test]
fn save_follow_up_mutation() {
    let follow_up = FollowUpRecord {
        id: id(50),
        account_id: id(1),
        rep_id: id(2),
        kind: TouchKind::Call,
        due_on: NaiveDate::from_ymd_opt(2026, 3, 17).unwrap(),
        note: Some("Call back about the spring order".into()),
        created_at: chrono::DateTime::from_timestamp_millis(1_773_671_400_000).unwrap(),
        done_at: chrono::DateTime::from_timestamp_millis(1_773_757_800_000),
        done_by: Some(id(51)),
    };
    let body = MutationBody::SaveFollowUp { follow_up };
    let m = Mutation::new(10, id(33), hlc(1_773_757_800_000, 0), &body);
    insta::assert_json_snapshot!(m);
    assert_eq!(m.parse_body().unwrap(), body);
}

/// Added after the first release (schema 4): a visit fixed at a date and a time.
#[test]
fn save_appointment_mutation() {
    let appointment = AppointmentRecord {
        id: id(60),
        account_id: id(1),
        rep_id: id(2),
        on: NaiveDate::from_ymd_opt(2026, 3, 19).unwrap(),
        at_min: 10 * 60 + 30,
        minutes: 45,
        note: Some("Spring order".into()),
        created_at: chrono::DateTime::from_timestamp_millis(1_773_671_400_000).unwrap(),
        cancelled_at: None,
    };
    let body = MutationBody::SaveAppointment {
        appointment: appointment.clone(),
    };
    let m = Mutation::new(11, id(34), hlc(1_773_757_800_000, 0), &body);
    insta::assert_json_snapshot!(m);
    assert_eq!(m.parse_body().unwrap(), body);
    assert_eq!(
        AppointmentRecord::from(&rounds_core::Appointment::try_from(&appointment).unwrap()),
        appointment
    );
    let late = AppointmentRecord {
        at_min: 23 * 60 + 30,
        ..appointment
    };
    assert_eq!(
        rounds_core::Appointment::try_from(&late).unwrap_err().field,
        "at_min",
        "past midnight"
    );
}

/// Added after the first release: a photo at a visit; its bytes follow by upload.
#[test]
fn attach_photo_mutation() {
    let photo = PhotoRecord {
        id: id(60),
        account_id: id(1),
        activity_id: Some(id(61)),
        rep_id: id(2),
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
        bytes: 2_400_000,
        content_type: "image/jpeg".into(),
        caption: Some("Shelf by the door".into()),
        taken_at: chrono::DateTime::from_timestamp_millis(1_773_757_800_000).unwrap(),
    };
    let body = MutationBody::AttachPhoto { photo };
    let m = Mutation::new(11, id(34), hlc(1_773_757_800_000, 0), &body);
    insta::assert_json_snapshot!(m);
    assert_eq!(m.parse_body().unwrap(), body);
}

#[test]
fn blob_status() {
    insta::assert_json_snapshot!(BlobStatus {
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
        size: 2_400_000,
        received: 196_608,
        complete: false,
    });
}

/// What a photo may not be: another type than JPEG, PNG or WebP, a size out of bounds,
/// a hash that is not one, or a caption beyond its limit.
#[test]
fn a_photo_record_is_checked() {
    let ok = PhotoRecord {
        id: id(60),
        account_id: id(1),
        activity_id: None,
        rep_id: id(2),
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
        bytes: 1_000,
        content_type: "image/png".into(),
        caption: None,
        taken_at: chrono::DateTime::from_timestamp_millis(1_773_757_800_000).unwrap(),
    };
    assert!(rounds_core::Photo::try_from(&ok).is_ok());
    type Spoil = fn(&mut PhotoRecord);
    let cases: [(&str, Spoil); 5] = [
        ("content_type", |p| p.content_type = "image/svg+xml".into()),
        ("bytes", |p| p.bytes = 0),
        ("bytes", |p| {
            p.bytes = rounds_core::photo::MAX_PHOTO_BYTES + 1
        }),
        ("sha256", |p| p.sha256 = "../../etc/passwd".into()),
        ("caption", |p| p.caption = Some("x".repeat(201))),
    ];
    for (field, spoil) in cases {
        let mut bad = ok.clone();
        spoil(&mut bad);
        let e = rounds_core::Photo::try_from(&bad).expect_err(field);
        assert_eq!(e.field, field, "{e}");
    }
}

/// What a follow-up may not be: a note beyond its limit, due years ahead, or "done by"
/// a touch without a time.
#[test]
fn a_follow_up_record_is_checked() {
    let ok = FollowUpRecord {
        id: id(50),
        account_id: id(1),
        rep_id: id(2),
        kind: TouchKind::Visit,
        due_on: NaiveDate::from_ymd_opt(2026, 3, 17).unwrap(),
        note: None,
        created_at: chrono::DateTime::from_timestamp_millis(1_773_671_400_000).unwrap(),
        done_at: None,
        done_by: None,
    };
    assert!(rounds_core::FollowUp::try_from(&ok).is_ok());
    let long_note = FollowUpRecord {
        note: Some("x".repeat(rounds_core::follow_up::MAX_NOTE_CHARS + 1)),
        ..ok.clone()
    };
    let far = FollowUpRecord {
        due_on: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        ..ok.clone()
    };
    let done_by_without_time = FollowUpRecord {
        done_by: Some(id(51)),
        ..ok.clone()
    };
    for (bad, field) in [
        (long_note, "note"),
        (far, "due_on"),
        (done_by_without_time, "done_by"),
    ] {
        let e = rounds_core::FollowUp::try_from(&bad).unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
}

#[test]
fn push_response() {
    let res = PushResponse {
        epoch: "e-01".into(),
        last_applied_seq: 4,
        server_hlc: hlc(1_773_671_401_000, 0),
        results: vec![
            MutationResult {
                seq: 1,
                id: id(30),
                status: MutationStatus::Applied,
            },
            MutationResult {
                seq: 2,
                id: id(31),
                status: MutationStatus::Quarantined {
                    reason: "account no longer in your territory".into(),
                },
            },
            MutationResult {
                seq: 3,
                id: id(32),
                status: MutationStatus::Rejected {
                    code: ErrorCode::Forbidden,
                    reason: "the account moved to another rep".into(),
                },
            },
            MutationResult {
                seq: 4,
                id: id(33),
                status: MutationStatus::Superseded {
                    winner: hlc(1_773_671_402_000, 0),
                },
            },
        ],
    };
    insta::assert_json_snapshot!(res);
    assert_eq!(
        serde_json::from_value::<PushResponse>(serde_json::to_value(&res).unwrap()).unwrap(),
        res
    );
}

#[test]
fn pull_response() {
    let bucket = BucketId::territory(id(5));
    let res = PullResponse {
        epoch: "e-01".into(),
        cursor: "opaque".into(),
        has_more: false,
        checkpoint: 812,
        server_hlc: hlc(1_773_671_401_000, 0),
        last_applied_seq: 4,
        reset: false,
        ops: vec![
            Op::ResetBucket {
                bucket: bucket.clone(),
            },
            Op::Put {
                bucket: BucketId::org(),
                row: Row::Plan(PlanRecord {
                    id: id(40),
                    name: "Standard".into(),
                    versions: vec![PlanVersionRecord {
                        effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                        rules: vec![PlanRuleRecord {
                            priority: Priority::High,
                            period: Period::Month,
                            visits: 2,
                            calls: 2,
                            emails: 4,
                            visit_minutes: Some(45),
                        }],
                    }],
                }),
            },
            Op::Put {
                bucket: bucket.clone(),
                row: Row::Territory(TerritoryRecord {
                    id: id(5),
                    name: "Dorne".into(),
                    rep_id: Some(id(2)),
                }),
            },
            Op::Put {
                bucket: bucket.clone(),
                row: Row::Account(account()),
            },
            Op::Put {
                bucket: bucket.clone(),
                row: Row::Contact(ContactRecord {
                    id: id(3),
                    account_id: id(1),
                    name: "Arianne Martell".into(),
                    title: Some("Buyer".into()),
                    phone: None,
                    email: Some("arianne@dorne.example".into()),
                    primary: true,
                }),
            },
            Op::Put {
                bucket: bucket.clone(),
                row: Row::Activity(activity()),
            },
            Op::Put {
                bucket: bucket.clone(),
                row: Row::Photo(PhotoRecord {
                    id: id(60),
                    account_id: id(1),
                    activity_id: None,
                    rep_id: id(2),
                    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                        .into(),
                    bytes: 2_400_000,
                    content_type: "image/jpeg".into(),
                    caption: None,
                    taken_at: chrono::DateTime::from_timestamp_millis(1_773_757_800_000).unwrap(),
                }),
            },
            Op::Delete {
                bucket: bucket.clone(),
                table: Table::Contact,
                id: Uuid::from_u128(7),
            },
            Op::Delete {
                bucket: bucket.clone(),
                table: Table::Photo,
                id: Uuid::from_u128(60),
            },
            Op::RemoveBucket {
                bucket: BucketId::territory(id(6)),
            },
        ],
    };
    insta::assert_json_snapshot!(res);
    assert_eq!(
        serde_json::from_value::<PullResponse>(serde_json::to_value(&res).unwrap()).unwrap(),
        res
    );
}

#[test]
fn login() {
    let req = LoginRequest {
        email: "dana@rounds.example".into(),
        password: "correct horse".into(),
        device_name: "Dana's phone".into(),
        platform: "android".into(),
        device_id: Some(id(20)),
    };
    insta::assert_json_snapshot!("login_request", req);
    assert!(
        !format!("{req:?}").contains("horse"),
        "debug output hides the password"
    );
    let res = LoginResponse {
        device_id: id(20),
        token: "secret-token".into(),
        expires_at: at(10),
        user: UserInfo {
            id: id(2),
            name: "Dana Reyes".into(),
            email: "dana@rounds.example".into(),
            role: Role::Rep,
            time_zone: "America/Chicago".into(),
        },
    };
    insta::assert_json_snapshot!("login_response", res);
    assert!(!format!("{res:?}").contains("secret-token"));
}

#[test]
fn records_convert_to_the_domain_and_back() {
    let a = account();
    let domain = rounds_core::Account::try_from(&a).unwrap();
    assert_eq!(AccountRecord::from(&domain), a);
    let with_hours = AccountRecord {
        hours: Some("Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-12:00".into()),
        visit_minutes: Some(40),
        ..account()
    };
    let domain = rounds_core::Account::try_from(&with_hours).unwrap();
    assert_eq!(
        domain
            .hours
            .as_ref()
            .unwrap()
            .describe(chrono::Weekday::Sat),
        "09:00-12:00"
    );
    assert_eq!(AccountRecord::from(&domain), with_hours);
    // Closed dates travel on one line in their shortest form.
    let closed = AccountRecord {
        closed_on: Some("2026-12-24 – 2026-12-26, 2026-12-31".into()),
        ..account()
    };
    let domain = rounds_core::Account::try_from(&closed).unwrap();
    assert_eq!(domain.closed_on.len(), 4);
    assert_eq!(AccountRecord::from(&domain), closed);
    let act = activity();
    assert_eq!(
        ActivityRecord::from(&rounds_core::Activity::try_from(&act).unwrap()),
        act
    );
}

#[test]
fn records_the_domain_refuses_name_the_field() {
    let mut a = account();
    a.lat = Some(123.0);
    assert_eq!(
        rounds_core::Account::try_from(&a).unwrap_err().field,
        "location"
    );
    let mut a = account();
    a.lon = None;
    assert_eq!(
        rounds_core::Account::try_from(&a).unwrap_err().field,
        "location"
    );
    let mut a = account();
    a.email = Some("not an address".into());
    assert_eq!(
        rounds_core::Account::try_from(&a).unwrap_err().field,
        "email"
    );
    let mut a = account();
    a.hours = Some("Mo 9 to 5".into());
    assert_eq!(
        rounds_core::Account::try_from(&a).unwrap_err().field,
        "hours"
    );
    let mut a = account();
    a.closed_on = Some("Christmas".into());
    assert_eq!(
        rounds_core::Account::try_from(&a).unwrap_err().field,
        "closed_on"
    );
    let mut a = account();
    a.preferred_hours = Some("mornings".into());
    assert_eq!(
        rounds_core::Account::try_from(&a).unwrap_err().field,
        "preferred_hours"
    );
    let mut a = account();
    a.visit_minutes = Some(0);
    assert_eq!(
        rounds_core::Account::try_from(&a).unwrap_err().field,
        "visit_minutes"
    );
    let mut act = activity();
    act.fix.as_mut().unwrap().accuracy_m = f64::NAN;
    assert_eq!(
        rounds_core::Activity::try_from(&act).unwrap_err().field,
        "fix.accuracy_m"
    );
}

#[test]
fn an_unreadable_body_is_still_a_mutation() {
    let json = r#"{"seq":7,"id":"01900000-0000-7000-8000-000000000001","hlc":"000001773671400000-00000000-00000000-0000-0000-0000-00000000000d","payload_version":1,"body":{"type":"teleport","to":"mars"}}"#;
    let m: Mutation = serde_json::from_str(json).unwrap();
    assert_eq!(m.seq, 7);
    assert!(
        m.parse_body().is_err(),
        "unknown mutation types are refused when parsed"
    );
}

#[test]
fn a_login_from_an_older_app_without_a_device_id_still_reads() {
    let req: LoginRequest = serde_json::from_str(
        r#"{"email":"a@b.example","password":"p","device_name":"phone","platform":"ios"}"#,
    )
    .unwrap();
    assert_eq!(req.device_id, None);
}

fn planned_week() -> week::PlannedWeek {
    use rounds_protocol::week::*;
    PlannedWeek {
        planned_at: at(9),
        summary: "Delivers 2 of 3 owed visits; 1 at risk".into(),
        days: vec![PlannedDay {
            date: NaiveDate::from_ymd_opt(2026, 3, 17).unwrap(),
            start_min: 510,
            end_min: 1020,
            visits: vec![
                PlannedVisit {
                    account_id: id(1),
                    begin_min: 540,
                    minutes: 45,
                    appointment: false,
                    pinned: true,
                },
                PlannedVisit {
                    account_id: id(2),
                    begin_min: 630,
                    minutes: 30,
                    appointment: true,
                    pinned: false,
                },
            ],
            calls: vec![id(3)],
            emails: Vec::new(),
        }],
        not_planned: vec![PlannedMiss {
            account_id: id(4),
            reason: "closed on the days left".into(),
        }],
    }
}

#[test]
fn a_planned_week() {
    insta::assert_json_snapshot!(planned_week());
    // The lists a device may leave out read as empty.
    let mut bare = serde_json::to_value(planned_week()).unwrap();
    bare.as_object_mut().unwrap().remove("not_planned");
    let day = &mut bare["days"][0];
    day.as_object_mut().unwrap().remove("calls");
    day.as_object_mut().unwrap().remove("emails");
    let read: week::PlannedWeek = serde_json::from_value(bare).unwrap();
    assert!(read.not_planned.is_empty() && read.days[0].calls.is_empty());
}

#[test]
fn a_planned_week_past_the_limits_says_why() {
    use rounds_protocol::week::*;
    let ok = planned_week();
    assert_eq!(ok.check(), Ok(()));
    type Spoil = fn(&mut PlannedWeek);
    let cases: Vec<(Spoil, &str)> = vec![
        (
            |w| {
                w.days = (0..29)
                    .map(|i| PlannedDay {
                        date: w.days[0].date + chrono::Days::new(i),
                        ..w.days[0].clone()
                    })
                    .collect()
            },
            "more than 28 days",
        ),
        (|w| w.days.push(w.days[0].clone()), "not in order"),
        (|w| w.days[0].end_min = 24 * 60 + 1, "not a day"),
        (|w| w.days[0].start_min = 1_100, "not a day"),
        (
            |w| w.days[0].visits[0].begin_min = 23 * 60 + 30,
            "past midnight",
        ),
        (
            |w| w.days[0].calls = vec![w.days[0].calls[0]; MAX_PLANNED_PER_DAY + 1],
            "more than 200 a day",
        ),
        (|w| w.summary = "x".repeat(MAX_PLAN_TEXT + 1), "longer than"),
        (
            |w| w.not_planned[0].reason = "x".repeat(MAX_PLAN_TEXT + 1),
            "longer than",
        ),
    ];
    for (spoil, why) in cases {
        let mut w = ok.clone();
        spoil(&mut w);
        let err = w.check().unwrap_err();
        assert!(err.contains(why), "{why}: {err}");
    }
}

/// Schema 5 added closed dates: a record written before them reads as none, and a
/// record without them is written exactly as before.
#[test]
fn an_account_without_closed_dates_keeps_its_old_shape() {
    let json = serde_json::to_value(account()).unwrap();
    assert!(json.get("closed_on").is_none(), "{json}");
    let back: AccountRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back.closed_on, None);
}

/// Schema 6 added preferred hours: the same, and they survive the domain's round trip
/// in their one written form.
#[test]
fn an_account_without_preferred_hours_keeps_its_old_shape() {
    let json = serde_json::to_value(account()).unwrap();
    assert!(json.get("preferred_hours").is_none(), "{json}");
    let back: AccountRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back.preferred_hours, None);
    let mut a = account();
    a.preferred_hours = Some("Tu,Th 09:00-11:00".into());
    let domain = rounds_core::Account::try_from(&a).unwrap();
    assert_eq!(
        AccountRecord::from(&domain).preferred_hours.as_deref(),
        Some("Tu 09:00-11:00; Th 09:00-11:00")
    );
}

/// Schema 7 added potential and the rep's estimate: the same old shape, a round trip
/// through the domain, and a negative figure refused by name.
#[test]
fn an_account_without_potential_keeps_its_old_shape() {
    let json = serde_json::to_value(account()).unwrap();
    assert!(json.get("potential_minor").is_none(), "{json}");
    assert!(json.get("potential_estimate_minor").is_none(), "{json}");
    let back: AccountRecord = serde_json::from_value(json).unwrap();
    assert_eq!(
        (back.potential_minor, back.potential_estimate_minor),
        (None, None)
    );
    let with = AccountRecord {
        potential_minor: Some(12_000_000),
        potential_estimate_minor: Some(9_000_000),
        ..account()
    };
    let domain = rounds_core::Account::try_from(&with).unwrap();
    assert_eq!(
        domain.planning_potential().map(|(m, s)| (m.minor, s)),
        Some((12_000_000, rounds_core::account::PotentialSource::Set)),
        "the potential set wins over the estimate"
    );
    assert_eq!(AccountRecord::from(&domain), with);
    for (field, a) in [
        (
            "potential",
            AccountRecord {
                potential_minor: Some(-1),
                ..account()
            },
        ),
        (
            "potential_estimate",
            AccountRecord {
                potential_estimate_minor: Some(-1),
                ..account()
            },
        ),
    ] {
        assert_eq!(rounds_core::Account::try_from(&a).unwrap_err().field, field);
    }
    let edit = AccountEdit::PotentialEstimate(Some(9_000_000));
    let json = serde_json::to_string(&edit).unwrap();
    assert_eq!(json, r#"{"field":"potential_estimate","value":9000000}"#);
    assert_eq!(edit.field(), "potential_estimate");
}

/// Schema 8 added where an account's location came from: absent when not recorded (the
/// old shape), read back by name, and dropped with the location it describes.
#[test]
fn a_location_source_travels_with_its_location() {
    let json = serde_json::to_value(account()).unwrap();
    assert!(json.get("location_source").is_none(), "{json}");
    assert_eq!(SCHEMA_VERSION, 8);
    let with = AccountRecord {
        location_source: Some(LocationSource::PostalCode),
        ..account()
    };
    let json = serde_json::to_value(&with).unwrap();
    assert_eq!(json["location_source"], "postal_code");
    let domain = rounds_core::Account::try_from(&with).unwrap();
    assert_eq!(domain.location_source, Some(LocationSource::PostalCode));
    assert_eq!(
        domain.check_in_location(),
        None,
        "a postal code's middle proves no visit"
    );
    assert_eq!(AccountRecord::from(&domain), with);
    let nowhere = AccountRecord {
        lat: None,
        lon: None,
        ..with
    };
    let domain = rounds_core::Account::try_from(&nowhere).unwrap();
    assert_eq!(domain.location_source, None, "no place, no source");
    let mut json = serde_json::to_value(account()).unwrap();
    json["location_source"] = "satellite".into();
    assert_eq!(
        serde_json::from_value::<AccountRecord>(json)
            .unwrap()
            .location_source,
        None,
        "a newer server's source reads as not recorded, and the rest of the row syncs"
    );
}
