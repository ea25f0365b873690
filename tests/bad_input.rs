//! Every kind of bad answer a vendor can give, over real HTTP on 127.0.0.1: each is a
//! clear `CheckError` (or, for a probe, a clear down/degraded reading), never a panic.

mod common;

use common::vendor::{fixture_path, refused_url, Reply, VendorServer};
use flatline::config::{FeedConfig, HttpProbeConfig, StatuspageConfig};
use flatline::http::HttpClient;
use flatline::monitor::{CheckError, FeedMonitor, HttpProbe, Monitor, Reading, StatuspageMonitor};
use flatline::Health;
use std::time::{Duration, Instant};

const SUMMARY: &str = "/api/v2/summary.json";
const MB: u64 = 1024 * 1024;

fn client() -> HttpClient {
    HttpClient::new(MB).expect("HTTP client")
}

fn statuspage(base_url: &str, components: &[&str], timeout: Duration) -> StatuspageMonitor {
    let cfg = StatuspageConfig {
        url: base_url.to_owned(),
        components: components.iter().map(|c| (*c).to_owned()).collect(),
    };
    StatuspageMonitor::new("vendor", cfg, timeout)
}

/// Check a status page whose summary answers with `reply`.
async fn check_page(reply: Reply) -> Result<Reading, CheckError> {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, reply);
    statuspage(&vendor.url(""), &[], Duration::from_secs(5))
        .check(&client())
        .await
}

fn probe(url: &str, method: &str, latency_limit_ms: Option<u64>, timeout: Duration) -> HttpProbe {
    let cfg = HttpProbeConfig {
        url: url.to_owned(),
        method: method.to_owned(),
        expect_status: Vec::new(),
        latency_limit_ms,
    };
    HttpProbe::new("probe", cfg, timeout)
}

#[tokio::test]
async fn a_healthy_page_reads_over_http() {
    let reading = check_page(Reply::fixture("statuspage/partial_outage.json"))
        .await
        .unwrap();
    assert_eq!(reading.health, Health::PartialOutage);
    assert_eq!(
        reading.summary,
        "Connections (Destinations): partial outage"
    );
}

#[tokio::test]
async fn html_instead_of_json_is_a_parse_error() {
    let portal = "<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head><body>Accept the terms</body></html>";
    let err = check_page(Reply::html(200, portal)).await.unwrap_err();
    assert_eq!(err.kind(), "parse");
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected JSON, got an HTML page (text/html)"
    );
}

