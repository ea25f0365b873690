//! Turning one observation into incident changes and the notifications that go with
//! them.

use super::transition::{step, Decision};
use super::{Engine, EngineError, EngineEvent, TickOutcome};
use crate::config::{Change, MonitorConfig, MonitorKind};
use crate::health::Health;
use crate::incident::{human_duration, Incident, IncidentKind};
use crate::monitor::{Observation, Reading, VendorUpdate};
use crate::notifier::{Notification, Urgency};
use crate::store::NewIncident;
use chrono::{DateTime, Local, Utc};

impl Engine {
    pub(super) async fn apply(
        &self,
        monitor: &MonitorConfig,
        obs: &Observation,
        outcome: &mut TickOutcome,
    ) -> Result<(), EngineError> {
        let store = &self.inner.store;
        let open = store.open_incident_of(&monitor.id).await?;
        let health = obs.health();
        let (decision, first_bad_at) = {
            let mut runtime = self.inner.runtime.lock().unwrap_or_else(|p| p.into_inner());
            let rt = runtime.entry(monitor.id.clone()).or_default();
            let d = step(
                &mut rt.streak,
                health,
                obs.checked_at,
                open.is_some(),
                monitor.confirm,
                monitor.recover,
            );
            (d, rt.streak.first_bad_at)
        };
        match (decision, open, &obs.result) {
            (Decision::Open, None, Ok(reading)) => {
                let facts = Facts::of(reading);
                let started_at = facts
                    .vendor_started_at
                    .into_iter()
                    .chain(first_bad_at)
                    .min()
                    .unwrap_or(obs.checked_at)
                    .min(obs.checked_at);
                let incident = store
                    .open_incident(NewIncident {
                        monitor_id: monitor.id.clone(),
                        monitor_name: monitor.display_name().to_owned(),
                        kind: incident_kind(monitor),
                        severity: health,
                        title: title(monitor, health),
                        summary: reading.summary.clone(),
                        started_at,
                        detected_at: obs.checked_at,
                        components: facts.components,
                        url: facts.url,
                        drops: Vec::new(),
                        cause_incident_id: None,
                    })
                    .await?;
                store.add_vendor_updates(incident.id, facts.updates).await?;
                let incident = store.incident(incident.id).await?;
                let incident = self.priced(incident, obs.checked_at).await?;
                tracing::info!(monitor = %monitor.id, id = incident.id, severity = %health, "incident opened");
                self.announce(
                    Change::Opened,
                    &incident,
                    opened_notice(&incident, reading),
                    obs.checked_at,
                )
                .await?;
                self.emit(EngineEvent::IncidentOpened {
                    incident: incident.clone(),
                });
                outcome.opened.push(incident);
            }
            (Decision::Continue, Some(current), Ok(reading)) if health.is_problem() => {
                let facts = Facts::of(reading);
                let severity = current.severity.worst(health);
                let mut components = current.components.clone();
                add_unique(&mut components, facts.components);
                let added = store.add_vendor_updates(current.id, facts.updates).await?;
                let changed = severity != current.severity
                    || reading.summary != current.summary
                    || components != current.components;
                if changed || added > 0 {
                    let incident = store
                        .update_incident(
                            current.id,
                            severity,
                            title(monitor, severity),
                            reading.summary.clone(),
                            components,
                        )
                        .await?;
                    let incident = self.priced(incident, obs.checked_at).await?;
                    if severity != current.severity {
                        tracing::info!(monitor = %monitor.id, id = incident.id, severity = %severity, "incident escalated");
                        self.announce(
                            Change::Escalated,
                            &incident,
                            escalated_notice(&incident, obs.checked_at),
                            obs.checked_at,
                        )
                        .await?;
                    }
                    self.emit(EngineEvent::IncidentUpdated {
                        incident: incident.clone(),
                    });
                    outcome.updated.push(incident);
                }
            }
            (Decision::Resolve, Some(current), _) => {
                let incident = store.resolve_incident(current.id, obs.checked_at).await?;
                let incident = self.priced(incident, obs.checked_at).await?;
                tracing::info!(monitor = %monitor.id, id = incident.id, "incident resolved");
                self.announce(
                    Change::Resolved,
                    &incident,
                    resolved_notice(&incident),
                    obs.checked_at,
                )
                .await?;
                self.emit(EngineEvent::IncidentResolved {
                    incident: incident.clone(),
                });
                outcome.resolved.push(incident);
            }
            _ => {}
        }
        Ok(())
    }
}

