//! The labelled Microsoft Cloud Monitoring series: loading, typical levels, labelled
//! segments and a pre-roll for series too short for the detector to learn from.

use anyhow::{bail, ensure, Context, Result};
use chrono::{DateTime, NaiveDateTime, Timelike};
use shopsim::Series;
use std::path::Path;

const DAY: i64 = 86_400;
/// Series shorter than this get two weeks of pre-roll (see [`Recorded::load`]).
const PRE_ROLL_BELOW_DAYS: i64 = 14;
/// Series at least this long have enough weeks for an hour-of-week typical level.
const WEEKLY_SLOTS_FROM_DAYS: i64 = 21;

/// One recorded series, as one event type named after its file.
pub struct Recorded {
    /// The values, after the pre-roll if there is one; missing buckets are NaN.
    /// `expected_row` is the typical level (see [`Recorded::typical`]).
    pub series: Series,
    /// Per bucket: labelled anomalous (never in the pre-roll).
    pub labelled: Vec<bool>,
    /// The first bucket of the file itself (0 without pre-roll).
    pub first: usize,
    /// The 8 consecutive UTC hours of the day with the lowest typical level: the series'
    /// night (its local time zone is not known).
    pub night: [bool; 24],
}

/// A run of consecutive labelled buckets, `first..=last`.
pub struct Segment {
    pub first: usize,
    pub last: usize,
    /// Median value in the segment ÷ median typical level over it.
    pub ratio: f64,
}

impl Segment {
    /// The segment's rule for a drop: its median is below the typical level for its hours.
    pub fn is_drop(&self) -> bool {
        self.ratio < 1.0
    }
}

impl Recorded {
    /// Loads `dir/name.csv` onto a regular grid (a repeated timestamp keeps its first
    /// value; a gap stays NaN and is not pushed). A series shorter than two weeks gets
    /// two weeks of pre-roll (see [`pre_roll`]), so the detector has done learning when
    /// the file starts.
    pub fn load(dir: &Path, name: &str) -> Result<Recorded> {
        let path = dir.join(format!("{name}.csv"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let points = parse(&text).with_context(|| format!("parsing {}", path.display()))?;
        ensure!(
            points.len() >= 2,
            "{}: fewer than two points",
            path.display()
        );
        let step = points[1].0 - points[0].0;
        ensure!(step > 0, "{}: timestamps out of order", path.display());

        let start = points[0].0;
        let n = ((points.last().expect("two points").0 - start) / step + 1) as usize;
        let mut values = vec![f64::NAN; n];
        let mut labelled = vec![false; n];
        for &(t, v, label) in &points {
            let b = ((t - start) / step) as usize;
            if values[b].is_nan() {
                (values[b], labelled[b]) = (v, label);
            }
        }

        let span_days = n as i64 * step / DAY;
        let slot = |t: i64| {
            let period = if span_days >= WEEKLY_SLOTS_FROM_DAYS {
                7 * DAY
            } else {
                DAY
            };
            (t.rem_euclid(period) / 3600) as usize
        };
        let mut slots: Vec<Vec<f64>> = vec![Vec::new(); 7 * 24];
        for (b, (&v, &l)) in values.iter().zip(&labelled).enumerate() {
            if !v.is_nan() && !l {
                slots[slot(start + b as i64 * step)].push(v);
            }
        }
        let slot_median: Vec<f64> = slots.into_iter().map(median).collect();
        let hour_median: Vec<f64> = (0..24)
            .map(|h| {
                let hour_of =
                    |b: usize| ((start + b as i64 * step).rem_euclid(DAY) / 3600) as usize;
                median(
                    (0..n)
                        .filter(|&b| hour_of(b) == h && !labelled[b])
                        .map(|b| values[b]),
                )
            })
            .collect();
        let night = quietest_hours(|h| hour_median[h]);

        let pre_values = if span_days < PRE_ROLL_BELOW_DAYS {
            pre_roll(&values, &labelled, step)
        } else {
            Vec::new()
        };
        let pre = pre_values.len();
        let counts: Vec<f64> = pre_values.into_iter().chain(values).collect();
        let series_start = start - pre as i64 * step;
        let expected = (0..counts.len())
            .map(|b| slot_median[slot(series_start + b as i64 * step)])
            .collect();
        let event = name.rsplit('/').next().unwrap_or(name).to_owned();
        let series = Series::from_counts(series_start, step, vec![event], counts, expected, 1);
        let labelled = std::iter::repeat_n(false, pre).chain(labelled).collect();
        Ok(Recorded {
            series,
            labelled,
            first: pre,
            night,
        })
    }

    /// The typical level of bucket `b`: the median of unlabelled values in the same hour
    /// of the week (series of three weeks or more) or of the day (shorter ones).
    pub fn typical(&self, b: usize) -> f64 {
        self.series.expected_row(b)[0]
    }

    /// Days in the file itself, without the pre-roll.
    pub fn days(&self) -> f64 {
        (self.series.len() - self.first) as f64 * self.series.step_secs as f64 / DAY as f64
    }

    pub fn is_night(&self, t: i64) -> bool {
        let hour = DateTime::from_timestamp(t, 0).map_or(0, |d| d.hour());
        self.night[hour as usize]
    }

    pub fn segments(&self) -> Vec<Segment> {
        let mut segments = Vec::new();
        let mut b = 0;
        while b < self.labelled.len() {
            if !self.labelled[b] {
                b += 1;
                continue;
            }
            let first = b;
            while b < self.labelled.len() && self.labelled[b] {
                b += 1;
            }
            let values = median((first..b).map(|i| self.series.row(i)[0]));
            let typical = median((first..b).map(|i| self.typical(i)));
            let ratio = values / typical;
            segments.push(Segment {
                first,
                last: b - 1,
                ratio,
            });
        }
        segments
    }
}

/// A week of values before `values`: each copies the unlabelled value at the same time
/// 14 or 7 days later (same weekday), else 8 to 17 days later, else 1 to 6; NaN if none.
fn pre_roll(values: &[f64], labelled: &[bool], step: i64) -> Vec<f64> {
    let pre = 14 * DAY / step;
    (-pre..0)
        .map(|b| {
            [14, 7]
                .into_iter()
                .chain(8..=17)
                .chain(1..=6)
                .map(|days| b + days * DAY / step)
                .filter_map(|c| usize::try_from(c).ok())
                .find(|&c| c < values.len() && !labelled[c] && !values[c].is_nan())
                .map_or(f64::NAN, |c| values[c])
        })
        .collect()
}

/// `TimeStamp,Value,Label` rows, any field possibly quoted.
fn parse(text: &str) -> Result<Vec<(i64, f64, bool)>> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.to_ascii_lowercase().contains("timestamp") => {}
        _ => bail!("line 1: expected the header TimeStamp,Value,Label"),
    }
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let fields: Vec<&str> = line
                .split(',')
                .map(|f| f.trim().trim_matches('"'))
                .collect();
            let [ts, value, label] = fields[..] else {
                bail!("line {}: expected 3 fields", i + 1)
            };
            let t = NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%SZ")
                .with_context(|| format!("line {}: timestamp {ts:?}", i + 1))?
                .and_utc()
                .timestamp();
            let v = value
                .parse()
                .with_context(|| format!("line {}: value {value:?}", i + 1))?;
            Ok((t, v, label == "1"))
        })
        .collect()
}

