//! Running the detector over a series, and running many runs on every core.

use flatline::detect::{Alert, AlertPhase, Detector, DetectorOptions, POOLED};
use shopsim::{Series, FUNNEL};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Every alert (opened and closed) from the first `until` buckets of `series`. Buckets
/// with a missing (NaN) value are not pushed, as a gap in real data would not be. A
/// series with the shop funnel's event types declares "Add to Cart" → "Initiate
/// Checkout" → "Complete Payment" as its funnel, as a shop would.
pub fn replay(series: &Series, until: usize) -> Vec<Alert> {
    drive(series, until, |_, _, _| {})
}

/// Like [`replay`], each alert with the end of the bucket whose data raised it: for a
/// closing, when the detector said the episode was over.
pub fn replay_raised(series: &Series, until: usize) -> Vec<(i64, Alert)> {
    let mut raised = Vec::new();
    drive(series, until, |b, _, alerts| {
        let at = series.bucket_start(b) + series.step_secs;
        raised.extend(alerts.iter().map(|a| (at, a.clone())));
    });
    raised
}

/// Like [`replay`], and what the detector's profile expected of each event type in each
/// bucket (not what an open share or funnel drop owes): row-major (bucket × event
/// type), NaN while learning and for buckets not pushed.
pub fn replay_expecting(series: &Series, until: usize) -> (Vec<Alert>, Vec<f64>) {
    let n = series.events.len();
    let mut expected = vec![f64::NAN; until.min(series.len()) * n];
    let alerts = drive(series, until, |b, detector, _| {
        for (slot, e) in expected[b * n..(b + 1) * n]
            .iter_mut()
            .zip(detector.profile_expectations())
        {
            *slot = e.unwrap_or(f64::NAN);
        }
    });
    (alerts, expected)
}

/// The detector over `series`, calling `pushed` after each bucket it judged with the
/// alerts that bucket raised.
fn drive(
    series: &Series,
    until: usize,
    mut pushed: impl FnMut(usize, &Detector, &[Alert]),
) -> Vec<Alert> {
    let mut options = DetectorOptions::new(series.step_secs);
    let funnel: Vec<String> = FUNNEL[1..]
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    if funnel.iter().all(|f| series.event_index(f).is_some()) {
        options.funnel = funnel;
    }
    let mut detector = Detector::new(options);
    for event in &series.events {
        detector.event(event);
    }
    let mut alerts = Vec::new();
    for b in 0..until.min(series.len()) {
        let row = series.row(b);
        if row.iter().all(|v| !v.is_nan()) {
            let raised = detector.push(series.bucket_start(b), row).to_vec();
            pushed(b, &detector, &raised);
            alerts.extend(raised);
        }
    }
    alerts
}

/// Opened alerts only: one per episode.
pub fn opened(alerts: &[Alert]) -> impl Iterator<Item = &Alert> {
    alerts.iter().filter(|a| a.phase == AlertPhase::Opened)
}

/// The first opened alert on one of `events` or on the pooled stream raised by data in
/// `(from, to]`.
pub fn first_alert<'a>(
    alerts: &'a [Alert],
    events: &[&str],
    from: i64,
    to: i64,
) -> Option<&'a Alert> {
    opened(alerts)
        .filter(|a| a.detected_at > from && a.detected_at <= to)
        .filter(|a| a.event == POOLED || events.contains(&a.event.as_str()))
        .min_by_key(|a| a.detected_at)
}

/// `f` over `items` on every available core; results in the order of `items`.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let results = Mutex::new((0..items.len()).map(|_| None).collect::<Vec<Option<R>>>());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().expect("no worker panicked")[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panicked")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}
