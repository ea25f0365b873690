//! Incidents, the vendor's updates on them, and acknowledgements.

use super::checks::{from_json, to_json};
use super::time::{from_sql, to_sql};
use super::{Store, StoreError};
use crate::health::Health;
use crate::impact::Estimate;
use crate::incident::{
    Acknowledgement, Cause, EventDrop, Incident, IncidentKind, IncidentUpdate,
    SILENT_OUTAGE_CHECKLIST,
};
use crate::monitor::VendorUpdate;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

/// Which incidents to list; newest first.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct IncidentQuery {
    pub open_only: bool,
    /// Incidents that were still open at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub monitor_id: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub monitor_id: String,
    pub monitor_name: String,
    pub kind: IncidentKind,
    pub severity: Health,
    pub title: String,
    pub summary: String,
    pub started_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub components: Vec<String>,
    pub url: Option<String>,
    pub drops: Vec<EventDrop>,
    pub cause_incident_id: Option<i64>,
}

/// What a volume incident says now.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeChange {
    pub kind: IncidentKind,
    pub severity: Health,
    pub title: String,
    pub summary: String,
    pub started_at: DateTime<Utc>,
    pub components: Vec<String>,
    pub drops: Vec<EventDrop>,
    pub cause_incident_id: Option<i64>,
}

const INCIDENT_COLUMNS: &str =
    "i.id, i.monitor_id, i.monitor_name, i.kind, i.severity, i.title, i.summary,
     i.started_at, i.detected_at, i.ended_at, i.components, i.url, a.by, a.at, a.note,
     i.drops, i.cause_incident_id, c.monitor_id, c.title, i.impact";

const INCIDENT_FROM: &str = "incidents i
     LEFT JOIN acknowledgements a ON a.incident_id = i.id
     LEFT JOIN incidents c ON c.id = i.cause_incident_id";

