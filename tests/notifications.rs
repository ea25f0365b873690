//! No storms: desktop notices grouped when many come at once, held while snoozed or
//! in quiet hours (with one notice at the end for what opened meanwhile), and
//! reminders of a major outage nobody acknowledged. The engine runs on a real SQLite
//! file against status pages served on 127.0.0.1.

mod common;

use chrono::{DateTime, Duration, DurationRound, Local, Utc};
use common::notifier::RecordingNotifier;
use common::vendor::{Reply, VendorServer};
use flatline::config::Config;
use flatline::engine::Engine;
use flatline::notifier::{HoldReason, Notification, Urgency};
use flatline::store::Store;
use std::path::Path;
use std::sync::Arc;

const SUMMARY: &str = "/api/v2/summary.json";

/// Notices go out off the engine's task; this is how long a test waits before it
/// says none came.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(300);

#[tokio::test]
async fn a_snooze_holds_notices_and_its_end_tells_what_opened_meanwhile() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = engine(&dir.path().join("f.db"), &[&vendor], "", notifier.clone()).await;
    let start = now();
    engine.tick(start).await.unwrap();

    let hold = engine.snooze(start, Duration::hours(1)).await.unwrap();
    assert_eq!(hold.reason, HoldReason::Snoozed);
    assert_eq!(engine.snapshot().await.unwrap().hold, Some(hold));

    vendor.set(SUMMARY, Reply::fixture("statuspage/partial_outage.json"));
    let opened = engine.tick(start + Duration::minutes(2)).await.unwrap();
    assert_eq!(opened.opened.len(), 1);
    engine.tick(start + Duration::minutes(30)).await.unwrap();
    tokio::time::sleep(SETTLE).await;
    assert!(notifier.sent().is_empty(), "held: {:?}", notifier.sent());

    engine.tick(start + Duration::minutes(61)).await.unwrap();
    let sent = notifier.wait_for(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].summary, "While snoozed: Segment: partial outage");
    assert!(
        sent[0].body.starts_with("Segment: partial outage · "),
        "{}",
        sent[0].body
    );

    // A snooze lifted by hand, with nothing new meanwhile, says nothing.
    engine
        .snooze(start + Duration::minutes(62), Duration::hours(1))
        .await
        .unwrap();
    engine.tick(start + Duration::minutes(63)).await.unwrap();
    engine
        .resume_notifications(start + Duration::minutes(64))
        .await
        .unwrap();
    assert_eq!(engine.snapshot().await.unwrap().hold, None);
    tokio::time::sleep(SETTLE).await;
    assert_eq!(notifier.sent().len(), 1, "{:?}", notifier.sent());
}

#[tokio::test]
async fn quiet_hours_hold_notices_like_a_snooze_that_comes_every_day() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/partial_outage.json"));
    let dir = tempfile::tempdir().unwrap();
    let start = now();
    let clock = |t: DateTime<Utc>| t.with_timezone(&Local).format("%H:%M").to_string();
    let quiet = format!(
        "quiet_hours = \"{}-{}\"\n",
        clock(start - Duration::hours(1)),
        clock(start + Duration::hours(1))
    );
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = engine(
        &dir.path().join("f.db"),
        &[&vendor],
        &quiet,
        notifier.clone(),
    )
    .await;

    let opened = engine.tick(start).await.unwrap();
    assert_eq!(opened.opened.len(), 1);
    let hold = engine
        .hold_at(start)
        .await
        .unwrap()
        .expect("in quiet hours");
    assert_eq!(hold.reason, HoldReason::QuietHours);
    assert_eq!(hold.until, start + Duration::hours(1));
    tokio::time::sleep(SETTLE).await;
    assert!(notifier.sent().is_empty(), "held: {:?}", notifier.sent());

    engine.tick(start + Duration::minutes(61)).await.unwrap();
    let sent = notifier.wait_for(1).await;
    assert_eq!(
        sent[0].summary,
        "During quiet hours: Segment: partial outage"
    );
}

