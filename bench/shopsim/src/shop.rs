//! A shop's configuration and the generator that turns it into counts.

use crate::noise;
use crate::profile;
use crate::series::{mean_over, Campaign, Series};
use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64;

const DAY_SECS: i64 = 86_400;
const WEEK_SECS: f64 = 7.0 * 86_400.0;

/// Correlation of the hourly traffic level from one hour to the next.
const HOUR_LEVEL_CORRELATION: f64 = 0.8;

/// The usual e-commerce funnel and each step's rate relative to "View Content".
pub const FUNNEL: [(&str, f64); 4] = [
    ("View Content", 1.0),
    ("Add to Cart", 0.30),
    ("Initiate Checkout", 0.12),
    ("Complete Payment", 0.08),
];

/// One event type and its rate relative to the shop's top event (the first one).
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    pub name: String,
    pub share: f64,
}

/// A local date on which traffic is multiplied by `factor` all day.
#[derive(Debug, Clone, PartialEq)]
pub struct Holiday {
    pub date: NaiveDate,
    pub factor: f64,
}

/// Everything that defines a shop's traffic; see the crate documentation for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Shop {
    pub seed: u64,
    /// Mean events per minute of the first event type at the busiest time of the week
    /// (Sunday evening), before day-to-day level changes: the size knob.
    pub peak_per_min: f64,
    pub events: Vec<EventSpec>,
    /// Offset of the shop's local time from UTC; seasonality follows local time.
    pub utc_offset_secs: i64,
    /// Extra-Poisson variance of one event's count per minute: Var = λ + dispersion·λ².
    pub dispersion: f64,
    /// Variance of a per-minute traffic factor shared by all event types (bursts of
    /// visitors move every funnel step at once).
    pub traffic_dispersion: f64,
    /// Standard deviation of the log traffic level from one day to the next.
    pub day_sigma: f64,
    /// Standard deviation of the log traffic level within a day (hour to hour, smooth).
    pub hour_sigma: f64,
    /// Standard deviation of each funnel step's log share from one day to the next.
    pub share_sigma: f64,
    /// Relative growth of traffic per week.
    pub weekly_growth: f64,
    /// Mean number of random campaigns per week (daytime starts, 1–6 h, ×2 to ×5).
    pub campaigns_per_week: f64,
    pub holidays: Vec<Holiday>,
}

impl Shop {
    /// A shop with the [`FUNNEL`] event types, UTC local time, moderate noise, and neither
    /// campaigns nor holidays.
    pub fn new(seed: u64, peak_per_min: f64) -> Self {
        Self {
            seed,
            peak_per_min,
            events: FUNNEL
                .iter()
                .map(|&(name, share)| EventSpec {
                    name: name.to_owned(),
                    share,
                })
                .collect(),
            utc_offset_secs: 0,
            dispersion: 0.02,
            traffic_dispersion: 0.01,
            day_sigma: 0.08,
            hour_sigma: 0.05,
            share_sigma: 0.05,
            weekly_growth: 0.0,
            campaigns_per_week: 0.0,
            holidays: Vec::new(),
        }
    }

    /// The shop's traffic in `buckets` buckets of `step_secs` from `start` (Unix seconds).
    ///
    /// # Panics
    /// If `step_secs` is not positive or the shop has no event types.
    pub fn generate(&self, start: i64, step_secs: i64, buckets: usize) -> Series {
        assert!(step_secs > 0, "step_secs must be positive");
        assert!(
            !self.events.is_empty(),
            "a shop needs at least one event type"
        );
        let mut rng = Pcg64::seed_from_u64(self.seed);
        let end = start + step_secs * buckets as i64;
        let level = Level::draw(self, start, end, &mut rng);
        let campaigns = self.draw_campaigns(start, end, &mut rng);

        // Noise variances are per minute; a bucket of k minutes averages k of them.
        let minutes = (step_secs as f64 / 60.0).max(1.0);
        let (dispersion, traffic_dispersion) =
            (self.dispersion / minutes, self.traffic_dispersion / minutes);
        let n = self.events.len();
        let mut expected = Vec::with_capacity(buckets * n);
        let mut counts = Vec::with_capacity(buckets * n);
        for b in 0..buckets {
            let t0 = start + b as i64 * step_secs;
            let per_min = mean_over(t0, step_secs, |t| self.rate_per_min(&level, t));
            let day = level.day_index(t0 + step_secs / 2);
            let traffic = noise::gamma_factor(&mut rng, traffic_dispersion);
            for (e, spec) in self.events.iter().enumerate() {
                let mean = per_min * step_secs as f64 / 60.0 * spec.share * level.share(day, e);
                expected.push(mean);
                counts.push(noise::count(&mut rng, mean * traffic, dispersion));
            }
        }

        let mut series = Series {
            start,
            step_secs,
            events: self.events.iter().map(|e| e.name.clone()).collect(),
            utc_offset_secs: self.utc_offset_secs,
            campaigns: Vec::new(),
            seed: self.seed,
            dispersion,
            traffic_dispersion,
            counts,
            expected,
        };
        for campaign in campaigns {
            series.add_campaign(campaign);
        }
        series
    }

