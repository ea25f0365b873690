//! Estimates added up per local day, week or month, without counting one loss twice.
//!
//! Incidents overlap: a vendor's status incident and the volume drop it caused, or two
//! volume incidents on the same event type (a drop, then a funnel break). Their
//! estimates are added hour by hour and scope by scope, taking the larger claim where
//! two cover the same thing, so the month's figure is not inflated by how many ways
//! Flatline noticed one outage.

use super::model::{Estimate, HourImpact};
use super::window::HOUR_MS;
use crate::incident::Incident;
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    /// Monday to Sunday.
    Week,
    Month,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodTotal {
    /// The period's first local date.
    pub start: NaiveDate,
    /// "Tue 5 Mar 2024", "Week of 4 Mar 2024", "March 2024".
    pub label: String,
    /// Per currency: amounts in different currencies are never added together.
    pub amounts: BTreeMap<String, f64>,
    /// Incidents open at some time in the period.
    pub incidents: usize,
    /// Of those, the ones without a figure (a missing input).
    pub without_estimate: usize,
}

impl PeriodTotal {
    /// "$4,160", or "$4,160 + €200" across currencies; `None` when no incident in the
    /// period has a figure.
    pub fn amount_text(&self) -> Option<String> {
        amounts_text(&self.amounts)
    }
}

/// Amounts per currency as one phrase; `None` when there are none.
pub fn amounts_text(by_currency: &BTreeMap<String, f64>) -> Option<String> {
    (!by_currency.is_empty()).then(|| {
        by_currency
            .iter()
            .map(|(currency, amount)| super::format_money(*amount, currency))
            .collect::<Vec<_>>()
            .join(" + ")
    })
}