#[tokio::test]
async fn many_incidents_at_once_make_one_notice() {
    let vendors = [
        VendorServer::start().await,
        VendorServer::start().await,
        VendorServer::start().await,
    ];
    for v in &vendors {
        v.set(SUMMARY, Reply::fixture("statuspage/partial_outage.json"));
    }
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let servers: Vec<&VendorServer> = vendors.iter().collect();
    let engine = engine(&dir.path().join("f.db"), &servers, "", notifier.clone()).await;

    let opened = engine.tick(now()).await.unwrap();
    assert_eq!(opened.opened.len(), 3);
    let sent = notifier.wait_for(1).await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(notifier.sent().len(), 1, "{:?}", notifier.sent());
    assert_eq!(sent[0].summary, "Flatline: 3 incident changes");
    assert_eq!(
        sent[0].body,
        "Vendor 0: partial outage\nVendor 1: partial outage\nVendor 2: partial outage"
    );
}

#[tokio::test]
async fn a_major_outage_nobody_acknowledged_is_recalled_until_someone_does() {
    let vendor = VendorServer::start().await;
    let major = std::fs::read_to_string(common::vendor::fixture_path(
        "statuspage/partial_outage.json",
    ))
    .unwrap()
    .replace("partial_outage", "major_outage");
    vendor.set(SUMMARY, Reply::json(200, major));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let notifier = Arc::new(RecordingNotifier::default());
    let every = "renotify_minutes = 30\n";
    let engine = self::engine(&db, &[&vendor], every, notifier.clone()).await;
    let start = now();
    let at = |minutes: i64| start + Duration::minutes(minutes);

    let opened = engine.tick(at(0)).await.unwrap();
    let id = opened.opened[0].id;
    notifier.wait_for(1).await;
    engine.tick(at(20)).await.unwrap();
    engine.tick(at(31)).await.unwrap();
    let sent = notifier.wait_for(2).await;
    let reminder: &Notification = &sent[1];
    assert_eq!(reminder.summary, "Still down: Segment: major outage");
    assert_eq!(reminder.urgency, Urgency::Critical);
    assert!(
        reminder
            .body
            .ends_with("Acknowledge it to stop these reminders."),
        "{}",
        reminder.body
    );

    // The pace survives a restart: the new process knows when the last one was.
    drop(engine);
    let engine = self::engine(&db, &[&vendor], every, notifier.clone()).await;
    engine.tick(at(45)).await.unwrap();
    tokio::time::sleep(SETTLE).await;
    assert_eq!(notifier.sent().len(), 2, "{:?}", notifier.sent());
    engine.tick(at(62)).await.unwrap();
    notifier.wait_for(3).await;

    engine.acknowledge(id, None).await.unwrap();
    engine.tick(at(95)).await.unwrap();
    engine.tick(at(130)).await.unwrap();
    tokio::time::sleep(SETTLE).await;
    assert_eq!(notifier.sent().len(), 3, "{:?}", notifier.sent());
}

/// The engine on `db`, one status-page monitor per server ("Segment" alone, else
/// "Vendor 0", "Vendor 1"…), with more `[notifications]` keys.
async fn engine(
    db: &Path,
    vendors: &[&VendorServer],
    notifications: &str,
    notifier: Arc<RecordingNotifier>,
) -> Engine {
    let mut text = format!(
        "[general]\ninterval_secs = 60\ntimeout_secs = 2\n\n[notifications]\n{notifications}\n"
    );
    for (i, v) in vendors.iter().enumerate() {
        let name = match vendors.len() {
            1 => "Segment".to_owned(),
            _ => format!("Vendor {i}"),
        };
        text += &format!(
            "[[monitor]]\nid = \"v{i}\"\nname = \"{name}\"\nkind = \"statuspage\"\nurl = \"{}\"\n\n",
            v.url("")
        );
    }
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    Engine::new(config, Store::open(db).await.unwrap(), notifier).unwrap()
}

/// The tests' clock starts now, on a whole minute: a snooze and quiet hours are read
/// against the real clock by `snapshot`.
fn now() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::minutes(1)).unwrap()
}
