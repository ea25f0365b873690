//! Random draws: counts around a mean, thinning, and derived generators.

use rand::{RngExt, SeedableRng};
use rand_distr::{Binomial, Distribution, Gamma, Poisson, StandardNormal};
use rand_pcg::Pcg64;

/// A count with mean `mean`: Poisson when `dispersion` is 0, else gamma-Poisson (negative
/// binomial) with Var = mean + dispersion·mean².
pub(crate) fn count(rng: &mut Pcg64, mean: f64, dispersion: f64) -> f64 {
    let rate = mean * gamma_factor(rng, dispersion);
    if rate > 0.0 {
        Poisson::new(rate)
            .expect("finite positive rate")
            .sample(rng)
    } else {
        0.0
    }
}

/// A factor with mean 1 and variance `dispersion` (exactly 1 when `dispersion` is 0).
pub(crate) fn gamma_factor(rng: &mut Pcg64, dispersion: f64) -> f64 {
    if dispersion > 0.0 {
        Gamma::new(1.0 / dispersion, dispersion)
            .expect("positive dispersion")
            .sample(rng)
    } else {
        1.0
    }
}

/// A standard normal draw.
pub(crate) fn normal(rng: &mut Pcg64) -> f64 {
    rng.sample(StandardNormal)
}

/// What is left of `count` when each event survives with probability `keep`. Whole
/// counts are thinned binomially, as lost events are; fractional values (rates fed as
/// counts) are scaled.
pub(crate) fn thin(rng: &mut Pcg64, count: f64, keep: f64) -> f64 {
    if keep <= 0.0 {
        0.0
    } else if keep >= 1.0 {
        count
    } else if count.fract() == 0.0 && (0.0..9.0e15).contains(&count) {
        Binomial::new(count as u64, keep)
            .expect("keep in (0, 1)")
            .sample(rng) as f64
    } else {
        count * keep
    }
}

/// A generator seeded from `seed` and the parameters of one operation, so each injection
/// draws the same numbers whatever was injected before it.
pub(crate) fn derived(seed: u64, salt: &[u64]) -> Pcg64 {
    let mixed = salt
        .iter()
        .fold(splitmix(seed), |acc, &s| splitmix(acc ^ splitmix(s)));
    Pcg64::seed_from_u64(mixed)
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
