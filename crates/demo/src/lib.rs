//! `rounds-demo`: a demo organisation — a manager, three reps, three metro
//! territories of accounts placed at real ZIP-code places (GeoNames, CC BY 4.0; see
//! `assets/data/README.md`), a rotation plan, contacts and six months of activity
//! history. Deterministic: the same seed and `today` give the same rows, ids included.
//!
//! Over 600 lines on purpose: one generator, read top to bottom (people, places,
//! accounts, contacts, history); it is a tool, not part of the production server.

use chrono::{DateTime, Days, Duration, NaiveDate, TimeZone, Utc};
use rounds_core::calendar::{DateRange, WorkCalendar};
use rounds_core::{ActivityKind, Kare, LocationSource, Outcome, Period, Priority, Role, Stage};
use rounds_protocol::records::{
    AccountRecord, ActivityRecord, ContactRecord, FixRecord, PlanRecord, PlanRuleRecord,
    PlanVersionRecord,
};
use rounds_protocol::{AccountId, ActivityId, ContactId, PlanId, TerritoryId, UserId};
use rounds_territory::SplitMix;
use uuid::Uuid;

use rounds_server_db::Db;
use rounds_server_rules::org::{self, NewUser};
use rounds_server_rules::{Error, Result, Settings};

const ZIPS: &str = include_str!("../../../assets/data/us-zipcodes-metros.csv");

/// A small deterministic generator (SplitMix64, shared with territory design): the demo
/// must not change between runs.
#[derive(Debug, Clone)]
pub struct Rng(SplitMix);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(SplitMix(seed))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn unit(&mut self) -> f64 {
        self.0.unit()
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    /// A UUIDv7 for `at` whose random part comes from this generator.
    pub fn uuid_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut bytes = [0u8; 10];
        for b in &mut bytes {
            *b = self.below(256) as u8;
        }
        uuid::Builder::from_unix_timestamp_millis(
            u64::try_from(at.timestamp_millis()).unwrap_or(0),
            &bytes,
        )
        .into_uuid()
    }
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub today: NaiveDate,
    pub accounts_per_territory: usize,
    pub password: String,
    /// Also load the seeds' worked example (Dorne, The Westerlands, The Vale, The North).
    pub worked_example: bool,
    /// How many days of history run up to `today` ([`HISTORY_DAYS`] by default; a
    /// longer one makes a company's years of activity).
    pub history_days: u32,
    /// Also a company's hierarchy beside the demo's own team.
    pub company: Option<Company>,
}

/// A company-sized organisation: regions, each under a director, of teams, each under a
/// manager, of reps, each working a territory of `accounts_per_territory` accounts with
/// `history_days` of history. 4 × 5 × 10 with 500 accounts and 1,096 days is 200 reps,
/// 100,000 accounts and about ten million activities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Company {
    pub regions: usize,
    pub teams_per_region: usize,
    pub reps_per_team: usize,
}

impl std::str::FromStr for Company {
    type Err = String;

    /// `4x5x10`: regions × teams per region × reps per team.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let n: Vec<usize> = s
            .split('x')
            .map(|p| p.trim().parse::<usize>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| format!("“{s}” is not regions x teams x reps, like 4x5x10"))?;
        match n[..] {
            [regions, teams_per_region, reps_per_team]
                if n.iter().all(|&k| (1..=1000).contains(&k)) =>
            {
                Ok(Company {
                    regions,
                    teams_per_region,
                    reps_per_team,
                })
            }
            _ => Err(format!(
                "“{s}” is not regions x teams x reps (each 1 to 1000), like 4x5x10"
            )),
        }
    }
}

/// The company's region names, in turn (numbered past the fourth).
const REGIONS: [&str; 4] = ["West", "Central", "South", "East"];

/// The demo's history: half a year.
pub const HISTORY_DAYS: u32 = 183;

impl DemoOptions {
    /// How far before `today` people, territories and accounts begin: the half year of
    /// history plus as long again, or more for a longer history.
    fn back(&self) -> i64 {
        i64::from(self.history_days.max(HISTORY_DAYS)) + 217
    }
}

#[derive(Debug, Clone)]
struct Zip {
    zip: String,
    lat: f64,
    lon: f64,
    city: String,
    state: String,
}

