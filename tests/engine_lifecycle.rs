//! The engine end to end against a vendor played by a local HTTP server and a real
//! SQLite file: operational → partial outage → resolved.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::notifier::RecordingNotifier;
use common::vendor::{Reply, VendorServer};
use flatline::config::Config;
use flatline::engine::{Engine, EngineEvent, Poller};
use flatline::incident::{IncidentKind, TrayState};
use flatline::store::{IncidentQuery, Store};
use flatline::Health;
use std::path::Path;
use std::sync::Arc;

const SUMMARY: &str = "/api/v2/summary.json";

fn config(base_url: &str) -> Config {
    let text = format!(
        "[general]\ninterval_secs = 60\ntimeout_secs = 2\n\n[[monitor]]\nid = \"segment\"\nname = \"Segment\"\nkind = \"statuspage\"\nurl = \"{base_url}\"\n"
    );
    Config::parse(&text, Path::new("test.toml")).unwrap()
}

async fn engine(db: &Path, base_url: &str, notifier: Arc<RecordingNotifier>) -> Engine {
    let store = Store::open(db).await.unwrap();
    Engine::new(config(base_url), store, notifier).unwrap()
}

fn t(minute: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-14T17:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::minutes(minute)
}

#[tokio::test]
async fn partial_outage_opens_one_incident_that_resolves_and_keeps_its_acknowledgement() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("flatline.db");
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = engine(&db, &vendor.url(""), notifier.clone()).await;
    let mut events = engine.subscribe();

    let first = engine.tick(t(0)).await.unwrap();
    assert_eq!(first.observations.len(), 1);
    assert_eq!(first.observations[0].health(), Health::Operational);
    assert!(first.opened.is_empty());
    assert_eq!(engine.snapshot().await.unwrap().tray, TrayState::Ok);

    // Not due yet: a tick a few seconds later checks nothing.
    assert!(engine
        .tick(t(0) + Duration::seconds(5))
        .await
        .unwrap()
        .observations
        .is_empty());

    vendor.set(SUMMARY, Reply::fixture("statuspage/partial_outage.json"));
    let outage = engine.tick(t(1) + Duration::seconds(30)).await.unwrap();
    assert_eq!(outage.opened.len(), 1, "{outage:?}");
    let incident = &outage.opened[0];
    assert_eq!(incident.kind, IncidentKind::VendorStatus);
    assert_eq!(incident.severity, Health::PartialOutage);
    assert_eq!(
        incident.components,
        vec!["Connections (Destinations)".to_owned()]
    );
    assert_eq!(incident.title, "Segment: partial outage");
    assert!(incident.started_at <= incident.detected_at);
    assert!(
        incident.updates.len() >= 2,
        "vendor updates recorded: {:?}",
        incident.updates
    );
    for update in &incident.updates {
        assert!(
            !update.body.contains('<'),
            "plain text only: {:?}",
            update.body
        );
    }
    let snapshot = engine.snapshot().await.unwrap();
    assert_eq!(
        snapshot.tray,
        TrayState::Degraded,
        "a partial outage is amber"
    );
    assert_eq!(snapshot.unacknowledged, 1);

    let sent = notifier.wait_for(1).await;
    assert_eq!(sent[0].summary, "Segment: partial outage");
    assert!(
        sent[0].body.contains("Connections (Destinations)"),
        "{}",
        sent[0].body
    );

    // Still broken: the same incident goes on, no second notification.
    let again = engine.tick(t(3)).await.unwrap();
    assert!(again.opened.is_empty());

    vendor.set(SUMMARY, Reply::fixture("statuspage/resolved.json"));
    let first_good = engine.tick(t(5)).await.unwrap();
    assert!(
        first_good.resolved.is_empty(),
        "one good check is not yet a recovery"
    );
    let second_good = engine.tick(t(7)).await.unwrap();
    assert_eq!(second_good.resolved.len(), 1);
    assert_eq!(second_good.resolved[0].ended_at, Some(t(7)));

    let sent = notifier.wait_for(2).await;
    assert_eq!(sent.len(), 2, "one on open, one on resolution: {sent:?}");
    assert_eq!(sent[1].summary, "Segment: resolved");

    // Priced by severity over time: a partial outage (half the funnel at $800/h) from
    // the vendor's own start to the first good check; the minutes spent confirming the
    // recovery cost nothing.
    let resolved = &second_good.resolved[0];
    let estimate = resolved
        .impact
        .as_ref()
        .expect("a resolved incident is priced");
    let bad_hours = (t(5) - resolved.started_at).num_milliseconds() as f64 / 3_600_000.0;
    let amount = estimate.amount.expect("a figure");
    assert!(
        (amount - 400.0 * bad_hours).abs() < 1e-6 * amount,
        "{amount} for {bad_hours} h: {}",
        estimate.summary
    );
    assert!(estimate.is_final && estimate.summary.ends_with("(by severity over time)"));
    assert!(
        sent[1].body.contains(&estimate.summary),
        "the resolution notice carries the figure: {}",
        sent[1].body
    );

    let all = engine.incidents(IncidentQuery::default()).await.unwrap();
    assert_eq!(all.len(), 1, "exactly one incident: {all:?}");
    let id = all[0].id;

    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    assert_eq!(
        seen.iter()
            .filter(|e| matches!(e, EngineEvent::IncidentOpened { .. }))
            .count(),
        1
    );
    assert_eq!(
        seen.iter()
            .filter(|e| matches!(e, EngineEvent::IncidentResolved { .. }))
            .count(),
        1
    );

    engine
        .acknowledge(id, Some("  paused TikTok bidding  ".into()))
        .await
        .unwrap();
    drop(engine);

    // A restart (new store connection, new engine) sees the acknowledgement.
    let reopened = self::engine(&db, &vendor.url(""), Arc::new(RecordingNotifier::default())).await;
    let incident = reopened.store().incident(id).await.unwrap();
    let ack = incident.acknowledgement.expect("acknowledgement persisted");
    assert_eq!(ack.note.as_deref(), Some("paused TikTok bidding"));
    assert!(!ack.by.is_empty());
    assert_eq!(incident.ended_at, Some(t(7)));
}

