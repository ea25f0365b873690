//! How well the detector's expectation fits the mean the generator drew each count
//! around, as the detector itself uses it and as an outage is priced against it.

use super::{is_night, Run, DAY, HISTORY_WEEKS, HOUR, WEEK};
use crate::report::table;
use flatline::impact::{calibration, HourFlow, CALIBRATION_DAYS};
use shopsim::Series;
use std::collections::BTreeMap;

/// One event type over the scored weeks: the detector's expectation and the generator's
/// mean summed by day and by night (buckets where it was learning left out), the same
/// for the expectation an outage is priced against (see [`flatline::impact::calibration`]),
/// and the share of buckets it was learning.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fit {
    day: (f64, f64),
    night: (f64, f64),
    priced_day: (f64, f64),
    priced_night: (f64, f64),
    learning: f64,
}

impl Fit {
    pub fn of(series: &Series, expected: &[f64]) -> Vec<Fit> {
        let n = series.events.len();
        let scored = (HISTORY_WEEKS * WEEK / series.step_secs) as usize;
        let buckets = series.len().saturating_sub(scored).max(1) as f64;
        let day_of = |b: usize| series.bucket_start(b).div_euclid(DAY);
        (0..n)
            .map(|c| {
                // What flowed and what was expected in each hour, as the engine reads
                // it from its store.
                let mut flows: BTreeMap<i64, HourFlow> = BTreeMap::new();
                for b in 0..series.len() {
                    let e = expected[b * n + c];
                    if !e.is_nan() {
                        let hour = series.bucket_start(b).div_euclid(HOUR) * HOUR;
                        let flow = flows.entry(hour).or_insert(HourFlow {
                            hour,
                            observed: 0.0,
                            expected: 0.0,
                        });
                        flow.observed += series.row(b)[c];
                        flow.expected += e;
                    }
                }
                let scale = |day: i64| {
                    let before: Vec<HourFlow> = flows
                        .range((day - CALIBRATION_DAYS) * DAY..day * DAY)
                        .map(|(_, f)| *f)
                        .collect();
                    calibration(&before).unwrap_or(1.0)
                };
                let mut fit = Fit::default();
                let mut today = (i64::MIN, 1.0);
                for b in scored..series.len() {
                    let e = expected[b * n + c];
                    if e.is_nan() {
                        fit.learning += 1.0 / buckets;
                        continue;
                    }
                    if today.0 != day_of(b) {
                        today = (day_of(b), scale(day_of(b)));
                    }
                    let truth = series.expected_row(b)[c];
                    let (sum, priced) = if is_night(series.bucket_start(b), series) {
                        (&mut fit.night, &mut fit.priced_night)
                    } else {
                        (&mut fit.day, &mut fit.priced_day)
                    };
                    *sum = (sum.0 + e, sum.1 + truth);
                    *priced = (priced.0 + e * today.1, priced.1 + truth);
                }
                fit
            })
            .collect()
    }

    fn plus(self, other: Fit) -> Fit {
        let add = |a: (f64, f64), b: (f64, f64)| (a.0 + b.0, a.1 + b.1);
        Fit {
            day: add(self.day, other.day),
            night: add(self.night, other.night),
            priced_day: add(self.priced_day, other.priced_day),
            priced_night: add(self.priced_night, other.priced_night),
            learning: self.learning + other.learning,
        }
    }
}

/// What the detector expected against the mean the generator drew each count around,
/// over the scored weeks without campaigns, day and night apart, in minute and in
/// hourly buckets: below 1, a halving looks shallower than it is and the tests gather
/// evidence more slowly; above 1, ordinary traffic looks like a drop.
pub fn expectation_fit(runs: &[Run], sizes: &[&str]) -> String {
    let mut rows = Vec::new();
    for &size in sizes {
        let group: Vec<&Run> = runs.iter().filter(|r| r.size == size).collect();
        for (c, event) in group[0].series.events.iter().enumerate() {
            let total = |fits: fn(&Run) -> &Vec<Fit>| {
                group
                    .iter()
                    .map(|r| fits(r)[c])
                    .fold(Fit::default(), Fit::plus)
            };
            let mut row = vec![size.to_owned(), event.clone()];
            let ratio = |(expected, truth): (f64, f64)| format!("{:.2}", expected / truth);
            let minutes = total(|r| &r.fit_minutes);
            for fit in [minutes, total(|r| &r.fit_hours)] {
                row.push(ratio(fit.day));
                row.push(ratio(fit.night));
                row.push(format!("{:.0}%", 100.0 * fit.learning / group.len() as f64));
            }
            row.push(ratio(minutes.priced_day));
            row.push(ratio(minutes.priced_night));
            let campaigns = total(|r| &r.fit_campaigns);
            row.push(ratio(campaigns.priced_day));
            row.push(ratio(campaigns.priced_night));
            rows.push(row);
        }
    }
    format!(
        "The detector's expectation against the generator's mean (the rate each count was \
         drawn around, day level and holiday included), summed over the scored weeks without \
         campaigns, leaving out the buckets where the event type was learning; and the share \
         of buckets it was learning. The same shops are also replayed in hourly buckets. \
         Priced: the minute buckets' expectation as an outage is priced, times what flowed \
         against it on the {CALIBRATION_DAYS} UTC days before (the median of the days' \
         ratios); and the same in the weeks with campaigns, still against the mean \
         without them, which is what an outage in an ordinary hour would have \
         cost.\n\n{}",
        table(
            &[
                "shop",
                "event type",
                "minutes: day",
                "night",
                "learning",
                "hours: day",
                "night",
                "learning",
                "priced: day",
                "night",
                "priced, campaign weeks: day",
                "night",
            ],
            &rows
        )
    )
}