fn zips() -> Vec<Zip> {
    ZIPS.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some(Zip {
                zip: f.first()?.to_string(),
                lat: f.get(1)?.parse().ok()?,
                lon: f.get(2)?.parse().ok()?,
                city: f.get(3)?.to_string(),
                state: f.get(4)?.to_string(),
            })
        })
        .collect()
}

struct Metro {
    name: &'static str,
    center: (f64, f64),
    tz: &'static str,
    rep: (&'static str, &'static str),
}

const METROS: [Metro; 3] = [
    Metro {
        name: "Denver Metro",
        center: (39.7392, -104.9903),
        tz: "America/Denver",
        rep: ("Dana Reyes", "dana@demo.rounds.app"),
    },
    Metro {
        name: "Atlanta Metro",
        center: (33.7490, -84.3880),
        tz: "America/New_York",
        rep: ("Marcus Hill", "marcus@demo.rounds.app"),
    },
    Metro {
        name: "Dallas Metro",
        center: (32.7767, -96.7970),
        tz: "America/Chicago",
        rep: ("Priya Shah", "priya@demo.rounds.app"),
    },
];

const FIRST: [&str; 16] = [
    "Summit",
    "Cedar",
    "Blue Ridge",
    "Lakeside",
    "Pioneer",
    "Redstone",
    "Harbor",
    "Maple",
    "Ironwood",
    "Prairie",
    "Silver",
    "Granite",
    "Aspen",
    "Riverbend",
    "Oak Hill",
    "Northgate",
];
const SECOND: [&str; 12] = [
    "Dental",
    "Veterinary Clinic",
    "Family Practice",
    "Pharmacy",
    "Orthodontics",
    "Urgent Care",
    "Physical Therapy",
    "Eye Care",
    "Pediatrics",
    "Dermatology",
    "Medical Group",
    "Wellness",
];
const STREETS: [&str; 10] = [
    "Main St",
    "Oak Ave",
    "Elm St",
    "Park Blvd",
    "Washington Ave",
    "Lake Dr",
    "Hill Rd",
    "Market St",
    "Broadway",
    "Church St",
];
const PEOPLE: [&str; 16] = [
    "Alex Kim",
    "Jordan Lee",
    "Sam Patel",
    "Taylor Brooks",
    "Morgan Diaz",
    "Casey Nguyen",
    "Riley Chen",
    "Jamie Ortiz",
    "Avery Wright",
    "Quinn Foster",
    "Drew Hughes",
    "Rowan Price",
    "Skyler Ward",
    "Emerson Cole",
    "Harper Bell",
    "Reese Howard",
];
const TITLES: [&str; 5] = [
    "Office Manager",
    "Owner",
    "Practice Manager",
    "Purchasing Lead",
    "Director",
];

fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    6371.0 * 2.0 * h.sqrt().asin()
}

/// The demo's rotation plan. High is the seeds' example (2 visits, 2 calls, 4 e-mails a
/// month). Medium accounts are on a telephone rotation — an order call every workday and
/// an e-mail a week — which is also what makes every day of the demo show work due: a
/// monthly plan spreads its touches over the month, so nothing of it falls due in the
/// first days of a month, and only a touch every workday is due on a Monday.
fn demo_plan(id: PlanId, from: NaiveDate) -> PlanRecord {
    PlanRecord {
        id,
        name: "Standard rotation".into(),
        versions: vec![PlanVersionRecord {
            effective_from: from,
            rules: DEMO_RULES.to_vec(),
        }],
    }
}

const fn rule(
    priority: Priority,
    period: Period,
    visits: u32,
    calls: u32,
    emails: u32,
) -> PlanRuleRecord {
    PlanRuleRecord {
        priority,
        period,
        visits,
        calls,
        emails,
        visit_minutes: None,
    }
}

const DEMO_RULES: [PlanRuleRecord; 3] = [
    rule(Priority::High, Period::Month, 2, 2, 4),
    rule(Priority::Medium, Period::Week, 0, 5, 1),
    rule(Priority::Low, Period::Quarter, 1, 1, 1),
];

