//! One CSV row per incident, for spreadsheets and reconciliation scripts.

use super::Row;

const HEADER: [&str; 21] = [
    "id",
    "monitor",
    "monitor_id",
    "kind",
    "severity",
    "title",
    "start",
    "detected",
    "end",
    "duration_minutes",
    "affected",
    "missing_conversions",
    "estimated_impact",
    "currency",
    "impact_model",
    "impact_summary",
    "impact_final",
    "likely_cause",
    "acknowledged_by",
    "acknowledged_at",
    "acknowledgement_note",
];

pub fn render(rows: &[Row]) -> String {
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record(HEADER).expect("writing to memory");
    for r in rows {
        let text = |s: &str| spreadsheet_safe(s);
        let opt = |s: &Option<String>| s.as_deref().map(spreadsheet_safe).unwrap_or_default();
        out.write_record([
            r.id.to_string(),
            text(&r.monitor),
            text(&r.monitor_id),
            r.kind.to_owned(),
            r.severity.to_owned(),
            text(&r.title),
            r.start.clone(),
            r.detected.clone(),
            r.end.clone().unwrap_or_default(),
            number(Some(r.duration_minutes)),
            text(&r.affected.join("; ")),
            number(r.missing_conversions),
            number(r.estimated_impact),
            r.currency.clone().unwrap_or_default(),
            r.impact_model.unwrap_or_default().to_owned(),
            opt(&r.impact_summary),
            r.impact_final.to_string(),
            opt(&r.likely_cause),
            opt(&r.acknowledged_by),
            r.acknowledged_at.clone().unwrap_or_default(),
            opt(&r.acknowledgement_note),
        ])
        .expect("writing to memory");
    }
    String::from_utf8(out.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
}

/// At most two decimals, none when whole; empty when unknown (never a made-up 0).
fn number(n: Option<f64>) -> String {
    match n {
        Some(n) if n.is_finite() => {
            let rounded = (n * 100.0).round() / 100.0;
            format!("{rounded}")
        }
        _ => String::new(),
    }
}

/// Vendor text and notes are free text: a cell starting with `=`, `+`, `-` or `@`
/// would run as a formula when the CSV is opened in a spreadsheet.
fn spreadsheet_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}
