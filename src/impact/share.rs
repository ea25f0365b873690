//! The hourly-rate model for volume incidents: each hour costs the rate × the share of
//! the funnel lost in it.
//!
//! The share is what the affected event types lost against what the whole funnel was
//! expected to bring: weighted by value per conversion when every event type has one
//! (a lost payment costs more than a lost add-to-cart), else with equal weight per
//! event type, and the summary says which.

use super::grid::{self, Cell, Row};
use super::money::{duration, percent};
use super::{Context, EventImpact, Figures, HourImpact, Model};
use crate::detect::POOLED;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Weighting {
    Value,
    Equal,
}

pub(super) fn from_series(ctx: &Context, rows: &[Row], affected: &[String]) -> Figures {
    let weighting = weighting(ctx.model, rows.iter().map(|r| r.event.as_str()));
    let hit: Vec<&Row> = rows
        .iter()
        .filter(|r| affected.contains(&r.event))
        .collect();
    let known: Vec<Option<Vec<f64>>> = (0..ctx.clock_hours.len())
        .map(|i| hour_shares(ctx.model, rows, &hit, i, weighting))
        .collect();
    let average = average(ctx, &known, hit.len());
    // Hours the detector has not judged yet (the bucket in progress while open) are
    // assumed to lose what the judged hours lost, so the live figure keeps growing.
    let shares: Vec<Vec<f64>> = known
        .iter()
        .map(|s| s.clone().unwrap_or_else(|| average.clone()))
        .collect();
    let missing: Vec<Option<f64>> = (0..ctx.clock_hours.len())
        .map(|i| hour_missing(&hit, i))
        .collect();
    let names: Vec<String> = hit.iter().map(|r| r.event.clone()).collect();
    let by_hour = by_hour(ctx, &names, &shares, &missing);
    let cells: Vec<Cell> = hit.iter().map(|r| r.total()).collect();
    let note = match weighting {
        Weighting::Value => "",
        Weighting::Equal => " (equal weight per event type)",
    };
    finish(ctx, &names, &cells, by_hour, average.iter().sum(), note)
}

/// Without the series, the drops' totals are all there is; the unaffected event types'
/// volume is unknown, so the share is judged among the affected ones only.
pub(super) fn from_drops(ctx: &Context) -> Figures {
    let totals = grid::drop_totals(ctx.incident);
    if totals.is_empty() {
        return ctx.no_counts();
    }
    let pooled = totals.iter().find(|(e, c)| e == POOLED && c.expected > 0.0);
    let mut missing_inputs = Vec::new();
    let (shares, note) = match pooled {
        // All events together are the whole funnel: no weighting to guess.
        Some((_, c)) => {
            let only_pooled = |(e, _): &(String, Cell)| {
                if e == POOLED {
                    c.missing / c.expected
                } else {
                    0.0
                }
            };
            (totals.iter().map(only_pooled).collect(), "")
        }
        None => {
            missing_inputs.push(
                "the volume of every event type (share judged among the affected ones only)"
                    .to_owned(),
            );
            affected_only(ctx.model, &totals)
        }
    };
    let names: Vec<String> = totals.iter().map(|(e, _)| e.clone()).collect();
    let cells: Vec<Cell> = totals.iter().map(|(_, c)| *c).collect();
    let hourly = vec![shares.clone(); ctx.clock_hours.len()];
    let by_hour = by_hour(ctx, &names, &hourly, &vec![None; ctx.clock_hours.len()]);
    let mut figures = finish(ctx, &names, &cells, by_hour, shares.iter().sum(), note);
    figures.missing_inputs = missing_inputs;
    figures
}

fn affected_only(model: &Model, totals: &[(String, Cell)]) -> (Vec<f64>, &'static str) {
    let named: Vec<&(String, Cell)> = totals.iter().filter(|(e, _)| e != POOLED).collect();
    let weighting = weighting(model, named.iter().map(|(e, _)| e.as_str()));
    let value = |e: &str| model.value_of(e).unwrap_or(0.0);
    let denominator: f64 = named.iter().map(|(e, c)| value(e) * c.expected).sum();
    let share = |(e, c): &(String, Cell)| match weighting {
        _ if e == POOLED => 0.0,
        Weighting::Value if denominator > 0.0 => value(e) * c.missing / denominator,
        _ if c.expected > 0.0 => c.missing / c.expected / named.len() as f64,
        _ => 0.0,
    };
    let note = match weighting {
        Weighting::Value if denominator > 0.0 => " (affected event types only, by value)",
        _ => " (affected event types only, equal weight per event type)",
    };
    (totals.iter().map(share).collect(), note)
}

