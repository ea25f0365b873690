//! Conversion-volume sources: one kind per file, all behind [`VolumeSource`].
//!
//! A source reads event counts per time bucket for a range and says up to when its
//! buckets are complete; the engine stores them and feeds complete buckets, in order,
//! to the detector. A source never invents zeros for a range it could not read: a
//! fetch that fails is a `CheckError` (a monitor problem), never silence.

mod csv_file;
mod http_json;
mod prometheus;
mod segment;
mod wire;

pub use csv_file::CsvSource;
pub use http_json::HttpJsonSource;
pub use prometheus::PrometheusSource;
pub use segment::SegmentVolumeSource;

use crate::config::{VolumeConfig, VolumeSourceConfig};
use crate::http::HttpClient;
use crate::monitor::CheckError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One source of conversion-event counts.
#[async_trait]
pub trait VolumeSource: Send + Sync {
    /// Read the buckets that start in `[from, complete_until)`, where
    /// `complete_until` is what the source can vouch for at `now` (its lag and bucket
    /// size taken into account). `events` filters by event name; empty means all.
    ///
    /// A long range (first start, after a sleep) may be read in parts: the batch
    /// then ends earlier than `now` would allow and the engine asks again for the
    /// rest. Must not panic on any input.
    async fn fetch(
        &self,
        http: &HttpClient,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
        events: &[String],
    ) -> Result<Batch, CheckError>;
}

/// Counts read from a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The bucket size in seconds.
    pub step_secs: i64,
    /// Counts per bucket and event type, in any order. An event type with no row in
    /// a bucket before `complete_until` counted zero there.
    pub buckets: Vec<Bucket>,
    /// Every bucket that starts before this instant is complete and final.
    pub complete_until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub event: String,
    pub count: f64,
}

/// Build the source a volume monitor's config describes.
pub fn from_config(cfg: &VolumeConfig, timeout: Duration) -> Box<dyn VolumeSource> {
    match &cfg.source {
        VolumeSourceConfig::Segment(c) => Box::new(SegmentVolumeSource::new(c.clone(), timeout)),
        VolumeSourceConfig::HttpJson(c) => {
            // Points without an event name count for the monitor's one event.
            let default_event = match cfg.events.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            };
            Box::new(HttpJsonSource::new(c.clone(), default_event, timeout))
        }
        VolumeSourceConfig::Prometheus(c) => Box::new(PrometheusSource::new(c.clone(), timeout)),
        VolumeSourceConfig::Csv(c) => Box::new(CsvSource::new(c.clone())),
    }
}
