//! Incidents as people see them: what broke, since when, what the vendor said, who
//! is on it.

use crate::detect::{event_name, Alert, AlertKind, StreamStatus};
use crate::health::Health;
use crate::impact::{Estimate, PeriodTotal};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// A vendor's status page or feed reports a problem.
    VendorStatus,
    /// Our own probe of an endpoint failed.
    ProbeFailure,
    /// Conversion events dropped while an upstream vendor had an incident (the likely
    /// cause, in `cause`), or with no upstream monitor named to judge by.
    VolumeDrop,
    /// Conversion events dropped while every upstream status page was green.
    SilentOutage,
    /// A test event sent through the pipeline did not come back in time.
    Canary,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::VendorStatus => "vendor_status",
            IncidentKind::ProbeFailure => "probe_failure",
            IncidentKind::VolumeDrop => "volume_drop",
            IncidentKind::SilentOutage => "silent_outage",
            IncidentKind::Canary => "canary",
        }
    }
    pub fn parse(s: &str) -> Option<IncidentKind> {
        [
            IncidentKind::VendorStatus,
            IncidentKind::ProbeFailure,
            IncidentKind::VolumeDrop,
            IncidentKind::SilentOutage,
            IncidentKind::Canary,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    /// Incidents raised by the volume detector.
    pub fn is_volume(self) -> bool {
        matches!(self, IncidentKind::VolumeDrop | IncidentKind::SilentOutage)
    }
}

/// Serialised with one field derived on the way out, `counted_until` (see
/// [`Incident::stopped_at`]): the window and every `--json` reader get the rule from
/// here rather than each keeping a copy of it. `remote = "Self"` gives the derived
/// field-by-field code as inherent functions, which the trait impls below wrap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Incident {
    pub id: i64,
    pub monitor_id: String,
    pub monitor_name: String,
    pub kind: IncidentKind,
    /// The worst state seen during the incident.
    pub severity: Health,
    /// One line: "Segment: partial outage".
    pub title: String,
    /// What is wrong right now, e.g. "Connections (Destinations): partial outage".
    pub summary: String,
    /// When the problem began: the vendor's own start time when it gives one.
    pub started_at: DateTime<Utc>,
    /// When Flatline confirmed it.
    pub detected_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Affected components (status pages) or event types (volume incidents; `*` is
    /// all events together).
    pub components: Vec<String>,
    /// The vendor's page for the incident, if any.
    pub url: Option<String>,
    /// The vendor's updates, newest first, plain text.
    pub updates: Vec<IncidentUpdate>,
    pub acknowledgement: Option<Acknowledgement>,
    /// Volume incidents: each affected event type's episode, expected vs observed.
    pub drops: Vec<EventDrop>,
    /// The upstream incident that most likely explains a volume drop.
    pub cause: Option<Cause>,
    /// Silent outages: what usually explains a drop no status page admits to.
    pub checklist: Vec<String>,
    /// What the incident costs, estimated with the model named inside; grows while
    /// the incident is open.
    pub impact: Option<Estimate>,
}

/// One event type's part in a volume incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDrop {
    /// The event type, or `*` for all events together.
    pub event: String,
    pub kind: AlertKind,
    /// Estimated onset.
    pub start: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    /// Events expected and seen from `start` to `end` (or the latest bucket).
    pub expected: f64,
    pub observed: f64,
    /// While the drop is open: since when the event type has flowed again, once the
    /// detector is half way to calling the drop over (the `end` it will then have).
    #[serde(default)]
    pub back_since: Option<DateTime<Utc>>,
}

impl From<&Alert> for EventDrop {
    fn from(alert: &Alert) -> EventDrop {
        EventDrop {
            event: alert.event.clone(),
            kind: alert.kind,
            start: utc(alert.start),
            detected_at: utc(alert.detected_at),
            end: alert.end.map(utc),
            expected: alert.expected,
            observed: alert.observed,
            back_since: None,
        }
    }
}

