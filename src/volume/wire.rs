//! What the volume sources share: credentials from the environment, JSON bodies,
//! timestamps in the forms exports use, bucket arithmetic and vendors' refusals.

use super::Bucket;
use crate::http::{Auth, Fetched, RequestParts};
use crate::monitor::text::{json_body, plain_text};
use crate::monitor::CheckError;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Vendor text longer than this is cut: an error message, not a page.
const MAX_VENDOR_TEXT: usize = 300;
/// Unix times above this are milliseconds: in seconds it is the year 5138.
const MILLIS_THRESHOLD: f64 = 1e11;

/// Request parts carrying a Bearer token from `env` when one is configured.
pub(super) fn optional_bearer(env: Option<&str>, what: &str) -> Result<RequestParts, CheckError> {
    Ok(RequestParts {
        auth: env.map(|env| bearer(env, what)).transpose()?,
        ..RequestParts::default()
    })
}

/// A Bearer token read from `env` now, so a token set or rotated after start-up is
/// picked up without a restart. `what` completes "set {env} to …".
pub(super) fn bearer(env: &str, what: &str) -> Result<Auth, CheckError> {
    let missing = || CheckError::Other {
        detail: format!("set {env} to {what}"),
    };
    let token = std::env::var(env).map_err(|_| missing())?;
    // `export TOKEN=$(cat file)` keeps a trailing newline more often than not.
    let token = token.trim();
    if token.is_empty() {
        return Err(missing());
    }
    if token.chars().any(char::is_control) {
        return Err(CheckError::Other {
            detail: format!("{env} contains control characters; set it to {what}"),
        });
    }
    Ok(Auth::Bearer(token.to_owned()))
}

/// A JSON body into `T`, with errors that say what came instead (a login page, an
/// empty body, a document cut short).
pub(super) fn parse_json<T: DeserializeOwned>(
    fetched: &Fetched,
    expected: &str,
) -> Result<T, CheckError> {
    json_body(&fetched.body, fetched.content_type(), expected)
}

pub(super) fn parse_error(detail: impl Into<String>) -> CheckError {
    CheckError::Parse {
        detail: detail.into(),
    }
}

/// Vendor text made safe to show: markup stripped, whitespace collapsed, length capped.
pub(super) fn vendor_text(raw: &str) -> String {
    cap(&plain_text(raw), MAX_VENDOR_TEXT)
}

/// An error answer's body when it is a short explanation in plain text: not JSON
/// (read by the caller if it knows the shape), not an HTML error page.
pub(super) fn plain_body(fetched: &Fetched) -> Option<String> {
    let body = String::from_utf8_lossy(&fetched.body);
    let markup_or_json = body.trim_start().starts_with(['{', '[', '<']);
    Some(vendor_text(&body)).filter(|t| !(markup_or_json || t.is_empty()))
}

pub(super) fn cap(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// An HTTP error status with the vendor's own explanation, when it gave one.
pub(super) fn status_error(status: u16, explanation: Option<String>) -> CheckError {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason());
    CheckError::HttpStatus {
        status,
        reason: match (reason, explanation) {
            (Some(r), Some(e)) => Some(format!("{r}: {e}")),
            (None, Some(e)) => Some(e),
            (r, None) => r.map(str::to_owned),
        },
    }
}

/// 401 and 403 say the credential was refused, naming where it came from, or that
/// one is needed.
pub(super) fn refused(status: u16, vendor: &str, env: Option<&str>) -> CheckError {
    status_error(
        status,
        Some(match env {
            Some(env) => format!("{vendor} refused the token in {env}"),
            None => format!(
                "{vendor} wants credentials; name the variable holding a token in `token_env`"
            ),
        }),
    )
}

/// A 429 with the wait it asks for, from `Retry-After` (seconds or a date), else an
/// `X-RateLimit-Reset` (a date, a Unix time or seconds to wait), else `fallback_secs`
/// (from the body, where some vendors put it).
pub(super) fn rate_limited(
    headers: &HeaderMap,
    now: DateTime<Utc>,
    fallback_secs: Option<u64>,
) -> CheckError {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let from_retry_after = header(RETRY_AFTER.as_str()).and_then(|v| wait_secs(v, now, false));
    let from_reset = header("x-ratelimit-reset").and_then(|v| wait_secs(v, now, true));
    CheckError::RateLimited {
        retry_after_secs: from_retry_after.or(from_reset).or(fallback_secs),
    }
}

