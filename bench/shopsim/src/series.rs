//! Generated counts, what can be injected into them, and their CSV form.

use crate::noise;
use chrono::DateTime;
use std::io::{self, Write};

/// Counts of several event types in consecutive buckets of equal length, with the mean
/// each count was drawn around.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Start of the first bucket, Unix seconds.
    pub start: i64,
    pub step_secs: i64,
    /// Event type names; the column order of every row.
    pub events: Vec<String>,
    /// Offset of the shop's local time from UTC, in seconds.
    pub utc_offset_secs: i64,
    /// Every campaign in the data, generated or added.
    pub campaigns: Vec<Campaign>,
    pub(crate) seed: u64,
    /// Extra-Poisson variance of one event's count in one bucket (see [`crate::Shop`]).
    pub(crate) dispersion: f64,
    /// Variance of the traffic factor all event types share in one bucket.
    pub(crate) traffic_dispersion: f64,
    /// Row-major: bucket × event.
    pub(crate) counts: Vec<f64>,
    pub(crate) expected: Vec<f64>,
}

/// Which event types an [`Outage`] hits.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    All,
    Events(Vec<String>),
}

/// Events lost during `[start, start + duration_secs)`: each affected event survives with
/// probability `factor` (0 = dark, 0.5 = half lost).
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    pub target: Target,
    pub factor: f64,
    pub start: i64,
    pub duration_secs: i64,
}

impl Outage {
    /// Every event type at once, as when the tracking tag itself fails.
    pub fn all(start: i64, duration_secs: i64, factor: f64) -> Self {
        Self {
            target: Target::All,
            factor,
            start,
            duration_secs,
        }
    }

    /// Only the named event types, while the others keep flowing.
    pub fn events(names: &[&str], start: i64, duration_secs: i64, factor: f64) -> Self {
        let names = names.iter().map(|n| (*n).to_owned()).collect();
        Self {
            target: Target::Events(names),
            factor,
            start,
            duration_secs,
        }
    }

    pub fn end(&self) -> i64 {
        self.start + self.duration_secs
    }
}

/// More traffic during `[start, start + duration_secs)`: every funnel step is multiplied
/// by `multiplier` on the plateau. Traffic ramps up over the first 10 minutes and back down
/// over the last 30, as when an email blast or an ad flight starts and fades.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub start: i64,
    pub duration_secs: i64,
    pub multiplier: f64,
}

const RAMP_UP_SECS: f64 = 600.0;
const RAMP_DOWN_SECS: f64 = 1800.0;

impl Campaign {
    pub fn end(&self) -> i64 {
        self.start + self.duration_secs
    }

    /// The traffic multiplier at `t`, 1 outside the campaign.
    pub fn multiplier_at(&self, t: f64) -> f64 {
        let since = t - self.start as f64;
        let until = self.end() as f64 - t;
        if since < 0.0 || until <= 0.0 {
            return 1.0;
        }
        let ramp = (since / RAMP_UP_SECS).min(until / RAMP_DOWN_SECS).min(1.0);
        1.0 + (self.multiplier - 1.0) * ramp
    }
}

impl Series {
    /// Wraps counts from elsewhere, such as a real recorded series, so that outages and
    /// campaigns can be injected into them. `counts` and `expected` are row-major (bucket ×
    /// event); `expected` is what campaigns multiply, e.g. a seasonal median. Missing
    /// buckets may be NaN; they stay NaN.
    ///
    /// # Panics
    /// If `step_secs` is not positive, there are no events, or the shapes disagree.
    pub fn from_counts(
        start: i64,
        step_secs: i64,
        events: Vec<String>,
        counts: Vec<f64>,
        expected: Vec<f64>,
        seed: u64,
    ) -> Self {
        assert!(step_secs > 0, "step_secs must be positive");
        assert!(!events.is_empty(), "a series needs at least one event type");
        assert_eq!(
            counts.len(),
            expected.len(),
            "counts and expected differ in length"
        );
        assert_eq!(counts.len() % events.len(), 0, "counts are not whole rows");
        Self {
            start,
            step_secs,
            events,
            utc_offset_secs: 0,
            campaigns: Vec::new(),
            seed,
            dispersion: 0.0,
            traffic_dispersion: 0.0,
            counts,
            expected,
        }
    }

