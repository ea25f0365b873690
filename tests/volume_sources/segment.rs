//! Segment's events volume API.

use super::*;
use crate::common::vendor::{fixture_path, Received, Reply, VendorServer};
use chrono::Duration as TimeDelta;
use flatline::config::{Granularity, SegmentVolumeConfig};
use flatline::monitor::CheckError;
use flatline::volume::{Batch, SegmentVolumeSource, VolumeSource};
use serde_json::json;
use std::collections::HashMap;

pub(crate) fn segment(vendor: &VendorServer, token_env: &str) -> SegmentVolumeSource {
    SegmentVolumeSource::new(
        SegmentVolumeConfig {
            url: vendor.url(""),
            token_env: token_env.into(),
            granularity: Granularity::Minute,
            source_ids: names(&["src-web"]),
            lag_secs: 60.0,
        },
        TIMEOUT,
    )
}

async fn fetch_segment(reply: Reply) -> Result<Batch, CheckError> {
    let vendor = VendorServer::start().await;
    vendor.set(VOLUME, reply);
    segment(&vendor, TOKEN_ENV)
        .fetch(&client(), t("2026-01-05T10:00:00Z"), t(NOW), &[])
        .await
}

/// Answers like Segment: a row per event with a count for every minute of the
/// window asked for, the same count for the same minute whatever the window.
fn every_minute(events: &'static [&'static str]) -> impl Fn(&Received) -> Reply {
    move |request| {
        let start = t(request.param("startTime").expect("startTime"));
        let end = t(request.param("endTime").expect("endTime"));
        let minutes: Vec<_> =
            std::iter::successors(Some(start), |m| Some(*m + TimeDelta::minutes(1)))
                .take_while(|m| *m < end)
                .collect();
        let result: Vec<_> = events
            .iter()
            .map(|event| {
                let series: Vec<_> = minutes
                    .iter()
                    .map(|m| json!({"time": iso(*m), "count": minute_count(*m)}))
                    .collect();
                json!({"eventName": event, "total": 0, "series": series})
            })
            .collect();
        Reply::json(200, json!({"data": {"result": result}}).to_string())
    }
}

fn minute_count(minute: DateTime<Utc>) -> f64 {
    (minute.timestamp() / 60 % 7 + 1) as f64
}

/// Every bucket of the batches, checking none comes twice.
fn each_once(batches: &[Batch]) -> HashMap<(DateTime<Utc>, String), f64> {
    let mut seen = HashMap::new();
    for b in batches.iter().flat_map(|b| &b.buckets) {
        let again = seen.insert((b.start, b.event.clone()), b.count);
        assert!(again.is_none(), "{} {} came twice", b.start, b.event);
    }
    seen
}

#[tokio::test]
async fn segment_reads_two_events_over_two_pages() {
    let vendor = VendorServer::start().await;
    vendor.handle(VOLUME, |request| match request.param("pagination.cursor") {
        None => Reply::fixture("segment/page1.json"),
        Some("MQ==") => Reply::fixture("segment/page2.json"),
        Some(other) => Reply::text(422, "text/plain", format!("unknown cursor {other}")),
    });
    let batch = segment(&vendor, TOKEN_ENV)
        .fetch(
            &client(),
            t("2026-01-05T10:00:00Z"),
            t(NOW),
            &names(&["Add to Cart", "Checkout"]),
        )
        .await
        .unwrap();
    assert_eq!(batch.step_secs, 60);
    assert_eq!(batch.complete_until, t("2026-01-05T10:04:00Z"));
    assert_eq!(
        sorted(batch.buckets),
        vec![
            bucket("2026-01-05T10:00:00Z", "Add to Cart", 5.0),
            bucket("2026-01-05T10:00:00Z", "Checkout", 1.0),
            bucket("2026-01-05T10:01:00Z", "Add to Cart", 3.0),
            bucket("2026-01-05T10:02:00Z", "Add to Cart", 0.0),
            bucket("2026-01-05T10:02:00Z", "Checkout", 2.0),
            bucket("2026-01-05T10:03:00Z", "Add to Cart", 4.0),
        ]
    );
    let requests = vendor.requests(VOLUME);
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method, "GET");
        assert_eq!(request.param("granularity"), Some("MINUTE"));
        assert_eq!(request.param("startTime"), Some("2026-01-05T10:00:00Z"));
        assert_eq!(request.param("endTime"), Some("2026-01-05T10:04:00Z"));
        assert_eq!(request.params("groupBy"), ["eventName"]);
        assert_eq!(request.params("eventName"), ["Add to Cart", "Checkout"]);
        assert_eq!(request.params("sourceId"), ["src-web"]);
        assert_eq!(request.param("pagination.count"), Some("100"));
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(request
            .header("accept")
            .unwrap()
            .contains("application/json"));
    }
    assert_eq!(requests[0].param("pagination.cursor"), None);
    assert_eq!(requests[1].param("pagination.cursor"), Some("MQ=="));
}

