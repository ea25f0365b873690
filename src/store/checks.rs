//! Check history and the latest state of each monitor.

use super::time::{from_sql, to_sql};
use super::{Store, StoreError};
use crate::health::Health;
use crate::monitor::{CheckError, Observation, Reading};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

/// The latest recorded check of one monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestCheck {
    pub monitor_id: String,
    pub checked_at: DateTime<Utc>,
    pub health: Health,
    pub summary: String,
    pub latency_ms: u64,
    pub result: Result<Reading, CheckError>,
}

impl Store {
    /// Append the check to the history and make it the monitor's latest state, in one
    /// transaction.
    pub async fn record_observation(&self, obs: &Observation) -> Result<(), StoreError> {
        let health = obs.health();
        let (summary, error_kind, error_text, error_json, reading_json) = match &obs.result {
            Ok(r) => (r.summary.clone(), None, None, None, Some(to_json(r)?)),
            Err(e) => (
                e.to_string(),
                Some(e.kind()),
                Some(e.to_string()),
                Some(to_json(e)?),
                None,
            ),
        };
        let monitor_id = obs.monitor_id.clone();
        let at = to_sql(obs.checked_at);
        let latency = obs.latency_ms as i64;
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO checks (monitor_id, checked_at, health, latency_ms, error_kind, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![monitor_id, at, health.as_str(), latency, error_kind, error_text],
            )?;
            tx.execute(
                "INSERT INTO monitor_state (monitor_id, checked_at, health, summary, latency_ms, error_json, reading_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (monitor_id) DO UPDATE SET
                   checked_at = excluded.checked_at, health = excluded.health,
                   summary = excluded.summary, latency_ms = excluded.latency_ms,
                   error_json = excluded.error_json, reading_json = excluded.reading_json",
                params![monitor_id, at, health.as_str(), summary, latency, error_json, reading_json],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// The latest check of every monitor that was ever checked.
    /// The health each check of a monitor recorded in `[from, until]`, oldest first:
    /// how a vendor incident's severity moved while it lasted.
    pub async fn healths_between(
        &self,
        monitor_id: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Health)>, StoreError> {
        let monitor_id = monitor_id.to_owned();
        self.call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT checked_at, health FROM checks
                 WHERE monitor_id = ?1 AND checked_at >= ?2 AND checked_at <= ?3
                 ORDER BY checked_at, id",
            )?;
            let rows = stmt.query_map(params![monitor_id, to_sql(from), to_sql(until)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            rows.map(|row| {
                let (at, health) = row?;
                let health = Health::parse(&health)
                    .ok_or_else(|| StoreError::Corrupt(format!("health {health:?}")))?;
                Ok((from_sql(&at)?, health))
            })
            .collect()
        })
        .await
    }

    pub async fn latest_checks(&self) -> Result<Vec<LatestCheck>, StoreError> {
        self.call(|c| {
            let mut stmt = c.prepare(
                "SELECT monitor_id, checked_at, health, summary, latency_ms, error_json, reading_json
                 FROM monitor_state ORDER BY monitor_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (monitor_id, at, health, summary, latency, error_json, reading_json) = row?;
                let result = match (reading_json, error_json) {
                    (Some(r), _) => Ok(from_json(&r)?),
                    (None, Some(e)) => Err(from_json(&e)?),
                    (None, None) => return Err(StoreError::Corrupt(format!("monitor {monitor_id} has neither reading nor error"))),
                };
                out.push(LatestCheck {
                    checked_at: from_sql(&at)?,
                    health: Health::parse(&health)
                        .ok_or_else(|| StoreError::Corrupt(format!("health {health:?}")))?,
                    summary,
                    latency_ms: latency.max(0) as u64,
                    result,
                    monitor_id,
                });
            }
            Ok(out)
        })
        .await
    }

    /// How many checks are recorded for a monitor: the size of its history.
    pub async fn check_count(&self, monitor_id: &str) -> Result<u64, StoreError> {
        let id = monitor_id.to_owned();
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT count(*) FROM checks WHERE monitor_id = ?1",
                [id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .unwrap_or(0) as u64)
        })
        .await
    }
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("stored JSON: {e}")))
}
