//! Timestamps are stored as fixed-width RFC 3339 UTC text so that text order is time
//! order and the file stays readable with the sqlite3 shell.

use super::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};

pub fn to_sql(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn from_sql(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp {s:?}: {e}")))
}
