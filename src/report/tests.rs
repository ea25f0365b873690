use super::*;
use crate::detect::AlertKind;
use crate::health::Health;
use crate::impact::{estimate, Model};
use crate::incident::{Acknowledgement, EventDrop, IncidentKind, IncidentUpdate};
use chrono::FixedOffset;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn incident(id: i64, kind: IncidentKind, start: &str, end: Option<&str>) -> Incident {
    Incident {
        id,
        monitor_id: "segment".into(),
        monitor_name: "Segment".into(),
        kind,
        severity: Health::PartialOutage,
        title: "Segment: partial outage".into(),
        summary: "Connections (Destinations): partial outage".into(),
        started_at: at(start),
        detected_at: at(start) + chrono::Duration::minutes(2),
        ended_at: end.map(at),
        components: vec!["Connections (Destinations)".into()],
        url: Some("https://status.segment.com/incidents/abc".into()),
        updates: vec![IncidentUpdate {
            at: at(start),
            status: "investigating".into(),
            body: "<b>Delays</b> | retries = on".into(),
        }],
        acknowledgement: None,
        drops: Vec::new(),
        cause: None,
        checklist: Vec::new(),
        impact: None,
    }
}

fn priced(mut i: Incident, model: &Model, now: DateTime<Utc>) -> Incident {
    i.impact = Some(estimate(&i, None, model, now));
    i
}

/// A Segment partial outage of 1 h 36 min, priced at $800/h: $640.
fn segment_partial_outage_96_min() -> Incident {
    let status = incident(
        1,
        IncidentKind::VendorStatus,
        "2026-01-14T10:00:00Z",
        Some("2026-01-14T11:36:00Z"),
    );
    priced(status, &Model::default(), at("2026-01-16T00:00:00Z"))
}

fn berlin_winter() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap()
}

fn report<'a>(tz: &'a FixedOffset, incidents: &'a [Incident]) -> Report<'a, FixedOffset> {
    Report {
        tz,
        zone_name: "Europe/Berlin",
        since: Some(at("2026-01-14T00:00:00Z")),
        until: at("2026-01-16T00:00:00Z"),
        generated_at: at("2026-01-16T00:00:00Z"),
        incidents,
    }
}

#[test]
fn csv_has_one_row_per_incident_in_local_time_with_the_estimate_and_model() {
    let tz = berlin_winter();
    let incidents = [segment_partial_outage_96_min()];
    let csv = report(&tz, &incidents).render(Format::Csv);
    let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let get = |name: &str| rows[0][header.iter().position(|h| h == name).unwrap()].to_owned();
    assert_eq!(get("start"), "2026-01-14T11:00:00+01:00");
    assert_eq!(get("end"), "2026-01-14T12:36:00+01:00");
    assert_eq!(get("duration_minutes"), "96");
    assert_eq!(get("estimated_impact"), "640");
    assert_eq!(get("currency"), "USD");
    assert_eq!(get("impact_model"), "hourly_rate");
    assert!(
        get("impact_summary").starts_with("est. $640"),
        "{}",
        get("impact_summary")
    );
    assert_eq!(get("affected"), "Connections (Destinations)");
    assert_eq!(get("missing_conversions"), "");
}

#[test]
fn free_text_cannot_become_a_spreadsheet_formula() {
    let mut i = incident(2, IncidentKind::VendorStatus, "2026-01-14T10:00:00Z", None);
    i.title = "=HYPERLINK(\"http://x\")".into();
    i.acknowledgement = Some(Acknowledgement {
        by: "Dana".into(),
        at: at("2026-01-14T10:05:00Z"),
        note: Some("+1 paused bidding".into()),
    });
    let tz = berlin_winter();
    let incidents = [i];
    let csv = report(&tz, &incidents).render(Format::Csv);
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("'+1 paused bidding"), "{csv}");
}