#[tokio::test]
async fn segment_reads_nulls_and_unknown_fields_leniently() {
    let batch = fetch_segment(Reply::fixture("segment/nulls.json"))
        .await
        .unwrap();
    assert_eq!(
        sorted(batch.buckets),
        vec![
            bucket("2026-01-05T10:00:00Z", "Add to Cart", 7.0),
            bucket("2026-01-05T10:02:00Z", "Add to Cart", 2.0),
        ]
    );
}

#[tokio::test]
async fn segment_without_a_token_says_which_variable_to_set() {
    let vendor = VendorServer::start().await;
    let err = segment(&vendor, "FLATLINE_TEST_UNSET_SEGMENT_TOKEN")
        .fetch(&client(), t("2026-01-05T10:00:00Z"), t(NOW), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "set FLATLINE_TEST_UNSET_SEGMENT_TOKEN to a Segment Public API token"
    );
    assert_eq!(vendor.hits(VOLUME), 0);
}

#[tokio::test]
async fn segment_refusing_the_token_says_so() {
    let body = r#"{"errors":[{"type":"unauthorized","message":"Unauthorized"}]}"#;
    let err = fetch_segment(Reply::json(401, body)).await.unwrap_err();
    assert_eq!(
        err,
        CheckError::HttpStatus {
            status: 401,
            reason: Some(format!(
                "Unauthorized: Segment refused the token in {TOKEN_ENV}"
            )),
        }
    );
}

#[tokio::test]
async fn segment_validation_errors_show_segments_message() {
    let body = std::fs::read(fixture_path("segment/validation_error.json")).unwrap();
    let err = fetch_segment(Reply::json(422, body)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "HTTP 422 Unprocessable Entity: startTime must be within the last 48 hours for MINUTE granularity"
    );
}

#[tokio::test]
async fn segment_rate_limits_honour_retry_after() {
    let body = std::fs::read(fixture_path("segment/rate_limited.json")).unwrap();
    let reply = Reply::json(429, body)
        .with_header("retry-after", "42")
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", "Mon, 05 Jan 2026 10:06:30 GMT");
    let err = fetch_segment(reply).await.unwrap_err();
    assert_eq!(
        err,
        CheckError::RateLimited {
            retry_after_secs: Some(42)
        }
    );

    // Without Retry-After, the reset time counts from the clock of the fetch.
    let body = std::fs::read(fixture_path("segment/rate_limited.json")).unwrap();
    let reply =
        Reply::json(429, body).with_header("x-ratelimit-reset", "Mon, 05 Jan 2026 10:06:30 GMT");
    let err = fetch_segment(reply).await.unwrap_err();
    assert_eq!(
        err,
        CheckError::RateLimited {
            retry_after_secs: Some(60)
        }
    );
}

#[tokio::test]
async fn segment_after_a_429_waits_before_asking_again() {
    let vendor = VendorServer::start().await;
    vendor.set(
        VOLUME,
        Reply::json(429, "{}").with_header("retry-after", "30"),
    );
    let source = segment(&vendor, TOKEN_ENV);
    let from = t("2026-01-05T10:00:00Z");
    let first = source
        .fetch(&client(), from, t(NOW), &[])
        .await
        .unwrap_err();
    assert_eq!(
        first,
        CheckError::RateLimited {
            retry_after_secs: Some(30)
        }
    );
    let second = source
        .fetch(&client(), from, t(NOW), &[])
        .await
        .unwrap_err();
    // Flatline's own wait now, and said so: Segment refused nothing this time.
    assert!(
        matches!(second, CheckError::Throttled { retry_after_secs: s } if (29..=30).contains(&s)),
        "{second:?}"
    );
    assert!(
        second
            .to_string()
            .starts_with("holding back to stay under the source's request limit"),
        "{second}"
    );
    assert_eq!(
        vendor.hits(VOLUME),
        1,
        "the pause holds the second fetch back"
    );
}

#[tokio::test]
async fn segment_html_is_a_parse_error() {
    let page = "<!DOCTYPE html><html><body>Sign in to Segment</body></html>";
    let err = fetch_segment(Reply::html(200, page)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected JSON, got an HTML page (text/html)"
    );
}

