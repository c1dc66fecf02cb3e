//! Accounts a rep creates in the field: created once, in their own territory, delivered
//! to every device holding it; refused creates are kept for review, never dropped.

use chrono::{Duration, Utc};
use rounds_core::Stage;
use rounds_protocol::records::{AppointmentRecord, ContactRecord, FollowUpRecord};
use rounds_protocol::sync::{AccountEdit, LatLonRecord, MutationBody, MutationStatus};
use rounds_protocol::{AccountId, ContactId, FollowUpId, TerritoryId, UserId};
use uuid::Uuid;

use crate::support::*;

on_both_backends!(
    threads = 4;
    a_lead_made_offline_is_created_once_and_reaches_the_reps_other_device,
    an_activity_on_a_new_lead_in_the_same_push_is_applied,
    a_lead_in_someone_elses_territory_is_kept_for_review,
    a_lead_with_manager_owned_figures_is_kept_for_review,
    a_manager_sees_new_leads_and_moved_pins_in_the_feed_and_leads_in_performance,
    a_contact_saved_on_one_device_reaches_the_other_once_and_takes_the_primary,
    an_older_save_of_a_contact_loses_to_a_newer_one,
    a_contact_on_an_account_not_held_is_kept_for_review,
    stage_changes_are_dated_facts_kept_once_and_counted_for_the_manager,
    a_follow_up_reaches_the_reps_other_device_once_and_the_later_save_holds,
    a_follow_up_for_another_rep_or_an_account_not_held_is_kept_for_review,
    two_copies_of_one_shop_are_merged_in_review_and_nothing_is_lost,
    opening_hours_set_on_one_device_reach_the_other_in_one_written_form,
    closed_dates_set_on_one_device_reach_the_other_in_one_written_form,
    preferred_hours_set_on_one_device_reach_the_other_in_one_written_form,
    a_reps_potential_estimate_reaches_the_other_device_and_the_balance,
    an_appointment_reaches_the_reps_other_device_and_so_does_its_cancellation,
    a_reps_appointments_are_a_calendar_at_a_secret_address,
);

/// How many accounts on the server have this id.
async fn accounts_with_id(server: &TestServer, id: AccountId) -> i64 {
    server
        .db
        .read(move |tx| {
            use rounds_server::db::Sql;
            tx.query_one(
                "SELECT COUNT(*) FROM accounts WHERE id = $1",
                rounds_server::params![id],
            )
            .and_then(|r| r.int(0))
        })
        .await
        .expect("count")
}

/// Pushes the device's outbox: every mutation in it is set aside, and the ledger keeps
/// `n` of this kind as sent.
async fn set_aside_and_kept(server: &TestServer, device: &mut Device, kind: &'static str, n: i64) {
    let res = device.push().await.expect("push");
    for r in &res.results {
        assert!(
            matches!(r.status, MutationStatus::Quarantined { .. }),
            "{res:?}"
        );
    }
    let kept = server
        .db
        .read(move |tx| {
            use rounds_server::db::Sql;
            tx.query_one(
                "SELECT COUNT(*) FROM mutations WHERE status = 'quarantined' AND kind = $1",
                rounds_server::params![kind],
            )
            .and_then(|r| r.int(0))
        })
        .await
        .expect("count");
    assert_eq!(kept, n, "kept in the ledger, as sent");
}

/// Pushes `m` twice, as after a lost answer: applied both times (the second from the
/// ledger). The device's outbox is left empty.
async fn applied_twice(device: &mut Device, m: Vec<rounds_protocol::sync::Mutation>) {
    let req = device.request(m);
    for _ in 0..2 {
        let res = device.push_request(&req).await.expect("push");
        assert!(
            res.results
                .iter()
                .all(|r| r.status == MutationStatus::Applied),
            "{res:?}"
        );
    }
    device.outbox.clear();
}

/// The device's copy of a contact, if it has one.
fn contact_on(device: &Device, id: ContactId) -> Option<ContactRecord> {
    device.rows.values().find_map(|r| match r {
        rounds_protocol::sync::Row::Contact(c) if c.id == id => Some(c.clone()),
        _ => None,
    })
}

/// A lead as the app makes it: no figures, stage lead, in `territory`.
fn lead(name: &str, territory: TerritoryId) -> rounds_protocol::records::AccountRecord {
    let mut a = account(
        AccountId::from_uuid(Uuid::now_v7()),
        name,
        territory,
        Utc::now() - Duration::minutes(5),
    );
    a.revenue_minor = 0;
    a.expenses_minor = 0;
    a.lead_on = Some(Utc::now().date_naive());
    a
}

async fn a_lead_made_offline_is_created_once_and_reaches_the_reps_other_device(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    for d in [&mut phone, &mut laptop, &mut ben] {
        d.pull(None).await.expect("first sync");
    }
    let new = lead("Corner Hardware", org.north);
    let m = phone.queue(&MutationBody::CreateAccount {
        account: new.clone(),
    });

    // The answer is lost; the device sends the same mutation again.
    applied_twice(&mut phone, vec![m]).await;
    // Another device (or a re-queued copy) with the same account: still one account.
    laptop.queue(&MutationBody::CreateAccount {
        account: new.clone(),
    });
    let res = laptop.push().await.expect("push");
    assert_eq!(res.results[0].status, MutationStatus::Applied);
    assert_eq!(
        accounts_with_id(&server, new.id).await,
        1,
        "created exactly once"
    );

    laptop.pull(None).await.expect("pull");
    let got = laptop.account(new.id).expect("the laptop has the new lead");
    assert_eq!(got, new, "as the phone described it");
    ben.pull(None).await.expect("pull");
    assert!(
        ben.account(new.id).is_none(),
        "Ben's device never sees North's new lead"
    );
}