/// What an incident records from a reading beyond its state.
struct Facts {
    components: Vec<String>,
    url: Option<String>,
    vendor_started_at: Option<DateTime<Utc>>,
    updates: Vec<VendorUpdate>,
}

impl Facts {
    fn of(reading: &Reading) -> Facts {
        let failures: Vec<_> = reading
            .vendor_incidents
            .iter()
            .filter(|v| !v.maintenance)
            .collect();
        let mut components = Vec::new();
        let named = reading
            .components
            .iter()
            .filter(|c| c.health.is_problem())
            .map(|c| c.name.clone())
            .chain(failures.iter().flat_map(|v| v.components.iter().cloned()));
        add_unique(&mut components, named);
        Facts {
            components,
            url: failures.iter().find_map(|v| v.url.clone()),
            vendor_started_at: failures.iter().filter_map(|v| v.started_at).min(),
            // Vendor update ids are only unique within their incident.
            updates: failures
                .iter()
                .flat_map(|v| {
                    v.updates.iter().map(|u| VendorUpdate {
                        id: format!("{}/{}", v.id, u.id),
                        ..u.clone()
                    })
                })
                .collect(),
        }
    }
}

/// Append the names not already listed, keeping first-seen order.
fn add_unique(into: &mut Vec<String>, names: impl IntoIterator<Item = String>) {
    for name in names {
        if !into.contains(&name) {
            into.push(name);
        }
    }
}

fn incident_kind(monitor: &MonitorConfig) -> IncidentKind {
    match monitor.kind {
        MonitorKind::Http(_) => IncidentKind::ProbeFailure,
        MonitorKind::Canary(_) => IncidentKind::Canary,
        // Volume monitors raise their incidents through the detector, not here.
        MonitorKind::Statuspage(_) | MonitorKind::Feed(_) | MonitorKind::Volume(_) => {
            IncidentKind::VendorStatus
        }
    }
}

fn title(monitor: &MonitorConfig, severity: Health) -> String {
    format!("{}: {}", monitor.display_name(), severity.label())
}

fn urgency(severity: Health) -> Urgency {
    if severity == Health::MajorOutage {
        Urgency::Critical
    } else {
        Urgency::Normal
    }
}

fn since_line(incident: &Incident) -> String {
    format!(
        "Since {}",
        incident.started_at.with_timezone(&Local).format("%H:%M")
    )
}

fn opened_notice(incident: &Incident, reading: &Reading) -> Notification {
    let mut body = vec![incident.summary.clone()];
    if let Some(v) = reading.vendor_incidents.iter().find(|v| !v.maintenance) {
        if v.title != incident.summary {
            body.push(format!("{} says: {}", incident.monitor_name, v.title));
        }
    }
    body.push(since_line(incident));
    Notification {
        summary: incident.title.clone(),
        body: body.join("\n"),
        urgency: urgency(incident.severity),
        about: Some(incident.about()),
    }
}

fn escalated_notice(incident: &Incident, now: DateTime<Utc>) -> Notification {
    let mut body = vec![
        incident.summary.clone(),
        format!(
            "{} · {} so far",
            since_line(incident),
            human_duration(incident.duration(now))
        ),
    ];
    body.extend(incident.cost_line().map(str::to_owned));
    Notification {
        summary: format!("{} (worse)", incident.title),
        body: body.join("\n"),
        urgency: urgency(incident.severity),
        about: Some(incident.about()),
    }
}

fn resolved_notice(incident: &Incident) -> Notification {
    let lasted = incident
        .ended_at
        .map(|end| human_duration(end - incident.started_at));
    Notification {
        summary: format!("{}: resolved", incident.monitor_name),
        body: format!(
            "The {} lasted {}.{}",
            incident.severity.label(),
            lasted.unwrap_or_else(|| "an unknown time".into()),
            incident
                .cost_line()
                .map(|c| format!("\n{c}"))
                .unwrap_or_default()
        ),
        urgency: Urgency::Low,
        about: Some(incident.about()),
    }
}
