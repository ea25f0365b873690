//! Volume monitors in the engine: read counts since the cursor, store them and feed
//! the detector; `volume_incidents.rs` turns its alerts into incidents.

use super::EngineError;
use crate::config::{MonitorConfig, VolumeConfig};
use crate::detect::{Alert, Detector, DetectorOptions, StreamState, POOLED};
use crate::health::Health;
use crate::http::HttpClient;
use crate::incident::{human_duration, utc, VolumeStatus};
use crate::monitor::{CheckError, Observation, Reading};
use crate::store::{Cursor, Store, StoreError, StoredBucket};
use crate::volume::{Batch, VolumeSource};
use chrono::{DateTime, TimeDelta, Utc};
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

impl VolumeRead {
    /// Since when `event` has flowed again while its episode is open (see
    /// `StreamStatus::back_for_secs`): the end of the latest bucket, less that time.
    pub fn back_since(&self, event: &str) -> Option<DateTime<Utc>> {
        let volume = self.observation.result.as_ref().ok()?.volume.as_ref()?;
        let stream = volume.streams.iter().find(|s| s.event == event)?;
        let latest_end = volume.bucket_start? + TimeDelta::seconds(volume.step_secs);
        Some(latest_end - TimeDelta::seconds(stream.back_for_secs? as i64))
    }
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
        let Some(first) = rows.first().map(|r| r.start) else {
            return Ok(detector);
        };
        let batch = Batch {
            step_secs: cursor.step_secs,
            buckets: Vec::new(),
            complete_until: utc(cursor.complete_until),
        };
        let counts = rows.into_iter().map(|r| (r.start, r.event, r.count));
        replay_counts(
            &mut detector,
            &self.volume.events,
            &batch,
            first,
            counts,
            None,
        );
        tracing::debug!(monitor = %self.config.id, "volume baseline restored from the store");
        Ok(detector)
    }
}

/// Push the batch's complete buckets, in order, zero-filling event types without a
/// row. Returns every judged bucket of every event type, with what the detector
/// expected of it, to store, and the alerts raised.
fn judge(
    detector: &mut Detector,
    watched: &[String],
    batch: &Batch,
    from: DateTime<Utc>,
    cursor: Option<i64>,
) -> (Vec<StoredBucket>, Vec<Alert>) {
    let step = batch.step_secs;
    let until = batch.complete_until.timestamp();
    let counts: Vec<Count> = batch
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
        None => match counts.iter().map(|r| r.0).min() {
            Some(first) => first,
            None => return (Vec::new(), Vec::new()),
        },
    };
    let mut judged = Vec::new();
    let alerts = replay_counts(
        detector,
        watched,
        batch,
        begin,
        counts.into_iter(),
        Some(&mut judged),
    );
    (judged, alerts)
}

/// One count as a source gave it: bucket start, event type, count.
type Count = (i64, String, f64);

