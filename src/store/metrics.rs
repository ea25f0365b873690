//! Volume counts per bucket, the read cursor of each volume monitor, and the hourly
//! roll-up that keeps a year of history small.

use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// One stored count: bucket start (Unix seconds), event type, count.
pub type StoredBucket = (i64, String, f64);

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
                    "INSERT INTO metric_buckets (monitor_id, event, start, count) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (monitor_id, start, event) DO UPDATE SET count = excluded.count",
                )?;
                for (start, event, count) in &buckets {
                    insert.execute(params![monitor_id, event, start, count])?;
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
                "SELECT start, event, count FROM metric_buckets
                 WHERE monitor_id = ?1 AND start >= ?2 AND start < ?3 ORDER BY start, event",
            )?;
            let rows = stmt.query_map(params![monitor_id, from, until], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Move raw counts older than `before` into hourly sums. Returns how many raw rows
    /// were rolled up.
    pub async fn roll_up(&self, before: i64) -> Result<usize, StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO metric_hourly (monitor_id, event, hour, count)
                 SELECT monitor_id, event, start - (start % 3600), SUM(count)
                 FROM metric_buckets WHERE start < ?1
                 GROUP BY monitor_id, event, start - (start % 3600)
                 ON CONFLICT (monitor_id, hour, event) DO UPDATE SET count = count + excluded.count",
                [before],
            )?;
            let moved = tx.execute("DELETE FROM metric_buckets WHERE start < ?1", [before])?;
            tx.commit()?;
            Ok(moved)
        })
        .await
    }
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
            .map(|m| (m * 60, "Add to Cart".to_owned(), 2.0))
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
        assert_eq!(store.buckets("shop", 0, 7200).await.unwrap().len(), 120);
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
    }
}
