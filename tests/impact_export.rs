//! Revenue impact end to end: a shop's export replayed through the engine with a
//! three-hour outage of two funnel steps, priced live while it lasts, then exported
//! with `flatline export` as a user would, and the exported numbers checked against
//! the data that was replayed. A model change in the config reprices the history.

use chrono::{DateTime, TimeZone, Utc};
use flatline::config::Config;
use flatline::engine::Engine;
use flatline::notifier::{Notification, Notifier};
use flatline::store::Store;
use serde_json::Value;
use shopsim::{Outage, Series, Shop};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// 2026-01-05 00:00 UTC, a Monday.
const MONDAY: i64 = 1_767_571_200;
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
const DARK: [&str; 2] = ["Add to Cart", "Initiate Checkout"];
/// Tuesday 13:00 UTC of the fourth week: 14:00 in Berlin.
const ONSET: i64 = MONDAY + 22 * DAY + 13 * HOUR;
const OUTAGE_SECS: i64 = 3 * HOUR;

struct Quiet;
impl Notifier for Quiet {
    fn notify(&self, _: &Notification) {}
}

const VALUES: &str = r#"[impact.conversion_values]
"View Content" = 0.1
"Add to Cart" = 2.0
"Initiate Checkout" = 5.0
"Complete Payment" = 65.0
"#;

fn config_text(csv: &Path, impact: &str) -> String {
    format!(
        r#"[[monitor]]
id = "shop"
name = "Shop conversions"
kind = "csv"
path = "{}"
events = ["View Content", "Add to Cart", "Initiate Checkout", "Complete Payment"]

{impact}"#,
        csv.display()
    )
}

/// The export job: appends the series' rows up to a time, as a shop's job would.
struct ExportFile {
    path: PathBuf,
    written_until: i64,
}

