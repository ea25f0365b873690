//! The model's settings, its inputs and the estimate it gives.

use crate::health::Health;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// An hour of outage costs `hourly_rate` × the share of the funnel affected.
    HourlyRate,
    /// Each missing conversion costs its value × `attribution`.
    ConversionValue,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::HourlyRate => "hourly_rate",
            ModelKind::ConversionValue => "conversion_value",
        }
    }
}

/// The share of the funnel a vendor status incident takes out, by severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct SeverityWeights {
    pub degraded: f64,
    pub partial_outage: f64,
    pub major_outage: f64,
}

impl Default for SeverityWeights {
    fn default() -> Self {
        SeverityWeights {
            degraded: 0.25,
            partial_outage: 0.5,
            major_outage: 1.0,
        }
    }
}

impl SeverityWeights {
    /// `None` when the severity itself is unknown: guessing a weight would print a
    /// figure nobody can defend. Planned maintenance costs nothing by design.
    pub fn weight(&self, severity: Health) -> Option<f64> {
        match severity {
            Health::Operational | Health::Maintenance => Some(0.0),
            Health::Degraded => Some(self.degraded),
            Health::PartialOutage => Some(self.partial_outage),
            Health::MajorOutage => Some(self.major_outage),
            Health::Unknown => None,
        }
    }
}

/// The model and all its inputs. Stored with each estimate, so that an estimate made
/// under other settings is detectable by `!=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Model {
    pub kind: ModelKind,
    /// ISO 4217 code.
    pub currency: String,
    /// Per outage hour with the whole funnel affected.
    pub hourly_rate: f64,
    /// Share (0 to 1) of the missing conversions' value counted as lost.
    pub attribution: f64,
    pub severity_weights: SeverityWeights,
    /// Value of one conversion, per event type.
    pub conversion_values: BTreeMap<String, f64>,
}

impl Default for Model {
    /// $800 an hour is the industry's usual estimate for a small shop.
    fn default() -> Self {
        Model {
            kind: ModelKind::HourlyRate,
            currency: "USD".into(),
            hourly_rate: 800.0,
            attribution: 1.0,
            severity_weights: SeverityWeights::default(),
            conversion_values: BTreeMap::new(),
        }
    }
}

impl Model {
    pub fn value_of(&self, event: &str) -> Option<f64> {
        self.conversion_values.get(event).copied()
    }
}

/// A volume monitor's counts around an incident: every event type the monitor
/// watches, bucket by bucket, with what the detector expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeSeries {
    pub step_secs: i64,
    /// One per event type; a pooled `*` series, if present, is ignored (it would
    /// count every conversion twice).
    pub events: Vec<EventSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSeries {
    pub event: String,
    pub points: Vec<SeriesPoint>,
    /// What the detector's expectation is multiplied by before pricing: how much the
    /// event type carried against it on the days before (see [`super::calibration`]).
    /// `None` where that is not known, and the expectation is taken as it is.
    #[serde(default)]
    pub calibration: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Bucket start, Unix seconds.
    pub start: i64,
    /// `None` where the detector did not judge the bucket (still learning, say).
    pub expected: Option<f64>,
    pub observed: f64,
    /// The expectation is what the other event types' flow implied during a share or
    /// funnel drop: already what would have arrived, so it is not calibrated.
    #[serde(default)]
    pub implied: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// `None` when an input is missing: never a made-up zero.
    pub amount: Option<f64>,
    pub currency: String,
    /// The model this was computed with.
    pub model: Model,
    /// One line for people: "est. $1,240 · 1.6 h × $800/h × 97% of funnel".
    pub summary: String,
    /// What would make the estimate possible, or better. May be non-empty while
    /// `amount` is set, when the estimate had to make do with less.
    pub missing_inputs: Vec<String>,
    /// Length of the incident so far.
    pub hours: f64,
    /// Hourly-rate model: the average share of the funnel lost.
    pub funnel_share: Option<f64>,
    /// Volume incidents: conversions expected but not seen, all affected event types.
    pub missing_conversions: Option<f64>,
    /// Volume incidents: each affected event type.
    pub by_event: Vec<EventImpact>,
    /// Each clock hour (UTC) the incident touches, for totals per day and month.
    pub by_hour: Vec<HourImpact>,
    /// The incident has ended: the figure will not grow any more.
    pub is_final: bool,
    pub computed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventImpact {
    pub event: String,
    pub expected: f64,
    pub observed: f64,
    pub missing: f64,
    pub value: Option<f64>,
    pub amount: Option<f64>,
    /// The factor `expected` carries over the detector's own expectation, when the
    /// days before the incident gave one.
    #[serde(default)]
    pub calibration: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourImpact {
    /// The clock hour, UTC.
    pub start: DateTime<Utc>,
    /// How much of that hour lies inside the incident (0 to 1).
    pub hours: f64,
    /// Conversions missing in that hour; `None` where they are not known per hour.
    pub missing: Option<f64>,
    pub amount: Option<f64>,
    /// The amount split by event type (volume incidents only).
    pub by_event: Vec<(String, f64)>,
}
