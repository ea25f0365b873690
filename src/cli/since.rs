//! `--since` values (an RFC 3339 time, a local date, or an age) and lengths of time.

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};

pub fn parse(value: &str) -> Result<DateTime<Utc>, String> {
    parse_at(value, Utc::now())
}

fn parse_at(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
        return Local
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{value} has no local midnight"));
    }
    let age = length_of(value).map_err(|e| match e {
        LengthError::NotANumber => format!(
            "`{value}` is not a time: use 2026-11-23T09:00:00Z, 2026-11-23 or an age like 24h"
        ),
        LengthError::Unit(message) => message,
    })?;
    Ok(now - age)
}

/// A length of time such as 90m, 1h, 2d or 1w.
pub fn length(value: &str) -> Result<chrono::Duration, String> {
    length_of(value.trim()).map_err(|e| match e {
        LengthError::NotANumber => format!("`{value}` is not a length of time such as 30m or 2h"),
        LengthError::Unit(message) => message,
    })
}

enum LengthError {
    NotANumber,
    Unit(String),
}

fn length_of(value: &str) -> Result<chrono::Duration, LengthError> {
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: i64 = number.parse().map_err(|_| LengthError::NotANumber)?;
    match unit {
        "m" | "min" => Ok(chrono::Duration::minutes(n)),
        "h" => Ok(chrono::Duration::hours(n)),
        "d" => Ok(chrono::Duration::days(n)),
        "w" => Ok(chrono::Duration::weeks(n)),
        _ => Err(LengthError::Unit(format!(
            "unknown unit `{unit}` in `{value}`: use m, h, d or w"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_times_dates_and_ages() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_at("2026-11-23T10:00:00+02:00", now).unwrap(),
            DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z").unwrap()
        );
        assert_eq!(
            parse_at("24h", now).unwrap(),
            now - chrono::Duration::hours(24)
        );
        assert_eq!(
            parse_at("90m", now).unwrap(),
            now - chrono::Duration::minutes(90)
        );
        assert_eq!(
            parse_at("7d", now).unwrap(),
            now - chrono::Duration::days(7)
        );
        assert!(parse_at("2026-11-01", now).is_ok());
        assert!(parse_at("yesterday", now)
            .unwrap_err()
            .contains("not a time"));
        assert!(parse_at("3y", now).unwrap_err().contains("unknown unit"));
    }
}
