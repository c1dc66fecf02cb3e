//! Call-rotation plans: how many touches of each kind a priority bucket gets per period.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::account::Priority;
use crate::activity::TouchKind;
use crate::calendar::Period;
use crate::id::PlanId;

/// Touches per period, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Touches {
    pub visits: u32,
    pub calls: u32,
    pub emails: u32,
}

impl Touches {
    pub const fn new(visits: u32, calls: u32, emails: u32) -> Self {
        Self {
            visits,
            calls,
            emails,
        }
    }

    pub fn get(&self, kind: TouchKind) -> u32 {
        match kind {
            TouchKind::Visit => self.visits,
            TouchKind::Call => self.calls,
            TouchKind::Email => self.emails,
        }
    }
}

/// What one priority bucket gets: e.g. high = 2 visits, 2 calls, 4 e-mails a month,
/// and how long its visits take unless an account says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BucketRule {
    pub period: Period,
    pub touches: Touches,
    /// The bucket's visit length in minutes (1 to 600); `None`: the rep's own default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit_minutes: Option<u16>,
}

/// One version of a plan, in force from `effective_from` (a local date) until the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanVersion {
    pub effective_from: NaiveDate,
    pub rules: BTreeMap<Priority, BucketRule>,
}

/// A call-rotation plan with its history, so a change mid-period pro-rates instead of
/// rewriting what was owed before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationPlan {
    pub id: PlanId,
    pub name: String,
    /// Sorted by `effective_from`, strictly increasing (see [`RotationPlan::new`]).
    versions: Vec<PlanVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a plan needs at least one version")]
    NoVersions,
    #[error("two plan versions take effect on {0}")]
    DuplicateDate(NaiveDate),
    #[error("{count} {kind} a {period} is more than one a workday ({max}) for {priority} priority")]
    TooManyTouches {
        priority: &'static str,
        kind: &'static str,
        count: u32,
        period: &'static str,
        max: u32,
    },
    #[error("a {priority} priority visit of {minutes} minutes: it lasts 1 to {max} minutes")]
    VisitMinutes {
        priority: &'static str,
        minutes: u16,
        max: u16,
    },
}

impl RotationPlan {
    /// Checks the versions: at least one, distinct dates, and no more than one touch of
    /// a kind per workday (5 a week, 20 a month, 60 a quarter) — more could never be met.
    pub fn new(
        id: PlanId,
        name: String,
        mut versions: Vec<PlanVersion>,
    ) -> Result<Self, PlanError> {
        if versions.is_empty() {
            return Err(PlanError::NoVersions);
        }
        versions.sort_by_key(|v| v.effective_from);
        for pair in versions.windows(2) {
            if pair[0].effective_from == pair[1].effective_from {
                return Err(PlanError::DuplicateDate(pair[0].effective_from));
            }
        }
        for v in &versions {
            for (priority, rule) in &v.rules {
                if let Some(minutes) = rule.visit_minutes
                    && crate::hours::visit_minutes(minutes).is_err()
                {
                    return Err(PlanError::VisitMinutes {
                        priority: priority.label(),
                        minutes,
                        max: crate::hours::MAX_VISIT_MINUTES,
                    });
                }
                let max = match rule.period {
                    Period::Week => 5,
                    Period::Month => 20,
                    Period::Quarter => 60,
                };
                for kind in TouchKind::ALL {
                    let count = rule.touches.get(kind);
                    if count > max {
                        return Err(PlanError::TooManyTouches {
                            priority: priority.label(),
                            kind: kind.plural(),
                            count,
                            period: rule.period.noun(),
                            max,
                        });
                    }
                }
            }
        }
        Ok(Self { id, name, versions })
    }

    /// A plan with a single version in force since `from`.
    pub fn single(
        id: PlanId,
        name: impl Into<String>,
        from: NaiveDate,
        rules: impl IntoIterator<Item = (Priority, BucketRule)>,
    ) -> Result<Self, PlanError> {
        Self::new(
            id,
            name.into(),
            vec![PlanVersion {
                effective_from: from,
                rules: rules.into_iter().collect(),
            }],
        )
    }

    pub fn versions(&self) -> &[PlanVersion] {
        &self.versions
    }

    /// The rule for a bucket in force on `day`, if any version was in force then.
    pub fn rule_on(&self, priority: Priority, day: NaiveDate) -> Option<&BucketRule> {
        let i = self.versions.partition_point(|v| v.effective_from <= day);
        self.versions[..i].last()?.rules.get(&priority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn monthly(v: u32, c: u32, e: u32) -> BucketRule {
        BucketRule {
            period: Period::Month,
            touches: Touches::new(v, c, e),
            visit_minutes: None,
        }
    }

    #[test]
    fn the_seeds_example_is_expressible() {
        let plan = RotationPlan::single(
            PlanId::from_uuid(Uuid::from_u128(1)),
            "Standard",
            d(1, 1),
            [(Priority::High, monthly(2, 2, 4))],
        )
        .unwrap();
        let rule = plan.rule_on(Priority::High, d(3, 3)).unwrap();
        assert_eq!(rule.period, Period::Month);
        assert_eq!(rule.touches, Touches::new(2, 2, 4));
        assert!(plan.rule_on(Priority::Low, d(3, 3)).is_none());
        assert!(
            plan.rule_on(
                Priority::High,
                NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
            )
            .is_none()
        );
    }

    #[test]
    fn versions_are_found_by_date() {
        let id = PlanId::from_uuid(Uuid::from_u128(1));
        let plan = RotationPlan::new(
            id,
            "p".into(),
            vec![
                PlanVersion {
                    effective_from: d(3, 16),
                    rules: [(Priority::High, monthly(4, 2, 4))].into(),
                },
                PlanVersion {
                    effective_from: d(1, 1),
                    rules: [(Priority::High, monthly(2, 2, 4))].into(),
                },
            ],
        )
        .unwrap();
        assert_eq!(
            plan.rule_on(Priority::High, d(3, 15))
                .unwrap()
                .touches
                .visits,
            2
        );
        assert_eq!(
            plan.rule_on(Priority::High, d(3, 16))
                .unwrap()
                .touches
                .visits,
            4
        );
    }

    #[test]
    fn impossible_plans_are_refused() {
        let id = PlanId::from_uuid(Uuid::from_u128(1));
        let weekly = BucketRule {
            period: Period::Week,
            touches: Touches::new(6, 0, 0),
            visit_minutes: None,
        };
        let err = RotationPlan::single(id, "p", d(1, 1), [(Priority::High, weekly)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "6 visits a week is more than one a workday (5) for high priority"
        );
        assert_eq!(
            RotationPlan::new(id, "p".into(), vec![]),
            Err(PlanError::NoVersions)
        );
        for (minutes, ok) in [(0, false), (1, true), (45, true), (600, true), (601, false)] {
            let rule = BucketRule {
                visit_minutes: Some(minutes),
                ..monthly(2, 0, 0)
            };
            let plan = RotationPlan::single(id, "p", d(1, 1), [(Priority::Medium, rule)]);
            assert_eq!(plan.is_ok(), ok, "{minutes} minutes: {plan:?}");
        }
        let err = RotationPlan::single(
            id,
            "p",
            d(1, 1),
            [(
                Priority::Low,
                BucketRule {
                    visit_minutes: Some(0),
                    ..monthly(1, 0, 0)
                },
            )],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a low priority visit of 0 minutes: it lasts 1 to 600 minutes"
        );
    }
}
