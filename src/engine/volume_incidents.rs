//! Volume detector alerts as incidents: one per volume monitor at a time, of kind
//! `volume_drop` (linked to the upstream incident that most likely caused it) or
//! `silent_outage` (every upstream page green), with expected against observed per
//! affected event type, updated live.

use super::volume::{VolumeRead, VolumeWatch};
use super::{Engine, EngineError, EngineEvent, TickOutcome};
use crate::config::Change;
use crate::detect::{event_name, AlertKind, AlertPhase, POOLED};
use crate::health::Health;
use crate::incident::{human_duration, Cause, EventDrop, Incident, IncidentKind};
use crate::notifier::{Notification, Urgency};
use crate::store::{NewIncident, VolumeChange};
use chrono::{DateTime, Local, Utc};

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
                        self.close_volume(
                            watch,
                            incident,
                            opened_here,
                            read.observation.checked_at,
                            outcome,
                        )
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
                    d.back_since = read.back_since(&d.event);
                }
                None => d.end = Some(read.observation.checked_at),
            }
        }
        if incident.drops.iter().all(|d| d.end.is_some()) {
            return self
                .close_volume(
                    watch,
                    incident,
                    opened_here,
                    read.observation.checked_at,
                    outcome,
                )
                .await;
        }
        let change = self.describe(watch, &incident).await?;
        let incident = store.update_volume_incident(incident.id, change).await?;
        let incident = self.priced(incident, read.observation.checked_at).await?;
        if opened_here {
            tracing::info!(monitor = %watch.config.id, id = incident.id, kind = incident.kind.as_str(), "volume incident opened");
            self.announce(
                Change::Opened,
                &incident,
                opened_notice(&incident),
                read.observation.checked_at,
            )
            .await?;
            self.emit(EngineEvent::IncidentOpened {
                incident: incident.clone(),
            });
            outcome.opened.push(incident);
        } else if stored.as_ref() != Some(&incident) {
            if stored.is_some_and(|s| incident.severity.rank() > s.severity.rank()) {
                self.announce(
                    Change::Escalated,
                    &incident,
                    opened_notice(&incident),
                    read.observation.checked_at,
                )
                .await?;
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
        now: DateTime<Utc>,
        outcome: &mut TickOutcome,
    ) -> Result<(), EngineError> {
        let store = &self.inner.store;
        let change = self.describe(watch, &incident).await?;
        let incident = store.update_volume_incident(incident.id, change).await?;
        let end = incident.drops.iter().filter_map(|d| d.end).max();
        let incident = store
            .resolve_incident(incident.id, end.unwrap_or(incident.detected_at))
            .await?;
        let incident = self.priced(incident, now).await?;
        if opened_here {
            // Over before this read began (history read on first start or after a
            // sleep): recorded for the timeline, not announced as news.
            tracing::info!(monitor = %watch.config.id, id = incident.id, "past volume drop found in history");
        } else {
            tracing::info!(monitor = %watch.config.id, id = incident.id, "volume incident resolved");
            self.announce(Change::Resolved, &incident, resolved_notice(&incident), now)
                .await?;
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
            impact: None,
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
            .map(|e| event_name(e))
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
                let local = |t: DateTime<Utc>| t.with_timezone(&Local).format("%H:%M");
                let back = d
                    .back_since
                    .map(|t| format!(", flowing again since {}", local(t)))
                    .unwrap_or_default();
                format!(
                    "{} {}: {} of {} expected since {}{back}",
                    if d.event == POOLED {
                        "All events"
                    } else {
                        &d.event
                    },
                    d.kind.verb(),
                    d.observed.round(),
                    d.expected.round(),
                    local(d.start)
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
    body.extend(incident.cost_line().map(str::to_owned));
    Notification {
        summary: incident.title.clone(),
        body: body.join("\n"),
        urgency: if incident.severity == Health::MajorOutage {
            Urgency::Critical
        } else {
            Urgency::Normal
        },
        about: Some(incident.about()),
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
            "The drop lasted {lasted}; about {} events missing.{}",
            missing.round(),
            incident
                .cost_line()
                .map(|c| format!("\n{c}"))
                .unwrap_or_default()
        ),
        urgency: Urgency::Low,
        about: Some(incident.about()),
    }
}
