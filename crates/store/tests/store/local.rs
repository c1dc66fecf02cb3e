//! The rep's own changes: logged, overlaid on reads, marked pending, never duplicated.

use chrono::Duration;
use rounds_core::{ActivityKind, CorrectionKind, Outcome, Stage};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::sync::{AccountEdit, MutationBody, Op, Row};
use rounds_store::{NewActivity, StoreError};

use crate::fixtures::*;

fn visit(i: usize) -> NewActivity {
    NewActivity {
        account_id: account_id(i),
        rep_id: rep(),
        contact_id: None,
        kind: ActivityKind::Visit,
        occurred_at: now(),
        duration_min: Some(25),
        outcome: Some(Outcome::Reached),
        note: Some("Met the new buyer, wants samples".into()),
        fix: None,
    }
}

#[test]
fn a_logged_visit_is_in_the_outbox_and_on_the_timeline_as_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 5);
    let logged = store.log_activity(visit(1), now()).unwrap();
    assert_eq!(logged.seq, 1, "the device's first mutation is number 1");

    let r = store.read();
    let entry = r.outbox().get(1).unwrap().unwrap();
    let body = entry.mutation.parse_body().unwrap();
    assert!(
        matches!(body, MutationBody::LogActivity { ref activity } if activity.id == logged.activity.id)
    );
    assert_eq!(r.outbox().pending_count().unwrap(), 1);

    let timeline = r.activities().timeline(account_id(1)).unwrap();
    let mine = timeline
        .iter()
        .find(|e| e.activity.id == logged.activity.id)
        .unwrap();
    assert!(mine.pending);
    assert_eq!(
        timeline.first().unwrap().activity.id,
        logged.activity.id,
        "newest first"
    );
    assert!(
        !r.search("samples", 5).unwrap().is_empty(),
        "a pending note is searchable at once"
    );
}

#[test]
fn sequence_numbers_are_consecutive_and_clocks_increase() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let mut seqs = Vec::new();
    for i in 0..5 {
        // The wall clock jumps back midway: the HLC must not.
        let at = if i == 3 {
            now() - Duration::hours(5)
        } else {
            now() + Duration::seconds(i)
        };
        seqs.push(store.log_activity(visit(i as usize % 3), at).unwrap().seq);
    }
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    let all = store.read().outbox().all().unwrap();
    for w in all.windows(2) {
        assert!(w[0].mutation.hlc < w[1].mutation.hlc);
    }
}

#[test]
fn an_activity_for_an_unknown_account_is_refused_and_nothing_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let err = store.log_activity(visit(99), now()).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "got {err:?}");
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);
    let mut long = visit(1);
    long.note = Some("x".repeat(30_000));
    assert!(matches!(
        store.log_activity(long, now()),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn once_the_server_has_it_the_activity_is_shown_once_and_not_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let logged = store.log_activity(visit(1), now()).unwrap();
    let before = store
        .read()
        .activities()
        .timeline(account_id(1))
        .unwrap()
        .len();
    // The server's copy arrives in a pull.
    let rec = rounds_protocol::records::ActivityRecord::from(&logged.activity);
    store
        .apply_pull(
            &page(
                vec![Op::Put {
                    bucket: bucket(),
                    row: Row::Activity(rec),
                }],
                "c2",
            ),
            now(),
        )
        .unwrap();
    let timeline = store.read().activities().timeline(account_id(1)).unwrap();
    assert_eq!(timeline.len(), before, "not duplicated");
    let mine = timeline
        .iter()
        .find(|e| e.activity.id == logged.activity.id)
        .unwrap();
    assert!(!mine.pending);
}

#[test]
fn void_and_amend_are_new_facts_shown_on_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = store.log_activity(visit(1), now()).unwrap();
    let b = store
        .log_activity(visit(1), now() + Duration::minutes(1))
        .unwrap();
    store
        .correct_activity(
            a.activity.id,
            CorrectionKind::Void {
                reason: "logged twice".into(),
            },
            now(),
        )
        .unwrap();
    store
        .correct_activity(
            b.activity.id,
            CorrectionKind::Amend {
                occurred_at: None,
                duration_min: Some(90),
                outcome: None,
                note: None,
            },
            now(),
        )
        .unwrap();
    let timeline = store.read().activities().timeline(account_id(1)).unwrap();
    let va = timeline
        .iter()
        .find(|e| e.activity.id == a.activity.id)
        .unwrap();
    let vb = timeline
        .iter()
        .find(|e| e.activity.id == b.activity.id)
        .unwrap();
    assert!(va.voided);
    assert_eq!(vb.activity.duration_min, Some(90));
    assert_eq!(
        store.read().outbox().pending_count().unwrap(),
        4,
        "two logs, two corrections"
    );

    // Today does not count the voided visit.
    let inputs = store
        .read()
        .today_inputs(now() - Duration::days(60))
        .unwrap();
    let i = inputs
        .accounts
        .iter()
        .position(|x| x.id == account_id(1))
        .unwrap();
    assert!(
        inputs
            .activities_of(i)
            .iter()
            .all(|x| x.id != a.activity.id)
    );
    assert!(
        inputs
            .activities_of(i)
            .iter()
            .any(|x| x.id == b.activity.id)
    );
}