    /// Mean events per minute of the first event type at `t`, campaigns aside.
    fn rate_per_min(&self, level: &Level, t: f64) -> f64 {
        let t = t.floor() as i64;
        let weeks = (t - level.start) as f64 / WEEK_SECS;
        self.peak_per_min
            * profile::seasonal(t + self.utc_offset_secs)
            * level.at(t)
            * (1.0 + self.weekly_growth).powf(weeks)
    }

    fn draw_campaigns(&self, start: i64, end: i64, rng: &mut Pcg64) -> Vec<Campaign> {
        let weeks = (end - start) as f64 / WEEK_SECS;
        let mean = self.campaigns_per_week * weeks;
        let n = if mean > 0.0 {
            Poisson::new(mean).expect("positive mean").sample(rng) as usize
        } else {
            0
        };
        let mut campaigns: Vec<Campaign> = (0..n)
            .map(|_| {
                // Campaigns go out in the daytime, local time.
                let local_start = start + self.utc_offset_secs;
                let day = local_start.div_euclid(DAY_SECS)
                    + rng.random_range(0..(end - start) / DAY_SECS + 1);
                let minute = rng.random_range(8 * 60..20 * 60);
                Campaign {
                    start: day * DAY_SECS + minute * 60 - self.utc_offset_secs,
                    duration_secs: rng.random_range(60..=360) * 60,
                    multiplier: rng.random_range(2.0..=5.0),
                }
            })
            .collect();
        campaigns.sort_by_key(|c| c.start);
        campaigns
    }
}

/// The shop's latent traffic level: a factor per local day (holidays included), a smooth
/// hour-to-hour wander, and each funnel step's share per day. Each has mean 1.
struct Level {
    start: i64,
    utc_offset_secs: i64,
    first_day: i64,
    day: Vec<f64>,
    /// Log level at each whole UTC hour from `first_hour`.
    hour: Vec<f64>,
    first_hour: i64,
    /// Day × event, row-major.
    share: Vec<f64>,
    events: usize,
}

impl Level {
    fn draw(shop: &Shop, start: i64, end: i64, rng: &mut Pcg64) -> Self {
        let off = shop.utc_offset_secs;
        let first_day = (start + off).div_euclid(DAY_SECS);
        let days = ((end + off).div_euclid(DAY_SECS) - first_day + 1) as usize;
        let lognormal =
            |rng: &mut Pcg64, sigma: f64| (sigma * noise::normal(rng) - sigma * sigma / 2.0).exp();

        let day = (0..days)
            .map(|d| {
                let date = chrono::DateTime::from_timestamp((first_day + d as i64) * DAY_SECS, 0)
                    .expect("date in chrono's range")
                    .date_naive();
                let holiday = shop
                    .holidays
                    .iter()
                    .filter(|h| h.date == date)
                    .map(|h| h.factor)
                    .product::<f64>();
                holiday * lognormal(rng, shop.day_sigma)
            })
            .collect();

        let first_hour = start.div_euclid(3600);
        let hours = ((end.div_euclid(3600)) - first_hour + 2) as usize;
        let rho = HOUR_LEVEL_CORRELATION;
        let sigma = shop.hour_sigma;
        let mut x = sigma * noise::normal(rng);
        let hour = (0..hours)
            .map(|_| {
                let here = x - sigma * sigma / 2.0;
                x = rho * x + (1.0 - rho * rho).sqrt() * sigma * noise::normal(rng);
                here
            })
            .collect();

        let events = shop.events.len();
        // The top event defines the traffic; only the later steps' shares wander.
        let share = (0..days * events)
            .map(|i| {
                if i % events == 0 {
                    1.0
                } else {
                    lognormal(rng, shop.share_sigma)
                }
            })
            .collect();

        Self {
            start,
            utc_offset_secs: off,
            first_day,
            day,
            hour,
            first_hour,
            share,
            events,
        }
    }

    fn day_index(&self, t: i64) -> usize {
        ((t + self.utc_offset_secs).div_euclid(DAY_SECS) - self.first_day) as usize
    }

    fn at(&self, t: i64) -> f64 {
        let h = (t.div_euclid(3600) - self.first_hour) as usize;
        let w = t.rem_euclid(3600) as f64 / 3600.0;
        let log_hour = self.hour[h] * (1.0 - w) + self.hour[h + 1] * w;
        self.day[self.day_index(t)] * log_hour.exp()
    }

    fn share(&self, day: usize, event: usize) -> f64 {
        self.share[day * self.events + event]
    }
}
