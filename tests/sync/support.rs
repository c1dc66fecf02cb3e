//! A demo server per test and devices that sign in to it like the app does.

use std::net::SocketAddr;

use chrono::{DateTime, NaiveDate, Utc};
use rounds_client::{Clock, ServerApi, SyncEngine, clock_starting_at, system_clock};
use rounds_demo::{DemoOptions, seed};
use rounds_protocol::auth::LoginRequest;
use rounds_server::db::Sql;
use rounds_server::time::Clock as ServerClock;
use rounds_server::{Db, Settings};
use rounds_store::Store;

pub const PASSWORD: &str = "rounds-demo";
pub const DANA: &str = "dana@demo.rounds.app";

pub use rounds_server_testkit::Backend;

/// A server process stand-in: the real `serve` on a real listener, stoppable and
/// restartable on the same address and database, as a server going down and up again.
pub struct Server {
    pub addr: SocketAddr,
    pub settings: Settings,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A fresh database with the demo organisation (30 accounts a territory, to be quick).
    pub async fn demo() -> Server {
        Server::demo_sized(30).await
    }

    pub async fn demo_sized(accounts_per_territory: usize) -> Server {
        Server::demo_on(
            NaiveDate::from_ymd_opt(2026, 3, 18).unwrap(),
            accounts_per_territory,
        )
        .await
    }

    /// The demo organisation with its history running up to `today`, on the real clock.
    pub async fn demo_on(today: NaiveDate, accounts_per_territory: usize) -> Server {
        Server::demo_with(
            Backend::Sqlite,
            today,
            accounts_per_territory,
            ServerClock::system(),
        )
        .await
    }

    /// The demo organisation seeded for `now`'s date, on a server whose clock starts at
    /// `now`: a test that reads the calendar passes on whatever day it runs.
    pub async fn demo_at(now: DateTime<Utc>, accounts_per_territory: usize) -> Server {
        Server::demo_with(
            Backend::Sqlite,
            now.date_naive(),
            accounts_per_territory,
            ServerClock::starting_at(now),
        )
        .await
    }