    /// Number of buckets.
    pub fn len(&self) -> usize {
        self.counts.len() / self.events.len().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    pub fn end(&self) -> i64 {
        self.bucket_start(self.len())
    }

    pub fn bucket_start(&self, bucket: usize) -> i64 {
        self.start + bucket as i64 * self.step_secs
    }

    /// The bucket containing `t`, if any.
    pub fn bucket_at(&self, t: i64) -> Option<usize> {
        let b = (t - self.start).div_euclid(self.step_secs);
        (t >= self.start && (b as usize) < self.len()).then_some(b as usize)
    }

    pub fn event_index(&self, name: &str) -> Option<usize> {
        self.events.iter().position(|e| e == name)
    }

    /// Every event's count in one bucket, in the order of [`Series::events`].
    pub fn row(&self, bucket: usize) -> &[f64] {
        let n = self.events.len();
        &self.counts[bucket * n..(bucket + 1) * n]
    }

    /// The mean every count of one bucket was drawn around: the seasonal rate after
    /// holidays and the shop's day-to-day level changes, before campaigns and outages.
    pub fn expected_row(&self, bucket: usize) -> &[f64] {
        let n = self.events.len();
        &self.expected[bucket * n..(bucket + 1) * n]
    }

    /// Local hour of day (0–23) at the start of `bucket`.
    pub fn local_hour(&self, bucket: usize) -> u32 {
        let local = self.bucket_start(bucket) + self.utc_offset_secs;
        (local.rem_euclid(86_400) / 3600) as u32
    }

    /// Removes events as `outage` says. A bucket only partly inside the outage loses the
    /// matching share of its events.
    ///
    /// # Panics
    /// If the outage names an event type the series does not have.
    pub fn inject(&mut self, outage: &Outage) {
        let columns: Vec<usize> = match &outage.target {
            Target::All => (0..self.events.len()).collect(),
            Target::Events(names) => names
                .iter()
                .map(|n| {
                    self.event_index(n)
                        .unwrap_or_else(|| panic!("no event type {n:?}"))
                })
                .collect(),
        };
        let salt = [
            outage.start as u64,
            outage.duration_secs as u64,
            outage.factor.to_bits(),
            columns.iter().fold(0, |acc, &c| acc | 1 << (c % 64)),
        ];
        let mut rng = noise::derived(self.seed, &salt);
        let n = self.events.len();
        for b in self.overlapping(outage.start, outage.end()) {
            let keep = 1.0 - self.overlap(b, outage.start, outage.end()) * (1.0 - outage.factor);
            for &c in &columns {
                let cell = &mut self.counts[b * n + c];
                *cell = noise::thin(&mut rng, *cell, keep);
            }
        }
    }

    /// Adds the extra traffic of `campaign` to every event type and records it in
    /// [`Series::campaigns`].
    pub fn add_campaign(&mut self, campaign: Campaign) {
        let salt = [
            campaign.start as u64,
            campaign.duration_secs as u64,
            campaign.multiplier.to_bits(),
        ];
        let mut rng = noise::derived(self.seed, &salt);
        let n = self.events.len();
        for b in self.overlapping(campaign.start, campaign.end()) {
            let boost = mean_over(self.bucket_start(b), self.step_secs, |t| {
                campaign.multiplier_at(t) - 1.0
            });
            for c in 0..n {
                let extra =
                    noise::count(&mut rng, boost * self.expected[b * n + c], self.dispersion);
                self.counts[b * n + c] += extra;
            }
        }
        self.campaigns.push(campaign);
    }

    /// Draws the counts of the buckets overlapping `[from, to)` afresh around the same
    /// means, with the same noise, as another run of the shop would have them: counts
    /// that differ from before without anything having happened. `salt` picks the draw.
    /// Whatever was injected or added in those buckets is gone; missing ones stay
    /// missing.
    pub fn redraw(&mut self, from: i64, to: i64, salt: u64) {
        let mut rng = noise::derived(self.seed, &[from as u64, to as u64, salt]);
        let n = self.events.len();
        for b in self.overlapping(from, to) {
            let traffic = noise::gamma_factor(&mut rng, self.traffic_dispersion);
            for c in (0..n).map(|c| b * n + c) {
                if !self.counts[c].is_nan() {
                    self.counts[c] =
                        noise::count(&mut rng, self.expected[c] * traffic, self.dispersion);
                }
            }
        }
    }

    /// Leaves the buckets overlapping `[from, to)` missing, as a gap in real data would:
    /// a detector neither learns nor judges them.
    pub fn leave_out(&mut self, from: i64, to: i64) {
        let n = self.events.len();
        for b in self.overlapping(from, to) {
            self.counts[b * n..(b + 1) * n].fill(f64::NAN);
        }
    }

    /// Writes `timestamp,event,count` rows, one per event type and bucket (zeros
    /// included), timestamps in RFC 3339 UTC.
    pub fn write_csv<W: Write>(&self, mut out: W) -> io::Result<()> {
        writeln!(out, "timestamp,event,count")?;
        for b in 0..self.len() {
            let ts = DateTime::from_timestamp(self.bucket_start(b), 0)
                .expect("timestamp in chrono's range")
                .format("%Y-%m-%dT%H:%M:%SZ");
            for (event, count) in self.events.iter().zip(self.row(b)) {
                writeln!(out, "{ts},{event},{count}")?;
            }
        }
        out.flush()
    }

    fn overlapping(&self, from: i64, to: i64) -> std::ops::Range<usize> {
        let first = (from - self.start).div_euclid(self.step_secs).max(0) as usize;
        let last = (to - self.start + self.step_secs - 1)
            .div_euclid(self.step_secs)
            .max(0) as usize;
        first.min(self.len())..last.min(self.len())
    }

    /// Share of `bucket` inside `[from, to)`.
    fn overlap(&self, bucket: usize, from: i64, to: i64) -> f64 {
        let (b0, b1) = (self.bucket_start(bucket), self.bucket_start(bucket + 1));
        (to.min(b1) - from.max(b0)).max(0) as f64 / self.step_secs as f64
    }
}

/// Mean of `f` over `[start, start + step_secs)`, at the midpoints of up to 60 equal parts.
pub(crate) fn mean_over(start: i64, step_secs: i64, f: impl Fn(f64) -> f64) -> f64 {
    let parts = (step_secs / 60).clamp(1, 60);
    let width = step_secs as f64 / parts as f64;
    (0..parts)
        .map(|i| f(start as f64 + (i as f64 + 0.5) * width))
        .sum::<f64>()
        / parts as f64
}
