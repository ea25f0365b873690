//! Vendor status, probe and canary incidents: no counts, only a severity and a time.

use super::money::{duration, percent};
use super::{Context, Figures, HourImpact, ModelKind};

pub(super) fn figures(ctx: &Context) -> Figures {
    if ctx.model.kind == ModelKind::ConversionValue {
        // A status page says nothing about how many conversions were lost.
        return ctx.no_estimate(
            vec!["conversion counts from a volume monitor".into()],
            "the conversion-value model needs conversion counts (a volume monitor)".into(),
        );
    }
    let Some(weight) = ctx.model.severity_weights.weight(ctx.incident.severity) else {
        return ctx.no_estimate(vec!["severity unknown".into()], "severity unknown".into());
    };
    let per_hour = ctx.model.hourly_rate * weight;
    let amount = per_hour * ctx.hours;
    Figures {
        amount: Some(amount),
        summary: format!(
            "est. {} · {} × {}/h × {} of funnel",
            ctx.money(amount),
            duration(ctx.hours),
            ctx.money(ctx.model.hourly_rate),
            percent(weight),
        ),
        missing_inputs: Vec::new(),
        funnel_share: Some(weight),
        missing_conversions: None,
        by_event: Vec::new(),
        by_hour: ctx
            .clock_hours
            .iter()
            .map(|&(start, hours)| HourImpact {
                start,
                hours,
                missing: None,
                amount: Some(per_hour * hours),
                by_event: Vec::new(),
            })
            .collect(),
    }
}
