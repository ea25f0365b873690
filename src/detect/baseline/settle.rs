//! Settling a stream's profile when its two learning weeks end, and the third look a
//! week later: which slot-weeks a campaign lifted, and what each slot learns instead.

use std::ops::Range;

use super::{median, Baseline, MAX_DISPERSION, WEEK_SECS};

/// Two learning weeks that disagree by more than this at a slot had something
/// unusual in one of them (a campaign): the lower is the slot's normal.
const LEARNING_DISAGREEMENT: f64 = 1.5;
/// How far (in standard deviations, one-sided, about 1%) a learning week must stand
/// above an even split of the two weeks' events to be told apart from the other. Two
/// weeks of a few events each part by 1.5× by chance more often than not: keeping the
/// lower learnt a tiny shop's payments at a third of their rate, so low that each
/// later payment read as a surge, and after two days of it the stream went back to
/// learning for two weeks.
const CHANCE_Z: f64 = 2.33;
/// The events a slot-week needs on average for its two weeks to be compared one slot
/// at a time. With fewer, only a campaign far above the shop's usual stands out from
/// chance in a quarter hour (see [`CHANCE_Z`]); an hour of such slots is compared
/// whole, its events together, and its slots share its rate.
const MIN_SLOT_WEEK_EVENTS: f64 = 20.0;
/// The cap when learning ends is tighter. Two weeks are all the evidence then, and a
/// campaign at the same hour of both looks like the shop's rhythm; later campaigns are
/// kept out by the surge test, so the weekly cap leaves room for the shop's own quirks.
const SETTLE_SHAPE_CAP: f64 = 1.1;
/// A slot-week's spread needs this many buckets to say anything about the noise, and
/// the noise estimate at the end of learning this many such slot-weeks.
const MIN_BUCKETS_FOR_SPREAD: u32 = 4;
const MIN_SLOT_WEEKS_FOR_SPREAD: usize = 50;

impl Baseline {
    /// At the end of learning, each slot's rate is the mean of its two learning
    /// weeks, or the lower of the two where one ran well above the other: a campaign,
    /// unlike the shop's weekly rhythm, does not come back at the same hour a week
    /// later. The slot-weeks the shop's flow marked as a campaign's are left out first.
    /// An hour whose slots hold too few events to be compared one by one is compared
    /// whole, and its slots share its rate.
    pub(super) fn settle_learnt_profile(&mut self) {
        let step = self.step as f64;
        let mut kept: Vec<SlotWeek> = Vec::new();
        for slots in self.comparison_groups() {
            if let Some(r) = settled_rate(&self.learning_weeks_of(slots.clone()), step, &mut kept) {
                self.set_rates(slots, |_| r);
            }
        }
        if let Some(phi) = dispersion_within(&kept) {
            self.seed_dispersion(phi);
        }
        self.third_week = Some(ThirdWeek {
            slots: vec![SlotWeek::default(); self.rate.len()],
            ends: self.learned_secs + WEEK_SECS,
        });
        self.shop_campaign_weeks = None;
        self.cap_to_weekly_shape(SETTLE_SHAPE_CAP);
        self.seed_level();
    }

    /// Slot by slot, the learning week that ran well above the other (see
    /// [`higher_week`]), from the end of learning until the third look; empty outside.
    fn campaign_weeks(&self) -> Vec<Option<usize>> {
        if self.learning() || self.learning_weeks.is_empty() {
            return Vec::new();
        }
        let mut weeks = vec![None; self.rate.len()];
        for slots in self.comparison_groups() {
            let week = higher_week(&self.learning_weeks_of(slots.clone()));
            weeks[slots].fill(week);
        }
        weeks
    }

    /// Take the slot-weeks that `shop` (all events together) ran well above the other
    /// in as a campaign's, to be left out when this stream settles with its next
    /// bucket: only if it learnt in step with `shop`, which has just settled.
    pub fn adopt_campaign_weeks(&mut self, shop: &Baseline) {
        if self.learning()
            && self.slot_secs == shop.slot_secs
            && self.learned_secs + self.step == shop.learned_secs
        {
            self.shop_campaign_weeks = Some(shop.campaign_weeks()).filter(|w| !w.is_empty());
        }
    }

