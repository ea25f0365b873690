//! 2. Outages injected into real count-like series and into synthetic shops.

use crate::drive::{first_alert, opened, par_map, replay_raised};
use crate::recorded::Recorded;
use crate::report::{band, duration, table, Delays, BANDS};
use crate::shops::{shops, START, WEEK};
use anyhow::Result;
use flatline::detect::{Alert, AlertPhase, POOLED};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use shopsim::{Campaign, Outage, Series};
use std::path::Path;

/// The count-like real series: every file of these folders.
const REAL: [(&str, usize); 4] = [
    ("consumer-purchase-rate/purchase", 6),
    ("ecommerce-api-incoming-rps/api", 1),
    ("mongodb-application-rps/mongo", 4),
    ("data-ingress-rate/ingress", 5),
];
const DURATIONS: [i64; 3] = [15 * 60, 3600, 4 * 3600];
const DAY: i64 = 86_400;
/// The January 2026 pattern: these two went dark while the rest of the funnel flowed.
const JANUARY: [&str; 2] = ["Add to Cart", "Initiate Checkout"];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Every event type multiplied by the factor.
    All(f64),
    /// One event type, chosen at random, multiplied by the factor.
    One(f64),
    /// "Add to Cart" and "Initiate Checkout" both dark.
    January,
    /// One event type multiplied by the factor during a campaign that triples every
    /// event type from half an hour before the outage to half an hour after it: the
    /// broken one may carry as much as on an ordinary day.
    OneInCampaign(f64),
}

/// The campaign around a [`Kind::OneInCampaign`] outage, and how far it reaches on
/// either side.
const CAMPAIGN_MULTIPLIER: f64 = 3.0;
const CAMPAIGN_MARGIN_SECS: i64 = 1800;

impl Kind {
    fn label(self, single_stream: bool) -> String {
        match self {
            Kind::All(f) if single_stream => format!("×{f}"),
            Kind::All(f) => format!("all events ×{f}"),
            Kind::One(f) => format!("one event ×{f}"),
            Kind::January => "Add to Cart + Initiate Checkout ×0".into(),
            Kind::OneInCampaign(f) => {
                format!("one event ×{f} in a ×{CAMPAIGN_MULTIPLIER} campaign")
            }
        }
    }
}

/// Where outages are injected.
struct Source {
    series: Series,
    /// A recorded series: its expected count is the value it had before the injection,
    /// since its typical level misses level shifts (a stream that starts mid-file).
    recorded: bool,
    labelled: Vec<bool>,
    /// The earliest onset bucket: after enough history.
    from: usize,
}

struct Plan {
    source: usize,
    kind: Kind,
    duration: i64,
    onset: usize,
    events: Vec<String>,
}

pub struct Trial {
    pub kind: Kind,
    pub duration: i64,
    pub step_secs: i64,
    /// Expected count of the affected event types in the onset bucket.
    pub expected: f64,
    /// Delay in buckets; `None` when missed.
    pub delay: Option<f64>,
    /// Raised on the pooled stream rather than on an affected event type.
    pub pooled: bool,
    /// Alerts on event types the outage did not touch, during the outage.
    pub others: usize,
    /// Buckets from the end of the outage until the detector closed the last episode
    /// it opened for it (0 if all closed earlier); `None` if one was still open
    /// [`watch_after`] later, or none was opened.
    pub close: Option<f64>,
    /// Alerts on an affected event type (or "*") after its first during the outage (an
    /// episode that closed and opened again while the outage went on), and one more if
    /// both "*" and an affected event type were alerted.
    pub again: usize,
}

