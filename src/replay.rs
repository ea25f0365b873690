//! `flatline replay`: the production detector over a CSV of `timestamp,event,count`
//! rows, printing the alerts it would have raised. The detector's test bench.

use crate::detect::{AlertPhase, Detector, DetectorOptions};
use crate::incident::{utc, EventDrop};
use chrono::{DateTime, NaiveDateTime};
use std::collections::HashMap;
use std::io::Read;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("line {line}: {message}")]
    Line { line: u64, message: String },
    #[error("{0}")]
    Data(String),
}

/// Counts laid out for the detector: `counts[bucket * events.len() + event]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub events: Vec<String>,
    /// Start of the first bucket, Unix seconds.
    pub origin: i64,
    pub step_secs: i64,
    pub buckets: usize,
    pub counts: Vec<f64>,
}

/// Parse the CSV. The bucket size is the smallest gap between distinct timestamps;
/// every timestamp must sit on that grid. A bucket or event type without a row
/// counted zero.
pub fn parse(input: impl Read) -> Result<Metrics, ReplayError> {
    // Records end at a newline only: with CRLF as the terminator, the csv crate
    // numbers every line after the first one too low (rust-csv #395), and the `\r`
    // left at the end of a row is whitespace that the trim takes off.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader.headers().map_err(|e| line_error(1, e))?.clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    if names != ["timestamp", "event", "count"] {
        return Err(ReplayError::Line {
            line: 1,
            message: format!(
                "the header must be `timestamp,event,count`, not `{}`",
                header.iter().collect::<Vec<_>>().join(",")
            ),
        });
    }
    let mut events: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // Each row keeps an index into the timestamps as they came (a run of rows of one
    // bucket shares one) and one into the event names: a year of minute buckets for
    // ten event types is five million rows, held until the bucket size is known.
    let mut arrived: Vec<i64> = Vec::new();
    let mut rows: Vec<(u32, u32, f64)> = Vec::new();
    let mut last_text = String::new();
    let too_many = |what: &str| ReplayError::Data(format!("more than 2^32 {what}"));
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(line_error(line, e));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != 3 {
            return Err(ReplayError::Line {
                line,
                message: format!(
                    "expected 3 fields (timestamp,event,count), found {}",
                    record.len()
                ),
            });
        }
        let text = &record[0];
        // Rows of one bucket share their timestamp: parse it once.
        if arrived.is_empty() || text != last_text {
            arrived.push(timestamp(text).ok_or_else(|| ReplayError::Line {
                line,
                message: format!("`{}` is not an ISO 8601 timestamp", shorten(text)),
            })?);
            last_text.clear();
            last_text.push_str(text);
        }
        let event = &record[1];
        if event.is_empty() {
            return Err(ReplayError::Line {
                line,
                message: "the event name is empty".into(),
            });
        }
        let count: f64 = record[2]
            .parse()
            .ok()
            .filter(|c: &f64| c.is_finite() && *c >= 0.0)
            .ok_or_else(|| ReplayError::Line {
                line,
                message: format!("`{}` is not a count (a number ≥ 0)", shorten(&record[2])),
            })?;
        let i = match index.get(event) {
            Some(&i) => i,
            None => {
                events.push(event.to_owned());
                index.insert(event.to_owned(), events.len() - 1);
                events.len() - 1
            }
        };
        let time = u32::try_from(arrived.len() - 1).map_err(|_| too_many("timestamps"))?;
        let event = u32::try_from(i).map_err(|_| too_many("event types"))?;
        rows.push((time, event, count));
    }
    if rows.is_empty() {
        return Err(ReplayError::Data(
            "the file has no rows after the header".into(),
        ));
    }
    let mut times = arrived.clone();
    times.sort_unstable();
    times.dedup();
    let origin = times[0];
    let step = times.windows(2).map(|w| w[1] - w[0]).min().ok_or_else(|| {
        ReplayError::Data("all rows share one timestamp: the bucket size cannot be inferred".into())
    })?;
    if let Some(off) = times.iter().find(|t| (*t - origin) % step != 0) {
        return Err(ReplayError::Data(format!(
            "timestamps are not on a fixed step: {} is not a multiple of {step} s after {}",
            iso(*off),
            iso(origin)
        )));
    }
    let buckets = ((times[times.len() - 1] - origin) / step + 1) as usize;
    let mut counts = vec![0.0; buckets * events.len()];
    for (t, i, c) in rows {
        let bucket = ((arrived[t as usize] - origin) / step) as usize;
        counts[bucket * events.len() + i as usize] += c;
    }
    Ok(Metrics {
        events,
        origin,
        step_secs: step,
        buckets,
        counts,
    })
}