impl Store {
    pub async fn open_incident(&self, new: NewIncident) -> Result<Incident, StoreError> {
        let components = to_json(&new.components)?;
        let drops = to_json(&new.drops)?;
        self.call(move |c| {
            c.execute(
                "INSERT INTO incidents (monitor_id, monitor_name, kind, severity, title, summary,
                                        started_at, detected_at, components, url, drops,
                                        cause_incident_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    new.monitor_id,
                    new.monitor_name,
                    new.kind.as_str(),
                    new.severity.as_str(),
                    new.title,
                    new.summary,
                    to_sql(new.started_at),
                    to_sql(new.detected_at),
                    components,
                    new.url,
                    drops,
                    new.cause_incident_id
                ],
            )?;
            load(c, c.last_insert_rowid())
        })
        .await
    }

    /// Refresh what an open incident says now. Severity only ever rises: an incident
    /// remembers the worst it got.
    pub async fn update_incident(
        &self,
        id: i64,
        severity: Health,
        title: String,
        summary: String,
        components: Vec<String>,
    ) -> Result<Incident, StoreError> {
        let components = to_json(&components)?;
        self.call(move |c| {
            c.execute(
                "UPDATE incidents SET severity = ?2, title = ?3, summary = ?4, components = ?5 WHERE id = ?1",
                params![id, severity.as_str(), title, summary, components],
            )?;
            load(c, id)
        })
        .await
    }

    /// Refresh what an open volume incident says: its episodes, and a cause that may
    /// have appeared since (which turns a silent outage into a volume drop).
    pub async fn update_volume_incident(
        &self,
        id: i64,
        change: VolumeChange,
    ) -> Result<Incident, StoreError> {
        let components = to_json(&change.components)?;
        let drops = to_json(&change.drops)?;
        self.call(move |c| {
            c.execute(
                "UPDATE incidents SET kind = ?2, severity = ?3, title = ?4, summary = ?5,
                        started_at = ?6, components = ?7, drops = ?8, cause_incident_id = ?9
                 WHERE id = ?1",
                params![
                    id,
                    change.kind.as_str(),
                    change.severity.as_str(),
                    change.title,
                    change.summary,
                    to_sql(change.started_at),
                    components,
                    drops,
                    change.cause_incident_id
                ],
            )?;
            load(c, id)
        })
        .await
    }

    /// Record the vendor's updates, skipping those already recorded. Returns how many
    /// were new.
    pub async fn add_vendor_updates(
        &self,
        id: i64,
        updates: Vec<VendorUpdate>,
    ) -> Result<usize, StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            let mut added = 0;
            {
                let mut stmt = tx.prepare(
                    "INSERT OR IGNORE INTO incident_updates (incident_id, vendor_id, at, status, body)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for u in &updates {
                    added += stmt.execute(params![id, u.id, to_sql(u.at), u.status, u.body])?;
                }
            }
            tx.commit()?;
            Ok(added)
        })
        .await
    }

    pub async fn resolve_incident(
        &self,
        id: i64,
        ended_at: DateTime<Utc>,
    ) -> Result<Incident, StoreError> {
        self.call(move |c| {
            c.execute(
                "UPDATE incidents SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
                params![id, to_sql(ended_at)],
            )?;
            load(c, id)
        })
        .await
    }

    /// Acknowledge an incident; acknowledging again replaces the earlier note.
    pub async fn acknowledge(&self, id: i64, ack: Acknowledgement) -> Result<Incident, StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            let exists: bool = tx
                .query_row("SELECT 1 FROM incidents WHERE id = ?1", [id], |_| Ok(true))
                .optional()?
                .unwrap_or(false);
            if !exists {
                return Err(StoreError::NoSuchIncident(id));
            }
            tx.execute(
                "INSERT INTO acknowledgements (incident_id, by, at, note) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (incident_id) DO UPDATE SET by = excluded.by, at = excluded.at, note = excluded.note",
                params![id, ack.by, to_sql(ack.at), ack.note],
            )?;
            tx.commit()?;
            load(c, id)
        })
        .await
    }

    pub async fn incident(&self, id: i64) -> Result<Incident, StoreError> {
        self.call(move |c| load(c, id)).await
    }

    /// Record an incident's latest impact estimate.
    pub async fn set_impact(&self, id: i64, estimate: &Estimate) -> Result<Incident, StoreError> {
        let impact = to_json(estimate)?;
        self.call(move |c| {
            c.execute(
                "UPDATE incidents SET impact = ?2 WHERE id = ?1",
                params![id, impact],
            )?;
            load(c, id)
        })
        .await
    }

    /// The incidents whose likely cause is incident `id`, newest first.
    pub async fn incidents_caused_by(&self, id: i64) -> Result<Vec<Incident>, StoreError> {
        self.call(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {INCIDENT_COLUMNS} FROM {INCIDENT_FROM}
                 WHERE i.cause_incident_id = ?1 ORDER BY i.started_at DESC, i.id DESC"
            ))?;
            let raws = stmt
                .query_map([id], RawIncident::from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            raws.into_iter().map(|raw| raw.finish(c)).collect()
        })
        .await
    }

    /// The open incident of a monitor, if any.
    pub async fn open_incident_of(&self, monitor_id: &str) -> Result<Option<Incident>, StoreError> {
        let mut found = self
            .incidents(IncidentQuery {
                open_only: true,
                monitor_id: Some(monitor_id.to_owned()),
                limit: Some(1),
                ..Default::default()
            })
            .await?;
        Ok(found.pop())
    }

    pub async fn incidents(&self, q: IncidentQuery) -> Result<Vec<Incident>, StoreError> {
        self.call(move |c| {
            let mut sql = format!(
                "SELECT {INCIDENT_COLUMNS} FROM {INCIDENT_FROM}
                 WHERE (?1 = 0 OR i.ended_at IS NULL)
                   AND (?2 IS NULL OR i.ended_at IS NULL OR i.ended_at >= ?2)
                   AND (?3 IS NULL OR i.monitor_id = ?3)
                 ORDER BY (i.ended_at IS NULL) DESC, i.started_at DESC, i.id DESC"
            );
            if let Some(limit) = q.limit {
                sql.push_str(&format!(" LIMIT {limit}"));
            }
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(
                params![q.open_only as i64, q.since.map(to_sql), q.monitor_id],
                RawIncident::from_row,
            )?;
            let raws = rows.collect::<Result<Vec<_>, _>>()?;
            raws.into_iter().map(|raw| raw.finish(c)).collect()
        })
        .await
    }
}

