//! rounds-core integration tests: the cadence rules as named tables, their properties, and
//! the seeds' worked KPI examples.

mod cadence;
mod compliance;
mod days_off;
mod fixtures;
mod follow_up;
mod hours;
mod kpi;
mod location;
mod properties;
mod score;
mod stage;
mod workload;
