//! Volume monitors (conversion-event counts from Segment, an HTTP JSON endpoint,
//! Prometheus or a CSV export) and canaries.

use super::{
    bad, env_name, http_url, reject_unused, Config, Invalid, MonitorKind, RawKind, RawMonitor,
};
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;

/// The Segment Public API, as documented.
const SEGMENT_API: &str = "https://api.segmentapis.com";
/// The Segment Tracking API that takes `track` calls.
const SEGMENT_TRACKING_API: &str = "https://api.segment.io";
/// Four weeks fill every hour-of-week slot of the baseline a few times over.
const DEFAULT_HISTORY_DAYS: f64 = 28.0;

#[derive(Debug, Clone, PartialEq)]
pub struct VolumeConfig {
    pub source: VolumeSourceConfig,
    /// Event types to watch; empty watches every event type the source reports.
    pub events: Vec<String>,
    /// Funnel steps in order ("Add to Cart", "Initiate Checkout", "Complete Payment"):
    /// each step is also watched as a share of the step before it.
    pub funnel: Vec<String>,
    /// Vendor monitors upstream of these events: a drop during one of their incidents
    /// is linked to it; a drop while all of them are fine is a silent outage.
    pub depends_on: Vec<String>,
    /// How far back to read on first start, so the baseline need not be learnt live.
    pub history_days: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VolumeSourceConfig {
    Segment(SegmentVolumeConfig),
    HttpJson(HttpJsonConfig),
    Prometheus(PrometheusConfig),
    Csv(CsvConfig),
}

impl VolumeSourceConfig {
    pub fn kind_name(&self) -> &'static str {
        match self {
            VolumeSourceConfig::Segment(_) => "segment_volume",
            VolumeSourceConfig::HttpJson(_) => "http_json",
            VolumeSourceConfig::Prometheus(_) => "prometheus",
            VolumeSourceConfig::Csv(_) => "csv",
        }
    }
}

impl fmt::Display for VolumeSourceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VolumeSourceConfig::Segment(c) => write!(f, "segment_volume {}", c.url),
            VolumeSourceConfig::HttpJson(c) => write!(f, "http_json {}", c.url),
            VolumeSourceConfig::Prometheus(c) => write!(f, "prometheus {}", c.url),
            VolumeSourceConfig::Csv(c) => write!(f, "csv {}", c.path.display()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Minute,
    Hour,
}

