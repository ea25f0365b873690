//! The pure part of incident handling: given what a monitor just said and whether it
//! has an open incident, decide what happens. Confirmation and hysteresis live here so
//! a single failed poll or a flapping component never wakes anyone.

use crate::health::Health;
use chrono::{DateTime, Utc};

/// What the engine remembers about a monitor between checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Streak {
    /// Bad checks in a row, and when the first of them happened.
    pub bad: u32,
    pub first_bad_at: Option<DateTime<Utc>>,
    /// Good checks in a row.
    pub good: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to open or close.
    Nothing,
    Open,
    /// The open incident goes on; refresh what it says.
    Continue,
    Resolve,
}

/// Advance the streak with one observation and decide.
///
/// `Unknown` counts neither way: a monitor that cannot be read neither confirms a
/// problem nor proves a recovery, so an open incident simply stays open.
pub fn step(
    streak: &mut Streak,
    health: Health,
    at: DateTime<Utc>,
    has_open: bool,
    confirm: u32,
    recover: u32,
) -> Decision {
    if health.is_problem() {
        if streak.bad == 0 {
            streak.first_bad_at = Some(at);
        }
        streak.bad += 1;
        streak.good = 0;
        if has_open {
            Decision::Continue
        } else if streak.bad >= confirm {
            Decision::Open
        } else {
            Decision::Nothing
        }
    } else if health == Health::Unknown {
        if has_open {
            Decision::Continue
        } else {
            Decision::Nothing
        }
    } else {
        streak.good += 1;
        streak.bad = 0;
        streak.first_bad_at = None;
        if has_open && streak.good >= recover {
            Decision::Resolve
        } else if has_open {
            Decision::Continue
        } else {
            Decision::Nothing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Health::*;

    fn run(states: &[Health], confirm: u32, recover: u32) -> Vec<Decision> {
        let mut s = Streak::default();
        let mut open = false;
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        states
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let d = step(
                    &mut s,
                    *h,
                    t0 + chrono::Duration::minutes(i as i64),
                    open,
                    confirm,
                    recover,
                );
                match d {
                    Decision::Open => open = true,
                    Decision::Resolve => open = false,
                    _ => {}
                }
                d
            })
            .collect()
    }

    #[test]
    fn vendor_page_opens_at_once_and_resolves_after_two_good_checks() {
        use Decision::*;
        assert_eq!(
            run(
                &[
                    Operational,
                    PartialOutage,
                    PartialOutage,
                    Operational,
                    Operational,
                    Operational
                ],
                1,
                2
            ),
            [Nothing, Open, Continue, Continue, Resolve, Nothing]
        );
    }

    #[test]
    fn one_failed_probe_wakes_nobody() {
        use Decision::*;
        assert_eq!(
            run(&[MajorOutage, Operational, MajorOutage, MajorOutage], 2, 2),
            [Nothing, Nothing, Nothing, Open]
        );
    }

    #[test]
    fn a_flapping_component_stays_one_incident() {
        use Decision::*;
        assert_eq!(
            run(
                &[Degraded, Operational, Degraded, Operational, Operational],
                1,
                2
            ),
            [Open, Continue, Continue, Continue, Resolve]
        );
    }

    #[test]
    fn unknown_neither_opens_nor_resolves() {
        use Decision::*;
        assert_eq!(run(&[Unknown, Unknown], 1, 1), [Nothing, Nothing]);
        assert_eq!(
            run(&[MajorOutage, Unknown, Unknown, Operational], 1, 1),
            [Open, Continue, Continue, Resolve]
        );
    }

    #[test]
    fn maintenance_is_not_a_problem() {
        assert_eq!(
            run(&[Maintenance, Maintenance], 1, 1),
            [Decision::Nothing, Decision::Nothing]
        );
    }

    #[test]
    fn first_bad_time_is_the_start_of_the_streak() {
        let mut s = Streak::default();
        let t = |m: i64| DateTime::<Utc>::from_timestamp(1_700_000_000 + m * 60, 0).unwrap();
        step(&mut s, MajorOutage, t(0), false, 3, 2);
        step(&mut s, MajorOutage, t(1), false, 3, 2);
        assert_eq!(step(&mut s, MajorOutage, t(2), false, 3, 2), Decision::Open);
        assert_eq!(s.first_bad_at, Some(t(0)));
    }
}
