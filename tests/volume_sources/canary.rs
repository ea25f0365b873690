//! The canary: a test event sent through Segment's Tracking API and looked for in
//! the events volume API, both played by one server; the monitor's clock is a test
//! clock, so a deadline passes without waiting.

use super::*;
use crate::common::vendor::{Reply, VendorServer};
use crate::segment::segment;
use chrono::Duration as TimeDelta;
use flatline::config::CanaryConfig;
use flatline::monitor::{CanaryMonitor, CheckError, Monitor, Reading};
use flatline::Health;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const TRACK: &str = "/v1/track";
const VOLUME: &str = "/events/volume";
/// base64("flatline:"): the write key as the user name, no password.
const BASIC: &str = "Basic ZmxhdGxpbmU6";

/// The last test event tracked: its name and when it was sent.
type Tracked = Arc<Mutex<Option<(String, DateTime<Utc>)>>>;

/// A pipeline that takes test events and, once `arrived` is set, counts them.
struct Pipeline {
    vendor: VendorServer,
    arrived: Arc<AtomicBool>,
    clock: Arc<Mutex<DateTime<Utc>>>,
    canary: CanaryMonitor,
}

impl Pipeline {
    async fn start() -> Pipeline {
        let vendor = VendorServer::start().await;
        let sent: Tracked = Arc::default();
        let arrived = Arc::new(AtomicBool::new(false));
        let on_track = sent.clone();
        vendor.handle(TRACK, move |request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let event = body["event"].as_str().unwrap().to_owned();
            let at = t(body["timestamp"].as_str().unwrap());
            *on_track.lock().unwrap() = Some((event, at));
            Reply::json(200, r#"{"success": true}"#)
        });
        let on_volume = (sent.clone(), arrived.clone());
        vendor.handle(VOLUME, move |request| {
            let sent = on_volume.0.lock().unwrap().clone();
            let result = match sent {
                Some((event, at)) if on_volume.1.load(Ordering::SeqCst) => {
                    assert_eq!(request.params("eventName"), [event.as_str()]);
                    let minute = at.format("%Y-%m-%dT%H:%M:00Z").to_string();
                    json!([{"eventName": event, "series": [{"time": minute, "count": 1}]}])
                }
                _ => json!([]),
            };
            Reply::json(200, json!({"data": {"result": result}}).to_string())
        });
        let clock = Arc::new(Mutex::new(t("2026-01-05T10:00:00Z")));
        let now = clock.clone();
        let cfg = CanaryConfig {
            url: vendor.url(""),
            write_key_env: TOKEN_ENV.into(),
            volume_monitor: "segment".into(),
            send_every_secs: 900.0,
            deadline_secs: 600.0,
        };
        let source = Arc::new(segment(&vendor, TOKEN_ENV));
        let canary = CanaryMonitor::new("canary", cfg, source, TIMEOUT)
            .with_clock(Arc::new(move || *now.lock().unwrap()));
        Pipeline {
            vendor,
            arrived,
            clock,
            canary,
        }
    }

    /// Check at `minutes` past 10:00.
    async fn check_at(&self, minutes: i64) -> Result<Reading, CheckError> {
        *self.clock.lock().unwrap() = t("2026-01-05T10:00:00Z") + TimeDelta::minutes(minutes);
        self.canary.check(&client()).await
    }

    fn arrive(&self) {
        self.arrived.store(true, Ordering::SeqCst);
    }
}

fn said(reading: &Reading) -> (Health, &str) {
    (reading.health, reading.summary.as_str())
}

#[tokio::test]
async fn a_test_event_that_arrives_is_operational() {
    let pipeline = Pipeline::start().await;
    let reading = pipeline.check_at(0).await.unwrap();
    assert_eq!(
        said(&reading),
        (Health::Operational, "test event sent at 10:00 UTC, waiting")
    );
    let tracked = pipeline.vendor.requests(TRACK);
    assert_eq!(tracked.len(), 1);
    let track = &tracked[0];
    assert_eq!(track.method, "POST");
    assert_eq!(track.header("authorization"), Some(BASIC));
    assert_eq!(track.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&track.body).unwrap();
    let event = body["event"].as_str().unwrap();
    assert!(event.starts_with("Flatline canary "), "{event}");
    assert_eq!(body["userId"], "flatline-canary");
    assert_eq!(body["timestamp"], "2026-01-05T10:00:00.000Z");
    assert!(body["messageId"].as_str().is_some_and(|m| !m.is_empty()));

    // Not there yet: the verdict waits.
    let reading = pipeline.check_at(1).await.unwrap();
    assert_eq!(reading.health, Health::Operational);
    pipeline.arrive();
    let reading = pipeline.check_at(3).await.unwrap();
    assert_eq!(
        said(&reading),
        (Health::Operational, "test event arrived after 3 min")
    );
    let looked = pipeline.vendor.requests(VOLUME);
    assert_eq!(looked.last().unwrap().params("eventName"), [event]);
    assert_eq!(
        looked.last().unwrap().param("startTime"),
        Some("2026-01-05T09:59:00Z")
    );

    // Nothing more is sent before the next round is due.
    pipeline.check_at(4).await.unwrap();
    assert_eq!(pipeline.vendor.hits(TRACK), 1);
    pipeline.check_at(15).await.unwrap();
    assert_eq!(pipeline.vendor.hits(TRACK), 2);
}

#[tokio::test]
async fn a_test_event_that_never_arrives_is_a_major_outage() {
    let pipeline = Pipeline::start().await;
    pipeline.check_at(0).await.unwrap();
    let reading = pipeline.check_at(5).await.unwrap();
    assert_eq!(reading.health, Health::Operational);
    let reading = pipeline.check_at(10).await.unwrap();
    assert_eq!(
        said(&reading),
        (
            Health::MajorOutage,
            "test event sent at 10:00 UTC has not arrived after 10 min"
        )
    );
    // The next test event goes out on schedule; the outage stands while it travels…
    let reading = pipeline.check_at(15).await.unwrap();
    assert_eq!(pipeline.vendor.hits(TRACK), 2);
    assert_eq!(reading.health, Health::MajorOutage);
    // …and ends when it arrives.
    pipeline.arrive();
    let reading = pipeline.check_at(17).await.unwrap();
    assert_eq!(
        said(&reading),
        (Health::Operational, "test event arrived after 2 min")
    );
}

#[tokio::test]
async fn a_refused_write_key_is_a_monitor_problem() {
    let pipeline = Pipeline::start().await;
    pipeline
        .vendor
        .set(TRACK, Reply::json(401, r#"{"error": "Invalid write key"}"#));
    let err = pipeline.check_at(0).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("HTTP 401 Unauthorized: Segment refused the write key in {TOKEN_ENV}")
    );
}

#[tokio::test]
async fn an_unreadable_volume_source_is_a_monitor_problem() {
    let pipeline = Pipeline::start().await;
    pipeline.check_at(0).await.unwrap();
    pipeline
        .vendor
        .set(VOLUME, Reply::text(500, "text/plain", "internal error"));
    let err = pipeline.check_at(12).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "HTTP 500 Internal Server Error: internal error"
    );
}
