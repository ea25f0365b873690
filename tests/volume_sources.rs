//! Volume sources and the canary over real HTTP on 127.0.0.1 (Segment, Prometheus,
//! an HTTP JSON endpoint) and real files (CSV).

#[path = "volume_sources/canary.rs"]
mod canary;
mod common;
#[path = "volume_sources/csv.rs"]
mod csv;
#[path = "volume_sources/http_json.rs"]
mod http_json;
#[path = "volume_sources/prometheus.rs"]
mod prometheus;
#[path = "volume_sources/segment.rs"]
mod segment;

use chrono::{DateTime, Utc};
use flatline::http::HttpClient;
use flatline::volume::Bucket;
use std::time::Duration;

/// Cargo sets this variable when it runs tests, so it serves as a token without
/// `set_var`, which races with the other test threads reading the environment.
const TOKEN_ENV: &str = "CARGO_PKG_NAME";
const TOKEN: &str = env!("CARGO_PKG_NAME");
const VOLUME: &str = "/events/volume";
const TIMEOUT: Duration = Duration::from_secs(5);
/// The clock of most tests: with a one-minute lag, buckets up to 10:04 are complete.
const NOW: &str = "2026-01-05T10:05:30Z";

fn t(text: &str) -> DateTime<Utc> {
    text.parse().expect("a test time")
}

fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn client() -> HttpClient {
    HttpClient::new(1024 * 1024).expect("HTTP client")
}

fn bucket(start: &str, event: &str, count: f64) -> Bucket {
    Bucket {
        start: t(start),
        event: event.into(),
        count,
    }
}

fn sorted(mut buckets: Vec<Bucket>) -> Vec<Bucket> {
    buckets.sort_by(|a, b| (a.start, &a.event).cmp(&(b.start, &b.event)));
    buckets
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
