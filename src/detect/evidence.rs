//! The statistics the detector accumulates: log-likelihood ratios of "the rate fell to
//! ρ × expected" against "the rate is as expected", under negative-binomial noise, and
//! the one-sided CUSUM that turns them into an alarm with an onset estimate.
//!
//! Count-aware by construction: a zero where 0.2 events were expected is no evidence,
//! a zero where 20 were expected is overwhelming.

/// `ln P(0)` turned around: the evidence a zero count gives against the expectation
/// `e` with overdispersion `phi` (variance `e + phi·e²`).
pub fn silence_evidence(e: f64, phi: f64) -> f64 {
    if e <= 0.0 {
        0.0
    } else if phi < 1e-9 {
        e
    } else {
        (phi * e).ln_1p() / phi
    }
}

/// The per-bucket log-likelihood ratio of count `x` under mean `rho·e` against mean `e`,
/// negative binomial with size `1/phi` (Poisson as `phi` → 0).
pub fn drop_llr(x: f64, e: f64, phi: f64, rho: f64) -> f64 {
    if e <= 0.0 {
        return 0.0;
    }
    if phi < 1e-9 {
        return x * rho.ln() + e * (1.0 - rho);
    }
    let r = 1.0 / phi;
    x * (rho * (e + r) / (rho * e + r)).ln() + r * ((e + r) / (rho * e + r)).ln()
}

/// The log-likelihood ratio that `x` of `x + rest` events belong to a step whose rate
/// fell to `rho` times its usual rate against the rest, its usual share being `p`: the
/// share becomes `rho·p / (1 − p + rho·p)`. Binomial, so campaigns that scale every
/// step alike leave it alone. Framed as a rate and not as "the share fell to `rho·p`",
/// because halving a step that makes up most of the events (page views) moves its share
/// much less than by half.
pub fn share_llr(x: f64, rest: f64, p: f64, rho: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || x + rest <= 0.0 {
        return 0.0;
    }
    x * rho.ln() - (x + rest) * (1.0 - p + rho * p).ln()
}

/// How much of a run's evidence of a drop an ordinary slow spell explains. Counts are
/// judged against an expectation that is itself a little off for hours at a time (a
/// slow day, a profile slot learnt from a few weeks), and over a long run of buckets
/// that error alone looks like a drop. This is the log-likelihood the null gains when
/// its level may move to where the run's `observed` out of `expected` events put it,
/// a level `L` costing `(ln L)² / 2σ²` (log-normal, spread `sigma`): next to nothing
/// for a short, steep fall, most of the evidence of a long, shallow shortfall.
pub fn level_doubt(observed: f64, expected: f64, sigma: f64) -> f64 {
    if observed >= expected || expected <= 0.0 {
        return 0.0;
    }
    let precision = 1.0 / (sigma * sigma);
    // The log level maximising X·u − E·eᵘ − u²/2σ²: concave, so Newton from 0 goes
    // straight down to it.
    let mut u = 0.0f64;
    for _ in 0..20 {
        let grad = observed - expected * u.exp() - u * precision;
        let step = grad / (expected * u.exp() + precision);
        u += step;
        if step.abs() < 1e-9 {
            break;
        }
    }
    observed * u - expected * u.exp() - 0.5 * u * u * precision + expected
}

/// A one-sided CUSUM over per-bucket evidence, remembering where its current run
/// began (the change-point estimate) and the expected and observed counts since.
#[derive(Debug, Clone, Default)]
pub struct Cusum {
    pub sum: f64,
    /// Start of the bucket where the sum last rose from zero.
    pub since: Option<i64>,
    pub expected: f64,
    pub observed: f64,
}

impl Cusum {
    /// Add one bucket's evidence; `true` when the sum reaches `threshold`.
    pub fn add(
        &mut self,
        llr: f64,
        start: i64,
        expected: f64,
        observed: f64,
        threshold: f64,
    ) -> bool {
        let sum = self.sum + llr;
        if sum <= 0.0 {
            *self = Cusum::default();
            return false;
        }
        if self.since.is_none() {
            self.since = Some(start);
        }
        self.sum = sum;
        self.expected += expected;
        self.observed += observed;
        sum >= threshold
    }

