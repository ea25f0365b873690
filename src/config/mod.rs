//! The one TOML file shared by the desktop app and the CLI.
//!
//! Parsing is strict (unknown keys are errors) and every error names the file, the
//! line and the key, because a typo in a monitor must never silently disable it.

use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use location::{at_key, at_offset, line_of, monitor_offset, table_offset};

mod channels;
mod impact;
mod location;
mod notifications;
mod volume;

pub use channels::{Change, ChannelConfig, ChannelKind};
pub use impact::{ImpactConfig, ImpactOverride};
pub use notifications::{Notifications, QuietHours};
pub use volume::{
    CanaryConfig, CsvConfig, Granularity, HttpJsonConfig, PrometheusConfig, SegmentVolumeConfig,
    VolumeConfig, VolumeSourceConfig,
};

/// The commented default written on first run; also what `flatline` uses when no file
/// exists and none can be written.
pub const DEFAULT_CONFIG: &str = include_str!("../default_config.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: line {line}{}: {message}", path.display(), key.as_deref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: usize,
        key: Option<String>,
        message: String,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the default config to {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub general: General,
    pub notifications: Notifications,
    /// The revenue-impact model; see [`Config::impact_model`] for a monitor's.
    pub impact: ImpactConfig,
    pub monitors: Vec<MonitorConfig>,
    /// Team channels told of incidents beside the desktop.
    pub channels: Vec<ChannelConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct General {
    /// Seconds between two checks of a monitor, unless the monitor says otherwise.
    pub interval_secs: f64,
    /// Seconds a single check may take.
    pub timeout_secs: f64,
    /// How many monitors are checked at the same time.
    pub concurrency: usize,
    /// Largest response body read from a source; larger ones are a monitor error.
    pub max_body_bytes: u64,
    /// Name recorded on acknowledgements; the login name when unset.
    pub user: Option<String>,
}

impl Default for General {
    fn default() -> Self {
        General {
            interval_secs: 60.0,
            timeout_secs: 10.0,
            concurrency: 8,
            max_body_bytes: 5 * 1024 * 1024,
            user: None,
        }
    }
}

impl General {
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.interval_secs)
    }
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_secs)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonitorConfig {
    pub id: String,
    /// Display name; the id when unset.
    pub name: Option<String>,
    pub interval_secs: Option<f64>,
    pub timeout_secs: Option<f64>,
    pub paused: bool,
    /// Consecutive bad checks before an incident opens.
    pub confirm: u32,
    /// Consecutive good checks before an open incident resolves.
    pub recover: u32,
    pub kind: MonitorKind,
    /// This monitor's `impact` table: what it changes in the global model.
    pub impact: ImpactOverride,
}

