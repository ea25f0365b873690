//! Canary: a test event sent through Segment's Tracking API on a schedule, and
//! looked for in the volume source of another monitor until it shows up.
//!
//! Every `send_every_secs` one event with a unique name goes out (`POST /v1/track`,
//! the write key as the Basic user name). Later checks ask the volume source for that
//! name from a minute before the send: a count above zero means the round trip
//! works. Past `deadline_secs` without it, the pipeline is taken as broken (major
//! outage) and the next test event goes out on schedule; health changes only when a
//! round trip ends, so while a test event is on its way the last verdict stands.
//! A send that fails or a volume source that cannot be read is a monitor problem
//! (`CheckError`), never an outage.

use super::{CheckError, Monitor, Reading};
use crate::config::CanaryConfig;
use crate::health::Health;
use crate::http::{require_success, Auth, HttpClient, RequestParts};
use crate::volume::VolumeSource;
use async_trait::async_trait;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// Where the volume source is asked to look, before the send: a bucket that started
/// a little earlier holds it, and clocks differ.
const LOOK_BEFORE: TimeDelta = TimeDelta::minutes(1);
const USER_ID: &str = "flatline-canary";

/// Tells the time; replaced in tests to walk through a deadline without waiting.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub struct CanaryMonitor {
    id: String,
    cfg: CanaryConfig,
    source: Arc<dyn VolumeSource>,
    timeout: Duration,
    clock: Clock,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The test event on its way.
    waiting: Option<Sent>,
    last_sent: Option<DateTime<Utc>>,
    /// The verdict of the last round trip that ended.
    verdict: Option<(Health, String)>,
}

struct Sent {
    event: String,
    at: DateTime<Utc>,
}

impl CanaryMonitor {
    pub fn new(
        id: &str,
        cfg: CanaryConfig,
        source: Arc<dyn VolumeSource>,
        timeout: Duration,
    ) -> CanaryMonitor {
        CanaryMonitor {
            id: id.to_owned(),
            cfg,
            source,
            timeout,
            clock: Arc::new(Utc::now),
            state: Mutex::default(),
        }
    }

    /// Use `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Clock) -> CanaryMonitor {
        self.clock = clock;
        self
    }

    /// Look for the test event; `Some` verdict once the round trip is over.
    async fn look(
        &self,
        http: &HttpClient,
        sent: &Sent,
        now: DateTime<Utc>,
    ) -> Result<Option<(Health, String)>, CheckError> {
        let batch = self
            .source
            .fetch(
                http,
                sent.at - LOOK_BEFORE,
                now,
                std::slice::from_ref(&sent.event),
            )
            .await?;
        let arrived = batch
            .buckets
            .iter()
            .any(|b| b.event == sent.event && b.count > 0.0);
        let waited = now - sent.at;
        Ok(if arrived {
            Some((
                Health::Operational,
                format!("test event arrived after {}", span(waited)),
            ))
        } else if waited >= TimeDelta::milliseconds((self.cfg.deadline_secs * 1000.0) as i64) {
            Some((
                Health::MajorOutage,
                format!(
                    "test event sent at {} UTC has not arrived after {}",
                    sent.at.format("%H:%M"),
                    span(waited)
                ),
            ))
        } else {
            None
        })
    }

    async fn send(&self, http: &HttpClient, now: DateTime<Utc>) -> Result<Sent, CheckError> {
        let key = std::env::var(&self.cfg.write_key_env)
            .ok()
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| CheckError::Other {
                detail: format!(
                    "set {} to the write key of the Segment source the test event goes through",
                    self.cfg.write_key_env
                ),
            })?;
        let token = format!("{:016x}", fastrand::u64(..));
        let event = format!("Flatline canary {token}");
        let body = serde_json::json!({
            "userId": USER_ID,
            "anonymousId": USER_ID,
            "event": event,
            "properties": { "source": "flatline", "monitor": self.id },
            "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "messageId": format!("flatline-canary-{token}"),
        });
        let mut parts = RequestParts {
            auth: Some(Auth::Basic {
                user: key,
                password: String::new(),
            }),
            body: Some(body.to_string().into_bytes()),
            ..RequestParts::default()
        };
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let url = format!("{}/v1/track", self.cfg.url.trim_end_matches('/'));
        let fetched = http
            .fetch_with(reqwest::Method::POST, &url, parts, self.timeout)
            .await?;
        if matches!(fetched.status, 401 | 403) {
            let reason = reqwest::StatusCode::from_u16(fetched.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or_default();
            return Err(CheckError::HttpStatus {
                status: fetched.status,
                reason: Some(format!(
                    "{reason}: Segment refused the write key in {}",
                    self.cfg.write_key_env
                )),
            });
        }
        require_success(&fetched)?;
        tracing::debug!(monitor = %self.id, %event, "canary test event sent");
        Ok(Sent { event, at: now })
    }
}

#[async_trait]
impl Monitor for CanaryMonitor {
    fn id(&self) -> &str {
        &self.id
    }

    async fn check(&self, http: &HttpClient) -> Result<Reading, CheckError> {
        let now = (self.clock)();
        let mut state = self.state.lock().await;
        if let Some(sent) = &state.waiting {
            if let Some(verdict) = self.look(http, sent, now).await? {
                state.verdict = Some(verdict);
                state.waiting = None;
            }
        }
        let every = TimeDelta::milliseconds((self.cfg.send_every_secs * 1000.0) as i64);
        let due = state.last_sent.is_none_or(|last| now - last >= every);
        if state.waiting.is_none() && due {
            let sent = self.send(http, now).await?;
            state.last_sent = Some(sent.at);
            state.waiting = Some(sent);
        }
        // Before the first round trip ends, a test event is on its way (a failed send
        // returned above).
        let (health, summary) = state.verdict.clone().unwrap_or_else(|| {
            let sent_at = state.last_sent.unwrap_or(now);
            (
                Health::Operational,
                format!(
                    "test event sent at {} UTC, waiting",
                    sent_at.format("%H:%M")
                ),
            )
        });
        Ok(Reading {
            health,
            summary,
            components: Vec::new(),
            vendor_incidents: Vec::new(),
            volume: None,
        })
    }
}

/// "40 s", "2 min", "1 h 5 min".
fn span(d: TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ if secs % 3600 / 60 == 0 => format!("{} h", secs / 3600),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(TimeDelta::seconds(40)), "40 s");
        assert_eq!(span(TimeDelta::seconds(150)), "2 min");
        assert_eq!(span(TimeDelta::seconds(3600)), "1 h");
        assert_eq!(span(TimeDelta::seconds(3900)), "1 h 5 min");
        assert_eq!(span(TimeDelta::seconds(-5)), "0 s");
    }
}