    /// Now, on the server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.settings.clock.now()
    }

    /// The demo server on `backend`: on PostgreSQL a fresh schema of the database that
    /// `ROUNDS_TEST_POSTGRES_URL` names (a PostgreSQL test run without one fails).
    pub async fn demo_on_backend(backend: Backend) -> Server {
        Server::demo_with(
            backend,
            NaiveDate::from_ymd_opt(2026, 3, 18).unwrap(),
            30,
            ServerClock::system(),
        )
        .await
    }

    async fn demo_with(
        backend: Backend,
        today: NaiveDate,
        accounts_per_territory: usize,
        clock: ServerClock,
    ) -> Server {
        let (settings, dir) = rounds_server_testkit::fresh_settings(backend);
        let mut settings = settings;
        settings.clock = clock;
        let db = rounds_server::open_db(&settings).await.unwrap();
        let opts = DemoOptions {
            seed: 7,
            today,
            accounts_per_territory,
            password: PASSWORD.into(),
            worked_example: false,
            history_days: rounds_demo::HISTORY_DAYS,
            company: None,
        };
        seed(&db, &settings, &opts, &mut |_, _, _| {})
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut server = Server {
            addr,
            settings,
            stop: None,
            task: None,
            _dir: dir,
        };
        server.serve(listener);
        server
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let settings = self.settings.clone();
        self.task = Some(tokio::spawn(async move {
            rounds_server::serve(settings, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        }));
        self.stop = Some(stop);
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server goes away: connections are refused from now on.
    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }

    /// Back on the same address, same database.
    pub async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }

    /// The admin's `backup` of the server's SQLite database to `to`.
    pub async fn backup_to(&self, to: &std::path::Path) {
        rounds_server::backup::backup(&self.db().await, to)
            .await
            .unwrap();
    }

    /// The admin restores a backup the way the server's README says: the server stops
    /// and is served again on the copy (a new epoch, as the copy says it was restored).
    /// The old file is left alone: writing the copy over it while a closing connection
    /// of the stopped server may still checkpoint into it can corrupt the result.
    pub async fn restore_from(&mut self, backup: &std::path::Path) {
        self.stop().await;
        self.settings.database_url =
            rounds_server::settings::DatabaseUrl::new(backup.display().to_string());
        self.restart().await;
    }

    /// A second handle on the server's database, for checking what it holds.
    pub async fn db(&self) -> Db {
        rounds_server::open_db(&self.settings).await.unwrap()
    }

    pub async fn count(&self, sql: &'static str, params: Vec<rounds_server::db::Val>) -> i64 {
        self.db()
            .await
            .read(move |tx| tx.query_one(sql, &params).and_then(|r| r.int(0)))
            .await
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// One installation of the app: its own database file and sync engine.
pub struct Device {
    pub store: Store,
    pub engine: SyncEngine,
    pub token: String,
    dir: tempfile::TempDir,
}

impl Device {
    /// Signs in as `email` the way the first-run screen does.
    /// Its clock reads what the server's does.
    pub async fn sign_in(server: &Server, email: &str) -> Device {
        Device::sign_in_with_clock(&server.base(), email, clock_starting_at(server.now())).await
    }

    /// Signs in to the server at `base` (the server itself, or a proxy in front of it).
    pub async fn sign_in_at(base: &str, email: &str) -> Device {
        Device::sign_in_with_clock(base, email, system_clock()).await
    }

    async fn sign_in_with_clock(base: &str, email: &str, clock: Clock) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("device.db")).unwrap();
        let mut api = ServerApi::new(base, None).unwrap();
        let login = api
            .login(&login_request(email, Some(store.device_id())))
            .await
            .unwrap();
        api.set_token(Some(login.token.clone()));
        Device {
            store,
            engine: SyncEngine::new(api, clock),
            token: login.token,
            dir,
        }
    }

    /// Another connection to the device's database, as the app's UI and its background
    /// sync each hold one.
    pub fn open_again(&self) -> Store {
        Store::open(self.db_path()).unwrap()
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("device.db")
    }

    pub async fn sync(&mut self) -> Result<rounds_client::SyncReport, rounds_client::ClientError> {
        self.engine.sync_once(&mut self.store, |_| {}).await
    }
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// What the app's first-run screen sends.
pub fn login_request(email: &str, device_id: Option<rounds_protocol::DeviceId>) -> LoginRequest {
    LoginRequest {
        email: email.into(),
        password: PASSWORD.into(),
        device_name: "test phone".into(),
        platform: "test".into(),
        device_id,
    }
}

impl Device {
    /// The rep as the server knows them: the rep of the device's territory.
    pub fn rep(&self) -> rounds_protocol::RepId {
        self.store.read().territories().list().unwrap()[0]
            .rep
            .expect("the territory has a rep")
    }

    /// "New lead here" on the device: a new account in its territory, queued.
    pub fn add_lead(&mut self, name: &str) -> rounds_store::AccountView {
        let territory = self.store.read().territories().list().unwrap()[0].id;
        let now = self.engine.now();
        let new = rounds_store::NewAccount {
            phone: Some("(555) 010-0199".into()),
            street: "1 New Road".into(),
            city: "Springfield".into(),
            location: rounds_core::LatLon::new(39.78, -89.65).ok(),
            priority: rounds_core::Priority::Medium,
            ..rounds_store::NewAccount::named(name, territory, "USD")
        };
        self.store
            .create_account(new, now.date_naive(), now)
            .unwrap()
    }

    /// A primary contact added on the device to `account`, queued; answers it as saved.
    pub fn add_contact(
        &mut self,
        account: rounds_protocol::AccountId,
        name: &str,
    ) -> rounds_protocol::records::ContactRecord {
        let now = self.engine.now();
        let id = self
            .store
            .save_contact(
                rounds_store::ContactInput {
                    id: None,
                    account_id: account,
                    name: name.into(),
                    title: Some("Buyer".into()),
                    phone: Some("(555) 010-0142".into()),
                    email: None,
                    primary: true,
                },
                now,
            )
            .unwrap();
        let c = self
            .store
            .read()
            .contacts()
            .of_account(account)
            .unwrap()
            .into_iter()
            .find(|c| c.id == id)
            .expect("the saved contact is shown");
        rounds_protocol::records::ContactRecord::from(&c)
    }

