//! What pricing an open volume incident costs the engine every tick: `Engine::priced`
//! reads every event type's stored buckets over the incident, estimates and stores
//! the figure. Timed against a plain read of the same rows (`Store::buckets`) in the
//! same run, for incidents of an hour, a day and eight days of minute buckets with four
//! event types, after a week of stored counts that pricing reads for each event type's
//! calibration. Prints Markdown; run it through `scripts/bench-pricing`.

use anyhow::{Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use flatline::config::Config;
use flatline::detect::{AlertKind, Expectation};
use flatline::engine::Engine;
use flatline::health::Health;
use flatline::impact;
use flatline::incident::{EventDrop, IncidentKind};
use flatline::notifier::{Notification, Notifier};
use flatline::store::{Cursor, NewIncident, Store, StoredBucket};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// 2026-01-05 00:00 UTC, a Monday.
const START: i64 = 1_767_571_200;
const EVENTS: [&str; 4] = [
    "View Content",
    "Add to Cart",
    "Initiate Checkout",
    "Complete Payment",
];
const RUNS: usize = 5;
const CALIBRATION_MINUTES: i64 = impact::CALIBRATION_DAYS * 1440;

struct Quiet;
impl Notifier for Quiet {
    fn notify(&self, _: &Notification) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    println!("| open incident | stored rows | plain read (baseline) | pricing | pricing ÷ read | share of a 60 s tick | first pricing |");
    println!("|---|---|---|---|---|---|---|");
    for (label, minutes) in [("1 h", 60), ("1 day", 1440), ("8 days", 8 * 1440)] {
        let (read, priced, first) = measure(minutes).await?;
        println!(
            "| {label} | {} | {} | {} | {:.2}× | {:.4}% | {} |",
            minutes * EVENTS.len() as i64,
            ms(read),
            ms(priced),
            priced.as_secs_f64() / read.as_secs_f64(),
            priced.as_secs_f64() / 60.0 * 100.0,
            ms(first),
        );
    }
    println!(
        "\nBest of {RUNS} runs each, alternating the two, one at a time; minute buckets, \
         four event types, one of them silent throughout the incident, with {} days of \
         ordinary counts stored before it.",
        impact::CALIBRATION_DAYS
    );
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().expect("in range")
}

/// One volume incident open for `minutes`, its counts stored; the best times of a
/// plain read of its rows and of pricing it, and the time of the first pricing.
async fn measure(minutes: i64) -> Result<(Duration, Duration, Duration)> {
    let dir = tempfile::tempdir()?;
    let config = Config::parse(
        &format!(
            "[[monitor]]\nid = \"shop\"\nkind = \"csv\"\npath = \"{}\"\nevents = {:?}\n",
            dir.path().join("export.csv").display(),
            EVENTS
        ),
        Path::new("bench.toml"),
    )?;
    let store = Store::open(&dir.path().join("flatline.db")).await?;
    let until = START + minutes * 60;
    // A week of ordinary counts before the incident, which pricing reads for how much
    // each event type carries against its expectation (here exactly as expected).
    let rows = (-CALIBRATION_MINUTES..minutes)
        .flat_map(|m| {
            EVENTS
                .iter()
                .enumerate()
                .map(move |(i, event)| StoredBucket {
                    start: START + m * 60,
                    event: (*event).to_owned(),
                    count: if i == 1 && m >= 0 { 0.0 } else { 10.0 },
                    expected: Some(Expectation {
                        expected: 10.0,
                        sd: 3.2,
                        implied: false,
                    }),
                })
        })
        .collect();
    let cursor = Cursor {
        step_secs: 60,
        complete_until: until,
    };
    store.save_buckets("shop", rows, cursor).await?;
    let drop = EventDrop {
        event: EVENTS[1].to_owned(),
        kind: AlertKind::Silence,
        start: at(START),
        detected_at: at(START + 60),
        end: None,
        expected: 10.0 * minutes as f64,
        observed: 0.0,
        back_since: None,
    };
    let incident = store
        .open_incident(NewIncident {
            monitor_id: "shop".into(),
            monitor_name: "Shop".into(),
            kind: IncidentKind::SilentOutage,
            severity: Health::PartialOutage,
            title: "Shop: silent outage".into(),
            summary: String::new(),
            started_at: at(START),
            detected_at: at(START + 60),
            components: vec![EVENTS[1].to_owned()],
            url: None,
            drops: vec![drop],
            cause_incident_id: None,
        })
        .await?;
    let engine = Engine::new(config, store.clone(), Arc::new(Quiet))?;
    // The first pricing also reads the week before; later ones reuse what it found.
    let t = Instant::now();
    engine.priced(incident.clone(), at(until)).await?;
    let first = t.elapsed();
    let (mut read, mut priced) = (Duration::MAX, Duration::MAX);
    for _ in 0..RUNS {
        let t = Instant::now();
        let rows = store.buckets("shop", START, until).await?;
        read = read.min(t.elapsed());
        anyhow::ensure!(rows.len() as i64 == minutes * 4, "rows read back");

        let t = Instant::now();
        let repriced = engine.priced(incident.clone(), at(until)).await?;
        priced = priced.min(t.elapsed());
        // One of four event types silent, equal weights: a quarter of $800 an hour.
        let amount = repriced.impact.and_then(|e| e.amount).context("a figure")?;
        let expected = 800.0 * 0.25 * minutes as f64 / 60.0;
        anyhow::ensure!(
            (amount - expected).abs() < 1e-6 * expected,
            "{amount} ≠ {expected}"
        );
    }
    Ok((read, priced, first))
}