/// The 8 consecutive hours of the day (wrapping at midnight) with the lowest total of
/// `level(hour)`.
fn quietest_hours(level: impl Fn(usize) -> f64) -> [bool; 24] {
    let window = |h0: usize| (0..8).map(|i| level((h0 + i) % 24)).sum::<f64>();
    let quietest = (0..24)
        .min_by(|&a, &b| window(a).total_cmp(&window(b)))
        .expect("24 hours");
    let mut night = [false; 24];
    for i in 0..8 {
        night[(quietest + i) % 24] = true;
    }
    night
}

/// Median of the values that are not NaN; NaN when there are none.
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_skips_missing_values() {
        assert_eq!(median([3.0, f64::NAN, 1.0, 2.0]), 2.0);
        assert_eq!(median([4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median([f64::NAN]).is_nan());
    }

    #[test]
    fn the_pre_roll_copies_the_same_weekday_and_skips_labels() {
        // Twelve days of hourly values, each its hour's index.
        let values: Vec<f64> = (0..12 * 24).map(|h| h as f64).collect();
        let mut labelled = vec![false; values.len()];
        let pre = pre_roll(&values, &labelled, 3600);
        assert_eq!(pre.len(), 14 * 24);
        // Two weeks before the file starts, 14 days later is the file's first hour.
        assert_eq!(pre[0], 0.0);
        // A week before it starts, 14 days later is the file's hour 168.
        assert_eq!(pre[7 * 24], 168.0);
        // An hour before it starts, 14 days later is past the end: 7 days later.
        assert_eq!(pre[14 * 24 - 1], 167.0);
        // A labelled hour is skipped for the nearest other day: 15 days later.
        labelled[0] = true;
        assert_eq!(pre_roll(&values, &labelled, 3600)[0], 24.0);
    }

    #[test]
    fn quiet_hours_wrap_around_midnight() {
        let level = |h: usize| if !(4..20).contains(&h) { 1.0 } else { 10.0 };
        let night = quietest_hours(level);
        let hours: Vec<usize> = (0..24).filter(|&h| night[h]).collect();
        assert_eq!(hours, [0, 1, 2, 3, 20, 21, 22, 23]);
    }
}
