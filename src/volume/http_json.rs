//! Any HTTP endpoint that answers JSON: counts picked out with JSON pointers.
//!
//! The document is one point, or `series` points to an array of points. In a point,
//! `value` is the count (a number or numeric text; null is skipped), `timestamp` its
//! bucket's start (RFC 3339, or Unix seconds or milliseconds) and `event` its event
//! name. Without `timestamp` the point is the latest complete bucket: the one that
//! ended `lag_secs` ago, floored to `bucket_secs` (with no lag, the one that just
//! ended). Without `event` it counts for the monitor's one configured event.
//! Such an endpoint only ever tells the latest bucket, so it must be polled at least
//! once per bucket: a bucket no poll saw has no row and counts as zero.
//! Timestamps are aligned down to `bucket_secs`, and points that land in one bucket
//! are summed.

use super::wire::{self, Buckets};
use super::{Batch, VolumeSource};
use crate::config::HttpJsonConfig;
use crate::http::HttpClient;
use crate::monitor::CheckError;
use async_trait::async_trait;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::Value;
use std::time::Duration;

pub struct HttpJsonSource {
    cfg: HttpJsonConfig,
    /// The event a point without an `event` pointer counts for.
    default_event: Option<String>,
    timeout: Duration,
}

impl HttpJsonSource {
    pub fn new(
        cfg: HttpJsonConfig,
        default_event: Option<String>,
        timeout: Duration,
    ) -> HttpJsonSource {
        HttpJsonSource {
            cfg,
            default_event,
            timeout,
        }
    }
}

#[async_trait]
impl VolumeSource for HttpJsonSource {
    async fn fetch(
        &self,
        http: &HttpClient,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
        events: &[String],
    ) -> Result<Batch, CheckError> {
        let parts =
            wire::optional_bearer(self.cfg.token_env.as_deref(), "the endpoint's Bearer token")?;
        let fetched = http
            .fetch_with(reqwest::Method::GET, &self.cfg.url, parts, self.timeout)
            .await?;
        match fetched.status {
            200..=299 => {}
            401 | 403 => {
                let env = self.cfg.token_env.as_deref();
                return Err(wire::refused(fetched.status, "the endpoint", env));
            }
            429 => return Err(wire::rate_limited(&fetched.headers, now, None)),
            status => return Err(wire::status_error(status, wire::plain_body(&fetched))),
        }
        let document: Value = wire::parse_json(&fetched, "JSON")?;
        read_document(
            &self.cfg,
            self.default_event.as_deref(),
            &document,
            from,
            now,
            events,
        )
    }
}

/// Turn a fetched document into the batch for `[from, complete_until)`.
fn read_document(
    cfg: &HttpJsonConfig,
    default_event: Option<&str>,
    document: &Value,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    events: &[String],
) -> Result<Batch, CheckError> {
    let step = wire::whole_secs(cfg.bucket_secs);
    let lag = TimeDelta::milliseconds((cfg.lag_secs * 1000.0) as i64);
    let until = wire::floor(now - lag, step);
    let start = wire::ceil(from, step);
    let latest = until - TimeDelta::seconds(step);
    let points: Vec<&Value> = match &cfg.series {
        None => vec![document],
        Some(pointer) => match document.pointer(pointer) {
            Some(Value::Array(points)) => points.iter().collect(),
            found => {
                return Err(wire::parse_error(format!(
                    "`series` {} {}, not an array",
                    shown(pointer),
                    kind_of(found)
                )))
            }
        },
    };
    let mut buckets = Buckets::new(step, start, until, events);
    for (i, point) in points.into_iter().enumerate() {
        let at_point = |problem: String| {
            let place = match cfg.series {
                Some(_) => format!("point {i}: "),
                None => String::new(),
            };
            wire::parse_error(format!("{place}{problem}"))
        };
        let Some(count) = count(point, &cfg.value).map_err(at_point)? else {
            tracing::debug!(point = i, "skipping a point whose value is null");
            continue;
        };
        let at = match &cfg.timestamp {
            None => latest,
            Some(pointer) => {
                let found = point.pointer(pointer);
                found.and_then(wire::parse_time).ok_or_else(|| {
                    at_point(format!(
                        "`timestamp` {} {}, not a time",
                        shown(pointer),
                        kind_of(found)
                    ))
                })?
            }
        };
        let event = match (&cfg.event, default_event) {
            (Some(pointer), _) => match point.pointer(pointer) {
                Some(Value::String(name)) if !name.trim().is_empty() => name.as_str(),
                found => {
                    return Err(at_point(format!(
                        "`event` {} {}, not an event name",
                        shown(pointer),
                        kind_of(found)
                    )))
                }
            },
            (None, Some(name)) => name,
            (None, None) => {
                return Err(CheckError::Other {
                    detail: "set `event`, or list exactly one event in `events`".into(),
                })
            }
        };
        buckets.add(at, event, count);
    }
    Ok(Batch {
        step_secs: step,
        buckets: buckets.into_vec(),
        complete_until: until.max(start),
    })
}