    /// A quick-action visit on the device's first account, five minutes ago.
    pub fn log_visit(&mut self, note: &str) -> rounds_store::LoggedActivity {
        let account = self.store.read().accounts().all().unwrap()[0].account.id;
        self.log_visit_on(account, note)
    }

    /// A quick-action visit on `account`, five minutes ago.
    /// Attaches `bytes` as a photo of `account`, as the app's "Add photo" does.
    pub fn attach_photo(
        &mut self,
        account: rounds_protocol::AccountId,
        bytes: Vec<u8>,
    ) -> rounds_protocol::PhotoId {
        let now = self.engine.now();
        let new = rounds_store::NewPhoto {
            account_id: account,
            activity_id: None,
            rep_id: self.rep(),
            bytes,
            caption: None,
        };
        self.store.attach_photo(new, now).unwrap()
    }

    pub fn log_visit_on(
        &mut self,
        account: rounds_protocol::AccountId,
        note: &str,
    ) -> rounds_store::LoggedActivity {
        let visit = rounds_store::NewActivity {
            account_id: account,
            rep_id: self.rep(),
            contact_id: None,
            kind: rounds_core::ActivityKind::Visit,
            occurred_at: self.engine.now() - chrono::Duration::minutes(5),
            duration_min: Some(30),
            outcome: Some(rounds_core::Outcome::OrderTaken),
            note: Some(note.into()),
            fix: None,
        };
        let now = self.engine.now();
        self.store.log_activity(visit, now).unwrap()
    }

    /// A next step on `account`, due tomorrow: a call back.
    pub fn add_follow_up(
        &mut self,
        account: rounds_protocol::AccountId,
        note: &str,
    ) -> rounds_protocol::FollowUpId {
        let now = self.engine.now();
        let new = rounds_store::NewFollowUp {
            account_id: account,
            rep_id: self.rep(),
            kind: rounds_core::TouchKind::Call,
            due: now.date_naive() + chrono::Days::new(1),
            note: Some(note.into()),
        };
        self.store.add_follow_up(new, now).unwrap()
    }

    /// Does a follow-up: logs the promised call on its account and closes it.
    pub fn complete_follow_up(
        &mut self,
        id: rounds_protocol::FollowUpId,
        account: rounds_protocol::AccountId,
    ) -> rounds_store::LoggedActivity {
        let now = self.engine.now();
        let call = rounds_store::NewActivity {
            account_id: account,
            rep_id: self.rep(),
            contact_id: None,
            kind: rounds_core::ActivityKind::Call,
            occurred_at: now,
            duration_min: None,
            outcome: None,
            note: Some("called back as promised".into()),
            fix: None,
        };
        self.store.complete_follow_up(id, call, now).unwrap()
    }

    /// Moves `account` to `to` on the device (with `reason` when that is lost), queued;
    /// answers the outbox seq and mutation id, or `None` when it already stands there.
    pub fn move_stage(
        &mut self,
        account: rounds_protocol::AccountId,
        to: rounds_core::Stage,
        reason: Option<&str>,
    ) -> Option<(u64, rounds_protocol::MutationId)> {
        let now = self.engine.now();
        let seqs = self
            .store
            .change_account(
                account,
                vec![rounds_protocol::sync::AccountEdit::Stage(to)],
                reason.map(str::to_owned),
                now,
            )
            .unwrap();
        let seq = *seqs.first()?;
        let entry = self.store.read().outbox().get(seq).unwrap()?;
        Some((seq, entry.mutation.id))
    }

    /// The ids of the accounts the device holds.
    pub fn account_ids(&self) -> Vec<rounds_protocol::AccountId> {
        self.store
            .read()
            .accounts()
            .all()
            .unwrap()
            .into_iter()
            .map(|a| a.account.id)
            .collect()
    }

