//! A server per test, a seeded organisation, and a fake device.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rounds_core::{ActivityKind, Priority, Role, Stage};
use rounds_protocol::auth::{LoginRequest, LoginResponse};
use rounds_protocol::records::{AccountRecord, ActivityRecord, ContactRecord};
use rounds_protocol::sync::{
    AccountEdit, BucketId, Mutation, MutationBody, Op, PullResponse, PushRequest, PushResponse,
    Row, Table,
};
use rounds_protocol::{
    AccountId, ActivityId, ApiError, ContactId, DeviceId, Hlc, MutationId, PROTOCOL_VERSION,
    SCHEMA_VERSION, TerritoryId, UserId,
};
use rounds_server::org;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

/// The instant tests that read the calendar run at: a Wednesday in mid-March, 11:00 in
/// Denver. The server's clock is started there (`settings.clock`), so those tests pass on
/// whatever day they run.
pub fn test_now() -> DateTime<Utc> {
    "2026-03-18T17:00:00Z".parse().expect("an instant")
}

pub use rounds_server_testkit::{Backend, TestServer, fresh_settings, postgres_url};

/// The seeded organisation: a manager, reps Ana (territory North) and Ben (South).
#[derive(Debug, Clone)]
pub struct Org {
    pub ana: UserId,
    pub ben: UserId,
    pub north: TerritoryId,
    pub south: TerritoryId,
    /// North's accounts, then South's.
    pub north_accounts: Vec<AccountId>,
    pub south_accounts: Vec<AccountId>,
}

pub fn account(
    id: AccountId,
    name: &str,
    territory: TerritoryId,
    created_at: DateTime<Utc>,
) -> AccountRecord {
    AccountRecord {
        id,
        name: name.into(),
        street: "1 Main St".into(),
        city: "Springfield".into(),
        region: "IL".into(),
        postal_code: "62701".into(),
        country: "US".into(),
        lat: Some(39.8),
        lon: Some(-89.6),
        stage: Stage::Lead,
        priority: Priority::High,
        kare: None,
        currency: "USD".into(),
        revenue_minor: 3_900_000,
        expenses_minor: 1_700_000,
        phone: None,
        email: None,
        industry: None,
        territory_id: Some(territory),
        created_at,
        lead_on: None,
        opportunity_on: None,
        won_on: None,
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

/// A fresh server with the seeded organisation.
pub async fn start(backend: Backend) -> (TestServer, Org) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    (server, org)
}

pub async fn seed(server: &TestServer) -> Org {
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).expect("hash");
    let since = Utc::now() - Duration::days(30);
    server
        .db
        .write(move |tx| {
            let now = Utc::now();
            let user = |email: &str, role, manager| org::NewUser {
                email: email.into(),
                name: email.split('@').next().unwrap_or("x").into(),
                role,
                password_hash: hash.clone(),
                manager,
                time_zone: "America/Chicago".into(),
            };
            let manager = org::add_user(tx, &user("maria@example.com", Role::Manager, None), now)?;
            let ana = org::add_user(tx, &user("ana@example.com", Role::Rep, Some(manager)), now)?;
            let ben = org::add_user(tx, &user("ben@example.com", Role::Rep, Some(manager)), now)?;
            let north = org::create_territory(
                tx,
                TerritoryId::from_uuid(Uuid::now_v7()),
                "North",
                Some(ana),
            )?;
            let south = org::create_territory(
                tx,
                TerritoryId::from_uuid(Uuid::now_v7()),
                "South",
                Some(ben),
            )?;
            let mut north_accounts = Vec::new();
            let mut south_accounts = Vec::new();
            for i in 0..3 {
                let id = AccountId::from_uuid(Uuid::now_v7());
                org::create_account(tx, &account(id, &format!("North {i}"), north, since), since)?;
                org::create_contact(
                    tx,
                    &ContactRecord {
                        id: ContactId::from_uuid(Uuid::now_v7()),
                        account_id: id,
                        name: format!("Buyer {i}"),
                        title: None,
                        phone: None,
                        email: None,
                        primary: true,
                    },
                )?;
                north_accounts.push(id);
            }
            for i in 0..2 {
                let id = AccountId::from_uuid(Uuid::now_v7());
                org::create_account(tx, &account(id, &format!("South {i}"), south, since), since)?;
                south_accounts.push(id);
            }
            Ok::<_, rounds_server::Error>(Org {
                ana,
                ben,
                north,
                south,
                north_accounts,
                south_accounts,
            })
        })
        .await
        .expect("seed")
}

