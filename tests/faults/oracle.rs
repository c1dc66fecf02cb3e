//! The oracle: every activity whose local save returned, checked against the server's
//! database and every device's database once the faults stop.
//!
//! "Nothing lost" is checked as: each such activity is on the server exactly once, with
//! the payload the device saved; each device whose territory holds its account shows it,
//! no longer pending; no outbox row is left; the server's ledger holds one entry per seq
//! each device ever used, none of them set aside (a field edit may be superseded, or
//! refused and kept as a rejected edit); every device file passes `integrity_check`.
//! Each account a device created, and each contact it saved, is on the server exactly
//! once, as the device made it, and shown once, no longer pending, on every device
//! holding its territory. Each stage move a device saved is kept on the server as exactly
//! one dated fact. Each follow-up a device made is on the server once, done when the
//! device did it (by a call the server holds), and shown once, settled, on every device
//! holding its account.

use rounds_protocol::records::{AccountRecord, ActivityRecord, ContactRecord};
use rounds_store::LoggedActivity;

use crate::support::{Device, Server};

#[derive(Debug, Default)]
pub struct Oracle {
    saved: Vec<LoggedActivity>,
    by: std::collections::HashMap<rounds_protocol::ActivityId, rounds_protocol::DeviceId>,
    /// Field edits saved on a device, by (device, seq): the account edited.
    edits: std::collections::HashMap<(rounds_protocol::DeviceId, i64), rounds_protocol::AccountId>,
    /// Accounts created on a device, as the device saved them.
    created: Vec<rounds_core::Account>,
    /// Contacts saved once on a device, as saved.
    contacts: Vec<ContactRecord>,
    /// Stage moves saved on a device: the mutation each went out as.
    moves: Vec<rounds_protocol::MutationId>,
    /// Follow-ups made on a device, and whether the device then did them.
    follow_ups: std::collections::BTreeMap<rounds_protocol::FollowUpId, bool>,
}

impl Oracle {
    /// The device's save returned: from now on it must never be lost.
    pub fn saved(&mut self, on: &Device, l: LoggedActivity) {
        self.saved_on(on.store.device_id(), l);
    }

    /// As [`Oracle::saved`], for a save made by another process on the device's file.
    pub fn saved_on(&mut self, device: rounds_protocol::DeviceId, l: LoggedActivity) {
        self.by.insert(l.activity.id, device);
        self.saved.push(l);
    }

    /// A field edit's save returned (outbox seq `seq`): it must be applied, superseded by
    /// a later value, or kept as a refused edit — never just dropped.
    pub fn edited(&mut self, on: &Device, seq: u64, account: rounds_protocol::AccountId) {
        self.edits
            .insert((on.store.device_id(), seq as i64), account);
    }

    /// A new account's save returned: it must reach the server once and come back.
    pub fn created(&mut self, account: &rounds_store::AccountView) {
        self.created.push(account.account.clone());
    }

    /// A follow-up's save returned: it must reach the server once and come back.
    pub fn follow_up_made(&mut self, id: rounds_protocol::FollowUpId) {
        self.follow_ups.insert(id, false);
    }

    /// A follow-up was done on the device (its call is [`Oracle::saved`] separately).
    pub fn follow_up_done(&mut self, id: rounds_protocol::FollowUpId) {
        self.follow_ups.insert(id, true);
    }

    pub fn follow_ups_count(&self) -> (usize, usize) {
        (
            self.follow_ups.len(),
            self.follow_ups.values().filter(|d| **d).count(),
        )
    }

    /// A contact's save returned: it must reach the server once and come back.
    pub fn contact_saved(&mut self, contact: ContactRecord) {
        self.contacts.push(contact);
    }

    /// A stage move's save returned (outbox seq `seq`, sent as mutation `id`): it must
    /// merge (applied or outranked) and be kept as exactly one dated fact.
    pub fn stage_moved(
        &mut self,
        on: &Device,
        seq: u64,
        id: rounds_protocol::MutationId,
        account: rounds_protocol::AccountId,
    ) {
        self.edited(on, seq, account);
        self.moves.push(id);
    }

