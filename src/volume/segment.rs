//! Segment Public API, `GET /events/volume`: counts per minute or hour, grouped by
//! event name.
//!
//! - `endTime` is exclusive and lags `lag_secs` behind the clock, as Segment
//!   recommends, floored to the bucket: every bucket before it is complete.
//! - Array parameters (`eventName`, `sourceId`) repeat the key, as Segment's SDKs
//!   send them (`collectionFormat: multi`).
//! - Pages: the documentation shows `PaginationInput` only as a type; its fields, as
//!   the SDKs declare them, are `cursor` (the opaque `pagination.next` of the previous
//!   answer) and `count` (1 to 1000). They go out as `pagination.cursor` and
//!   `pagination.count`, the dotted form Segment uses for object parameters.
//! - A long range (the first start with `history_days` of backfill, a laptop that
//!   slept) is read in windows of at most four hours of minutes or fourteen days of
//!   hours: the range limits Segment documents for its Delivery Overview metrics,
//!   assumed here since the events volume reference states none; it also keeps each
//!   answer small (at most 336 points per event). A fetch sends at most
//!   [`SegmentVolumeSource::MAX_REQUESTS_PER_FETCH`] requests; the batch then ends
//!   with the last window read in full and the engine asks again for the rest. A
//!   window that fails after others were read ends the batch there, keeping them.
//! - The documented limit is 60 requests a minute. A limiter shared by every fetch of
//!   the source (volume polls and a canary's look-ups) holds back before Segment has
//!   to say 429, and a 429 pauses it for as long as Segment asks.

mod limiter;
#[cfg(test)]
mod tests;

use super::wire::{self, Buckets};
use super::{Batch, Bucket, VolumeSource};
use crate::config::{Granularity, SegmentVolumeConfig};
use crate::http::{Auth, Fetched, HttpClient, RequestParts};
use crate::monitor::CheckError;
use async_trait::async_trait;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use limiter::RateLimiter;
use reqwest::header::{HeaderValue, ACCEPT};
use serde::Deserialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Rows (event names) per page; the SDKs document 1 to 1000.
const PAGE_SIZE: usize = 100;
const ACCEPT_TYPES: &str = "application/vnd.segment.v1+json, application/json";

pub struct SegmentVolumeSource {
    cfg: SegmentVolumeConfig,
    timeout: Duration,
    limiter: Mutex<RateLimiter>,
}

impl SegmentVolumeSource {
    /// A fetch stops after this many requests, so a backfill never takes the whole
    /// minute's allowance that the next poll and a canary also need.
    pub const MAX_REQUESTS_PER_FETCH: usize = 10;
    /// Documented: "60 requests per minute".
    pub const REQUESTS_PER_MINUTE: usize = 60;

    pub fn new(cfg: SegmentVolumeConfig, timeout: Duration) -> SegmentVolumeSource {
        SegmentVolumeSource {
            cfg,
            timeout,
            limiter: Mutex::new(RateLimiter::new(
                Self::REQUESTS_PER_MINUTE,
                Duration::from_secs(60),
            )),
        }
    }

    fn step(&self) -> i64 {
        self.cfg.granularity.step_secs()
    }

    /// Read one window, page by page. `sent` counts this fetch's requests.
    async fn read_window(
        &self,
        http: &HttpClient,
        auth: &Auth,
        window: (DateTime<Utc>, DateTime<Utc>),
        events: &[String],
        now: DateTime<Utc>,
        sent: &mut usize,
    ) -> Result<Vec<Bucket>, Halt> {
        let mut buckets = Buckets::new(self.step(), window.0, window.1, events);
        let mut cursor: Option<String> = None;
        loop {
            if *sent >= Self::MAX_REQUESTS_PER_FETCH {
                return Err(Halt::Budget);
            }
            self.take_turn()?;
            *sent += 1;
            let url = self.url(window, events, cursor.as_deref());
            tracing::debug!(%url, "reading Segment event volume");
            let fetched = http
                .fetch_with(reqwest::Method::GET, &url, self.parts(auth), self.timeout)
                .await?;
            let page = self.read_page(&fetched, now)?;
            add_rows(&mut buckets, page.rows)?;
            match page.next {
                Some(next) if cursor.as_deref() == Some(next.as_str()) => {
                    return Err(Halt::Failed(wire::parse_error(
                        "Segment returned the same page cursor twice",
                    )))
                }
                Some(next) => cursor = Some(next),
                None => return Ok(buckets.into_vec()),
            }
        }
    }