/// Runs `trials` outages per source, kind and duration, seeded; returns the Markdown and
/// every trial, real series first.
pub fn run(data: &Path, seed: u64, trials: usize) -> Result<(String, Vec<Trial>, Vec<Trial>)> {
    let mut real = Vec::new();
    for (prefix, n) in REAL {
        for i in 1..=n {
            let rec = Recorded::load(data, &format!("{prefix}-{i:02}"))?;
            // After the detector's two learning weeks (the pre-roll, for short series).
            let history = if rec.first > 0 { 15 * DAY } else { 21 * DAY };
            let from = (history / rec.series.step_secs) as usize;
            real.push(Source {
                series: rec.series,
                recorded: true,
                labelled: rec.labelled,
                from,
            });
        }
    }
    let synthetic: Vec<Source> = shops(seed, 1)
        .into_iter()
        .map(|(_, shop)| {
            let series = shop.generate(START, 60, (4 * WEEK / 60) as usize);
            let labelled = vec![false; series.len()];
            Source {
                series,
                recorded: false,
                labelled,
                from: (3 * WEEK / 60) as usize,
            }
        })
        .collect();

    let mut rng = Pcg64::seed_from_u64(seed);
    let real_kinds = [Kind::All(0.0), Kind::All(0.3), Kind::All(0.5)];
    let shop_kinds = [
        Kind::All(0.0),
        Kind::One(0.0),
        Kind::One(0.3),
        Kind::One(0.5),
        Kind::January,
        Kind::OneInCampaign(0.3),
        Kind::OneInCampaign(0.5),
    ];
    let real_plans = plan(&real, &real_kinds, trials, &mut rng);
    let shop_plans = plan(&synthetic, &shop_kinds, trials, &mut rng);
    let real_trials = par_map(&real_plans, |p| trial(&real[p.source], p));
    let shop_trials = par_map(&shop_plans, |p| trial(&synthetic[p.source], p));

    let markdown = format!(
        "Onsets at random buckets (nights included), after 15 days of history on the real \
         series (pre-roll included) and 3 weeks on the shops, away from labelled points. Real \
         series: every file of consumer-purchase-rate, ecommerce-api-incoming-rps, \
         mongodb-application-rps and data-ingress-rate; whole counts are thinned binomially, \
         rates scaled; outages shorter than a bucket are skipped. Expected per bucket = the \
         affected event types' expected count in the onset bucket (real series: the value the \
         onset bucket had before the injection). Caught = an alert on an affected event type \
         or on \"*\" raised by the data of the outage's buckets. Alerted again = runs where an \
         affected event type (or \"*\") was alerted more than once during the outage (its \
         episode closed and opened again while the outage went on), or both \"*\" and an \
         affected event type were. Closed after the outage = over caught runs, from the end of \
         the outage to the end of the bucket whose data closed the last episode it opened (0 \
         if all closed earlier); runs with one still open an hour later (a day, for hourly \
         buckets) are counted apart.\n\n\
         #### Real series\n\n{}\nBy series, all durations and expected counts together:\n\n{}\n\
         #### Synthetic shops\n\nOne shop of each size (0.5, 5, 50, 500 \"View Content\" per \
         minute at the weekly peak), minute buckets.\n\n{}",
        summary(&real_trials, true),
        by_series(&real, &real_plans, &real_trials, &real_kinds),
        summary(&shop_trials, false)
    );
    Ok((markdown, real_trials, shop_trials))
}

/// Onsets at random buckets (nights included) after the source's history, away from
/// labelled points, with the window ending at least an hour before the data does.
fn plan(sources: &[Source], kinds: &[Kind], trials: usize, rng: &mut Pcg64) -> Vec<Plan> {
    let mut plans = Vec::new();
    for (s, source) in sources.iter().enumerate() {
        let series = &source.series;
        let step = series.step_secs;
        for &kind in kinds {
            for duration in DURATIONS.into_iter().filter(|&d| d >= step) {
                let span = ((duration + 3600) / step) as usize + 1;
                let last = series.len().saturating_sub(span);
                for _ in 0..trials {
                    let Some(onset) = (0..1000)
                        .map(|_| rng.random_range(source.from..last.max(source.from + 1)))
                        .find(|&b| {
                            let near = b.saturating_sub(span)..(b + 2 * span).min(series.len());
                            !source.labelled[near].contains(&true) && !series.row(b)[0].is_nan()
                        })
                    else {
                        continue;
                    };
                    let events = match kind {
                        Kind::All(_) => series.events.clone(),
                        Kind::One(_) | Kind::OneInCampaign(_) => {
                            vec![series.events[rng.random_range(0..series.events.len())].clone()]
                        }
                        Kind::January => JANUARY.iter().map(|e| (*e).to_owned()).collect(),
                    };
                    plans.push(Plan {
                        source: s,
                        kind,
                        duration,
                        onset,
                        events,
                    });
                }
            }
        }
    }
    plans
}