impl ExportFile {
    fn append_until(&mut self, series: &Series, until: i64) {
        let mut out = String::new();
        for b in 0..series.len() {
            let start = series.bucket_start(b);
            if start < self.written_until || start >= until {
                continue;
            }
            let at = Utc.timestamp_opt(start, 0).unwrap().to_rfc3339();
            for (event, count) in series.events.iter().zip(series.row(b)) {
                out.push_str(&format!("{at},{event},{count}\n"));
            }
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .unwrap()
            .write_all(out.as_bytes())
            .unwrap();
        self.written_until = until;
    }
}

fn at(t: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(t, 0).unwrap()
}

fn export(dir: &Path, format: &str, out: &Path) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_flatline"))
        .args(["export", "--format", format, "--since", "2026-01-01"])
        .args(["--out", out.to_str().unwrap()])
        .env("FLATLINE_DATA_DIR", dir)
        .env("FLATLINE_CONFIG", dir.join("config.toml"))
        .env("TZ", "Europe/Berlin")
        .output()
        .expect("run flatline export");
    assert!(
        run.status.success(),
        "flatline export failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

/// The exported incident of the injected outage. Weeks of generated history may hold a
/// chance alarm as well, within the detector's false-alarm budget (about one per
/// stream per 30 days); the benchmark counts those, this test prices the outage.
fn outage(json: &Value) -> &Value {
    let incidents = json["incidents"].as_array().unwrap();
    let dark: Vec<&Value> = incidents
        .iter()
        .filter(|i| {
            let mut affected: Vec<&str> = i["affected"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            affected.sort_unstable();
            affected == DARK
        })
        .collect();
    assert_eq!(dark.len(), 1, "one incident of the outage: {json:#}");
    assert!(incidents.len() <= 2, "more than one chance alarm: {json:#}");
    dark[0]
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * b.abs()
}

#[tokio::test]
async fn a_replayed_drop_is_priced_live_and_exported_with_the_replayed_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("export.csv");
    std::fs::write(&csv, "timestamp,event,count\n").unwrap();
    let config = config_text(
        &csv,
        &format!("[impact]\nmodel = \"conversion_value\"\nattribution = 0.5\n{VALUES}"),
    );
    std::fs::write(dir.path().join("config.toml"), &config).unwrap();

    let truth = Shop::new(2026, 60.0).generate(MONDAY, 60, (23 * DAY / 60) as usize);
    let mut series = truth.clone();
    series.inject(&Outage::events(&DARK, ONSET, OUTAGE_SECS, 0.0));

    let store = Store::open(&dir.path().join("flatline.db")).await.unwrap();
    let engine = Engine::new(
        Config::parse(&config, Path::new("config.toml")).unwrap(),
        store,
        Arc::new(Quiet),
    )
    .unwrap();
    let mut file = ExportFile {
        path: csv.clone(),
        written_until: 0,
    };
    file.append_until(&series, ONSET);
    let first = engine.check_all(at(ONSET + 30)).await.unwrap();
    assert!(first.opened.is_empty(), "{:?}", first.opened);

    // While the outage lasts the estimate grows with every check.
    let mut figures = Vec::new();
    let mut t = ONSET;
    while t < ONSET + OUTAGE_SECS + 3 * HOUR {
        t += 20 * 60;
        file.append_until(&series, t);
        engine.check_all(at(t + 30)).await.unwrap();
        let open = engine.snapshot().await.unwrap().open;
        if let Some(amount) = open
            .first()
            .and_then(|i| i.impact.as_ref())
            .and_then(|e| e.amount)
        {
            assert!(t <= ONSET + OUTAGE_SECS + 2 * HOUR, "still open at {t}");
            figures.push(amount);
        }
    }
    assert!(figures.len() >= 6, "priced while open: {figures:?}");
    assert!(
        figures.windows(2).take(5).all(|w| w[1] > w[0]),
        "grows while open: {figures:?}"
    );

    // What the replayed data says went missing: the counts the outage removed.
    let removed = |event: &str| -> f64 {
        let e = truth.event_index(event).unwrap();
        (0..truth.len())
            .filter(|&b| (ONSET..ONSET + OUTAGE_SECS).contains(&truth.bucket_start(b)))
            .map(|b| truth.row(b)[e])
            .sum()
    };
    let (carts, checkouts) = (removed("Add to Cart"), removed("Initiate Checkout"));
    let value_lost = (carts * 2.0 + checkouts * 5.0) * 0.5;

    let json: Value =
        serde_json::from_str(&export(dir.path(), "json", &dir.path().join("r.json"))).unwrap();
    assert_eq!(json["time_zone"], "Europe/Berlin");
    let row = outage(&json);
    assert!(
        row["start"].as_str().unwrap().ends_with("+01:00"),
        "{row:#}"
    );
    let start = DateTime::parse_from_rfc3339(row["start"].as_str().unwrap()).unwrap();
    let end = DateTime::parse_from_rfc3339(row["end"].as_str().unwrap()).unwrap();
    assert!((start.timestamp() - ONSET).abs() <= 5 * 60, "onset {row:#}");
    assert!(
        (end.timestamp() - (ONSET + OUTAGE_SECS)).abs() <= 15 * 60,
        "end {row:#}"
    );

    let missing = row["missing_conversions"].as_f64().unwrap();
    assert!(
        close(missing, carts + checkouts, 0.15),
        "missing {missing} against {} removed",
        carts + checkouts
    );
    let amount = row["estimated_impact"].as_f64().unwrap();
    assert!(
        close(amount, value_lost, 0.15),
        "{amount} against {value_lost}"
    );
    // The figure is exactly its inputs: missing per event × value × attribution.
    let estimate = &row["impact"];
    assert_eq!(estimate["is_final"], true);
    assert_eq!(estimate["model"]["kind"], "conversion_value");
    let from_parts: f64 = estimate["by_event"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["missing"].as_f64().unwrap() * e["value"].as_f64().unwrap() * 0.5)
        .sum();
    assert!(close(amount, from_parts, 1e-9), "{amount} vs {from_parts}");
    // Each event type is priced against what would have arrived: the detector's
    // expectation over its drop, times how much it carried against that expectation
    // on the days before.
    let id = row["id"].as_i64().unwrap();
    let incident = engine.incidents(Default::default()).await.unwrap();
    let incident = incident.iter().find(|i| i.id == id).unwrap();
    for e in estimate["by_event"].as_array().unwrap() {
        let calibration = e["calibration"]
            .as_f64()
            .expect("calibrated on the week before");
        assert!((0.95..1.2).contains(&calibration), "{e:#}");
        let detector: f64 = incident
            .drops
            .iter()
            .filter(|d| d.event == e["event"].as_str().unwrap())
            .map(|d| d.expected)
            .sum();
        let expected = e["expected"].as_f64().unwrap();
        assert!(
            close(expected, calibration * detector, 1e-6),
            "{e:#} against {detector}"
        );
    }
    let day = &json["totals_per_day"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["start"] == "2026-01-27")
        .expect("a total for the day of the outage")["amounts"]["USD"];
    assert!(
        close(day.as_f64().unwrap(), amount, 1e-9),
        "{day} vs {amount}"
    );

    // The CSV says the same.
    let csv_text = export(dir.path(), "csv", &dir.path().join("r.csv"));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let record = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| r.iter().any(|cell| cell == DARK.join("; ")))
        .expect("the outage's row");
    let cell = |name: &str| record[header.iter().position(|h| h == name).unwrap()].to_owned();
    assert!(close(
        cell("estimated_impact").parse().unwrap(),
        amount,
        0.001
    ));
    assert!(close(
        cell("missing_conversions").parse().unwrap(),
        missing,
        0.001
    ));
    assert_eq!(cell("impact_model"), "conversion_value");

    let md = export(dir.path(), "md", &dir.path().join("r.md"));
    assert!(md.contains("Europe/Berlin"), "{md}");
    assert!(
        md.contains("Add to Cart") && md.contains("Initiate Checkout"),
        "{md}"
    );

    // The user switches to the hourly-rate model: the history is repriced with it,
    // and says so.
    std::fs::write(
        dir.path().join("config.toml"),
        config_text(&csv, &format!("[impact]\nhourly_rate = 1000.0\n{VALUES}")),
    )
    .unwrap();
    let json: Value =
        serde_json::from_str(&export(dir.path(), "json", &dir.path().join("r2.json"))).unwrap();
    let estimate = &outage(&json)["impact"];
    assert_eq!(estimate["model"]["kind"], "hourly_rate");
    assert_eq!(estimate["model"]["hourly_rate"], 1000.0);
    let hours = estimate["hours"].as_f64().unwrap();
    let share = estimate["funnel_share"].as_f64().unwrap();
    let amount = estimate["amount"].as_f64().unwrap();
    assert!(close(amount, 1000.0 * hours * share, 1e-6), "{estimate:#}");
    assert!((2.8..3.3).contains(&hours), "{hours} h");
    assert!(
        estimate["summary"].as_str().unwrap().contains("× $1,000/h"),
        "{estimate:#}"
    );
}
