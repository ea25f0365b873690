//! One incident in full, for the detail window: the volume chart of the affected
//! event types around it, what most likely caused it, and what it caused.

use super::{Engine, EngineError};
use crate::detect::POOLED;
use crate::incident::Incident;
use crate::store::{Store, StoreError, StoredBucket};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// How far the chart reaches either side of the incident.
const CONTEXT_SECS: i64 = 24 * 3600;
/// Noise bands are drawn two standard deviations either side of the expectation.
const BAND_SDS: f64 = 2.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentDetail {
    pub incident: Incident,
    /// The incident that most likely caused this one.
    pub cause: Option<Incident>,
    /// Volume incidents this one is the likely cause of.
    pub effects: Vec<Incident>,
    /// For volume incidents, and vendor incidents that caused one.
    pub chart: Option<VolumeChart>,
}

/// Counts per bucket around an incident, one series per affected event type, as
/// columns (what a charting library wants).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeChart {
    pub monitor_id: String,
    pub monitor_name: String,
    pub step_secs: i64,
    /// Unix seconds: the stretch covered, the incident ±24 h (until now while open).
    pub from: i64,
    pub until: i64,
    pub incident_start: i64,
    pub incident_end: Option<i64>,
    /// Bucket starts, shared by every series.
    pub starts: Vec<i64>,
    pub series: Vec<ChartSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartSeries {
    pub event: String,
    pub observed: Vec<Option<f64>>,
    /// `None` where the detector was still learning.
    pub expected: Vec<Option<f64>>,
    pub low: Vec<Option<f64>>,
    pub high: Vec<Option<f64>>,
}

impl Engine {
    pub async fn incident_detail(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<IncidentDetail, EngineError> {
        let store = &self.inner.store;
        let incident = store.incident(id).await?;
        let cause = match &incident.cause {
            Some(c) => Some(store.incident(c.incident_id).await?),
            None => None,
        };
        let effects = store.incidents_caused_by(id).await?;
        let charted = if incident.kind.is_volume() {
            Some(&incident)
        } else {
            effects.first()
        };
        let chart = match charted {
            Some(volume) => volume_chart(store, volume, &incident, now).await?,
            None => None,
        };
        Ok(IncidentDetail {
            incident,
            cause,
            effects,
            chart,
        })
    }
}

/// The chart of `volume`'s affected event types around `shown` (the same incident,
/// or the vendor incident that caused it).
async fn volume_chart(
    store: &Store,
    volume: &Incident,
    shown: &Incident,
    now: DateTime<Utc>,
) -> Result<Option<VolumeChart>, StoreError> {
    let Some(cursor) = store.cursor(&volume.monitor_id).await? else {
        return Ok(None);
    };
    let start = shown.started_at.timestamp();
    let end = shown.ended_at.map(|t| t.timestamp());
    let from = start - CONTEXT_SECS;
    let until = (end.unwrap_or(now.timestamp()) + CONTEXT_SECS).min(now.timestamp());
    let (step, rows) = series(store, &volume.monitor_id, cursor.step_secs, from, until).await?;
    let all_events = volume.drops.iter().any(|d| d.event == POOLED);
    let mut events: Vec<String> = Vec::new();
    for name in rows
        .iter()
        .map(|r| &r.event)
        .chain(volume.drops.iter().map(|d| &d.event))
    {
        let affected = all_events || volume.drops.iter().any(|d| d.event == *name);
        if affected && name != POOLED && !events.contains(name) {
            events.push(name.clone());
        }
    }
    let first = from.div_euclid(step) * step;
    let starts: Vec<i64> = (first..until).step_by(step as usize).collect();
    let series = events
        .into_iter()
        .map(|event| {
            let mut s = ChartSeries {
                event,
                observed: vec![None; starts.len()],
                expected: vec![None; starts.len()],
                low: vec![None; starts.len()],
                high: vec![None; starts.len()],
            };
            for r in rows.iter().filter(|r| r.event == s.event) {
                let Some(i) = usize::try_from((r.start - first) / step)
                    .ok()
                    .filter(|&i| i < starts.len())
                else {
                    continue;
                };
                s.observed[i] = Some(r.count);
                if let Some(e) = r.expected {
                    s.expected[i] = Some(e.expected);
                    s.low[i] = Some((e.expected - BAND_SDS * e.sd).max(0.0));
                    s.high[i] = Some(e.expected + BAND_SDS * e.sd);
                }
            }
            s
        })
        .collect();
    Ok(Some(VolumeChart {
        monitor_id: volume.monitor_id.clone(),
        monitor_name: volume.monitor_name.clone(),
        step_secs: step,
        from,
        until,
        incident_start: start,
        incident_end: end,
        starts,
        series,
    }))
}

/// A monitor's stored counts over `[from, until)`: per bucket while the raw counts
/// reach back that far, per hour for older stretches.
pub(super) async fn series(
    store: &Store,
    monitor_id: &str,
    step_secs: i64,
    from: i64,
    until: i64,
) -> Result<(i64, Vec<StoredBucket>), StoreError> {
    let raw = store.buckets(monitor_id, from, until).await?;
    let reaches_back = raw.first().is_some_and(|r| r.start <= from + 3600);
    if reaches_back || step_secs >= 3600 {
        return Ok((step_secs, raw));
    }
    let hourly = store.hourly_buckets(monitor_id, from, until).await?;
    if hourly.len() > raw.len() {
        Ok((3600, hourly))
    } else {
        Ok((step_secs, raw))
    }
}