impl Granularity {
    pub fn step_secs(self) -> i64 {
        match self {
            Granularity::Minute => 60,
            Granularity::Hour => 3600,
        }
    }
    /// The word the Segment API expects.
    pub fn as_api(self) -> &'static str {
        match self {
            Granularity::Minute => "MINUTE",
            Granularity::Hour => "HOUR",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentVolumeConfig {
    /// The Public API's base URL.
    pub url: String,
    /// Environment variable holding the Public API token.
    pub token_env: String,
    pub granularity: Granularity,
    /// Only these Segment sources; empty means the whole workspace.
    pub source_ids: Vec<String>,
    /// How far behind the clock to ask (Segment recommends one minute).
    pub lag_secs: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpJsonConfig {
    pub url: String,
    /// Environment variable holding a Bearer token, if the endpoint needs one.
    pub token_env: Option<String>,
    /// JSON pointer to an array of points; unset when the document is one point.
    pub series: Option<String>,
    /// JSON pointer (inside a point) to its bucket start; unset means "the bucket
    /// that just ended".
    pub timestamp: Option<String>,
    /// JSON pointer (inside a point) to its event name; unset means the monitor's one
    /// configured event.
    pub event: Option<String>,
    /// JSON pointer (inside a point) to its count.
    pub value: String,
    pub bucket_secs: f64,
    pub lag_secs: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusConfig {
    /// Base URL; `/api/v1/query_range` is appended.
    pub url: String,
    /// A query whose value per step is a count, e.g.
    /// `sum by (event) (increase(checkout_events_total[1m]))`.
    pub query: String,
    /// The label that names the event type.
    pub event_label: String,
    pub bucket_secs: f64,
    pub token_env: Option<String>,
    pub lag_secs: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsvConfig {
    /// A file with the header `timestamp,event,count` that an export job appends to.
    pub path: PathBuf,
    /// The bucket size; inferred from the timestamps when unset.
    pub bucket_secs: Option<f64>,
    /// How long after a bucket ends its rows are expected to be written.
    pub lag_secs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CanaryConfig {
    /// The Segment Tracking API's base URL.
    pub url: String,
    /// Environment variable holding the source's write key.
    pub write_key_env: String,
    /// The volume monitor in which the test event must show up.
    pub volume_monitor: String,
    pub send_every_secs: f64,
    /// How long a test event may take to show up before it counts as lost.
    pub deadline_secs: f64,
}

/// Volume-only keys that are set, for rejecting them on other kinds.
pub(super) fn keys_set(m: &RawMonitor) -> [(&'static str, bool); 20] {
    [
        ("events", m.events.is_some()),
        ("funnel", m.funnel.is_some()),
        ("depends_on", m.depends_on.is_some()),
        ("history_days", m.history_days.is_some()),
        ("token_env", m.token_env.is_some()),
        ("granularity", m.granularity.is_some()),
        ("source_ids", m.source_ids.is_some()),
        ("lag_secs", m.lag_secs.is_some()),
        ("bucket_secs", m.bucket_secs.is_some()),
        ("path", m.path.is_some()),
        ("series", m.series.is_some()),
        ("timestamp", m.timestamp.is_some()),
        ("event", m.event.is_some()),
        ("value", m.value.is_some()),
        ("query", m.query.is_some()),
        ("event_label", m.event_label.is_some()),
        ("write_key_env", m.write_key_env.is_some()),
        ("volume_monitor", m.volume_monitor.is_some()),
        ("send_every_secs", m.send_every_secs.is_some()),
        ("deadline_secs", m.deadline_secs.is_some()),
    ]
}

pub(super) fn monitor_kind(m: RawMonitor) -> Result<MonitorKind, Invalid> {
    let kind = m.kind.name();
    let status_only = [
        ("components", m.components.is_some()),
        ("method", m.method.is_some()),
        ("expect_status", m.expect_status.is_some()),
        ("latency_limit_ms", m.latency_limit_ms.is_some()),
    ];
    reject_unused(kind, &status_only)?;
    let used = |keys: &[&str]| -> Vec<(&'static str, bool)> {
        keys_set(&m)
            .into_iter()
            .filter(|(k, _)| !keys.contains(k))
            .collect()
    };
    const WATCH: [&str; 4] = ["events", "funnel", "depends_on", "history_days"];
    if matches!(m.kind, RawKind::Canary) {
        reject_unused(
            kind,
            &used(&[
                "write_key_env",
                "volume_monitor",
                "send_every_secs",
                "deadline_secs",
            ]),
        )?;
        let url = http_url(Some(m.url.unwrap_or_else(|| SEGMENT_TRACKING_API.into())))?;
        return Ok(MonitorKind::Canary(CanaryConfig {
            url,
            write_key_env: env_name("write_key_env", m.write_key_env, Some("SEGMENT_WRITE_KEY"))?,
            volume_monitor: m
                .volume_monitor
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    bad(
                        "volume_monitor",
                        "is required: the id of the volume monitor the test event must reach",
                    )
                })?,
            send_every_secs: seconds("send_every_secs", m.send_every_secs, 900.0, 10.0)?,
            deadline_secs: seconds("deadline_secs", m.deadline_secs, 600.0, 10.0)?,
        }));
    }
    let source = match m.kind {
        RawKind::SegmentVolume => {
            reject_unused(
                kind,
                &used(
                    &[
                        &WATCH[..],
                        &["token_env", "granularity", "source_ids", "lag_secs"],
                    ]
                    .concat(),
                ),
            )?;
            VolumeSourceConfig::Segment(SegmentVolumeConfig {
                url: http_url(Some(m.url.clone().unwrap_or_else(|| SEGMENT_API.into())))?,
                token_env: env_name("token_env", m.token_env.clone(), Some("SEGMENT_API_TOKEN"))?,
                granularity: m.granularity.unwrap_or(Granularity::Minute),
                source_ids: m.source_ids.clone().unwrap_or_default(),
                lag_secs: seconds("lag_secs", m.lag_secs, 60.0, 0.0)?,
            })
        }
        RawKind::HttpJson => {
            reject_unused(
                kind,
                &used(
                    &[
                        &WATCH[..],
                        &[
                            "token_env",
                            "series",
                            "timestamp",
                            "event",
                            "value",
                            "bucket_secs",
                            "lag_secs",
                        ],
                    ]
                    .concat(),
                ),
            )?;
            let pointer = |key: &'static str,
                           p: Option<String>|
             -> Result<Option<String>, Invalid> {
                match p {
                    Some(p) if !(p.is_empty() || p.starts_with('/')) => Err(bad(
                        key,
                        format!("`{p}` is not a JSON pointer: it must be empty or start with `/`"),
                    )),
                    p => Ok(p),
                }
            };
            let event = pointer("event", m.event.clone())?;
            if event.is_none() && m.events.as_ref().is_none_or(|e| e.len() != 1) {
                return Err(bad(
                    "event",
                    "is required unless `events` names exactly one event type",
                ));
            }
            VolumeSourceConfig::HttpJson(HttpJsonConfig {
                url: http_url(m.url.clone())?,
                token_env: m
                    .token_env
                    .clone()
                    .map(|e| env_name("token_env", Some(e), None))
                    .transpose()?,
                series: pointer("series", m.series.clone())?,
                timestamp: pointer("timestamp", m.timestamp.clone())?,
                event,
                value: pointer("value", m.value.clone())?
                    .ok_or_else(|| bad("value", "is required: the JSON pointer to the count"))?,
                bucket_secs: seconds("bucket_secs", m.bucket_secs, 60.0, 1.0)?,
                lag_secs: seconds("lag_secs", m.lag_secs, 0.0, 0.0)?,
            })
        }
        RawKind::Prometheus => {
            reject_unused(
                kind,
                &used(
                    &[
                        &WATCH[..],
                        &[
                            "query",
                            "event_label",
                            "bucket_secs",
                            "token_env",
                            "lag_secs",
                        ],
                    ]
                    .concat(),
                ),
            )?;
            VolumeSourceConfig::Prometheus(PrometheusConfig {
                url: http_url(m.url.clone())?,
                query: m
                    .query
                    .clone()
                    .filter(|q| !q.trim().is_empty())
                    .ok_or_else(|| {
                        bad(
                            "query",
                            "is required: a PromQL query returning counts per step",
                        )
                    })?,
                event_label: m.event_label.clone().unwrap_or_else(|| "event".into()),
                bucket_secs: seconds("bucket_secs", m.bucket_secs, 60.0, 1.0)?,
                token_env: m
                    .token_env
                    .clone()
                    .map(|e| env_name("token_env", Some(e), None))
                    .transpose()?,
                lag_secs: seconds("lag_secs", m.lag_secs, 60.0, 0.0)?,
            })
        }
        RawKind::Csv => {
            reject_unused(
                kind,
                &used(&[&WATCH[..], &["path", "bucket_secs", "lag_secs"]].concat()),
            )?;
            reject_unused(kind, &[("url", m.url.is_some())])?;
            VolumeSourceConfig::Csv(CsvConfig {
                path: m
                    .path
                    .clone()
                    .filter(|p| !p.as_os_str().is_empty())
                    .ok_or_else(|| bad("path", "is required: the CSV file to read"))?,
                bucket_secs: m
                    .bucket_secs
                    .map(|_| seconds("bucket_secs", m.bucket_secs, 60.0, 1.0))
                    .transpose()?,
                lag_secs: m
                    .lag_secs
                    .map(|_| seconds("lag_secs", m.lag_secs, 0.0, 0.0))
                    .transpose()?,
            })
        }
        RawKind::Statuspage | RawKind::Feed | RawKind::Http | RawKind::Canary => {
            unreachable!("status kinds and canaries are handled before")
        }
    };
    let events = names("events", m.events)?;
    let funnel = names("funnel", m.funnel)?;
    if let Some(step) = funnel
        .iter()
        .find(|f| !events.is_empty() && !events.contains(f))
    {
        return Err(bad(
            "funnel",
            format!("`{step}` is not one of the watched `events`"),
        ));
    }
    if funnel.len() == 1 {
        return Err(bad("funnel", "needs at least two steps"));
    }
    Ok(MonitorKind::Volume(VolumeConfig {
        source,
        events,
        funnel,
        depends_on: names("depends_on", m.depends_on)?,
        history_days: match m.history_days {
            Some(d) if !(d.is_finite() && (0.0..=400.0).contains(&d)) => {
                return Err(bad(
                    "history_days",
                    format!("must be between 0 and 400 days, not {d}"),
                ))
            }
            d => d.unwrap_or(DEFAULT_HISTORY_DAYS),
        },
    }))
}

fn names(key: &'static str, list: Option<Vec<String>>) -> Result<Vec<String>, Invalid> {
    let list = list.unwrap_or_default();
    if list.iter().any(|n| n.trim().is_empty()) {
        return Err(bad(key, "must not contain empty names"));
    }
    if let Some(dup) = list
        .iter()
        .enumerate()
        .find(|(i, n)| list[..*i].contains(n))
    {
        return Err(bad(key, format!("`{}` is listed twice", dup.1)));
    }
    Ok(list)
}

fn seconds(key: &'static str, value: Option<f64>, default: f64, min: f64) -> Result<f64, Invalid> {
    match value {
        None => Ok(default),
        Some(v) => super::at_least_secs(v, min)
            .map(|()| v)
            .map_err(|message| bad(key, message)),
    }
}

/// Checks across monitors: what `depends_on` and `volume_monitor` name must exist and
/// be of the right kind. Returns the offending monitor's id with the problem.
pub(super) fn check_references(config: &Config) -> Result<(), (String, Invalid)> {
    for m in &config.monitors {
        match &m.kind {
            MonitorKind::Volume(v) => {
                for upstream in &v.depends_on {
                    match config.monitor(upstream).map(|u| &u.kind) {
                        None => {
                            return Err((m.id.clone(), bad("depends_on", format!("no monitor has the id `{upstream}`"))))
                        }
                        Some(MonitorKind::Volume(_)) => {
                            return Err((
                                m.id.clone(),
                                bad("depends_on", format!("`{upstream}` is a volume monitor; name the vendor monitors upstream")),
                            ))
                        }
                        Some(_) => {}
                    }
                }
            }
            MonitorKind::Canary(c)
                if !matches!(
                    config.monitor(&c.volume_monitor).map(|v| &v.kind),
                    Some(MonitorKind::Volume(_))
                ) =>
            {
                return Err((
                    m.id.clone(),
                    bad(
                        "volume_monitor",
                        format!("`{}` is not the id of a volume monitor", c.volume_monitor),
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}