async fn an_activity_on_a_new_lead_in_the_same_push_is_applied(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    let new = lead("Corner Hardware", org.north);
    ana.queue(&MutationBody::CreateAccount {
        account: new.clone(),
    });
    ana.log(new.id, Utc::now(), "first visit at the new lead");
    let res = ana.push().await.expect("push");
    assert!(
        res.results
            .iter()
            .all(|r| r.status == MutationStatus::Applied),
        "{res:?}"
    );
    ana.pull(None).await.expect("pull");
    assert!(ana.account(new.id).is_some());
    assert_eq!(
        ana.activities()
            .iter()
            .filter(|a| a.account_id == new.id)
            .count(),
        1
    );
}

async fn a_lead_in_someone_elses_territory_is_kept_for_review(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    ben.pull(None).await.expect("first sync");
    let stray = lead("Not My Shop", org.south);
    ana.queue(&MutationBody::CreateAccount {
        account: stray.clone(),
    });
    let res = ana.push().await.expect("push");
    assert!(
        matches!(&res.results[0].status, MutationStatus::Quarantined { reason } if reason.contains("not yours")),
        "{res:?}"
    );
    assert_eq!(accounts_with_id(&server, stray.id).await, 0);
    ben.pull(None).await.expect("pull");
    assert!(ben.account(stray.id).is_none(), "nothing leaked to South");
    // Kept whole for the manager.
    let maria = Device::sign_in(&server.base, "maria@example.com").await;
    let (status, review) = maria.get("/manage/review").await;
    assert_eq!(status, 200, "{review}");
    let kept = review["quarantined_mutations"].to_string();
    assert!(
        kept.contains("create_account") && kept.contains("Not My Shop"),
        "{review}"
    );
}

async fn a_lead_with_manager_owned_figures_is_kept_for_review(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    let mut rich = lead("Big Revenue Co", org.north);
    rich.revenue_minor = 99_000_000;
    ana.queue(&MutationBody::CreateAccount {
        account: rich.clone(),
    });
    let mut nameless = lead("x", org.north);
    nameless.name = "  ".into();
    ana.queue(&MutationBody::CreateAccount { account: nameless });
    set_aside_and_kept(&server, &mut ana, "create_account", 2).await;
}

async fn a_manager_sees_new_leads_and_moved_pins_in_the_feed_and_leads_in_performance(
    backend: Backend,
) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    // Found ten days ago, so it falls in the last complete weeks the page counts.
    let mut new = lead("Riverside Bakery", org.north);
    new.created_at = Utc::now() - Duration::days(10);
    ana.queue(&MutationBody::CreateAccount {
        account: new.clone(),
    });
    // And fixed a pin: the entrance is 111 m north of where it was.
    ana.edit(
        org.north_accounts[0],
        AccountEdit::Location(Some(LatLonRecord {
            lat: 39.801,
            lon: -89.6,
        })),
    );
    ana.sync().await;

    let mut maria = crate::dashboard::Browser::signed_in(&server.base, "maria@example.com").await;
    let feed = maria.page("/dashboard/activity").await;
    let section = &feed[feed
        .find("New accounts from the field")
        .expect("the feed lists new accounts")..];
    assert!(section.contains("Riverside Bakery"), "{section}");
    assert!(section.contains(&format!("data-rep=\"{}\"", org.ana)));
    let pins = &feed[feed
        .find("Pins moved by reps")
        .expect("the feed lists pin moves")..];
    assert!(pins.contains("North 0") && pins.contains("111 m"), "{pins}");
    // Filtered to Ben, Ana's lead is not listed.
    let bens = maria
        .page(&format!("/dashboard/activity?rep={}", org.ben))
        .await;
    assert!(!bens.contains("Riverside Bakery") && !bens.contains("Pins moved"));

    let csv = maria.get("/dashboard/performance.csv?table=reps").await;
    assert_eq!(csv.status, 200);
    let header = csv.body.lines().next().unwrap_or_default();
    assert!(header.ends_with("leads_added,contacts_added"), "{header}");
    let ana_row = csv
        .body
        .lines()
        .find(|l| l.starts_with("ana,"))
        .unwrap_or_else(|| panic!("a row for Ana: {}", csv.body));
    assert!(ana_row.ends_with(",1,0"), "Ana added one lead: {ana_row}");
    let ben_row = csv
        .body
        .lines()
        .find(|l| l.starts_with("ben,"))
        .expect("Ben");
    assert!(ben_row.ends_with(",0,0"), "{ben_row}");
}

fn person(account: AccountId, name: &str, primary: bool) -> ContactRecord {
    ContactRecord {
        id: ContactId::from_uuid(Uuid::now_v7()),
        account_id: account,
        name: name.into(),
        title: Some("Buyer".into()),
        phone: Some("(312) 555-0142".into()),
        email: None,
        primary,
    }
}

