//! The expected count of one stream: a time-of-week profile of rates times a slowly
//! adapting level, with an overdispersion estimate for the noise around it.

mod settle;

use settle::{SlotWeek, ThirdWeek};

const WEEK_SECS: i64 = 7 * 86_400;
/// The finest profile slot. An hour is too coarse for minute buckets: a shop's
/// evening drop-off or a 9:00 newsletter would be smeared over the hour and read as a
/// drop; a quarter hour still gets fifteen minute buckets a week to learn from.
const FINEST_SLOT_SECS: i64 = 900;
/// Two weeks of data, every slot seen, before the detector trusts the profile: with
/// two looks at each slot, a campaign in one of them is told from the shop's week.
pub const LEARNING_SECS: i64 = 2 * WEEK_SECS;
/// A slot may stand this far above what the rest of the week says it should be before
/// it is taken for a campaign that slipped into the profile, for instance one that fell
/// at the same hour in both learning weeks.
const SHAPE_CAP: f64 = 1.25;
/// In buckets finer than a slot, the cap never takes a slot below this many events a
/// week. Where the typical day holds fewer, its median over the days is mostly
/// nothing, and capping to it learnt a stream of a few events a day as none: every
/// later event read as a surge, nothing was learnt, and the stream went back to
/// learning. Buckets as long as a slot keep the plain cap: with the floor there, the
/// sparse night hours of real hourly series went uncapped and raised false alarms.
const MIN_CAPPED_SLOT_WEEK_EVENTS: f64 = 1.0;
/// How far one day's curve may run ahead of or behind the others' (weekends start
/// later) and still be the same shape.
const SHAPE_SHIFT_SECS: i64 = 2 * 3600;
/// The profile forgets over about this many weeks, so it follows a shop's seasons.
const PROFILE_WEEKS: f64 = 4.0;
/// The level follows slower changes (growth, a holiday week) over about a day.
const LEVEL_HALF_LIFE_SECS: f64 = 86_400.0;
/// The noise estimate looks back about three days.
const DISPERSION_HALF_LIFE_SECS: f64 = 3.0 * 86_400.0;
const MAX_DISPERSION: f64 = 2.0;
const LEVEL_PRIOR_EVENTS: f64 = 200.0;
#[derive(Debug, Clone)]
pub struct Baseline {
    /// Events per second in each time-of-week slot (Monday 00:00 UTC first), before
    /// the level.
    rate: Vec<f64>,
    seen: Vec<u32>,
    slot_secs: i64,
    /// Recent counts against what the profile alone expected, as decaying sums.
    level_observed: f64,
    level_expected: f64,
    /// `phi` of Var = e + phi·e², from buckets at or below expectation so that spikes
    /// do not widen the band that drops are judged by.
    dispersion_excess: f64,
    dispersion_scale: f64,
    learned_secs: i64,
    slots_seen: usize,
    /// Each slot's buckets in the first and the second learning week, kept for the
    /// third look.
    learning_weeks: Vec<[SlotWeek; 2]>,
    /// The week after learning, for the third look; `None` outside it.
    third_week: Option<ThirdWeek>,
    /// Slot by slot, the learning week in which all events together ran well above
    /// the other, handed over for settling: a campaign lifts every event type, and one
    /// too sparse to tell two of its weeks apart learns of it from the shop's flow.
    shop_campaign_weeks: Option<Vec<Option<usize>>>,
    step: i64,
    level_decay: f64,
    dispersion_decay: f64,
    profile_alpha: f64,
}

/// The profile slot a bucket falls in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Position(usize);

impl Baseline {
    pub fn new(step: i64) -> Baseline {
        Baseline::with_slots(step, step.clamp(FINEST_SLOT_SECS, 3600))
    }

    /// A profile of hourly slots, for a stream too sparse to fill quarter hours.
    pub fn hourly(step: i64) -> Baseline {
        Baseline::with_slots(step, step.max(3600))
    }

    fn with_slots(step: i64, slot_secs: i64) -> Baseline {
        let step_f = step as f64;
        let slots = (WEEK_SECS / slot_secs) as usize;
        let updates_per_slot_week = (slot_secs as f64 / step_f).max(1.0);
        Baseline {
            rate: vec![0.0; slots],
            seen: vec![0; slots],
            slot_secs,
            level_observed: 0.0,
            level_expected: 0.0,
            dispersion_excess: 0.0,
            dispersion_scale: 0.0,
            learned_secs: 0,
            slots_seen: 0,
            learning_weeks: vec![[SlotWeek::default(); 2]; slots],
            third_week: None,
            shop_campaign_weeks: None,
            step,
            level_decay: (-std::f64::consts::LN_2 * step_f / LEVEL_HALF_LIFE_SECS).exp(),
            dispersion_decay: (-std::f64::consts::LN_2 * step_f / DISPERSION_HALF_LIFE_SECS).exp(),
            profile_alpha: 1.0 / (updates_per_slot_week * PROFILE_WEEKS),
        }
    }