    /// A week after learning, a slot that both learning weeks held more than 1.5× above
    /// what the week since showed (`third`) is lowered to that week: a campaign that
    /// came at the same hour of both learning weeks agreed with itself and was settled
    /// as the shop's rhythm, up to the cap of the weekly shape, which lets 1.4× through
    /// where the hour runs under the typical day. A rhythm comes back a third time; such
    /// a coincidence seldom does. Slots the week since barely saw (a surge, an episode)
    /// or that held under 20 events in it are left as they are; that leaves out most
    /// sparse hours, which are looked at whole as when learning ended.
    pub(super) fn take_third_look(&mut self, third: &[SlotWeek]) {
        let step = self.step as f64;
        let buckets_per_slot_week = (self.slot_secs / self.step).max(1) as u32;
        for slots in self.comparison_groups() {
            let [a, b] = self.learning_weeks_of(slots.clone());
            let third = slots
                .clone()
                .fold(SlotWeek::default(), |sum, s| sum.plus(&third[s]));
            let width = slots.len() as u32;
            if a.n == 0
                || b.n == 0
                || third.n * 2 < buckets_per_slot_week * width
                || third.sum < MIN_SLOT_WEEK_EVENTS * f64::from(width)
            {
                continue;
            }
            if a.mean().min(b.mean()) > LEARNING_DISAGREEMENT * third.mean() {
                let r = third.mean() / step;
                self.set_rates(slots, |rate| rate.min(r));
            }
        }
        self.learning_weeks = Vec::new();
    }

    /// The slots whose learning weeks are compared together: each alone, or a whole
    /// hour where its slots hold too few events to be compared one by one (and the
    /// week's last slots together where a slot does not divide the hour).
    fn comparison_groups(&self) -> Vec<Range<usize>> {
        let per_hour = (3600 / self.slot_secs).max(1) as usize;
        let mut groups = Vec::new();
        for first in (0..self.rate.len()).step_by(per_hour) {
            let hour = first..(first + per_hour).min(self.rate.len());
            let events: f64 = self.learning_weeks[hour.clone()]
                .iter()
                .flatten()
                .map(|w| w.sum)
                .sum();
            if events < 2.0 * per_hour as f64 * MIN_SLOT_WEEK_EVENTS {
                groups.push(hour);
            } else {
                groups.extend(hour.map(|s| s..s + 1));
            }
        }
        groups
    }

    /// The learning weeks of `slots`, added up, less the slot-weeks the shop's flow
    /// says a campaign was in.
    fn learning_weeks_of(&self, slots: Range<usize>) -> [SlotWeek; 2] {
        let campaign = |s: usize, week: usize| {
            self.shop_campaign_weeks
                .as_ref()
                .is_some_and(|weeks| weeks[s] == Some(week))
        };
        slots.fold([SlotWeek::default(); 2], |mut sum, s| {
            for (week, total) in sum.iter_mut().enumerate() {
                if !campaign(s, week) {
                    *total = total.plus(&self.learning_weeks[s][week]);
                }
            }
            sum
        })
    }

    /// Each rate of `slots` that has been seen, through `f`.
    fn set_rates(&mut self, slots: Range<usize>, f: impl Fn(f64) -> f64) {
        for (rate, seen) in self.rate[slots.clone()].iter_mut().zip(&self.seen[slots]) {
            if *seen > 0 {
                *rate = f(*rate);
            }
        }
    }

    /// The noise estimate restarts from `phi` with the weight of a full window of the
    /// profile's average traffic.
    fn seed_dispersion(&mut self, phi: f64) {
        let mean_square = self
            .rate
            .iter()
            .map(|r| (r * self.step as f64).powi(2))
            .sum::<f64>()
            / self.rate.len() as f64;
        self.dispersion_scale = mean_square / (1.0 - self.dispersion_decay);
        self.dispersion_excess = phi * self.dispersion_scale;
    }

    /// The level starts at 1 with the weight of a full level window of the profile's
    /// average traffic, as if the days just learnt had been judged. Starting from
    /// nothing, the first buckets after learning would set it alone: a campaign under
    /// way as learning ends would lift it to the campaign's height, where the surge
    /// test, judging against that lifted level, no longer sees a surge.
    fn seed_level(&mut self) {
        let mean_rate = self.rate.iter().sum::<f64>() / self.rate.len() as f64;
        let window = mean_rate * self.step as f64 / (1.0 - self.level_decay);
        self.level_observed = window;
        self.level_expected = window;
    }
}

/// A slot's rate per second from its two learning weeks: their mean, or the lower where
/// one ran well above the other, or the one a week left where the other is empty. The
/// weeks it rests on go to `kept`. `None` for a slot neither week saw.
fn settled_rate(weeks: &[SlotWeek; 2], step: f64, kept: &mut Vec<SlotWeek>) -> Option<f64> {
    let [a, b] = weeks;
    let rest_on = |w: &SlotWeek, kept: &mut Vec<SlotWeek>| {
        kept.push(*w);
        Some(w.mean() / step)
    };
    match (a.n, b.n, higher_week(weeks)) {
        (0, 0, _) => None,
        (0, _, _) | (_, _, Some(0)) => rest_on(b, kept),
        (_, 0, _) | (_, _, Some(_)) => rest_on(a, kept),
        (_, _, None) => {
            kept.extend([a, b]);
            Some((a.mean() + b.mean()) / 2.0 / step)
        }
    }
}

