//! Each event type's usual share of all events and of the funnel step before it, and
//! the noise around those shares. Shares hardly move with the time of day or a
//! campaign, unlike counts, so they are learnt directly rather than derived from the
//! per-type baselines and their errors.

/// Events seen before shares are trusted.
const MIN_SHARE_EVENTS: f64 = 500.0;
/// Shares follow a shop's changing conversion rates over about a day.
const SHARE_HALF_LIFE_SECS: f64 = 86_400.0;
/// The noise around them is judged over about three days.
const NOISE_HALF_LIFE_SECS: f64 = 3.0 * 86_400.0;
const MAX_NOISE: f64 = 2.0;

/// A share as the tests use it: the usual share and the noise around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub p: f64,
    /// `psi` of Var(x | n) = n·p·(1 − p) + psi·(n·p)².
    pub psi: f64,
}

impl Share {
    /// The weight binomial evidence about `n` events keeps once the share's own noise
    /// is counted. Traffic bursts move every step alike and cancel out of a share, so
    /// this is much closer to 1 than the count's overdispersion would make it.
    pub fn damping(&self, n: f64) -> f64 {
        1.0 / (1.0 + self.psi * n * self.p / (1.0 - self.p).max(f64::MIN_POSITIVE))
    }
}

/// Decaying moment sums for `psi`.
#[derive(Debug, Clone, Default)]
struct Noise {
    excess: f64,
    scale: f64,
}

impl Noise {
    fn learn(&mut self, x: f64, n: f64, p: f64, decay: f64) {
        if n > 0.0 && p > 0.0 && p < 1.0 {
            let m = n * p;
            self.excess = decay * self.excess + ((x - m).powi(2) - m * (1.0 - p));
            self.scale = decay * self.scale + m * m;
        }
    }

    fn psi(&self) -> f64 {
        if self.scale > 0.0 {
            (self.excess / self.scale).clamp(0.0, MAX_NOISE)
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone)]
pub struct Shares {
    /// Decaying sums of each event type's counts, and of all of them.
    of: Vec<f64>,
    total: f64,
    /// Per event type: the noise of its share of all events, and of its share of it
    /// and the funnel step before it together.
    of_all: Vec<Noise>,
    of_pair: Vec<Noise>,
    decay: f64,
    noise_decay: f64,
}

impl Shares {
    pub fn new(step_secs: i64) -> Shares {
        let decay = |half_life: f64| (-std::f64::consts::LN_2 * step_secs as f64 / half_life).exp();
        Shares {
            of: Vec::new(),
            total: 0.0,
            of_all: Vec::new(),
            of_pair: Vec::new(),
            decay: decay(SHARE_HALF_LIFE_SECS),
            noise_decay: decay(NOISE_HALF_LIFE_SECS),
        }
    }

    pub fn add_event(&mut self) {
        self.of.push(0.0);
        self.of_all.push(Noise::default());
        self.of_pair.push(Noise::default());
    }

    pub fn known(&self) -> bool {
        self.total >= MIN_SHARE_EVENTS
    }

    /// Event type `i`'s share of all events.
    pub fn of_all(&self, i: usize) -> Share {
        self.of_group(i, self.total)
    }

    /// Event type `i`'s share of all events but those `left_out`.
    pub fn of_all_but(&self, i: usize, left_out: impl Fn(usize) -> bool) -> Share {
        let left: f64 = (0..self.of.len())
            .filter(|&j| left_out(j))
            .map(|j| self.of[j])
            .sum();
        self.of_group(i, self.total - left)
    }

    fn of_group(&self, i: usize, group: f64) -> Share {
        Share {
            p: self.of[i] / group.max(f64::MIN_POSITIVE),
            psi: self.of_all[i].psi(),
        }
    }

    /// Event type `i`'s share of it and event type `previous` together.
    pub fn of_pair(&self, i: usize, previous: usize) -> Share {
        let (mine, theirs) = (self.of[i], self.of[previous]);
        Share {
            p: mine / (mine + theirs).max(f64::MIN_POSITIVE),
            psi: self.of_pair[i].psi(),
        }
    }

