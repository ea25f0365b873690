//! A Prometheus-compatible `GET /api/v1/query_range` (Prometheus, Thanos, Mimir,
//! VictoriaMetrics).
//!
//! - A sample at `ts` covers the step that ends at `ts`: that is what
//!   `increase(x[1m])` evaluated at `ts` counts. So the bucket starting at `b` is
//!   the sample at `b + step`, and a batch complete until `u` asks for samples up to
//!   and including `u`. Samples off the step grid are aligned down after that shift.
//! - One series per value of `event_label`; two series with the same value are summed
//!   (a query that keeps another label, say `instance`); a series without the label is
//!   skipped with a warning, unless every series lacks it, which is a parse error
//!   rather than a reading of zero everywhere.
//! - `NaN`, `±Inf` and negative samples (counter arithmetic such as `delta` can dip
//!   below zero) are skipped: they are no count.
//! - Prometheus refuses more than 11,000 points per series, so a long range is read
//!   in windows of [`MAX_POINTS`] steps, at most [`MAX_REQUESTS_PER_FETCH`] per
//!   fetch; the batch then ends with the last window read and the engine asks again.
//! - An empty result is zero counts: Prometheus cannot tell "no events" from "no
//!   such metric", so a query for a counter that is not scraped reads as silence.

use super::wire::{self, Buckets};
use super::{Batch, Bucket, VolumeSource};
use crate::config::PrometheusConfig;
use crate::http::{Fetched, HttpClient, RequestParts};
use crate::monitor::CheckError;
use async_trait::async_trait;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Steps per request, below Prometheus' limit of 11,000 points per series.
const MAX_POINTS: i64 = 10_000;
/// Windows read per fetch: with one-minute steps, about 70 days.
const MAX_REQUESTS_PER_FETCH: usize = 10;

pub struct PrometheusSource {
    cfg: PrometheusConfig,
    timeout: Duration,
}

impl PrometheusSource {
    pub fn new(cfg: PrometheusConfig, timeout: Duration) -> PrometheusSource {
        PrometheusSource { cfg, timeout }
    }

    fn url(&self, first_sample: DateTime<Utc>, last_sample: DateTime<Utc>, step: i64) -> String {
        let base = format!("{}/api/v1/query_range", self.cfg.url.trim_end_matches('/'));
        let Ok(mut url) = url::Url::parse(&base) else {
            // The config checked the URL; should it still fail, the HTTP client says so.
            return base;
        };
        url.query_pairs_mut()
            .append_pair("query", &self.cfg.query)
            .append_pair("start", &first_sample.timestamp().to_string())
            .append_pair("end", &last_sample.timestamp().to_string())
            .append_pair("step", &step.to_string());
        url.into()
    }

    async fn read_window(
        &self,
        http: &HttpClient,
        parts: &RequestParts,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        step: i64,
        now: DateTime<Utc>,
        events: &[String],
    ) -> Result<Vec<Bucket>, CheckError> {
        let url = self.url(start + TimeDelta::seconds(step), end, step);
        tracing::debug!(%url, "reading Prometheus");
        let fetched = http
            .fetch_with(reqwest::Method::GET, &url, parts.clone(), self.timeout)
            .await?;
        let series = self.read_answer(&fetched, now)?;
        let mut buckets = Buckets::new(step, start, end, events);
        read_series(&series, &self.cfg.event_label, step, &mut buckets)?;
        Ok(buckets.into_vec())
    }

    fn read_answer(
        &self,
        fetched: &Fetched,
        now: DateTime<Utc>,
    ) -> Result<Vec<Series>, CheckError> {
        let status = fetched.status;
        match status {
            401 | 403 => {
                return Err(wire::refused(
                    status,
                    "Prometheus",
                    self.cfg.token_env.as_deref(),
                ))
            }
            429 => return Err(wire::rate_limited(&fetched.headers, now, None)),
            _ => {}
        }
        let success = (200..300).contains(&status);
        // Prometheus explains refusals (a bad query, a range too long) in JSON.
        let answer: Answer = match wire::parse_json(fetched, "a Prometheus query_range answer") {
            Ok(answer) => answer,
            Err(_) if !success => {
                return Err(wire::status_error(status, wire::plain_body(fetched)))
            }
            Err(err) => return Err(err),
        };
        if answer.status.as_deref() == Some("error") || !success {
            let explanation = match (answer.error_type, answer.error) {
                (Some(kind), Some(error)) => Some(format!("{kind}: {error}")),
                (kind, error) => error.or(kind),
            }
            .map(|e| wire::vendor_text(&e));
            return Err(if success {
                CheckError::Other {
                    detail: format!(
                        "Prometheus refused the query: {}",
                        explanation.as_deref().unwrap_or("no reason given")
                    ),
                }
            } else {
                wire::status_error(status, explanation)
            });
        }
        let data = answer.data.unwrap_or_default();
        match data.result_type.as_deref() {
            Some("matrix") => Ok(data.result.unwrap_or_default()),
            other => Err(wire::parse_error(format!(
                "expected a range query's matrix, got {}",
                other.map_or("no resultType".into(), |t| format!(
                    "a {}",
                    wire::vendor_text(t)
                ))
            ))),
        }
    }
}