    /// Where the bucket starting at `start` falls: the slot of its midpoint. Buckets
    /// longer than a slot (daily exports) see the profile as flat within them.
    pub fn position(&self, start: i64) -> Position {
        let mid = start + (self.step / 2).min(self.slot_secs / 2);
        Position(
            (mid.div_euclid(self.slot_secs) + 3 * 86_400 / self.slot_secs)
                .rem_euclid(self.rate.len() as i64) as usize,
        )
    }

    /// Recent counts against the profile's expectation, shrunk towards 1 by a prior
    /// worth [`LEVEL_PRIOR_EVENTS`], so the first quiet buckets after learning (or a
    /// tiny shop's trickle) cannot swing it.
    pub fn level(&self) -> f64 {
        (self.level_observed + LEVEL_PRIOR_EVENTS) / (self.level_expected + LEVEL_PRIOR_EVENTS)
    }

    /// The expected count of the bucket at `at`.
    pub fn expected(&self, at: Position) -> f64 {
        self.rate[at.0] * self.step as f64 * self.level()
    }

    pub fn dispersion(&self) -> f64 {
        if self.dispersion_scale > 0.0 {
            (self.dispersion_excess / self.dispersion_scale).clamp(0.0, MAX_DISPERSION)
        } else {
            0.0
        }
    }

    pub fn learning(&self) -> bool {
        self.learned_secs < LEARNING_SECS || self.slots_seen < self.slots_needed()
    }

    /// How much of the learning period is done, 0 to 1.
    pub fn learned_fraction(&self) -> f64 {
        (self.learned_secs as f64 / LEARNING_SECS as f64).min(1.0)
    }

    fn slots_needed(&self) -> usize {
        self.rate.len() / (self.step / self.slot_secs).max(1) as usize
    }

    /// Learn from one bucket whose expected count was `e` (computed before this call).
    /// Counts far above expectation are clipped so a spike that slipped past the
    /// campaign gate cannot lift the baseline much.
    pub fn learn(&mut self, at: Position, x: f64, e: f64) {
        let learning = self.learning();
        let phi = self.dispersion();
        let x = if learning {
            x
        } else {
            x.min(e + 3.0 * (e * (1.0 + phi * e)).sqrt() + 2.0)
        };
        let step = self.step as f64;
        let level = if learning { 1.0 } else { self.level() };
        let observed_rate = x / (step * level);
        let s = at.0;
        if self.seen[s] == 0 {
            self.slots_seen += 1;
            self.rate[s] = observed_rate;
        } else {
            // A running mean at first, then an exponential forgetting.
            let alpha = (1.0 / (self.seen[s] as f64 + 1.0)).max(self.profile_alpha);
            self.rate[s] += alpha * (observed_rate - self.rate[s]);
        }
        self.seen[s] = self.seen[s].saturating_add(1);
        if !learning {
            let profile_expected = self.rate[s] * step;
            self.level_observed = self.level_decay * self.level_observed + x;
            self.level_expected = self.level_decay * self.level_expected + profile_expected;
        }
        if e >= 0.5 && x <= e {
            let d = self.dispersion_decay;
            self.dispersion_excess = d * self.dispersion_excess + ((x - e).powi(2) - e);
            self.dispersion_scale = d * self.dispersion_scale + e * e;
        }
        if learning {
            let week = ((self.learned_secs / WEEK_SECS) as usize).min(1);
            self.learning_weeks[s][week].add(x);
        } else if let Some(third) = &mut self.third_week {
            third.slots[s].add(observed_rate * step);
        }
        self.learned_secs += self.step;
        if learning && !self.learning() {
            self.settle_learnt_profile();
        } else if !learning {
            if let Some(third) = self.third_week.take_if(|t| self.learned_secs >= t.ends) {
                self.take_third_look(&third.slots);
            }
            if self.learned_secs % WEEK_SECS < self.step {
                // Weekly is often enough: a slot learnt wrong is next used a week later.
                self.cap_to_weekly_shape(SHAPE_CAP);
            }
        }
    }