fn load(c: &Connection, id: i64) -> Result<Incident, StoreError> {
    let raw = c
        .query_row(
            &format!("SELECT {INCIDENT_COLUMNS} FROM {INCIDENT_FROM} WHERE i.id = ?1"),
            [id],
            RawIncident::from_row,
        )
        .optional()?
        .ok_or(StoreError::NoSuchIncident(id))?;
    raw.finish(c)
}

/// A row as SQLite returns it, before text is turned back into typed values.
struct RawIncident {
    id: i64,
    monitor_id: String,
    monitor_name: String,
    kind: String,
    severity: String,
    title: String,
    summary: String,
    started_at: String,
    detected_at: String,
    ended_at: Option<String>,
    components: String,
    url: Option<String>,
    ack_by: Option<String>,
    ack_at: Option<String>,
    ack_note: Option<String>,
    drops: String,
    cause_id: Option<i64>,
    cause_monitor_id: Option<String>,
    cause_title: Option<String>,
    impact: Option<String>,
}

impl RawIncident {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<RawIncident> {
        Ok(RawIncident {
            id: r.get(0)?,
            monitor_id: r.get(1)?,
            monitor_name: r.get(2)?,
            kind: r.get(3)?,
            severity: r.get(4)?,
            title: r.get(5)?,
            summary: r.get(6)?,
            started_at: r.get(7)?,
            detected_at: r.get(8)?,
            ended_at: r.get(9)?,
            components: r.get(10)?,
            url: r.get(11)?,
            ack_by: r.get(12)?,
            ack_at: r.get(13)?,
            ack_note: r.get(14)?,
            drops: r.get(15)?,
            cause_id: r.get(16)?,
            cause_monitor_id: r.get(17)?,
            cause_title: r.get(18)?,
            impact: r.get(19)?,
        })
    }

    fn finish(self, c: &Connection) -> Result<Incident, StoreError> {
        let mut stmt = c.prepare_cached(
            "SELECT at, status, body FROM incident_updates WHERE incident_id = ?1 ORDER BY at DESC, id DESC",
        )?;
        let updates = stmt
            .query_map([self.id], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
            })?
            .map(|row| {
                let (at, status, body) = row?;
                Ok(IncidentUpdate {
                    at: from_sql(&at)?,
                    status,
                    body,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let acknowledgement = match (self.ack_by, self.ack_at) {
            (Some(by), Some(at)) => Some(Acknowledgement {
                by,
                at: from_sql(&at)?,
                note: self.ack_note,
            }),
            _ => None,
        };
        let kind = IncidentKind::parse(&self.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("incident kind {:?}", self.kind)))?;
        let cause = match (self.cause_id, self.cause_monitor_id, self.cause_title) {
            (Some(incident_id), Some(monitor_id), Some(title)) => Some(Cause {
                incident_id,
                monitor_id,
                title,
            }),
            _ => None,
        };
        Ok(Incident {
            id: self.id,
            kind,
            severity: Health::parse(&self.severity)
                .ok_or_else(|| StoreError::Corrupt(format!("severity {:?}", self.severity)))?,
            started_at: from_sql(&self.started_at)?,
            detected_at: from_sql(&self.detected_at)?,
            ended_at: self.ended_at.as_deref().map(from_sql).transpose()?,
            components: from_json(&self.components)?,
            monitor_id: self.monitor_id,
            monitor_name: self.monitor_name,
            title: self.title,
            summary: self.summary,
            url: self.url,
            updates,
            acknowledgement,
            drops: from_json(&self.drops)?,
            cause,
            checklist: if kind == IncidentKind::SilentOutage {
                SILENT_OUTAGE_CHECKLIST.map(str::to_owned).to_vec()
            } else {
                Vec::new()
            },
            // An estimate is derived data: one this version cannot read is simply
            // computed again, never a reason to lose the incident.
            impact: self
                .impact
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok()),
        })
    }
}
