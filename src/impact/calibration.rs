//! How much an event type carries against what the detector expects of it, so that
//! a volume incident is priced on what would have arrived.
//!
//! The detector's expectation runs low on purpose: it learns neither surges nor the
//! busy spells its surge test takes for one, and where two learning weeks disagree it
//! keeps the lower. That margin keeps the hours after a campaign quiet, but priced as
//! it is, a medium shop's loss came out 5–15% short and a small shop's payments about
//! a third short (`scripts/bench-detector`, quiet section). An outage's buckets are
//! therefore priced against the expectation times the ratio of what flowed to what
//! was expected on the days before it.

use crate::detect::median;

/// Days before the incident's day that the ratio is taken over.
pub const CALIBRATION_DAYS: i64 = 7;
/// Fewer days than this with enough events expected say too little.
const MIN_DAYS: usize = 3;
/// A day whose expectation is below this many events has a ratio that is mostly
/// count noise.
const MIN_EXPECTED_PER_DAY: f64 = 20.0;
/// A ratio outside these says the detector has the stream wrong (learning it afresh,
/// say), not that it runs a little low; it is held to them.
const BOUNDS: (f64, f64) = (0.5, 5.0);

/// One day of one event type, outside incidents: the events that arrived and what
/// the detector expected of the buckets it judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayFlow {
    pub observed: f64,
    pub expected: f64,
}

/// The median over the days of observed ÷ expected: a day with a campaign is one day
/// of seven, and leaves the median where the ordinary days put it. `None` with fewer
/// than three days that expected enough events.
pub fn calibration(days: &[DayFlow]) -> Option<f64> {
    let ratios: Vec<f64> = days
        .iter()
        .filter(|d| d.expected >= MIN_EXPECTED_PER_DAY)
        .map(|d| d.observed / d.expected)
        .collect();
    (ratios.len() >= MIN_DAYS).then(|| median(ratios.into_iter()).clamp(BOUNDS.0, BOUNDS.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(pairs: &[(f64, f64)]) -> Vec<DayFlow> {
        pairs
            .iter()
            .map(|&(observed, expected)| DayFlow { observed, expected })
            .collect()
    }

    #[test]
    fn the_ordinary_days_set_it_and_campaign_days_do_not() {
        // Five ordinary days at 1.2× the expectation, two with a campaign at 3×.
        let week = days(&[
            (120.0, 100.0),
            (300.0, 100.0),
            (240.0, 200.0),
            (120.0, 100.0),
            (900.0, 300.0),
            (360.0, 300.0),
            (120.0, 100.0),
        ]);
        assert_eq!(calibration(&week), Some(1.2));
    }

    #[test]
    fn too_few_days_with_enough_expected_say_nothing() {
        assert_eq!(calibration(&days(&[(30.0, 25.0), (30.0, 25.0)])), None);
        // Days expecting a handful of events are left out.
        let sparse = days(&[(9.0, 3.0), (0.0, 4.0), (12.0, 5.0), (30.0, 25.0)]);
        assert_eq!(calibration(&sparse), None);
        let even = days(&[(30.0, 25.0), (25.0, 25.0), (20.0, 25.0), (50.0, 25.0)]);
        assert_eq!(calibration(&even), Some(1.1));
    }

    #[test]
    fn a_stream_the_detector_has_wrong_is_held_to_bounds() {
        let online = days(&[(5000.0, 50.0), (5000.0, 50.0), (5000.0, 50.0)]);
        assert_eq!(calibration(&online), Some(BOUNDS.1));
        let poisoned = days(&[(10.0, 100.0), (10.0, 100.0), (10.0, 100.0)]);
        assert_eq!(calibration(&poisoned), Some(BOUNDS.0));
    }
}