fn stage_of(store: &rounds_store::Store, a: rounds_protocol::AccountId) -> Stage {
    store
        .read()
        .accounts()
        .get(a)
        .unwrap()
        .unwrap()
        .account
        .stage
}

#[test]
fn a_stage_move_goes_out_from_the_stage_shown_and_a_loss_needs_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = account_id(1);
    assert_eq!(stage_of(&store, a), Stage::Customer);
    // No reason, or a blank one: refused, nothing queued.
    for reason in [None, Some("   ".to_owned())] {
        let err = store
            .change_account(a, vec![AccountEdit::Stage(Stage::Lost)], reason, now())
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(ref m) if m.contains("why")),
            "{err}"
        );
    }
    let essay = "x".repeat(rounds_protocol::sync::MAX_STAGE_REASON_CHARS + 1);
    assert!(
        store
            .change_account(a, vec![AccountEdit::Stage(Stage::Lost)], Some(essay), now())
            .is_err()
    );
    // The stage it already has: no move, nothing queued.
    let none = store
        .change_account(a, vec![AccountEdit::Stage(Stage::Customer)], None, now())
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);

    let seqs = store
        .change_account(
            a,
            vec![
                AccountEdit::Phone(Some("(312) 555-0199".into())),
                AccountEdit::Stage(Stage::Lost),
            ],
            Some("  Closed down ".into()),
            now(),
        )
        .unwrap();
    assert_eq!(seqs.len(), 2);
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(view.account.stage, Stage::Lost, "shown at once");
    assert_eq!(view.pending_fields, ["phone", "stage"]);
    // Out of the rotation at once too: Today's inputs see the move before it syncs.
    let lost = |store: &rounds_store::Store| {
        store
            .read()
            .today_inputs(now() - Duration::days(60))
            .unwrap()
            .accounts
            .iter()
            .find(|x| x.id == a)
            .map(|x| x.lost)
    };
    assert_eq!(lost(&store), Some(true));
    let queued = store.read().outbox().all().unwrap();
    let stage = queued
        .iter()
        .find(|e| e.kind == "change_stage")
        .expect("queued");
    assert_eq!(
        stage.mutation.parse_body().unwrap(),
        MutationBody::ChangeStage {
            account_id: a,
            from: Stage::Customer,
            to: Stage::Lost,
            reason: Some("Closed down".into()),
        }
    );

    // Back to lead from lost: no reason asked, none sent; back in the rotation.
    store
        .change_account(
            a,
            vec![AccountEdit::Stage(Stage::Lead)],
            Some("stale".into()),
            now(),
        )
        .unwrap();
    assert_eq!(lost(&store), Some(false));
    let queued = store.read().outbox().all().unwrap();
    let back = queued.last().unwrap().mutation.parse_body().unwrap();
    assert_eq!(
        back,
        MutationBody::ChangeStage {
            account_id: a,
            from: Stage::Lost,
            to: Stage::Lead,
            reason: None,
        }
    );
    assert_eq!(stage_of(&store, a), Stage::Lead);
}