    /// One request's place under the rate limit, or how long until there is one.
    fn take_turn(&self) -> Result<(), CheckError> {
        lock(&self.limiter)
            .try_acquire(Instant::now())
            .map_err(|wait| CheckError::Throttled {
                retry_after_secs: wait.as_secs_f64().ceil() as u64,
            })
    }

    fn url(
        &self,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        events: &[String],
        cursor: Option<&str>,
    ) -> String {
        let base = format!("{}/events/volume", self.cfg.url.trim_end_matches('/'));
        let mut url = match url::Url::parse(&base) {
            Ok(url) => url,
            // The config checked the URL; should it still fail, the HTTP client says so.
            Err(_) => return base,
        };
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("granularity", self.cfg.granularity.as_api())
                .append_pair("startTime", &iso(start))
                .append_pair("endTime", &iso(end))
                .append_pair("groupBy", "eventName");
            for event in events {
                query.append_pair("eventName", event);
            }
            for source in &self.cfg.source_ids {
                query.append_pair("sourceId", source);
            }
            query.append_pair("pagination.count", &PAGE_SIZE.to_string());
            if let Some(cursor) = cursor {
                query.append_pair("pagination.cursor", cursor);
            }
        }
        url.into()
    }

    fn parts(&self, auth: &Auth) -> RequestParts {
        let mut parts = RequestParts {
            auth: Some(auth.clone()),
            ..RequestParts::default()
        };
        parts
            .headers
            .insert(ACCEPT, HeaderValue::from_static(ACCEPT_TYPES));
        parts
    }

    fn read_page(&self, fetched: &Fetched, now: DateTime<Utc>) -> Result<Page, CheckError> {
        match fetched.status {
            200..=299 => parse_page(fetched),
            401 | 403 => Err(wire::refused(
                fetched.status,
                "Segment",
                Some(&self.cfg.token_env),
            )),
            429 => {
                let err = wire::rate_limited(&fetched.headers, now, ms_before_next(&fetched.body));
                if let CheckError::RateLimited {
                    retry_after_secs: Some(secs),
                } = err
                {
                    lock(&self.limiter).pause_until(Instant::now() + Duration::from_secs(secs));
                }
                Err(err)
            }
            status => Err(wire::status_error(status, error_message(fetched))),
        }
    }
}

#[async_trait]
impl VolumeSource for SegmentVolumeSource {
    async fn fetch(
        &self,
        http: &HttpClient,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
        events: &[String],
    ) -> Result<Batch, CheckError> {
        let auth = wire::bearer(&self.cfg.token_env, "a Segment Public API token")?;
        let step = self.step();
        let start = wire::ceil(from, step);
        let lag = TimeDelta::milliseconds((self.cfg.lag_secs * 1000.0) as i64);
        let until = wire::floor(now - lag, step);
        let mut batch = Batch {
            step_secs: step,
            buckets: Vec::new(),
            complete_until: start,
        };
        let mut sent = 0;
        for window in windows(start, until, max_window(self.cfg.granularity)) {
            match self
                .read_window(http, &auth, window, events, now, &mut sent)
                .await
            {
                Ok(buckets) => {
                    batch.buckets.extend(buckets);
                    batch.complete_until = window.1;
                }
                Err(halt) if batch.complete_until == start => return Err(halt.into_error(window)),
                Err(halt) => {
                    if let Halt::Failed(err) = halt {
                        tracing::warn!(
                            read_until = %iso(batch.complete_until),
                            "Segment event volume read in part, the rest on the next poll: {err}"
                        );
                    }
                    break;
                }
            }
        }
        Ok(batch)
    }
}

/// Why a window was not read to the end.
enum Halt {
    /// This fetch has sent its share of requests.
    Budget,
    Failed(CheckError),
}

impl Halt {
    /// Why nothing could be read, when `window` was the first.
    fn into_error(self, window: (DateTime<Utc>, DateTime<Utc>)) -> CheckError {
        match self {
            Halt::Failed(err) => err,
            Halt::Budget => CheckError::Other {
                detail: format!(
                    "Segment's answer for {} to {} spans more than {} pages; \
                     list the `events` to watch or narrow `source_ids`",
                    iso(window.0),
                    iso(window.1),
                    SegmentVolumeSource::MAX_REQUESTS_PER_FETCH
                ),
            },
        }
    }
}

impl From<CheckError> for Halt {
    fn from(err: CheckError) -> Halt {
        Halt::Failed(err)
    }
}

