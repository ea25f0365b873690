//! 1. Labelled drops in the Microsoft series.

use crate::drive::{opened, par_map, replay};
use crate::recorded::{Recorded, Segment};
use crate::report::{duration, table};
use anyhow::Result;
use flatline::detect::Alert;
use std::path::Path;

/// The series of the benchmark README's table, with what a good detector does on them.
const SERIES: [(&str, &str); 14] = [
    ("consumer-purchase-rate/purchase-01", "silent"),
    ("consumer-purchase-rate/purchase-02", "drops, not rises"),
    ("consumer-purchase-rate/purchase-03", "drops, not rises"),
    ("consumer-purchase-rate/purchase-04", "drops, not rises"),
    ("consumer-purchase-rate/purchase-05", "the drop"),
    ("consumer-purchase-rate/purchase-06", "drops, not rises"),
    ("data-ingress-rate/ingress-01", "the outage dips"),
    ("data-ingress-rate/ingress-04", "the outage dips"),
    ("data-ingress-rate/ingress-05", "the outage dips"),
    ("mongodb-application-rps/mongo-01", "silent"),
    ("mongodb-application-rps/mongo-02", "the drop"),
    ("mongodb-application-rps/mongo-04", "silent"),
    ("service-unavailable/unavail-01", "silent"),
    (
        "ecommerce-api-incoming-rps/api-01",
        "the drop, not the rises",
    ),
];

const DAY: i64 = 86_400;

/// Alerts outside labelled segments, for the false-alarm target.
#[derive(Default)]
pub struct Quiet {
    pub alerts: usize,
    pub days: f64,
}

pub fn run(data: &Path) -> Result<(String, Quiet)> {
    let loaded = SERIES
        .iter()
        .map(|&(name, want)| Ok((name, want, Recorded::load(data, name)?)))
        .collect::<Result<Vec<_>>>()?;
    let alerts = par_map(&loaded, |(_, _, rec)| replay(&rec.series, rec.series.len()));

    let mut quiet = Quiet::default();
    let mut rows = Vec::new();
    for ((name, want, rec), alerts) in loaded.iter().zip(&alerts) {
        let (mut row, alerts, days) = summarise(rec, alerts);
        row.insert(0, (*name).to_owned());
        row.push((*want).to_owned());
        quiet.alerts += alerts;
        quiet.days += days;
        rows.push(row);
    }
    let mut out = String::from(
        "A labelled segment is a run of consecutive points with Label 1. It is a **drop** when \
         the median of its values is below the median typical level over it; the typical level \
         of a point is the median of the unlabelled values in the same hour of the week (series \
         of 3 weeks or more) or the same hour of the day (shorter series). Other segments are \
         rises. A drop is caught by an alert whose span (estimated start to detection) meets \
         the segment and that was raised after the segment began; delay = detected_at − segment \
         start, in buckets. Alerts meeting a rise count as neither. \"Outside\" counts alerts \
         meeting no segment, once the detector's two learning weeks are over; night = \
         the series' 8 quietest hours of the day (UTC; local time unknown). Series shorter than \
         14 days get two weeks of pre-roll: each pre-roll bucket copies the unlabelled value at \
         the same time 14 or 7 days later (else the nearest other day), so the detector has \
         learnt when the file starts.\n\n",
    );
    out += &table(
        &[
            "series",
            "bucket",
            "days",
            "drops caught (delay in buckets; segment median ÷ typical)",
            "alerts on rises",
            "alerts outside (night)",
            "outside per week",
            "good detector",
        ],
        &rows,
    );
    Ok((out, quiet))
}

/// The row's cells between the name and the expectation, the alerts outside labelled
/// segments and the days they were counted over.
fn summarise(rec: &Recorded, alerts: &[Alert]) -> (Vec<String>, usize, f64) {
    let series = &rec.series;
    let step = series.step_secs;
    let segments = rec.segments();
    let span = |s: &Segment| {
        (
            series.bucket_start(s.first),
            series.bucket_start(s.last + 1),
        )
    };
    let meets = |a: &Alert, s: &Segment| {
        let (from, to) = span(s);
        a.start < to && a.detected_at > from
    };

    let drops: Vec<&Segment> = segments.iter().filter(|s| s.is_drop()).collect();
    let caught: Vec<String> = drops
        .iter()
        .map(|s| {
            let (from, _) = span(s);
            let delay = opened(alerts)
                .filter(|a| meets(a, s) && a.detected_at > from)
                .map(|a| (a.detected_at - from) / step)
                .min()
                .map_or("missed".into(), |d| d.to_string());
            format!("{delay} ({:.2})", s.ratio)
        })
        .collect();
    let n_caught = caught.iter().filter(|c| !c.starts_with("missed")).count();
    let drops_cell = if drops.is_empty() {
        "no drop segment".into()
    } else {
        format!("{n_caught}/{}: {}", drops.len(), caught.join(", "))
    };

    let on_rises = opened(alerts)
        .filter(|a| segments.iter().any(|s| !s.is_drop() && meets(a, s)))
        .count();
    // Scored once the detector's two learning weeks are over.
    let scored_from = (series.bucket_start(0) + 14 * DAY).max(series.bucket_start(rec.first));
    let outside: Vec<&Alert> = opened(alerts)
        .filter(|a| a.detected_at > scored_from && !segments.iter().any(|s| meets(a, s)))
        .collect();
    let night = outside.iter().filter(|a| rec.is_night(a.start)).count();
    let scored_days = (series.end() - scored_from) as f64 / DAY as f64;
    let row = vec![
        duration(step as f64),
        format!("{:.0}", rec.days()),
        drops_cell,
        on_rises.to_string(),
        format!("{} ({night})", outside.len()),
        format!("{:.2}", outside.len() as f64 * 7.0 / scored_days),
    ];
    (row, outside.len(), scored_days)
}