#[test]
fn a_field_edit_is_overlaid_and_marked_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    store
        .edit_account(
            account_id(2),
            AccountEdit::Phone(Some("(312) 555-0199".into())),
            now(),
        )
        .unwrap();
    store
        .edit_account(account_id(2), AccountEdit::City("Skokie".into()), now())
        .unwrap();
    let view = store.read().accounts().get(account_id(2)).unwrap().unwrap();
    assert_eq!(view.account.phone.unwrap().as_typed(), "(312) 555-0199");
    assert_eq!(view.account.address.city, "Skokie");
    assert_eq!(view.pending_fields, ["phone", "city"]);
    assert_eq!(
        store.read().outbox().pending_count().unwrap(),
        2,
        "one outbox row per field"
    );

    // A pull of the synced row does not hide the pending edit.
    store
        .apply_pull(
            &page(
                vec![Op::Put {
                    bucket: bucket(),
                    row: Row::Account(account(2)),
                }],
                "c2",
            ),
            now(),
        )
        .unwrap();
    let view = store.read().accounts().get(account_id(2)).unwrap().unwrap();
    assert_eq!(view.account.address.city, "Skokie");
}

#[test]
fn an_invalid_edit_is_refused_before_it_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let err = store
        .edit_account(
            account_id(1),
            AccountEdit::Email(Some("not-an-address".into())),
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "got {err:?}");
    let err = store
        .edit_account(
            account_id(1),
            AccountEdit::Location(Some(rounds_protocol::sync::LatLonRecord {
                lat: 91.0,
                lon: 0.0,
            })),
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);
}

#[test]
fn wiping_synced_data_keeps_every_pending_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    store.log_activity(visit(1), now()).unwrap();
    store
        .edit_account(account_id(1), AccountEdit::City("Skokie".into()), now())
        .unwrap();
    store.wipe_bucket(&bucket().0).unwrap();
    assert_eq!(store.read().accounts().count().unwrap(), 0);
    assert_eq!(store.read().outbox().pending_count().unwrap(), 2);
    store.reset_synced().unwrap();
    assert_eq!(store.read().outbox().pending_count().unwrap(), 2);
    assert!(store.read().cursor().unwrap().is_none());
}

#[test]
fn opening_hours_go_out_in_their_written_form_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = account_id(1);
    // Not hours, or a visit of no length: refused, nothing queued.
    for edit in [
        AccountEdit::Hours(Some("Mo-Fr 9 to 5".into())),
        AccountEdit::VisitMinutes(Some(0)),
    ] {
        let err = store
            .change_account(a, vec![edit], None, now())
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);

    store
        .change_account(
            a,
            vec![
                AccountEdit::Hours(Some("Mon–Fri 8:00–12:00, 14:00–18:00".into())),
                AccountEdit::VisitMinutes(Some(40)),
            ],
            None,
            now(),
        )
        .unwrap();
    let queued = store.read().outbox().all().unwrap();
    assert_eq!(
        queued[0].mutation.parse_body().unwrap(),
        MutationBody::EditAccount {
            account_id: a,
            edit: AccountEdit::Hours(Some("Mo-Fr 08:00-12:00,14:00-18:00".into())),
        }
    );
    // Shown at once, on the account and on the Today path the planner reads.
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(view.pending_fields, ["hours", "visit_minutes"]);
    let hours = view.account.hours.expect("hours");
    assert_eq!(
        hours.describe(chrono::Weekday::Mon),
        "08:00-12:00, 14:00-18:00"
    );
    assert!(hours.is_closed(chrono::Weekday::Sat));
    let inputs = store
        .read()
        .today_inputs(now() - Duration::days(60))
        .unwrap();
    let row = inputs.accounts.iter().find(|x| x.id == a).unwrap();
    assert_eq!(row.hours.as_ref(), Some(&hours));
    assert_eq!(row.visit_minutes, Some(40));
}