#[tokio::test]
async fn truncated_json_is_a_parse_error() {
    let whole = std::fs::read(fixture_path("statuspage/operational.json")).unwrap();
    let err = check_page(Reply::json(200, &whole[..whole.len() * 2 / 3]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "parse");
    assert!(
        err.to_string()
            .starts_with("could not parse the response: the JSON ends early"),
        "{err}"
    );
}

#[tokio::test]
async fn a_body_cut_off_mid_transfer_says_so() {
    let err = check_page(Reply::truncated(r#"{"page": {"id": "x"}, "compo"#))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "connect", "{err:?}");
    assert_eq!(
        err.to_string(),
        "connection failed: connection closed by the server, before the whole response arrived"
    );
}

#[tokio::test]
async fn an_empty_answer_is_a_parse_error() {
    let err = check_page(Reply::json(200, "")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected JSON, got an empty body"
    );
}

#[tokio::test]
async fn a_huge_body_stops_at_the_cap_without_reading_it_all() {
    let vendor = VendorServer::start().await;
    let total = 20 * MB;
    vendor.set(SUMMARY, Reply::huge(total));
    let err = statuspage(&vendor.url(""), &[], Duration::from_secs(10))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(err, CheckError::TooLarge { limit_bytes: MB });
    assert_eq!(err.to_string(), "response larger than 1048576 bytes");
    // Socket buffers let the server run a few MB ahead of the reader (about 6 MB
    // here), but the client hangs up long before the end.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = vendor.streamed_bytes();
    assert!(
        sent < total * 3 / 4,
        "the server streamed {sent} of {total} bytes"
    );
}

#[tokio::test]
async fn a_declared_huge_length_is_refused_before_reading() {
    let vendor = VendorServer::start().await;
    let total = 20 * MB;
    vendor.set(
        SUMMARY,
        Reply::huge(total).with_header("content-length", total),
    );
    let err = statuspage(&vendor.url(""), &[], Duration::from_secs(10))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(err, CheckError::TooLarge { limit_bytes: MB });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        vendor.streamed_bytes() < total / 2,
        "{}",
        vendor.streamed_bytes()
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::hang());
    let started = Instant::now();
    let err = statuspage(&vendor.url(""), &[], Duration::from_millis(300))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(err, CheckError::Timeout { after_ms: 300 });
    assert_eq!(err.to_string(), "timed out after 300 ms");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(vendor.hits(SUMMARY), 1);
}

#[tokio::test]
async fn a_slow_body_counts_against_the_same_deadline() {
    let vendor = VendorServer::start().await;
    // Headers at once, then part of the body, then nothing.
    vendor.set(SUMMARY, Reply::stall(r#"{"page": {"#));
    let err = statuspage(&vendor.url(""), &[], Duration::from_millis(300))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(err, CheckError::Timeout { after_ms: 300 });
}

#[tokio::test]
async fn http_errors_name_the_status() {
    for (status, text) in [
        (401, "HTTP 401 Unauthorized"),
        (403, "HTTP 403 Forbidden"),
        (404, "HTTP 404 Not Found"),
        (500, "HTTP 500 Internal Server Error"),
        (503, "HTTP 503 Service Unavailable"),
    ] {
        let err = check_page(Reply::json(status, r#"{"error": "nope"}"#))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "http_status", "{status}");
        assert_eq!(err.to_string(), text);
    }
}

#[tokio::test]
async fn rate_limiting_carries_retry_after() {
    let err = check_page(Reply::json(429, "{}").with_header("Retry-After", 30))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        CheckError::RateLimited {
            retry_after_secs: Some(30)
        }
    );
    assert_eq!(err.to_string(), "rate limited (HTTP 429), retry after 30 s");
    let err = check_page(Reply::json(429, "{}")).await.unwrap_err();
    assert_eq!(err.to_string(), "rate limited (HTTP 429)");
}

#[tokio::test]
async fn a_refused_connection_says_so() {
    let err = statuspage(&refused_url(), &[], Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        CheckError::Connect {
            detail: "connection refused".into()
        }
    );
    assert_eq!(err.to_string(), "connection failed: connection refused");
    assert!(err.is_network());
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_a_dns_error() {
    // `.invalid` is reserved never to resolve (RFC 6761).
    let err = statuspage(
        "http://status.flatline-test.invalid",
        &[],
        Duration::from_secs(5),
    )
    .check(&client())
    .await
    .unwrap_err();
    assert_eq!(err.kind(), "dns", "{err:?}");
    assert!(err.to_string().starts_with("DNS lookup failed: "), "{err}");
}

#[tokio::test]
async fn tls_spoken_to_a_plain_http_server_is_a_tls_error() {
    let vendor = VendorServer::start().await;
    let https = vendor.url("").replacen("http://", "https://", 1);
    let err = statuspage(&https, &[], Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "tls", "{err:?}");
    assert!(
        err.to_string().starts_with("TLS handshake failed: "),
        "{err}"
    );
}

#[tokio::test]
async fn a_redirect_loop_stops() {
    let vendor = VendorServer::start().await;
    vendor.set(
        SUMMARY,
        Reply::json(302, "").with_header("location", SUMMARY),
    );
    let err = statuspage(&vendor.url(""), &[], Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "more than 5 redirects");
    assert_eq!(vendor.hits(SUMMARY), 6);
}

#[tokio::test]
async fn a_moved_page_is_followed() {
    let vendor = VendorServer::start().await;
    vendor.set(
        SUMMARY,
        Reply::json(301, "").with_header("location", "/v2/summary.json"),
    );
    vendor.set(
        "/v2/summary.json",
        Reply::fixture("statuspage/operational.json"),
    );
    let reading = statuspage(&vendor.url(""), &[], Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap();
    assert_eq!(reading.health, Health::Operational);
}

#[tokio::test]
async fn a_component_filter_typo_is_an_error_not_green() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let err = statuspage(
        &vendor.url(""),
        &["Conections (Destinations)"],
        Duration::from_secs(5),
    )
    .check(&client())
    .await
    .unwrap_err();
    assert_eq!(err.kind(), "other");
    let text = err.to_string();
    assert!(
        text.contains("\"Conections (Destinations)\" matches nothing"),
        "{text}"
    );
    assert!(
        text.contains("Connections (Destinations), Connections (Sources), Personas, Tracking API"),
        "{text}"
    );
}

#[tokio::test]
async fn a_probe_of_a_refused_endpoint_is_down_with_the_reason() {
    let reading = probe(&refused_url(), "GET", None, Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap();
    assert_eq!(reading.health, Health::MajorOutage);
    assert_eq!(
        reading.summary,
        "no answer: connection failed: connection refused"
    );
}

#[tokio::test]
async fn a_probe_that_gets_no_answer_in_time_is_down() {
    let vendor = VendorServer::start().await;
    vendor.set("/collect", Reply::hang());
    let reading = probe(
        &vendor.url("/collect"),
        "POST",
        None,
        Duration::from_millis(300),
    )
    .check(&client())
    .await
    .unwrap();
    assert_eq!(reading.health, Health::MajorOutage);
    assert_eq!(reading.summary, "no answer: timed out after 300 ms");
}

#[tokio::test]
async fn a_probe_answered_with_503_is_down() {
    let vendor = VendorServer::start().await;
    vendor.set("/health", Reply::html(503, "<h1>Service Unavailable</h1>"));
    let reading = probe(&vendor.url("/health"), "GET", None, Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap();
    assert_eq!(reading.health, Health::MajorOutage);
    assert_eq!(reading.summary, "HTTP 503 (expected 2xx)");
}

#[tokio::test]
async fn a_slow_probe_is_degraded() {
    let vendor = VendorServer::start().await;
    vendor.set(
        "/health",
        Reply::json(200, "{}").delayed(Duration::from_millis(400)),
    );
    let reading = probe(
        &vendor.url("/health"),
        "GET",
        Some(100),
        Duration::from_secs(5),
    )
    .check(&client())
    .await
    .unwrap();
    assert_eq!(reading.health, Health::Degraded);
    assert!(
        reading.summary.starts_with("answered in "),
        "{}",
        reading.summary
    );
    assert!(
        reading.summary.ends_with(", limit 100 ms"),
        "{}",
        reading.summary
    );
}

#[tokio::test]
async fn a_probe_is_up_whatever_the_body_size() {
    let vendor = VendorServer::start().await;
    vendor.set("/health", Reply::huge(20 * MB));
    let reading = probe(&vendor.url("/health"), "GET", None, Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap();
    assert_eq!(reading.health, Health::Operational);
    assert!(
        reading.summary.starts_with("HTTP 200 in "),
        "{}",
        reading.summary
    );
    vendor.set("/head", Reply::json(200, ""));
    let reading = probe(&vendor.url("/head"), "HEAD", None, Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap();
    assert_eq!(reading.health, Health::Operational);
}

#[tokio::test]
async fn a_probe_with_bad_tls_is_down_but_an_unknown_name_is_unknown() {
    let vendor = VendorServer::start().await;
    let https = vendor.url("/health").replacen("http://", "https://", 1);
    let reading = probe(&https, "GET", None, Duration::from_secs(5))
        .check(&client())
        .await
        .unwrap();
    assert_eq!(reading.health, Health::MajorOutage);
    assert!(
        reading
            .summary
            .starts_with("no answer: TLS handshake failed: "),
        "{}",
        reading.summary
    );

    let err = probe(
        "http://api.flatline-test.invalid/",
        "GET",
        None,
        Duration::from_secs(5),
    )
    .check(&client())
    .await
    .unwrap_err();
    assert_eq!(
        err.kind(),
        "dns",
        "an offline laptop looks like this: {err:?}"
    );
}

fn feed(url: &str) -> FeedMonitor {
    let cfg = FeedConfig {
        url: url.to_owned(),
        components: Vec::new(),
    };
    FeedMonitor::new("feed", cfg, Duration::from_secs(5))
}

#[tokio::test]
async fn a_feed_reads_a_fresh_entry_over_http() {
    let vendor = VendorServer::start().await;
    let an_hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc2822();
    let rss = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Vendor</title>
        <item><title>Elevated error rates</title><guid>e1</guid><pubDate>{an_hour_ago}</pubDate>
        <description>&lt;strong&gt;Investigating&lt;/strong&gt; - We see increased errors.</description></item>
        </channel></rss>"#
    );
    vendor.set("/history.rss", Reply::text(200, "application/rss+xml", rss));
    let reading = feed(&vendor.url("/history.rss"))
        .check(&client())
        .await
        .unwrap();
    assert_eq!(reading.health, Health::Degraded);
    assert_eq!(reading.summary, "Elevated error rates");
    assert_eq!(
        reading.vendor_incidents[0].updates[0].body,
        "Investigating - We see increased errors."
    );
}

#[tokio::test]
async fn a_feed_that_is_an_html_page_or_missing_is_an_error() {
    let vendor = VendorServer::start().await;
    vendor.set(
        "/history.rss",
        Reply::html(200, "<!doctype html><html><body>Status</body></html>"),
    );
    let err = feed(&vendor.url("/history.rss"))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected an RSS or Atom feed, got an HTML page (text/html)"
    );
    let err = feed(&vendor.url("/missing.rss"))
        .check(&client())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "HTTP 404 Not Found");
}