impl MonitorConfig {
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
    pub fn interval(&self, general: &General) -> Duration {
        Duration::from_secs_f64(self.interval_secs.unwrap_or(general.interval_secs))
    }
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            MonitorKind::Statuspage(_) => "statuspage",
            MonitorKind::Feed(_) => "feed",
            MonitorKind::Http(_) => "http",
            MonitorKind::Volume(v) => v.source.kind_name(),
            MonitorKind::Canary(_) => "canary",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum MonitorKind {
    Statuspage(StatuspageConfig),
    Feed(FeedConfig),
    Http(HttpProbeConfig),
    /// Conversion-event counts per bucket, watched by the volume detector.
    Volume(VolumeConfig),
    /// A test event sent through the pipeline and expected back in a volume source.
    Canary(CanaryConfig),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatuspageConfig {
    /// The page's base URL (`https://status.segment.com`) or its full
    /// `…/api/v2/summary.json` URL.
    pub url: String,
    /// Only these components (or groups, with their members) count; empty means all.
    pub components: Vec<String>,
}

impl StatuspageConfig {
    pub fn summary_url(&self) -> String {
        if self.url.ends_with(".json") {
            self.url.clone()
        } else {
            format!("{}/api/v2/summary.json", self.url.trim_end_matches('/'))
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub url: String,
    /// Only entries mentioning one of these names count; empty means all.
    pub components: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpProbeConfig {
    pub url: String,
    pub method: String,
    /// Statuses that count as healthy; any 2xx when empty.
    pub expect_status: Vec<u16>,
    /// Slower answers count as degraded.
    pub latency_limit_ms: Option<u64>,
}

/// The file as written, before kind-specific checks. Every key any kind accepts is
/// here so that a key that belongs to no kind is reported with its line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    general: General,
    #[serde(default)]
    notifications: Notifications,
    #[serde(default)]
    impact: impact::RawImpact,
    #[serde(default)]
    monitor: Vec<toml::Spanned<RawMonitor>>,
    #[serde(default)]
    channel: Vec<toml::Spanned<channels::RawChannel>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitor {
    id: String,
    kind: RawKind,
    url: Option<String>,
    name: Option<String>,
    interval_secs: Option<f64>,
    timeout_secs: Option<f64>,
    #[serde(default)]
    paused: bool,
    confirm: Option<u32>,
    recover: Option<u32>,
    components: Option<Vec<String>>,
    method: Option<String>,
    expect_status: Option<Vec<u16>>,
    latency_limit_ms: Option<u64>,
    // Volume sources and canaries (see `volume.rs`).
    events: Option<Vec<String>>,
    funnel: Option<Vec<String>>,
    depends_on: Option<Vec<String>>,
    history_days: Option<f64>,
    token_env: Option<String>,
    granularity: Option<Granularity>,
    source_ids: Option<Vec<String>>,
    lag_secs: Option<f64>,
    bucket_secs: Option<f64>,
    path: Option<PathBuf>,
    series: Option<String>,
    timestamp: Option<String>,
    event: Option<String>,
    value: Option<String>,
    query: Option<String>,
    event_label: Option<String>,
    write_key_env: Option<String>,
    volume_monitor: Option<String>,
    send_every_secs: Option<f64>,
    deadline_secs: Option<f64>,
    impact: Option<impact::RawImpact>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    Statuspage,
    Feed,
    Http,
    SegmentVolume,
    HttpJson,
    Prometheus,
    Csv,
    Canary,
}

impl Config {
    /// Parse a config's text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            at_offset(text, path, offset, e.message().to_string())
        })?;
        let general = raw.general;
        let in_general = |key: &str, message: String| {
            Err(at_key(
                text,
                path,
                table_offset(text, "general"),
                key,
                message,
            ))
        };
        for (key, value) in [
            ("interval_secs", general.interval_secs),
            ("timeout_secs", general.timeout_secs),
        ] {
            if let Err(message) = at_least_secs(value, MIN_SECS) {
                return in_general(key, message);
            }
        }
        if general.concurrency == 0 {
            return in_general("concurrency", "must be at least 1".into());
        }
        let at_value = |e: impact::SpannedError| ConfigError::Invalid {
            path: path.to_owned(),
            line: line_of(text, e.offset),
            key: Some(e.key),
            message: e.message,
        };
        let global_impact = raw
            .impact
            .check()
            .map_err(at_value)?
            .apply(&ImpactConfig::default());

        let mut seen = HashSet::new();
        let mut monitors = Vec::with_capacity(raw.monitor.len());
        for spanned in raw.monitor {
            let start = spanned.span().start;
            let mut m = spanned.into_inner();
            let monitor_impact = m.impact.take().map(impact::RawImpact::check);
            let monitor_impact = monitor_impact.transpose().map_err(at_value)?;
            let fail = |key: &str, message: String| Err(at_key(text, path, start, key, message));
            if m.id.trim().is_empty() {
                return fail("id", "must not be empty".into());
            }
            if !seen.insert(m.id.clone()) {
                return fail("id", format!("monitor id `{}` is used twice", m.id));
            }
            for (key, value) in [
                ("interval_secs", m.interval_secs),
                ("timeout_secs", m.timeout_secs),
            ] {
                if let Some(Err(message)) = value.map(|v| at_least_secs(v, MIN_SECS)) {
                    return fail(key, message);
                }
            }
            let (id, name, interval_secs, timeout_secs, paused, confirm, recover) = (
                m.id.clone(),
                m.name.clone(),
                m.interval_secs,
                m.timeout_secs,
                m.paused,
                m.confirm,
                m.recover,
            );
            let kind = match monitor_kind(m) {
                Ok(kind) => kind,
                Err(Invalid { key, message }) => return fail(key, message),
            };
            // A probe is our own measurement and can blip; a vendor's page is already a
            // considered statement, so it needs no second look before alerting.
            let default_confirm = if matches!(kind, MonitorKind::Http(_)) {
                2
            } else {
                1
            };
            monitors.push(MonitorConfig {
                id,
                name,
                interval_secs,
                timeout_secs,
                paused,
                confirm: confirm.unwrap_or(default_confirm).max(1),
                recover: recover.unwrap_or(2).max(1),
                kind,
                impact: monitor_impact.unwrap_or_default(),
            });
        }
        let mut channels = Vec::with_capacity(raw.channel.len());
        for spanned in raw.channel {
            let start = spanned.span().start;
            let fail = |key: &str, message: String| Err(at_key(text, path, start, key, message));
            let channel = match spanned.into_inner().check() {
                Ok(channel) => channel,
                Err(Invalid { key, message }) => return fail(key, message),
            };
            if channels.iter().any(|c: &ChannelConfig| c.id == channel.id) {
                return fail("id", format!("channel id `{}` is used twice", channel.id));
            }
            channels.push(channel);
        }
        let config = Config {
            general,
            notifications: raw.notifications,
            impact: global_impact,
            monitors,
            channels,
        };
        volume::check_references(&config).map_err(|(id, Invalid { key, message })| {
            at_key(
                text,
                path,
                monitor_offset(text, &id).unwrap_or(0),
                key,
                message,
            )
        })?;
        Ok(config)
    }

    /// Read the config at `path`, writing the commented default there first if the
    /// file does not exist yet.
    pub fn load_or_init(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_default(path)?;
                Config::parse(DEFAULT_CONFIG, path)
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    pub fn monitor(&self, id: &str) -> Option<&MonitorConfig> {
        self.monitors.iter().find(|m| m.id == id)
    }

    /// The impact model for a monitor's incidents: the global one with the monitor's
    /// overrides; the global one for an id no monitor has (any more).
    pub fn impact_model(&self, monitor_id: &str) -> crate::impact::Model {
        match self.monitor(monitor_id) {
            Some(m) => m.impact.apply(&self.impact),
            None => self.impact.clone(),
        }
    }
}

/// Poll intervals and timeouts shorter than this are typos; zero would spin.
const MIN_SECS: f64 = 0.1;

fn at_least_secs(secs: f64, min: f64) -> Result<(), String> {
    if secs.is_finite() && secs >= min {
        Ok(())
    } else {
        Err(format!("must be at least {min} seconds, not {secs}"))
    }
}

/// A key and what is wrong with its value, before it is placed on a line.
struct Invalid {
    key: &'static str,
    message: String,
}

fn bad(key: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        key,
        message: message.into(),
    }
}

/// Keys set on a monitor whose kind does not use them are typos or copy-paste slips;
/// saying so beats silently ignoring them.
fn reject_unused(kind: &str, keys: &[(&'static str, bool)]) -> Result<(), Invalid> {
    match keys.iter().find(|(_, set)| *set) {
        Some((key, _)) => Err(bad(
            key,
            format!("does not apply to monitors of kind \"{kind}\""),
        )),
        None => Ok(()),
    }
}

fn http_url(url: Option<String>) -> Result<String, Invalid> {
    let url = url.ok_or_else(|| bad("url", "is required for this kind of monitor"))?;
    url::Url::parse(&url)
        .map_err(|e| e.to_string())
        .and_then(|u| {
            matches!(u.scheme(), "http" | "https")
                .then_some(())
                .ok_or_else(|| format!("scheme `{}` is not http or https", u.scheme()))
        })
        .map_err(|e| bad("url", format!("`{url}` is not a usable URL: {e}")))?;
    Ok(url)
}

fn env_name(
    key: &'static str,
    value: Option<String>,
    default: Option<&str>,
) -> Result<String, Invalid> {
    let name = value
        .or_else(|| default.map(str::to_owned))
        .ok_or_else(|| bad(key, "is required"))?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad(
            key,
            format!("`{name}` is not an environment variable name"),
        ));
    }
    Ok(name)
}

fn monitor_kind(m: RawMonitor) -> Result<MonitorKind, Invalid> {
    if !matches!(m.kind, RawKind::Statuspage | RawKind::Feed | RawKind::Http) {
        return volume::monitor_kind(m);
    }
    reject_unused(m.kind.name(), &volume::keys_set(&m))?;
    let url = http_url(m.url)?;
    match m.kind {
        RawKind::Http => {
            reject_unused("http", &[("components", m.components.is_some())])?;
            let method = m
                .method
                .unwrap_or_else(|| "GET".into())
                .to_ascii_uppercase();
            if reqwest::Method::from_bytes(method.as_bytes()).is_err() {
                return Err(bad("method", format!("`{method}` is not an HTTP method")));
            }
            let expect_status = m.expect_status.unwrap_or_default();
            if let Some(bad_status) = expect_status.iter().find(|s| !(100..=599).contains(*s)) {
                return Err(bad(
                    "expect_status",
                    format!("{bad_status} is not an HTTP status"),
                ));
            }
            Ok(MonitorKind::Http(HttpProbeConfig {
                url,
                method,
                expect_status,
                latency_limit_ms: m.latency_limit_ms,
            }))
        }
        kind => {
            reject_unused(
                kind.name(),
                &[
                    ("method", m.method.is_some()),
                    ("expect_status", m.expect_status.is_some()),
                    ("latency_limit_ms", m.latency_limit_ms.is_some()),
                ],
            )?;
            let components = m.components.unwrap_or_default();
            Ok(if matches!(kind, RawKind::Statuspage) {
                MonitorKind::Statuspage(StatuspageConfig { url, components })
            } else {
                MonitorKind::Feed(FeedConfig { url, components })
            })
        }
    }
}

impl RawKind {
    fn name(self) -> &'static str {
        match self {
            RawKind::Statuspage => "statuspage",
            RawKind::Feed => "feed",
            RawKind::Http => "http",
            RawKind::SegmentVolume => "segment_volume",
            RawKind::HttpJson => "http_json",
            RawKind::Prometheus => "prometheus",
            RawKind::Csv => "csv",
            RawKind::Canary => "canary",
        }
    }
}

fn write_default(path: &Path) -> Result<(), ConfigError> {
    let wrap = |source| ConfigError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(wrap)?;
    }
    // Written to a temporary name and renamed so a crash never leaves half a config.
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, DEFAULT_CONFIG).map_err(wrap)?;
    std::fs::rename(&tmp, path).map_err(wrap)
}

impl fmt::Display for MonitorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MonitorKind::Statuspage(c) => write!(f, "statuspage {}", c.url),
            MonitorKind::Feed(c) => write!(f, "feed {}", c.url),
            MonitorKind::Http(c) => write!(f, "http {} {}", c.method, c.url),
            MonitorKind::Volume(c) => write!(f, "{}", c.source),
            MonitorKind::Canary(c) => write!(f, "canary via {}", c.volume_monitor),
        }
    }
}

#[cfg(test)]
mod tests;