    pub fn moves_count(&self) -> usize {
        self.moves.len()
    }

    pub fn created_count(&self) -> usize {
        self.created.len()
    }

    pub fn count(&self) -> usize {
        self.saved.len()
    }

    pub async fn check(&self, server: &Server, devices: &[&Device]) {
        let db = server.db().await;
        for l in &self.saved {
            let id = l.activity.id.to_string();
            let rows = db
                .read(move |tx| {
                    use rounds_server::db::Sql;
                    tx.query(
                        "SELECT data, status FROM activities WHERE id = $1",
                        rounds_server::params![id],
                    )
                })
                .await
                .unwrap();
            assert_eq!(
                rows.len(),
                1,
                "activity {} is on the server exactly once",
                l.activity.id
            );
            assert_eq!(rows[0].text(1).unwrap(), "ok", "{} accepted", l.activity.id);
            let on_server: ActivityRecord = rows[0].json(0).unwrap();
            assert_eq!(
                on_server,
                ActivityRecord::from(&l.activity),
                "the server holds what the device saved"
            );
        }
        for a in &self.created {
            let id = a.id.to_string();
            let rows = db
                .read(move |tx| {
                    use rounds_server::db::Sql;
                    tx.query(
                        "SELECT data FROM accounts WHERE id = $1",
                        rounds_server::params![id],
                    )
                })
                .await
                .unwrap();
            assert_eq!(
                rows.len(),
                1,
                "account {} is on the server exactly once",
                a.id
            );
            let on_server: AccountRecord = rows[0].json(0).unwrap();
            assert_eq!(
                on_server,
                AccountRecord::from(a),
                "the server holds the account the device made"
            );
        }
        for c in &self.contacts {
            let id = c.id.to_string();
            let rows = db
                .read(move |tx| {
                    use rounds_server::db::Sql;
                    tx.query(
                        "SELECT data FROM contacts WHERE id = $1",
                        rounds_server::params![id],
                    )
                })
                .await
                .unwrap();
            assert_eq!(
                rows.len(),
                1,
                "contact {} is on the server exactly once",
                c.id
            );
            let on_server: ContactRecord = rows[0].json(0).unwrap();
            assert_eq!(
                &on_server, c,
                "the server holds the contact the device saved"
            );
        }
        for (f, done) in &self.follow_ups {
            let id = f.to_string();
            let rows = db
                .read(move |tx| {
                    use rounds_server::db::Sql;
                    tx.query(
                        "SELECT data FROM follow_ups WHERE id = $1",
                        rounds_server::params![id],
                    )
                })
                .await
                .unwrap();
            assert_eq!(rows.len(), 1, "follow-up {f} is on the server exactly once");
            let on_server: rounds_protocol::records::FollowUpRecord = rows[0].json(0).unwrap();
            assert_eq!(
                on_server.done_at.is_some(),
                *done,
                "follow-up {f} done on the server as on its device"
            );
            if let Some(by) = on_server.done_by {
                let by = by.to_string();
                let calls = db
                    .read(move |tx| {
                        use rounds_server::db::Sql;
                        tx.query_one(
                            "SELECT COUNT(*) FROM activities WHERE id = $1",
                            rounds_server::params![by],
                        )
                        .and_then(|r| r.int(0))
                    })
                    .await
                    .unwrap();
                assert_eq!(
                    calls, 1,
                    "the call that did follow-up {f} is on the server once"
                );
            }
        }
        for m in &self.moves {
            let id = m.to_string();
            let facts = db
                .read(move |tx| {
                    use rounds_server::db::Sql;
                    tx.query_one(
                        "SELECT COUNT(*) FROM stage_changes WHERE id = $1",
                        rounds_server::params![id],
                    )
                    .and_then(|r| r.int(0))
                })
                .await
                .unwrap();
            assert_eq!(facts, 1, "stage move {m} is kept as exactly one fact");
        }
        for d in devices {
            d.store.integrity_check().expect("device file intact");
            let r = d.store.read();
            assert_eq!(
                r.outbox().pending_count().unwrap(),
                0,
                "no outbox row left behind"
            );
            let held: std::collections::HashSet<_> = r
                .accounts()
                .all()
                .unwrap()
                .into_iter()
                .map(|a| a.account.id)
                .collect();
            let territories: std::collections::HashSet<_> = r
                .territories()
                .list()
                .unwrap()
                .into_iter()
                .map(|t| t.id)
                .collect();
            for a in self
                .created
                .iter()
                .filter(|a| a.territory.is_some_and(|t| territories.contains(&t)))
            {
                let shown = r.accounts().get(a.id).unwrap();
                let shown = shown.unwrap_or_else(|| panic!("{} shown on its device", a.id));
                assert!(
                    shown.pending_fields.is_empty(),
                    "{} settled: {:?}",
                    a.id,
                    shown.pending_fields
                );
                assert_eq!(
                    r.search(&a.name, 1_000)
                        .unwrap()
                        .iter()
                        .filter(|h| h.account.account.id == a.id)
                        .count(),
                    1,
                    "{} found once",
                    a.id
                );
            }
            for c in self
                .contacts
                .iter()
                .filter(|c| held.contains(&c.account_id))
            {
                let shown: Vec<_> = r
                    .contacts()
                    .with_pending(c.account_id)
                    .unwrap()
                    .into_iter()
                    .filter(|(x, _)| x.id == c.id)
                    .collect();
                assert_eq!(shown.len(), 1, "contact {} shown once on its device", c.id);
                assert!(!shown[0].1, "contact {} settled", c.id);
            }
            for (f, done) in &self.follow_ups {
                let Some(shown) = r.follow_ups().get(*f).unwrap() else {
                    // Not this device's territory.
                    continue;
                };
                assert!(!shown.pending, "follow-up {f} settled");
                assert_eq!(shown.follow_up.done.is_some(), *done, "follow-up {f} done");
            }
            for l in self
                .saved
                .iter()
                .filter(|l| held.contains(&l.activity.account_id))
            {
                let shown: Vec<_> = r
                    .activities()
                    .timeline(l.activity.account_id)
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.activity.id == l.activity.id)
                    .collect();
                assert_eq!(shown.len(), 1, "{} shown once on its device", l.activity.id);
                assert!(!shown[0].pending, "{} settled", l.activity.id);
            }
            let device = d.store.device_id().to_string();
            let last_seq = self
                .saved
                .iter()
                .filter(|l| self.by.get(&l.activity.id) == Some(&d.store.device_id()))
                .map(|l| l.seq)
                .max();
            let ledger = db
                .read({
                    let device = device.clone();
                    move |tx| {
                        use rounds_server::db::Sql;
                        tx.query(
                            "SELECT seq, status FROM mutations WHERE device_id = $1 ORDER BY seq",
                            rounds_server::params![device],
                        )
                    }
                })
                .await
                .unwrap();
            for (i, row) in ledger.iter().enumerate() {
                let seq = row.int(0).unwrap();
                assert_eq!(seq, i as i64 + 1, "no gap in the ledger");
                let status = row.text(1).unwrap();
                match self.edits.get(&(d.store.device_id(), seq)) {
                    None => assert_eq!(status, "applied", "nothing set aside"),
                    Some(account) if status == "rejected" => {
                        let (device, account) = (device.clone(), account.to_string());
                        let kept = db
                            .read(move |tx| {
                                use rounds_server::db::Sql;
                                tx.query_one(
                                    "SELECT count(*) FROM rejected_edits WHERE device_id = $1 AND account_id = $2",
                                    rounds_server::params![device, account],
                                )
                                .and_then(|r| r.int(0))
                            })
                            .await
                            .unwrap();
                        assert!(kept >= 1, "refused edit {seq} is kept for review");
                    }
                    Some(_) => assert!(
                        status == "applied" || status == "superseded",
                        "edit {seq} applied or superseded, not {status}"
                    ),
                }
            }
            if let Some(last) = last_seq {
                assert!(
                    ledger.len() as u64 >= last,
                    "every seq up to {last} reached the server"
                );
            }
        }
    }
}