/// The count at `pointer`: `None` for null, an error for anything not a count.
fn count(point: &Value, pointer: &str) -> Result<Option<f64>, String> {
    let found = point.pointer(pointer);
    let value = match found {
        Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match value {
        Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        Some(v) => Err(format!("`value` {} {v}, not a count", shown(pointer))),
        None => Err(format!(
            "`value` {} {}, not a number",
            shown(pointer),
            kind_of(found)
        )),
    }
}

/// How a pointer is named in a message.
fn shown(pointer: &str) -> String {
    if pointer.is_empty() {
        "is the whole document and holds".to_owned()
    } else {
        format!("`{pointer}` holds")
    }
}

/// What a pointer found, in a few words, for messages: never the vendor's whole text.
fn kind_of(found: Option<&Value>) -> String {
    match found {
        None => "nothing (no such field)".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => format!("the text \"{}\"", wire::cap(&wire::vendor_text(s), 40)),
        Some(Value::Array(a)) => format!("an array of {}", a.len()),
        Some(Value::Object(_)) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::Bucket;
    use serde_json::json;

    fn t(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn cfg(
        series: Option<&str>,
        timestamp: Option<&str>,
        event: Option<&str>,
        value: &str,
    ) -> HttpJsonConfig {
        HttpJsonConfig {
            url: "http://127.0.0.1:1/".into(),
            token_env: None,
            series: series.map(Into::into),
            timestamp: timestamp.map(Into::into),
            event: event.map(Into::into),
            value: value.into(),
            bucket_secs: 60.0,
            lag_secs: 0.0,
        }
    }

    fn bucket(start: &str, event: &str, count: f64) -> Bucket {
        Bucket {
            start: t(start),
            event: event.into(),
            count,
        }
    }

    const NOW: &str = "2026-01-05T10:05:30Z";
    const FROM: &str = "2026-01-05T09:00:00Z";

    fn read(cfg: &HttpJsonConfig, document: Value) -> Result<Batch, CheckError> {
        read_document(
            cfg,
            Some("Order Completed"),
            &document,
            t(FROM),
            t(NOW),
            &[],
        )
    }

    #[test]
    fn a_single_number_is_the_bucket_that_just_ended() {
        let batch = read(&cfg(None, None, None, ""), json!(42)).unwrap();
        assert_eq!(
            batch.buckets,
            vec![bucket("2026-01-05T10:04:00Z", "Order Completed", 42.0)]
        );
        assert_eq!(batch.complete_until, t("2026-01-05T10:05:00Z"));
        assert_eq!(batch.step_secs, 60);
    }

    #[test]
    fn with_a_lag_the_point_is_the_bucket_that_ended_that_long_ago() {
        let mut c = cfg(None, None, None, "/count");
        c.lag_secs = 45.0;
        let batch = read(&c, json!({"count": "7"})).unwrap();
        assert_eq!(
            batch.buckets,
            vec![bucket("2026-01-05T10:03:00Z", "Order Completed", 7.0)]
        );
        assert_eq!(batch.complete_until, t("2026-01-05T10:04:00Z"));
    }

    #[test]
    fn a_series_with_pointers_aligns_and_sums() {
        let c = cfg(Some("/data/points"), Some("/ts"), Some("/name"), "/v");
        let document = json!({"data": {"points": [
            {"ts": "2026-01-05T10:00:00Z", "name": "Add to Cart", "v": 3},
            {"ts": "2026-01-05T10:00:30Z", "name": "Add to Cart", "v": "2.5"},
            {"ts": 1767607260000_u64, "name": "Checkout", "v": 1, "extra": [1, 2]},
            {"ts": "2026-01-05T10:01:00Z", "name": "Checkout", "v": null},
            {"ts": "2026-01-05T10:05:00Z", "name": "Checkout", "v": 9},
            {"ts": "2026-01-05T08:00:00Z", "name": "Checkout", "v": 9}
        ]}});
        let batch = read(&c, document).unwrap();
        assert_eq!(
            batch.buckets,
            vec![
                bucket("2026-01-05T10:00:00Z", "Add to Cart", 5.5),
                bucket("2026-01-05T10:01:00Z", "Checkout", 1.0),
            ]
        );
    }

    #[test]
    fn the_events_asked_for_filter_the_points() {
        let c = cfg(Some("/p"), Some("/ts"), Some("/e"), "/v");
        let document = json!({"p": [
            {"ts": 1767607200, "e": "A", "v": 1},
            {"ts": 1767607200, "e": "B", "v": 2}
        ]});
        let batch = read_document(&c, None, &document, t(FROM), t(NOW), &["B".to_owned()]).unwrap();
        assert_eq!(
            batch.buckets,
            vec![bucket("2026-01-05T10:00:00Z", "B", 2.0)]
        );
    }

    #[test]
    fn bad_pointer_targets_say_what_they_found() {
        let err = |c: HttpJsonConfig, document: Value| read(&c, document).unwrap_err().to_string();
        assert_eq!(
            err(
                cfg(Some("/items"), None, None, "/v"),
                json!({"items": {"v": 1}})
            ),
            "could not parse the response: `series` `/items` holds an object, not an array"
        );
        assert_eq!(
            err(cfg(None, None, None, "/count"), json!({"total": 1})),
            "could not parse the response: `value` `/count` holds nothing (no such field), not a number"
        );
        assert_eq!(
            err(cfg(Some("/p"), None, None, "/v"), json!({"p": [{"v": 1}, {"v": "lots"}]})),
            "could not parse the response: point 1: `value` `/v` holds the text \"lots\", not a number"
        );
        assert_eq!(
            err(cfg(None, None, None, "/v"), json!({"v": -3})),
            "could not parse the response: `value` `/v` holds -3, not a count"
        );
        assert_eq!(
            err(cfg(None, None, None, "/v"), json!({"v": "NaN"})),
            "could not parse the response: `value` `/v` holds NaN, not a count"
        );
        assert_eq!(
            err(
                cfg(None, Some("/at"), None, "/v"),
                json!({"v": 1, "at": "soon"})
            ),
            "could not parse the response: `timestamp` `/at` holds the text \"soon\", not a time"
        );
        assert_eq!(
            err(cfg(None, None, Some("/e"), "/v"), json!({"v": 1, "e": 5})),
            "could not parse the response: `event` `/e` holds 5, not an event name"
        );
    }
}
