//! How often the detector's expectation runs well over the mean the generator drew the
//! counts around, hour by hour away from the campaigns' windows: the poisoned baseline
//! the benchmark's README rules out, read directly instead of through the few alerts it
//! tips over a threshold. Against the truth, not against the run without campaigns: that
//! run's expectation is itself off, mostly low, by hours (see section 3's fit table), so
//! a campaign run that sits nearer the truth would read as lifted.

use super::{arm_totals, Run, SizeRow, AFTER_CAMPAIGN, HISTORY_WEEKS, HOUR, WEEK};
use crate::report::table;

/// The ratios of the expectation to the truth that an hour is counted at or above.
const LIFTS: [f64; 3] = [1.1, 1.25, 1.5];
/// The other side, for the table: an expectation this far under the truth. A change
/// that lowers the lifted hours by learning sparse slots low (or raises them by no
/// longer doing so) shows here.
const LOWERED: f64 = 1.25;
/// Hours the generator meant fewer events for are left out: a ratio of next to nothing
/// says more about the noise of a sparse slot than about a campaign.
const MIN_HOUR_EVENTS: f64 = 1.0;
/// The runs compared, in the order of [`Quiet::lift`](super::Quiet::lift).
pub const ARMS: [&str; 4] = [
    "without campaigns",
    "campaigns",
    "placebo",
    "placebo, left out of learning",
];

/// Event-type hours of the scored weeks away from any window (or the hours after it),
/// and how many of them a run expected at least each of [`LIFTS`] times the truth in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lift {
    hours: usize,
    at_least: [usize; LIFTS.len()],
    /// Hours expected at most the truth divided by [`LOWERED`].
    lowered: usize,
}

impl Lift {
    /// Over the expectation of `r`'s run number `arm` of [`ARMS`].
    pub(super) fn of(r: &Run, arm: usize) -> Lift {
        let expected = [
            &r.plain_expected,
            &r.with_campaigns.expected,
            &r.placebo.expected,
            &r.unlearnt.expected,
        ][arm];
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
            let hour = first..first + per_hour;
            for c in 0..n {
                let expected: f64 = hour.clone().map(|b| expected[b * n + c]).sum();
                let truth: f64 = hour.clone().map(|b| series.expected_row(b)[c]).sum();
                // NaN: learning, where no profile is used.
                if expected.is_nan() || truth < MIN_HOUR_EVENTS {
                    continue;
                }
                lift.hours += 1;
                for (count, at) in lift.at_least.iter_mut().zip(LIFTS) {
                    if expected >= at * truth {
                        *count += 1;
                    }
                }
                lift.lowered += usize::from(expected * LOWERED <= truth);
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
            lowered: self.lowered + o.lowered,
        }
    }

    /// The share of hours at least `LIFTS[i]` times the truth, per ten thousand.
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
    format!(
        "per 10,000 hours expected ≥ {} the truth",
        lifts.join(" / ")
    )
}

/// The table of lifted hours per shop size and run, and each run's total.
pub fn lifted_hours(rows: &[SizeRow<Lift>], explain: bool) -> String {
    let totals = arm_totals(rows, ARMS, Lift::plus);
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let lift = r.value;
            let mut row = vec![r.size.to_owned(), r.arm.to_owned(), lift.hours.to_string()];
            row.extend(lift.at_least.iter().map(usize::to_string));
            row.push(lift.lowered.to_string());
            row
        })
        .collect();
    let mut md = if explain {
        format!(
            "Lifted hours: the detector's expectation against the generator's mean, per event \
             type and clock hour of the scored weeks, without campaigns, with them and on the \
             placebos, leaving out the hours that overlap a window or the {} h after it, those \
             where the run was learning, and those the generator meant under {MIN_HOUR_EVENTS} \
             event for. What campaigns add to the count is the baseline poisoning itself, which \
             moves an alert only where it meets a dip near the threshold. The last column is \
             the other side, hours expected at most the truth ÷ {LOWERED}: an estimate learnt \
             low has fewer lifted hours without being any better.\n\n",
            AFTER_CAMPAIGN / HOUR
        )
    } else {
        String::new()
    };
    let lifted: Vec<String> = LIFTS.iter().map(|l| format!("≥ {l}×")).collect();
    let mut header = vec!["shop", "run", "hours"];
    header.extend(lifted.iter().map(String::as_str));
    let lowered = format!("≤ 1/{LOWERED}×");
    header.push(&lowered);
    md += &table(&header, &rows);
    let summaries: Vec<String> = ARMS
        .iter()
        .zip(&totals)
        .map(|(arm, lift)| format!("{arm} {}", lift.summary()))
        .collect();
    md += &format!(
        "\nLifted hours, {}: {}.\n\n",
        lifts_label(),
        summaries.join(", ")
    );
    md
}