    /// Lower any slot that stands well above the shop's weekly shape: the typical day's
    /// curve (the median over the days), moved to each day's own timing (weekends run
    /// up to two hours later) and scaled by each day's level, all found with medians
    /// and absolute differences so that a few campaigns cannot move them. A real weekly
    /// peak that gets lowered costs a little sensitivity at that hour; a campaign
    /// learnt as normal would raise a false "drop" there every week.
    fn cap_to_weekly_shape(&mut self, tolerance: f64) {
        let per_day = (86_400 / self.slot_secs) as usize;
        if self.step > self.slot_secs || self.rate.len() != 7 * per_day {
            return;
        }
        let week = 7 * per_day;
        // Slot `t` of day `d`'s curve moved by `shift` slots, across midnight into the
        // neighbouring day where it has to.
        let at = |d: usize, t: usize, shift: isize| {
            (d * per_day + t + week).wrapping_add_signed(shift) % week
        };
        let max_shift = (SHAPE_SHIFT_SECS / self.slot_secs) as isize;
        let mut level = [1.0f64; 7];
        let mut shift = [0isize; 7];
        let mut shape = vec![0.0; per_day];
        // Logarithms once, not per shift tried: this runs weekly on every stream. An
        // empty slot's is infinite and drops out of the fit.
        let ln_rate: Vec<f64> = self.rate.iter().map(|r| r.ln()).collect();
        let mut ln_shape = vec![0.0; per_day];
        for _ in 0..3 {
            for (t, shape) in shape.iter_mut().enumerate() {
                *shape = median((0..7).map(|d| self.rate[at(d, t, shift[d])] / level[d]));
                ln_shape[t] = shape.ln();
            }
            for d in 0..7 {
                let ratios = (0..per_day)
                    .filter(|&t| shape[t] > 0.0)
                    .map(|t| self.rate[at(d, t, shift[d])] / shape[t]);
                level[d] = median(ratios).max(f64::MIN_POSITIVE);
                // The shift that lays this day's curve best over the typical one
                // (absolute log differences, so a campaign's hours weigh little).
                let ln_level = level[d].ln();
                let misfit = |s: isize| -> f64 {
                    (0..per_day)
                        .map(|t| (ln_rate[at(d, t, s)] - ln_level - ln_shape[t]).abs())
                        .filter(|diff| diff.is_finite())
                        .sum()
                };
                shift[d] = (-max_shift..=max_shift)
                    .map(|s| (s, misfit(s)))
                    .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.abs().cmp(&b.0.abs())))
                    .map_or(0, |(s, _)| s);
            }
        }
        // No allowance for the slot's own count noise on top: a slot that chance
        // lifted above the shape is as wrong as one a campaign lifted. With one, the
        // few events of a small shop's slot let a campaign's hours through at 1.3–1.5×.
        let floor = if self.step < self.slot_secs {
            MIN_CAPPED_SLOT_WEEK_EVENTS / self.slot_secs as f64
        } else {
            0.0
        };
        for (s, (rate, seen)) in self.rate.iter_mut().zip(&self.seen).enumerate() {
            if *seen > 0 {
                let (d, t) = (s / per_day, s % per_day);
                let typical_t = (t as isize - shift[d]).rem_euclid(per_day as isize) as usize;
                *rate = rate.min((tolerance * shape[typical_t] * level[d]).max(floor));
            }
        }
    }
}

/// The median of some numbers (the mean of the middle two for an even count), the
/// infinite ones left out; 0 for none.
pub(crate) fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    median_of(&mut v)
}

/// As [`median`], of numbers already gathered, which it sorts; 0 for none.
pub(crate) fn median_of(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Learn `x` as the count of the bucket starting at `t`.
    pub(super) fn learn_at(b: &mut Baseline, t: i64, x: f64) {
        let at = b.position(t);
        let e = b.expected(at);
        b.learn(at, x, e);
    }

    #[test]
    fn the_week_starts_on_monday_midnight() {
        // 2026-01-05 was a Monday; the epoch a Thursday.
        let monday = 1_767_571_200_i64;
        let hourly = Baseline::new(3600);
        assert_eq!(hourly.position(monday).0, 0);
        assert_eq!(hourly.position(monday + 167 * 3600).0, 167);
        assert_eq!(hourly.position(monday + WEEK_SECS).0, 0);
        let minutes = Baseline::new(60);
        assert_eq!(minutes.position(monday + 3600 + 14 * 60).0, 4);
        assert_eq!(minutes.position(monday + 3600 + 15 * 60).0, 5);
    }

    #[test]
    fn learns_a_weekly_profile() {
        let mut b = Baseline::new(60);
        let start = 1_767_571_200_i64;
        // Two weeks where every hour's rate is its hour of day per minute.
        for minute in 0..(14 * 1440) {
            let t = start + minute * 60;
            let rate = ((t / 3600) % 24) as f64;
            learn_at(&mut b, t, rate);
        }
        assert!(!b.learning());
        let at = b.position(start + 14 * 86_400 + 10 * 3600 + 30 * 60);
        let e = b.expected(at);
        assert!(
            (e - 10.0).abs() < 0.6,
            "expected about 10 at 10:30, got {e}"
        );
    }

    #[test]
    fn the_first_buckets_after_learning_move_the_level_no_more_than_later_ones() {
        let mut b = Baseline::new(60);
        let start = 1_767_571_200_i64;
        for minute in 0..(14 * 1440) {
            learn_at(&mut b, start + minute * 60, 1000.0);
        }
        assert!(!b.learning());
        // The first ten minutes after learning run 9% over the usual (under the clip):
        // ten minutes in a day-long level window, not the level's only say.
        for minute in 0..10 {
            learn_at(&mut b, start + (14 * 1440 + minute) * 60, 1090.0);
        }
        assert!(b.level() < 1.01, "{}", b.level());
    }

    #[test]
    fn a_spike_is_clipped_before_it_is_learnt() {
        let mut b = Baseline::new(3600);
        let start = 1_767_571_200_i64;
        for hour in 0..(15 * 24) {
            learn_at(&mut b, start + hour * 3600, 100.0);
        }
        let spike = start + 15 * 24 * 3600;
        learn_at(&mut b, spike, 100_000.0);
        let e = b.expected(b.position(spike));
        assert!(e < 130.0, "{e}");
    }
}
