//! Hand-checked figures. Times are on 5 March 2024 (a Tuesday), UTC unless noted.

mod estimate;
mod money;
mod totals;

use super::*;
use crate::detect::AlertKind;
use crate::health::Health;
use crate::incident::{Cause, EventDrop, Incident, IncidentKind};

/// "10:00" on the test day, UTC.
fn at(hm: &str) -> DateTime<Utc> {
    format!("2024-03-05T{hm}:00Z").parse().unwrap()
}

fn incident(id: i64, kind: IncidentKind, start: &str, end: Option<&str>) -> Incident {
    Incident {
        id,
        monitor_id: "segment".into(),
        monitor_name: "Segment".into(),
        kind,
        severity: Health::MajorOutage,
        title: String::new(),
        summary: String::new(),
        started_at: at(start),
        detected_at: at(start),
        ended_at: end.map(at),
        components: Vec::new(),
        url: None,
        updates: Vec::new(),
        acknowledgement: None,
        drops: Vec::new(),
        cause: None,
        checklist: Vec::new(),
        impact: None,
    }
}

fn status(severity: Health, start: &str, end: Option<&str>) -> Incident {
    Incident {
        severity,
        ..incident(1, IncidentKind::VendorStatus, start, end)
    }
}

/// A volume incident on `events`, each with its drop's totals (expected, observed).
fn volume(start: &str, end: Option<&str>, drops: &[(&str, f64, f64)]) -> Incident {
    let mut i = incident(2, IncidentKind::VolumeDrop, start, end);
    i.monitor_id = "shop".into();
    i.severity = Health::PartialOutage;
    i.drops = drops
        .iter()
        .map(|&(event, expected, observed)| EventDrop {
            event: event.into(),
            kind: AlertKind::Drop,
            start: at(start),
            detected_at: at(start),
            end: end.map(at),
            expected,
            observed,
            back_since: None,
        })
        .collect();
    i.components = drops.iter().map(|d| d.0.to_string()).collect();
    i
}

fn caused_by(mut i: Incident, status: &Incident) -> Incident {
    i.cause = Some(Cause {
        incident_id: status.id,
        monitor_id: status.monitor_id.clone(),
        title: String::new(),
    });
    i
}

/// Ten-minute buckets from `from` to `to`; `count(event, bucket start)` gives the
/// bucket's (expected, observed).
fn series(
    events: &[&str],
    from: &str,
    to: &str,
    count: impl Fn(&str, DateTime<Utc>) -> (Option<f64>, f64),
) -> VolumeSeries {
    let step = 600;
    let events = events
        .iter()
        .map(|&event| EventSeries {
            event: event.into(),
            calibration: None,
            points: (at(from).timestamp()..at(to).timestamp())
                .step_by(step as usize)
                .map(|start| {
                    let (expected, observed) = count(event, crate::incident::utc(start));
                    SeriesPoint {
                        start,
                        expected,
                        observed,
                        implied: false,
                    }
                })
                .collect(),
        })
        .collect();
    VolumeSeries {
        step_secs: step,
        events,
    }
}

fn conversion_model(values: &[(&str, f64)], attribution: f64) -> Model {
    Model {
        kind: ModelKind::ConversionValue,
        attribution,
        conversion_values: values.iter().map(|&(e, v)| (e.to_owned(), v)).collect(),
        ..Model::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

#[track_caller]
fn assert_close(actual: Option<f64>, expected: f64) {
    let a = actual.expect("an amount");
    assert!(close(a, expected), "{a} is not {expected}");
}
