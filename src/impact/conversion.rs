//! The conversion-value model: missing conversions × value per conversion ×
//! attribution, for the affected event types that have a value.

use super::grid::{self, Cell, Row};
use super::money::{count, percent};
use super::{Context, EventImpact, Figures, HourImpact};
use crate::detect::event_name;
use crate::detect::POOLED;

pub(super) fn from_series(ctx: &Context, rows: &[Row], affected: &[String]) -> Figures {
    let hit: Vec<&Row> = rows
        .iter()
        .filter(|r| affected.contains(&r.event))
        .collect();
    let by_hour = ctx
        .clock_hours
        .iter()
        .enumerate()
        .map(|(i, &(start, hours))| {
            let cells: Vec<(&str, Cell)> = hit
                .iter()
                .filter_map(|r| r.down[i].map(|c| (r.event.as_str(), c)))
                .collect();
            let missing = (!cells.is_empty()).then(|| cells.iter().map(|(_, c)| c.missing).sum());
            hour(ctx, start, hours, missing, &cells)
        })
        .collect();
    let totals: Vec<(String, Cell)> = hit.iter().map(|r| (r.event.clone(), r.total())).collect();
    finish(ctx, &totals, by_hour)
}

/// Without the series, the drops' totals, spread evenly over the window's hours.
pub(super) fn from_drops(ctx: &Context) -> Figures {
    let mut totals = grid::drop_totals(ctx.incident);
    // The pooled stream holds the named event types' conversions too.
    if totals.iter().any(|(e, _)| e != POOLED) {
        totals.retain(|(e, _)| e != POOLED);
    }
    if totals.is_empty() {
        return ctx.no_counts();
    }
    let by_hour = ctx
        .clock_hours
        .iter()
        .map(|&(start, hours)| {
            let part = if ctx.hours > 0.0 {
                hours / ctx.hours
            } else {
                0.0
            };
            let cells: Vec<(&str, Cell)> = totals
                .iter()
                .map(|(e, c)| (e.as_str(), scaled(*c, part)))
                .collect();
            hour(ctx, start, hours, None, &cells)
        })
        .collect();
    finish(ctx, &totals, by_hour)
}

fn scaled(c: Cell, by: f64) -> Cell {
    Cell {
        expected: c.expected * by,
        observed: c.observed * by,
        missing: c.missing * by,
    }
}

/// One clock hour: only the event types with a value add to its amount, and an hour
/// where none has one has no amount rather than a zero.
fn hour(
    ctx: &Context,
    start: chrono::DateTime<chrono::Utc>,
    hours: f64,
    missing: Option<f64>,
    cells: &[(&str, Cell)],
) -> HourImpact {
    let by_event: Vec<(String, f64)> = cells
        .iter()
        .filter_map(|(e, c)| worth(ctx, e, c.missing).map(|a| (e.to_string(), a)))
        .collect();
    let valued = cells.iter().any(|(e, _)| ctx.model.value_of(e).is_some());
    HourImpact {
        start,
        hours,
        missing,
        amount: valued.then(|| by_event.iter().map(|(_, a)| a).sum()),
        by_event,
    }
}

fn worth(ctx: &Context, event: &str, missing: f64) -> Option<f64> {
    let value = ctx.model.value_of(event)?;
    Some(missing * value * ctx.model.attribution)
}

fn finish(ctx: &Context, totals: &[(String, Cell)], by_hour: Vec<HourImpact>) -> Figures {
    let by_event: Vec<EventImpact> = totals
        .iter()
        .map(|(e, c)| EventImpact {
            event: e.clone(),
            expected: c.expected,
            observed: c.observed,
            missing: c.missing,
            value: ctx.model.value_of(e),
            amount: worth(ctx, e, c.missing),
            calibration: None,
        })
        .collect();
    let unvalued: Vec<&str> = by_event
        .iter()
        .filter(|e| e.value.is_none())
        .map(|e| event_name(&e.event))
        .collect();
    let missing_inputs = unvalued
        .iter()
        .map(|e| format!("no value per conversion for {e}"))
        .collect();
    let valued: Vec<&EventImpact> = by_event.iter().filter(|e| e.value.is_some()).collect();
    let amount = (!valued.is_empty()).then(|| valued.iter().filter_map(|e| e.amount).sum());
    let summary = match amount {
        None => format!(
            "no estimate: set a value per conversion for {}",
            unvalued.join(", ")
        ),
        Some(amount) => summary(ctx, amount, &valued, &unvalued),
    };
    Figures {
        amount,
        summary,
        missing_inputs,
        funnel_share: None,
        missing_conversions: Some(totals.iter().map(|(_, c)| c.missing).sum()),
        by_event,
        by_hour,
    }
}

/// "est. $3,055 · 47 missing Complete Payment × $65 × 100% attribution", naming the
/// event types left out for want of a value.
fn summary(ctx: &Context, amount: f64, valued: &[&EventImpact], unvalued: &[&str]) -> String {
    let missing: f64 = valued.iter().map(|e| e.missing).sum();
    let what = match valued {
        [one] => format!(
            "{} missing {} × {}",
            count(missing),
            event_name(&one.event),
            ctx.money(one.value.unwrap_or_default()),
        ),
        _ => format!("{} missing conversions × values per event", count(missing)),
    };
    let mut text = format!(
        "est. {} · {what} × {} attribution",
        ctx.money(amount),
        percent(ctx.model.attribution),
    );
    if !unvalued.is_empty() {
        text.push_str(&format!(" · no value for {}", unvalued.join(", ")));
    }
    text
}