/// A fake device: logs in, keeps an outbox and the synced rows, pushes and pulls.
#[derive(Debug)]
pub struct Device {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub id: DeviceId,
    pub user: UserId,
    pub next_seq: u64,
    pub hlc: Hlc,
    pub outbox: Vec<Mutation>,
    pub cursor: Option<String>,
    /// (bucket, table, id) → row.
    pub rows: HashMap<(String, Table, Uuid), Row>,
    pub last_pull: Option<PullResponse>,
    /// The synced data's shape the device says it knows (`None`: an app from before the
    /// parameter, taken as 1).
    pub schema_version: Option<u32>,
}

pub type ApiResult<T> = Result<T, (u16, ApiError)>;

async fn decode<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> ApiResult<T> {
    let status = res.status().as_u16();
    let bytes = res.bytes().await.expect("body");
    if status == 200 {
        Ok(serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("a 200 body is the expected JSON: {e}")))
    } else {
        let e: ApiError = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "a {status} answer is an ApiError, got {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        Err((status, e))
    }
}

/// What a device sends to sign in with the test password.
pub fn login_request(email: &str, device_id: Option<DeviceId>) -> LoginRequest {
    LoginRequest {
        email: email.into(),
        password: PASSWORD.into(),
        device_name: "test phone".into(),
        platform: "test".into(),
        device_id,
    }
}

pub async fn login(base: &str, email: &str, password: &str) -> ApiResult<LoginResponse> {
    let res = reqwest::Client::new()
        .post(format!("{base}/auth/login"))
        .json(&LoginRequest {
            email: email.into(),
            password: password.into(),
            device_name: "test phone".into(),
            platform: "test".into(),
            device_id: None,
        })
        .send()
        .await
        .expect("login request");
    decode(res).await
}

impl Device {
    pub async fn sign_in(base: &str, email: &str) -> Device {
        let l = login(base, email, PASSWORD).await.expect("login succeeds");
        Device {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token: l.token,
            id: l.device_id,
            user: l.user.id,
            next_seq: 1,
            hlc: Hlc::ZERO,
            outbox: Vec::new(),
            cursor: None,
            rows: HashMap::new(),
            last_pull: None,
            schema_version: Some(SCHEMA_VERSION),
        }
    }

    fn tick(&mut self) -> Hlc {
        let now = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        self.hlc = Hlc::tick(self.hlc, now, *self.id.as_uuid());
        self.hlc
    }

    /// Queues a mutation in the outbox (offline: nothing is sent).
    pub fn queue(&mut self, body: &MutationBody) -> Mutation {
        let hlc = self.tick();
        let m = Mutation::new(
            self.next_seq,
            MutationId::from_uuid(Uuid::now_v7()),
            hlc,
            body,
        );
        self.next_seq += 1;
        self.outbox.push(m.clone());
        m
    }

    pub fn queue_raw(&mut self, payload_version: u32, body: serde_json::Value) -> Mutation {
        let hlc = self.tick();
        let m = Mutation {
            seq: self.next_seq,
            id: MutationId::from_uuid(Uuid::now_v7()),
            hlc,
            payload_version,
            body,
        };
        self.next_seq += 1;
        self.outbox.push(m.clone());
        m
    }

    pub fn activity(
        &self,
        account: AccountId,
        occurred_at: DateTime<Utc>,
        note: &str,
    ) -> ActivityRecord {
        ActivityRecord {
            id: ActivityId::from_uuid(Uuid::now_v7()),
            account_id: account,
            rep_id: self.user,
            contact_id: None,
            kind: ActivityKind::Visit,
            occurred_at,
            duration_min: Some(30),
            outcome: None,
            note: Some(note.into()),
            fix: None,
        }
    }

    pub fn log(
        &mut self,
        account: AccountId,
        occurred_at: DateTime<Utc>,
        note: &str,
    ) -> ActivityRecord {
        let a = self.activity(account, occurred_at, note);
        self.queue(&MutationBody::LogActivity {
            activity: a.clone(),
        });
        a
    }