/// Run the detector over the metrics; episodes in the order they were detected.
pub fn run(metrics: &Metrics, funnel: Vec<String>) -> Vec<EventDrop> {
    let mut options = DetectorOptions::new(metrics.step_secs);
    options.funnel = funnel;
    let mut detector = Detector::new(options);
    for event in &metrics.events {
        detector.event(event);
    }
    let width = metrics.events.len();
    let mut episodes: Vec<EventDrop> = Vec::new();
    let mut open: HashMap<String, usize> = HashMap::new();
    for b in 0..metrics.buckets {
        let start = metrics.origin + b as i64 * metrics.step_secs;
        for alert in detector.push(start, &metrics.counts[b * width..(b + 1) * width]) {
            let episode = EventDrop::from(alert);
            match alert.phase {
                AlertPhase::Opened => {
                    open.insert(alert.event.clone(), episodes.len());
                    episodes.push(episode);
                }
                AlertPhase::Closed => {
                    if let Some(i) = open.remove(&alert.event) {
                        episodes[i] = EventDrop {
                            detected_at: episodes[i].detected_at,
                            ..episode
                        };
                    }
                }
            }
        }
    }
    // Still open at the end of the data: the sums so far.
    for alert in detector.open_episodes() {
        if let Some(&i) = open.get(&alert.event) {
            episodes[i].expected = alert.expected;
            episodes[i].observed = alert.observed;
        }
    }
    episodes
}

/// RFC 3339 with any offset, or a naive date-time (taken as UTC).
fn timestamp(text: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .map(|t| t.and_utc().timestamp())
}

fn iso(secs: i64) -> String {
    utc(secs).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn shorten(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// A row that cannot be read, by its line; a file that cannot be read (a directory, a
/// failing disk) has no line to blame.
fn line_error(line: u64, e: csv::Error) -> ReplayError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return ReplayError::Data(io.to_string());
    }
    ReplayError::Line {
        line,
        message: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                format!("expected {expected_len} fields, found {len}")
            }
            _ => e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_an_off_grid_five_minute_step_and_zero_fills() {
        let csv = "timestamp,event,count\n\
                   2026-01-05T00:02:30Z,Add to Cart,3\n\
                   2026-01-05T00:02:30Z,\"Checkout, started\",1\n\
                   2026-01-05T00:07:30Z,Add to Cart,0\n\
                   2026-01-05T00:12:30+00:00,Add to Cart,4\n";
        let m = parse(csv.as_bytes()).unwrap();
        assert_eq!(parse(csv.replace('\n', "\r\n").as_bytes()).unwrap(), m);
        assert_eq!(m.step_secs, 300);
        assert_eq!(m.buckets, 3);
        assert_eq!(m.events, ["Add to Cart", "Checkout, started"]);
        assert_eq!(m.counts, [3.0, 1.0, 0.0, 0.0, 4.0, 0.0]);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let err = |csv: &str| parse(csv.as_bytes()).unwrap_err().to_string();
        assert!(err("time,event,count\n").contains("line 1"));
        assert!(
            err("timestamp,event,count\n2026-01-05T00:00:00Z,a,1\nyesterday,a,2\n")
                .starts_with("line 3: `yesterday`")
        );
        assert!(err("timestamp,event,count\n2026-01-05T00:00:00Z,a,-1\n").starts_with("line 2"));
        // Windows line endings and a quoted newline count as they read.
        let crlf = "timestamp,event,count\r\n2026-01-05T00:00:00Z,\"a\r\nb\",1\r\n\
                    2026-01-05T00:01:00Z,a,1\r\n2026-01-05T00:02:00Z,a,-2\r\n";
        assert!(err(crlf).starts_with("line 5: `-2`"), "{}", err(crlf));
        assert!(err("timestamp,event,count\n").contains("no rows"));
        assert!(err("timestamp,event,count\n2026-01-05T00:00:00Z,a,1\n2026-01-05T00:01:00Z,a,1\n2026-01-05T00:02:30Z,a,1\n")
            .contains("not on a fixed step"));
    }
}
