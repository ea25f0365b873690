//! Team channels end to end: the engine on a real SQLite file, a vendor status page
//! and the channels (Slack, webhooks) played by local HTTP servers.
//!
//! A channel's URL comes from the environment, and writing the environment while
//! other threads may read it is unsound. So this file is one test: it binds the
//! channels' port and writes every variable before any other thread exists, then
//! runs its scenarios in turn.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::notifier::RecordingNotifier;
use common::vendor::{Received, Reply, VendorServer};
use flatline::config::{Change, Config};
use flatline::engine::{DeliveryReport, Engine, TickOutcome};
use flatline::store::Store;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SUMMARY: &str = "/api/v2/summary.json";

/// Each variable and the path on the channels' server it points at.
const CHANNEL_URLS: [(&str, &str); 8] = [
    ("FLATLINE_TEST_SLACK", "/slack/news"),
    ("FLATLINE_TEST_HOOK", "/hook/news"),
    ("FLATLINE_TEST_MAJORS", "/hook/majors"),
    ("FLATLINE_TEST_FLAKY", "/hook/flaky"),
    ("FLATLINE_TEST_GONE", "/hook/gone"),
    ("FLATLINE_TEST_LIMITED", "/hook/limited"),
    ("FLATLINE_TEST_RESTART", "/hook/restart"),
    ("FLATLINE_TEST_SNOOZED", "/hook/snoozed"),
];
/// Never set, so that channel cannot post.
const UNSET: &str = "FLATLINE_TEST_UNSET_HOOK";

#[test]
fn team_channels() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    for (env, path) in CHANNEL_URLS {
        std::env::set_var(env, format!("{base}{path}"));
    }
    std::env::remove_var(UNSET);
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    runtime.block_on(async {
        let channels = VendorServer::on(listener).await;
        news_reaches_each_channel_once_per_change(&channels).await;
        a_failing_channel_is_retried_and_a_refusing_one_given_up(&channels).await;
        posts_wait_in_the_store_across_a_restart(&channels).await;
        a_snooze_holds_the_desktop_but_not_the_team(&channels).await;
    });
}

