//! The parts of Statuspage's `/api/v2/summary.json` that Flatline reads.
//!
//! Everything but the component list is optional: vendors leave fields out or set
//! them to `null`, and enum-like words stay strings so a value this code has never
//! seen is kept and mapped instead of failing the whole page.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(super) struct Summary {
    pub page: Option<Page>,
    pub status: Option<PageStatus>,
    /// Required: a JSON object without it is not a summary at all.
    pub components: Vec<RawComponent>,
    pub incidents: Option<Vec<RawIncident>>,
    pub scheduled_maintenances: Option<Vec<RawIncident>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Page {
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PageStatus {
    pub indicator: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawComponent {
    pub id: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub group_id: Option<String>,
    pub group: Option<bool>,
    /// Member ids, on group entries only.
    pub components: Option<Vec<String>>,
}

/// Incidents and scheduled maintenances share one shape.
#[derive(Debug, Deserialize)]
pub(super) struct RawIncident {
    pub id: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub impact: Option<String>,
    pub shortlink: Option<String>,
    pub started_at: Option<String>,
    pub created_at: Option<String>,
    pub scheduled_for: Option<String>,
    pub scheduled_until: Option<String>,
    pub incident_updates: Option<Vec<RawUpdate>>,
    pub components: Option<Vec<ComponentRef>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ComponentRef {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawUpdate {
    pub id: Option<String>,
    pub status: Option<String>,
    pub body: Option<String>,
    pub display_at: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// RFC 3339 with any offset (`Z`, `-08:00`, `+05:30`), plus the offset without a
/// colon (`+0530`) that some exports use. Unreadable times are `None`.
pub(super) fn parse_time(value: Option<&str>) -> Option<DateTime<Utc>> {
    let value = value?.trim();
    DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            // A time with no offset at all: Statuspage's API speaks UTC.
            NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}
