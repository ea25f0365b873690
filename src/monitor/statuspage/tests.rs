use super::*;
use chrono::{DateTime, Utc};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/statuspage/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str, filter: &[&str]) -> Result<Reading, CheckError> {
    let filter: Vec<String> = filter.iter().map(|s| (*s).to_owned()).collect();
    read_summary(&fixture(name), Some("application/json"), &filter)
}

fn component<'a>(reading: &'a Reading, name: &str) -> &'a Component {
    reading
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name} in {:?}", reading.components))
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn an_all_green_page_is_operational() {
    let r = read("operational.json", &[]).unwrap();
    assert_eq!(r.health, Health::Operational);
    assert_eq!(r.summary, "All systems operational");
    assert!(r.vendor_incidents.is_empty());
    let names: Vec<&str> = r.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Connections (Destinations)",
            "Connections (Sources)",
            "Personas",
            "Tracking API"
        ],
        "groups are containers, not components"
    );
    assert_eq!(
        component(&r, "Connections (Destinations)").group.as_deref(),
        Some("Connections")
    );
    assert_eq!(component(&r, "Personas").group, None);
    assert_eq!(
        read("operational.json", &[" "]).unwrap(),
        r,
        "a blank name is no filter"
    );
}

#[test]
fn a_partial_outage_names_the_component_and_carries_the_incident() {
    let r = read("partial_outage.json", &[]).unwrap();
    assert_eq!(r.health, Health::PartialOutage);
    assert_eq!(r.summary, "Connections (Destinations): partial outage");
    assert_eq!(r.vendor_incidents.len(), 1);
    let incident = &r.vendor_incidents[0];
    assert_eq!(incident.id, "inc-dest-1");
    assert_eq!(incident.title, "Delays delivering to TikTok destination");
    assert_eq!(incident.status, "identified");
    assert_eq!(incident.health, Health::Degraded, "impact minor");
    assert!(!incident.maintenance);
    assert_eq!(incident.components, ["Connections (Destinations)"]);
    assert_eq!(incident.url.as_deref(), Some("https://stspg.io/seg-tiktok"));
    assert_eq!(incident.started_at, Some(utc("2026-01-14T16:40:00Z")));
    let ids: Vec<&str> = incident.updates.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["upd-dest-2", "upd-dest-1"], "newest first");
    assert_eq!(
        incident.updates[0].at,
        utc("2026-01-14T16:58:44Z"),
        "+05:30 offset"
    );
    assert_eq!(
        incident.updates[1].at,
        utc("2026-01-14T16:41:07.502Z"),
        "-08:00 offset"
    );
    assert_eq!(
        incident.updates[1].body,
        "We are investigating delays delivering events to the TikTok destination. Add to Cart & Initiate Checkout events are affected."
    );
    assert_eq!(
        incident.updates[0].body,
        "The issue has been identified: TikTok's API started rejecting batched requests. A fix is being rolled out — events are queued and will be replayed."
    );
}

#[test]
fn a_resolved_incident_no_longer_counts() {
    let r = read("resolved.json", &[]).unwrap();
    assert_eq!(r.health, Health::Operational);
    assert!(r.vendor_incidents.is_empty(), "{:?}", r.vendor_incidents);
}

#[test]
fn every_component_state_maps_onto_the_scale() {
    let r = read("every_state.json", &[]).unwrap();
    let expected = [
        ("Tracking API", Health::Operational, "operational"),
        ("Personas", Health::Maintenance, "under_maintenance"),
        ("Web App", Health::Degraded, "degraded_performance"),
        (
            "Connections (Destinations)",
            Health::PartialOutage,
            "partial_outage",
        ),
        ("Connections (Sources)", Health::MajorOutage, "major_outage"),
        ("Reverse ETL", Health::Degraded, "brownout"),
    ];
    assert_eq!(r.components.len(), expected.len());
    for (name, health, raw) in expected {
        let c = component(&r, name);
        assert_eq!((c.health, c.raw_status.as_str()), (health, raw), "{name}");
    }
    assert_eq!(r.health, Health::MajorOutage);
    assert_eq!(r.summary, "Connections (Sources): major outage");
}