/// Feed buckets `[begin, batch.complete_until)` to the detector from counts sorted or
/// not; returns the alerts, and records each judged bucket when asked to.
fn replay_counts(
    detector: &mut Detector,
    watched: &[String],
    batch: &Batch,
    begin: i64,
    counts: impl Iterator<Item = Count>,
    mut record: Option<&mut Vec<StoredBucket>>,
) -> Vec<Alert> {
    let step = batch.step_secs;
    let begin = begin.div_euclid(step) * step;
    let until = batch.complete_until.timestamp();
    let mut by_bucket: HashMap<i64, Vec<(usize, f64)>> = HashMap::new();
    for (start, event, count) in counts {
        if watched.is_empty() || watched.contains(&event) {
            let index = detector.event(&event);
            by_bucket.entry(start).or_default().push((index, count));
        }
    }
    let mut alerts = Vec::new();
    let mut bucket = Vec::new();
    let mut t = begin;
    while t < until {
        bucket.clear();
        bucket.resize(detector.events().len(), 0.0);
        for &(i, c) in by_bucket.get(&t).into_iter().flatten() {
            bucket[i] += c;
        }
        alerts.extend_from_slice(detector.push(t, &bucket));
        if let Some(judged) = record.as_deref_mut() {
            let events = detector.events();
            for ((event, &count), expected) in
                events.iter().zip(&bucket).zip(detector.expectations())
            {
                judged.push(StoredBucket {
                    start: t,
                    event: event.clone(),
                    count,
                    expected,
                });
            }
            // Stored after the buckets they revise, which may be in this batch.
            for (i, start, count, expected) in detector.revisions() {
                judged.push(StoredBucket {
                    start,
                    event: events[i].clone(),
                    count,
                    expected: Some(expected),
                });
            }
        }
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
        .map(|s| match s.back_for_secs {
            Some(secs) => format!("{} (flowing again for {})", s.event, human_secs(secs)),
            None => s.event.clone(),
        })
        .collect();
    let pooled = streams.iter().find(|s| s.event == POOLED);
    let summary = if !down.is_empty() {
        format!("dropped: {}", down.join(", "))
    } else if let Some(learning) = streams.iter().find(|s| s.state == StreamState::Learning) {
        let seen = learning.learned * 100.0;
        let learning = if learning.relearning {
            let name = crate::detect::event_name(&learning.event);
            let why = if learning.too_sparse {
                "it has fewer events than buckets, so it learns them by the hour now; a \
                 monitor of its own in hourly buckets finds its drops sooner (see the README)"
            } else {
                "for days it ran far above what had been learnt"
            };
            format!(
                "learning the usual volume of {name} again ({seen:.0}% of two weeks seen): {why}"
            )
        } else {
            format!("learning the usual volume ({seen:.0}% of two weeks seen)")
        };
        // A stream without an empty bucket for a day is watched for silence already.
        match streams
            .iter()
            .filter_map(|s| s.silence_alert_after_secs)
            .min_by(f64::total_cmp)
        {
            Some(secs) => format!(
                "{learning}; a total silence would be alarmed after {}",
                human_secs(secs)
            ),
            None => learning,
        }
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

fn human_secs(secs: f64) -> String {
    human_duration(chrono::Duration::seconds(secs as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::StreamStatus;

    fn learning(event: &str, silence_alert_after_secs: Option<f64>) -> StreamStatus {
        StreamStatus {
            event: event.to_owned(),
            state: StreamState::Learning,
            expected: 0.0,
            observed: 40.0,
            learned: 0.25,
            relearning: false,
            too_sparse: false,
            silence_alert_after_secs,
            back_for_secs: None,
        }
    }

    fn silent(event: &str, back_for_secs: Option<f64>) -> StreamStatus {
        StreamStatus {
            state: StreamState::Silence,
            expected: 12.0,
            observed: 11.0,
            back_for_secs,
            ..learning(event, None)
        }
    }

    fn summary(streams: Vec<StreamStatus>) -> String {
        reading(VolumeStatus {
            bucket_start: None,
            step_secs: 60,
            streams,
        })
        .summary
    }

    #[test]
    fn learning_says_whether_a_total_silence_is_watched_already() {
        assert_eq!(
            summary(vec![learning("Purchase", None), learning(POOLED, None)]),
            "learning the usual volume (25% of two weeks seen)"
        );
        assert_eq!(
            summary(vec![
                learning("Purchase", Some(600.0)),
                learning(POOLED, Some(180.0))
            ]),
            "learning the usual volume (25% of two weeks seen); \
             a total silence would be alarmed after 3 min"
        );
    }

    #[test]
    fn an_event_type_learning_again_says_which_and_why() {
        let again = StreamStatus {
            relearning: true,
            ..learning("Complete Payment", None)
        };
        let ok = StreamStatus {
            state: StreamState::Ok,
            ..learning(POOLED, None)
        };
        assert_eq!(
            summary(vec![again.clone(), ok.clone()]),
            "learning the usual volume of Complete Payment again (25% of two weeks seen): \
             for days it ran far above what had been learnt"
        );
        let sparse = StreamStatus {
            too_sparse: true,
            ..again
        };
        assert_eq!(
            summary(vec![sparse, ok]),
            "learning the usual volume of Complete Payment again (25% of two weeks seen): \
             it has fewer events than buckets, so it learns them by the hour now; a \
             monitor of its own in hourly buckets finds its drops sooner (see the README)"
        );
    }

    #[test]
    fn a_dropped_event_type_flowing_again_says_so_until_the_drop_is_over() {
        assert_eq!(
            summary(vec![
                silent("Add to Cart", Some(360.0)),
                silent("Initiate Checkout", None)
            ]),
            "dropped: Add to Cart (flowing again for 6 min), Initiate Checkout"
        );
    }
}