fn trial(source: &Source, plan: &Plan) -> Trial {
    let mut series = source.series.clone();
    let before = if source.recorded {
        series.row(plan.onset)
    } else {
        series.expected_row(plan.onset)
    };
    let names: Vec<&str> = plan.events.iter().map(String::as_str).collect();
    let columns: Vec<usize> = names.iter().filter_map(|n| series.event_index(n)).collect();
    let mut expected: f64 = columns.iter().map(|&c| before[c]).sum();
    let step = series.step_secs;
    let onset = series.bucket_start(plan.onset);
    let factor = match plan.kind {
        Kind::All(f) | Kind::One(f) | Kind::OneInCampaign(f) => f,
        Kind::January => 0.0,
    };
    if matches!(plan.kind, Kind::OneInCampaign(_)) {
        series.add_campaign(Campaign {
            start: onset - CAMPAIGN_MARGIN_SECS,
            duration_secs: plan.duration + 2 * CAMPAIGN_MARGIN_SECS,
            multiplier: CAMPAIGN_MULTIPLIER,
        });
        // What the broken event type would have carried with the campaign.
        expected *= CAMPAIGN_MULTIPLIER;
    }
    series.inject(&Outage::events(&names, onset, plan.duration, factor));
    // Up to the end of the bucket holding the outage's last second.
    let end = plan.onset + ((plan.duration + step - 1) / step) as usize;
    // On after the outage, to see when the detector calls it over.
    let raised = replay_raised(&series, end + watch_after(step));
    let alerts: Vec<_> = raised.iter().map(|(_, a)| a.clone()).collect();
    let until = series.bucket_start(end);
    let first = first_alert(&alerts, &names, onset, until);
    let during = || opened(&alerts).filter(|a| a.detected_at > onset && a.detected_at <= until);
    let others = during()
        .filter(|a| a.event != POOLED && !names.contains(&a.event.as_str()))
        .count();
    let alerted = |name: &str| during().filter(|a| a.event == name).count();
    let affected: Vec<usize> = names.iter().map(|name| alerted(name)).collect();
    let pooled = alerted(POOLED);
    // "*" as well as an affected event type is one alert too many either way round.
    let again = affected
        .iter()
        .chain([&pooled])
        .map(|n| n.saturating_sub(1))
        .sum::<usize>()
        + usize::from(pooled > 0 && affected.iter().any(|&n| n > 0));
    let closed_at = |episode: &Alert| {
        raised.iter().find_map(|(at, a)| {
            (a.phase == AlertPhase::Closed && a.event == episode.event && a.start == episode.start)
                .then_some(*at)
        })
    };
    let close = during()
        .filter(|a| a.event == POOLED || names.contains(&a.event.as_str()))
        .map(closed_at)
        .collect::<Option<Vec<i64>>>()
        .and_then(|ats| ats.into_iter().max())
        .map(|at| (at - until).max(0) as f64 / step as f64);
    Trial {
        kind: plan.kind,
        duration: plan.duration,
        step_secs: step,
        expected,
        delay: first.map(|a| (a.detected_at - onset) as f64 / step as f64),
        pooled: first.is_some_and(|a| a.event == POOLED && series.events.len() > 1),
        close,
        others,
        again,
    }
}

