//! Volume monitors in the engine: read counts since the cursor, store them, feed the
//! detector, and turn its alerts into `volume_drop` / `silent_outage` incidents linked
//! to the upstream vendor incident that most likely caused them.

use super::{Engine, EngineError, EngineEvent, TickOutcome};
use crate::config::{MonitorConfig, VolumeConfig};
use crate::detect::{Alert, AlertKind, AlertPhase, Detector, DetectorOptions, StreamState, POOLED};
use crate::health::Health;
use crate::http::HttpClient;
use crate::incident::{
    human_duration, utc, Cause, EventDrop, Incident, IncidentKind, VolumeStatus,
};
use crate::monitor::{CheckError, Observation, Reading};
use crate::notifier::{Notification, Urgency};
use crate::store::{Cursor, NewIncident, Store, StoreError, StoredBucket, VolumeChange};
use crate::volume::{Batch, VolumeSource};
use chrono::{DateTime, Local, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// Raw buckets kept (and replayed into the detector on start): the baseline's profile
/// forgets over about four weeks, so five cover it.
pub const RAW_RETENTION_SECS: i64 = 35 * 86_400;

/// A read spanning more buckets than this was reading history, not keeping up.
const CATCH_UP_BUCKETS: i64 = 10;

/// One volume monitor and its detector.
pub(super) struct VolumeWatch {
    pub config: MonitorConfig,
    pub volume: VolumeConfig,
    pub source: Arc<dyn VolumeSource>,
    detector: tokio::sync::Mutex<Option<Detector>>,
}

/// What one read of a volume monitor produced.
pub(super) struct VolumeRead {
    pub observation: Observation,
    pub alerts: Vec<Alert>,
    /// Episodes open after the read, with their sums so far.
    pub open: Vec<Alert>,
    /// The read covered a long stretch of history and there may be more to read.
    pub catching_up: bool,
}

impl VolumeWatch {
    pub fn new(config: MonitorConfig, volume: VolumeConfig, source: Arc<dyn VolumeSource>) -> Self {
        VolumeWatch {
            config,
            volume,
            source,
            detector: tokio::sync::Mutex::new(None),
        }
    }

    /// Read what is new, store it and judge it. A source that cannot be read gives an
    /// observation with the error and judges nothing: a gap is never silence.
    pub async fn read(
        &self,
        http: &HttpClient,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Result<VolumeRead, EngineError> {
        let started = std::time::Instant::now();
        let mut guard = self.detector.lock().await;
        let cursor = store.cursor(&self.config.id).await?;
        if guard.is_none() {
            if let Some(cursor) = cursor {
                *guard = Some(self.restore(store, cursor).await?);
            }
        }
        let from = match cursor {
            Some(c) => utc(c.complete_until),
            None => now - chrono::Duration::seconds((self.volume.history_days * 86_400.0) as i64),
        };
        let fetched = self
            .source
            .fetch(http, from, now, &self.volume.events)
            .await;
        let observe = |result| Observation {
            monitor_id: self.config.id.clone(),
            checked_at: now,
            latency_ms: started.elapsed().as_millis() as u64,
            result,
        };
        let batch = match fetched {
            Ok(batch) if batch.step_secs > 0 => batch,
            Ok(batch) => {
                return Ok(self.unread(observe(Err(CheckError::Other {
                    detail: format!("the source gave a bucket size of {} s", batch.step_secs),
                }))))
            }
            Err(e) => return Ok(self.unread(observe(Err(e)))),
        };
        let detector = match guard.take() {
            Some(d) if d.step_secs() == batch.step_secs => d,
            Some(_) | None => {
                if cursor.is_some_and(|c| c.step_secs != batch.step_secs) {
                    tracing::warn!(monitor = %self.config.id, step = batch.step_secs, "bucket size changed: the baseline starts over");
                }
                self.new_detector(batch.step_secs)
            }
        };
        let detector = guard.insert(detector);
        let first = cursor.map(|c| c.complete_until);
        let (rows, alerts) = judge(detector, &self.volume.events, &batch, from, first);
        let complete_until = batch
            .complete_until
            .timestamp()
            .max(first.unwrap_or(i64::MIN));
        // Before the source has any data, no cursor is kept: history starts with the
        // first bucket that arrives, not with zeros back to `history_days`.
        if first.is_some() || !rows.is_empty() {
            store
                .save_buckets(
                    &self.config.id,
                    rows,
                    Cursor {
                        step_secs: batch.step_secs,
                        complete_until,
                    },
                )
                .await?;
        }
        let status = VolumeStatus {
            bucket_start: detector.last_bucket().map(utc),
            step_secs: batch.step_secs,
            streams: detector.status(),
        };
        let reading = reading(status);
        Ok(VolumeRead {
            observation: observe(Ok(reading)),
            alerts,
            open: detector.open_episodes(),
            catching_up: complete_until - from.timestamp() > CATCH_UP_BUCKETS * batch.step_secs,
        })
    }

    fn unread(&self, observation: Observation) -> VolumeRead {
        VolumeRead {
            observation,
            alerts: Vec::new(),
            open: Vec::new(),
            catching_up: false,
        }
    }

    fn new_detector(&self, step_secs: i64) -> Detector {
        let mut options = DetectorOptions::new(step_secs);
        options.funnel = self.volume.funnel.clone();
        let mut detector = Detector::new(options);
        for event in &self.volume.events {
            detector.event(event);
        }
        detector
    }

    /// Rebuild the detector from stored counts, silently: what it alerted on then is
    /// already in the incidents.
    async fn restore(&self, store: &Store, cursor: Cursor) -> Result<Detector, StoreError> {
        let mut detector = self.new_detector(cursor.step_secs);
        let from = cursor.complete_until - RAW_RETENTION_SECS;
        let rows = store
            .buckets(&self.config.id, from, cursor.complete_until)
            .await?;
        let Some(first) = rows.first().map(|r| r.0) else {
            return Ok(detector);
        };
        let batch = Batch {
            step_secs: cursor.step_secs,
            buckets: Vec::new(),
            complete_until: utc(cursor.complete_until),
        };
        replay_rows(
            &mut detector,
            &self.volume.events,
            &batch,
            first,
            rows.into_iter(),
        );
        tracing::debug!(monitor = %self.config.id, "volume baseline restored from the store");
        Ok(detector)
    }
}

/// Push the batch's complete buckets, in order, zero-filling event types without a
/// row. Returns the rows to store and the alerts raised.
fn judge(
    detector: &mut Detector,
    watched: &[String],
    batch: &Batch,
    from: DateTime<Utc>,
    cursor: Option<i64>,
) -> (Vec<StoredBucket>, Vec<Alert>) {
    let step = batch.step_secs;
    let until = batch.complete_until.timestamp();
    let rows: Vec<StoredBucket> = batch
        .buckets
        .iter()
        .filter(|b| watched.is_empty() || watched.contains(&b.event))
        .map(|b| {
            (
                b.start.timestamp().div_euclid(step) * step,
                b.event.clone(),
                b.count,
            )
        })
        .filter(|(start, _, _)| *start >= from.timestamp() && *start < until)
        .collect();
    // Continuing from a cursor, every bucket since is judged (no row means none
    // counted). On first start, history begins with the first bucket the source has,
    // not with the years before the shop existed.
    let begin = match cursor {
        Some(c) => c,
        None => match rows.iter().map(|r| r.0).min() {
            Some(first) => first,
            None => return (rows, Vec::new()),
        },
    };
    let alerts = replay_rows(detector, watched, batch, begin, rows.iter().cloned());
    (rows, alerts)
}

/// Feed buckets `[begin, batch.complete_until)` to the detector from rows sorted or
/// not; returns the alerts.
fn replay_rows(
    detector: &mut Detector,
    watched: &[String],
    batch: &Batch,
    begin: i64,
    rows: impl Iterator<Item = StoredBucket>,
) -> Vec<Alert> {
    let step = batch.step_secs;
    let begin = begin.div_euclid(step) * step;
    let until = batch.complete_until.timestamp();
    let mut by_bucket: HashMap<i64, Vec<(usize, f64)>> = HashMap::new();
    for (start, event, count) in rows {
        if watched.is_empty() || watched.contains(&event) {
            let index = detector.event(&event);
            by_bucket.entry(start).or_default().push((index, count));
        }
    }
    let mut alerts = Vec::new();
    let mut counts = Vec::new();
    let mut t = begin;
    while t < until {
        counts.clear();
        counts.resize(detector.events().len(), 0.0);
        for &(i, c) in by_bucket.get(&t).into_iter().flatten() {
            counts[i] += c;
        }
        alerts.extend_from_slice(detector.push(t, &counts));
        t += step;
    }
    alerts
}

fn reading(status: VolumeStatus) -> Reading {
    let streams = &status.streams;
    let worst = streams
        .iter()
        .map(|s| match s.state {
            StreamState::Silence if s.event == POOLED => Health::MajorOutage,
            StreamState::Silence | StreamState::Drop | StreamState::FunnelBreak => {
                Health::PartialOutage
            }
            StreamState::Learning | StreamState::Ok => Health::Operational,
        })
        .fold(Health::Operational, Health::worst);
    let down: Vec<String> = streams
        .iter()
        .filter(|s| !matches!(s.state, StreamState::Ok | StreamState::Learning))
        .map(|s| s.event.clone())
        .collect();
    let pooled = streams.iter().find(|s| s.event == POOLED);
    let summary = if !down.is_empty() {
        format!("dropped: {}", down.join(", "))
    } else if let Some(learning) = streams.iter().find(|s| s.state == StreamState::Learning) {
        format!(
            "learning the usual volume ({:.0}% of the first week seen)",
            learning.learned * 100.0
        )
    } else if let Some(p) = pooled {
        format!(
            "{} events in the last bucket, {} expected",
            p.observed.round(),
            p.expected.round()
        )
    } else {
        "no events yet".to_owned()
    };
    Reading {
        health: worst,
        summary,
        components: Vec::new(),
        vendor_incidents: Vec::new(),
        volume: Some(status),
    }
}

impl Engine {
    /// Turn one read's alerts into incident changes.
    pub(super) async fn apply_volume(
        &self,
        watch: &VolumeWatch,
        read: &VolumeRead,
        outcome: &mut TickOutcome,
    ) -> Result<(), EngineError> {
        if read.observation.result.is_err() {
            return Ok(());
        }
        let store = &self.inner.store;
        let stored = store.open_incident_of(&watch.config.id).await?;
        // The incident being built, and whether this read opened it.
        let mut current = stored.clone().map(|i| (i, false));
        for alert in &read.alerts {
            match alert.phase {
                AlertPhase::Opened => match &mut current {
                    Some((incident, _)) => incident.drops.push(EventDrop::from(alert)),
                    None => {
                        let incident = self.open_volume(watch, EventDrop::from(alert)).await?;
                        current = Some((incident, true));
                    }
                },
                AlertPhase::Closed => {
                    let Some((incident, _)) = &mut current else {
                        continue;
                    };
                    if let Some(d) = incident
                        .drops
                        .iter_mut()
                        .find(|d| d.event == alert.event && d.end.is_none())
                    {
                        *d = EventDrop::from(alert);
                    }
                    // Closed here, so that an episode opening later in the same read
                    // (history read after a sleep) is an incident of its own.
                    if incident.drops.iter().all(|d| d.end.is_some()) {
                        let (incident, opened_here) = current.take().expect("just matched");
                        self.close_volume(watch, incident, opened_here, outcome)
                            .await?;
                    }
                }
            }
        }
        let Some((mut incident, opened_here)) = current else {
            return Ok(());
        };
        // Live sums for what is still open; an episode the detector no longer has
        // (lost in a restart) ends now.
        for d in incident.drops.iter_mut().filter(|d| d.end.is_none()) {
            match read.open.iter().find(|a| a.event == d.event) {
                Some(a) => {
                    d.expected = a.expected;
                    d.observed = a.observed;
                }
                None => d.end = Some(read.observation.checked_at),
            }
        }
        if incident.drops.iter().all(|d| d.end.is_some()) {
            return self
                .close_volume(watch, incident, opened_here, outcome)
                .await;
        }
        let change = self.describe(watch, &incident).await?;
        let incident = store.update_volume_incident(incident.id, change).await?;
        if opened_here {
            tracing::info!(monitor = %watch.config.id, id = incident.id, kind = incident.kind.as_str(), "volume incident opened");
            self.notify(opened_notice(&incident));
            self.emit(EngineEvent::IncidentOpened {
                incident: incident.clone(),
            });
            outcome.opened.push(incident);
        } else if stored.as_ref() != Some(&incident) {
            if stored.is_some_and(|s| incident.severity.rank() > s.severity.rank()) {
                self.notify(opened_notice(&incident));
            }
            self.emit(EngineEvent::IncidentUpdated {
                incident: incident.clone(),
            });
            outcome.updated.push(incident);
        }
        Ok(())
    }

    /// Resolve a volume incident whose episodes have all ended.
    async fn close_volume(
        &self,
        watch: &VolumeWatch,
        incident: Incident,
        opened_here: bool,
        outcome: &mut TickOutcome,
    ) -> Result<(), EngineError> {
        let store = &self.inner.store;
        let change = self.describe(watch, &incident).await?;
        let incident = store.update_volume_incident(incident.id, change).await?;
        let end = incident.drops.iter().filter_map(|d| d.end).max();
        let incident = store
            .resolve_incident(incident.id, end.unwrap_or(incident.detected_at))
            .await?;
        if opened_here {
            // Over before this read began (history read on first start or after a
            // sleep): recorded for the timeline, not announced as news.
            tracing::info!(monitor = %watch.config.id, id = incident.id, "past volume drop found in history");
        } else {
            tracing::info!(monitor = %watch.config.id, id = incident.id, "volume incident resolved");
            if self.inner.config.notifications.on_resolve {
                self.notify(resolved_notice(&incident));
            }
        }
        self.emit(EngineEvent::IncidentResolved {
            incident: incident.clone(),
        });
        outcome.resolved.push(incident);
        Ok(())
    }

    async fn open_volume(
        &self,
        watch: &VolumeWatch,
        drop: EventDrop,
    ) -> Result<Incident, EngineError> {
        let draft = Incident {
            id: 0,
            monitor_id: watch.config.id.clone(),
            monitor_name: watch.config.display_name().to_owned(),
            kind: IncidentKind::VolumeDrop,
            severity: Health::PartialOutage,
            title: String::new(),
            summary: String::new(),
            started_at: drop.start,
            detected_at: drop.detected_at,
            ended_at: None,
            components: Vec::new(),
            url: None,
            updates: Vec::new(),
            acknowledgement: None,
            drops: vec![drop],
            cause: None,
            checklist: Vec::new(),
        };
        let change = self.describe(watch, &draft).await?;
        Ok(self
            .inner
            .store
            .open_incident(NewIncident {
                monitor_id: draft.monitor_id,
                monitor_name: draft.monitor_name,
                kind: change.kind,
                severity: change.severity,
                title: change.title,
                summary: change.summary,
                started_at: change.started_at,
                detected_at: draft.detected_at,
                components: change.components,
                url: None,
                drops: change.drops,
                cause_incident_id: change.cause_incident_id,
            })
            .await?)
    }

    /// Kind, cause, severity and words for a volume incident as its drops stand.
    async fn describe(
        &self,
        watch: &VolumeWatch,
        incident: &Incident,
    ) -> Result<VolumeChange, EngineError> {
        let store = &self.inner.store;
        let mut cause = incident.cause.clone();
        if cause.is_none() {
            for upstream in &watch.volume.depends_on {
                if let Some(open) = store.open_incident_of(upstream).await? {
                    cause = Some(Cause {
                        incident_id: open.id,
                        monitor_id: open.monitor_id,
                        title: open.title,
                    });
                    break;
                }
            }
        }
        let upstream_green = !watch.volume.depends_on.is_empty() && {
            let statuses = self.monitor_statuses().await?;
            watch.volume.depends_on.iter().all(|id| {
                statuses
                    .iter()
                    .any(|s| &s.id == id && s.health == Health::Operational)
            })
        };
        let kind = if cause.is_none() && upstream_green {
            IncidentKind::SilentOutage
        } else {
            IncidentKind::VolumeDrop
        };
        let drops = &incident.drops;
        let severity = if drops
            .iter()
            .any(|d| d.kind == AlertKind::Silence && d.event == POOLED)
        {
            Health::MajorOutage
        } else {
            Health::PartialOutage
        }
        .worst(if incident.id == 0 {
            Health::PartialOutage
        } else {
            incident.severity
        });
        let mut components: Vec<String> = Vec::new();
        for d in drops {
            if !components.contains(&d.event) {
                components.push(d.event.clone());
            }
        }
        let affected = components
            .iter()
            .map(|e| {
                if e == POOLED {
                    "all events"
                } else {
                    e.as_str()
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let name = watch.config.display_name();
        let title = match kind {
            IncidentKind::SilentOutage => format!("{name}: silent outage ({affected})"),
            _ => format!("{name}: {affected} dropped"),
        };
        let mut summary: Vec<String> = drops
            .iter()
            .filter(|d| d.end.is_none())
            .map(|d| {
                format!(
                    "{} {}: {} of {} expected since {}",
                    if d.event == POOLED {
                        "All events"
                    } else {
                        &d.event
                    },
                    d.kind.verb(),
                    d.observed.round(),
                    d.expected.round(),
                    d.start.with_timezone(&Local).format("%H:%M")
                )
            })
            .collect();
        match (&cause, kind) {
            (Some(c), _) => summary.push(format!("Likely cause: {}", c.title)),
            (None, IncidentKind::SilentOutage) => {
                summary.push("Every upstream status page is green.".to_owned())
            }
            _ => {}
        }
        Ok(VolumeChange {
            kind,
            severity,
            title,
            summary: summary.join(". "),
            started_at: drops
                .iter()
                .map(|d| d.start)
                .min()
                .unwrap_or(incident.started_at),
            components,
            drops: drops.clone(),
            cause_incident_id: cause.map(|c| c.incident_id),
        })
    }
}

fn opened_notice(incident: &Incident) -> Notification {
    let mut body = vec![incident.summary.clone()];
    if incident.kind == IncidentKind::SilentOutage {
        body.push(
            "Check destination credentials, schema blocking, filters and rate limits.".into(),
        );
    }
    Notification {
        summary: incident.title.clone(),
        body: body.join("\n"),
        urgency: if incident.severity == Health::MajorOutage {
            Urgency::Critical
        } else {
            Urgency::Normal
        },
    }
}

fn resolved_notice(incident: &Incident) -> Notification {
    let lasted = incident
        .ended_at
        .map(|end| human_duration(end - incident.started_at))
        .unwrap_or_else(|| "an unknown time".into());
    let missing: f64 = incident.drops.iter().map(EventDrop::missing).sum();
    Notification {
        summary: format!("{}: volume back to normal", incident.monitor_name),
        body: format!(
            "The drop lasted {lasted}; about {} events missing.",
            missing.round()
        ),
        urgency: Urgency::Low,
    }
}
