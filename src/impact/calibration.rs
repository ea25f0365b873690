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
use std::collections::BTreeMap;

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
/// An hour that carried this many times what the week carried against its
/// expectation, beyond count noise, had a campaign in it (the detector's surge test
/// asks the same of a bucket).
const SURGE: f64 = 1.5;
/// How many standard deviations of count noise an hour may run past [`SURGE`] and
/// still be ordinary: a few events an hour run 1.5× over by chance alone.
const SURGE_NOISE_SDS: f64 = 3.0;
/// An hour expecting fewer events than this is never taken for a surge: where the
/// profile has an hour nearly empty (a sparse event type), its first few events are
/// far over it without a campaign. Cutting those hours priced the tiny bench shop's
/// Add to Cart at 0.83 of its rate instead of 1.09.
const MIN_EXPECTED_FOR_SURGE: f64 = 5.0;
const DAY_SECS: i64 = 86_400;

/// One hour of one event type outside incidents: the events that arrived and what
/// the detector expected of the buckets it judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourFlow {
    /// The hour's start, Unix seconds.
    pub hour: i64,
    pub observed: f64,
    pub expected: f64,
}

/// The median over the UTC days of observed ÷ expected, leaving out the hours of
/// campaigns: an outage in an ordinary hour loses what an ordinary hour carries. A
/// day's campaign hours would lift its ratio, and with campaigns on two days of seven
/// the median was a lifted day's (in the bench's weeks with two campaigns, daytime
/// losses priced 6–12% over the rate). A day is itself one of seven, so a day that
/// surged throughout leaves the median where the ordinary days put it as well. `None`
/// with fewer than three days that expected enough events.
pub fn calibration(hours: &[HourFlow]) -> Option<f64> {
    let (observed, expected) = hours
        .iter()
        .fold((0.0, 0.0), |(o, e), h| (o + h.observed, e + h.expected));
    let usual = observed / expected;
    let mut days: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for h in hours {
        let ceiling = SURGE * usual * h.expected;
        let surged = h.observed > ceiling + SURGE_NOISE_SDS * ceiling.sqrt();
        if surged && h.expected >= MIN_EXPECTED_FOR_SURGE {
            continue;
        }
        let day = days.entry(h.hour.div_euclid(DAY_SECS)).or_default();
        *day = (day.0 + h.observed, day.1 + h.expected);
    }
    let ratios: Vec<f64> = days
        .into_values()
        .filter(|&(_, expected)| expected >= MIN_EXPECTED_PER_DAY)
        .map(|(observed, expected)| observed / expected)
        .collect();
    (ratios.len() >= MIN_DAYS).then(|| median(ratios.into_iter()).clamp(BOUNDS.0, BOUNDS.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Days of 24 equal hours, each day's (observed, expected) spread evenly.
    fn days(pairs: &[(f64, f64)]) -> Vec<HourFlow> {
        pairs
            .iter()
            .enumerate()
            .flat_map(|(d, &(observed, expected))| {
                (0..24).map(move |h| HourFlow {
                    hour: d as i64 * DAY_SECS + h * 3600,
                    observed: observed / 24.0,
                    expected: expected / 24.0,
                })
            })
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
        assert!((calibration(&week).unwrap() - 1.2).abs() < 1e-9);
    }

    #[test]
    fn campaign_hours_do_not_lift_the_days_they_fall_on() {
        // Days from 1.0× to 1.4× the expectation; the two lowest carry a 4-hour
        // campaign at 3× their own rate. With those hours in, the two days read 1.33
        // and 1.47 and the median 1.3.
        let mut week = days(&[
            (2400.0, 2400.0),
            (2640.0, 2400.0),
            (2760.0, 2400.0),
            (2880.0, 2400.0),
            (3000.0, 2400.0),
            (3120.0, 2400.0),
            (3360.0, 2400.0),
        ]);
        for hour in (10..14).chain(24 + 10..24 + 14) {
            week[hour].observed *= 3.0;
        }
        assert!((calibration(&week).unwrap() - 1.2).abs() < 1e-9);
    }

    /// Three days of `expected` an hour, with `busy` events in every `every`th hour
    /// and `quiet` in the others.
    fn alternating(expected: f64, busy: f64, quiet: f64, every: i64) -> Vec<HourFlow> {
        (0..72)
            .map(|h| HourFlow {
                hour: h * 3600,
                observed: if h % every == 0 { busy } else { quiet },
                expected,
            })
            .collect()
    }

    #[test]
    fn an_hour_over_by_chance_is_not_a_campaign() {
        // 16 where 8 were expected, one hour in six: twice the usual, but within what
        // count noise gives an hour of 8 events.
        let hours = alternating(8.0, 16.0, 8.0, 6);
        assert!((calibration(&hours).unwrap() - 224.0 / 192.0).abs() < 1e-9);
    }

    #[test]
    fn a_sparse_event_types_events_are_not_a_campaign() {
        // One event expected an hour; 6 arrive together one hour in eight, none in the
        // others. Those hours carry everything the days carried.
        let hours = alternating(1.0, 6.0, 0.0, 8);
        assert!((calibration(&hours).unwrap() - 0.75).abs() < 1e-9);
    }

    #[test]
    fn too_few_days_with_enough_expected_say_nothing() {
        assert_eq!(calibration(&days(&[(30.0, 25.0), (30.0, 25.0)])), None);
        // Days expecting a handful of events are left out.
        let sparse = days(&[(9.0, 3.0), (0.0, 4.0), (12.0, 5.0), (30.0, 25.0)]);
        assert_eq!(calibration(&sparse), None);
        let even = days(&[(30.0, 25.0), (25.0, 25.0), (20.0, 25.0), (50.0, 25.0)]);
        assert!((calibration(&even).unwrap() - 1.1).abs() < 1e-9);
        assert_eq!(calibration(&[]), None);
    }

    #[test]
    fn a_stream_the_detector_has_wrong_is_held_to_bounds() {
        let online = days(&[(5000.0, 50.0), (5000.0, 50.0), (5000.0, 50.0)]);
        assert_eq!(calibration(&online), Some(BOUNDS.1));
        let poisoned = days(&[(10.0, 100.0), (10.0, 100.0), (10.0, 100.0)]);
        assert_eq!(calibration(&poisoned), Some(BOUNDS.0));
    }
}
