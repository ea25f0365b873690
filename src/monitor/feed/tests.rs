use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/feed/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-14T17:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn read(name: &str, filter: &[&str]) -> Result<Reading, CheckError> {
    let filter: Vec<String> = filter.iter().map(|s| (*s).to_owned()).collect();
    read_feed(&fixture(name), Some("application/rss+xml"), &filter, now())
}

fn titles(r: &Reading) -> Vec<&str> {
    r.vendor_incidents
        .iter()
        .map(|v| v.title.as_str())
        .collect()
}

#[test]
fn statuspage_history_newest_status_word_decides() {
    let r = read("statuspage_history.rss", &[]).unwrap();
    assert_eq!(
        titles(&r),
        [
            "Delays delivering to TikTok destination",
            "Personas database maintenance"
        ],
        "the resolved and the years-old entries are not open"
    );
    assert_eq!(r.health, Health::PartialOutage);
    assert_eq!(r.summary, "Delays delivering to TikTok destination");
    assert!(r.components.is_empty());

    let tiktok = &r.vendor_incidents[0];
    assert_eq!(tiktok.status, "identified");
    assert_eq!(
        tiktok.health,
        Health::PartialOutage,
        "outage with partial words"
    );
    assert!(!tiktok.maintenance);
    assert_eq!(
        tiktok.url.as_deref(),
        Some("https://status.segment.com/incidents/inc-dest-1")
    );
    let update = &tiktok.updates[0];
    assert_eq!(update.at.to_rfc3339(), "2026-01-14T16:58:44+00:00");
    assert!(
        update.body.starts_with(
            "Jan 14, 08:58 PST Identified - TikTok's API rejects batched requests. Partial outage: some customers see Add to Cart & Initiate Checkout delayed."
        ),
        "{}",
        update.body
    );
    assert!(!update.body.contains('<') && !update.body.contains("&amp;"));

    let planned = &r.vendor_incidents[1];
    assert!(planned.maintenance);
    assert_eq!(planned.status, "scheduled");
    assert_eq!(planned.health, Health::Maintenance);
}

#[test]
fn scheduled_maintenance_alone_changes_nothing() {
    let r = read("statuspage_history.rss", &["personas"]).unwrap();
    assert_eq!(r.health, Health::Operational);
    assert_eq!(titles(&r), ["Personas database maintenance"]);
    assert_eq!(r.summary, "No open incidents mentioning personas");
    assert_eq!(r.components[0].health, Health::Operational);
}

#[test]
fn a_filter_keeps_only_entries_that_mention_a_name() {
    let r = read(
        "statuspage_history.rss",
        &["Connections (Destinations)", "Webhooks"],
    )
    .unwrap();
    assert_eq!(titles(&r), ["Delays delivering to TikTok destination"]);
    assert_eq!(
        r.vendor_incidents[0].components,
        ["Connections (Destinations)"]
    );
    let states: Vec<(&str, Health)> = r
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.health))
        .collect();
    assert_eq!(
        states,
        [
            ("Connections (Destinations)", Health::PartialOutage),
            ("Webhooks", Health::Operational)
        ],
        "the webhooks entry is years old"
    );
    assert_eq!(r.components[0].raw_status, "partial_outage");
}

#[test]
fn aws_style_titles_say_resolved() {
    let r = read("aws_style.rss", &[]).unwrap();
    assert_eq!(
        titles(&r),
        [
            "Informational message: Elevated latency",
            "Service disruption: origin fetches failing"
        ]
    );
    assert_eq!(r.vendor_incidents[0].health, Health::Degraded);
    assert_eq!(r.vendor_incidents[0].status, "investigating");
    assert_eq!(
        r.vendor_incidents[1].health,
        Health::MajorOutage,
        "down without partial words"
    );
    assert_eq!(
        r.vendor_incidents[1].status, "open",
        "no lifecycle word at all"
    );
    assert_eq!(r.health, Health::MajorOutage);
    assert_eq!(r.summary, "Service disruption: origin fetches failing");
}

