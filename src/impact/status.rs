//! Vendor status, probe and canary incidents: no counts, only a severity over time.

use super::money::{duration, percent};
use super::window::{Window, HOUR_MS};
use super::{Context, Figures, HourImpact, ModelKind};
use crate::health::Health;
use chrono::{DateTime, Utc};

pub(super) fn figures(
    ctx: &Context,
    window: &Window,
    healths: &[(DateTime<Utc>, Health)],
) -> Figures {
    if ctx.model.kind == ModelKind::ConversionValue {
        // A status page says nothing about how many conversions were lost.
        return ctx.no_estimate(
            vec!["conversion counts from a volume monitor".into()],
            "the conversion-value model needs conversion counts (a volume monitor)".into(),
        );
    }
    let weights = &ctx.model.severity_weights;
    // A readable check's weight; an unreadable monitor says nothing new.
    let known = |health: Health| weights.weight(health).filter(|_| health != Health::Unknown);
    // Checks before the first bad one are the page not yet admitting what the vendor
    // later dated earlier: from the start to the first bad check, that check's
    // severity is the best guess (the incident's worst if none was seen).
    let healths = match healths.iter().position(|(_, h)| h.is_problem()) {
        Some(first_bad) => &healths[first_bad..],
        None => &[][..],
    };
    let first_seen = healths.iter().find_map(|&(_, h)| known(h));
    let Some(opening) = first_seen.or_else(|| weights.weight(ctx.incident.severity)) else {
        return ctx.no_estimate(vec!["severity unknown".into()], "severity unknown".into());
    };
    // Each clock hour's share of the funnel lost, summed over the time inside it.
    let mut lost_hours = vec![0.0; ctx.clock_hours.len()];
    let mut weight = opening;
    let mut from = window.start_ms();
    let mut moved = false;
    for &(at, health) in healths {
        let at = at.timestamp_millis();
        for (i, ms) in window.split(from, at) {
            lost_hours[i] += weight * ms as f64 / HOUR_MS as f64;
        }
        from = from.max(at);
        if let Some(w) = known(health) {
            moved |= w != weight;
            weight = w;
        }
    }
    for (i, ms) in window.split(from, window.end_ms()) {
        lost_hours[i] += weight * ms as f64 / HOUR_MS as f64;
    }
    let rate = ctx.model.hourly_rate;
    let lost: f64 = lost_hours.iter().sum();
    let amount = lost * rate;
    let share = if ctx.hours > 0.0 {
        lost / ctx.hours
    } else {
        opening
    };
    Figures {
        amount: Some(amount),
        summary: format!(
            "est. {} · {} × {}/h × {} of funnel{}",
            ctx.money(amount),
            duration(ctx.hours),
            ctx.money(rate),
            percent(share),
            if moved {
                " (by severity over time)"
            } else {
                ""
            },
        ),
        missing_inputs: Vec::new(),
        funnel_share: Some(share),
        missing_conversions: None,
        by_event: Vec::new(),
        by_hour: ctx
            .clock_hours
            .iter()
            .zip(&lost_hours)
            .map(|(&(start, hours), lost)| HourImpact {
                start,
                hours,
                missing: None,
                amount: Some(rate * lost),
                by_event: Vec::new(),
            })
            .collect(),
    }
}