#[test]
fn closed_dates_go_out_on_one_line_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = account_id(1);
    let err = store
        .change_account(
            a,
            vec![AccountEdit::ClosedOn(Some("next Tuesday".into()))],
            None,
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);

    store
        .change_account(
            a,
            vec![AccountEdit::ClosedOn(Some(
                "2026-12-31\n2026-12-24..2026-12-26, 2027-01-01".into(),
            ))],
            None,
            now(),
        )
        .unwrap();
    let queued = store.read().outbox().all().unwrap();
    assert_eq!(
        queued[0].mutation.parse_body().unwrap(),
        MutationBody::EditAccount {
            account_id: a,
            edit: AccountEdit::ClosedOn(Some(
                "2026-12-24 – 2026-12-26, 2026-12-31 – 2027-01-01".into()
            )),
        }
    );
    // Shown at once, on the account and on the Today path the planner reads.
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(view.pending_fields, ["closed_on"]);
    assert_eq!(view.account.closed_on.len(), 5);
    let inputs = store
        .read()
        .today_inputs(now() - Duration::days(60))
        .unwrap();
    let row = inputs.accounts.iter().find(|x| x.id == a).unwrap();
    assert_eq!(row.closed_on, view.account.closed_on);

    // Cleared: no dates.
    store
        .change_account(
            a,
            vec![AccountEdit::ClosedOn(Some("  ".into()))],
            None,
            now(),
        )
        .unwrap();
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert!(view.account.closed_on.is_empty());
}

#[test]
fn preferred_hours_go_out_in_their_written_form_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = account_id(1);
    let err = store
        .change_account(
            a,
            vec![AccountEdit::PreferredHours(Some("mornings".into()))],
            None,
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);

    store
        .change_account(
            a,
            vec![AccountEdit::PreferredHours(Some("tu,th 9:00-11:00".into()))],
            None,
            now(),
        )
        .unwrap();
    let queued = store.read().outbox().all().unwrap();
    assert_eq!(
        queued[0].mutation.parse_body().unwrap(),
        MutationBody::EditAccount {
            account_id: a,
            edit: AccountEdit::PreferredHours(Some("Tu 09:00-11:00; Th 09:00-11:00".into())),
        }
    );
    // Shown at once, on the account and on the Today path the planner reads.
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(view.pending_fields, ["preferred_hours"]);
    let preferred = view.account.preferred_hours.clone().unwrap();
    assert_eq!(preferred.describe(chrono::Weekday::Tue), "09:00-11:00");
    let inputs = store
        .read()
        .today_inputs(now() - Duration::days(60))
        .unwrap();
    let row = inputs.accounts.iter().find(|x| x.id == a).unwrap();
    assert_eq!(row.preferred_hours.as_ref(), Some(&preferred));

    // Cleared: none.
    store
        .change_account(
            a,
            vec![AccountEdit::PreferredHours(Some("  ".into()))],
            None,
            now(),
        )
        .unwrap();
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(view.account.preferred_hours, None);
}

#[test]
fn a_potential_estimate_is_queued_shown_at_once_and_a_negative_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = account_id(1);
    let err = store
        .change_account(
            a,
            vec![AccountEdit::PotentialEstimate(Some(-100))],
            None,
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);

    let estimate = AccountEdit::PotentialEstimate(Some(12_000_000));
    store
        .change_account(a, vec![estimate.clone()], None, now())
        .unwrap();
    let queued = store.read().outbox().all().unwrap();
    assert_eq!(
        queued[0].mutation.parse_body().unwrap(),
        MutationBody::EditAccount {
            account_id: a,
            edit: estimate,
        }
    );
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(view.pending_fields, ["potential_estimate"]);
    assert_eq!(
        view.account.potential_estimate.map(|m| m.minor),
        Some(12_000_000)
    );
    assert_eq!(
        view.account.planning_potential().map(|(m, _)| m.minor),
        Some(12_000_000),
        "planning uses the estimate while no potential is set"
    );

    store
        .change_account(a, vec![AccountEdit::PotentialEstimate(None)], None, now())
        .unwrap();
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(view.account.potential_estimate, None);
}

/// Where a location came from is kept as synced, read by name, and becomes the rep's
/// own the moment they set the pin; the Today rows know which are only a ZIP's middle.
#[test]
fn a_location_source_is_kept_and_the_reps_pin_makes_it_theirs() {
    use rounds_core::LocationSource;
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = account_id(1);
    let by_zip = AccountRecord {
        location_source: Some(LocationSource::PostalCode),
        ..account(1)
    };
    store
        .apply_pull(
            &page(
                vec![Op::Put {
                    bucket: bucket(),
                    row: Row::Account(by_zip.clone()),
                }],
                "c2",
            ),
            now(),
        )
        .unwrap();
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(
        view.account.location_source,
        Some(LocationSource::PostalCode)
    );
    assert_eq!(view.account.check_in_location(), None);
    assert_eq!(
        AccountRecord::from(&view.account),
        by_zip,
        "read back whole"
    );

    let door = rounds_protocol::sync::LatLonRecord {
        lat: 41.9,
        lon: -87.7,
    };
    store
        .change_account(a, vec![AccountEdit::Location(Some(door))], None, now())
        .unwrap();
    let view = store.read().accounts().get(a).unwrap().unwrap();
    assert_eq!(view.account.location_source, Some(LocationSource::Device));
    assert!(view.account.check_in_location().is_some());
}