async fn a_contact_saved_on_one_device_reaches_the_other_once_and_takes_the_primary(
    backend: Backend,
) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.pull(None).await.expect("first sync");
    laptop.pull(None).await.expect("first sync");
    let a = org.north_accounts[0];
    let noor = person(a, "Noor Haddad", true);
    let m = phone.queue(&MutationBody::SaveContact {
        contact: noor.clone(),
    });
    applied_twice(&mut phone, vec![m]).await;
    laptop.pull(None).await.expect("pull");
    let contacts: Vec<ContactRecord> = laptop
        .rows
        .values()
        .filter_map(|r| match r {
            rounds_protocol::sync::Row::Contact(c) if c.account_id == a => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        contacts.iter().filter(|c| c.id == noor.id).count(),
        1,
        "the new contact arrives once"
    );
    assert_eq!(
        contacts
            .iter()
            .filter(|c| c.primary)
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![noor.id],
        "the seeded buyer is no longer primary: {contacts:?}"
    );

    // A change of the same contact from the laptop, later: it wins everywhere.
    let mut changed = noor.clone();
    changed.title = Some("Owner".into());
    laptop.queue(&MutationBody::SaveContact {
        contact: changed.clone(),
    });
    laptop.sync().await;
    phone.pull(None).await.expect("pull");
    let got = contact_on(&phone, noor.id).expect("the phone has the contact");
    assert_eq!(got, changed);

    // Kept as a contact Ana added: once, not once per change.
    assert_eq!(
        server.count("SELECT COUNT(*) FROM contact_origins").await,
        1
    );
}

async fn an_older_save_of_a_contact_loses_to_a_newer_one(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.pull(None).await.expect("first sync");
    laptop.pull(None).await.expect("first sync");
    let a = org.north_accounts[1];
    let base = person(a, "Lee Park", false);
    phone.queue(&MutationBody::SaveContact {
        contact: base.clone(),
    });
    phone.sync().await;
    laptop.pull(None).await.expect("pull");

    // The phone saves first (offline), the laptop later; the laptop's arrives first.
    let mut older = base.clone();
    older.phone = Some("(312) 555-0001".into());
    phone.queue(&MutationBody::SaveContact { contact: older });
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut newer = base.clone();
    newer.phone = Some("(312) 555-0002".into());
    laptop.queue(&MutationBody::SaveContact {
        contact: newer.clone(),
    });
    let res = laptop.push().await.expect("push");
    assert_eq!(res.results[0].status, MutationStatus::Applied);
    let res = phone.push().await.expect("push");
    assert!(
        matches!(res.results[0].status, MutationStatus::Superseded { .. }),
        "{res:?}"
    );
    phone.pull(None).await.expect("pull");
    let got = contact_on(&phone, base.id).expect("the contact");
    assert_eq!(got, newer, "the later save holds");
}

async fn a_contact_on_an_account_not_held_is_kept_for_review(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    let stray = person(org.south_accounts[0], "Not Mine", false);
    ana.queue(&MutationBody::SaveContact {
        contact: stray.clone(),
    });
    let mut nameless = person(org.north_accounts[0], " ", false);
    nameless.name = "  ".into();
    ana.queue(&MutationBody::SaveContact { contact: nameless });
    set_aside_and_kept(&server, &mut ana, "save_contact", 2).await;
    assert_eq!(
        server.count("SELECT COUNT(*) FROM contact_origins").await,
        0
    );
}

fn change_stage(account: AccountId, from: Stage, to: Stage, reason: Option<&str>) -> MutationBody {
    MutationBody::ChangeStage {
        account_id: account,
        from,
        to,
        reason: reason.map(str::to_owned),
    }
}

async fn stage_changes_are_dated_facts_kept_once_and_counted_for_the_manager(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.pull(None).await.expect("first sync");
    laptop.pull(None).await.expect("first sync");
    let [a, b, c] = [0, 1, 2].map(|i| org.north_accounts[i]);
    let why = "Went with a cheaper supplier";

    // Lead → opportunity → lost, with the reason; the answer is lost and the push sent
    // again: each move is one fact.
    let moves = vec![
        phone.queue(&change_stage(a, Stage::Lead, Stage::Opportunity, None)),
        phone.queue(&change_stage(a, Stage::Opportunity, Stage::Lost, Some(why))),
    ];
    applied_twice(&mut phone, moves).await;

    // Two devices move the same account; the later move arrives first and holds, the
    // earlier one is outranked, yet both moves happened and both are counted.
    phone.queue(&change_stage(c, Stage::Lead, Stage::Opportunity, None));
    std::thread::sleep(std::time::Duration::from_millis(5));
    laptop.queue(&change_stage(c, Stage::Lead, Stage::Customer, None));
    laptop.push().await.expect("push");
    let res = phone.push().await.expect("push");
    assert!(
        matches!(res.results[0].status, MutationStatus::Superseded { .. }),
        "{res:?}"
    );

    // A device from before stage changes edits the stage field: still a fact, from the
    // stage the server had.
    laptop.edit(b, AccountEdit::Stage(Stage::Customer));
    laptop.sync().await;

    // A reason no person writes is kept for review, not counted.
    let essay = "x".repeat(rounds_protocol::sync::MAX_STAGE_REASON_CHARS + 1);
    laptop.queue(&change_stage(b, Stage::Customer, Stage::Lost, Some(&essay)));
    set_aside_and_kept(&server, &mut laptop, "change_stage", 1).await;

    assert_eq!(
        server.count("SELECT COUNT(*) FROM stage_changes").await,
        5,
        "a → opportunity, a → lost, c → opportunity, c → customer, b → customer"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM stage_changes WHERE from_stage = 'lead' AND to_stage = 'customer'")
            .await,
        2,
        "b's old-style edit is dated from the server's stage"
    );
    laptop.pull(None).await.expect("pull");
    let stages: Vec<Stage> = [a, b, c]
        .map(|id| laptop.account(id).expect("held").stage)
        .to_vec();
    assert_eq!(
        stages,
        [Stage::Lost, Stage::Customer, Stage::Customer],
        "the latest move holds; the refused one changed nothing"
    );

    let mut maria = crate::dashboard::Browser::signed_in(&server.base, "maria@example.com").await;
    let feed = maria.page("/dashboard/activity").await;
    let section = &feed[feed
        .find("Stage changes by reps")
        .expect("the feed lists stage changes")..];
    assert!(
        section.contains(why) && section.contains("Opportunity → <strong>Lost"),
        "{section}"
    );

    let perf = maria.page("/dashboard/performance").await;
    let flow = &perf[perf.find("Stage changes per territory").expect("the table")..];
    assert!(flow.contains("66.7 %"), "won 2 of 3 decided: {flow}");
    assert!(perf.contains("Why accounts were lost") && perf.contains(why));
    let per_rep = &perf[perf
        .find("table class=\"rep-flow\"")
        .expect("deals per rep")..];
    let ana = &per_rep[per_rep.find("data-rep=\"ana\"").expect("Ana's row")..];
    let ana = &ana[..ana.find("</tr>").unwrap_or(ana.len())];
    assert!(
        ana.contains("66.7 %"),
        "Ana won 2 of 3 on her devices: {ana}"
    );
    let csv = maria
        .get("/dashboard/performance.csv?table=territories")
        .await;
    let header = csv.body.lines().next().unwrap_or_default();
    assert!(
        header.ends_with("moved_to_opportunity,won,lost,win_rate"),
        "{header}"
    );
    let north = csv
        .body
        .lines()
        .find(|l| l.starts_with("North,"))
        .unwrap_or_else(|| panic!("a row for North: {}", csv.body));
    assert!(north.ends_with(",2,2,1,66.7 %"), "{north}");
}