fn wait_secs(value: &str, now: DateTime<Utc>, unix_allowed: bool) -> Option<u64> {
    let until = if let Ok(secs) = value.parse::<f64>() {
        if !(secs.is_finite() && secs >= 0.0) {
            return None;
        }
        // A reset header holds a point in time as often as a delay.
        if !(unix_allowed && secs > 1e9) {
            return Some(secs.ceil() as u64);
        }
        unix_time(secs)?
    } else {
        DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc)
    };
    let ms = (until - now).num_milliseconds().max(0);
    Some(u64::try_from(ms).ok()?.div_ceil(1000))
}

/// RFC 3339 text (`2026-01-05T10:00:00Z`, a space instead of `T` accepted) or a Unix
/// time in seconds or milliseconds, as text or a number.
pub(super) fn parse_time(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    match value {
        serde_json::Value::Number(n) => unix_time(n.as_f64()?),
        serde_json::Value::String(s) => parse_time_text(s),
        _ => None,
    }
}

pub(super) fn parse_time_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return unix_time(secs);
    }
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc3339(&text.replacen(' ', "T", 1)))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn unix_time(value: f64) -> Option<DateTime<Utc>> {
    if !value.is_finite() {
        return None;
    }
    let millis = if value.abs() >= MILLIS_THRESHOLD {
        value
    } else {
        value * 1000.0
    };
    // Beyond ±2^53 ms an f64 is not exact and chrono's range is left anyway.
    if millis.abs() > 9e15 {
        return None;
    }
    DateTime::from_timestamp_millis(millis.round() as i64)
}

/// The start of the `step`-second bucket that contains `t` (buckets are aligned to
/// the Unix epoch, so whole minutes, hours and UTC days).
pub(super) fn floor(t: DateTime<Utc>, step: i64) -> DateTime<Utc> {
    let secs = t.timestamp();
    at(secs - secs.rem_euclid(step))
}

/// The first bucket start at or after `t`.
pub(super) fn ceil(t: DateTime<Utc>, step: i64) -> DateTime<Utc> {
    let down = floor(t, step);
    if down == t {
        down
    } else {
        down + TimeDelta::seconds(step)
    }
}

/// A Unix time in seconds, clamped into chrono's range.
pub(super) fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(if secs < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// A configured number of seconds as a whole step of at least one second.
pub(super) fn whole_secs(secs: f64) -> i64 {
    (secs.round() as i64).max(1)
}

/// Counts gathered from a vendor's answer: aligned to bucket starts, kept only for the
/// asked range and events, and summed where several rows land in one bucket (finer
/// points than the bucket, one event split over several series).
pub(super) struct Buckets<'a> {
    step: i64,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    events: &'a [String],
    counts: BTreeMap<(DateTime<Utc>, String), f64>,
}