#[test]
fn a_filter_counts_only_the_named_components_and_not_the_page_indicator() {
    for (name, health) in [
        ("Tracking API", Health::Operational),
        ("personas", Health::Maintenance),
        ("  WEB APP ", Health::Degraded),
        ("connections (destinations)", Health::PartialOutage),
        ("Reverse ETL", Health::Degraded),
    ] {
        let r = read("every_state.json", &[name]).unwrap();
        assert_eq!(r.health, health, "{name}: the page indicator says critical");
        assert_eq!(r.components.len(), 1, "{name}");
    }
    let r = read("every_state.json", &["Tracking API"]).unwrap();
    assert_eq!(r.summary, "Tracking API: operational");
    let r = read("every_state.json", &["Tracking API", "Personas"]).unwrap();
    assert_eq!(r.health, Health::Maintenance);
    assert_eq!(r.summary, "Personas: maintenance");
}

#[test]
fn a_group_name_brings_its_members() {
    let r = read("every_state.json", &["Connections"]).unwrap();
    let names: Vec<&str> = r.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["Connections (Destinations)", "Connections (Sources)"]
    );
    assert_eq!(r.health, Health::MajorOutage);
    // A member named as well is listed once.
    let r = read(
        "every_state.json",
        &["connections", "Connections (Sources)"],
    )
    .unwrap();
    assert_eq!(r.components.len(), 2);
}

#[test]
fn a_filter_matching_nothing_lists_the_page_components() {
    let err = read("every_state.json", &["Tracking API", "Conections"]).unwrap_err();
    let CheckError::Other { detail } = &err else {
        panic!("expected Other, got {err:?}")
    };
    assert!(detail.contains("\"Conections\""), "{detail}");
    assert!(
        !detail.contains("\"Tracking API\""),
        "only the missing name is blamed: {detail}"
    );
    for name in [
        "Tracking API",
        "Personas",
        "Connections",
        "Connections (Destinations)",
        "Reverse ETL",
    ] {
        assert!(detail.contains(name), "{name} missing from {detail}");
    }
}

#[test]
fn the_worst_signal_wins_when_the_page_disagrees_with_itself() {
    let r = read("disagreement.json", &[]).unwrap();
    assert!(r.components.iter().all(|c| c.health == Health::Operational));
    assert_eq!(
        r.health,
        Health::MajorOutage,
        "critical incident beats indicator none"
    );
    assert_eq!(
        r.summary,
        "Payments failing for some merchants & their customers"
    );
    let incident = &r.vendor_incidents[0];
    assert_eq!(incident.health, Health::MajorOutage);
    assert!(incident.components.is_empty());
}

#[test]
fn vendor_update_bodies_become_plain_text_in_time_order() {
    let r = read("disagreement.json", &[]).unwrap();
    let updates = &r.vendor_incidents[0].updates;
    let order: Vec<(&str, DateTime<Utc>)> = updates.iter().map(|u| (u.id.as_str(), u.at)).collect();
    assert_eq!(
        order,
        [
            ("upd-77-3", utc("2026-01-14T17:03:11.123Z")),
            ("upd-77-2", utc("2026-01-14T16:45:00Z")),
            ("upd-77-1", utc("2026-01-14T16:16:00Z")),
        ],
        "published out of order with -08:00, +05:30 and Z offsets"
    );
    assert_eq!(
        updates[0].body,
        "Root cause: an expired certificate on the gateway. Rotation ETA < 30 min."
    );
    assert_eq!(updates[1].body, "Error rate at 40% — still investigating.");
    assert_eq!(
        updates[2].body,
        "We’re investigating failed payments. Card payments Wallets"
    );
    assert!(
        updates.iter().all(|u| !u.body.contains("alert")),
        "scripts dropped"
    );
}

#[test]
fn a_filter_drops_incidents_that_do_not_touch_the_watched_components() {
    let r = read("disagreement.json", &["Checkout API"]).unwrap();
    assert_eq!(
        r.health,
        Health::Operational,
        "the incident lists no components"
    );
    assert!(r.vendor_incidents.is_empty());
    let r = read("partial_outage.json", &["Personas"]).unwrap();
    assert_eq!(r.health, Health::Operational);
    assert!(r.vendor_incidents.is_empty());
    let r = read("partial_outage.json", &["Connections"]).unwrap();
    assert_eq!(r.health, Health::PartialOutage);
    assert_eq!(r.vendor_incidents.len(), 1, "the group's member is touched");
}