    /// Is the activity on its account's timeline, and pending or not?
    pub fn shows(&self, logged: &rounds_store::LoggedActivity, pending: bool) -> bool {
        self.store
            .read()
            .activities()
            .timeline(logged.activity.account_id)
            .unwrap()
            .iter()
            .any(|e| e.activity.id == logged.activity.id && e.pending == pending)
    }
}

impl Server {
    /// The demo manager moves an account to another territory through the server's API.
    pub async fn move_account(
        &self,
        account: rounds_protocol::AccountId,
        to: rounds_protocol::TerritoryId,
    ) {
        let manager = self.manager_token().await;
        self.move_account_as(&manager, account, to).await;
    }

    /// Moves the postal code of `account` to territory `to` as the demo manager does from
    /// the dashboard (the accounts there, and the code itself); the accounts it moved.
    pub async fn move_postal_code(
        &self,
        account: rounds_protocol::AccountId,
        to: rounds_protocol::TerritoryId,
    ) -> Vec<rounds_protocol::AccountId> {
        let now = self.settings.clock.now();
        self.db()
            .await
            .write(move |tx| {
                let r = tx.query_one(
                    "SELECT id, name, email FROM users WHERE email = 'manager@demo.rounds.app'",
                    &[],
                )?;
                let manager = rounds_server::sessions::SignedIn {
                    id: r.parse("id")?,
                    name: r.text("name")?,
                    email: r.text("email")?,
                    role: rounds_core::Role::Manager,
                    tz: rounds_core::Tz::UTC,
                    csrf: String::new(),
                    team: None,
                };
                let data = tx
                    .query_one(
                        "SELECT data FROM accounts WHERE id = $1",
                        rounds_server::params![account.to_string()],
                    )?
                    .text(0)?;
                let rec: rounds_protocol::records::AccountRecord =
                    serde_json::from_str(&data).expect("a stored account");
                let mut team = rounds_server::scope::team(tx, &manager)?;
                let all = rounds_server::scope::accounts(tx, &mut team)?;
                let codes = [rec.postal_code.clone()];
                let at = rounds_server::units::accounts_at_any(&all, &rec.country, &codes);
                let seen = rounds_server::units::fingerprint(at.iter().copied());
                let here: Vec<rounds_protocol::AccountId> = at.iter().map(|a| a.id).collect();
                rounds_server::units::reassign(tx, &manager, &rec.country, &codes, to, &seen, now)?;
                Ok::<_, rounds_server::Error>(here)
            })
            .await
            .expect("the postal code moves")
    }

    /// The demo manager's API token.
    pub async fn manager_token(&self) -> String {
        ServerApi::new(&self.base(), None)
            .unwrap()
            .login(&login_request("manager@demo.rounds.app", None))
            .await
            .unwrap()
            .token
    }

    /// Moves an account with a manager's token already at hand.
    pub async fn move_account_as(
        &self,
        manager: &str,
        account: rounds_protocol::AccountId,
        to: rounds_protocol::TerritoryId,
    ) {
        let res = reqwest::Client::new()
            .post(format!(
                "{}/manage/accounts/{account}/territory",
                self.base()
            ))
            .bearer_auth(manager)
            .json(&serde_json::json!({ "territory_id": to }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "reassigned: {}", res.status());
    }

    /// How many copies of the activity the server holds.
    pub async fn copies_of(&self, logged: &rounds_store::LoggedActivity) -> i64 {
        let id = logged.activity.id.to_string();
        self.count(
            "SELECT count(*) FROM activities WHERE id = $1",
            vec![id.into()],
        )
        .await
    }
}

/// A `w`x`h` PNG of a colour gradient: a real picture for a photo (a browser draws it).
pub fn gradient_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().unwrap();
        let pixels: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).flat_map(move |x| [(x * 255 / w) as u8, (y * 255 / h) as u8, 160]))
            .collect();
        writer.write_image_data(&pixels).unwrap();
    }
    out
}
