//! Any HTTP endpoint answering JSON, read with JSON pointers.

use super::*;
use crate::common::vendor::{Reply, VendorServer};
use flatline::config::HttpJsonConfig;
use flatline::monitor::CheckError;
use flatline::volume::{Batch, HttpJsonSource, VolumeSource};

const METRICS: &str = "/metrics/checkout";

fn config(vendor: &VendorServer) -> HttpJsonConfig {
    HttpJsonConfig {
        url: vendor.url(METRICS),
        token_env: None,
        series: None,
        timestamp: None,
        event: None,
        value: String::new(),
        bucket_secs: 60.0,
        lag_secs: 0.0,
    }
}

async fn fetch(
    reply: Reply,
    adjust: impl FnOnce(&mut HttpJsonConfig),
) -> (Result<Batch, CheckError>, VendorServer) {
    let vendor = VendorServer::start().await;
    vendor.set(METRICS, reply);
    let mut cfg = config(&vendor);
    adjust(&mut cfg);
    let source = HttpJsonSource::new(cfg, Some("Complete Payment".into()), TIMEOUT);
    let batch = source
        .fetch(&client(), t("2026-01-05T09:00:00Z"), t(NOW), &[])
        .await;
    (batch, vendor)
}

#[tokio::test]
async fn a_single_number_is_the_minute_that_just_ended() {
    let (batch, vendor) = fetch(Reply::json(200, "17\n"), |_| {}).await;
    let batch = batch.unwrap();
    assert_eq!(
        batch.buckets,
        vec![bucket("2026-01-05T10:04:00Z", "Complete Payment", 17.0)]
    );
    assert_eq!(batch.complete_until, t("2026-01-05T10:05:00Z"));
    assert_eq!(vendor.requests(METRICS)[0].header("authorization"), None);
}

#[tokio::test]
async fn a_series_is_read_with_pointers_and_a_token() {
    let body = r#"{"meta": {"generated": "now"}, "data": {"rows": [
        {"bucket": "2026-01-05T10:00:00Z", "labels": {"event": "Add to Cart"}, "stats": {"count": 12}},
        {"bucket": "2026-01-05T10:00:00+00:00", "labels": {"event": "Checkout"}, "stats": {"count": "3"}},
        {"bucket": 1767607260000, "labels": {"event": "Add to Cart"}, "stats": {"count": "9.0"}},
        {"bucket": 1767607290, "labels": {"event": "Add to Cart"}, "stats": {"count": 1}},
        {"bucket": 1767607320, "labels": {"event": "Checkout"}, "stats": {"count": null}}
    ]}}"#;
    let (batch, vendor) = fetch(Reply::json(200, body), |c| {
        c.series = Some("/data/rows".into());
        c.timestamp = Some("/bucket".into());
        c.event = Some("/labels/event".into());
        c.value = "/stats/count".into();
        c.token_env = Some(TOKEN_ENV.into());
    })
    .await;
    assert_eq!(
        sorted(batch.unwrap().buckets),
        vec![
            bucket("2026-01-05T10:00:00Z", "Add to Cart", 12.0),
            bucket("2026-01-05T10:00:00Z", "Checkout", 3.0),
            // Unix milliseconds and seconds, aligned down to the minute and summed.
            bucket("2026-01-05T10:01:00Z", "Add to Cart", 10.0),
        ]
    );
    assert_eq!(
        vendor.requests(METRICS)[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn a_bad_pointer_target_names_the_pointer_and_what_it_found() {
    let body = r#"{"data": {"rows": [{"count": 1}, {"count": {"value": 2}}]}}"#;
    let (batch, _) = fetch(Reply::json(200, body), |c| {
        c.series = Some("/data/rows".into());
        c.value = "/count".into();
    })
    .await;
    assert_eq!(
        batch.unwrap_err().to_string(),
        "could not parse the response: point 1: `value` `/count` holds an object, not a number"
    );
    let (batch, _) = fetch(Reply::json(200, body), |c| {
        c.series = Some("/data/points".into());
        c.value = "/count".into();
    })
    .await;
    assert_eq!(
        batch.unwrap_err().to_string(),
        "could not parse the response: `series` `/data/points` holds nothing (no such field), not an array"
    );
}

#[tokio::test]
async fn refusals_and_html_are_clear() {
    let (batch, _) = fetch(Reply::json(401, "{}"), |_| {}).await;
    assert_eq!(
        batch.unwrap_err().to_string(),
        "HTTP 401 Unauthorized: the endpoint wants credentials; name the variable holding a token in `token_env`"
    );
    let (batch, _) = fetch(Reply::text(503, "text/plain", "warming up"), |_| {}).await;
    assert_eq!(
        batch.unwrap_err().to_string(),
        "HTTP 503 Service Unavailable: warming up"
    );
    let (batch, _) = fetch(Reply::html(200, "<!doctype html><p>Log in</p>"), |_| {}).await;
    assert_eq!(
        batch.unwrap_err().to_string(),
        "could not parse the response: expected JSON, got an HTML page (text/html)"
    );
}