#[async_trait]
impl VolumeSource for PrometheusSource {
    async fn fetch(
        &self,
        http: &HttpClient,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
        events: &[String],
    ) -> Result<Batch, CheckError> {
        let parts = wire::optional_bearer(
            self.cfg.token_env.as_deref(),
            "a Bearer token for Prometheus",
        )?;
        let step = wire::whole_secs(self.cfg.bucket_secs);
        let start = wire::ceil(from, step);
        let lag = TimeDelta::milliseconds((self.cfg.lag_secs * 1000.0) as i64);
        let until = wire::floor(now - lag, step);
        let mut batch = Batch {
            step_secs: step,
            buckets: Vec::new(),
            complete_until: start,
        };
        let width = TimeDelta::seconds(step * MAX_POINTS);
        let windows = std::iter::successors(Some(start), |s| Some(*s + width))
            .take_while(|s| *s < until)
            .map(|s| (s, (s + width).min(until)))
            .take(MAX_REQUESTS_PER_FETCH);
        for window in windows {
            match self
                .read_window(http, &parts, window, step, now, events)
                .await
            {
                Ok(buckets) => {
                    batch.buckets.extend(buckets);
                    batch.complete_until = window.1;
                }
                Err(err) if batch.complete_until == start => return Err(err),
                Err(err) => {
                    tracing::warn!(
                        read_until = %batch.complete_until,
                        "Prometheus read in part, the rest on the next poll: {err}"
                    );
                    break;
                }
            }
        }
        Ok(batch)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    status: Option<String>,
    data: Option<Data>,
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: Option<String>,
    result: Option<Vec<Series>>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    values: Vec<(f64, serde_json::Value)>,
}

fn read_series(
    series: &[Series],
    label: &str,
    step: i64,
    buckets: &mut Buckets<'_>,
) -> Result<(), CheckError> {
    let named = |s: &Series| {
        s.metric
            .get(label)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    if !series.is_empty() && series.iter().all(|s| named(s).is_none()) {
        return Err(wire::parse_error(format!(
            "no series has the label `{label}` that names the event; \
             aggregate the query by it, e.g. `sum by ({label}) (…)`"
        )));
    }
    for s in series {
        let Some(event) = named(s) else {
            tracing::warn!(
                labels = ?s.metric.keys().collect::<Vec<_>>(),
                "skipping a Prometheus series without the label `{label}`"
            );
            continue;
        };
        for (ts, value) in &s.values {
            let count = match value {
                serde_json::Value::String(v) => v.trim().parse::<f64>().ok(),
                serde_json::Value::Number(n) => n.as_f64(),
                _ => None,
            };
            let Some(count) = count.filter(|c| c.is_finite() && *c >= 0.0) else {
                tracing::debug!(%event, ts, ?value, "skipping a sample that is no count");
                continue;
            };
            let Some(sampled) = DateTime::from_timestamp_millis((ts * 1000.0).round() as i64)
            else {
                return Err(wire::parse_error(format!("`{ts}` is not a sample time")));
            };
            buckets.add(sampled - TimeDelta::seconds(step), &event, count);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn parse(body: &str) -> Vec<Series> {
        let answer: Answer = serde_json::from_str(body).unwrap();
        answer.data.unwrap().result.unwrap()
    }

    fn read(body: &str, events: &[String]) -> Result<Vec<Bucket>, CheckError> {
        let mut buckets = Buckets::new(
            60,
            t("2026-01-05T10:00:00Z"),
            t("2026-01-05T10:03:00Z"),
            events,
        );
        read_series(&parse(body), "event", 60, &mut buckets)?;
        Ok(buckets.into_vec())
    }

    fn bucket(start: &str, event: &str, count: f64) -> Bucket {
        Bucket {
            start: t(start),
            event: event.into(),
            count,
        }
    }

    #[test]
    fn a_sample_counts_for_the_step_before_it() {
        // 1767607260 is 10:01:00: it counts the minute from 10:00.
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"event":"Add to Cart"},"values":[[1767607260,"4"],[1767607320.5,"6.5"],[1767607380,"1"]]}
        ]}}"#;
        assert_eq!(
            read(body, &[]).unwrap(),
            vec![
                bucket("2026-01-05T10:00:00Z", "Add to Cart", 4.0),
                bucket("2026-01-05T10:01:00Z", "Add to Cart", 6.5),
                bucket("2026-01-05T10:02:00Z", "Add to Cart", 1.0),
            ]
        );
    }

    #[test]
    fn same_label_sums_missing_label_skips_and_non_counts_drop() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"event":"Checkout","instance":"a"},"values":[[1767607260,"1"],[1767607320,"NaN"]]},
            {"metric":{"event":"Checkout","instance":"b"},"values":[[1767607260,"2"],[1767607320,"+Inf"],[1767607380,"-1"]]},
            {"metric":{"job":"shop"},"values":[[1767607260,"100"]]}
        ]}}"#;
        assert_eq!(
            read(body, &[]).unwrap(),
            vec![bucket("2026-01-05T10:00:00Z", "Checkout", 3.0)]
        );
    }

    #[test]
    fn no_series_with_the_label_is_an_error_not_silence() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1767607260,"5"]]}
        ]}}"#;
        let err = read(body, &[]).unwrap_err().to_string();
        assert!(err.contains("no series has the label `event`"), "{err}");
        let empty = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert_eq!(read(empty, &[]).unwrap(), vec![]);
    }
}
