//! A Prometheus `query_range` endpoint.

use super::*;
use crate::common::vendor::{Reply, VendorServer};
use chrono::Duration as TimeDelta;
use flatline::config::PrometheusConfig;
use flatline::monitor::CheckError;
use flatline::volume::{Batch, PrometheusSource, VolumeSource};

const QUERY_RANGE: &str = "/api/v1/query_range";
const QUERY: &str = "sum by (event, instance) (increase(shop_events_total[1m]))";

fn prometheus(vendor: &VendorServer) -> PrometheusSource {
    PrometheusSource::new(
        PrometheusConfig {
            url: format!("{}/prom/", vendor.url("")),
            query: QUERY.into(),
            event_label: "event".into(),
            bucket_secs: 60.0,
            token_env: Some(TOKEN_ENV.into()),
            lag_secs: 60.0,
        },
        TIMEOUT,
    )
}

async fn fetch(reply: Reply) -> Result<Batch, CheckError> {
    let vendor = VendorServer::start().await;
    vendor.set(&format!("/prom{QUERY_RANGE}"), reply);
    prometheus(&vendor)
        .fetch(&client(), t("2026-01-05T10:00:00Z"), t(NOW), &[])
        .await
}

#[tokio::test]
async fn a_matrix_becomes_buckets_per_event() {
    let vendor = VendorServer::start().await;
    let path = format!("/prom{QUERY_RANGE}");
    vendor.set(&path, Reply::fixture("prometheus/matrix.json"));
    let batch = prometheus(&vendor)
        .fetch(&client(), t("2026-01-05T10:00:00Z"), t(NOW), &[])
        .await
        .unwrap();
    assert_eq!(batch.step_secs, 60);
    assert_eq!(batch.complete_until, t("2026-01-05T10:04:00Z"));
    // Two series of "Add to Cart" (two instances) are summed; NaN and +Inf are no
    // count; the series without an `event` label is skipped.
    assert_eq!(
        sorted(batch.buckets),
        vec![
            bucket("2026-01-05T10:00:00Z", "Add to Cart", 5.0),
            bucket("2026-01-05T10:00:00Z", "Complete Payment", 1.5),
            bucket("2026-01-05T10:01:00Z", "Add to Cart", 6.0),
            bucket("2026-01-05T10:03:00Z", "Add to Cart", 5.0),
            bucket("2026-01-05T10:03:00Z", "Complete Payment", 0.0),
        ]
    );
    let requests = vendor.requests(&path);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.param("query"), Some(QUERY));
    // The sample at 10:01 counts the minute from 10:00; the one at 10:04 is the last
    // complete minute.
    assert_eq!(request.param("start"), Some("1767607260"));
    assert_eq!(request.param("end"), Some("1767607440"));
    assert_eq!(request.param("step"), Some("60"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn long_ranges_stay_under_eleven_thousand_points_a_series() {
    let vendor = VendorServer::start().await;
    let path = format!("/prom{QUERY_RANGE}");
    vendor.set(
        &path,
        Reply::json(
            200,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
        ),
    );
    let now = t(NOW);
    let batch = prometheus(&vendor)
        .fetch(&client(), now - TimeDelta::days(28), now, &[])
        .await
        .unwrap();
    assert_eq!(batch.complete_until, t("2026-01-05T10:04:00Z"));
    let requests = vendor.requests(&path);
    assert_eq!(requests.len(), 5);
    let mut previous_end = None;
    for request in &requests {
        let start: i64 = request.param("start").unwrap().parse().unwrap();
        let end: i64 = request.param("end").unwrap().parse().unwrap();
        let points = (end - start) / 60 + 1;
        assert!(points <= 11_000, "{points} points");
        if let Some(previous) = previous_end {
            assert_eq!(
                start,
                previous + 60,
                "windows neither overlap nor leave gaps"
            );
        }
        previous_end = Some(end);
    }
}

#[tokio::test]
async fn an_error_status_shows_the_error_type_and_message() {
    let body = std::fs::read(crate::common::vendor::fixture_path(
        "prometheus/bad_query.json",
    ))
    .unwrap();
    let err = fetch(Reply::json(400, body)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "HTTP 400 Bad Request: bad_data: invalid parameter \"query\": 1:24: parse error: unclosed left parenthesis"
    );
}

#[tokio::test]
async fn a_vector_is_not_a_range_answer() {
    let err = fetch(Reply::fixture("prometheus/vector.json"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected a range query's matrix, got a vector"
    );
}

#[tokio::test]
async fn series_all_missing_the_label_are_an_error_not_silence() {
    let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"job":"shop"},"values":[[1767607260,"4"]]}]}}"#;
    let err = fetch(Reply::json(200, body)).await.unwrap_err();
    assert!(
        err.to_string().contains("no series has the label `event`"),
        "{err}"
    );
}

#[tokio::test]
async fn html_is_a_parse_error() {
    let err = fetch(Reply::html(200, "<html><body>Grafana login</body></html>"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected JSON, got an HTML page (text/html)"
    );
}
