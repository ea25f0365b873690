//! What an incident costs: the revenue-impact model.
//!
//! Pure: the caller passes the incident, the volume monitor's counts when it has them,
//! the model and the time, and gets back the figure with everything that went into
//! it. Two models:
//!
//! - **hourly rate**: hours × rate × the share of the funnel affected; for a vendor
//!   status incident, the share is its severity's weight; for a volume incident, the
//!   share of expected conversions (weighted by their value when every event type has
//!   one) that did not arrive, hour by hour;
//! - **conversion value**: missing conversions × value per conversion × attribution.
//!
//! A missing input gives no figure and says what is missing; never a made-up $0.

mod calibration;
mod conversion;
mod grid;
mod model;
mod money;
mod share;
mod status;
mod totals;
mod window;

#[cfg(test)]
mod tests;

pub use calibration::{calibration, HourFlow, CALIBRATION_DAYS};
pub use model::{
    Estimate, EventImpact, EventSeries, HourImpact, Model, ModelKind, SeriesPoint, SeverityWeights,
    VolumeSeries,
};
pub use money::format_money;
pub use totals::{amounts_text, totals, Period, PeriodTotal};

use crate::health::Health;
use crate::incident::Incident;
use chrono::{DateTime, Utc};
use grid::Row;
use window::Window;

/// The estimate for `incident` as of `now` (which only matters while it is open).
/// `series` is the volume monitor's counts for every event type over at least the
/// incident's window; without it a volume incident is judged from its drops' totals.
/// A status incident is taken at its worst severity throughout.
pub fn estimate(
    incident: &Incident,
    series: Option<&VolumeSeries>,
    model: &Model,
    now: DateTime<Utc>,
) -> Estimate {
    estimate_with(incident, series, &[], model, now)
}

/// The estimate of a vendor status, probe or canary incident whose severity moved
/// while it lasted: `healths` are the monitor's checks in the incident, oldest first,
/// each in force until the next. Before the first check the incident's severity
/// holds; a check that could not read the monitor keeps the severity before it.
pub fn estimate_status(
    incident: &Incident,
    healths: &[(DateTime<Utc>, Health)],
    model: &Model,
    now: DateTime<Utc>,
) -> Estimate {
    estimate_with(incident, None, healths, model, now)
}

fn estimate_with(
    incident: &Incident,
    series: Option<&VolumeSeries>,
    healths: &[(DateTime<Utc>, Health)],
    model: &Model,
    now: DateTime<Utc>,
) -> Estimate {
    let window = Window::of(incident, now);
    let ctx = Context {
        incident,
        model,
        hours: window.hours(),
        clock_hours: window.clock_hours(),
    };
    let figures = if !incident.kind.is_volume() {
        status::figures(&ctx, &window, healths)
    } else {
        let rows = series
            .map(|s| grid::rows(s, incident, &window, ctx.clock_hours.len()))
            .unwrap_or_default();
        volume_figures(&ctx, &rows)
    };
    Estimate {
        amount: figures.amount,
        currency: model.currency.clone(),
        model: model.clone(),
        summary: figures.summary,
        missing_inputs: figures.missing_inputs,
        hours: ctx.hours,
        funnel_share: figures.funnel_share,
        missing_conversions: figures.missing_conversions,
        by_event: figures.by_event,
        by_hour: figures.by_hour,
        is_final: incident.ended_at.is_some(),
        computed_at: now,
    }
}

fn volume_figures(ctx: &Context, rows: &[Row]) -> Figures {
    let all: Vec<String> = rows.iter().map(|r| r.event.clone()).collect();
    let affected = grid::affected(ctx.incident, &all);
    // The series is only worth using when it judged some bucket of an affected event.
    let judged = rows
        .iter()
        .any(|r| affected.contains(&r.event) && r.has_data());
    let mut figures = match (ctx.model.kind, judged) {
        (ModelKind::HourlyRate, true) => share::from_series(ctx, rows, &affected),
        (ModelKind::HourlyRate, false) => share::from_drops(ctx),
        (ModelKind::ConversionValue, true) => conversion::from_series(ctx, rows, &affected),
        (ModelKind::ConversionValue, false) => conversion::from_drops(ctx),
    };
    if judged {
        for e in &mut figures.by_event {
            e.calibration = rows
                .iter()
                .find(|r| r.event == e.event)
                .and_then(|r| r.calibration);
        }
    }
    figures
}

/// What every part of the model reads.
struct Context<'a> {
    incident: &'a Incident,
    model: &'a Model,
    hours: f64,
    clock_hours: Vec<(DateTime<Utc>, f64)>,
}

impl Context<'_> {
    fn money(&self, amount: f64) -> String {
        format_money(amount, &self.model.currency)
    }

    /// Every hour of the window with no figure: the estimate is missing an input.
    fn hours_without_amount(&self) -> Vec<HourImpact> {
        self.clock_hours
            .iter()
            .map(|&(start, hours)| HourImpact {
                start,
                hours,
                missing: None,
                amount: None,
                by_event: Vec::new(),
            })
            .collect()
    }

    fn no_estimate(&self, missing: Vec<String>, why: String) -> Figures {
        Figures {
            amount: None,
            summary: format!("no estimate: {why}"),
            missing_inputs: missing,
            funnel_share: None,
            missing_conversions: None,
            by_event: Vec::new(),
            by_hour: self.hours_without_amount(),
        }
    }

    /// A volume incident whose drops carry no counts and which has no series.
    fn no_counts(&self) -> Figures {
        self.no_estimate(
            vec!["conversion counts for the affected event types".into()],
            "no conversion counts for this incident".into(),
        )
    }
}

/// What one model worked out, before it becomes an [`Estimate`].
struct Figures {
    amount: Option<f64>,
    summary: String,
    missing_inputs: Vec<String>,
    funnel_share: Option<f64>,
    missing_conversions: Option<f64>,
    by_event: Vec<EventImpact>,
    by_hour: Vec<HourImpact>,
}
