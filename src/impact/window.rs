//! The incident's time window and its clock hours, in milliseconds so partial
//! hours and sub-minute vendor timestamps stay exact.

use crate::incident::Incident;
use chrono::{DateTime, Utc};

pub(super) const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    start: i64,
    end: i64,
    /// Start of the clock hour the window starts in.
    first_hour: i64,
}

impl Window {
    /// From the start to where the cost stops counting ([`Incident::counted_until`]);
    /// never negative, since a clock slightly behind the vendor's must not produce a
    /// negative cost.
    pub fn of(incident: &Incident, now: DateTime<Utc>) -> Window {
        let start = incident.started_at.timestamp_millis();
        let end = incident.counted_until(now).timestamp_millis().max(start);
        Window {
            start,
            end,
            first_hour: start.div_euclid(HOUR_MS) * HOUR_MS,
        }
    }

    pub fn start_ms(&self) -> i64 {
        self.start
    }

    pub fn end_ms(&self) -> i64 {
        self.end
    }

    pub fn hours(&self) -> f64 {
        (self.end - self.start) as f64 / HOUR_MS as f64
    }

    /// Each clock hour the window touches, with the fraction of it inside.
    pub fn clock_hours(&self) -> Vec<(DateTime<Utc>, f64)> {
        let mut hours = Vec::new();
        let mut at = self.first_hour;
        while at < self.end {
            let inside = self.end.min(at + HOUR_MS) - self.start.max(at);
            hours.push((utc_ms(at), inside as f64 / HOUR_MS as f64));
            at += HOUR_MS;
        }
        hours
    }

    /// The part of `[from, to)` (milliseconds) inside the window, per clock hour:
    /// (index into [`Window::clock_hours`], milliseconds).
    pub fn split(&self, from: i64, to: i64) -> Vec<(usize, i64)> {
        let (mut lo, hi) = (from.max(self.start), to.min(self.end));
        let mut parts = Vec::new();
        while lo < hi {
            let index = (lo - self.first_hour) / HOUR_MS;
            let next = (self.first_hour + (index + 1) * HOUR_MS).min(hi);
            parts.push((index as usize, next - lo));
            lo = next;
        }
        parts
    }
}

fn utc_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
