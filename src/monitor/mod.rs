//! Monitors: one source kind per file, all behind [`Monitor`].
//!
//! A monitor turns one look at a source into a [`Reading`] on the shared
//! [`Health`] scale, or a [`CheckError`] saying why the source could not be read.
//! The engine turns either into an [`Observation`]; a `CheckError` always becomes
//! `Health::Unknown`, never a vendor state.

mod canary;
mod feed;
mod http_probe;
mod statuspage;
pub(crate) mod text;

pub use canary::CanaryMonitor;
pub use feed::FeedMonitor;
pub use http_probe::HttpProbe;
pub use statuspage::StatuspageMonitor;

use crate::config::{MonitorConfig, MonitorKind};
use crate::health::Health;
use crate::http::HttpClient;
use crate::incident::VolumeStatus;
use crate::volume::VolumeSource;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// One source of truth about a vendor or endpoint.
#[async_trait]
pub trait Monitor: Send + Sync {
    /// The configured id, unique within a config.
    fn id(&self) -> &str;

    /// Look at the source once. Must not panic on any input; every failure to read
    /// the source is a `CheckError`.
    async fn check(&self, http: &HttpClient) -> Result<Reading, CheckError>;
}

/// What a monitor read from its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub health: Health,
    /// One line for people, e.g. "Connections (Destinations): partial outage".
    pub summary: String,
    /// Components the monitor looked at (after the component filter).
    pub components: Vec<Component>,
    /// The vendor's own open incidents and in-progress or upcoming maintenance.
    pub vendor_incidents: Vec<VendorIncident>,
    /// Volume monitors: expected against observed per event type.
    #[serde(default)]
    pub volume: Option<VolumeStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    /// The group the component belongs to, if the page groups them.
    pub group: Option<String>,
    pub health: Health,
    /// The vendor's own word for the state, kept for display when it was unknown to us.
    pub raw_status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorIncident {
    /// The vendor's id for the incident, stable across polls.
    pub id: String,
    pub title: String,
    /// Planned work rather than a failure.
    pub maintenance: bool,
    /// The vendor's lifecycle word: investigating, identified, scheduled, in_progress…
    pub status: String,
    pub health: Health,
    pub url: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    /// End of a maintenance window when the vendor gives one.
    pub scheduled_until: Option<DateTime<Utc>>,
    pub components: Vec<String>,
    /// Newest first, as vendors publish them; bodies are plain text (markup stripped).
    pub updates: Vec<VendorUpdate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorUpdate {
    /// Stable id for de-duplication across polls.
    pub id: String,
    pub at: DateTime<Utc>,
    pub status: String,
    /// Plain text. Never rendered as HTML anywhere.
    pub body: String,
}

/// Why a source could not be read. Always means `Health::Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckError {
    #[error("timed out after {after_ms} ms")]
    Timeout { after_ms: u64 },
    #[error("DNS lookup failed: {detail}")]
    Dns { detail: String },
    #[error("TLS handshake failed: {detail}")]
    Tls { detail: String },
    #[error("connection failed: {detail}")]
    Connect { detail: String },
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    HttpStatus { status: u16, reason: Option<String> },
    #[error("rate limited (HTTP 429){}", retry_after_secs.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited { retry_after_secs: Option<u64> },
    /// Flatline held the request back itself, to stay under the source's documented
    /// limit: the source refused nothing.
    #[error("holding back to stay under the source's request limit; next request in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("response larger than {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("could not parse the response: {detail}")]
    Parse { detail: String },
    #[error("{detail}")]
    Other { detail: String },
}

impl CheckError {
    /// A short machine name for the reason: `timeout`, `http_status`, `parse`…
    pub fn kind(&self) -> &'static str {
        match self {
            CheckError::Timeout { .. } => "timeout",
            CheckError::Dns { .. } => "dns",
            CheckError::Tls { .. } => "tls",
            CheckError::Connect { .. } => "connect",
            CheckError::HttpStatus { .. } => "http_status",
            CheckError::RateLimited { .. } => "rate_limited",
            CheckError::Throttled { .. } => "throttled",
            CheckError::TooLarge { .. } => "too_large",
            CheckError::Parse { .. } => "parse",
            CheckError::Other { .. } => "other",
        }
    }

    /// Failures that say the network itself is missing rather than the vendor: used to
    /// tell "offline" from "vendor down".
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            CheckError::Dns { .. } | CheckError::Connect { .. } | CheckError::Timeout { .. }
        )
    }
}

/// One check of one monitor, as the engine records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub monitor_id: String,
    pub checked_at: DateTime<Utc>,
    pub latency_ms: u64,
    pub result: Result<Reading, CheckError>,
}

impl Observation {
    pub fn health(&self) -> Health {
        match &self.result {
            Ok(r) => r.health,
            Err(_) => Health::Unknown,
        }
    }
}

/// Build the monitor a config entry describes; `None` for volume monitors, which the
/// engine reads through their [`VolumeSource`] instead. A canary gets the source of
/// the volume monitor it names from `volume_source`.
pub fn from_config(
    cfg: &MonitorConfig,
    default_timeout: Duration,
    volume_source: impl Fn(&str) -> Option<Arc<dyn VolumeSource>>,
) -> Option<Box<dyn Monitor>> {
    let timeout = cfg
        .timeout_secs
        .map(Duration::from_secs_f64)
        .unwrap_or(default_timeout);
    Some(match &cfg.kind {
        MonitorKind::Statuspage(sp) => {
            Box::new(StatuspageMonitor::new(&cfg.id, sp.clone(), timeout))
        }
        MonitorKind::Feed(f) => Box::new(FeedMonitor::new(&cfg.id, f.clone(), timeout)),
        MonitorKind::Http(h) => Box::new(HttpProbe::new(&cfg.id, h.clone(), timeout)),
        MonitorKind::Canary(c) => Box::new(CanaryMonitor::new(
            &cfg.id,
            c.clone(),
            volume_source(&c.volume_monitor)?,
            timeout,
        )),
        MonitorKind::Volume(_) => return None,
    })
}
