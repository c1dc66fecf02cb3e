//! The whole Today computation for a large territory held in memory: 50,000 accounts and
//! 1,000,000 activities over the current and previous month. Target: < 100 ms.

use chrono::{Days, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rounds_core::{
    Account, AccountId, Activity, ActivityId, ActivityKind, Address, BucketRule, CadenceEngine,
    Currency, Money, Period, PlanId, Priority, RepId, RotationPlan, Stage, StageDates, Touches, Tz,
    WorkCalendar,
};
use uuid::Uuid;

const ACCOUNTS: usize = 50_000;
const ACTIVITIES_PER_ACCOUNT: usize = 20;

/// A tiny deterministic generator so the data is the same in every run.
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn territory(today: NaiveDate) -> (Vec<Account>, Vec<Vec<Activity>>) {
    let mut rng = SplitMix(42);
    let rep = RepId::from_uuid(Uuid::from_u128(7));
    let start = Utc.from_utc_datetime(&(today - Days::new(60)).and_hms_opt(0, 0, 0).unwrap());
    let mut accounts = Vec::with_capacity(ACCOUNTS);
    let mut activities = Vec::with_capacity(ACCOUNTS);
    for i in 0..ACCOUNTS {
        let priority = Priority::ALL[i % 3];
        // One account in fifty was created this month: its window is pro-rated.
        let created_days = if i % 50 == 0 { rng.next() % 20 } else { 400 };
        let account = Account {
            id: AccountId::from_uuid(Uuid::from_u128(i as u128 + 1)),
            name: format!("Account {i:05}"),
            address: Address::default(),
            location: None,
            stage: Stage::Customer,
            stage_dates: StageDates::default(),
            priority,
            kare: None,
            revenue: Money::zero(Currency::USD),
            expenses: Money::zero(Currency::USD),
            phone: None,
            email: None,
            industry: None,
            territory: None,
            hours: None,
            visit_minutes: None,
            created_at: Utc.from_utc_datetime(
                &(today - Days::new(created_days))
                    .and_hms_opt(9, 0, 0)
                    .unwrap(),
            ),
            closed_on: Default::default(),
            preferred_hours: None,
            potential: None,
            potential_estimate: None,
            location_source: None,
        };
        let acts = (0..ACTIVITIES_PER_ACCOUNT)
            .map(|j| Activity {
                id: ActivityId::from_uuid(Uuid::from_u128(((i as u128) << 32) | j as u128)),
                account_id: account.id,
                rep_id: rep,
                contact_id: None,
                kind: [
                    ActivityKind::Visit,
                    ActivityKind::Call,
                    ActivityKind::Email,
                    ActivityKind::Note,
                ][(rng.next() % 4) as usize],
                occurred_at: start + chrono::Duration::seconds((rng.next() % (60 * 86_400)) as i64),
                duration_min: None,
                outcome: None,
                note: None,
                fix: None,
            })
            .collect();
        accounts.push(account);
        activities.push(acts);
    }
    (accounts, activities)
}

fn today_list(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 3, 18).unwrap();
    let tz: Tz = "America/Chicago".parse().unwrap();
    let plan = RotationPlan::single(
        PlanId::from_uuid(Uuid::from_u128(1)),
        "Standard",
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        [
            (
                Priority::High,
                BucketRule {
                    period: Period::Month,
                    touches: Touches::new(2, 2, 4),
                    visit_minutes: None,
                },
            ),
            (
                Priority::Medium,
                BucketRule {
                    period: Period::Month,
                    touches: Touches::new(1, 2, 2),
                    visit_minutes: None,
                },
            ),
            (
                Priority::Low,
                BucketRule {
                    period: Period::Quarter,
                    touches: Touches::new(1, 1, 1),
                    visit_minutes: None,
                },
            ),
        ],
    )
    .unwrap();
    let calendar = WorkCalendar::default();
    let (accounts, activities) = territory(today);
    let total: usize = activities.iter().map(Vec::len).sum();
    assert_eq!(total, 1_000_000);

    let mut group = c.benchmark_group("today");
    group.sample_size(20);
    group.bench_function("50k_accounts_1m_activities", |b| {
        b.iter(|| {
            let engine = CadenceEngine::new(&plan, today, tz, &calendar);
            let list = engine.today_list(
                accounts
                    .iter()
                    .zip(&activities)
                    .map(|(a, acts)| (a, acts.as_slice())),
            );
            std::hint::black_box(list.len())
        })
    });
    // Baseline in the same run: one pass that only reads every activity's timestamp, the
    // floor any Today computation over this data must pay.
    group.bench_function("baseline_touch_every_activity", |b| {
        b.iter(|| {
            let mut n = 0i64;
            for acts in &activities {
                for a in acts {
                    n = n.wrapping_add(a.occurred_at.timestamp());
                }
            }
            std::hint::black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, today_list);
criterion_main!(benches);