/// The learning week (0 or 1) that ran well above the other, as a campaign in it
/// would: by more than [`LEARNING_DISAGREEMENT`], and by more than chance parts two
/// weeks of that many events.
fn higher_week(weeks: &[SlotWeek; 2]) -> Option<usize> {
    let [a, b] = weeks;
    if a.n == 0 || b.n == 0 {
        return None;
    }
    let (low, high, week) = if a.mean() <= b.mean() {
        (a, b, 1)
    } else {
        (b, a, 0)
    };
    // Were both weeks alike, the higher's share of their events would be binomial
    // around its share of their buckets.
    let events = low.sum + high.sum;
    let share = f64::from(high.n) / f64::from(low.n + high.n);
    let sd = (events * share * (1.0 - share)).sqrt();
    let beyond_chance = high.sum - events * share - 0.5 > CHANCE_Z * sd;
    (beyond_chance && high.mean() > LEARNING_DISAGREEMENT * low.mean()).then_some(week)
}

/// Each slot's buckets learnt in the week after learning, over the level, and when
/// that week ends (in learnt time).
#[derive(Debug, Clone)]
pub(super) struct ThirdWeek {
    pub(super) slots: Vec<SlotWeek>,
    pub(super) ends: i64,
}

/// One profile slot's buckets in one learning week.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SlotWeek {
    sum: f64,
    sum_of_squares: f64,
    n: u32,
}

impl SlotWeek {
    pub(super) fn add(&mut self, x: f64) {
        self.sum += x;
        self.sum_of_squares += x * x;
        self.n += 1;
    }

    fn mean(&self) -> f64 {
        self.sum / f64::from(self.n.max(1))
    }

    fn plus(self, o: &SlotWeek) -> SlotWeek {
        SlotWeek {
            sum: self.sum + o.sum,
            sum_of_squares: self.sum_of_squares + o.sum_of_squares,
            n: self.n + o.n,
        }
    }
}

/// The overdispersion `phi` (variance = m + phi·m²) that the spread of counts within
/// slot-weeks shows: the median over slot-weeks, so that the few a campaign started
/// or ended in do not set it. `None` with too few slot-weeks that hold events.
///
/// Learnt while learning, against a slot mean that a campaign in the first week had
/// lifted, the noise estimate came out many times too wide (0.27 where the shop's was
/// 0.03), and a wide estimate leaves the tests half blind for days.
fn dispersion_within(weeks: &[SlotWeek]) -> Option<f64> {
    let estimates: Vec<f64> = weeks
        .iter()
        .filter(|w| w.n >= MIN_BUCKETS_FOR_SPREAD && w.mean() >= 1.0)
        .map(|w| {
            let (n, m) = (f64::from(w.n), w.mean());
            let variance = (w.sum_of_squares - n * m * m) / (n - 1.0);
            // The median of a sample variance over k = n − 1 degrees of freedom falls
            // short of the variance by about (1 − 2/9k)³.
            let k = n - 1.0;
            let median_shortfall = (1.0 - 2.0 / (9.0 * k)).powi(3);
            (variance / median_shortfall - m) / (m * m)
        })
        .collect();
    (estimates.len() >= MIN_SLOT_WEEKS_FOR_SPREAD)
        .then(|| median(estimates.into_iter()).clamp(0.0, MAX_DISPERSION))
}

#[cfg(test)]
mod tests {
    use super::super::tests::learn_at;
    use super::*;

    #[test]
    fn a_campaign_at_the_same_hour_of_both_learning_weeks_is_not_learnt_as_normal() {
        let mut b = Baseline::new(3600);
        let start = 1_767_571_200_i64;
        // Every day the same curve; Wednesday 10:00 carries a ×3 campaign in both
        // learning weeks, so the two weeks agree about it.
        let campaign = |t: i64| (t - start) % WEEK_SECS == 2 * 86_400 + 10 * 3600;
        for hour in 0..(14 * 24) {
            let t = start + hour * 3600;
            let normal = 100.0 + 50.0 * ((hour % 24) as f64 / 4.0).sin();
            learn_at(&mut b, t, if campaign(t) { 3.0 * normal } else { normal });
        }
        let wednesday_ten = start + 2 * WEEK_SECS + 2 * 86_400 + 10 * 3600;
        let normal = 100.0 + 50.0 * (10.0f64 / 4.0).sin();
        let e = b.expected(b.position(wednesday_ten));
        // Capped at 1.1× the usual curve at that hour when learning ends, far below
        // the campaign's ×3.
        assert!(e < 1.11 * normal, "learnt {e} where {normal} is usual");
        // The other hours keep their own shape.
        let thursday_ten = wednesday_ten + 86_400;
        let e = b.expected(b.position(thursday_ten));
        assert!((e - normal).abs() < 0.05 * normal, "{e} against {normal}");
    }

