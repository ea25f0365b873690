//! Volume monitors through the whole engine: counts read from a CSV export on disk,
//! the upstream vendor played by a local status page, a real SQLite file. A drop
//! while the page is green is a silent outage; once the vendor admits an incident the
//! drop is linked to it; traffic coming back is said to flow again, then resolves it;
//! a restart neither loses nor repeats it.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::notifier::RecordingNotifier;
use common::vendor::{Reply, VendorServer};
use flatline::config::Config;
use flatline::engine::Engine;
use flatline::incident::{IncidentKind, TrayState};
use flatline::store::{IncidentQuery, Store};
use flatline::Health;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

const SUMMARY: &str = "/api/v2/summary.json";
const EVENTS: [(&str, f64); 4] = [
    ("View Content", 40.0),
    ("Add to Cart", 12.0),
    ("Initiate Checkout", 8.0),
    ("Complete Payment", 5.0),
];

/// A shop's export: per-minute counts with a quiet night, Poisson-like noise from a
/// fixed seed, and `scale` deciding each event's multiplier.
struct Export {
    path: std::path::PathBuf,
    rng: fastrand::Rng,
    next: i64,
}

impl Export {
    fn new(path: std::path::PathBuf, from: i64) -> Export {
        std::fs::write(&path, "timestamp,event,count\n").unwrap();
        Export {
            path,
            rng: fastrand::Rng::with_seed(11),
            next: from,
        }
    }

    /// An export with three weeks of normal history, ending on a weekday at 11:00 UTC.
    fn three_normal_weeks(dir: &Path) -> Export {
        let start = Utc
            .with_ymd_and_hms(2026, 1, 5, 11, 0, 0)
            .unwrap()
            .timestamp();
        let mut export = Export::new(dir.join("export.csv"), start);
        export.append(21 * 1440, |_| 1.0);
        export
    }

    fn append(&mut self, minutes: i64, scale: impl Fn(usize) -> f64) {
        let mut out = String::new();
        for _ in 0..minutes {
            let hour = (self.next / 3600) % 24;
            let daily = if (7..23).contains(&hour) { 1.0 } else { 0.15 };
            let at = Utc.timestamp_opt(self.next, 0).unwrap().to_rfc3339();
            for (i, (name, rate)) in EVENTS.iter().enumerate() {
                let mean = rate * daily * scale(i);
                // Sum of Bernoulli trials: close enough to Poisson at these rates.
                let n = (0..(mean * 4.0).ceil() as usize)
                    .filter(|_| self.rng.f64() < 0.25)
                    .count();
                out.push_str(&format!("{at},{name},{n}\n"));
            }
            self.next += 60;
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .unwrap()
            .write_all(out.as_bytes())
            .unwrap();
    }

    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.next + 30, 0).unwrap()
    }
}

fn config(csv: &Path, status_url: &str) -> Config {
    let text = format!(
        r#"[general]
interval_secs = 60
timeout_secs = 2

[[monitor]]
id = "segment"
name = "Segment"
kind = "statuspage"
url = "{status_url}"

[[monitor]]
id = "shop"
name = "Shop conversions"
kind = "csv"
path = "{}"
events = ["View Content", "Add to Cart", "Initiate Checkout", "Complete Payment"]
funnel = ["Add to Cart", "Initiate Checkout", "Complete Payment"]
depends_on = ["segment"]
"#,
        csv.display()
    );
    Config::parse(&text, Path::new("test.toml")).unwrap()
}

async fn start_engine(
    dir: &Path,
    vendor: &VendorServer,
    notifier: Arc<RecordingNotifier>,
) -> Engine {
    let store = Store::open(&dir.join("flatline.db")).await.unwrap();
    Engine::new(
        config(&dir.join("export.csv"), &vendor.url("")),
        store,
        notifier,
    )
    .unwrap()
}