fn next_step(account: AccountId, rep: UserId) -> FollowUpRecord {
    FollowUpRecord {
        id: FollowUpId::from_uuid(Uuid::now_v7()),
        account_id: account,
        rep_id: rep,
        kind: rounds_core::TouchKind::Call,
        due_on: Utc::now().date_naive(),
        note: Some("Call back about the spring order".into()),
        created_at: Utc::now(),
        done_at: None,
        done_by: None,
    }
}

/// The device's copy of a follow-up, if it has one.
fn follow_up_on(device: &Device, id: FollowUpId) -> Option<FollowUpRecord> {
    device.rows.values().find_map(|r| match r {
        rounds_protocol::sync::Row::FollowUp(f) if f.id == id => Some(f.clone()),
        _ => None,
    })
}

async fn a_follow_up_reaches_the_reps_other_device_once_and_the_later_save_holds(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    for d in [&mut phone, &mut laptop, &mut ben] {
        d.pull(None).await.expect("first sync");
    }
    let f = next_step(org.north_accounts[0], org.ana);
    let m = phone.queue(&MutationBody::SaveFollowUp {
        follow_up: f.clone(),
    });
    // The answer is lost and the push sent again: one follow-up.
    applied_twice(&mut phone, vec![m]).await;
    assert_eq!(server.count("SELECT COUNT(*) FROM follow_ups").await, 1);

    laptop.pull(None).await.expect("pull");
    assert_eq!(
        follow_up_on(&laptop, f.id),
        Some(f.clone()),
        "as the phone made it"
    );
    ben.pull(None).await.expect("pull");
    assert_eq!(follow_up_on(&ben, f.id), None, "never sent outside North");

    // The phone changes the day offline; the laptop then does it (the call is logged with
    // it) and syncs first. The later save holds; the phone's older one is outranked.
    let mut moved = f.clone();
    moved.due_on = f.due_on + chrono::Days::new(1);
    phone.queue(&MutationBody::SaveFollowUp { follow_up: moved });
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut done = f.clone();
    done.done_at = Some(Utc::now());
    done.done_by = Some(rounds_protocol::ActivityId::from_uuid(Uuid::now_v7()));
    laptop.queue(&MutationBody::SaveFollowUp {
        follow_up: done.clone(),
    });
    laptop.push().await.expect("push");
    let res = phone.push().await.expect("push");
    assert!(
        matches!(res.results[0].status, MutationStatus::Superseded { .. }),
        "{res:?}"
    );
    phone.pull(None).await.expect("pull");
    assert_eq!(
        follow_up_on(&phone, f.id),
        Some(done),
        "done, on every device"
    );

    // An app from before follow-ups is never sent a row it cannot read.
    let mut old = Device::sign_in(&server.base, "ana@example.com").await;
    old.schema_version = None;
    old.pull(None).await.expect("first sync of an old app");
    assert!(
        !old.rows
            .keys()
            .any(|(_, t, _)| *t == rounds_protocol::sync::Table::FollowUp),
        "no follow-up rows for schema 1"
    );
    assert!(
        old.account(org.north_accounts[0]).is_some(),
        "and the rest as before"
    );
}