#[tokio::test]
async fn an_unreadable_page_is_unknown_and_opens_nothing() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::json(500, "{}"));
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = engine(&dir.path().join("f.db"), &vendor.url(""), notifier.clone()).await;

    for minute in [0, 10, 20] {
        let outcome = engine.check_all(t(minute)).await.unwrap();
        assert_eq!(outcome.observations[0].health(), Health::Unknown);
        assert!(outcome.opened.is_empty());
    }
    let status = &engine.monitor_statuses().await.unwrap()[0];
    assert_eq!(status.health, Health::Unknown);
    assert_eq!(status.error_kind.as_deref(), Some("http_status"));
    assert!(
        status.error.as_deref().unwrap().contains("500"),
        "{status:?}"
    );
    assert_eq!(engine.store().check_count("segment").await.unwrap(), 3);
    assert!(engine
        .incidents(IncidentQuery::default())
        .await
        .unwrap()
        .is_empty());
    assert!(notifier.sent().is_empty());
    assert_eq!(engine.snapshot().await.unwrap().tray, TrayState::Unknown);
}

#[tokio::test]
async fn an_open_incident_survives_a_restart_and_resolves_once() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/partial_outage.json"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let first = engine(&db, &vendor.url(""), Arc::new(RecordingNotifier::default())).await;
    assert_eq!(first.tick(t(0)).await.unwrap().opened.len(), 1);
    drop(first);

    let notifier = Arc::new(RecordingNotifier::default());
    let second = engine(&db, &vendor.url(""), notifier.clone()).await;
    let outcome = second.tick(t(2)).await.unwrap();
    assert!(
        outcome.opened.is_empty(),
        "the open incident is picked up, not opened again"
    );
    vendor.set(SUMMARY, Reply::fixture("statuspage/resolved.json"));
    second.tick(t(4)).await.unwrap();
    assert_eq!(second.tick(t(6)).await.unwrap().resolved.len(), 1);
    assert_eq!(
        second
            .incidents(IncidentQuery::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_acknowledgement_from_another_process_is_noticed() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/partial_outage.json"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let app = engine(&db, &vendor.url(""), Arc::new(RecordingNotifier::default())).await;
    let id = app.tick(t(0)).await.unwrap().opened[0].id;
    assert!(
        !app.poll_external_changes().await.unwrap(),
        "first look only sets the baseline"
    );
    let mut events = app.subscribe();

    let cli = engine(&db, &vendor.url(""), Arc::new(RecordingNotifier::default())).await;
    cli.acknowledge(id, None).await.unwrap();

    assert!(app.poll_external_changes().await.unwrap());
    assert_eq!(events.try_recv().unwrap(), EngineEvent::StoreChanged);
    let seen = app.incidents(IncidentQuery::default()).await.unwrap();
    assert!(seen[0].acknowledgement.is_some());
    assert_eq!(app.snapshot().await.unwrap().unacknowledged, 0);
}

#[tokio::test]
async fn the_poller_checks_on_start_on_demand_and_stops() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(
        &dir.path().join("f.db"),
        &vendor.url(""),
        Arc::new(RecordingNotifier::default()),
    )
    .await;
    let mut events = engine.subscribe();
    let poller = Poller::start(engine.clone());

    // A monitor never checked is due at once.
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv()).await;
    assert!(
        matches!(first, Ok(Ok(EngineEvent::Checked { .. }))),
        "{first:?}"
    );

    let outcome = poller.check_now().await.unwrap();
    assert_eq!(outcome.observations.len(), 1);
    assert_eq!(vendor.hits(SUMMARY), 2);

    poller.stop().await;
    poller.stop().await;
    assert!(
        poller.check_now().await.is_err(),
        "a stopped poller says so"
    );
}

#[tokio::test]
async fn offline_opens_no_incident_even_for_probes() {
    let down = common::vendor::refused_url();
    let text = format!(
        "[[monitor]]\nid = \"segment\"\nkind = \"statuspage\"\nurl = \"{down}\"\n\n[[monitor]]\nid = \"api\"\nkind = \"http\"\nurl = \"{down}/v1\"\nconfirm = 1\n"
    );
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("f.db")).await.unwrap();
    let engine = Engine::new(config, store, Arc::new(RecordingNotifier::default())).unwrap();

    let outcome = engine.check_all(t(0)).await.unwrap();
    assert!(outcome.offline, "{outcome:?}");
    assert_eq!(
        outcome.observations[1].health(),
        Health::MajorOutage,
        "the probe alone would say down"
    );
    assert!(outcome.opened.is_empty());
    assert!(engine
        .incidents(IncidentQuery::default())
        .await
        .unwrap()
        .is_empty());
}
