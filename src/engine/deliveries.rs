//! Team-channel posts: sending what the outbox holds when it is due, and each
//! channel's record for status.

use super::schedule::{backoff, jitter};
use super::{Engine, EngineError};
use crate::channels::{self, ChannelStatus, Retry};
use crate::config::Change;
use crate::store::{Attempt, PendingDelivery};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use std::time::Duration;

/// The first retry's wait; it doubles per failure up to the schedule's cap (5 min).
const FIRST_RETRY: Duration = Duration::from_secs(30);
/// A post older than this is stale news: it is given up rather than sent late.
const MAX_AGE: chrono::Duration = chrono::Duration::hours(24);
/// Posts sent in one tick; the rest wait for the next.
const BATCH: usize = 50;
/// Posts sent at the same time.
const PARALLEL: usize = 4;

/// What one attempt to post to a team channel did, for the tick's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryReport {
    pub channel_id: String,
    pub incident_id: i64,
    pub change: Change,
    /// Why it failed; `None` when it landed.
    pub error: Option<String>,
    /// Whether a failed post will be sent again.
    pub will_retry: bool,
}

/// What a test post to one channel did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryTest {
    pub channel_id: String,
    /// Why it failed; `None` when it landed.
    pub error: Option<String>,
}

impl Engine {
    /// Post a test message to each team channel named (all when none are), at once
    /// and outside the outbox: what each did, in config order.
    pub async fn test_channels(&self, ids: &[String]) -> Result<Vec<DeliveryTest>, EngineError> {
        let channels = &self.inner.config.channels;
        if let Some(unknown) = ids.iter().find(|id| !channels.iter().any(|c| &c.id == *id)) {
            return Err(EngineError::NoSuchChannel(unknown.clone()));
        }
        let timeout = self.inner.config.general.timeout();
        let monitors = self.inner.monitors.len();
        let mut tests = Vec::new();
        for channel in channels
            .iter()
            .filter(|c| ids.is_empty() || ids.contains(&c.id))
        {
            let payload = channels::test_payload(channel.kind, monitors);
            let sent = channels::send(&self.inner.http, channel, "test", &payload, timeout).await;
            tests.push(DeliveryTest {
                channel_id: channel.id.clone(),
                error: sent.err().map(|e| e.message),
            });
        }
        Ok(tests)
    }

    pub(super) async fn channel_statuses(&self) -> Result<Vec<ChannelStatus>, EngineError> {
        let channels = &self.inner.config.channels;
        let ids = channels.iter().map(|c| c.id.clone()).collect();
        let mut records = self.inner.store.channel_records(ids).await?;
        Ok(channels
            .iter()
            .map(|c| {
                let record = records
                    .iter()
                    .position(|r| r.channel_id == c.id)
                    .map(|i| records.swap_remove(i));
                ChannelStatus::of(c, record)
            })
            .collect())
    }

    /// Send the team-channel posts that are due at `now`.
    pub(super) async fn deliver_due(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryReport>, EngineError> {
        if self.inner.config.channels.is_empty() {
            return Ok(Vec::new());
        }
        let timeout = self.inner.config.general.timeout();
        // Held for longer than an attempt can take, so that a second process on the
        // same file leaves them alone meanwhile.
        let lease = chrono::Duration::from_std(timeout * 2).unwrap_or(chrono::Duration::MAX);
        let due = self
            .inner
            .store
            .claim_due_deliveries(now, lease, BATCH)
            .await?;
        let attempts = due.into_iter().map(|d| async move {
            let attempt = self.attempt(&d, now, timeout).await;
            (d, attempt)
        });
        let attempts: Vec<(PendingDelivery, Attempt)> = futures::stream::iter(attempts)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let mut reports = Vec::with_capacity(attempts.len());
        for (d, attempt) in attempts {
            let (error, will_retry) = match &attempt {
                Attempt::Delivered => (None, false),
                Attempt::Retry { error, .. } => (Some(error.clone()), true),
                Attempt::GaveUp { error } => (Some(error.clone()), false),
            };
            if let Some(error) = &error {
                tracing::warn!(channel = %d.channel_id, incident = d.incident_id, will_retry, "{error}");
            }
            self.inner.store.record_attempt(d.id, attempt, now).await?;
            reports.push(DeliveryReport {
                channel_id: d.channel_id,
                incident_id: d.incident_id,
                change: d.change,
                error,
                will_retry,
            });
        }
        Ok(reports)
    }

    async fn attempt(&self, d: &PendingDelivery, now: DateTime<Utc>, timeout: Duration) -> Attempt {
        let Some(channel) = self
            .inner
            .config
            .channels
            .iter()
            .find(|c| c.id == d.channel_id)
        else {
            return Attempt::GaveUp {
                error: format!("channel `{}` is no longer in the config", d.channel_id),
            };
        };
        if now - d.created_at > MAX_AGE {
            return Attempt::GaveUp {
                error: format!(
                    "channel `{}`: not delivered within {} hours; given up",
                    d.channel_id,
                    MAX_AGE.num_hours()
                ),
            };
        }
        let delivery = d.id.to_string();
        match channels::send(&self.inner.http, channel, &delivery, &d.payload, timeout).await {
            Ok(()) => Attempt::Delivered,
            Err(e) => match e.retry {
                Retry::Never => Attempt::GaveUp { error: e.message },
                Retry::Later { not_before } => {
                    let wait = jitter(backoff(FIRST_RETRY, d.attempts), fastrand::f64())
                        .max(not_before.unwrap_or_default());
                    Attempt::Retry {
                        error: e.message,
                        next: now + chrono::Duration::from_std(wait).unwrap_or(MAX_AGE),
                    }
                }
            },
        }
    }
}