/// A detector time (Unix seconds) as a timestamp.
pub fn utc(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl EventDrop {
    /// When the loss stopped: the end, or while open, since when the event type has
    /// flowed again; `None` while it is still down.
    pub fn down_until(&self) -> Option<DateTime<Utc>> {
        self.end.or(self.back_since)
    }

    /// Expected events that did not arrive; never negative.
    pub fn missing(&self) -> f64 {
        (self.expected - self.observed).max(0.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cause {
    pub incident_id: i64,
    pub monitor_id: String,
    pub title: String,
}

/// What to check when conversions drop while every vendor says all is well.
pub const SILENT_OUTAGE_CHECKLIST: [&str; 4] = [
    "Destination credentials: an expired or revoked API token or pixel access",
    "Schema blocking: a tracking plan or protocol rule dropping the events",
    "Filters: a destination filter or sampling rule changed recently",
    "Rate limits: the destination throttling or rejecting requests",
];

impl Serialize for Incident {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            #[serde(flatten, serialize_with = "fields")]
            incident: &'a Incident,
            counted_until: Option<DateTime<Utc>>,
        }
        fn fields<S: Serializer>(incident: &&Incident, serializer: S) -> Result<S::Ok, S::Error> {
            Incident::serialize(incident, serializer)
        }
        Wire {
            incident: self,
            counted_until: self.stopped_at(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Incident {
    /// `counted_until` is derived, so it is ignored on the way in.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Incident::deserialize(deserializer)
    }
}

impl Incident {
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none()
    }

    /// What a notification of this incident needs for its actions.
    pub fn about(&self) -> crate::notifier::About {
        crate::notifier::About {
            incident_id: self.id,
            acknowledgeable: self.is_open() && self.acknowledgement.is_none(),
        }
    }
    /// The estimate with its model and inputs, for notifications and listings; `None`
    /// until there is a figure.
    pub fn cost_line(&self) -> Option<&str> {
        self.impact
            .as_ref()
            .filter(|e| e.amount.is_some())
            .map(|e| e.summary.as_str())
    }

    /// Where the incident's cost stops counting: its end; while open, `now`, or once
    /// every open drop flows again, the end the incident will then have. The buckets
    /// of a recovery being confirmed fall short of their expectation by chance alone,
    /// and would otherwise keep adding to a live estimate that the final one drops.
    pub fn counted_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.stopped_at().unwrap_or(now)
    }

    /// Where the clock and the cost have stopped: the end, or while open, once every
    /// open drop flows again, the time the last came back; `None` while they run.
    pub fn stopped_at(&self) -> Option<DateTime<Utc>> {
        match self.ended_at {
            Some(end) => Some(end),
            None if self.flowing_again() => {
                self.drops.iter().filter_map(EventDrop::down_until).max()
            }
            None => None,
        }
    }

    /// Whether the drops still open all flow again, until the detector calls them over.
    fn flowing_again(&self) -> bool {
        let mut open = self.drops.iter().filter(|d| d.end.is_none()).peekable();
        open.peek().is_some() && open.all(|d| d.back_since.is_some())
    }

    /// From start to end, or while open to `now`; once every open drop flows again,
    /// to the time the last came back, so the clock stops with the cost.
    pub fn duration(&self, now: DateTime<Utc>) -> chrono::Duration {
        self.counted_until(now) - self.started_at
    }

    /// One line for menus and terse listings: "Segment: partial outage · 4 min". A
    /// volume incident names what fell, which says more than its severity: "Shop
    /// conversions: Add to Cart, Initiate Checkout went silent · 3 h".
    pub fn one_line(&self, now: DateTime<Utc>) -> String {
        let what = match self.kind.is_volume() && !self.drops.is_empty() {
            true => self.what_dropped(),
            false => self.severity.label().to_owned(),
        };
        format!(
            "{}: {what} · {}",
            self.monitor_name,
            human_duration(self.duration(now))
        )
    }

    /// The event types down now (or, once all are back, those that were) and how; and
    /// whether all of those down flow again, until the detector calls it over.
    fn what_dropped(&self) -> String {
        let open: Vec<&EventDrop> = self.drops.iter().filter(|d| d.end.is_none()).collect();
        let drops = if open.is_empty() {
            self.drops.iter().collect()
        } else {
            open
        };
        let mut names: Vec<&str> = Vec::new();
        for d in &drops {
            let name = event_name(&d.event);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let names = match names.as_slice() {
            [a, b, rest @ ..] if !rest.is_empty() => format!("{a}, {b} and {} more", rest.len()),
            all => all.join(", "),
        };
        let verb = if drops.iter().all(|d| d.kind == AlertKind::Silence) {
            AlertKind::Silence.verb()
        } else {
            AlertKind::Drop.verb()
        };
        if self.flowing_again() {
            format!("{names} {verb}, flowing again")
        } else {
            format!("{names} {verb}")
        }
    }
}

/// A duration as people say it: "under a minute", "4 min", "2 h 5 min", "3 d 4 h".
pub fn human_duration(d: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    match minutes {
        0 => "under a minute".to_owned(),
        1..=59 => format!("{minutes} min"),
        60..=1439 => match minutes % 60 {
            0 => format!("{} h", minutes / 60),
            m => format!("{} h {m} min", minutes / 60),
        },
        _ => match (minutes / 60) % 24 {
            0 => format!("{} d", minutes / 1440),
            h => format!("{} d {h} h", minutes / 1440),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentUpdate {
    pub at: DateTime<Utc>,
    pub status: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// The latest known state of one monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorStatus {
    pub id: String,
    pub name: String,
    pub kind: String,
    #[serde(rename = "state")]
    pub health: Health,
    pub summary: String,
    /// Why the monitor could not be read, when `state` is unknown: a sentence…
    pub error: Option<String>,
    /// …and its machine name (`timeout`, `http_status`, `parse`…).
    pub error_kind: Option<String>,
    pub last_check: Option<DateTime<Utc>>,
    pub latency_ms: Option<u64>,
    pub paused: bool,
    /// Volume monitors: each event type's expected and observed count in the
    /// latest complete bucket.
    pub volume: Option<VolumeStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeStatus {
    /// Start of the latest complete bucket the detector has seen.
    pub bucket_start: Option<DateTime<Utc>>,
    pub step_secs: i64,
    pub streams: Vec<StreamStatus>,
}

/// What the tray shows, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayState {
    Ok,
    Maintenance,
    Unknown,
    Degraded,
    Down,
}

impl TrayState {
    pub fn from_health(h: Health) -> TrayState {
        match h {
            Health::Operational => TrayState::Ok,
            Health::Maintenance => TrayState::Maintenance,
            Health::Unknown => TrayState::Unknown,
            // A partial outage is amber: something works, and the marketer must look.
            Health::Degraded | Health::PartialOutage => TrayState::Degraded,
            Health::MajorOutage => TrayState::Down,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TrayState::Ok => "ok",
            TrayState::Maintenance => "maintenance",
            TrayState::Unknown => "unknown",
            TrayState::Degraded => "degraded",
            TrayState::Down => "down",
        }
    }
}

/// Everything the tray and the window's header need, in one read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub monitors: Vec<MonitorStatus>,
    /// Open incidents, newest first.
    pub open: Vec<Incident>,
    pub tray: TrayState,
    pub unacknowledged: usize,
    /// Estimated impact so far today, this week and this month (local time).
    pub impact: ImpactTotals,
    /// Team channels, in config order.
    #[serde(default)]
    pub channels: Vec<crate::channels::ChannelStatus>,
    /// Why desktop notifications are held now (a snooze, quiet hours), if they are.
    #[serde(default)]
    pub hold: Option<crate::notifier::Hold>,
}

/// Running totals of the current local periods, overlapping incidents on the same
/// events counted once; `None` for a period no incident touched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImpactTotals {
    pub today: Option<PeriodTotal>,
    pub this_week: Option<PeriodTotal>,
    pub this_month: Option<PeriodTotal>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::seconds(-5)), "under a minute");
        assert_eq!(human_duration(Duration::seconds(59)), "under a minute");
        assert_eq!(human_duration(Duration::minutes(4)), "4 min");
        assert_eq!(human_duration(Duration::minutes(60)), "1 h");
        assert_eq!(human_duration(Duration::minutes(125)), "2 h 5 min");
        assert_eq!(human_duration(Duration::hours(24 * 8)), "8 d");
        assert_eq!(human_duration(Duration::hours(76)), "3 d 4 h");
    }

    fn at(hm: &str) -> DateTime<Utc> {
        format!("2024-03-05T{hm}:00Z").parse().unwrap()
    }

    /// A volume incident from 10:00 with two drops, both still open and down.
    fn two_drops() -> Incident {
        let drop = |event: &str| EventDrop {
            event: event.into(),
            kind: AlertKind::Silence,
            start: at("10:00"),
            detected_at: at("10:02"),
            end: None,
            expected: 120.0,
            observed: 0.0,
            back_since: None,
        };
        Incident {
            id: 7,
            monitor_id: "shop".into(),
            monitor_name: "Shop".into(),
            kind: IncidentKind::SilentOutage,
            severity: Health::MajorOutage,
            title: "Shop: Add to Cart, Initiate Checkout went silent".into(),
            summary: String::new(),
            started_at: at("10:00"),
            detected_at: at("10:02"),
            ended_at: None,
            components: vec!["Add to Cart".into(), "Initiate Checkout".into()],
            url: None,
            updates: Vec::new(),
            acknowledgement: None,
            drops: vec![drop("Add to Cart"), drop("Initiate Checkout")],
            cause: None,
            checklist: Vec::new(),
            impact: None,
        }
    }

    #[test]
    fn the_json_says_where_the_clock_stopped_and_reads_back_without_it() {
        let counted_until =
            |i: &Incident| serde_json::to_value(i).unwrap()["counted_until"].clone();
        let mut incident = two_drops();
        assert_eq!(counted_until(&incident), serde_json::Value::Null);
        // One event type flows again: the other is still down, so the clock runs.
        incident.drops[0].back_since = Some(at("10:40"));
        assert_eq!(counted_until(&incident), serde_json::Value::Null);
        // Both flow again: it stops where the last came back.
        incident.drops[1].back_since = Some(at("10:48"));
        assert_eq!(counted_until(&incident), "2024-03-05T10:48:00Z");
        assert_eq!(incident.duration(at("11:30")), Duration::minutes(48));
        let json = serde_json::to_string(&incident).unwrap();
        assert_eq!(serde_json::from_str::<Incident>(&json).unwrap(), incident);
        incident.ended_at = Some(at("10:47"));
        assert_eq!(counted_until(&incident), "2024-03-05T10:47:00Z");
    }

    #[test]
    fn partial_outage_is_amber_and_major_is_red() {
        assert_eq!(
            TrayState::from_health(Health::PartialOutage),
            TrayState::Degraded
        );
        assert_eq!(TrayState::from_health(Health::MajorOutage), TrayState::Down);
        assert_eq!(TrayState::from_health(Health::Unknown), TrayState::Unknown);
    }
}