async fn a_follow_up_for_another_rep_or_an_account_not_held_is_kept_for_review(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    ana.queue(&MutationBody::SaveFollowUp {
        follow_up: next_step(org.north_accounts[0], org.ben),
    });
    ana.queue(&MutationBody::SaveFollowUp {
        follow_up: next_step(org.south_accounts[0], org.ana),
    });
    let mut far = next_step(org.north_accounts[0], org.ana);
    far.due_on = far.due_on + chrono::Days::new(3 * 365);
    ana.queue(&MutationBody::SaveFollowUp { follow_up: far });
    set_aside_and_kept(&server, &mut ana, "save_follow_up", 3).await;
    assert_eq!(server.count("SELECT COUNT(*) FROM follow_ups").await, 0);
}

async fn two_copies_of_one_shop_are_merged_in_review_and_nothing_is_lost(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.pull(None).await.expect("first sync");
    laptop.pull(None).await.expect("first sync");
    // The same shop added twice offline, with the same phone, a few metres apart.
    let mut first = lead("Corner Hardware", org.north);
    first.phone = Some("(312) 555-0142".into());
    first.lat = Some(41.9);
    first.lon = Some(-87.65);
    let mut second = lead("Corner Hardware Inc.", org.north);
    second.phone = Some("312-555-0142".into());
    second.lat = Some(41.90003);
    second.lon = Some(-87.65);
    phone.queue(&MutationBody::CreateAccount {
        account: first.clone(),
    });
    phone.sync().await;
    // The laptop's copy gets a buyer, a visit and a next step before it syncs.
    laptop.queue(&MutationBody::CreateAccount {
        account: second.clone(),
    });
    let buyer = person(second.id, "Noor Haddad", true);
    laptop.queue(&MutationBody::SaveContact {
        contact: buyer.clone(),
    });
    let visit = laptop.activity(
        second.id,
        Utc::now() - Duration::minutes(3),
        "met the owner",
    );
    laptop.queue(&MutationBody::LogActivity {
        activity: visit.clone(),
    });
    let next = next_step(second.id, org.ana);
    laptop.queue(&MutationBody::SaveFollowUp {
        follow_up: next.clone(),
    });
    // And a photo of its shop front.
    let mut front = b"\x89PNG\r\n\x1a\n".to_vec();
    front.extend_from_slice(b"storefront");
    let photo = rounds_protocol::records::PhotoRecord {
        id: rounds_protocol::PhotoId::from_uuid(Uuid::now_v7()),
        account_id: second.id,
        activity_id: Some(visit.id),
        rep_id: org.ana,
        sha256: rounds_server::blobs::sha256(&front).to_string(),
        bytes: front.len() as u64,
        content_type: "image/png".into(),
        caption: None,
        taken_at: Utc::now(),
    };
    laptop.queue(&MutationBody::AttachPhoto {
        photo: photo.clone(),
    });
    let res = laptop.push().await.expect("push");
    assert!(
        res.results
            .iter()
            .all(|r| r.status == MutationStatus::Applied),
        "both copies are created, nothing is refused: {res:?}"
    );

    let mut maria = crate::dashboard::Browser::signed_in(&server.base, "maria@example.com").await;
    let review = maria.page("/dashboard/review").await;
    let section = &review[review
        .find("Possible duplicates (1)")
        .expect("the duplicate is listed")..];
    assert!(
        section.contains("looks like Corner Hardware: the same phone"),
        "{section}"
    );
    let item: String = server
        .db
        .read(|tx| {
            use rounds_server::db::Sql;
            tx.query_one("SELECT id FROM duplicate_accounts", &[])
                .and_then(|r| r.text(0))
        })
        .await
        .expect("the item");
    let csrf = crate::dashboard::csrf_of(&review);
    let done = maria
        .post(
            &format!("/dashboard/review/duplicate/{item}/accept"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert!(
        done.status == 303 || done.status == 200,
        "merged: {}",
        done.status
    );

    // Everything of the second copy is on the first; the second left every device.
    for d in [&mut phone, &mut laptop] {
        d.pull(None).await.expect("pull");
        assert!(d.account(second.id).is_none(), "the merged copy is gone");
        assert!(d.account(first.id).is_some());
        let moved_visit = d.rows.values().find_map(|r| match r {
            rounds_protocol::sync::Row::Activity(a) if a.id == visit.id => Some(a.clone()),
            _ => None,
        });
        assert_eq!(
            moved_visit.map(|a| a.account_id),
            Some(first.id),
            "the visit moved"
        );
        assert_eq!(
            contact_on(d, buyer.id).map(|c| c.account_id),
            Some(first.id)
        );
        assert_eq!(
            follow_up_on(d, next.id).map(|f| f.account_id),
            Some(first.id)
        );
    }
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM activities WHERE account_id = (SELECT into_id FROM account_merges)")
            .await,
        1,
        "the visit, once, on the kept account"
    );
    let kept = first.id;
    let photos_kept = server
        .db
        .read(move |tx| rounds_server::photos::of_account(tx, kept))
        .await
        .expect("photos");
    assert_eq!(
        photos_kept.iter().map(|p| p.id).collect::<Vec<_>>(),
        [photo.id],
        "the photo shows on the kept account"
    );
    let again = maria.page("/dashboard/review").await;
    assert!(again.contains("Possible duplicates (0)"), "resolved");
    // An admin's lists (which include accounts outside every territory) leave it out.
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).expect("hash");
    server
        .db
        .write(move |tx| {
            rounds_server::org::add_user(
                tx,
                &rounds_server::org::NewUser {
                    email: "admin@example.com".into(),
                    name: "admin".into(),
                    role: rounds_core::Role::Admin,
                    password_hash: hash.clone(),
                    manager: None,
                    time_zone: "America/Chicago".into(),
                },
                Utc::now(),
            )
        })
        .await
        .expect("an admin");
    let mut admin = crate::dashboard::Browser::signed_in(&server.base, "admin@example.com").await;
    let accounts = admin.page("/dashboard/accounts").await;
    assert!(
        accounts.contains("Corner Hardware") && !accounts.contains("Corner Hardware Inc."),
        "the merged copy is not listed as an account to work"
    );
}