    /// Learn from one normal bucket: the noise against the shares as they stood (when
    /// `noise_too`), then the shares.
    ///
    /// The noise is weighed by the square of each bucket's events, so the busy buckets
    /// of a campaign would set it for days. Their noise is not a normal hour's: the
    /// campaign's visitors are traffic of their own, which spreads its shares less
    /// relative to its size (in a busy shop of the detector bench, its buckets drew
    /// the noise down by a quarter) or, converting unlike the usual visitors, more.
    /// Judged against noise too narrow, every ordinary wobble of a share after the
    /// campaign was evidence of a drop: over 100 seeds of the detector bench the
    /// campaigns added 117 alerts more than they took away.
    pub fn learn(&mut self, counts: &[f64], previous_step: &[Option<usize>], noise_too: bool) {
        let total_x: f64 = counts.iter().sum();
        if self.known() && noise_too {
            for (i, &x) in counts.iter().enumerate() {
                let p = self.of[i] / self.total.max(f64::MIN_POSITIVE);
                self.of_all[i].learn(x, total_x, p, self.noise_decay);
                if let Some(prev) = previous_step[i] {
                    let p = self.of_pair(i, prev).p;
                    self.of_pair[i].learn(x, x + counts[prev], p, self.noise_decay);
                }
            }
        }
        for (sum, &x) in self.of.iter_mut().zip(counts) {
            *sum = self.decay * *sum + x;
        }
        self.total = self.decay * self.total + total_x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_shares_keep_their_evidence_and_noisy_ones_lose_it() {
        let mut steady = Shares::new(60);
        let mut noisy = Shares::new(60);
        for _ in [(); 2] {
            steady.add_event();
            noisy.add_event();
        }
        // 30 of 100 every minute (no noise at all beyond the binomial is even less),
        // against a share that swings between 10% and 50%.
        for minute in 0..3000 {
            steady.learn(&[30.0, 70.0], &[None, None], true);
            let x = if minute % 2 == 0 { 10.0 } else { 50.0 };
            noisy.learn(&[x, 100.0 - x], &[None, None], true);
        }
        let (s, n) = (steady.of_all(0), noisy.of_all(0));
        assert!((s.p - 0.3).abs() < 1e-9 && (n.p - 0.3).abs() < 0.05);
        assert!(s.damping(100.0) > 0.99, "{s:?}");
        assert!(n.damping(100.0) < 0.3, "{n:?}");
    }

    #[test]
    fn a_campaign_teaches_the_shares_but_not_their_noise() {
        let learnt = |noise_too: bool| {
            let mut shares = Shares::new(60);
            for _ in [(); 2] {
                shares.add_event();
            }
            // A day of a share that wobbles between 20% and 40% of 100 events...
            for minute in 0..1440 {
                let x = if minute % 2 == 0 { 20.0 } else { 40.0 };
                shares.learn(&[x, 100.0 - x], &[None, None], true);
            }
            let before = shares.of_all(0);
            // ...then four hours of a campaign at four times the traffic, its share a
            // little higher and steadier.
            for minute in 0..240 {
                let x = if minute % 2 == 0 { 126.0 } else { 130.0 };
                shares.learn(&[x, 400.0 - x], &[None, None], noise_too);
            }
            (before, shares.of_all(0))
        };
        let (before, after) = learnt(false);
        assert!(
            after.p > before.p + 0.005,
            "the shares follow: {before:?} {after:?}"
        );
        assert!(
            (after.psi - before.psi).abs() < 1e-12,
            "{before:?} {after:?}"
        );
        // Learnt from the campaign, the noise would have been a fraction of the usual.
        let (_, taught) = learnt(true);
        assert!(taught.psi < 0.5 * before.psi, "{before:?} {taught:?}");
    }
}