/// Opened, escalated and resolved reach Slack and a webhook once each, with the
/// vendor's text escaped for Slack; a channel for major outages only hears from the
/// escalation on; the desktop is told as before.
async fn news_reaches_each_channel_once_per_change(channels: &VendorServer) {
    for path in ["/slack/news", "/hook/news", "/hook/majors"] {
        // What Slack answers a post it took.
        channels.set(path, Reply::text(200, "text/html", "ok"));
    }
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = engine(
        &dir.path().join("flatline.db"),
        &vendor.url(""),
        &[
            ("slack", "slack", "FLATLINE_TEST_SLACK", ""),
            ("ops", "webhook", "FLATLINE_TEST_HOOK", ""),
            (
                "majors",
                "webhook",
                "FLATLINE_TEST_MAJORS",
                "min_severity = \"major_outage\"\n",
            ),
        ],
        notifier.clone(),
    )
    .await;

    let quiet = engine.tick(t(0)).await.unwrap();
    assert!(quiet.deliveries.is_empty(), "{:?}", quiet.deliveries);

    vendor.set(
        SUMMARY,
        Reply::json(200, partial_outage("Errors < 1% & latency > 5 s")),
    );
    let opened = engine.tick(t(2)).await.unwrap();
    assert_eq!(opened.opened.len(), 1);
    let id = opened.opened[0].id;
    assert_landed(
        &opened,
        &[("slack", Change::Opened), ("ops", Change::Opened)],
    );

    let slack = channels.requests("/slack/news");
    assert_eq!(slack.len(), 1);
    assert_eq!(slack[0].method, "POST");
    assert_eq!(slack[0].header("content-type"), Some("application/json"));
    let text = json(&slack[0])["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with("*Segment: partial outage*\n"), "{text}");
    assert!(
        text.contains("Segment says: Errors &lt; 1% &amp; latency &gt; 5 s"),
        "vendor text is escaped, so it cannot ping the channel or make a link: {text}"
    );
    assert!(!text.contains('<'), "{text}");

    let hook = json(&channels.requests("/hook/news")[0]);
    assert_eq!(hook["event"], "opened");
    assert_eq!(hook["summary"], "Segment: partial outage");
    assert_eq!(hook["incident"]["id"], id);
    assert_eq!(hook["incident"]["severity"], "partial_outage");
    assert_eq!(
        hook["incident"]["components"][0],
        "Connections (Destinations)"
    );
    assert_eq!(
        channels.hits("/hook/majors"),
        0,
        "a partial outage is below its bar"
    );

    // Still the same: nothing new to say.
    let same = engine.tick(t(4)).await.unwrap();
    assert!(same.deliveries.is_empty(), "{:?}", same.deliveries);

    let major = partial_outage("Delays").replace("partial_outage", "major_outage");
    vendor.set(SUMMARY, Reply::json(200, major));
    let worse = engine.tick(t(6)).await.unwrap();
    assert_landed(
        &worse,
        &[
            ("slack", Change::Escalated),
            ("ops", Change::Escalated),
            ("majors", Change::Escalated),
        ],
    );
    assert_eq!(
        json(&channels.requests("/hook/majors")[0])["incident"]["severity"],
        "major_outage"
    );

    vendor.set(SUMMARY, Reply::fixture("statuspage/resolved.json"));
    engine.tick(t(8)).await.unwrap();
    let resolved = engine.tick(t(10)).await.unwrap();
    assert_eq!(resolved.resolved.len(), 1);
    assert_landed(
        &resolved,
        &[
            ("slack", Change::Resolved),
            ("ops", Change::Resolved),
            ("majors", Change::Resolved),
        ],
    );
    let last = json(channels.requests("/hook/news").last().unwrap());
    assert_eq!(last["event"], "resolved");
    assert!(last["incident"]["ended_at"].is_string(), "{last}");
    assert_eq!(channels.hits("/slack/news"), 3);
    assert_eq!(channels.hits("/hook/news"), 3);
    assert_eq!(channels.hits("/hook/majors"), 2);
    notifier.wait_for(3).await;

    let status = engine.snapshot().await.unwrap().channels;
    assert_eq!(status.len(), 3);
    for c in &status {
        assert_eq!(c.last_delivered_at, Some(t(10)), "{c:?}");
        assert_eq!((c.error.as_deref(), c.pending), (None, 0), "{c:?}");
    }
}

/// A 503 is tried again after a backoff and lands; a 429 waits as long as it says;
/// a 404 and a channel whose variable is unset are given up at once with words that
/// say why. None of them holds up the others, the incident or the desktop.
async fn a_failing_channel_is_retried_and_a_refusing_one_given_up(channels: &VendorServer) {
    let flaky = Arc::new(AtomicUsize::new(0));
    let count = flaky.clone();
    channels.handle("/hook/flaky", move |_| {
        match count.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::text(503, "text/plain", "upstream connect error"),
            _ => Reply::text(200, "text/plain", "ok"),
        }
    });
    let limited = Arc::new(AtomicUsize::new(0));
    let count = limited.clone();
    channels.handle("/hook/limited", move |_| {
        match count.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::text(429, "text/plain", "slow down").with_header("retry-after", 600),
            _ => Reply::text(200, "text/plain", "ok"),
        }
    });
    channels.set("/hook/gone", Reply::text(404, "text/plain", "no_service"));

    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::json(200, partial_outage("Delays")));
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = engine(
        &dir.path().join("flatline.db"),
        &vendor.url(""),
        &[
            ("flaky", "webhook", "FLATLINE_TEST_FLAKY", ""),
            ("limited", "webhook", "FLATLINE_TEST_LIMITED", ""),
            ("gone", "slack", "FLATLINE_TEST_GONE", ""),
            ("unset", "webhook", UNSET, ""),
        ],
        notifier.clone(),
    )
    .await;

    let opened = engine.tick(t(0)).await.unwrap();
    assert_eq!(
        opened.opened.len(),
        1,
        "the incident opens whatever the channels do"
    );
    notifier.wait_for(1).await;
    let report = |o: &TickOutcome, id: &str| -> DeliveryReport {
        let found = o.deliveries.iter().find(|d| d.channel_id == id);
        found
            .unwrap_or_else(|| panic!("no attempt for {id}: {:?}", o.deliveries))
            .clone()
    };
    let flaky_first = report(&opened, "flaky");
    assert!(flaky_first.will_retry, "{flaky_first:?}");
    assert_eq!(
        flaky_first.error.as_deref(),
        Some("webhook channel `flaky`: HTTP 503 Service Unavailable (upstream connect error)")
    );
    assert!(report(&opened, "limited").will_retry);
    let gone = report(&opened, "gone");
    assert!(!gone.will_retry);
    assert_eq!(
        gone.error.as_deref(),
        Some("slack channel `gone`: HTTP 404 Not Found (no_service)")
    );
    let unset = report(&opened, "unset");
    assert!(!unset.will_retry);
    assert_eq!(
        unset.error.as_deref(),
        Some("FLATLINE_TEST_UNSET_HOOK is not set; set it to channel `unset`'s webhook URL")
    );

    // The first retry waits about 30 s, the 429 ten minutes.
    let early = engine.tick(t(0) + Duration::seconds(20)).await.unwrap();
    assert!(early.deliveries.is_empty(), "{:?}", early.deliveries);
    let retried = engine.tick(t(1)).await.unwrap();
    assert_eq!(retried.deliveries.len(), 1, "{:?}", retried.deliveries);
    assert_eq!(report(&retried, "flaky").error, None);
    let sent = channels.requests("/hook/flaky");
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].body, sent[1].body,
        "the post made at the change is resent"
    );
    assert_eq!(
        sent[0].header("x-flatline-delivery"),
        sent[1].header("x-flatline-delivery"),
        "a receiver can tell a resend"
    );
    assert!(engine.tick(t(9)).await.unwrap().deliveries.is_empty());
    let waited = engine.tick(t(11)).await.unwrap();
    assert_eq!(report(&waited, "limited").error, None);
    assert_eq!(channels.hits("/hook/limited"), 2);
    assert_eq!(
        channels.hits("/hook/gone"),
        1,
        "a refused post is not sent again"
    );

    let status = engine.snapshot().await.unwrap().channels;
    let of = |id: &str| status.iter().find(|c| c.id == id).unwrap().clone();
    assert_eq!(of("flaky").last_delivered_at, Some(t(1)));
    assert_eq!((of("flaky").error, of("flaky").pending), (None, 0));
    assert_eq!(of("gone").last_delivered_at, None);
    assert_eq!(of("gone").error, gone.error);
    assert_eq!(of("unset").error, unset.error);
}