    pub fn reset(&mut self) {
        *self = Cusum::default();
    }

    /// Observed over expected over the current run.
    pub fn ratio(&self) -> f64 {
        self.observed / self.expected.max(f64::MIN_POSITIVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_is_evidence_in_proportion_to_what_was_expected() {
        assert!((silence_evidence(20.0, 0.0) - 20.0).abs() < 1e-12);
        assert!(silence_evidence(0.2, 0.0) < 0.25);
        // Overdispersion makes zeros more likely, so each is weaker evidence.
        assert!(silence_evidence(20.0, 0.5) < 5.0);
        assert_eq!(silence_evidence(0.0, 0.1), 0.0);
    }

    #[test]
    fn negative_binomial_llr_tends_to_poisson() {
        let poisson = drop_llr(3.0, 10.0, 0.0, 0.5);
        let nb = drop_llr(3.0, 10.0, 1e-7, 0.5);
        assert!((poisson - nb).abs() < 1e-4, "{poisson} vs {nb}");
        // Seeing what was expected is evidence against the drop…
        assert!(drop_llr(10.0, 10.0, 0.0, 0.5) < 0.0);
        // …seeing half of it is evidence for it.
        assert!(drop_llr(5.0, 10.0, 0.0, 0.5) > 0.0);
    }

    #[test]
    fn a_level_doubt_forgives_a_long_shortfall_and_little_of_a_steep_fall() {
        let evidence = |x: f64, e: f64| x * 0.4f64.ln() + e * 0.6;
        // Half of 100 expected: a few nats of doubt against about 14 of evidence.
        let steep = level_doubt(50.0, 100.0, 0.03);
        assert!(
            steep > 0.0 && steep < 0.2 * evidence(50.0, 100.0),
            "{steep}"
        );
        // Two hours at 60 events a minute running 40% under: the evidence of a fall to
        // 40% is large, and the doubt larger still.
        let (x, e) = (0.6 * 7200.0, 7200.0);
        assert!(evidence(x, e) > 300.0);
        assert!(level_doubt(x, e, 0.03) > evidence(x, e));
        // No shortfall, no doubt; a wider spread doubts more.
        assert_eq!(level_doubt(120.0, 100.0, 0.03), 0.0);
        assert!(level_doubt(50.0, 100.0, 0.1) > steep);
    }

    #[test]
    fn share_llr_ignores_a_common_scale() {
        // Three times the traffic with the same funnel share: the same sign and a
        // larger magnitude of evidence *against* a drop.
        let normal = share_llr(10.0, 90.0, 0.1, 0.5);
        let campaign = share_llr(30.0, 270.0, 0.1, 0.5);
        assert!(normal < 0.0 && campaign < normal);
        assert!(share_llr(0.0, 100.0, 0.1, 0.5) > 0.0);
        assert_eq!(share_llr(0.0, 0.0, 0.1, 0.5), 0.0);
    }

    #[test]
    fn halving_a_dominant_step_is_evidence_of_halving() {
        // Page views are two thirds of all events; halved, they are half of them.
        let halved = share_llr(50.0, 50.0, 2.0 / 3.0, 0.5);
        let usual = share_llr(67.0, 33.0, 2.0 / 3.0, 0.5);
        assert!(halved > 5.0, "{halved}");
        assert!(usual < 0.0, "{usual}");
    }

    #[test]
    fn cusum_remembers_where_the_run_began() {
        let mut c = Cusum::default();
        assert!(!c.add(-1.0, 0, 1.0, 1.0, 5.0));
        assert!(!c.add(2.0, 60, 10.0, 2.0, 5.0));
        assert!(c.add(3.5, 120, 10.0, 1.0, 5.0));
        assert_eq!(c.since, Some(60));
        assert_eq!((c.expected, c.observed), (20.0, 3.0));
        assert!(!c.add(-10.0, 180, 10.0, 10.0, 5.0));
        assert_eq!(c.since, None);
    }
}