impl<'a> Buckets<'a> {
    pub(super) fn new(
        step: i64,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        events: &'a [String],
    ) -> Buckets<'a> {
        Buckets {
            step,
            from,
            until,
            events,
            counts: BTreeMap::new(),
        }
    }

    /// Add `count` to the bucket containing `at`; outside the range or the events
    /// asked for, it is dropped.
    pub(super) fn add(&mut self, at: DateTime<Utc>, event: &str, count: f64) {
        let start = floor(at, self.step);
        let wanted = self.events.is_empty() || self.events.iter().any(|e| e == event);
        if wanted && start >= self.from && start < self.until {
            *self.counts.entry((start, event.to_owned())).or_default() += count;
        }
    }

    pub(super) fn into_vec(self) -> Vec<Bucket> {
        self.counts
            .into_iter()
            .map(|((start, event), count)| Bucket {
                start,
                event,
                count,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn t(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn buckets_align_to_the_epoch() {
        assert_eq!(
            floor(t("2026-01-05T10:07:42.5Z"), 60),
            t("2026-01-05T10:07:00Z")
        );
        assert_eq!(
            floor(t("2026-01-05T10:07:42Z"), 3600),
            t("2026-01-05T10:00:00Z")
        );
        assert_eq!(
            ceil(t("2026-01-05T10:07:00Z"), 60),
            t("2026-01-05T10:07:00Z")
        );
        assert_eq!(
            ceil(t("2026-01-05T10:07:00.001Z"), 60),
            t("2026-01-05T10:08:00Z")
        );
        assert_eq!(
            floor(t("1969-12-31T23:59:30Z"), 60),
            t("1969-12-31T23:59:00Z")
        );
    }

    #[test]
    fn times_come_as_text_or_unix_numbers() {
        let expected = t("2026-01-05T10:00:00Z");
        for value in [
            serde_json::json!("2026-01-05T10:00:00Z"),
            serde_json::json!("2026-01-05T11:00:00+01:00"),
            serde_json::json!("2026-01-05 10:00:00Z"),
            serde_json::json!(1_767_607_200),
            serde_json::json!(1_767_607_200_000_u64),
            serde_json::json!(1_767_607_200.0),
            serde_json::json!("1767607200"),
        ] {
            assert_eq!(parse_time(&value), Some(expected), "{value}");
        }
        for value in [
            serde_json::json!("yesterday"),
            serde_json::json!(null),
            serde_json::json!(true),
            serde_json::json!(1e300),
            serde_json::json!("2026-01-05"),
        ] {
            assert_eq!(parse_time(&value), None, "{value}");
        }
    }

    #[test]
    fn rate_limits_read_every_common_header_form() {
        let now = t("2026-01-05T10:00:00Z");
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, HeaderValue::from_static(v));
            }
            map
        };
        let wait = |pairs: &[(&'static str, &'static str)], fallback| match rate_limited(
            &headers(pairs),
            now,
            fallback,
        ) {
            CheckError::RateLimited { retry_after_secs } => retry_after_secs,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(&[("retry-after", "7")], None), Some(7));
        assert_eq!(
            wait(&[("retry-after", "Mon, 05 Jan 2026 10:00:30 GMT")], None),
            Some(30)
        );
        assert_eq!(
            wait(
                &[("x-ratelimit-reset", "Mon, 05 Jan 2026 10:00:42 +0000")],
                None
            ),
            Some(42)
        );
        assert_eq!(wait(&[("x-ratelimit-reset", "1767607215")], None), Some(15));
        assert_eq!(wait(&[("x-ratelimit-reset", "20")], None), Some(20));
        // A reset in the past means "now".
        assert_eq!(wait(&[("x-ratelimit-reset", "1767607000")], None), Some(0));
        assert_eq!(
            wait(&[("retry-after", "3"), ("x-ratelimit-reset", "20")], None),
            Some(3)
        );
        assert_eq!(wait(&[("retry-after", "soon")], Some(58)), Some(58));
        assert_eq!(wait(&[], None), None);
    }

    #[test]
    fn vendor_text_is_plain_and_capped() {
        assert_eq!(
            vendor_text("<b>startTime</b> is &lt; endTime"),
            "startTime is < endTime"
        );
        let long = "é".repeat(400);
        assert_eq!(vendor_text(&long).chars().count(), MAX_VENDOR_TEXT + 1);
    }

    #[test]
    fn statuses_carry_the_vendors_words() {
        assert_eq!(
            refused(401, "Segment", Some("SEGMENT_API_TOKEN")).to_string(),
            "HTTP 401 Unauthorized: Segment refused the token in SEGMENT_API_TOKEN"
        );
        assert_eq!(
            status_error(422, Some("bad range".into())).to_string(),
            "HTTP 422 Unprocessable Entity: bad range"
        );
        assert_eq!(status_error(599, None).to_string(), "HTTP 599");
    }

    #[test]
    fn buckets_sum_filter_and_stay_in_range() {
        let events = vec!["A".to_owned()];
        let mut b = Buckets::new(
            60,
            t("2026-01-05T10:00:00Z"),
            t("2026-01-05T10:02:00Z"),
            &events,
        );
        b.add(t("2026-01-05T10:00:10Z"), "A", 1.0);
        b.add(t("2026-01-05T10:00:50Z"), "A", 2.0);
        b.add(t("2026-01-05T10:01:00Z"), "B", 5.0);
        b.add(t("2026-01-05T10:02:00Z"), "A", 5.0);
        b.add(t("2026-01-05T09:59:59Z"), "A", 5.0);
        assert_eq!(
            b.into_vec(),
            vec![Bucket {
                start: t("2026-01-05T10:00:00Z"),
                event: "A".into(),
                count: 3.0
            }]
        );
    }
}
