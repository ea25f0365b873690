use super::*;
use chrono::Duration;
use flatline::detect::{AlertKind, POOLED};
use flatline::incident::{
    Acknowledgement, EventDrop, ImpactTotals, Incident, IncidentKind, MonitorStatus,
};

fn incident(
    id: i64,
    monitor: &str,
    severity: Health,
    started: DateTime<Utc>,
    acked: bool,
) -> Incident {
    Incident {
        id,
        monitor_id: monitor.to_lowercase(),
        monitor_name: monitor.to_owned(),
        kind: IncidentKind::VendorStatus,
        severity,
        title: format!("{monitor}: {}", severity.label()),
        summary: String::new(),
        started_at: started,
        detected_at: started,
        ended_at: None,
        components: vec![],
        url: None,
        updates: vec![],
        acknowledgement: acked.then(|| Acknowledgement {
            by: "dana".into(),
            at: started,
            note: None,
        }),
        drops: vec![],
        cause: None,
        checklist: vec![],
        impact: None,
    }
}

fn monitor(name: &str, health: Health) -> MonitorStatus {
    MonitorStatus {
        id: name.to_lowercase(),
        name: name.to_owned(),
        kind: "statuspage".into(),
        health,
        summary: String::new(),
        error: None,
        error_kind: None,
        last_check: None,
        latency_ms: None,
        paused: false,
        volume: None,
    }
}

fn labels(lines: &[Line]) -> Vec<&str> {
    lines.iter().map(|l| l.label.as_str()).collect()
}

#[test]
fn open_incidents_are_counted_and_listed_with_their_duration() {
    let now = Utc::now();
    let snapshot = Snapshot {
        monitors: vec![
            monitor("Segment", Health::PartialOutage),
            monitor("Shopify", Health::Operational),
        ],
        open: vec![
            incident(
                7,
                "Segment",
                Health::PartialOutage,
                now - Duration::minutes(4),
                false,
            ),
            incident(
                3,
                "AT&T",
                Health::MajorOutage,
                now - Duration::minutes(125),
                true,
            ),
        ],
        tray: TrayState::Down,
        unacknowledged: 1,
        impact: Default::default(),
        channels: Vec::new(),
        hold: None,
    };
    let view = TrayView::running(&snapshot, now, None);
    assert_eq!(view.icon, Icon::Down);
    assert_eq!(view.title.as_deref(), Some("1"));
    assert_eq!(
        labels(&view.status),
        [
            "Flatline — 2 open (1 unacknowledged)",
            "Segment: partial outage · 4 min",
            "AT&&T: major outage · 2 h 5 min"
        ]
    );
    assert!(!view.status[0].enabled, "the header is not clickable");
    assert_eq!(view.status[1].id, "incident:7");
    assert_eq!(
        labels(&view.actions),
        [
            "Open timeline",
            "Acknowledge all",
            "Snooze 1 h",
            "Check now",
            "Reload config",
            "Quit"
        ]
    );
}

fn drop(event: &str, kind: AlertKind, start: DateTime<Utc>, ended: bool) -> EventDrop {
    EventDrop {
        event: event.into(),
        kind,
        start,
        detected_at: start,
        end: ended.then_some(start + Duration::hours(1)),
        expected: 120.0,
        observed: 0.0,
        back_since: None,
    }
}

