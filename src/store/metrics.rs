//! Volume counts per bucket, the read cursor of each volume monitor, and the hourly
//! roll-up that keeps a year of history small.

use super::{Store, StoreError};
use crate::detect::Expectation;
use rusqlite::{params, OptionalExtension, Row};

/// One event type's count in one bucket, and what the detector expected of it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBucket {
    /// Bucket start, Unix seconds.
    pub start: i64,
    pub event: String,
    pub count: f64,
    /// `None` for buckets judged while the detector was learning.
    pub expected: Option<Expectation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub step_secs: i64,
    /// Every bucket starting before this (Unix seconds) is stored and final.
    pub complete_until: i64,
}

impl Store {
    /// Store a batch of counts and move the monitor's cursor, in one transaction so
    /// that a crash never leaves counts without the cursor that vouches for them.
    pub async fn save_buckets(
        &self,
        monitor_id: &str,
        buckets: Vec<StoredBucket>,
        cursor: Cursor,
    ) -> Result<(), StoreError> {
        let monitor_id = monitor_id.to_owned();
        self.call(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO metric_buckets
                         (monitor_id, event, start, count, expected, sd, implied)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (monitor_id, start, event) DO UPDATE
                     SET count = excluded.count, expected = excluded.expected, sd = excluded.sd,
                         implied = excluded.implied",
                )?;
                for b in &buckets {
                    insert.execute(params![
                        monitor_id,
                        b.event,
                        b.start,
                        b.count,
                        b.expected.map(|e| e.expected),
                        b.expected.map(|e| e.sd),
                        b.expected.is_some_and(|e| e.implied),
                    ])?;
                }
            }
            tx.execute(
                "INSERT INTO volume_cursor (monitor_id, step_secs, complete_until) VALUES (?1, ?2, ?3)
                 ON CONFLICT (monitor_id) DO UPDATE
                 SET step_secs = excluded.step_secs, complete_until = excluded.complete_until",
                params![monitor_id, cursor.step_secs, cursor.complete_until],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn cursor(&self, monitor_id: &str) -> Result<Option<Cursor>, StoreError> {
        let monitor_id = monitor_id.to_owned();
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT step_secs, complete_until FROM volume_cursor WHERE monitor_id = ?1",
                [monitor_id],
                |r| {
                    Ok(Cursor {
                        step_secs: r.get(0)?,
                        complete_until: r.get(1)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    /// Raw counts of a monitor in `[from, until)`, oldest first.
    pub async fn buckets(
        &self,
        monitor_id: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<StoredBucket>, StoreError> {
        let monitor_id = monitor_id.to_owned();
        self.call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT start, event, count, expected, sd, implied FROM metric_buckets
                 WHERE monitor_id = ?1 AND start >= ?2 AND start < ?3 ORDER BY start, event",
            )?;
            let rows = stmt.query_map(params![monitor_id, from, until], stored_bucket)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Counts of a monitor per hour in `[from, until)`, oldest first: the hourly
    /// roll-up and the raw counts summed per hour, for stretches older than the raw
    /// retention. The noise of an hourly sum is taken as Poisson.
    pub async fn hourly_buckets(
        &self,
        monitor_id: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<StoredBucket>, StoreError> {
        self.per_hour(monitor_id, from, until, false).await
    }

    /// As [`Store::hourly_buckets`], from the buckets the detector judged only, so that
    /// each hour's count and expectation cover the same buckets.
    pub async fn judged_hourly_buckets(
        &self,
        monitor_id: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<StoredBucket>, StoreError> {
        self.per_hour(monitor_id, from, until, true).await
    }

    async fn per_hour(
        &self,
        monitor_id: &str,
        from: i64,
        until: i64,
        judged_only: bool,
    ) -> Result<Vec<StoredBucket>, StoreError> {
        let monitor_id = monitor_id.to_owned();
        self.call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT hour, event, SUM(count), SUM(expected), NULL, 0 FROM (
                     SELECT hour, event, count, expected FROM metric_hourly
                     WHERE monitor_id = ?1 AND hour >= ?2 AND hour < ?3
                       AND (?4 = 0 OR expected IS NOT NULL)
                     UNION ALL
                     SELECT start - (start % 3600), event, count, expected FROM metric_buckets
                     WHERE monitor_id = ?1 AND start >= ?2 AND start < ?3
                       AND (?4 = 0 OR expected IS NOT NULL)
                 ) GROUP BY hour, event ORDER BY hour, event",
            )?;
            let rows =
                stmt.query_map(params![monitor_id, from, until, judged_only], stored_bucket)?;
            let mut rows = rows.collect::<Result<Vec<_>, _>>()?;
            for e in rows.iter_mut().filter_map(|r| r.expected.as_mut()) {
                e.sd = e.expected.sqrt();
            }
            Ok(rows)
        })
        .await
    }

    /// Move raw counts older than `before` into hourly sums. Returns how many raw rows
    /// were rolled up.
    pub async fn roll_up(&self, before: i64) -> Result<usize, StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO metric_hourly (monitor_id, event, hour, count, expected)
                 SELECT monitor_id, event, start - (start % 3600), SUM(count), SUM(expected)
                 FROM metric_buckets WHERE start < ?1
                 GROUP BY monitor_id, event, start - (start % 3600)
                 ON CONFLICT (monitor_id, hour, event) DO UPDATE
                 SET count = count + excluded.count,
                     expected = coalesce(expected, 0) + coalesce(excluded.expected, 0)",
                [before],
            )?;
            let moved = tx.execute("DELETE FROM metric_buckets WHERE start < ?1", [before])?;
            tx.commit()?;
            Ok(moved)
        })
        .await
    }
}

fn stored_bucket(r: &Row) -> rusqlite::Result<StoredBucket> {
    let expected: Option<f64> = r.get(3)?;
    let sd: Option<f64> = r.get(4)?;
    let implied: bool = r.get(5)?;
    Ok(StoredBucket {
        start: r.get(0)?,
        event: r.get(1)?,
        count: r.get(2)?,
        expected: expected.map(|expected| Expectation {
            expected,
            sd: sd.unwrap_or(0.0),
            implied,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_and_cursor_survive_a_reopen_and_roll_up_per_hour() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flatline.db");
        let store = Store::open(&path).await.unwrap();
        let rows = (0..120)
            .map(|m| StoredBucket {
                start: m * 60,
                event: "Add to Cart".to_owned(),
                count: 2.0,
                expected: (m >= 60).then_some(Expectation {
                    expected: 2.5,
                    sd: 1.6,
                    implied: m >= 90,
                }),
            })
            .collect();
        let cursor = Cursor {
            step_secs: 60,
            complete_until: 7200,
        };
        store.save_buckets("shop", rows, cursor).await.unwrap();
        drop(store);

        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.cursor("shop").await.unwrap(), Some(cursor));
        assert_eq!(store.cursor("other").await.unwrap(), None);
        let stored = store.buckets("shop", 0, 7200).await.unwrap();
        assert_eq!(stored.len(), 120);
        assert_eq!(stored[0].expected, None);
        assert_eq!(
            stored[60].expected,
            Some(Expectation {
                expected: 2.5,
                sd: 1.6,
                implied: false,
            })
        );
        assert!(stored[90].expected.unwrap().implied);
        assert_eq!(store.roll_up(3600).await.unwrap(), 60);
        assert_eq!(store.buckets("shop", 0, 7200).await.unwrap().len(), 60);
        let hourly: f64 = store
            .call(|c| {
                Ok(c.query_row(
                    "SELECT count FROM metric_hourly WHERE monitor_id = 'shop' AND hour = 0",
                    [],
                    |r| r.get(0),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(hourly, 120.0);
        // Older stretches read per hour: the roll-up and the raw rows summed.
        let per_hour = store.hourly_buckets("shop", 0, 7200).await.unwrap();
        assert_eq!(per_hour.len(), 2);
        assert_eq!((per_hour[0].count, per_hour[0].expected), (120.0, None));
        assert_eq!(per_hour[1].start, 3600);
        assert_eq!(per_hour[1].count, 120.0);
        let e = per_hour[1].expected.unwrap();
        assert!((e.expected - 150.0).abs() < 1e-9 && (e.sd - 150f64.sqrt()).abs() < 1e-9);
        // The hour learnt without judging has no expectation to hold its count against.
        let judged = store.judged_hourly_buckets("shop", 0, 7200).await.unwrap();
        assert_eq!(judged.len(), 1);
        assert_eq!((judged[0].start, judged[0].count), (3600, 120.0));
    }
}
