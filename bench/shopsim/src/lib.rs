//! Seeded generator of realistic multi-event shop traffic, for testing and benchmarking a
//! conversion-volume detector. The same [`Shop`] (seed included) always generates the
//! same [`Series`], bit for bit.
//!
//! # The model
//!
//! A shop has event types with a *share* each: "View Content" 1, "Add to Cart" 0.30,
//! "Initiate Checkout" 0.12, "Complete Payment" 0.08 ([`FUNNEL`]). The mean rate of the
//! first event type, per minute, at time *t* is
//!
//! ```text
//! peak_per_min × seasonal(local t) × holiday(local date) × day level × hour level × growth
//! ```
//!
//! - **seasonal**: a fixed weekday curve of the local hour (quiet from 02:00 to 05:00 at
//!   about 5% of the peak, an evening peak at 20:00), read 1.5 h later on Saturdays and
//!   Sundays (people sleep in), times a level per weekday (Saturday lowest, Sunday
//!   highest). It is 1 at the busiest minute of the week, so `peak_per_min` is the size
//!   knob: 500 is a busy shop, 0.5 a tiny one.
//! - **holiday**: a given local date multiplied by a factor, e.g. 0.8 (a mild dip).
//! - **day level**: lognormal, one per local day, σ = `day_sigma` (8%).
//! - **hour level**: lognormal AR(1) between whole hours (correlation 0.8), interpolated
//!   within the hour, σ = `hour_sigma` (5%): traffic wanders smoothly within a day.
//! - **growth**: `(1 + weekly_growth)^weeks`.
//!
//! Every level factor has mean 1. Each later funnel step's rate is the first one's times
//! its share times its own lognormal factor per day, σ = `share_sigma` (5%): conversion
//! rates wander a little from day to day.
//!
//! A bucket's mean count λ is that rate averaged over the bucket (sampled once a
//! minute) times its length in minutes; [`Series::expected_row`] returns it. The count is
//! drawn as Poisson(λ × T × G): T is a gamma factor with mean 1 and variance
//! `traffic_dispersion`, shared by every event type of the bucket (a burst of visitors
//! moves the whole funnel); G is a gamma factor per event type with variance
//! `dispersion`, which makes the count negative binomial with
//! Var = λ + dispersion·λ². Both variances are given per minute and divided by the
//! bucket's length in minutes, since a longer bucket averages more independent minutes.
//!
//! **Campaigns** ([`Campaign`]) multiply every event type alike: up over 10 minutes, ×2 to
//! ×5 on the plateau, down over the last 30 minutes. They are drawn at random
//! (`campaigns_per_week`, daytime starts, 1–6 h) or added with [`Series::add_campaign`];
//! their extra events are drawn like the rest.
//!
//! **Outages** ([`Outage`]) thin the events of one, several or all event types during a
//! window: each event survives with probability `factor` (0 = dark, 0.3, 0.5). A bucket
//! only partly inside the window loses the matching share of its events.
//!
//! Injections draw from a generator derived from the shop's seed and the injection's own
//! parameters, so they are repeatable too, and independent of their order.
//!
//! # Example
//!
//! ```
//! use shopsim::{Outage, Shop};
//!
//! let start = 1_767_571_200; // 2026-01-05 00:00 UTC, a Monday
//! let mut series = Shop::new(7, 40.0).generate(start, 60, 4 * 7 * 1440);
//! let onset = start + 3 * 7 * 86_400 + 14 * 3600;
//! series.inject(&Outage::events(&["Add to Cart", "Initiate Checkout"], onset, 3 * 3600, 0.0));
//! let mut csv = Vec::new();
//! series.write_csv(&mut csv).unwrap();
//! ```

mod noise;
mod profile;
mod series;
mod shop;

pub use series::{Campaign, Outage, Series, Target};
pub use shop::{EventSpec, Holiday, Shop, FUNNEL};

#[cfg(test)]
mod tests;