async fn opening_hours_set_on_one_device_reach_the_other_in_one_written_form(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.sync().await;
    laptop.sync().await;
    let a = org.north_accounts[0];

    // Typed the way people type them; kept and sent in the one written form.
    phone.edit(
        a,
        AccountEdit::Hours(Some("Mon–Fri 9:00–17:00; Sa 09:00-12:00".into())),
    );
    phone.edit(a, AccountEdit::VisitMinutes(Some(45)));
    phone.sync().await;
    laptop.pull(None).await.expect("pull");
    let on_laptop = laptop.account(a).expect("held");
    assert_eq!(
        on_laptop.hours.as_deref(),
        Some("Mo-Fr 09:00-17:00; Sa 09:00-12:00")
    );
    assert_eq!(on_laptop.visit_minutes, Some(45));

    // Hours past midnight and a visit of a whole day are refused with the reason, kept
    // in the ledger, and change nothing.
    phone.edit(a, AccountEdit::Hours(Some("Fr 22:00-02:00".into())));
    phone.edit(a, AccountEdit::VisitMinutes(Some(0)));
    let res = phone.push().await.expect("push");
    let reasons: Vec<String> = res
        .results
        .iter()
        .map(|r| match &r.status {
            MutationStatus::Rejected { code, reason } => {
                assert_eq!(*code, rounds_protocol::ErrorCode::InvalidInput);
                reason.clone()
            }
            other => panic!("refused, not {other:?}"),
        })
        .collect();
    assert!(reasons[0].starts_with("hours:"), "{reasons:?}");
    assert!(reasons[1].starts_with("visit_minutes:"), "{reasons:?}");
    laptop.pull(None).await.expect("pull");
    let on_laptop = laptop.account(a).expect("held");
    assert_eq!(
        on_laptop.hours.as_deref(),
        Some("Mo-Fr 09:00-17:00; Sa 09:00-12:00")
    );
    assert_eq!(on_laptop.visit_minutes, Some(45));

    // Cleared on one device, cleared on the other.
    phone.edit(a, AccountEdit::Hours(None));
    phone.sync().await;
    laptop.pull(None).await.expect("pull");
    assert_eq!(laptop.account(a).expect("held").hours, None);
}

async fn closed_dates_set_on_one_device_reach_the_other_in_one_written_form(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.sync().await;
    laptop.sync().await;
    let a = org.north_accounts[0];

    phone.edit(
        a,
        AccountEdit::ClosedOn(Some("2026-12-31\n2026-12-24 to 2026-12-26".into())),
    );
    phone.sync().await;
    laptop.pull(None).await.expect("pull");
    let written = Some("2026-12-24 – 2026-12-26, 2026-12-31".to_owned());
    assert_eq!(laptop.account(a).expect("held").closed_on, written);

    // Not dates, or more than a year of them: refused with the reason, changing nothing.
    phone.edit(a, AccountEdit::ClosedOn(Some("Boxing Day".into())));
    phone.edit(
        a,
        AccountEdit::ClosedOn(Some("2027-01-01 – 2028-06-30".into())),
    );
    let res = phone.push().await.expect("push");
    for r in &res.results {
        match &r.status {
            MutationStatus::Rejected { code, reason } => {
                assert_eq!(*code, rounds_protocol::ErrorCode::InvalidInput);
                assert!(reason.starts_with("closed_on:"), "{reason}");
            }
            other => panic!("refused, not {other:?}"),
        }
    }
    assert_eq!(res.results.len(), 2);
    laptop.pull(None).await.expect("pull");
    assert_eq!(laptop.account(a).expect("held").closed_on, written);

    // Cleared on one device, cleared on the other.
    phone.edit(a, AccountEdit::ClosedOn(None));
    phone.sync().await;
    laptop.pull(None).await.expect("pull");
    assert_eq!(laptop.account(a).expect("held").closed_on, None);
}

async fn preferred_hours_set_on_one_device_reach_the_other_in_one_written_form(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.sync().await;
    laptop.sync().await;
    let a = org.north_accounts[0];

    phone.edit(
        a,
        AccountEdit::PreferredHours(Some("tu,th 9:00-11:00".into())),
    );
    phone.sync().await;
    laptop.pull(None).await.expect("pull");
    let written = Some("Tu 09:00-11:00; Th 09:00-11:00".to_owned());
    assert_eq!(laptop.account(a).expect("held").preferred_hours, written);

    // Not hours: refused with the reason, changing nothing.
    phone.edit(a, AccountEdit::PreferredHours(Some("mornings".into())));
    let res = phone.push().await.expect("push");
    assert_eq!(res.results.len(), 1);
    match &res.results[0].status {
        MutationStatus::Rejected { code, reason } => {
            assert_eq!(*code, rounds_protocol::ErrorCode::InvalidInput);
            assert!(reason.starts_with("preferred_hours:"), "{reason}");
        }
        other => panic!("refused, not {other:?}"),
    }
    laptop.pull(None).await.expect("pull");
    assert_eq!(laptop.account(a).expect("held").preferred_hours, written);

    // Cleared on one device, cleared on the other.
    phone.edit(a, AccountEdit::PreferredHours(None));
    phone.sync().await;
    laptop.pull(None).await.expect("pull");
    assert_eq!(laptop.account(a).expect("held").preferred_hours, None);
}

