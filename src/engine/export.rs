//! Reports of a period's incidents, in the local time zone, for `flatline export`
//! and the window's export.

use super::{Engine, EngineError};
use crate::report::{Format, Report};
use crate::store::IncidentQuery;
use chrono::{DateTime, Local, Utc};

impl Engine {
    /// Every incident that overlaps `[since, until)` (all of history when `since` is
    /// unset), oldest first, rendered in `format`.
    pub async fn export(
        &self,
        format: Format,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let until = until.unwrap_or(now);
        let mut incidents = self
            .incidents(IncidentQuery {
                since,
                ..Default::default()
            })
            .await?;
        incidents.retain(|i| i.started_at < until);
        incidents.sort_by_key(|i| (i.started_at, i.id));
        let zone = local_zone_name();
        Ok(Report {
            tz: &Local,
            zone_name: &zone,
            since,
            until,
            generated_at: now,
            incidents: &incidents,
        }
        .render(format))
    }
}

/// The local zone's name ("Europe/Berlin"): `TZ` when set, as chrono's `Local`
/// follows it, else the system's.
fn local_zone_name() -> String {
    std::env::var("TZ")
        .ok()
        .map(|tz| tz.trim_start_matches(':').to_owned())
        .filter(|tz| !tz.is_empty())
        .or_else(|| iana_time_zone::get_timezone().ok())
        .unwrap_or_else(|| "local time".to_owned())
}
