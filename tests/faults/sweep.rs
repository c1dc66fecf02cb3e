//! The authorization sweep (S15): a manager keeps handing territories and accounts to
//! other reps while every rep's device pulls at the same time; every row any device was
//! ever sent belongs to a territory its rep held while that pull ran. Then a deactivated
//! rep's device gets nothing more, and every device ends with exactly what a fresh
//! device of its rep would get.

use std::collections::{HashMap, HashSet};

use rounds_client::ServerApi;
use rounds_protocol::sync::{Op, PullResponse};
use rounds_server::db::Sql;

use crate::support::*;
use crate::{scale, seed};

on_both_backends!(s15_authorization_sweep);

/// A device that records every page it is sent and keeps the rows, as the store would.
struct Puller {
    rep: String,
    email: String,
    /// Its rep has been deactivated (before the last round of pulls began).
    deactivated: bool,
    api: ServerApi,
    cursor: Option<String>,
    rows: HashMap<(String, String), String>,
    /// (server seq before the request, server seq after the answer, the page).
    seen: Vec<(i64, i64, PullResponse)>,
}

impl Puller {
    async fn sign_in(base: &str, email: &str, rep: String) -> Puller {
        let api = ServerApi::new(base, None).unwrap();
        let login = api.login(&login_request(email, None)).await.unwrap();
        Puller {
            rep,
            email: email.into(),
            deactivated: false,
            api: ServerApi::new(base, Some(login.token)).unwrap(),
            cursor: None,
            rows: HashMap::new(),
            seen: Vec::new(),
        }
    }

    /// Pulls until the server has no more, recording each page with its seq window.
    async fn pull(&mut self, db: &rounds_server::Db) -> Result<(), rounds_client::ClientError> {
        loop {
            let before = head(db).await;
            let page = self.api.pull(self.cursor.as_deref()).await?;
            let after = head(db).await;
            if page.reset {
                self.rows.clear();
            }
            for op in &page.ops {
                match op {
                    Op::Put { bucket, row } => {
                        self.rows.insert(
                            (bucket.0.clone(), row.id().to_string()),
                            serde_json::to_string(row).unwrap(),
                        );
                    }
                    Op::Delete { bucket, id, .. } => {
                        self.rows.remove(&(bucket.0.clone(), id.to_string()));
                    }
                    Op::ResetBucket { bucket } | Op::RemoveBucket { bucket } => {
                        self.rows.retain(|(b, _), _| *b != bucket.0);
                    }
                }
            }
            self.cursor = Some(page.cursor.clone());
            let more = page.has_more;
            self.seen.push((before, after, page));
            if !more {
                return Ok(());
            }
        }
    }
}

async fn head(db: &rounds_server::Db) -> i64 {
    db.read(|tx| {
        tx.query_one("SELECT value FROM counters WHERE name = 'server_seq'", &[])
            .and_then(|r| r.int(0))
    })
    .await
    .unwrap()
}

async fn ids(db: &rounds_server::Db, sql: &'static str) -> Vec<(String, Option<String>)> {
    db.read(move |tx| {
        tx.query(sql, &[])?
            .iter()
            .map(|r| Ok((r.text(0)?, r.opt_text(1)?)))
            .collect::<Result<Vec<_>, rounds_server::db::DbError>>()
    })
    .await
    .unwrap()
}

/// Who works a territory, over server seqs: (first seq it may hold, last seq, rep).
type Tenures = HashMap<String, Vec<(i64, i64, Option<String>)>>;

