//! What the desktop's notifications depend on: the snooze (held from one time until
//! another) and when each open incident was last told.

use super::time::{from_sql, to_sql};
use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snooze {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Store {
    /// Set the snooze, or lift it with `None`.
    pub async fn set_snooze(&self, snooze: Option<Snooze>) -> Result<(), StoreError> {
        self.call(move |c| {
            match snooze {
                Some(s) => c.execute(
                    "INSERT INTO snooze (id, since, until) VALUES (1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET since = excluded.since, until = excluded.until",
                    params![to_sql(s.since), to_sql(s.until)],
                )?,
                None => c.execute("DELETE FROM snooze", [])?,
            };
            Ok(())
        })
        .await
    }

    /// The snooze as set, whether or not it has run out.
    pub async fn snooze(&self) -> Result<Option<Snooze>, StoreError> {
        self.call(|c| {
            let row: Option<(String, String)> = c
                .query_row("SELECT since, until FROM snooze WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            row.map(|(since, until)| {
                Ok(Snooze {
                    since: from_sql(&since)?,
                    until: from_sql(&until)?,
                })
            })
            .transpose()
        })
        .await
    }

    /// Note that the desktop was told of incident `id` at `at`.
    pub async fn mark_told(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.call(move |c| {
            c.execute(
                "UPDATE incidents SET told_at = ?2 WHERE id = ?1",
                params![id, to_sql(at)],
            )?;
            Ok(())
        })
        .await
    }

    /// Claim the reminder of incident `id` at `now` if the desktop last heard of it
    /// (or it was detected) at `told_before` or earlier. Only one process wins a claim.
    pub async fn claim_reminder(
        &self,
        id: i64,
        now: DateTime<Utc>,
        told_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.call(move |c| {
            let claimed = c.execute(
                "UPDATE incidents SET told_at = ?2
                 WHERE id = ?1 AND COALESCE(told_at, detected_at) <= ?3",
                params![id, to_sql(now), to_sql(told_before)],
            )?;
            Ok(claimed == 1)
        })
        .await
    }
}