#[test]
fn a_volume_incident_names_the_events_that_fell() {
    let now = Utc::now();
    let started = now - Duration::minutes(185);
    let mut volume = incident(9, "Shop conversions", Health::PartialOutage, started, false);
    volume.kind = IncidentKind::SilentOutage;
    volume.drops = vec![
        drop("Add to Cart", AlertKind::Silence, started, false),
        drop("Initiate Checkout", AlertKind::Silence, started, false),
    ];
    let line = |i: &Incident| shorten(&i.one_line(now));
    assert_eq!(
        line(&volume),
        "Shop conversions: Add to Cart, Initiate Checkout went silent · 3 h 5 min"
    );

    // A drop that ended is no longer news while another is on; one that is only
    // lower than usual "dropped".
    volume.kind = IncidentKind::VolumeDrop;
    volume.drops[0].end = Some(now);
    volume.drops[1].kind = AlertKind::Drop;
    assert_eq!(
        line(&volume),
        "Shop conversions: Initiate Checkout dropped · 3 h 5 min"
    );
    // Flowing again, until the detector calls it over; the clock stops when it
    // came back, as the cost does.
    volume.drops[0].end = Some(now - Duration::minutes(30));
    volume.drops[1].back_since = Some(now - Duration::minutes(5));
    assert_eq!(
        line(&volume),
        "Shop conversions: Initiate Checkout dropped, flowing again · 3 h"
    );
    volume.drops[1].back_since = None;

    volume.drops = ["View Content", "Add to Cart", "Purchase", POOLED]
        .map(|e| drop(e, AlertKind::Silence, started, false))
        .to_vec();
    assert_eq!(
        line(&volume),
        "Shop conversions: View Content, Add to Cart and 2 more went silent · 3 h 5 min"
    );
    volume.drops.drain(..3);
    assert_eq!(
        line(&volume),
        "Shop conversions: all events went silent · 3 h 5 min"
    );

    // Other kinds keep the engine's line.
    let vendor = incident(3, "Segment", Health::PartialOutage, started, false);
    assert_eq!(line(&vendor), vendor.one_line(now));
}

#[test]
fn open_incidents_show_their_cost_and_the_menu_today_s_total() {
    let now = Utc::now();
    let mut segment = incident(
        7,
        "Segment",
        Health::PartialOutage,
        now - Duration::minutes(96),
        false,
    );
    segment.impact = Some(flatline::impact::estimate(
        &segment,
        None,
        &flatline::impact::Model::default(),
        now,
    ));
    let mut today = PeriodTotal {
        start: now.date_naive(),
        label: "today".into(),
        amounts: [("USD".to_owned(), 640.0)].into(),
        incidents: 1,
        without_estimate: 0,
    };
    let mut snapshot = Snapshot {
        monitors: vec![monitor("Segment", Health::PartialOutage)],
        open: vec![segment],
        tray: TrayState::Degraded,
        unacknowledged: 1,
        impact: ImpactTotals {
            today: Some(today.clone()),
            ..Default::default()
        },
        channels: Vec::new(),
        hold: None,
    };
    let view = TrayView::running(&snapshot, now, None);
    assert_eq!(
        labels(&view.status)[1..],
        [
            "Segment: partial outage · 1 h 36 min",
            "    est. $640 · 1.6 h × $800/h × 50% of funnel",
            "Today: est. $640 across 1 incident"
        ]
    );
    assert!(view.status[1].enabled && !view.status[2].enabled && !view.status[3].enabled);

    // No figure without its inputs: the line says so instead of "$0".
    today.amounts.clear();
    today.without_estimate = 1;
    snapshot.impact.today = Some(today);
    snapshot.open[0].impact.as_mut().unwrap().amount = None;
    let view = TrayView::running(&snapshot, now, None);
    assert_eq!(
        labels(&view.status)[1..],
        [
            "Segment: partial outage · 1 h 36 min",
            "Today: no estimate (1 incident; inputs missing)"
        ]
    );
}

/// One operational monitor, nothing open, nothing held.
fn all_clear() -> Snapshot {
    Snapshot {
        monitors: vec![monitor("Segment", Health::Operational)],
        open: vec![],
        tray: TrayState::Ok,
        unacknowledged: 0,
        impact: Default::default(),
        channels: Vec::new(),
        hold: None,
    }
}

