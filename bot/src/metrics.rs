//! What this process measures for `/metrics`: how long evaluations take (a histogram)
//! and how often a forge's rate limit made a delivery wait. Queue figures come from the
//! database (shared by every replica); these are per process. A dozen atomics do not
//! justify a metrics library.

use crate::event::ForgeKind;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the evaluation latency buckets, in seconds.
const BOUNDS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A Prometheus histogram (cumulative buckets, sum and count).
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations at or below each bound (not cumulative; summed when shown).
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Some(bucket) = BOUNDS
            .iter()
            .position(|b| secs <= *b)
            .and_then(|i| self.buckets.get(i))
        {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, name: &str, out: &mut String) {
        let mut cumulative = 0;
        for (bound, bucket) in BOUNDS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// Counters of one forge.
#[derive(Debug, Default)]
pub struct ForgeCounters {
    /// Deliveries put back to wait for a rate limit's reset (`Retry-After`,
    /// `x-ratelimit-reset`).
    pub rate_limit_waits: AtomicU64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// Time to handle one delivery (read the forge, evaluate, post), whatever the outcome.
    pub evaluation: Histogram,
    github: ForgeCounters,
    gitlab: ForgeCounters,
}

impl Metrics {
    pub fn forge(&self, kind: ForgeKind) -> &ForgeCounters {
        match kind {
            ForgeKind::GitHub => &self.github,
            ForgeKind::GitLab => &self.gitlab,
        }
    }

    /// The per-process part of `/metrics`; `api_calls` gives each forge's calls so far.
    pub fn render(&self, api_calls: impl Fn(ForgeKind) -> Option<u64>) -> String {
        let mut out = String::new();
        out.push_str("# TYPE signoff_evaluation_seconds histogram\n");
        self.evaluation
            .render("signoff_evaluation_seconds", &mut out);
        out.push_str("# TYPE signoff_forge_api_calls_total counter\n");
        for kind in [ForgeKind::GitHub, ForgeKind::GitLab] {
            if let Some(calls) = api_calls(kind) {
                let _ = writeln!(
                    out,
                    "signoff_forge_api_calls_total{{forge=\"{}\"}} {calls}",
                    kind.as_str()
                );
            }
        }
        out.push_str("# TYPE signoff_forge_rate_limit_waits_total counter\n");
        for kind in [ForgeKind::GitHub, ForgeKind::GitLab] {
            let waits = self.forge(kind).rate_limit_waits.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "signoff_forge_rate_limit_waits_total{{forge=\"{}\"}} {waits}",
                kind.as_str()
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative() {
        let m = Metrics::default();
        m.evaluation.observe(Duration::from_millis(3));
        m.evaluation.observe(Duration::from_millis(40));
        m.evaluation.observe(Duration::from_secs(60));
        let text = m.render(|_| None);
        assert!(
            text.contains("signoff_evaluation_seconds_bucket{le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("signoff_evaluation_seconds_bucket{le=\"0.05\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("signoff_evaluation_seconds_bucket{le=\"30\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("signoff_evaluation_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("signoff_evaluation_seconds_count 3\n"),
            "{text}"
        );
        assert!(
            text.contains("signoff_evaluation_seconds_sum 60.043\n"),
            "{text}"
        );
    }
}