/// The history an account gets: for every period of its bucket from `first` to the day
/// before `today`, each kind's planned touches times the account's `diligence` (the
/// current period pro rata, by workdays gone), on random workdays, at a working hour.
fn history(
    rng: &mut Rng,
    rule: &PlanRuleRecord,
    first: NaiveDate,
    today: NaiveDate,
    diligence: f64,
) -> Vec<(ActivityKind, DateTime<Utc>)> {
    let calendar = WorkCalendar::default();
    let mut touches = Vec::new();
    let mut period = rule.period.bounds(first);
    while period.start < today {
        let from = period.start.max(first);
        let whole = calendar.workdays(DateRange::new(from, period.end));
        let gone = calendar.workdays(DateRange::new(from, period.end.min(today - Days::new(1))));
        if !whole.is_empty() && !gone.is_empty() {
            let share = gone.len() as f64 / whole.len() as f64 * diligence;
            for (kind, planned) in [
                (ActivityKind::Visit, rule.visits),
                (ActivityKind::Call, rule.calls),
                (ActivityKind::Email, rule.emails),
            ] {
                let expected = f64::from(planned) * share;
                let n = expected.floor() as u64 + u64::from(rng.unit() < expected.fract());
                for _ in 0..n {
                    let day = *rng.pick(&gone);
                    touches.push((kind, work_time(rng, day)));
                }
            }
        }
        period = rule.period.bounds(period.end + Days::new(1));
    }
    touches
}

/// A working hour on `day` in the demo's zones (14:00–23:00 UTC is 7:00–18:00 from Denver
/// to Atlanta, the same local date).
fn work_time(rng: &mut Rng, day: NaiveDate) -> DateTime<Utc> {
    let secs = 14 * 3600 + rng.below(9 * 3600) as i64;
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default()) + Duration::seconds(secs)
}

/// Progress is reported through this callback: (step, done, total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub users: usize,
    pub territories: usize,
    pub accounts: usize,
    pub contacts: usize,
    pub activities: usize,
}

