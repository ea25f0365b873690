//! 4. Throughput of the detector alone, against a trivial loop over the same data.

use crate::report::table;
use crate::shops::START;
use flatline::detect::{Detector, DetectorOptions};
use shopsim::{EventSpec, Series, Shop};
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter};
use std::path::Path;
use std::time::{Duration, Instant};

const EVENTS: usize = 10;
const RUNS: usize = 3;
/// The baseline is so quick that one pass is too short to time on a busy machine.
const BASELINE_PASSES: usize = 20;

pub struct Throughput {
    pub markdown: String,
    /// Stream-buckets per second of the detector, best run.
    pub per_sec: f64,
    /// `flatline replay` over the same year written as a CSV file: reading it and
    /// running the detector, best run.
    pub replay: Duration,
}

/// A year of minute buckets of a busy shop with 10 event types, pushed through a fresh
/// detector `RUNS` times on this thread, alternating with the baseline loop; then
/// replayed from a CSV file as `flatline replay` does.
pub fn run(seed: u64) -> Throughput {
    let mut shop = Shop::new(seed, 200.0);
    shop.events = (0..EVENTS)
        .map(|i| EventSpec {
            name: format!("event {i}"),
            share: 0.7f64.powi(i as i32),
        })
        .collect();
    let series = shop.generate(START, 60, 365 * 1440);
    let stream_buckets = (series.len() * EVENTS) as f64;

    let (mut detector, mut baseline) = (Duration::MAX, Duration::MAX);
    for _ in 0..RUNS {
        detector = detector.min(time(|| detect(&series)));
        baseline = baseline
            .min(time(|| (0..BASELINE_PASSES).for_each(|_| sum(&series))) / BASELINE_PASSES as u32);
    }
    let rate = |d: Duration| stream_buckets / d.as_secs_f64();
    let rows = vec![
        vec![
            "detector".to_owned(),
            format!("{:.2} s", detector.as_secs_f64()),
            format!("{:.2} M", rate(detector) / 1e6),
            format!("{:.0} ns", detector.as_secs_f64() * 1e9 / stream_buckets),
        ],
        vec![
            "baseline: sum of counts".to_owned(),
            format!("{:.3} s", baseline.as_secs_f64()),
            format!("{:.0} M", rate(baseline) / 1e6),
            format!("{:.1} ns", baseline.as_secs_f64() * 1e9 / stream_buckets),
        ],
    ];
    let mut markdown = format!(
        "{} minute buckets × {EVENTS} event types = {:.2} M stream-buckets (one event type's \
         count in one bucket), on one thread; best of {RUNS} runs, alternating with the \
         baseline, which reads the same rows and sums them (timed over {BASELINE_PASSES} passes).\n\n",
        series.len(),
        stream_buckets / 1e6
    );
    markdown += &table(
        &[
            "loop",
            "time",
            "stream-buckets per second",
            "per stream-bucket",
        ],
        &rows,
    );
    markdown += &format!(
        "\nThe detector takes {:.0}× the baseline's time.\n",
        detector.as_secs_f64() / baseline.as_secs_f64()
    );

    let csv = std::env::temp_dir().join(format!("flatline-bench-{}.csv", std::process::id()));
    series
        .write_csv(BufWriter::new(File::create(&csv).expect("temporary CSV")))
        .expect("temporary CSV written");
    let size = std::fs::metadata(&csv).map_or(0, |m| m.len());
    let replay = (0..RUNS)
        .map(|_| time(|| replay(&csv)))
        .min()
        .expect("at least one run");
    std::fs::remove_file(&csv).ok();
    markdown += &format!(
        "\n`flatline replay` over the same year as a CSV file ({:.0} MB, {} rows): {:.1} s to \
         read it, infer the bucket size and run the detector, best of {} runs (the library's \
         `replay::parse` and `replay::run`, which the command calls before it prints).\n",
        size as f64 / 1e6,
        series.len() * EVENTS,
        replay.as_secs_f64(),
        RUNS
    );
    Throughput {
        markdown,
        per_sec: rate(detector),
        replay,
    }
}

fn replay(csv: &Path) {
    let file = File::open(csv).expect("temporary CSV");
    let metrics = flatline::replay::parse(BufReader::with_capacity(1 << 20, file))
        .expect("the CSV the generator wrote parses");
    black_box(flatline::replay::run(&metrics, Vec::new()));
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn detect(series: &Series) {
    let mut d = Detector::new(DetectorOptions::new(series.step_secs));
    for event in &series.events {
        d.event(event);
    }
    for b in 0..series.len() {
        black_box(d.push(series.bucket_start(b), black_box(series.row(b))));
    }
}

fn sum(series: &Series) {
    let mut totals = [0.0; EVENTS];
    for b in 0..series.len() {
        for (t, x) in totals.iter_mut().zip(black_box(series.row(b))) {
            *t += x;
        }
    }
    black_box(totals);
}