/// A post that could not be sent before the process stopped is sent by the next one.
async fn posts_wait_in_the_store_across_a_restart(channels: &VendorServer) {
    channels.set("/hook/restart", Reply::hang());
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::json(200, partial_outage("Delays")));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("flatline.db");
    let hook = [("ops", "webhook", "FLATLINE_TEST_RESTART", "")];
    let notifier = Arc::new(RecordingNotifier::default());
    let first = engine(&db, &vendor.url(""), &hook, notifier.clone()).await;
    let opened = first.tick(t(0)).await.unwrap();
    let timed_out = &opened.deliveries[0];
    assert!(timed_out.will_retry, "{timed_out:?}");
    assert_eq!(
        timed_out.error.as_deref(),
        Some("webhook channel `ops`: timed out after 1000 ms")
    );
    drop(first);

    channels.set("/hook/restart", Reply::text(200, "text/plain", "ok"));
    let second = engine(&db, &vendor.url(""), &hook, notifier).await;
    let later = second.tick(t(10)).await.unwrap();
    assert!(later.opened.is_empty(), "the incident is the one stored");
    assert_eq!(later.deliveries.len(), 1, "{:?}", later.deliveries);
    assert_eq!(later.deliveries[0].error, None);
    assert_eq!(later.deliveries[0].change, Change::Opened);
    let landed = json(channels.requests("/hook/restart").last().unwrap());
    assert_eq!(landed["incident"]["id"], opened.opened[0].id);
}

/// Snoozing is the marketer's own "not now"; the team still hears.
async fn a_snooze_holds_the_desktop_but_not_the_team(channels: &VendorServer) {
    channels.set("/hook/snoozed", Reply::text(200, "text/plain", "ok"));
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::json(200, partial_outage("Delays")));
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let hook = [("ops", "webhook", "FLATLINE_TEST_SNOOZED", "")];
    let engine = engine(
        &dir.path().join("flatline.db"),
        &vendor.url(""),
        &hook,
        notifier.clone(),
    )
    .await;
    engine.snooze(t(0), Duration::hours(1)).await.unwrap();
    let opened = engine.tick(t(1)).await.unwrap();
    assert_landed(&opened, &[("ops", Change::Opened)]);
    assert_eq!(channels.hits("/hook/snoozed"), 1);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(notifier.sent().is_empty(), "{:?}", notifier.sent());
}

/// The engine on `db`, watching the status page at `base_url`, with team channels
/// given as (id, kind, variable, more TOML).
async fn engine(
    db: &Path,
    base_url: &str,
    channels: &[(&str, &str, &str, &str)],
    notifier: Arc<RecordingNotifier>,
) -> Engine {
    let mut text = format!(
        "[general]\ninterval_secs = 60\ntimeout_secs = 1\n\n[[monitor]]\nid = \"segment\"\nname = \"Segment\"\nkind = \"statuspage\"\nurl = \"{base_url}\"\n"
    );
    for (id, kind, env, more) in channels {
        text += &format!(
            "\n[[channel]]\nid = \"{id}\"\nkind = \"{kind}\"\nurl_env = \"{env}\"\n{more}"
        );
    }
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    Engine::new(config, Store::open(db).await.unwrap(), notifier).unwrap()
}

/// Segment's page with one partial outage of its destinations, the vendor's incident
/// named `title`.
fn partial_outage(title: &str) -> String {
    let page = std::fs::read_to_string(common::vendor::fixture_path(
        "statuspage/partial_outage.json",
    ))
    .unwrap();
    page.replace(
        "Delays delivering to TikTok destination",
        &title.replace('"', "\\\""),
    )
}

fn assert_landed(outcome: &TickOutcome, expected: &[(&str, Change)]) {
    let mut got: Vec<(String, Change, Option<String>)> = outcome
        .deliveries
        .iter()
        .map(|d| (d.channel_id.clone(), d.change, d.error.clone()))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want: Vec<(String, Change, Option<String>)> = expected
        .iter()
        .map(|(id, change)| ((*id).to_owned(), *change, None))
        .collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
}

fn json(request: &Received) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

fn t(minute: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-14T17:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::minutes(minute)
}