/// How many buckets after an outage the run goes on, to see its episodes close: an
/// hour, or a day of hourly buckets.
fn watch_after(step_secs: i64) -> usize {
    (3600 / step_secs).max(24) as usize
}

/// Caught runs per real series and outage kind.
fn by_series(sources: &[Source], plans: &[Plan], trials: &[Trial], kinds: &[Kind]) -> String {
    let rows: Vec<Vec<String>> = sources
        .iter()
        .enumerate()
        .map(|(s, source)| {
            let mut row = vec![source.series.events[0].clone()];
            for &kind in kinds {
                let delays: Vec<Option<f64>> = plans
                    .iter()
                    .zip(trials)
                    .filter(|(p, _)| p.source == s && p.kind == kind)
                    .map(|(_, t)| t.delay)
                    .collect();
                let step_secs = source.series.step_secs;
                row.push(
                    Delays {
                        delays: &delays,
                        step_secs,
                    }
                    .rate(),
                );
            }
            row
        })
        .collect();
    let labels: Vec<String> = kinds
        .iter()
        .map(|k| format!("caught {}", k.label(true)))
        .collect();
    let header: Vec<&str> = std::iter::once("series")
        .chain(labels.iter().map(String::as_str))
        .collect();
    table(&header, &rows)
}

fn summary(trials: &[Trial], single_stream: bool) -> String {
    let mut steps: Vec<i64> = trials.iter().map(|t| t.step_secs).collect();
    steps.sort_unstable();
    steps.dedup();
    let mut kinds: Vec<Kind> = Vec::new();
    for t in trials {
        if !kinds.contains(&t.kind) {
            kinds.push(t.kind);
        }
    }
    let mut rows = Vec::new();
    for &step in &steps {
        for &kind in &kinds {
            for length in DURATIONS {
                for b in BANDS {
                    let group: Vec<&Trial> = trials
                        .iter()
                        .filter(|t| t.step_secs == step && t.kind == kind && t.duration == length)
                        .filter(|t| band(t.expected) == b)
                        .collect();
                    if group.is_empty() {
                        continue;
                    }
                    let delays: Vec<Option<f64>> = group.iter().map(|t| t.delay).collect();
                    let d = Delays {
                        delays: &delays,
                        step_secs: step,
                    };
                    let mut row = vec![
                        duration(step as f64),
                        kind.label(single_stream),
                        duration(length as f64),
                        b.to_owned(),
                        d.rate(),
                        d.quantile(0.5),
                        d.quantile(0.95),
                    ];
                    let closes: Vec<Option<f64>> = group
                        .iter()
                        .filter(|t| t.delay.is_some())
                        .map(|t| t.close)
                        .collect();
                    let closed = Delays {
                        delays: &closes,
                        step_secs: step,
                    };
                    row.push(format!(
                        "{}, p95 {}",
                        closed.quantile_time(0.5),
                        closed.quantile_time(0.95)
                    ));
                    row.push((closes.len() - closed.caught()).to_string());
                    row.push(group.iter().filter(|t| t.again > 0).count().to_string());
                    if !single_stream {
                        row.push(group.iter().filter(|t| t.pooled).count().to_string());
                        row.push(group.iter().map(|t| t.others).sum::<usize>().to_string());
                    }
                    rows.push(row);
                }
            }
        }
    }
    let mut header = vec![
        "bucket",
        "outage",
        "duration",
        "expected per bucket",
        "caught",
        "median delay, buckets (time)",
        "p95 delay",
        "closed after the outage, median",
        "still open 1 h (24 buckets) after",
        "alerted again",
    ];
    if !single_stream {
        header.extend(["caught on \"*\"", "alerts on untouched events"]);
    }
    let again = trials.iter().filter(|t| t.again > 0).count();
    format!(
        "{}\nAlerted again in {again} of {} runs.\n",
        table(&header, &rows),
        trials.len()
    )
}
