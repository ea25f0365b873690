//! A volume incident's counts, laid over the clock hours of its window.

use super::model::VolumeSeries;
use super::window::Window;
use crate::detect::POOLED;
use crate::incident::Incident;

/// Conversions expected, seen and missing (one event type, one stretch of time).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Cell {
    pub expected: f64,
    pub observed: f64,
    pub missing: f64,
}

impl Cell {
    /// Adds `portion` of one bucket. Missing is clamped per bucket, before adding up:
    /// a surge in one bucket must not cancel a loss in another.
    fn add(&mut self, portion: f64, expected: f64, observed: f64) {
        self.expected += portion * expected;
        self.observed += portion * observed;
        self.missing += portion * (expected - observed).max(0.0);
    }

    fn plus(self, other: Cell) -> Cell {
        Cell {
            expected: self.expected + other.expected,
            observed: self.observed + other.observed,
            missing: self.missing + other.missing,
        }
    }
}

/// One event type across the window's clock hours; `None` in hours where the
/// detector judged no bucket, so "not known" never reads as "nothing missing".
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub event: String,
    /// Expected over each hour's part of the window: the event type's part of the
    /// funnel that a loss is a share of.
    pub expected: Vec<Option<f64>>,
    /// Counts while the event type was down (see [`down`]); also `None` in hours it
    /// was not. Outside its drops it flowed as usual (an incident goes on while another
    /// event type is down), and a bucket under its expectation is chance, not a loss.
    pub down: Vec<Option<Cell>>,
    /// What the detector's expectations were multiplied by (see
    /// [`EventSeries::calibration`](super::model::EventSeries::calibration)).
    pub calibration: Option<f64>,
}

impl Row {
    /// The counts over all the time the event type was down.
    pub fn total(&self) -> Cell {
        self.down
            .iter()
            .flatten()
            .fold(Cell::default(), |a, c| a.plus(*c))
    }
    pub fn has_data(&self) -> bool {
        self.expected.iter().any(Option::is_some)
    }
}

/// Every event type of the series (the pooled one left out: it would count each
/// conversion twice), each bucket spread over the hours it overlaps in the window.
pub(super) fn rows(
    series: &VolumeSeries,
    incident: &Incident,
    window: &Window,
    hour_count: usize,
) -> Vec<Row> {
    let step_ms = series.step_secs.max(1) * 1000;
    let mut rows: Vec<Row> = Vec::new();
    for s in series.events.iter().filter(|s| s.event != POOLED) {
        let index = match rows.iter().position(|r| r.event == s.event) {
            Some(i) => i,
            None => {
                rows.push(Row {
                    event: s.event.clone(),
                    expected: vec![None; hour_count],
                    down: vec![None; hour_count],
                    calibration: s.calibration,
                });
                rows.len() - 1
            }
        };
        let row = &mut rows[index];
        let down = down(incident, &s.event, window);
        let scale = s.calibration.unwrap_or(1.0);
        for p in &s.points {
            let scale = if p.implied { 1.0 } else { scale };
            let Some(expected) = p.expected.map(|e| e * scale) else {
                continue;
            };
            let (from, to) = (p.start * 1000, p.start * 1000 + step_ms);
            let portion = |ms: i64| ms as f64 / step_ms as f64;
            for (hour, ms) in window.split(from, to) {
                if let Some(slot) = row.expected.get_mut(hour) {
                    *slot.get_or_insert(0.0) += portion(ms) * expected;
                }
            }
            for &(a, b) in &down {
                for (hour, ms) in window.split(from.max(a), to.min(b)) {
                    if let Some(slot) = row.down.get_mut(hour) {
                        slot.get_or_insert_with(Cell::default).add(
                            portion(ms),
                            expected,
                            p.observed,
                        );
                    }
                }
            }
        }
    }
    rows
}

/// When `event` was down, in milliseconds, oldest first and not overlapping: its own
/// drops and those of all events together, each until its end, or while open until it
/// flowed again or the window's end. An incident without drops is down throughout.
fn down(incident: &Incident, event: &str, window: &Window) -> Vec<(i64, i64)> {
    if incident.drops.is_empty() {
        return vec![(window.start_ms(), window.end_ms())];
    }
    let mut spans: Vec<(i64, i64)> = incident
        .drops
        .iter()
        .filter(|d| d.event == event || d.event == POOLED)
        .map(|d| {
            let end = d.down_until().map(|t| t.timestamp_millis());
            (d.start.timestamp_millis(), end.unwrap_or(window.end_ms()))
        })
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// The event types an incident affects: what its drops and components name. The
/// pooled stream, or no name at all, means every event type in `all` (when known).
pub(super) fn affected(incident: &Incident, all: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let named = incident.drops.iter().map(|d| &d.event);
    for name in named.chain(&incident.components) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    let everything = names.is_empty() || names.iter().any(|n| n == POOLED);
    if everything && !all.is_empty() {
        return all.to_vec();
    }
    names
}

/// Each event type's totals from the incident's drops, in order of first mention;
/// several episodes of one event type add up.
pub(super) fn drop_totals(incident: &Incident) -> Vec<(String, Cell)> {
    let mut totals: Vec<(String, Cell)> = Vec::new();
    for d in &incident.drops {
        let cell = Cell {
            expected: d.expected,
            observed: d.observed,
            missing: d.missing(),
        };
        match totals.iter_mut().find(|(e, _)| *e == d.event) {
            Some((_, total)) => *total = total.plus(cell),
            None => totals.push((d.event.clone(), cell)),
        }
    }
    totals
}
