//! What the load tools share: a device's pull, latency percentiles and a process's
//! memory.

use std::time::Duration;

use rounds_client::ServerApi;

/// Pulls from `cursor` until the server has nothing more, as a device does; `cursor`
/// ends where the next pull starts.
pub async fn pull_to_end(api: &ServerApi, cursor: &mut Option<String>) -> anyhow::Result<()> {
    loop {
        let page = api.pull(cursor.as_deref()).await?;
        *cursor = Some(page.cursor);
        if !page.has_more {
            return Ok(());
        }
    }
}

/// The `p` quantile (0 to 1) of latencies sorted ascending; zero for none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Resident and peak memory of a process, in MiB (Linux `/proc`; zero elsewhere).
pub fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_latencies() {
        let ms = |n: u64| Duration::from_millis(n);
        let sorted: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&sorted, 0.5), ms(51));
        assert_eq!(percentile(&sorted, 0.95), ms(95));
        assert_eq!(percentile(&sorted, 0.99), ms(99));
        assert_eq!(percentile(&sorted, 1.0), ms(100));
        assert_eq!(percentile(&[], 0.99), Duration::ZERO);
        assert_eq!(percentile(&[ms(7)], 0.5), ms(7));
    }

    #[test]
    fn this_process_has_memory() {
        let (rss, peak) = memory_mib(std::process::id());
        assert!(rss > 0.0 && peak >= rss, "{rss} {peak}");
    }
}