#[test]
fn an_appointment_is_queued_shown_at_once_moved_and_cancelled() {
    use rounds_store::AppointmentInput;
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = account_id(1);
    let day = now().date_naive() + Duration::days(2);
    let input = AppointmentInput {
        id: None,
        account_id: a,
        rep_id: rep(),
        on: day,
        at_min: 10 * 60 + 30,
        minutes: 45,
        note: Some("  Spring order ".into()),
    };
    // Past midnight, or on an account the device does not hold: refused, nothing queued.
    let late = AppointmentInput {
        at_min: 23 * 60 + 30,
        ..input.clone()
    };
    assert!(matches!(
        store.save_appointment(late, now()).unwrap_err(),
        StoreError::Invalid(_)
    ));
    let elsewhere = AppointmentInput {
        account_id: account_id(99),
        ..input.clone()
    };
    assert!(matches!(
        store.save_appointment(elsewhere, now()).unwrap_err(),
        StoreError::NotFound(_)
    ));
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);

    let id = store.save_appointment(input.clone(), now()).unwrap();
    let shown = store.read().appointments().of_account(a).unwrap();
    assert_eq!(shown.len(), 1);
    assert!(shown[0].pending);
    assert_eq!(shown[0].appointment.note.as_deref(), Some("Spring order"));
    assert_eq!(
        store.read().appointments().between(day, day).unwrap().len(),
        1
    );

    // Moved to 14:00: the same appointment, not a second one.
    store
        .save_appointment(
            AppointmentInput {
                id: Some(id),
                at_min: 14 * 60,
                ..input
            },
            now(),
        )
        .unwrap();
    let shown = store.read().appointments().of_account(a).unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].appointment.at_min, 14 * 60);

    // Cancelled: kept, marked, and no longer planned around; twice changes nothing.
    store.cancel_appointment(id, now()).unwrap();
    store.cancel_appointment(id, now()).unwrap();
    assert_eq!(store.read().outbox().pending_count().unwrap(), 3);
    let shown = store.read().appointments().of_account(a).unwrap();
    assert!(shown[0].appointment.is_cancelled());
    assert!(
        store
            .read()
            .appointments()
            .between(day, day)
            .unwrap()
            .is_empty()
    );
    let last = store.read().outbox().all().unwrap().pop().unwrap();
    assert!(matches!(
        last.mutation.parse_body().unwrap(),
        MutationBody::SaveAppointment { appointment } if appointment.cancelled_at.is_some()
    ));
}

#[test]
fn a_setting_saved_as_null_reads_as_none_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 1);
    store
        .set_settings(&[
            ("home", serde_json::json!({"lat": 40.0, "lon": -105.0})),
            ("week_hours", serde_json::json!("Mo-Fr 08:00-17:00")),
        ])
        .unwrap();
    // Cleared in a form: saved as null, read as no value, not as unreadable data.
    store
        .set_settings(&[
            ("home", serde_json::Value::Null),
            ("week_hours", serde_json::Value::Null),
        ])
        .unwrap();
    let settings = store.read().settings();
    assert_eq!(settings.get::<rounds_core::LatLon>("home").unwrap(), None);
    assert_eq!(settings.get::<String>("week_hours").unwrap(), None);
    assert_eq!(settings.get::<String>("never_set").unwrap(), None);
    assert!(
        settings.get::<u32>("week_hours").unwrap().is_none(),
        "null is none whatever the type"
    );
    store
        .set_setting("workday_minutes", &"eight hours")
        .unwrap();
    assert!(
        store
            .read()
            .settings()
            .get::<u32>("workday_minutes")
            .is_err(),
        "a value of the wrong type is still an error"
    );
}