#[test]
fn maintenance_in_progress_is_maintenance_and_completed_is_ignored() {
    let r = read("maintenance.json", &[]).unwrap();
    assert_eq!(r.health, Health::Maintenance);
    assert_eq!(r.summary, "Database: maintenance");
    let listed: Vec<(&str, &str)> = r
        .vendor_incidents
        .iter()
        .map(|v| (v.id.as_str(), v.status.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("mnt-db-upgrade", "in_progress"),
            ("mnt-dash-move", "scheduled"),
            ("mnt-sms-verify", "verifying")
        ]
    );
    assert!(r
        .vendor_incidents
        .iter()
        .all(|v| v.maintenance && v.health == Health::Maintenance));
    let db = &r.vendor_incidents[0];
    assert_eq!(db.started_at, Some(utc("2026-01-14T02:00:00Z")));
    assert_eq!(db.scheduled_until, Some(utc("2026-01-14T06:00:00Z")));
    assert_eq!(db.updates.len(), 2);

    let sms = read("maintenance.json", &["SMS Sending"]).unwrap();
    assert_eq!(
        sms.health,
        Health::Maintenance,
        "verifying counts as under way"
    );
    assert_eq!(sms.summary, "Maintenance: SMS carrier switch");
}

#[test]
fn scheduled_maintenance_is_listed_but_changes_nothing() {
    let r = read("scheduled_maintenance.json", &[]).unwrap();
    assert_eq!(r.health, Health::Operational);
    assert_eq!(r.summary, "All systems operational");
    let planned = &r.vendor_incidents[0];
    assert!(planned.maintenance);
    assert_eq!(planned.status, "scheduled");
    assert_eq!(planned.started_at, Some(utc("2026-01-21T02:00:00Z")));
    assert_eq!(planned.scheduled_until, Some(utc("2026-01-21T04:00:00Z")));
    assert_eq!(
        planned.updates[0].body,
        "Queries may be slower for up to 10 minutes."
    );

    let dash = read("maintenance.json", &["Dashboard"]).unwrap();
    assert_eq!(dash.health, Health::Operational);
    assert_eq!(dash.vendor_incidents.len(), 1);
    assert_eq!(
        dash.vendor_incidents[0].started_at,
        Some(utc("2026-01-21T04:00:00Z"))
    );
}

#[test]
fn nulls_and_missing_fields_are_normal_input() {
    let r = read("nulls.json", &[]).unwrap();
    assert_eq!(
        r.health,
        Health::Degraded,
        "minor incident and minor indicator"
    );
    assert_eq!(r.summary, "Elevated errors");
    assert_eq!(
        component(&r, "cmp-b").health,
        Health::Operational,
        "a nameless component shows its id"
    );
    let incident = &r.vendor_incidents[0];
    assert_eq!(
        incident.url.as_deref(),
        Some("https://status.nulls.test/incidents/inc-null-1")
    );
    assert_eq!(incident.started_at, Some(utc("2026-01-14T10:00:00Z")));
    assert!(incident.components.is_empty());
    let updates: Vec<(&str, &str, &str)> = incident
        .updates
        .iter()
        .map(|u| (u.id.as_str(), u.status.as_str(), u.body.as_str()))
        .collect();
    assert_eq!(
        updates,
        [
            ("1768386600-1", "investigating", "Still looking."),
            ("upd-null-1", "null", "")
        ],
        "an update with no readable time is left out"
    );
}

#[test]
fn unknown_words_are_kept_and_count_as_degraded() {
    let r = read("unknown_values.json", &[]).unwrap();
    assert_eq!(component(&r, "Ingest").health, Health::Degraded);
    assert_eq!(component(&r, "Ingest").raw_status, "degraded_service");
    assert_eq!(component(&r, "Exports").health, Health::Degraded);
    assert_eq!(component(&r, "Exports").raw_status, "null");
    assert_eq!(
        component(&r, "Audiences").health,
        Health::Operational,
        "case does not matter"
    );
    assert_eq!(r.health, Health::Degraded);

    let audiences = read("unknown_values.json", &["Audiences"]).unwrap();
    assert_eq!(
        audiences.health,
        Health::Degraded,
        "impact `catastrophic` is a problem"
    );
    let statuses: Vec<&str> = audiences
        .vendor_incidents
        .iter()
        .map(|v| v.status.as_str())
        .collect();
    assert_eq!(
        statuses,
        ["escalated", "delayed"],
        "an unknown status is still open"
    );
    let carrier = &audiences.vendor_incidents[1];
    assert_eq!(
        carrier.started_at,
        Some(utc("2026-01-13T18:30:00Z")),
        "+0530 without a colon"
    );
    assert_eq!(
        carrier.scheduled_until,
        Some(utc("2026-01-14T04:00:00Z")),
        "no offset is UTC"
    );
    assert_eq!(
        audiences.vendor_incidents[0].started_at,
        Some(utc("2026-01-14T19:30:00Z"))
    );

    let ingest = read("unknown_values.json", &["Ingest"]).unwrap();
    assert_eq!(
        ingest.vendor_incidents[0].health,
        Health::Operational,
        "impact none"
    );
    assert_eq!(
        ingest.health,
        Health::Degraded,
        "from the component, not the incident"
    );
}