#[test]
fn a_missing_estimate_is_empty_never_zero() {
    let model = Model {
        kind: crate::impact::ModelKind::ConversionValue,
        ..Model::default()
    };
    let mut volume = incident(
        3,
        IncidentKind::SilentOutage,
        "2026-01-14T10:00:00Z",
        Some("2026-01-14T13:00:00Z"),
    );
    volume.drops = vec![EventDrop {
        event: "Add to Cart".into(),
        kind: AlertKind::Silence,
        start: at("2026-01-14T10:00:00Z"),
        detected_at: at("2026-01-14T10:02:00Z"),
        end: Some(at("2026-01-14T13:00:00Z")),
        expected: 300.0,
        observed: 0.0,
        back_since: None,
    }];
    let volume = priced(volume, &model, at("2026-01-16T00:00:00Z"));
    assert_eq!(volume.impact.as_ref().unwrap().amount, None);
    let tz = berlin_winter();
    let incidents = [volume];
    let r = report(&tz, &incidents);
    let row = &r.rows()[0];
    assert_eq!(row.estimated_impact, None);
    assert_eq!(row.missing_conversions, Some(300.0));
    assert_eq!(row.affected, vec!["Add to Cart".to_owned()]);
    let md = r.render(Format::Markdown);
    assert!(md.contains("no estimate"), "{md}");
    assert!(!md.contains("$0"), "{md}");
    assert!(md.contains("Missing conversions: 300"), "{md}");
}

#[test]
fn markdown_states_the_zone_and_keeps_vendor_text_inert() {
    let tz = berlin_winter();
    let incidents = [segment_partial_outage_96_min()];
    let md = report(&tz, &incidents).render(Format::Markdown);
    for section in [
        "## Summary",
        "## Timeline",
        "## Impact",
        "## What was affected",
    ] {
        assert!(md.contains(section), "{section} missing:\n{md}");
    }
    assert!(md.contains("Times are Europe/Berlin (UTC+01:00)"), "{md}");
    assert!(md.contains("2026-01-14 11:00"), "local start:\n{md}");
    assert!(md.contains("Estimated impact: $640"), "{md}");
    // The vendor's HTML and table pipes are escaped, not rendered or split.
    assert!(
        md.contains("\\<b\\>Delays\\</b\\> \\| retries = on"),
        "{md}"
    );
    assert!(!md.contains("<b>"), "{md}");
}

#[test]
fn json_carries_rows_estimates_and_daily_totals() {
    let tz = berlin_winter();
    let incidents = [segment_partial_outage_96_min()];
    let json: serde_json::Value =
        serde_json::from_str(&report(&tz, &incidents).render(Format::Json)).unwrap();
    assert_eq!(json["time_zone"], "Europe/Berlin");
    assert_eq!(json["incidents"][0]["estimated_impact"], 640.0);
    assert_eq!(
        json["incidents"][0]["impact"]["model"]["hourly_rate"],
        800.0
    );
    let days = json["totals_per_day"].as_array().unwrap();
    let day = days.iter().find(|d| d["start"] == "2026-01-14").unwrap();
    assert_eq!(day["amounts"]["USD"], 640.0);
    assert_eq!(json["totals_per_week"][0]["start"], "2026-01-12");
    assert_eq!(json["totals_per_month"][0]["label"], "January 2026");
    assert_eq!(json["totals_per_month"][0]["amounts"]["USD"], 640.0);
}

#[test]
fn formats_parse_by_name() {
    assert_eq!("CSV".parse::<Format>(), Ok(Format::Csv));
    assert_eq!("md".parse::<Format>(), Ok(Format::Markdown));
    assert_eq!("markdown".parse::<Format>(), Ok(Format::Markdown));
    assert!("pdf"
        .parse::<Format>()
        .unwrap_err()
        .contains("csv, json or md"));
}

#[test]
fn a_saved_report_is_named_for_its_period_and_never_overwrites_one() {
    let dir = tempfile::tempdir().unwrap();
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let first = unused_path(
        dir.path(),
        Format::Markdown,
        Some(day("2026-11-01")),
        day("2026-11-23"),
    );
    assert_eq!(
        first.file_name().unwrap(),
        "flatline-incidents-2026-11-01-to-2026-11-23.md"
    );
    save(&first, "# one\n").unwrap();
    let second = unused_path(
        dir.path(),
        Format::Markdown,
        Some(day("2026-11-01")),
        day("2026-11-23"),
    );
    assert_eq!(
        second.file_name().unwrap(),
        "flatline-incidents-2026-11-01-to-2026-11-23-2.md"
    );
    save(&second, "# two\n").unwrap();
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "# one\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A directory that does not exist is an error, not a panic.
    assert!(save(&dir.path().join("missing/r.csv"), "x").is_err());
}
