//! How far the campaigns left the detector's expectation above the run without them,
//! hour by hour away from their windows: the poisoned baseline the benchmark's README
//! rules out, read directly instead of through the few alerts it tips over a threshold.

use super::{by_size_and_arm, Arm, Run, AFTER_CAMPAIGN, HISTORY_WEEKS, HOUR, WEEK};
use crate::report::table;

/// The ratios of an arm's expectation to the run without campaigns that an hour is
/// counted at or above.
const LIFTS: [f64; 3] = [1.1, 1.25, 1.5];
/// Hours the run without campaigns expected fewer events in are left out: a ratio of
/// next to nothing says more about the noise of a sparse slot than about a campaign.
const MIN_HOUR_EVENTS: f64 = 1.0;

/// Event-type hours of the scored weeks away from any window (or the hours after it),
/// and how many of them an arm expected at least each of [`LIFTS`] times more in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lift {
    hours: usize,
    at_least: [usize; LIFTS.len()],
}

impl Lift {
    fn of(r: &Run, arm: &Arm) -> Lift {
        let series = &r.series;
        let n = series.events.len();
        let per_hour = (HOUR / series.step_secs) as usize;
        let scored = (HISTORY_WEEKS * WEEK / series.step_secs) as usize;
        let near_window = |from: i64| {
            r.campaigns
                .iter()
                .any(|c| from < c.end() + AFTER_CAMPAIGN && from + HOUR > c.start)
        };
        let mut lift = Lift::default();
        for first in (scored..series.len() - per_hour + 1).step_by(per_hour) {
            if near_window(series.bucket_start(first)) {
                continue;
            }
            for c in 0..n {
                let sum = |expected: &[f64]| -> f64 {
                    (first..first + per_hour).map(|b| expected[b * n + c]).sum()
                };
                let (with, without) = (sum(&arm.expected), sum(&r.plain_expected));
                // NaN: learning in either run, where no profile is used.
                if with.is_nan() || without.is_nan() || without < MIN_HOUR_EVENTS {
                    continue;
                }
                lift.hours += 1;
                for (count, at) in lift.at_least.iter_mut().zip(LIFTS) {
                    if with >= at * without {
                        *count += 1;
                    }
                }
            }
        }
        lift
    }

    pub fn plus(self, o: Lift) -> Lift {
        let mut at_least = self.at_least;
        for (a, b) in at_least.iter_mut().zip(o.at_least) {
            *a += b;
        }
        Lift {
            hours: self.hours + o.hours,
            at_least,
        }
    }

    /// The share of hours lifted at least `LIFTS[i]` times, per ten thousand.
    fn per_10k(&self, i: usize) -> f64 {
        self.at_least[i] as f64 * 1e4 / self.hours.max(1) as f64
    }

    /// The share of hours at each of [`LIFTS`], per ten thousand, as [`lifts_label`]
    /// names them.
    pub fn summary(&self) -> String {
        let shares: Vec<String> = (0..LIFTS.len())
            .map(|i| format!("{:.0}", self.per_10k(i)))
            .collect();
        shares.join(" / ")
    }
}

/// What [`Lift::summary`] counts.
pub fn lifts_label() -> String {
    let lifts: Vec<String> = LIFTS.iter().map(|l| format!("{l}×")).collect();
    format!("per 10,000 hours lifted ≥ {}", lifts.join(" / "))
}

/// The table of lifted hours per shop size, with campaigns and on the placebo, and both
/// totals.
pub fn lifted_hours(runs: &[Run], sizes: &[&str]) -> (String, [Lift; 2]) {
    let (by_size, totals) = by_size_and_arm(runs, sizes, Lift::of, Lift::plus);
    let rows: Vec<Vec<String>> = by_size
        .into_iter()
        .map(|(size, arm_name, lift)| {
            let mut row = vec![size.to_owned(), arm_name.to_owned(), lift.hours.to_string()];
            row.extend(lift.at_least.iter().map(usize::to_string));
            row
        })
        .collect();
    let mut md = format!(
        "Lifted hours: the detector's expectation with campaigns (or on the placebo) against \
         the run without them, per event type and clock hour of the scored weeks, leaving \
         out the hours that overlap a window or the {} h after it, those where either run was \
         learning, and those the run without campaigns expected under {MIN_HOUR_EVENTS} event \
         in. This is the baseline poisoning itself, which moves an alert only where it meets \
         a dip near the threshold.\n\n",
        AFTER_CAMPAIGN / HOUR
    );
    let lifted: Vec<String> = LIFTS.iter().map(|l| format!("≥ {l}×")).collect();
    let mut header = vec!["shop", "arm", "hours"];
    header.extend(lifted.iter().map(String::as_str));
    md += &table(&header, &rows);
    let [campaigns, placebo] = totals;
    md += &format!(
        "\nLifted hours, {}: with campaigns {}, on the placebo {}.\n\n",
        lifts_label(),
        campaigns.summary(),
        placebo.summary()
    );
    (md, totals)
}
