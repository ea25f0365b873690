//! A stream's floor: the quietest hour of the last day, for a stream that never went
//! empty in it. A stream that has carried thousands of events a minute all day, every
//! minute, and then carries none, has gone dark whatever its profile says: during the
//! two learning weeks, or after it came online at a level its profile never saw.

use std::collections::VecDeque;

/// The floor is the quietest hour divided by this, so a quieter night or weekend
/// than the day behind it is still above the expectation the floor gives.
const MARGIN: f64 = 4.0;
/// Hours of history that must all be there, with no empty bucket among them.
const HOURS: i64 = 24;

#[derive(Debug, Clone)]
pub struct Floor {
    part_secs: i64,
    step: i64,
    /// Per part (an hour, or a bucket when buckets are longer): its index, the events
    /// and the buckets seen.
    parts: VecDeque<(i64, f64, u32)>,
    /// The start of the latest empty bucket followed by a busy one.
    last_empty: Option<i64>,
    /// The start of the latest empty bucket while no busy one has come since: a
    /// silence under way does not lower the floor it is judged against.
    empty_now: Option<i64>,
    /// The floor as of the latest bucket: it only changes when an hour completes or
    /// an empty bucket is followed by a busy one.
    value: f64,
}

impl Floor {
    pub fn new(step: i64) -> Floor {
        Floor {
            part_secs: step.max(3600),
            step,
            parts: VecDeque::new(),
            last_empty: None,
            empty_now: None,
            value: 0.0,
        }
    }

    /// Count one bucket; buckets of an episode are not counted, so an outage cannot
    /// make its own end look normal.
    pub fn learn(&mut self, start: i64, x: f64) {
        if x < 0.5 {
            self.empty_now = Some(start);
        } else if let Some(empty) = self.empty_now.take() {
            self.last_empty = Some(empty);
            self.value = 0.0;
        }
        let part = start.div_euclid(self.part_secs);
        match self.parts.back_mut() {
            Some((p, sum, n)) if *p == part => {
                *sum += x;
                *n += 1;
            }
            _ => {
                self.parts.push_back((part, x, 1));
                while self.parts.front().is_some_and(|(p, ..)| *p < part - HOURS) {
                    self.parts.pop_front();
                }
                self.value = self.compute(part);
            }
        }
    }

    /// The expected count per bucket that the last day guarantees, or 0 when it
    /// guarantees nothing (too little history, a gap, or an empty bucket in it).
    pub fn expected(&self) -> f64 {
        self.value
    }

    /// The floor from the day of complete hours before the part `latest`.
    fn compute(&self, latest: i64) -> f64 {
        let from = latest - HOURS;
        if self.last_empty.is_some_and(|t| t >= from * self.part_secs) {
            return 0.0;
        }
        let half_full = (self.part_secs / self.step / 2).max(1) as u32;
        let (complete, quietest) = self
            .parts
            .iter()
            .filter(|(p, _, n)| (from..latest).contains(p) && *n >= half_full)
            .fold((0, f64::INFINITY), |(count, low), (_, sum, n)| {
                (count + 1, low.min(sum / f64::from(*n)))
            });
        if complete < HOURS {
            return 0.0;
        }
        quietest / MARGIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_767_571_200;

    fn fed(step: i64, buckets: i64, count: impl Fn(i64) -> f64) -> Floor {
        let mut f = Floor::new(step);
        for b in 0..buckets {
            f.learn(T0 + b * step, count(b));
        }
        f
    }

    #[test]
    fn a_day_without_an_empty_minute_sets_a_floor_at_its_quietest_hour() {
        // 100 a minute, 20 in the quietest hour.
        let f = fed(60, 25 * 60, |b| if b / 60 == 3 { 20.0 } else { 100.0 });
        assert!(
            (f.expected() - 20.0 / MARGIN).abs() < 1e-9,
            "{}",
            f.expected()
        );
    }

    #[test]
    fn a_silence_under_way_keeps_the_floor_it_is_judged_against() {
        let mut f = fed(60, 25 * 60, |_| 100.0);
        for b in 0..10 {
            f.learn(T0 + (25 * 60 + b) * 60, 0.0);
        }
        assert!((f.expected() - 25.0).abs() < 1e-9, "{}", f.expected());
        // Once events flow again, the stream has shown it can go empty.
        f.learn(T0 + (25 * 60 + 10) * 60, 100.0);
        assert_eq!(f.expected(), 0.0);
    }

    #[test]
    fn less_than_a_day_or_one_empty_bucket_sets_none() {
        assert_eq!(fed(60, 20 * 60, |_| 100.0).expected(), 0.0);
        let bursty = fed(60, 25 * 60, |b| if b % 5 == 0 { 500.0 } else { 0.0 });
        assert_eq!(bursty.expected(), 0.0);
        // A day after the last empty bucket, the floor is back.
        let healed = fed(60, 50 * 60, |b| if b == 60 { 0.0 } else { 100.0 });
        assert!(healed.expected() > 0.0);
    }

    #[test]
    fn a_gap_in_the_data_sets_none_until_a_whole_day_is_there_again() {
        let mut f = fed(60, 25 * 60, |_| 100.0);
        // Six hours without data (the laptop slept).
        for b in 0..60 {
            f.learn(T0 + (31 * 60 + b) * 60, 100.0);
        }
        assert_eq!(f.expected(), 0.0);
    }
}