#[test]
fn all_clear_only_when_everything_is_green() {
    let now = Utc::now();
    let mut snapshot = all_clear();
    let view = TrayView::running(&snapshot, now, None);
    assert_eq!(labels(&view.status), ["Flatline — all clear"]);
    assert_eq!((view.icon, view.title), (Icon::Ok, None));

    snapshot.monitors.push(monitor("Klaviyo", Health::Unknown));
    snapshot.tray = TrayState::Unknown;
    let view = TrayView::running(&snapshot, now, Some("Check failed: the poller has stopped"));
    assert_eq!(
        labels(&view.status),
        [
            "Flatline — no open incidents",
            "Klaviyo: cannot be read",
            "Check failed: the poller has stopped"
        ]
    );
    assert_eq!(view.icon, Icon::Unknown);
}

#[test]
fn a_snooze_shows_in_the_icon_unless_something_is_degraded_or_down() {
    use flatline::notifier::Hold;
    let now = Utc::now();
    let until = now + Duration::minutes(45);
    let mut snapshot = Snapshot {
        hold: Some(Hold {
            reason: HoldReason::Snoozed,
            since: now - Duration::minutes(15),
            until,
        }),
        ..all_clear()
    };
    let view = TrayView::running(&snapshot, now, None);
    let until_label = format!(
        "Notifications snoozed until {}",
        until.with_timezone(&chrono::Local).format("%H:%M")
    );
    assert_eq!(
        labels(&view.status),
        ["Flatline — all clear", until_label.as_str()]
    );
    assert_eq!(view.icon, Icon::Snoozed);
    assert!(labels(&view.actions).contains(&"Resume notifications"));
    assert!(!labels(&view.actions).contains(&"Snooze 1 h"));

    snapshot.open = vec![incident(7, "Segment", Health::MajorOutage, now, false)];
    snapshot.tray = TrayState::Down;
    assert_eq!(TrayView::running(&snapshot, now, None).icon, Icon::Down);

    // Quiet hours hold notifications too, and a snooze can still be asked for.
    snapshot.open.clear();
    snapshot.tray = TrayState::Ok;
    snapshot.hold = snapshot.hold.map(|h| Hold {
        reason: HoldReason::QuietHours,
        ..h
    });
    let view = TrayView::running(&snapshot, now, None);
    assert_eq!(view.icon, Icon::Snoozed);
    assert!(view.status[1].label.starts_with("Quiet hours until "));
    assert!(labels(&view.actions).contains(&"Snooze 1 h"));
}

#[test]
fn a_team_channel_that_cannot_post_says_so() {
    use flatline::channels::ChannelStatus;
    let channel = |id: &str, error: Option<&str>| ChannelStatus {
        id: id.into(),
        kind: "slack".into(),
        last_delivered_at: None,
        error: error.map(str::to_owned),
        pending: 0,
    };
    let snapshot = Snapshot {
        channels: vec![
            channel("growth", None),
            channel(
                "ops",
                Some("OPS_HOOK is not set; set it to channel `ops`'s slack URL"),
            ),
        ],
        ..all_clear()
    };
    let view = TrayView::running(&snapshot, Utc::now(), None);
    assert_eq!(
        labels(&view.status),
        [
            "Flatline — all clear",
            "Team channel ops cannot post: OPS_HOOK is not set; set it to channel `ops`'s slack URL"
        ]
    );
}

#[test]
fn a_start_failure_says_what_is_wrong_and_offers_a_way_out() {
    let failure = StartFailure {
        headline: format!("Config error: line 3, key `kind`: {}", "x".repeat(200)),
        detail: "the whole story".into(),
        config_file: Some("/tmp/config.toml".into()),
    };
    let view = TrayView::failed(&failure);
    assert_eq!(view.icon, Icon::Unknown);
    assert!(view.status[0].label.starts_with("Config error: line 3"));
    assert!(view.status[0].label.ends_with('…'));
    assert_eq!(view.status[0].label.chars().count(), MAX_LABEL);
    assert_eq!(
        labels(&view.actions),
        ["Open timeline", "Open config file", "Try again", "Quit"]
    );
}