#[test]
fn atom_entries_are_read_the_same_way() {
    let r = read("incidents.atom", &[]).unwrap();
    assert_eq!(
        titles(&r),
        [
            "Flows sending & email delivery",
            "SMS carrier maintenance",
            "Dashboard reports"
        ]
    );
    let states: Vec<(&str, Health, bool)> = r
        .vendor_incidents
        .iter()
        .map(|v| (v.status.as_str(), v.health, v.maintenance))
        .collect();
    assert_eq!(
        states,
        [
            ("monitoring", Health::PartialOutage, false),
            ("in progress", Health::Maintenance, true),
            ("open", Health::Degraded, false),
        ],
        "an unresolved entry with no keyword is degraded"
    );
    assert_eq!(r.health, Health::PartialOutage);
    let flows = &r.vendor_incidents[0];
    assert_eq!(
        flows.started_at.unwrap().to_rfc3339(),
        "2026-01-14T16:00:00+00:00"
    );
    assert_eq!(
        flows.updates[0].at.to_rfc3339(),
        "2026-01-14T16:35:00+00:00"
    );
    assert_eq!(flows.updates[0].id, "2026-01-14T16:35:00+00:00");
    assert!(flows.updates[0]
        .body
        .contains("Flows emails are partially unavailable while queues drain — some customers"));
    assert_eq!(r.vendor_incidents[2].url, None);
    assert_eq!(
        r.vendor_incidents[2].updates[0].body,
        "Reports for some accounts are not loading."
    );

    let sms = read("incidents.atom", &["SMS"]).unwrap();
    assert_eq!(sms.health, Health::Maintenance);
    assert_eq!(sms.summary, "Maintenance: SMS carrier maintenance");
    let segment = read("incidents.atom", &["Segment"]).unwrap();
    assert_eq!(
        segment.health,
        Health::Operational,
        "\"Completed\" is newest"
    );
    assert!(segment.vendor_incidents.is_empty());
}

#[test]
fn old_unresolved_entries_do_not_keep_a_monitor_red() {
    let later = now() + chrono::Duration::hours(OPEN_WINDOW_HOURS + 1);
    let r = read_feed(&fixture("incidents.atom"), None, &[], later).unwrap();
    assert_eq!(r.health, Health::Operational);
    assert_eq!(r.summary, "No open incidents");
    assert!(r.vendor_incidents.is_empty());
}

#[test]
fn an_entry_without_a_date_cannot_be_open() {
    let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
        <item><title>Major outage</title><description>Everything is down</description></item>
        </channel></rss>"#;
    let r = read_feed(rss, None, &[], now()).unwrap();
    assert_eq!(r.health, Health::Operational);
}

#[test]
fn state_words_follow_the_documented_order() {
    let state = |title: &str, text: &str| Words::new(title, text).state();
    assert_eq!(
        state("Major outage", "partial recovery"),
        (Health::MajorOutage, false)
    );
    assert_eq!(state("API down", ""), (Health::MajorOutage, false));
    assert_eq!(
        state("Partial outage of Events", ""),
        (Health::PartialOutage, false)
    );
    assert_eq!(
        state("Increased error rates", ""),
        (Health::Degraded, false)
    );
    assert_eq!(
        state("Update", "Delays in processing"),
        (Health::Degraded, false)
    );
    assert_eq!(
        state("Planned maintenance", "Service will be unavailable"),
        (Health::Maintenance, true)
    );
    assert_eq!(
        state("Outage during maintenance", ""),
        (Health::MajorOutage, false)
    );
    assert_eq!(
        state("Notice", "maintenance window tonight"),
        (Health::Maintenance, true)
    );
    assert_eq!(
        state("Something odd", "we will share more"),
        (Health::Degraded, false)
    );
}

#[test]
fn lifecycle_words_match_whole_words_only() {
    let open =
        |title: &str, text: &str| matches!(Words::new(title, text).lifecycle(), Lifecycle::Open(_));
    assert!(!open("[RESOLVED] Elevated errors", "investigating"));
    assert!(!open("RESOLVED: Incident 123", ""));
    assert!(
        open("Unresolved sync issue", "prefixed with nothing"),
        "unresolved/prefixed are not words"
    );
    assert!(open(
        "Sync",
        "Monitoring - a fix is in place. Investigating - it broke."
    ));
    assert!(!open(
        "Sync",
        "Resolved - all good. Monitoring - a fix is in place."
    ));
    assert!(!open("Sync", "The issue is fixed."));
    assert_eq!(find_word("ab down", "down"), Some(3));
    assert_eq!(find_word("slowdown downstream", "down"), None);
}

#[test]
fn an_html_page_is_a_parse_error() {
    let err = read_feed(
        b"<!DOCTYPE html><html><body>Sign in</body></html>",
        Some("text/html"),
        &[],
        now(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: expected an RSS or Atom feed, got an HTML page (text/html)"
    );
}

#[test]
fn broken_feeds_are_parse_errors() {
    let whole = fixture("incidents.atom");
    let err = read_feed(&whole[..whole.len() / 2], None, &[], now()).unwrap_err();
    assert!(matches!(err, CheckError::Parse { .. }), "{err:?}");
    assert!(
        err.to_string().contains("not a readable RSS or Atom feed"),
        "{err}"
    );

    let err = read_feed(b"", None, &[], now()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("expected an RSS or Atom feed, got an empty body"),
        "{err}"
    );
    let err = read_feed(b"all good", Some("text/plain"), &[], now()).unwrap_err();
    assert!(err.to_string().ends_with("got text/plain content"), "{err}");
    let err = read_feed(b"<?xml version=\"1.0\"?><catalog/>", None, &[], now()).unwrap_err();
    assert!(
        err.to_string().contains("not a readable RSS or Atom feed"),
        "{err}"
    );
}