#[tokio::test]
async fn segment_catches_up_after_a_sleep_in_windows() {
    let vendor = VendorServer::start().await;
    vendor.handle(VOLUME, every_minute(&["Add to Cart", "Checkout"]));
    let source = segment(&vendor, TOKEN_ENV);
    let now = t(NOW);
    // Six hours asleep: two windows (four hours of minutes at most), one fetch.
    let from = t("2026-01-05T04:04:00Z");
    let batch = source.fetch(&client(), from, now, &[]).await.unwrap();
    let windows: Vec<_> = vendor
        .requests(VOLUME)
        .iter()
        .map(|r| {
            (
                r.param("startTime").unwrap().to_owned(),
                r.param("endTime").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        windows,
        [
            (
                "2026-01-05T04:04:00Z".to_owned(),
                "2026-01-05T08:04:00Z".to_owned()
            ),
            (
                "2026-01-05T08:04:00Z".to_owned(),
                "2026-01-05T10:04:00Z".to_owned()
            ),
        ]
    );
    assert_eq!(batch.complete_until, t("2026-01-05T10:04:00Z"));
    let seen = each_once(std::slice::from_ref(&batch));
    assert_eq!(seen.len(), 2 * 6 * 60);

    // Two days asleep: more windows than one fetch may ask for, so several fetches,
    // each going on where the last one stopped, and every minute exactly once.
    let vendor = VendorServer::start().await;
    vendor.handle(VOLUME, every_minute(&["Add to Cart"]));
    let source = segment(&vendor, TOKEN_ENV);
    let mut from = t("2026-01-03T10:04:00Z");
    let mut batches = Vec::new();
    while from < t("2026-01-05T10:04:00Z") {
        let before = vendor.hits(VOLUME);
        let batch = source.fetch(&client(), from, now, &[]).await.unwrap();
        assert!(vendor.hits(VOLUME) - before <= SegmentVolumeSource::MAX_REQUESTS_PER_FETCH);
        assert!(batch.complete_until > from, "every fetch makes progress");
        from = batch.complete_until;
        batches.push(batch);
    }
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].complete_until, t("2026-01-05T02:04:00Z"));
    let seen = each_once(&batches);
    assert_eq!(seen.len(), 2 * 24 * 60);
    for ((minute, _), count) in &seen {
        assert_eq!(*count, minute_count(*minute));
    }
}

#[tokio::test]
async fn segment_keeps_the_windows_read_when_a_later_one_fails() {
    let vendor = VendorServer::start().await;
    let minutes = every_minute(&["Add to Cart"]);
    vendor.handle(VOLUME, move |request| {
        if request.param("startTime") == Some("2026-01-05T08:04:00Z") {
            Reply::text(503, "text/plain", "maintenance")
        } else {
            minutes(request)
        }
    });
    let source = segment(&vendor, TOKEN_ENV);
    let batch = source
        .fetch(&client(), t("2026-01-05T04:04:00Z"), t(NOW), &[])
        .await
        .unwrap();
    assert_eq!(batch.complete_until, t("2026-01-05T08:04:00Z"));
    assert_eq!(batch.buckets.len(), 4 * 60);

    // When the first window fails, there is nothing to keep: the fetch fails.
    let err = source
        .fetch(&client(), t("2026-01-05T08:04:00Z"), t(NOW), &[])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "HTTP 503 Service Unavailable: maintenance");
}

#[tokio::test]
async fn segment_stays_under_sixty_requests_a_minute() {
    let vendor = VendorServer::start().await;
    vendor.handle(VOLUME, every_minute(&["Add to Cart"]));
    let source = segment(&vendor, TOKEN_ENV);
    let now = t(NOW);
    // Eleven days of minutes: 66 windows, more than a minute's allowance.
    let mut from = now - TimeDelta::days(11);
    let mut fetches = 0;
    let refusal = loop {
        let before = vendor.hits(VOLUME);
        match source.fetch(&client(), from, now, &[]).await {
            Ok(batch) => {
                assert!(
                    vendor.hits(VOLUME) - before <= SegmentVolumeSource::MAX_REQUESTS_PER_FETCH
                );
                from = batch.complete_until;
                fetches += 1;
            }
            Err(err) => break err,
        }
    };
    assert_eq!(fetches, 6);
    assert_eq!(
        vendor.hits(VOLUME),
        SegmentVolumeSource::REQUESTS_PER_MINUTE
    );
    // The limiter says how long until a place frees up, without asking Segment.
    match refusal {
        CheckError::Throttled {
            retry_after_secs: secs,
        } => assert!((1..=60).contains(&secs), "{secs}"),
        other => panic!("{other:?}"),
    }
}