pub async fn seed(
    db: &Db,
    settings: &Settings,
    opts: &DemoOptions,
    progress: Progress<'_>,
) -> Result<DemoSummary> {
    let mut rng = Rng::new(opts.seed);
    let hash = {
        let (pw, s) = (opts.password.clone(), settings.clone());
        tokio::task::spawn_blocking(move || rounds_server_rules::auth::hash_password(&pw, &s))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    let today = opts.today;
    let anchor = Utc.from_utc_datetime(&today.and_hms_opt(12, 0, 0).unwrap_or_default());
    let history_start = today - Days::new(u64::from(opts.history_days));
    let mut summary = DemoSummary::default();
    let back = opts.back();

    let manager_id = UserId::from_uuid(rng.uuid_at(anchor - Duration::days(back)));
    // Not drawn from the generator, so the rest of the demo stays as it was.
    let admin_id = UserId::from_uuid(
        uuid::Builder::from_unix_timestamp_millis(
            u64::try_from((anchor - Duration::days(back)).timestamp_millis()).unwrap_or(0),
            &[0xad; 10],
        )
        .into_uuid(),
    );
    // The director over the manager, made the same way.
    let director_id = UserId::from_uuid(
        uuid::Builder::from_unix_timestamp_millis(
            u64::try_from((anchor - Duration::days(back)).timestamp_millis()).unwrap_or(0),
            &[0xd1; 10],
        )
        .into_uuid(),
    );
    let reps: Vec<UserId> = METROS
        .iter()
        .map(|_| UserId::from_uuid(rng.uuid_at(anchor - Duration::days(back))))
        .collect();
    let plan = demo_plan(
        PlanId::from_uuid(rng.uuid_at(anchor - Duration::days(back))),
        history_start,
    );
    {
        let (hash, reps) = (hash.clone(), reps.clone());
        let plan = plan.clone();
        db.write(move |tx| {
            let mk = |id: UserId, email: &str, name: &str, role, manager, tz: &str| {
                (
                    id,
                    NewUser {
                        email: email.into(),
                        name: name.into(),
                        role,
                        password_hash: hash.clone(),
                        manager,
                        time_zone: tz.into(),
                    },
                )
            };
            let mut users = vec![
                mk(
                    director_id,
                    "director@demo.rounds.app",
                    "Robin Director",
                    Role::Director,
                    None,
                    "America/Chicago",
                ),
                mk(
                    manager_id,
                    "manager@demo.rounds.app",
                    "Morgan Avery",
                    Role::Manager,
                    Some(director_id),
                    "America/Chicago",
                ),
                // The organisation's rotation plan is an administrator's to change.
                mk(
                    admin_id,
                    "admin@demo.rounds.app",
                    "Alex Admin",
                    Role::Admin,
                    None,
                    "America/Chicago",
                ),
            ];
            for (m, id) in METROS.iter().zip(&reps) {
                users.push(mk(*id, m.rep.1, m.rep.0, Role::Rep, Some(manager_id), m.tz));
            }
            for (id, u) in users {
                org::add_user_with_id(tx, id, &u, anchor)?;
            }
            org::upsert_plan(tx, &plan)
        })
        .await?;
    }
    summary.users = 3 + reps.len();
    progress("users and plan", 1, 1);

    let zips = zips();
    for (mi, metro) in METROS.iter().enumerate() {
        let mut places: Vec<&Zip> = zips
            .iter()
            .filter(|z| distance_km(metro.center, (z.lat, z.lon)) < 60.0)
            .collect();
        places.sort_by(|a, b| a.zip.cmp(&b.zip));
        let territory = TerritoryId::from_uuid(rng.uuid_at(anchor - Duration::days(back - 10)));
        let MetroRows {
            accounts,
            contacts,
            activities,
        } = metro_rows(&mut rng, &places, territory, reps[mi], opts, anchor);
        let rep = reps[mi];
        summary.territories += 1;
        summary.accounts += accounts.len();
        summary.contacts += contacts.len();
        summary.activities += activities.len();
        let total = accounts.len();
        let name = metro.name;
        let since = anchor - Duration::days(back);
        db.write(move |tx| {
            org::create_territory(tx, territory, name, Some(rep))?;
            for a in &accounts {
                org::create_account(tx, a, since)?;
            }
            for c in &contacts {
                org::create_contact(tx, c)?;
            }
            for a in &activities {
                org::insert_activity(tx, a, Some(territory), None)?;
            }
            Ok::<_, Error>(())
        })
        .await?;
        progress(name, total, total);
    }
    if opts.worked_example {
        worked_example(db, &mut rng, today, anchor).await?;
        summary.territories += 4;
        summary.accounts += 18 + 23 + 22 + 32;
        progress("worked example", 1, 1);
    }
    if let Some(c) = opts.company {
        company(db, &mut rng, opts, c, &hash, anchor, &mut summary, progress).await?;
    }
    Ok(summary)
}

/// Seeds `c` after the demo's own rows (so those stay as they are): for each region a
/// director, each team a manager under them, each rep a territory near one of the demo's
/// metros, grouped in the region. Users are `director1@`, `manager1-2@` and
/// `rep1-2-3@company.rounds.app` (region 1, team 2, rep 3), with the demo's password.
#[allow(clippy::too_many_arguments)] // One call, from `seed`, with its own state.
async fn company(
    db: &Db,
    rng: &mut Rng,
    opts: &DemoOptions,
    c: Company,
    hash: &str,
    anchor: DateTime<Utc>,
    summary: &mut DemoSummary,
    progress: Progress<'_>,
) -> Result<()> {
    let since = anchor - Duration::days(opts.back());
    let zips = zips();
    let metro_places: Vec<Vec<&Zip>> = METROS
        .iter()
        .map(|m| {
            let mut p: Vec<&Zip> = zips
                .iter()
                .filter(|z| distance_km(m.center, (z.lat, z.lon)) < 60.0)
                .collect();
            p.sort_by(|a, b| a.zip.cmp(&b.zip));
            p
        })
        .collect();
    let reps_total = c.regions * c.teams_per_region * c.reps_per_team;
    let mut done = 0;
    for r in 0..c.regions {
        let region = match REGIONS.get(r) {
            Some(name) => (*name).to_owned(),
            None => format!("Region {}", r + 1),
        };
        let director = UserId::from_uuid(rng.uuid_at(since));
        let mut users = vec![(
            director,
            NewUser {
                email: format!("director{}@company.rounds.app", r + 1),
                name: format!("{region} Director"),
                role: Role::Director,
                password_hash: hash.to_owned(),
                manager: None,
                time_zone: "America/Chicago".into(),
            },
        )];
        let mut reps = Vec::new();
        for t in 0..c.teams_per_region {
            let manager = UserId::from_uuid(rng.uuid_at(since));
            let metro = &METROS[(r * c.teams_per_region + t) % METROS.len()];
            users.push((
                manager,
                NewUser {
                    email: format!("manager{}-{}@company.rounds.app", r + 1, t + 1),
                    name: format!("{region} Team {} Manager", t + 1),
                    role: Role::Manager,
                    password_hash: hash.to_owned(),
                    manager: Some(director),
                    time_zone: metro.tz.into(),
                },
            ));
            for p in 0..c.reps_per_team {
                let rep = UserId::from_uuid(rng.uuid_at(since));
                users.push((
                    rep,
                    NewUser {
                        email: format!("rep{}-{}-{}@company.rounds.app", r + 1, t + 1, p + 1),
                        name: format!("{region} {}.{} Rep", t + 1, p + 1),
                        role: Role::Rep,
                        password_hash: hash.to_owned(),
                        manager: Some(manager),
                        time_zone: metro.tz.into(),
                    },
                ));
                reps.push((rep, (r * c.teams_per_region + t) % METROS.len(), t, p));
            }
        }
        summary.users += users.len();
        db.write(move |tx| {
            for (id, u) in &users {
                org::add_user_with_id(tx, *id, u, since)?;
            }
            Ok::<_, Error>(())
        })
        .await?;
        for (rep, metro, t, p) in reps {
            let territory = TerritoryId::from_uuid(rng.uuid_at(since + Duration::days(10)));
            let rows = metro_rows(rng, &metro_places[metro], territory, rep, opts, anchor);
            summary.territories += 1;
            summary.accounts += rows.accounts.len();
            summary.contacts += rows.contacts.len();
            summary.activities += rows.activities.len();
            let name = format!("{region} {}.{}", t + 1, p + 1);
            let region = region.clone();
            db.write(move |tx| {
                org::create_territory(tx, territory, &name, Some(rep))?;
                rounds_server_rules::regions::assign(
                    tx,
                    &rounds_server_rules::manage::Reach::All,
                    &[(territory, Some(region.clone()))],
                    since,
                )?;
                for a in &rows.accounts {
                    org::create_account(tx, a, since)?;
                }
                for c in &rows.contacts {
                    org::create_contact(tx, c)?;
                }
                for a in &rows.activities {
                    org::insert_activity(tx, a, Some(territory), None)?;
                }
                Ok::<_, Error>(())
            })
            .await?;
            done += 1;
            progress("company territories", done, reps_total);
        }
    }
    Ok(())
}

/// Opening hours as shops have them: most open on weekdays, some close for lunch or on
/// Wednesdays, some open Saturday morning, some unknown. Taken from the account's number,
/// not the generator, so the rest of the demo is the same with or without them.
fn demo_hours(i: usize) -> Option<String> {
    match i % 8 {
        1 | 5 => Some("Mo-Fr 08:00-17:00".into()),
        2 => Some("Mo-Fr 09:00-12:30,13:30-18:00; Sa 09:00-12:00".into()),
        6 => Some("Mo-Tu 10:00-16:00; Th-Fr 10:00-16:00".into()),
        _ => None,
    }
}

/// Closed dates as shops have them: one in ten closes for a stocktaking day later this
/// week or next, so a demo week shows a visit planned around it. Taken from the
/// account's number, like [`demo_hours`].
fn demo_closed(i: usize, today: NaiveDate) -> Option<String> {
    (i % 10 == 3).then(|| (today + Days::new(2 + (i % 4) as u64)).to_string())
}

/// One territory's generated rows.
struct MetroRows {
    accounts: Vec<AccountRecord>,
    contacts: Vec<ContactRecord>,
    activities: Vec<ActivityRecord>,
}

/// A territory's accounts at `places`, their contacts and six months of history up to the
/// day before `anchor` (no I/O: the demo's data is a function of the generator's state).
fn metro_rows(
    rng: &mut Rng,
    places: &[&Zip],
    territory: TerritoryId,
    rep: UserId,
    opts: &DemoOptions,
    anchor: DateTime<Utc>,
) -> MetroRows {
    let today = opts.today;
    let history_start = today - Days::new(u64::from(opts.history_days));
    let mut accounts = Vec::new();
    let mut contacts = Vec::new();
    let mut activities = Vec::new();
    for i in 0..opts.accounts_per_territory {
        let z = *rng.pick(places);
        let created_at = anchor - Duration::days(opts.back() - 200 + rng.below(160) as i64);
        let id = AccountId::from_uuid(rng.uuid_at(created_at));
        // Three in ten High, four Medium, three Low, spread so that even a small territory
        // has accounts of every bucket (the first is Medium).
        let priority = match (i * 3 + 3) % 10 {
            0..=2 => Priority::High,
            3..=6 => Priority::Medium,
            _ => Priority::Low,
        };
        let stage = match rng.below(10) {
            0..=5 => Stage::Customer,
            6..=7 => Stage::Opportunity,
            8 => Stage::Lead,
            _ => Stage::Lost,
        };
        let lead_on = created_at.date_naive();
        let opp_on = (stage != Stage::Lead).then(|| lead_on + Days::new(10 + rng.below(40)));
        let won_on = (stage == Stage::Customer)
            .then(|| opp_on.unwrap_or(lead_on) + Days::new(10 + rng.below(60)));
        let revenue = 10_000 + rng.below(90) as i64 * 1_000;
        let jitter = |r: &mut Rng| (r.unit() - 0.5) * 0.008;
        // Potential is not revenue (1.2 to 3 times it here). Most accounts have a figure
        // set by the company, some only their rep's estimate, one in eleven neither (the
        // pages count those). Drawn from `i`, so the random stream stays as it was.
        let factor = |base: i64, step: i64, n: usize| base + (i % n) as i64 * step;
        let (potential_minor, potential_estimate_minor) = match i % 11 {
            10 => (None, None),
            3 | 7 => (None, Some(revenue * factor(150, 40, 4))),
            _ => (Some(revenue * factor(120, 45, 5)), None),
        };
        let rec = AccountRecord {
            id,
            name: format!("{} {} {}", rng.pick(&FIRST), rng.pick(&SECOND), i + 1),
            street: format!("{} {}", 100 + rng.below(9_800), rng.pick(&STREETS)),
            city: z.city.clone(),
            region: z.state.clone(),
            postal_code: z.zip.clone(),
            country: "US".into(),
            lat: Some(z.lat + jitter(rng)),
            lon: Some(z.lon + jitter(rng)),
            stage,
            priority,
            kare: Some(*rng.pick(&Kare::ALL)),
            currency: "USD".into(),
            revenue_minor: revenue * 100,
            expenses_minor: (revenue * (30 + rng.below(50) as i64) / 100) * 100,
            phone: Some(format!("+1 555 01{:02}", rng.below(100))),
            email: None,
            industry: Some("Healthcare".into()),
            territory_id: Some(territory),
            created_at,
            lead_on: Some(lead_on),
            opportunity_on: opp_on,
            won_on,
            lost_on: (stage == Stage::Lost).then(|| lead_on + Days::new(30)),
            hours: demo_hours(i),
            visit_minutes: (i % 6 == 5).then_some(60),
            closed_on: demo_closed(i, today),
            preferred_hours: None,
            potential_minor,
            potential_estimate_minor,
            // Their addresses' places, with one in thirteen pinned by its rep at the door.
            location_source: Some(if i % 13 == 5 {
                LocationSource::Device
            } else {
                LocationSource::Address
            }),
        };
        for c in 0..(1 + rng.below(2)) {
            contacts.push(ContactRecord {
                id: ContactId::from_uuid(rng.uuid_at(created_at)),
                account_id: id,
                name: rng.pick(&PEOPLE).to_string(),
                title: Some(rng.pick(&TITLES).to_string()),
                phone: Some(format!("+1 555 02{:02}", rng.below(100))),
                email: None,
                primary: c == 0,
            });
        }
        // Six months of touches: what the plan asks, times how diligently this
        // account is worked (some fall behind, and show as overdue or at risk).
        let diligence = 0.55 + 0.4 * rng.unit();
        let rule = DEMO_RULES
            .iter()
            .find(|r| r.priority == priority)
            .expect("every bucket has a rule");
        let first = history_start.max(created_at.date_naive());
        for (kind, at) in history(rng, rule, first, today, diligence) {
            activities.push(ActivityRecord {
                id: ActivityId::from_uuid(rng.uuid_at(at)),
                account_id: id,
                rep_id: rep,
                contact_id: None,
                kind,
                occurred_at: at,
                duration_min: (kind == ActivityKind::Visit).then_some(20 + rng.below(40) as u32),
                outcome: Some(*rng.pick(&[
                    Outcome::Reached,
                    Outcome::LeftMessage,
                    Outcome::NoAnswer,
                    Outcome::MeetingBooked,
                    Outcome::OrderTaken,
                ])),
                note: None,
                fix: (kind == ActivityKind::Visit).then(|| FixRecord {
                    lat: rec.lat.unwrap_or(z.lat) + jitter(rng) / 10.0,
                    lon: rec.lon.unwrap_or(z.lon) + jitter(rng) / 10.0,
                    accuracy_m: 15.0,
                }),
            });
        }
        accounts.push(rec);
    }
    MetroRows {
        accounts,
        contacts,
        activities,
    }
}

/// The seeds' worked example: four territories whose funnels this quarter are Dorne
/// 18 leads / 5 opportunities / 3 new accounts, The Westerlands 23/8/4, The Vale 22/6/2,
/// The North 32/11/5; and Dorne 1–3 with the seeds' revenue and expenses.
async fn worked_example(
    db: &Db,
    rng: &mut Rng,
    today: NaiveDate,
    anchor: DateTime<Utc>,
) -> Result<()> {
    let quarter = Period::Quarter.bounds(today);
    let mut plan = Vec::new();
    for (name, leads, opps, won) in [
        ("Dorne", 18, 5, 3),
        ("The Westerlands", 23, 8, 4),
        ("The Vale", 22, 6, 2),
        ("The North", 32, 11, 5),
    ] {
        let t = TerritoryId::from_uuid(rng.uuid_at(anchor));
        let mut accounts = Vec::new();
        for i in 0..leads {
            let created_at =
                Utc.from_utc_datetime(&quarter.start.and_hms_opt(15, 0, 0).unwrap_or_default());
            let (revenue, expenses) = match (name, i) {
                ("Dorne", 0) => (39_000, 17_000),
                ("Dorne", 1) => (42_000, 28_000),
                ("Dorne", 2) => (47_000, 28_000),
                _ => (0, 0),
            };
            let stage = if i < won {
                Stage::Customer
            } else if i < opps {
                Stage::Opportunity
            } else {
                Stage::Lead
            };
            accounts.push(AccountRecord {
                id: AccountId::from_uuid(rng.uuid_at(created_at)),
                name: format!("{name} {}", i + 1),
                street: String::new(),
                city: String::new(),
                region: String::new(),
                postal_code: String::new(),
                country: String::new(),
                lat: None,
                lon: None,
                stage,
                priority: Priority::Medium,
                kare: None,
                currency: "USD".into(),
                revenue_minor: revenue * 100,
                expenses_minor: expenses * 100,
                phone: None,
                email: None,
                industry: None,
                territory_id: Some(t),
                created_at,
                lead_on: Some(quarter.start),
                opportunity_on: (i < opps).then_some(quarter.start),
                won_on: (i < won).then_some(quarter.start),
                lost_on: None,
                hours: None,
                visit_minutes: None,
                closed_on: None,
                preferred_hours: None,
                potential_minor: None,
                potential_estimate_minor: None,
                location_source: None,
            });
        }
        plan.push((t, name, accounts));
    }
    db.write(move |tx| {
        for (t, name, accounts) in &plan {
            org::create_territory(tx, *t, name, None)?;
            for a in accounts {
                org::create_account(tx, a, a.created_at)?;
            }
        }
        Ok::<_, Error>(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;
    use rounds_core::calendar::{local_date, start_of_day};
    use rounds_core::{Account, Activity, CadenceEngine, RotationPlan, Tz};

    use super::*;

    #[test]
    fn the_generator_is_deterministic() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(a.uuid_at(at), b.uuid_at(at), "same seed, same ids");
        assert_eq!(a.next_u64(), b.next_u64());
    }

    /// What Today would list for `metro`'s rep at `now` if the demo were seeded for
    /// `seeded_for`: the accounts due, overdue or at risk in the rep's zone `tz`.
    fn due_for(metro: &Metro, seeded_for: NaiveDate, now: DateTime<Utc>, tz: Tz) -> usize {
        let zips = zips();
        let places: Vec<&Zip> = zips
            .iter()
            .filter(|z| distance_km(metro.center, (z.lat, z.lon)) < 60.0)
            .collect();
        let opts = DemoOptions {
            seed: 7,
            today: seeded_for,
            accounts_per_territory: 20,
            password: String::new(),
            worked_example: false,
            history_days: HISTORY_DAYS,
            company: None,
        };
        let anchor = Utc.from_utc_datetime(&seeded_for.and_hms_opt(12, 0, 0).unwrap());
        let mut rng = Rng::new(u64::from(seeded_for.ordinal()) + 1000 * seeded_for.year() as u64);
        let territory = TerritoryId::from_uuid(rng.uuid_at(anchor));
        let rep = UserId::from_uuid(rng.uuid_at(anchor));
        let rows = metro_rows(&mut rng, &places, territory, rep, &opts, anchor);
        let plan = RotationPlan::try_from(&demo_plan(
            PlanId::from_uuid(rng.uuid_at(anchor)),
            seeded_for - Days::new(183),
        ))
        .unwrap();
        let calendar = WorkCalendar::default();
        let engine = CadenceEngine::new(&plan, local_date(tz, now), tz, &calendar);
        let activities: Vec<Activity> = rows
            .activities
            .iter()
            .map(|a| Activity::try_from(a).unwrap())
            .collect();
        rows.accounts
            .iter()
            .map(|a| Account::try_from(a).unwrap())
            .filter(|a| {
                let mine: Vec<Activity> = activities
                    .iter()
                    .filter(|x| x.account_id == a.id)
                    .cloned()
                    .collect();
                engine.evaluate(a, &mine).is_due()
            })
            .count()
    }

    /// A newcomer runs the demo on any day: whatever the day's place in its week, month
    /// or quarter (the 1st, the last, 29 February, the days the clocks change, weekends),
    /// every rep has accounts due, overdue or at risk.
    #[test]
    fn every_day_of_a_leap_year_has_work_due_for_every_rep() {
        let mut day = NaiveDate::from_ymd_opt(2028, 1, 1).unwrap();
        while day.year() == 2028 {
            for metro in &METROS {
                let tz: Tz = metro.tz.parse().unwrap();
                // Mid-morning in the rep's zone.
                let now = start_of_day(tz, day) + Duration::hours(10);
                let due = due_for(metro, day, now, tz);
                assert!(due > 0, "{}: nothing due on {day}", metro.rep.1);
            }
            day = day + Days::new(1);
        }
    }

    /// 31 December, late evening UTC: the demo is seeded for the 31st (the server's date)
    /// while a rep in Auckland already lives on the 1st of January.
    #[test]
    fn a_rep_already_in_the_new_year_has_work_due() {
        let tz: Tz = "Pacific/Auckland".parse().unwrap();
        for year in [2026, 2027, 2028] {
            let now = Utc.with_ymd_and_hms(year, 12, 31, 23, 30, 0).unwrap();
            assert_eq!(
                local_date(tz, now).ordinal(),
                1,
                "already the 1st in Auckland"
            );
            let due = due_for(&METROS[0], now.date_naive(), now, tz);
            assert!(due > 0, "nothing due on 1 January {}", year + 1);
        }
    }

    #[test]
    fn every_metro_has_enough_distinct_places() {
        let zips = zips();
        for m in METROS {
            let n = zips
                .iter()
                .filter(|z| distance_km(m.center, (z.lat, z.lon)) < 60.0)
                .count();
            assert!(n > 100, "{}: {n} ZIP places", m.name);
        }
    }
}