    #[test]
    fn a_campaign_in_both_learning_weeks_is_unlearnt_after_a_third_week_without_it() {
        let mut b = Baseline::new(3600);
        let start = 1_767_571_200_i64;
        let wednesday_ten = |t: i64| (t - start) % WEEK_SECS == 2 * 86_400 + 10 * 3600;
        // Every day the same curve, but Wednesday 10:00 runs at 60% of other days'
        // 10:00, so the weekly shape's cap sits high there. A ×3 campaign falls on it in
        // both learning weeks, and not in the third.
        let usual = |t: i64| {
            let hour = (t - start) / 3600;
            let normal = 100.0 + 50.0 * ((hour % 24) as f64 / 4.0).sin();
            if wednesday_ten(t) {
                0.6 * normal
            } else {
                normal
            }
        };
        for hour in 0..(14 * 24) {
            let t = start + hour * 3600;
            let lift = if wednesday_ten(t) { 3.0 } else { 1.0 };
            learn_at(&mut b, t, lift * usual(t));
        }
        let in_third_week = start + 2 * WEEK_SECS + 2 * 86_400 + 10 * 3600;
        let capped = b.expected(b.position(in_third_week));
        assert!(
            capped > 1.5 * usual(in_third_week),
            "the cap alone holds it at {capped} against {}",
            usual(in_third_week)
        );
        for hour in 0..(7 * 24) {
            let t = start + 2 * WEEK_SECS + hour * 3600;
            learn_at(&mut b, t, usual(t));
        }
        let in_fourth_week = in_third_week + WEEK_SECS;
        let e = b.expected(b.position(in_fourth_week));
        let truth = usual(in_fourth_week);
        assert!((e - truth).abs() < 0.05 * truth, "{e} against {truth}");
    }

    #[test]
    fn a_sparse_hour_is_learnt_whole_so_chance_does_not_lower_it() {
        let mut b = Baseline::new(60);
        let start = 1_767_571_200_i64;
        // 18 events every hour of both weeks, but each quarter hour holds 6 one week
        // and 3 the next: compared one by one, every slot would keep its lower 3.
        // Wednesday 10:00 of the first week carries a ×3 campaign.
        let campaign = 2 * 1440 + 10 * 60;
        for minute in 0..(14 * 1440) {
            let (week, quarter) = (minute / (7 * 1440), minute % 60 / 15);
            let quarter_events = if (quarter + week) % 2 == 0 { 6.0 } else { 3.0 };
            let lift = if (campaign..campaign + 60).contains(&minute) {
                3.0
            } else {
                1.0
            };
            learn_at(&mut b, start + minute * 60, lift * quarter_events / 15.0);
        }
        assert!(!b.learning());
        let hour_from =
            |t: i64| -> f64 { (0..60).map(|m| b.expected(b.position(t + m * 60))).sum() };
        let thursday_ten = start + 2 * WEEK_SECS + 3 * 86_400 + 10 * 3600;
        let e = hour_from(thursday_ten);
        assert!((e - 18.0).abs() < 0.5, "learnt {e} of 18 an hour");
        let e = hour_from(thursday_ten - 86_400);
        assert!(
            (e - 18.0).abs() < 0.5,
            "learnt {e} of 18 an hour in the campaign's hour"
        );
    }

    #[test]
    fn two_sparse_learning_weeks_that_chance_could_part_are_averaged() {
        let mut b = Baseline::new(3600);
        let start = 1_767_571_200_i64;
        // Two events an hour one week and five the next: 2.5 times, but two weeks of
        // so few events part that far by chance. Keeping the lower would learn the
        // stream at 57% of its rate.
        for hour in 0..(14 * 24) {
            learn_at(
                &mut b,
                start + hour * 3600,
                if hour < 7 * 24 { 2.0 } else { 5.0 },
            );
        }
        let e = b.expected(b.position(start + 2 * WEEK_SECS + 10 * 3600));
        assert!((e - 3.5).abs() < 0.05, "{e}");
    }

    #[test]
    fn a_campaign_in_a_learning_week_is_not_learnt_as_normal() {
        let mut b = Baseline::new(3600);
        let start = 1_767_571_200_i64;
        // Wednesday 10:00 of the first week carries a ×4 campaign.
        let campaign = start + 2 * 86_400 + 10 * 3600;
        for hour in 0..(14 * 24) {
            let t = start + hour * 3600;
            learn_at(&mut b, t, if t == campaign { 400.0 } else { 100.0 });
        }
        let next_wednesday = b.position(campaign + 2 * WEEK_SECS);
        assert!((b.expected(next_wednesday) - 100.0).abs() < 1.0);
    }
}