/// By value only when every event type has one: otherwise the ones without a value
/// would silently count as worthless.
fn weighting<'a>(model: &Model, mut events: impl Iterator<Item = &'a str>) -> Weighting {
    let mut any = false;
    let all_valued = events.all(|e| {
        any = true;
        model.value_of(e).is_some()
    });
    if any && all_valued {
        Weighting::Value
    } else {
        Weighting::Equal
    }
}

/// Each affected event type's part of the funnel lost in hour `i`; `None` when no
/// event type was judged in that hour.
fn hour_shares(
    model: &Model,
    rows: &[Row],
    hit: &[&Row],
    i: usize,
    weighting: Weighting,
) -> Option<Vec<f64>> {
    rows.iter().find_map(|r| r.expected[i])?;
    let value = |r: &Row| model.value_of(&r.event).unwrap_or(0.0);
    let denominator: f64 = rows
        .iter()
        .filter_map(|r| r.expected[i].map(|e| value(r) * e))
        .sum();
    let share = |r: &&Row| match (r.down[i], r.expected[i], weighting) {
        (Some(c), _, Weighting::Value) if denominator > 0.0 => value(r) * c.missing / denominator,
        (Some(c), Some(e), Weighting::Equal) if e > 0.0 => c.missing / e / rows.len() as f64,
        _ => 0.0,
    };
    Some(hit.iter().map(share).collect())
}

/// Each event type's share, averaged over the judged hours by their length.
fn average(ctx: &Context, known: &[Option<Vec<f64>>], events: usize) -> Vec<f64> {
    let mut sum = vec![0.0; events];
    let mut hours = 0.0;
    for (shares, (_, h)) in known.iter().zip(&ctx.clock_hours) {
        if let Some(shares) = shares {
            hours += h;
            sum.iter_mut().zip(shares).for_each(|(s, x)| *s += h * x);
        }
    }
    sum.into_iter()
        .map(|s| if hours > 0.0 { s / hours } else { 0.0 })
        .collect()
}

fn hour_missing(hit: &[&Row], i: usize) -> Option<f64> {
    let cells: Vec<Cell> = hit.iter().filter_map(|r| r.down[i]).collect();
    (!cells.is_empty()).then(|| cells.iter().map(|c| c.missing).sum())
}

fn by_hour(
    ctx: &Context,
    names: &[String],
    shares: &[Vec<f64>],
    missing: &[Option<f64>],
) -> Vec<HourImpact> {
    let rate = ctx.model.hourly_rate;
    ctx.clock_hours
        .iter()
        .zip(shares.iter().zip(missing))
        .map(|(&(start, hours), (shares, &missing))| {
            let by_event: Vec<(String, f64)> = names
                .iter()
                .zip(shares)
                .map(|(e, s)| (e.clone(), rate * hours * s))
                .collect();
            HourImpact {
                start,
                hours,
                missing,
                amount: Some(by_event.iter().map(|(_, a)| a).sum()),
                by_event,
            }
        })
        .collect()
}

fn finish(
    ctx: &Context,
    names: &[String],
    cells: &[Cell],
    by_hour: Vec<HourImpact>,
    funnel_share: f64,
    note: &str,
) -> Figures {
    let amount: f64 = by_hour.iter().filter_map(|h| h.amount).sum();
    let by_event = names
        .iter()
        .zip(cells)
        .map(|(name, c)| EventImpact {
            event: name.clone(),
            expected: c.expected,
            observed: c.observed,
            missing: c.missing,
            value: ctx.model.value_of(name),
            amount: Some(event_amount(&by_hour, name)),
            calibration: None,
        })
        .collect();
    Figures {
        amount: Some(amount),
        summary: format!(
            "est. {} · {} × {}/h × {} of funnel{note}",
            ctx.money(amount),
            duration(ctx.hours),
            ctx.money(ctx.model.hourly_rate),
            percent(funnel_share),
        ),
        missing_inputs: Vec::new(),
        funnel_share: Some(funnel_share),
        missing_conversions: Some(missing_total(names, cells)),
        by_event,
        by_hour,
    }
}

fn event_amount(by_hour: &[HourImpact], event: &str) -> f64 {
    let parts = by_hour.iter().flat_map(|h| &h.by_event);
    parts.filter(|(e, _)| e == event).map(|(_, a)| a).sum()
}

/// The pooled stream already holds every event type's conversions: counting the
/// named ones beside it would count them twice.
fn missing_total(names: &[String], cells: &[Cell]) -> f64 {
    let pooled = names.iter().position(|n| n == POOLED);
    match pooled {
        Some(i) => cells[i].missing,
        None => cells.iter().map(|c| c.missing).sum(),
    }
}