    pub fn edit(&mut self, account: AccountId, edit: AccountEdit) -> Mutation {
        self.queue(&MutationBody::EditAccount {
            account_id: account,
            edit,
        })
    }

    pub fn request(&self, mutations: Vec<Mutation>) -> PushRequest {
        PushRequest {
            protocol_version: PROTOCOL_VERSION,
            schema_version: SCHEMA_VERSION,
            device_id: self.id,
            mutations,
        }
    }

    pub async fn push_request(&self, req: &PushRequest) -> ApiResult<PushResponse> {
        let res = self
            .http
            .post(format!("{}/sync/push", self.base))
            .bearer_auth(&self.token)
            .json(req)
            .send()
            .await
            .expect("push request");
        decode(res).await
    }

    /// Pushes the whole outbox; acknowledged mutations leave it.
    pub async fn push(&mut self) -> ApiResult<PushResponse> {
        let req = self.request(self.outbox.clone());
        let res = self.push_request(&req).await?;
        let done: Vec<u64> = res
            .results
            .iter()
            .filter(|r| !matches!(&r.status, rounds_protocol::sync::MutationStatus::Rejected { code, .. } if *code == rounds_protocol::ErrorCode::SequenceGap))
            .map(|r| r.seq)
            .collect();
        self.outbox.retain(|m| !done.contains(&m.seq));
        self.hlc = Hlc::observe(self.hlc, res.server_hlc);
        Ok(res)
    }

    pub async fn pull_page(
        &self,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> ApiResult<PullResponse> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(c) = cursor {
            q.push(("cursor", c.to_owned()));
        }
        if let Some(l) = limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(v) = self.schema_version {
            q.push(("schema_version", v.to_string()));
        }
        let res = self
            .http
            .get(format!("{}/sync/pull", self.base))
            .bearer_auth(&self.token)
            .query(&q)
            .send()
            .await
            .expect("pull request");
        decode(res).await
    }

    pub fn apply(&mut self, page: &PullResponse) {
        if page.reset {
            self.rows.clear();
        }
        for op in &page.ops {
            match op {
                Op::Put { bucket, row } => {
                    self.rows
                        .insert((bucket.0.clone(), row.table(), row.id()), row.clone());
                }
                Op::Delete { bucket, table, id } => {
                    self.rows.remove(&(bucket.0.clone(), *table, *id));
                }
                Op::ResetBucket { bucket } | Op::RemoveBucket { bucket } => {
                    self.rows.retain(|k, _| k.0 != bucket.0);
                }
            }
        }
        self.cursor = Some(page.cursor.clone());
    }

    /// Pulls until the server has nothing more; returns the pages.
    pub async fn pull(&mut self, limit: Option<usize>) -> ApiResult<Vec<PullResponse>> {
        let mut pages = Vec::new();
        for _ in 0..1_000 {
            let page = self
                .pull_page(self.cursor.clone().as_deref(), limit)
                .await?;
            self.apply(&page);
            let more = page.has_more;
            pages.push(page);
            if !more {
                self.last_pull = pages.last().cloned();
                return Ok(pages);
            }
        }
        panic!("pull never finished");
    }

    pub async fn sync(&mut self) {
        self.push().await.expect("push succeeds");
        self.pull(None).await.expect("pull succeeds");
    }

    pub fn accounts(&self) -> Vec<AccountRecord> {
        self.rows
            .values()
            .filter_map(|r| match r {
                Row::Account(a) => Some(a.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn account(&self, id: AccountId) -> Option<AccountRecord> {
        self.accounts().into_iter().find(|a| a.id == id)
    }

    pub fn activities(&self) -> Vec<ActivityRecord> {
        self.rows
            .values()
            .filter_map(|r| match r {
                Row::Activity(a) => Some(a.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn buckets(&self) -> Vec<String> {
        let b: std::collections::BTreeSet<String> = self.rows.keys().map(|k| k.0.clone()).collect();
        b.into_iter().collect()
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

pub fn bucket(t: TerritoryId) -> String {
    BucketId::territory(t).0
}

pub fn edit_name(name: &str) -> AccountEdit {
    AccountEdit::Name(name.into())
}
