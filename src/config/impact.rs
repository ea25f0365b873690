//! `[impact]`, the revenue-impact model, and each monitor's `impact` overrides.
//!
//! The global section and a monitor's table have the same keys, all optional: the
//! global one applies over the built-in defaults, a monitor's over the global one.
//! Values keep their place in the file until checked, so that a bad one inside an
//! inline table (`impact = { hourly_rate = -1 }`) is still reported on its own line.

use crate::impact::{Model, ModelKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The installation's model: the `[impact]` section over the built-in defaults.
pub type ImpactConfig = Model;

/// A monitor's `impact` table: only the keys it sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImpactOverride {
    pub model: Option<ModelKind>,
    pub currency: Option<String>,
    pub hourly_rate: Option<f64>,
    pub attribution: Option<f64>,
    pub degraded: Option<f64>,
    pub partial_outage: Option<f64>,
    pub major_outage: Option<f64>,
    /// Merged key by key over the global values.
    pub conversion_values: BTreeMap<String, f64>,
}

impl ImpactOverride {
    pub fn is_empty(&self) -> bool {
        *self == ImpactOverride::default()
    }

    /// `base` with every key this override sets replaced.
    pub fn apply(&self, base: &Model) -> Model {
        let mut m = base.clone();
        let set = |target: &mut f64, value: Option<f64>| *target = value.unwrap_or(*target);
        m.kind = self.model.unwrap_or(m.kind);
        m.currency = self.currency.clone().unwrap_or(m.currency);
        set(&mut m.hourly_rate, self.hourly_rate);
        set(&mut m.attribution, self.attribution);
        set(&mut m.severity_weights.degraded, self.degraded);
        set(&mut m.severity_weights.partial_outage, self.partial_outage);
        set(&mut m.severity_weights.major_outage, self.major_outage);
        m.conversion_values.extend(self.conversion_values.clone());
        m
    }
}

/// `[impact]` or a monitor's `impact` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImpact {
    model: Option<Spanned<ModelKind>>,
    currency: Option<Spanned<String>>,
    hourly_rate: Option<Spanned<f64>>,
    attribution: Option<Spanned<f64>>,
    #[serde(default)]
    severity_weights: RawWeights,
    #[serde(default)]
    conversion_values: BTreeMap<String, Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeights {
    degraded: Option<Spanned<f64>>,
    partial_outage: Option<Spanned<f64>>,
    major_outage: Option<Spanned<f64>>,
}

/// A bad value: where it is written (byte offset), its key, what is wrong.
pub(super) struct SpannedError {
    pub offset: usize,
    pub key: String,
    pub message: String,
}

impl RawImpact {
    pub(super) fn check(self) -> Result<ImpactOverride, SpannedError> {
        let w = self.severity_weights;
        let mut conversion_values = BTreeMap::new();
        for (event, value) in self.conversion_values {
            if event.trim().is_empty() {
                return Err(error(
                    &value,
                    "conversion_values",
                    "an event name must not be empty".into(),
                ));
            }
            let v = at_least_zero(&event, value)?;
            conversion_values.insert(event, v);
        }
        Ok(ImpactOverride {
            model: self.model.map(Spanned::into_inner),
            currency: self.currency.map(currency).transpose()?,
            hourly_rate: self
                .hourly_rate
                .map(|v| at_least_zero("hourly_rate", v))
                .transpose()?,
            attribution: self
                .attribution
                .map(|v| share("attribution", v))
                .transpose()?,
            degraded: w.degraded.map(|v| share("degraded", v)).transpose()?,
            partial_outage: w
                .partial_outage
                .map(|v| share("partial_outage", v))
                .transpose()?,
            major_outage: w
                .major_outage
                .map(|v| share("major_outage", v))
                .transpose()?,
            conversion_values,
        })
    }
}

fn error<T>(value: &Spanned<T>, key: &str, message: String) -> SpannedError {
    SpannedError {
        offset: value.span().start,
        key: key.to_owned(),
        message,
    }
}

fn at_least_zero(key: &str, value: Spanned<f64>) -> Result<f64, SpannedError> {
    match *value.get_ref() {
        v if v.is_finite() && v >= 0.0 => Ok(v),
        v => Err(error(&value, key, format!("must be 0 or more, not {v}"))),
    }
}

fn share(key: &str, value: Spanned<f64>) -> Result<f64, SpannedError> {
    match *value.get_ref() {
        v if (0.0..=1.0).contains(&v) => Ok(v),
        v => Err(error(
            &value,
            key,
            format!("must be between 0 and 1, not {v}"),
        )),
    }
}

fn currency(value: Spanned<String>) -> Result<String, SpannedError> {
    let code = value.get_ref();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
        return Ok(code.clone());
    }
    let message =
        format!("`{code}` is not an ISO 4217 currency code (three capital letters, like \"USD\")");
    Err(error(&value, "currency", message))
}
