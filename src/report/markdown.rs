//! A Markdown report to paste into a post-mortem: summary, timeline, impact, and
//! what each incident affected.

use super::{duration_text, Report};
use crate::impact::{amounts_text, format_money, Period, PeriodTotal};
use crate::incident::Incident;
use chrono::TimeZone;
use std::collections::BTreeMap;
use std::fmt::{Display, Write};

pub fn render<Tz: TimeZone>(r: &Report<'_, Tz>) -> String
where
    Tz::Offset: Display,
{
    let mut md = String::new();
    let rows = r.rows();
    let from = r
        .since
        .map(|t| r.local(t))
        .unwrap_or_else(|| "the first record".to_owned());
    let _ = writeln!(md, "# Flatline incident report\n");
    let _ = writeln!(
        md,
        "{} to {}. Times are {} ({}).\n",
        from,
        r.local(r.until),
        cell(r.zone_name),
        r.offset(r.until)
    );

    let _ = writeln!(md, "## Summary\n");
    if rows.is_empty() {
        let _ = writeln!(md, "No incidents in this period.");
        return md;
    }
    let open = r.incidents.iter().filter(|i| i.is_open()).count();
    let minutes: f64 = rows.iter().map(|row| row.duration_minutes).sum();
    let acked = r
        .incidents
        .iter()
        .filter(|i| i.acknowledgement.is_some())
        .count();
    let _ = writeln!(
        md,
        "- {} incident{} ({} still open), {} in all",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        open,
        duration_text(minutes)
    );
    let days = r.totals(Period::Day);
    let _ = writeln!(
        md,
        "- Estimated impact: {}",
        amounts_text(&sum_totals(&days)).unwrap_or_else(|| "no estimate".to_owned())
    );
    let without: usize = r.incidents.iter().filter(|i| estimate_missing(i)).count();
    if without > 0 {
        let _ = writeln!(
            md,
            "- {without} incident{} without an estimate (inputs missing; see Impact)",
            if without == 1 { "" } else { "s" }
        );
    }
    let missing: f64 = rows.iter().filter_map(|row| row.missing_conversions).sum();
    if rows.iter().any(|row| row.missing_conversions.is_some()) {
        let _ = writeln!(md, "- Missing conversions: {}", missing.round());
    }
    let _ = writeln!(md, "- Acknowledged: {acked} of {}", rows.len());
    let _ = writeln!(
        md,
        "\nOverlapping incidents on the same events are counted once in the totals.\n"
    );

    let _ = writeln!(md, "## Timeline\n");
    let _ = writeln!(
        md,
        "| # | Monitor | Kind | Severity | Start | Detected | End | Duration |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for i in r.incidents {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            i.id,
            cell(&i.monitor_name),
            i.kind.as_str().replace('_', " "),
            i.severity.label(),
            r.local(i.started_at),
            r.local(i.detected_at),
            i.ended_at
                .map(|t| r.local(t))
                .unwrap_or_else(|| "ongoing".to_owned()),
            duration_text(i.duration(r.generated_at).num_minutes() as f64),
        );
    }

    let _ = writeln!(md, "\n## Impact\n");
    let _ = writeln!(md, "| # | Incident | Estimate | Model and inputs |");
    let _ = writeln!(md, "|---|---|---|---|");
    for i in r.incidents {
        let (figure, how) = match &i.impact {
            Some(e) => (
                e.amount
                    .map(|a| format_money(a, &e.currency))
                    .unwrap_or_else(|| "no estimate".to_owned()),
                format!(
                    "{}{}",
                    e.summary,
                    if e.is_final { "" } else { " (still growing)" }
                ),
            ),
            None => ("no estimate".to_owned(), "not computed".to_owned()),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            i.id,
            cell(&i.title),
            figure,
            cell(&how)
        );
    }
    if days.len() > 1 {
        let _ = writeln!(md, "\n| Day | Incidents | Estimated impact |");
        let _ = writeln!(md, "|---|---|---|");
        for d in &days {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                d.label,
                d.incidents,
                d.amount_text().unwrap_or_else(|| "–".to_owned())
            );
        }
    }

    let _ = writeln!(md, "\n## What was affected\n");
    for i in r.incidents {
        affected_section(&mut md, r, i);
    }
    md
}

fn affected_section<Tz: TimeZone>(md: &mut String, r: &Report<'_, Tz>, i: &Incident)
where
    Tz::Offset: Display,
{
    let _ = writeln!(md, "### #{} {}\n", i.id, cell(&i.title));
    let _ = writeln!(md, "- {}", cell(&i.summary));
    for d in &i.drops {
        let name = if d.event == crate::detect::POOLED {
            "All events"
        } else {
            &d.event
        };
        let _ = writeln!(
            md,
            "- {}: {} expected, {} seen, {} missing ({} {})",
            cell(name),
            d.expected.round(),
            d.observed.round(),
            d.missing().round(),
            d.kind.as_str().replace('_', " "),
            r.local(d.start),
        );
    }
    if !i.kind.is_volume() && !i.components.is_empty() {
        let _ = writeln!(md, "- Components: {}", cell(&i.components.join(", ")));
    }
    if let Some(c) = &i.cause {
        let _ = writeln!(md, "- Likely cause: #{} {}", c.incident_id, cell(&c.title));
    }
    if let Some(e) = &i.impact {
        for m in &e.missing_inputs {
            let _ = writeln!(md, "- Estimate: {}", cell(m));
        }
    }
    match &i.acknowledgement {
        Some(a) => {
            let note = a
                .note
                .as_deref()
                .map(|n| format!(": “{}”", cell(n)))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "- Acknowledged by {} at {}{}",
                cell(&a.by),
                r.local(a.at),
                note
            );
        }
        None => {
            let _ = writeln!(md, "- Not acknowledged");
        }
    }
    if let Some(url) = &i.url {
        let _ = writeln!(md, "- Vendor page: <{}>", url.replace('>', "%3E"));
    }
    for u in i.updates.iter().rev() {
        let _ = writeln!(
            md,
            "- {} {}: {}",
            r.local(u.at),
            cell(&u.status),
            cell(&u.body)
        );
    }
    md.push('\n');
}

fn estimate_missing(i: &Incident) -> bool {
    i.impact.as_ref().is_none_or(|e| e.amount.is_none())
}

fn sum_totals(days: &[PeriodTotal]) -> BTreeMap<String, f64> {
    let mut sum = BTreeMap::new();
    for d in days {
        for (currency, amount) in &d.amounts {
            *sum.entry(currency.clone()).or_insert(0.0) += amount;
        }
    }
    sum
}

/// Text from vendors and people, made inert for a Markdown table or list: no HTML,
/// no table breaks, no line breaks, no link or emphasis syntax taking effect.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