/// The rep's estimate of an account's potential: synced like any shared field, refused
/// when negative, and counted by planning where no potential is set.
async fn a_reps_potential_estimate_reaches_the_other_device_and_the_balance(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    phone.sync().await;
    laptop.sync().await;
    let a = org.north_accounts[0];

    phone.edit(a, AccountEdit::PotentialEstimate(Some(4_500_000)));
    phone.sync().await;
    laptop.pull(None).await.expect("pull");
    assert_eq!(
        laptop.account(a).expect("held").potential_estimate_minor,
        Some(4_500_000)
    );

    // Negative: refused with the reason, changing nothing.
    phone.edit(a, AccountEdit::PotentialEstimate(Some(-1)));
    let res = phone.push().await.expect("push");
    match &res.results[0].status {
        MutationStatus::Rejected { code, reason } => {
            assert_eq!(*code, rounds_protocol::ErrorCode::InvalidInput);
            assert!(reason.starts_with("potential_estimate:"), "{reason}");
        }
        other => panic!("refused, not {other:?}"),
    }
    laptop.pull(None).await.expect("pull");
    assert_eq!(
        laptop.account(a).expect("held").potential_estimate_minor,
        Some(4_500_000)
    );

    // The manager's Balance counts it: North's potential is the estimate alone (the
    // other accounts have no figure, and the page says how many).
    let mut b = crate::dashboard::Browser::signed_in(&server.base, "maria@example.com").await;
    let page = b.page("/dashboard/balance").await;
    let north = page
        .split(r#"data-row="North""#)
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("North's row");
    assert!(north.contains("USD 45,000.00"), "{north}");
    let without = org.north_accounts.len() + org.south_accounts.len() - 1;
    assert!(
        page.contains(&format!("{without} accounts have neither")),
        "says how many have no potential"
    );

    // Cleared on one device, cleared on the other.
    phone.edit(a, AccountEdit::PotentialEstimate(None));
    phone.sync().await;
    laptop.pull(None).await.expect("pull");
    assert_eq!(
        laptop.account(a).expect("held").potential_estimate_minor,
        None
    );
}

fn appointment(account: AccountId, rep: UserId) -> AppointmentRecord {
    AppointmentRecord {
        id: rounds_protocol::AppointmentId::from_uuid(Uuid::now_v7()),
        account_id: account,
        rep_id: rep,
        on: Utc::now().date_naive() + chrono::Days::new(2),
        at_min: 10 * 60 + 30,
        minutes: 45,
        note: Some("Spring order".into()),
        created_at: Utc::now(),
        cancelled_at: None,
    }
}

fn appointment_on(
    device: &Device,
    id: rounds_protocol::AppointmentId,
) -> Option<AppointmentRecord> {
    device.rows.values().find_map(|r| match r {
        rounds_protocol::sync::Row::Appointment(a) if a.id == id => Some(a.clone()),
        _ => None,
    })
}

async fn an_appointment_reaches_the_reps_other_device_and_so_does_its_cancellation(
    backend: Backend,
) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    for d in [&mut phone, &mut laptop, &mut ben] {
        d.pull(None).await.expect("first sync");
    }
    let a = appointment(org.north_accounts[0], org.ana);
    let m = phone.queue(&MutationBody::SaveAppointment {
        appointment: a.clone(),
    });
    // The answer is lost and the push sent again: one appointment.
    applied_twice(&mut phone, vec![m]).await;
    assert_eq!(server.count("SELECT COUNT(*) FROM appointments").await, 1);
    laptop.pull(None).await.expect("pull");
    assert_eq!(appointment_on(&laptop, a.id), Some(a.clone()));
    ben.pull(None).await.expect("pull");
    assert_eq!(appointment_on(&ben, a.id), None, "never sent outside North");

    // Cancelled on the laptop: kept, marked, on every device.
    let cancelled = AppointmentRecord {
        cancelled_at: Some(Utc::now()),
        ..a.clone()
    };
    laptop.queue(&MutationBody::SaveAppointment {
        appointment: cancelled.clone(),
    });
    laptop.sync().await;
    phone.pull(None).await.expect("pull");
    assert_eq!(appointment_on(&phone, a.id), Some(cancelled));

    // Another rep's, an account not held, one past midnight: kept for review.
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    ana.queue(&MutationBody::SaveAppointment {
        appointment: appointment(org.north_accounts[0], org.ben),
    });
    ana.queue(&MutationBody::SaveAppointment {
        appointment: appointment(org.south_accounts[0], org.ana),
    });
    ana.queue(&MutationBody::SaveAppointment {
        appointment: AppointmentRecord {
            at_min: 23 * 60 + 30,
            ..appointment(org.north_accounts[0], org.ana)
        },
    });
    set_aside_and_kept(&server, &mut ana, "save_appointment", 3).await;
    assert_eq!(server.count("SELECT COUNT(*) FROM appointments").await, 1);

    // An app from before appointments is never sent a row it cannot read.
    let mut old = Device::sign_in(&server.base, "ana@example.com").await;
    old.schema_version = Some(3);
    old.pull(None).await.expect("first sync of an older app");
    assert!(
        !old.rows
            .keys()
            .any(|(_, t, _)| *t == rounds_protocol::sync::Table::Appointment),
        "no appointment rows for schema 3"
    );
    assert!(old.account(org.north_accounts[0]).is_some());
}