/// Every period of `tz`'s calendar that `[from, to)` touches, oldest first, each with
/// the part of every incident inside both the period and `[from, to)`.
pub fn totals<Tz: TimeZone>(
    items: &[(Incident, Estimate)],
    tz: &Tz,
    period: Period,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<PeriodTotal> {
    let spans = spans(tz, period, from, to);
    let mut out: Vec<PeriodTotal> = spans.iter().map(|s| s.total.clone()).collect();
    let mut claims: BTreeMap<(usize, i64, String), Vec<Claim>> = BTreeMap::new();
    for (incident, estimate) in items {
        let (start, end) = window(incident, estimate);
        for (i, _) in overlapping(&spans, start, end.max(start + 1)) {
            out[i].incidents += 1;
            out[i].without_estimate += usize::from(estimate.amount.is_none());
        }
        for hour in &estimate.by_hour {
            let (a, b) = hour_part(hour, start);
            for (i, share) in overlapping(&spans, a, b) {
                let key = (i, hour.start.timestamp_millis(), estimate.currency.clone());
                let entry = claims.entry(key).or_default();
                entry.extend(Claim::of(incident, hour, share));
            }
        }
    }
    for ((i, _, currency), claims) in claims {
        if !claims.is_empty() {
            *out[i].amounts.entry(currency).or_insert(0.0) += resolve(&claims);
        }
    }
    out
}

/// One incident's claim on one clock hour, in the scope it covers.
#[derive(Debug, Clone)]
enum Claim {
    /// A vendor status, probe or canary incident: its monitor is the scope.
    Status {
        id: i64,
        monitor: String,
        amount: f64,
    },
    /// One event type's part of a volume incident: the event type is the scope.
    Volume {
        cause: Option<i64>,
        event: String,
        amount: f64,
    },
}

impl Claim {
    fn of(incident: &Incident, hour: &HourImpact, share: f64) -> Vec<Claim> {
        let Some(amount) = hour.amount else {
            return Vec::new();
        };
        if !incident.kind.is_volume() {
            return vec![Claim::Status {
                id: incident.id,
                monitor: incident.monitor_id.clone(),
                amount: amount * share,
            }];
        }
        let cause = incident.cause.as_ref().map(|c| c.incident_id);
        if hour.by_event.is_empty() {
            // No split by event type: the incident is its own scope.
            let event = format!("incident #{}", incident.id);
            return vec![Claim::Volume {
                cause,
                event,
                amount: amount * share,
            }];
        }
        let parts = hour.by_event.iter();
        parts
            .map(|(event, amount)| Claim::Volume {
                cause,
                event: event.clone(),
                amount: amount * share,
            })
            .collect()
    }
}

/// One hour's claims (one period, one currency) counted once each: the largest claim
/// per event type and per status monitor; a status incident and the volume drops it
/// caused in that hour count as the larger of the two.
fn resolve(claims: &[Claim]) -> f64 {
    let mut events: BTreeMap<&str, f64> = BTreeMap::new();
    let mut monitors: BTreeMap<&str, (f64, Vec<i64>)> = BTreeMap::new();
    for claim in claims {
        match claim {
            Claim::Volume { event, amount, .. } => {
                let max = events.entry(event).or_insert(0.0);
                *max = max.max(*amount);
            }
            Claim::Status {
                id,
                monitor,
                amount,
            } => {
                let (max, ids) = monitors.entry(monitor).or_insert((0.0, Vec::new()));
                *max = max.max(*amount);
                ids.push(*id);
            }
        }
    }
    let mut counted: BTreeSet<&str> = BTreeSet::new();
    let mut total = 0.0;
    for (status, ids) in monitors.values() {
        let caused: f64 = claims
            .iter()
            .filter_map(|c| match c {
                Claim::Volume {
                    cause: Some(id),
                    event,
                    ..
                } if ids.contains(id) => Some(event),
                _ => None,
            })
            .filter(|e| counted.insert(e.as_str()))
            .map(|e| events[e.as_str()])
            .sum();
        total += status.max(caused);
    }
    let rest = events.iter().filter(|(e, _)| !counted.contains(*e));
    total + rest.map(|(_, a)| a).sum::<f64>()
}

/// The incident's window as its estimate saw it, in milliseconds.
fn window(incident: &Incident, estimate: &Estimate) -> (i64, i64) {
    let start = incident.started_at.timestamp_millis();
    let end = incident.counted_until(estimate.computed_at);
    (start, end.timestamp_millis().max(start))
}

/// The stretch of a clock hour the incident covered: the window is contiguous, so it
/// starts at the hour or at the incident's start, whichever is later.
fn hour_part(hour: &HourImpact, incident_start: i64) -> (i64, i64) {
    let a = hour.start.timestamp_millis().max(incident_start);
    (a, a + (hour.hours * HOUR_MS as f64).round() as i64)
}

/// A period clipped to `[from, to)`, in milliseconds.
struct Span {
    start: i64,
    end: i64,
    total: PeriodTotal,
}

fn spans<Tz: TimeZone>(
    tz: &Tz,
    period: Period,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Span> {
    let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
    let mut date = period_start(period, from.with_timezone(tz).date_naive());
    let mut spans = Vec::new();
    while local_midnight(tz, date) < to_ms {
        let next = next_start(period, date);
        spans.push(Span {
            start: local_midnight(tz, date).max(from_ms),
            end: local_midnight(tz, next).min(to_ms),
            total: PeriodTotal {
                start: date,
                label: label(period, date),
                amounts: BTreeMap::new(),
                incidents: 0,
                without_estimate: 0,
            },
        });
        date = next;
    }
    spans
}

/// The spans that `[a, b)` overlaps, with the fraction of `[a, b)` inside each.
fn overlapping(spans: &[Span], a: i64, b: i64) -> Vec<(usize, f64)> {
    let first = spans.partition_point(|s| s.end <= a);
    spans[first..]
        .iter()
        .enumerate()
        .take_while(|(_, s)| s.start < b)
        .filter_map(|(i, s)| {
            let inside = b.min(s.end) - a.max(s.start);
            (inside > 0 && b > a).then(|| (first + i, inside as f64 / (b - a) as f64))
        })
        .collect()
}

fn period_start(period: Period, date: NaiveDate) -> NaiveDate {
    match period {
        Period::Day => date,
        Period::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
        Period::Month => date.with_day(1).unwrap_or(date),
    }
}

fn next_start(period: Period, start: NaiveDate) -> NaiveDate {
    let next = match period {
        Period::Day => start.checked_add_days(Days::new(1)),
        Period::Week => start.checked_add_days(Days::new(7)),
        Period::Month => start.checked_add_months(Months::new(1)),
    };
    next.unwrap_or(NaiveDate::MAX)
}

fn label(period: Period, start: NaiveDate) -> String {
    match period {
        Period::Day => start.format("%a %-d %b %Y").to_string(),
        Period::Week => start.format("Week of %-d %b %Y").to_string(),
        Period::Month => start.format("%B %Y").to_string(),
    }
}

/// When the local day begins, in Unix milliseconds. Where the clocks spring forward
/// at midnight, the day begins at the first local time that exists.
fn local_midnight<Tz: TimeZone>(tz: &Tz, date: NaiveDate) -> i64 {
    (0..24)
        .filter_map(|h| date.and_hms_opt(h, 0, 0))
        .find_map(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| {
            date.and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp_millis()
        })
}