async fn s15_authorization_sweep(backend: Backend) {
    let server = Server::demo_on_backend(backend).await;
    let steps = scale(30, 1_500);
    let mut dice = seed("s15") | 1;
    let mut roll = |n: usize| {
        dice ^= dice << 13;
        dice ^= dice >> 7;
        dice ^= dice << 17;
        (dice % n as u64) as usize
    };
    let db = server.db().await;
    let reps = ids(
        &db,
        "SELECT id, email FROM users WHERE role = 'rep' ORDER BY email",
    )
    .await;
    let territories: Vec<String> = ids(&db, "SELECT id, rep_id FROM territories ORDER BY name")
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let accounts: Vec<String> = ids(&db, "SELECT id, territory_id FROM accounts ORDER BY id")
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    let mut tenures: Tenures = HashMap::new();
    let start = head(&db).await;
    for (t, rep) in ids(&db, "SELECT id, rep_id FROM territories").await {
        tenures.entry(t).or_default().push((0, start, rep));
    }
    let mut pullers = Vec::new();
    for (rep, email) in &reps {
        let email = email.clone().unwrap();
        pullers.push(Puller::sign_in(&server.base(), &email, rep.clone()).await);
    }
    let manager = server.manager_token().await;
    let http = reqwest::Client::new();

    let manager_id = ids(&db, "SELECT id, email FROM users WHERE role = 'manager'").await[0]
        .0
        .clone();
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).unwrap();
    let mut reps = reps;
    let (mut moves, mut handovers, mut hired, mut let_go) = (0, 0, 0, 0);
    // Devices of deactivated reps, once refused: their pages are checked with the rest.
    let mut retired: Vec<Puller> = Vec::new();
    for step in 0..steps {
        // Now and then a new rep joins the team (with a device), or one leaves.
        if step % 10 == 3 {
            hired += 1;
            let email = format!("temp{hired}@demo.rounds.app");
            let user = rounds_server::org::NewUser {
                email: email.clone(),
                name: format!("Temp {hired}"),
                role: rounds_core::Role::Rep,
                password_hash: hash.clone(),
                manager: Some(manager_id.parse().unwrap()),
                time_zone: "America/Denver".into(),
            };
            let id = db
                .write(move |tx| rounds_server::org::add_user(tx, &user, now()))
                .await
                .unwrap();
            reps.push((id.to_string(), Some(email.clone())));
            pullers.push(Puller::sign_in(&server.base(), &email, id.to_string()).await);
        }
        let leaving = (step % 10 == 8 && hired > let_go).then(|| {
            let_go += 1;
            format!("temp{let_go}@demo.rounds.app")
        });
        // One manager action, while every device pulls.
        let action = async {
            if let Some(email) = leaving.clone() {
                db.write(move |tx| rounds_server::org::deactivate_user(tx, &email, now()))
                    .await
                    .unwrap();
            }
            let before = head(&db).await;
            if roll(3) == 0 {
                let t = &territories[roll(territories.len())];
                let rep = match roll(reps.len() + 1) {
                    i if i < reps.len() => Some(reps[i].0.clone()),
                    _ => None,
                };
                let res = http
                    .post(format!("{}/manage/territories/{t}/rep", server.base()))
                    .bearer_auth(&manager)
                    .json(&serde_json::json!({ "rep_id": rep }))
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "handover: {}", res.status());
                handovers += 1;
                Some((t.clone(), before, head(&db).await, rep))
            } else {
                let a = accounts[roll(accounts.len())].parse().unwrap();
                let t = territories[roll(territories.len())].parse().unwrap();
                server.move_account_as(&manager, a, t).await;
                moves += 1;
                None
            }
        };
        let pulls = futures_util::future::join_all(pullers.iter_mut().map(|p| p.pull(&db)));
        let (change, results) = tokio::join!(action, pulls);
        let mut refused = HashSet::new();
        for (p, r) in pullers.iter().zip(results) {
            match r {
                Ok(()) => assert!(
                    !p.deactivated,
                    "{} was sent a page after being deactivated",
                    p.email
                ),
                Err(e) => {
                    assert!(
                        p.deactivated || leaving.as_deref() == Some(p.email.as_str()),
                        "{}'s pull is answered: {e}",
                        p.email
                    );
                    if p.deactivated {
                        refused.insert(p.email.clone());
                    }
                }
            }
        }
        // A deactivated rep's device, refused once, is set aside; the one just let go is
        // refused from the next round on.
        let (out, stay): (Vec<_>, Vec<_>) =
            pullers.drain(..).partition(|p| refused.contains(&p.email));
        retired.extend(out);
        pullers = stay;
        for p in pullers.iter_mut() {
            p.deactivated |= leaving.as_deref() == Some(p.email.as_str());
        }
        if let Some((t, lo, hi, rep)) = change {
            tenures.entry(t).or_default().push((lo, hi, rep));
        }
    }

    // Every page: each territory row it carried was its rep's while the pull ran.
    let mut checked = 0;
    for p in pullers.iter().chain(&retired) {
        for (before, after, page) in &p.seen {
            for op in &page.ops {
                let bucket = match op {
                    Op::Put { bucket, .. }
                    | Op::Delete { bucket, .. }
                    | Op::ResetBucket { bucket } => bucket,
                    Op::RemoveBucket { .. } => continue,
                };
                let Some(t) = bucket.0.strip_prefix("territory/") else {
                    continue;
                };
                checked += 1;
                let held: HashSet<Option<&str>> = tenures[t]
                    .iter()
                    .enumerate()
                    .filter(|(i, (lo, _, _))| {
                        // In force during [before, after]: it started by `after` and the
                        // next change had not finished by `before`.
                        let next_done = tenures[t].get(i + 1).map_or(i64::MAX, |n| n.1);
                        *lo <= *after && next_done >= *before
                    })
                    .map(|(_, (_, _, rep))| rep.as_deref())
                    .collect();
                assert!(
                    held.contains(&Some(p.rep.as_str())),
                    "{} was sent a row of territory {t} in a pull over seqs {before}..={after}, while it was worked by {held:?}",
                    p.email
                );
            }
        }
    }

    let pages: usize = pullers.iter().chain(&retired).map(|p| p.seen.len()).sum();

    // A deactivated rep's device is refused and sent nothing.
    pullers.retain(|p| !p.deactivated);
    let gone = pullers.pop().unwrap();
    let email = gone.email.clone();
    db.write(move |tx| rounds_server::org::deactivate_user(tx, &email, now()))
        .await
        .unwrap();
    let refused = gone.api.pull(gone.cursor.as_deref()).await;
    assert!(refused.is_err(), "a deactivated rep's device gets no page");

    // The rest end with exactly what a fresh device of the same rep gets.
    for p in &mut pullers {
        p.pull(&db).await.unwrap();
        let mut fresh = Puller::sign_in(&server.base(), &p.email.clone(), p.rep.clone()).await;
        fresh.pull(&db).await.unwrap();
        assert!(
            p.rows == fresh.rows,
            "{}'s device after {steps} changes holds what a fresh device gets ({} rows vs {})",
            p.email,
            p.rows.len(),
            fresh.rows.len()
        );
    }
    println!(
        "s15: {steps} changes ({handovers} territory handovers, {moves} account moves, {hired} reps joined, {let_go} deactivated) against {pages} pulled pages; {checked} territory rows checked against who held the territory"
    );
}