#[test]
fn the_indicator_alone_can_set_the_state() {
    let body = br#"{"components": [], "status": {"indicator": "major", "description": "Partial System Outage"}}"#;
    let r = read_summary(body, None, &[]).unwrap();
    assert_eq!(r.health, Health::PartialOutage);
    assert_eq!(r.summary, "Partial System Outage");
    for (indicator, health) in [
        ("none", Health::Operational),
        ("minor", Health::Degraded),
        ("critical", Health::MajorOutage),
        ("maintenance", Health::Maintenance),
        ("purple", Health::Degraded),
    ] {
        let body = format!(r#"{{"components": [], "status": {{"indicator": "{indicator}"}}}}"#);
        let r = read_summary(body.as_bytes(), None, &[]).unwrap();
        assert_eq!(r.health, health, "{indicator}");
    }
    let r = read_summary(
        br#"{"components": [], "status": {"indicator": "critical"}}"#,
        None,
        &[],
    )
    .unwrap();
    assert_eq!(r.summary, "Status page reports major outage");
}

#[test]
fn every_incident_impact_maps_onto_the_scale() {
    for (impact, health) in [
        ("none", Health::Operational),
        ("minor", Health::Degraded),
        ("major", Health::PartialOutage),
        ("critical", Health::MajorOutage),
        ("unheard-of", Health::Degraded),
    ] {
        let body = format!(
            r#"{{"components": [], "incidents": [{{"id": "i", "name": "x", "status": "investigating", "impact": "{impact}"}}]}}"#
        );
        let r = read_summary(body.as_bytes(), None, &[]).unwrap();
        assert_eq!(r.health, health, "{impact}");
        for closed in ["resolved", "postmortem", "completed"] {
            let body = body.replace("investigating", closed);
            assert_eq!(
                read_summary(body.as_bytes(), None, &[]).unwrap().health,
                Health::Operational
            );
        }
    }
}

#[test]
fn an_html_page_is_a_parse_error() {
    let portal = b"<!DOCTYPE html><html><body>Please log in to the Wi-Fi</body></html>";
    let err = read_summary(portal, Some("text/html; charset=utf-8"), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected JSON, got an HTML page (text/html)"
    );
    let err = read_summary(portal, Some("application/json"), &[]).unwrap_err();
    assert!(err.to_string().contains("got an HTML page"), "{err}");
}

#[test]
fn truncated_empty_and_wrong_shaped_json_are_parse_errors() {
    let whole = fixture("partial_outage.json");
    let err = read_summary(&whole[..whole.len() / 2], None, &[]).unwrap_err();
    assert!(matches!(err, CheckError::Parse { .. }), "{err:?}");
    assert!(err.to_string().contains("ends early"), "{err}");

    let err = read_summary(b"", None, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected JSON, got an empty body"
    );

    let err = read_summary(b"[1, 2]", None, &[]).unwrap_err();
    assert!(
        err.to_string().contains("not a Statuspage summary"),
        "{err}"
    );
    let err = read_summary(br#"{"page": {"name": "x"}}"#, None, &[]).unwrap_err();
    assert!(
        err.to_string().contains("missing field `components`"),
        "{err}"
    );
    let err = read_summary(br#"{"components": [{"name": 5}]}"#, None, &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("not a Statuspage summary: invalid type"),
        "{err}"
    );
    let err = read_summary(b"{\"components\": [}", None, &[]).unwrap_err();
    assert!(err.to_string().contains("invalid JSON"), "{err}");
    let err = read_summary(b"OK", Some("text/plain"), &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected JSON, got text/plain content"),
        "{err}"
    );
}
