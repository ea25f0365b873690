//! The outbox of team-channel posts: written with the incident change, claimed by one
//! sender at a time, and kept with the outcome of its last attempt.

use super::time::{from_sql, to_sql};
use super::{Store, StoreError};
use crate::config::Change;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension};

/// A post to make, as the engine decides it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub channel_id: String,
    pub incident_id: i64,
    pub change: Change,
    pub payload: String,
}

/// A post that is due, claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDelivery {
    pub id: i64,
    pub channel_id: String,
    pub incident_id: i64,
    pub change: Change,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    /// Attempts before this one.
    pub attempts: u32,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    Delivered,
    /// Failed; try again at `next`.
    Retry {
        error: String,
        next: DateTime<Utc>,
    },
    /// Failed for good: the channel refuses it, or it failed too often.
    GaveUp {
        error: String,
    },
}

/// One channel's record, for status.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRecord {
    pub channel_id: String,
    pub last_delivered_at: Option<DateTime<Utc>>,
    /// The last attempt's error, unless a later post went through.
    pub last_error: Option<String>,
    /// Posts still to be sent.
    pub pending: u32,
}

impl Store {
    /// Queue posts, due at once.
    pub async fn enqueue_deliveries(
        &self,
        deliveries: Vec<NewDelivery>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        self.call(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO deliveries (channel_id, incident_id, change, payload,
                                             created_at, next_attempt_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                )?;
                for d in deliveries {
                    insert.execute(params![
                        d.channel_id,
                        d.incident_id,
                        d.change.as_str(),
                        d.payload,
                        to_sql(now)
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Take the posts due at `now`, oldest first, and hold them for `lease`: another
    /// process sees them again only if this one has not recorded an outcome by then.
    pub async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        self.call(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let due = {
                let mut select = tx.prepare(
                    "SELECT id, channel_id, incident_id, change, payload, attempts, created_at
                     FROM deliveries
                     WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?1
                     ORDER BY id LIMIT ?2",
                )?;
                let rows = select.query_map(params![to_sql(now), limit as i64], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, u32>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            let mut claimed = Vec::with_capacity(due.len());
            for (id, channel_id, incident_id, change, payload, attempts, created_at) in due {
                tx.execute(
                    "UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1",
                    params![id, to_sql(now + lease)],
                )?;
                let change = Change::parse(&change)
                    .ok_or_else(|| StoreError::Corrupt(format!("delivery change {change:?}")))?;
                claimed.push(PendingDelivery {
                    id,
                    channel_id,
                    incident_id,
                    change,
                    payload,
                    created_at: from_sql(&created_at)?,
                    attempts,
                });
            }
            tx.commit()?;
            Ok(claimed)
        })
        .await
    }

    pub async fn record_attempt(
        &self,
        id: i64,
        attempt: Attempt,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.call(move |c| {
            let (next, delivered, error) = match attempt {
                Attempt::Delivered => (None, Some(to_sql(at)), None),
                Attempt::Retry { error, next } => (Some(to_sql(next)), None, Some(error)),
                Attempt::GaveUp { error } => (None, None, Some(error)),
            };
            c.execute(
                "UPDATE deliveries
                 SET attempts = attempts + 1, next_attempt_at = ?2, delivered_at = ?3,
                     last_error = ?4
                 WHERE id = ?1",
                params![id, next, delivered, error],
            )?;
            Ok(())
        })
        .await
    }

    /// Each channel's last delivery, last error and backlog, for the channels named.
    pub async fn channel_records(
        &self,
        channel_ids: Vec<String>,
    ) -> Result<Vec<ChannelRecord>, StoreError> {
        self.call(move |c| {
            let mut records = Vec::with_capacity(channel_ids.len());
            for channel_id in channel_ids {
                let last_delivered: Option<(i64, String)> = c
                    .query_row(
                        "SELECT id, delivered_at FROM deliveries
                         WHERE channel_id = ?1 AND delivered_at IS NOT NULL
                         ORDER BY id DESC LIMIT 1",
                        [&channel_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let after = last_delivered.as_ref().map_or(0, |(id, _)| *id);
                let last_error: Option<String> = c
                    .query_row(
                        "SELECT last_error FROM deliveries
                         WHERE channel_id = ?1 AND id > ?2 AND last_error IS NOT NULL
                         ORDER BY id DESC LIMIT 1",
                        params![channel_id, after],
                        |r| r.get(0),
                    )
                    .optional()?;
                let pending: u32 = c.query_row(
                    "SELECT count(*) FROM deliveries
                     WHERE channel_id = ?1 AND next_attempt_at IS NOT NULL",
                    [&channel_id],
                    |r| r.get(0),
                )?;
                records.push(ChannelRecord {
                    last_delivered_at: last_delivered.map(|(_, at)| from_sql(&at)).transpose()?,
                    channel_id,
                    last_error,
                    pending,
                });
            }
            Ok(records)
        })
        .await
    }

    /// Forget the posts created before `before` that are done with, delivered or
    /// given up; returns how many.
    pub async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        self.call(move |c| {
            Ok(c.execute(
                "DELETE FROM deliveries WHERE next_attempt_at IS NULL AND created_at < ?1",
                [to_sql(before)],
            )?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::IncidentKind;
    use crate::store::NewIncident;
    use crate::Health;

    #[tokio::test]
    async fn finished_posts_are_pruned_and_waiting_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("f.db")).await.unwrap();
        let t = |days: i64| DateTime::<Utc>::UNIX_EPOCH + Duration::days(days);
        let incident = store
            .open_incident(NewIncident {
                monitor_id: "segment".into(),
                monitor_name: "Segment".into(),
                kind: IncidentKind::VendorStatus,
                severity: Health::PartialOutage,
                title: "Segment: partial outage".into(),
                summary: String::new(),
                started_at: t(0),
                detected_at: t(0),
                components: Vec::new(),
                url: None,
                drops: Vec::new(),
                cause_incident_id: None,
            })
            .await
            .unwrap();
        let post = |channel: &str| NewDelivery {
            channel_id: channel.into(),
            incident_id: incident.id,
            change: Change::Opened,
            payload: "{}".into(),
        };
        store
            .enqueue_deliveries(vec![post("landed"), post("refused"), post("waiting")], t(0))
            .await
            .unwrap();
        let claimed = store
            .claim_due_deliveries(t(0), Duration::seconds(20), 10)
            .await
            .unwrap();
        let outcome = |channel: &str| match channel {
            "landed" => Attempt::Delivered,
            "refused" => Attempt::GaveUp {
                error: "HTTP 404".into(),
            },
            _ => Attempt::Retry {
                error: "HTTP 503".into(),
                next: t(100),
            },
        };
        for d in claimed {
            store
                .record_attempt(d.id, outcome(&d.channel_id), t(0))
                .await
                .unwrap();
        }
        assert_eq!(
            store.prune_deliveries(t(0)).await.unwrap(),
            0,
            "none is old enough"
        );
        assert_eq!(store.prune_deliveries(t(1)).await.unwrap(), 2);
        let left = store
            .claim_due_deliveries(t(100), Duration::seconds(20), 10)
            .await
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].channel_id, "waiting");
    }
}