async fn a_reps_appointments_are_a_calendar_at_a_secret_address(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    let kept = appointment(org.north_accounts[0], org.ana);
    let dropped = AppointmentRecord {
        at_min: 15 * 60,
        cancelled_at: Some(Utc::now()),
        ..appointment(org.north_accounts[1], org.ana)
    };
    for a in [&kept, &dropped] {
        ana.queue(&MutationBody::SaveAppointment {
            appointment: a.clone(),
        });
    }
    ana.sync().await;

    let (status, body) = ana.post("/sync/calendar-feed", serde_json::json!({})).await;
    assert_eq!(status, 200, "{body}");
    let path = body["path"].as_str().expect("a path").to_owned();
    assert!(
        path.starts_with("/calendar/") && path.ends_with(".ics"),
        "{path}"
    );
    let get = |path: String| {
        let url = format!("{}{path}", server.base);
        async move {
            let res = reqwest::get(url).await.expect("request");
            let status = res.status().as_u16();
            let kind = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (status, kind, res.text().await.unwrap_or_default())
        }
    };
    // No credentials: a calendar app has only the address.
    let (status, kind, text) = get(path.clone()).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/calendar"), "{kind}");
    let text = text.replace("\r\n ", ""); // unfold long lines
    assert!(text.starts_with("BEGIN:VCALENDAR"), "{text}");
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2, "{text}");
    assert!(text.contains(&format!("UID:{}@rounds", kept.id)), "{text}");
    let day = kept.on.format("%Y%m%d");
    // The time is Ana's local 10:30, in her zone (the seed puts her in Chicago).
    assert!(
        text.contains(&format!("DTSTART;TZID=America/Chicago:{day}T103000"))
            && text.contains(&format!("DTEND;TZID=America/Chicago:{day}T111500")),
        "{text}"
    );
    assert!(text.contains("SUMMARY:Visit: "), "{text}");
    assert!(
        text.contains("STATUS:CANCELLED"),
        "the cancelled one is marked: {text}"
    );

    // The week her device planned joins it, tentative: a visit the planner chose, not
    // the appointment again, and nothing from a day gone by.
    use rounds_protocol::week::{PlannedDay, PlannedVisit, PlannedWeek};
    let visit = |account_id, begin_min, appointment| PlannedVisit {
        account_id,
        begin_min,
        minutes: 40,
        appointment,
        pinned: false,
    };
    let week = PlannedWeek {
        planned_at: Utc::now(),
        summary: "Delivers 2 of 2 owed visits.".into(),
        days: vec![
            PlannedDay {
                date: kept.on - chrono::Days::new(5),
                start_min: 480,
                end_min: 1020,
                visits: vec![visit(org.north_accounts[1], 600, false)],
                calls: Vec::new(),
                emails: Vec::new(),
            },
            PlannedDay {
                date: kept.on,
                start_min: 480,
                end_min: 1020,
                visits: vec![
                    visit(org.north_accounts[2], 9 * 60, false),
                    visit(org.north_accounts[0], 10 * 60 + 30, true),
                    // Not Ana's: a device's word does not name it in her calendar.
                    visit(org.south_accounts[0], 13 * 60, false),
                ],
                calls: Vec::new(),
                emails: Vec::new(),
            },
        ],
        not_planned: Vec::new(),
    };
    let res = ana
        .http
        .put(format!("{}/sync/planned-week", server.base))
        .bearer_auth(&ana.token)
        .json(&week)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 204);
    let (_, _, text) = get(path.clone()).await;
    let text = text.replace("\r\n ", "");
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 3, "{text}");
    assert_eq!(text.matches("STATUS:TENTATIVE").count(), 1, "{text}");
    assert!(
        !text.contains("South 0"),
        "another rep's account is not named: {text}"
    );
    assert!(text.contains("SUMMARY:Planned visit: North 2"), "{text}");
    assert!(
        text.contains(&format!(
            "UID:plan-{}-{}-{}@rounds",
            org.ana, org.north_accounts[2], kept.on
        )),
        "named by rep, account and day, so a re-plan updates it: {text}"
    );
    assert!(
        text.contains(&format!("DTSTART;TZID=America/Chicago:{day}T090000"))
            && text.contains(&format!("DTEND;TZID=America/Chicago:{day}T094000")),
        "{text}"
    );

    // A new address ends the old one; a guess finds nothing; Ben's feed is his own.
    let (_, body) = ana.post("/sync/calendar-feed", serde_json::json!({})).await;
    let again = body["path"].as_str().expect("a path").to_owned();
    assert_ne!(again, path);
    assert_eq!(get(path).await.0, 404);
    assert_eq!(get(again.clone()).await.0, 200);
    assert_eq!(get("/calendar/not-a-secret.ics".into()).await.0, 404);
    assert_eq!(get(again.trim_end_matches(".ics").to_owned()).await.0, 404);
    let ben = Device::sign_in(&server.base, "ben@example.com").await;
    let (_, body) = ben.post("/sync/calendar-feed", serde_json::json!({})).await;
    let (_, _, his) = get(body["path"].as_str().unwrap().to_owned()).await;
    assert_eq!(his.matches("BEGIN:VEVENT").count(), 0, "{his}");
    // Without a sign-in, no address.
    let res = reqwest::Client::new()
        .post(format!("{}/sync/calendar-feed", server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
}