fn max_window(granularity: Granularity) -> TimeDelta {
    match granularity {
        Granularity::Minute => TimeDelta::hours(4),
        Granularity::Hour => TimeDelta::days(14),
    }
}

/// `[start, until)` cut into consecutive windows of at most `max`.
fn windows(
    start: DateTime<Utc>,
    until: DateTime<Utc>,
    max: TimeDelta,
) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> {
    std::iter::successors(Some(start), move |s| Some(*s + max))
        .take_while(move |s| *s < until)
        .map(move |s| (s, (s + max).min(until)))
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The limiter's state stays valid even if a holder panicked mid-update.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The answer's shape has moved across SDK versions: the output sits under `data`
/// or at the top; any field may be missing or null; unknown fields are ignored.
#[derive(Deserialize)]
struct Envelope {
    data: Option<Output>,
    #[serde(flatten)]
    bare: Output,
}

#[derive(Deserialize)]
struct Output {
    result: Option<Vec<Option<Row>>>,
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    event_name: Option<String>,
    series: Option<Vec<Option<Point>>>,
}

#[derive(Deserialize)]
struct Point {
    time: Option<String>,
    count: Option<f64>,
}

#[derive(Deserialize)]
struct Pagination {
    next: Option<String>,
}

struct Page {
    rows: Vec<Row>,
    next: Option<String>,
}

fn parse_page(fetched: &Fetched) -> Result<Page, CheckError> {
    let envelope: Envelope = wire::parse_json(fetched, "a Segment events volume answer")?;
    let output = envelope.data.unwrap_or(envelope.bare);
    let rows = output.result.ok_or_else(|| {
        wire::parse_error("not a Segment events volume answer: it has no `data.result`")
    })?;
    Ok(Page {
        rows: rows.into_iter().flatten().collect(),
        next: output
            .pagination
            .and_then(|p| p.next)
            .filter(|n| !n.is_empty()),
    })
}

fn add_rows(buckets: &mut Buckets<'_>, rows: Vec<Row>) -> Result<(), CheckError> {
    let unnamed = rows.iter().filter(|r| r.event_name.is_none()).count();
    // Rows without names mean the grouping was ignored: reading them as "no events"
    // would turn into a false silence alarm.
    if unnamed > 0 && unnamed == rows.len() {
        return Err(wire::parse_error(
            "Segment answered without event names (not grouped by eventName)",
        ));
    }
    if unnamed > 0 {
        tracing::warn!(
            unnamed,
            "skipping Segment volume rows without an event name"
        );
    }
    for row in rows {
        let Some(event) = row.event_name else {
            continue;
        };
        for point in row.series.into_iter().flatten().flatten() {
            let (Some(time), Some(count)) = (point.time, point.count) else {
                tracing::debug!(%event, "skipping a Segment volume point with a null field");
                continue;
            };
            let at = wire::parse_time_text(&time).ok_or_else(|| {
                wire::parse_error(format!(
                    "Segment sent `{}` as the time of a `{}` count",
                    wire::vendor_text(&time),
                    wire::vendor_text(&event)
                ))
            })?;
            if !(count.is_finite() && count >= 0.0) {
                return Err(wire::parse_error(format!(
                    "Segment sent the count {count} for `{}` at {}",
                    wire::vendor_text(&event),
                    iso(at)
                )));
            }
            buckets.add(at, &event, count);
        }
    }
    Ok(())
}

/// Segment's error envelope: `{"errors": [{"type", "message", "data": {...}}]}`.
#[derive(Deserialize)]
struct ErrorEnvelope {
    errors: Option<Vec<Option<ErrorItem>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorItem {
    message: Option<String>,
    data: Option<ErrorData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorData {
    ms_before_next: Option<f64>,
}

fn error_items(body: &[u8]) -> Vec<ErrorItem> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .and_then(|e| e.errors)
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// Segment's own words on a refused request: the messages of its error envelope, or
/// the body itself when it is plain text.
fn error_message(fetched: &Fetched) -> Option<String> {
    let messages: Vec<String> = error_items(&fetched.body)
        .into_iter()
        .filter_map(|e| e.message)
        .collect();
    if messages.is_empty() {
        return wire::plain_body(fetched);
    }
    Some(wire::vendor_text(&messages.join("; "))).filter(|t| !t.is_empty())
}

/// The wait a 429's body gives in `data.msBeforeNext`.
fn ms_before_next(body: &[u8]) -> Option<u64> {
    error_items(body)
        .into_iter()
        .filter_map(|e| e.data?.ms_before_next)
        .find(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| (ms / 1000.0).ceil() as u64)
}
