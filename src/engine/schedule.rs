//! When each monitor is checked next: its interval, jittered so that many monitors
//! do not fire in lockstep, and backed off (capped) while its source cannot be read.

use super::transition::Streak;
use crate::monitor::CheckError;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Longest a failing monitor waits between attempts, unless its own interval is longer.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// ±10% spread on every delay.
const JITTER: f64 = 0.1;

#[derive(Debug, Clone)]
pub struct MonitorRuntime {
    pub streak: Streak,
    pub next_due: DateTime<Utc>,
    /// Unreadable checks in a row.
    pub failures: u32,
}

impl Default for MonitorRuntime {
    fn default() -> Self {
        MonitorRuntime {
            streak: Streak::default(),
            next_due: DateTime::<Utc>::MIN_UTC,
            failures: 0,
        }
    }
}

impl MonitorRuntime {
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.next_due <= now
    }

    pub fn after_check(
        &mut self,
        error: Option<&CheckError>,
        interval: Duration,
        now: DateTime<Utc>,
    ) {
        self.failures = if error.is_some() {
            self.failures.saturating_add(1)
        } else {
            0
        };
        let mut delay = jitter(backoff(interval, self.failures), fastrand::f64());
        let wait = match error {
            Some(CheckError::RateLimited {
                retry_after_secs: Some(secs),
            })
            | Some(CheckError::Throttled {
                retry_after_secs: secs,
            }) => Some(*secs),
            _ => None,
        };
        if let Some(secs) = wait {
            delay = delay.max(Duration::from_secs(secs));
        }
        self.next_due = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
    }
}

/// The interval, doubled per failure in a row, capped at the larger of the interval
/// and [`MAX_BACKOFF`].
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let cap = interval.max(MAX_BACKOFF);
    interval.saturating_mul(1u32 << failures.min(16)).min(cap)
}

/// Spread `delay` by ±[`JITTER`]; `unit` is a uniform draw from [0, 1).
pub fn jitter(delay: Duration, unit: f64) -> Duration {
    delay.mul_f64(1.0 + JITTER * (2.0 * unit - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let i = Duration::from_secs(60);
        assert_eq!(backoff(i, 0), i);
        assert_eq!(backoff(i, 1), Duration::from_secs(120));
        assert_eq!(backoff(i, 2), Duration::from_secs(240));
        assert_eq!(backoff(i, 3), MAX_BACKOFF);
        assert_eq!(backoff(i, 40), MAX_BACKOFF);
        let long = Duration::from_secs(3600);
        assert_eq!(backoff(long, 5), long, "a long interval is never shortened");
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let d = Duration::from_secs(100);
        assert_eq!(jitter(d, 0.0), Duration::from_secs(90));
        assert_eq!(jitter(d, 0.5), d);
        assert!(jitter(d, 0.999_999) < Duration::from_secs(110));
    }

    #[test]
    fn rate_limit_waits_at_least_retry_after() {
        let mut r = MonitorRuntime::default();
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        r.after_check(
            Some(&CheckError::RateLimited {
                retry_after_secs: Some(900),
            }),
            Duration::from_secs(60),
            now,
        );
        assert!(r.next_due >= now + chrono::Duration::seconds(900));
        assert!(!r.is_due(now + chrono::Duration::seconds(300)));
        r.after_check(None, Duration::from_secs(60), now);
        assert_eq!(r.failures, 0);
        assert!(r.is_due(now + chrono::Duration::seconds(66)));

        // Flatline's own wait for a turn under a source's limit is respected the same way.
        r.after_check(
            Some(&CheckError::Throttled {
                retry_after_secs: 120,
            }),
            Duration::from_secs(1),
            now,
        );
        assert!(r.next_due >= now + chrono::Duration::seconds(120));
    }
}