async fn open_incidents(engine: &Engine) -> Vec<flatline::incident::Incident> {
    engine
        .incidents(IncidentQuery {
            open_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_drop_behind_a_green_page_is_a_silent_outage_then_linked_then_resolved() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let mut export = Export::three_normal_weeks(dir.path());

    let engine = start_engine(dir.path(), &vendor, notifier.clone()).await;
    let first = engine.check_all(export.now()).await.unwrap();
    assert!(first.opened.is_empty(), "{:?}", first.opened);
    let status = engine.monitor_statuses().await.unwrap();
    let shop = status.iter().find(|m| m.id == "shop").unwrap();
    assert_eq!(shop.health, Health::Operational, "{}", shop.summary);
    let volume = shop.volume.as_ref().expect("expected against observed");
    assert_eq!(volume.step_secs, 60);
    assert_eq!(volume.streams.len(), 5, "four event types and all together");
    assert!(volume.streams.iter().all(|s| s.expected > 1.0));

    // Add to Cart and Initiate Checkout stop reaching the export; the others flow.
    export.append(20, |i| if i == 1 || i == 2 { 0.0 } else { 1.0 });
    let tick = engine.check_all(export.now()).await.unwrap();
    assert_eq!(tick.opened.len(), 1, "{tick:?}");
    let incident = &tick.opened[0];
    assert_eq!(incident.kind, IncidentKind::SilentOutage);
    let mut affected = incident.components.clone();
    affected.sort();
    assert_eq!(affected, ["Add to Cart", "Initiate Checkout"]);
    assert!(incident.checklist.iter().any(|c| c.contains("credentials")));
    assert!(incident
        .drops
        .iter()
        .all(|d| d.observed == 0.0 && d.expected > 50.0));
    assert_eq!(engine.snapshot().await.unwrap().tray, TrayState::Degraded);

    // A restart replays the stored counts: the same incident stays, nothing repeats.
    drop(engine);
    let engine = start_engine(dir.path(), &vendor, notifier.clone()).await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/partial_outage.json"));
    export.append(5, |i| if i == 1 || i == 2 { 0.0 } else { 1.0 });
    let tick = engine.check_all(export.now()).await.unwrap();
    let open = open_incidents(&engine).await;
    let volume: Vec<_> = open.iter().filter(|i| i.monitor_id == "shop").collect();
    assert_eq!(volume.len(), 1, "{open:?}");
    assert_eq!(volume[0].id, incident.id);
    // The vendor now admits a problem: the drop is linked to it as the likely cause.
    assert_eq!(volume[0].kind, IncidentKind::VolumeDrop);
    let cause = volume[0].cause.as_ref().expect("a likely cause");
    assert_eq!(cause.monitor_id, "segment");
    assert!(volume[0].drops.iter().all(|d| d.expected > 60.0));
    assert!(tick.opened.iter().all(|i| i.monitor_id == "segment"));

    // Traffic comes back. Until the volume incident resolves, the monitor says which
    // dropped events flow again; then it resolves with its end estimated.
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let back = export.next;
    let mut said_back = Vec::new();
    for _ in 0..10 {
        export.append(1, |_| 1.0);
        engine.check_all(export.now()).await.unwrap();
        let open = open_incidents(&engine).await;
        let Some(incident) = open.iter().find(|i| i.monitor_id == "shop") else {
            break;
        };
        let status = engine.monitor_statuses().await.unwrap();
        let shop = status.iter().find(|m| m.id == "shop").unwrap();
        said_back.push((shop.summary.clone(), incident.clone()));
    }
    let (summary, flowing) = said_back
        .iter()
        .find(|(s, _)| s.contains("(flowing again for"))
        .unwrap_or_else(|| panic!("{said_back:?}"));
    // The incident says so too, and since when: the end it will have.
    let since = flowing
        .drops
        .iter()
        .find_map(|d| d.back_since)
        .unwrap_or_else(|| panic!("{summary}: {flowing:?}"));
    assert_eq!(since.timestamp(), back, "{flowing:?}");
    assert!(
        flowing.summary.contains("flowing again since"),
        "{flowing:?}"
    );
    // From then on the live estimate stops where the incident will end: the minutes
    // being confirmed fall short only by chance, and add nothing.
    let amount = |i: &flatline::incident::Incident| i.impact.as_ref().and_then(|e| e.amount);
    let confirming: Vec<_> = said_back
        .iter()
        .map(|(_, i)| i)
        .filter(|i| i.drops.iter().any(|d| d.back_since.is_some()))
        .collect();
    assert!(amount(flowing).is_some_and(|a| a > 0.0), "{flowing:?}");
    assert!(
        confirming.iter().all(|i| amount(i) == amount(flowing)),
        "{:?}",
        confirming.iter().map(|i| amount(i)).collect::<Vec<_>>()
    );
    export.append(50, |_| 1.0);
    engine.check_all(export.now()).await.unwrap();
    let resolved = engine.incidents(IncidentQuery::default()).await.unwrap();
    let shop = resolved.iter().find(|i| i.id == incident.id).unwrap();
    let end = shop.ended_at.expect("resolved");
    assert!(
        (end.timestamp() - back).abs() <= 10 * 60,
        "ended {end}, traffic back {back}"
    );
    assert!(shop.drops.iter().all(|d| d.end.is_some()));
    assert_eq!(end.timestamp(), back, "{shop:?}");
    assert_eq!(
        amount(shop),
        amount(flowing),
        "final as it was once flowing again"
    );
    let sent = notifier.sent();
    let about_shop = sent
        .iter()
        .filter(|n| n.summary.starts_with("Shop conversions"))
        .count();
    assert_eq!(about_shop, 2, "one on opening, one on resolution: {sent:?}");
}

#[tokio::test]
async fn a_missing_export_is_a_monitor_problem_not_an_outage() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let dir = tempfile::tempdir().unwrap();
    let engine = start_engine(dir.path(), &vendor, Arc::default()).await;
    let tick = engine.check_all(Utc::now()).await.unwrap();
    assert!(tick.opened.is_empty());
    let status = engine.monitor_statuses().await.unwrap();
    let shop = status.iter().find(|m| m.id == "shop").unwrap();
    assert_eq!(shop.health, Health::Unknown);
    assert!(
        shop.error.as_deref().unwrap().contains("export.csv"),
        "{:?}",
        shop.error
    );
}

#[tokio::test]
async fn a_drop_already_over_in_history_is_recorded_apart_and_not_announced() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let mut export = Export::three_normal_weeks(dir.path());
    // A past half hour without Add to Cart, traffic back, then payments stop now: one
    // read of the whole history finds both.
    export.append(30, |i| if i == 1 { 0.0 } else { 1.0 });
    export.append(120, |_| 1.0);
    export.append(20, |i| if i == 3 { 0.0 } else { 1.0 });

    let engine = start_engine(dir.path(), &vendor, notifier.clone()).await;
    let tick = engine.check_all(export.now()).await.unwrap();
    let all = engine.incidents(IncidentQuery::default()).await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let past = all.iter().find(|i| !i.is_open()).expect("the past drop");
    assert_eq!(past.components, ["Add to Cart"]);
    let now = all.iter().find(|i| i.is_open()).expect("the current drop");
    assert_eq!(now.components, ["Complete Payment"]);
    assert_eq!(tick.opened.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let sent = notifier.sent();
    assert_eq!(
        sent.len(),
        1,
        "only the drop going on now is news: {sent:?}"
    );
}

#[tokio::test]
async fn a_payment_break_in_a_campaign_is_stored_against_what_checkouts_imply_from_its_start() {
    let vendor = VendorServer::start().await;
    vendor.set(SUMMARY, Reply::fixture("statuspage/operational.json"));
    let dir = tempfile::tempdir().unwrap();
    let mut export = Export::three_normal_weeks(dir.path());
    let engine = start_engine(dir.path(), &vendor, Arc::default()).await;
    engine.check_all(export.now()).await.unwrap();

    // A campaign triples everything; half an hour in, payments fall back to their
    // usual number: a third of what the checkouts bring. Checked every minute, as the
    // app does, so the drop's first buckets are stored before it is known.
    export.append(30, |_| 3.0);
    engine.check_all(export.now()).await.unwrap();
    let mut opened = Vec::new();
    for _ in 0..30 {
        export.append(1, |i| if i == 3 { 1.0 } else { 3.0 });
        opened.extend(engine.check_all(export.now()).await.unwrap().opened);
    }
    assert_eq!(opened.len(), 1, "{opened:?}");
    let drop = &opened[0].drops[0];
    assert_eq!(drop.event, "Complete Payment", "{opened:?}");
    assert!(drop.detected_at > drop.start, "{drop:?}");

    // Every payment bucket from the estimated start on is stored against what the
    // checkouts implied (about three times the usual five a minute), not the usual
    // count the payments still reach; so the chart and the price see the whole drop.
    let store = Store::open(&dir.path().join("flatline.db")).await.unwrap();
    let payments: Vec<_> = store
        .buckets("shop", drop.start.timestamp(), export.next)
        .await
        .unwrap()
        .into_iter()
        .filter(|b| b.event == "Complete Payment")
        .collect();
    assert_eq!(payments[0].start, drop.start.timestamp());
    assert!(payments.last().unwrap().start >= drop.detected_at.timestamp());
    assert!(
        payments
            .iter()
            .all(|b| b.expected.is_some_and(|e| e.implied && e.expected > 10.0)),
        "{payments:?}"
    );
}
