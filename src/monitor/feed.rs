//! RSS 2.0 and Atom incident feeds (parsed by `feed-rs`).
//!
//! A feed has no machine-readable state, so the state is read from the words of its
//! entries. Each entry is one vendor incident; the heuristic, in order:
//!
//! 1. **Resolved or open.** A resolution word in the title (`[RESOLVED] …`,
//!    `RESOLVED: …`) closes the entry. Otherwise the first lifecycle word in the body
//!    decides, because status-page feeds put the newest update first (Statuspage's
//!    `history.rss`: `<strong>Resolved</strong> - …` above `<strong>Investigating</strong>`).
//!    Resolution words: resolved, completed, closed, fixed. Open words: investigating,
//!    identified, monitoring, update, in progress, verifying, scheduled. An entry with no
//!    lifecycle word at all is open.
//! 2. **Recent.** Only entries updated (or, lacking that, published) within the last
//!    48 hours can be open, so a years-old entry nobody closed does not keep the
//!    monitor red. An entry with no date cannot be shown to be recent and is skipped.
//! 3. **State of an open entry.** A title that speaks of maintenance (and not of a
//!    failure) makes planned work: maintenance, which changes nothing while it is only
//!    `scheduled`. Otherwise, over title and body: "major outage" → major outage;
//!    outage words (outage, down, unavailable, unreachable) → partial outage when
//!    partial words (partial, partially, some customers, some users, subset) are
//!    there too, major outage when not; trouble words (degraded, degradation,
//!    elevated, increased error, errors, delays, delayed, latency, slow, intermittent,
//!    investigating) → degraded; "maintenance" → maintenance; no keyword → degraded,
//!    since an unresolved incident is a problem until it says otherwise.
//!
//! Words match whole words, case-insensitively, on the plain text of the entry. With a
//! component filter only entries whose title or body mention one of the names count.

#[cfg(test)]
mod tests;

use super::text::{describe_unexpected, is_html_page, plain_text};
use super::{CheckError, Component, Monitor, Reading, VendorIncident, VendorUpdate};
use crate::config::FeedConfig;
use crate::health::Health;
use crate::http::{require_success, HttpClient};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long an unresolved entry may go without an update and still count as open.
const OPEN_WINDOW_HOURS: i64 = 48;

const RESOLVED_WORDS: &[&str] = &["resolved", "completed", "closed", "fixed"];
const OPEN_WORDS: &[&str] = &[
    "investigating",
    "identified",
    "monitoring",
    "update",
    "in progress",
    "verifying",
    "scheduled",
];
const OUTAGE_WORDS: &[&str] = &["outage", "outages", "down", "unavailable", "unreachable"];
const PARTIAL_WORDS: &[&str] = &[
    "partial",
    "partially",
    "some customers",
    "some users",
    "subset",
];
const TROUBLE_WORDS: &[&str] = &[
    "degraded",
    "degradation",
    "elevated",
    "increased error",
    "errors",
    "delays",
    "delayed",
    "latency",
    "slow",
    "intermittent",
    "investigating",
];

pub struct FeedMonitor {
    id: String,
    url: String,
    components: Vec<String>,
    timeout: Duration,
}

impl FeedMonitor {
    pub fn new(id: &str, cfg: FeedConfig, timeout: Duration) -> FeedMonitor {
        FeedMonitor {
            id: id.to_owned(),
            url: cfg.url,
            components: cfg.components,
            timeout,
        }
    }
}

#[async_trait]
impl Monitor for FeedMonitor {
    fn id(&self) -> &str {
        &self.id
    }

    async fn check(&self, http: &HttpClient) -> Result<Reading, CheckError> {
        let fetched = http
            .fetch(reqwest::Method::GET, &self.url, self.timeout)
            .await?;
        require_success(&fetched)?;
        read_feed(
            &fetched.body,
            fetched.content_type(),
            &self.components,
            Utc::now(),
        )
    }
}

/// Turn a feed body into a reading as of `now`; `filter` is the configured names.
pub(crate) fn read_feed(
    body: &[u8],
    content_type: Option<&str>,
    filter: &[String],
    now: DateTime<Utc>,
) -> Result<Reading, CheckError> {
    let feed = feed_rs::parser::parse(body).map_err(|e| {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        let detail = if is_html_page(body, None) || !matches!(first, Some(b'<' | b'{')) {
            format!(
                "expected an RSS or Atom feed, got {}",
                describe_unexpected(body, content_type)
            )
        } else {
            format!("not a readable RSS or Atom feed ({e})")
        };
        CheckError::Parse { detail }
    })?;

    let filter: Vec<&str> = filter
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .collect();
    let mut open = Vec::new();
    let mut counted = Vec::new();
    for (incident, counts) in feed
        .entries
        .iter()
        .filter_map(|e| open_entry(e, &filter, now))
    {
        if counts {
            counted.push(open.len());
        }
        open.push(incident);
    }

    let health = Health::worst_of(counted.iter().map(|&i| open[i].health));
    let components = filter
        .iter()
        .map(|name| {
            let health = Health::worst_of(
                counted
                    .iter()
                    .map(|&i| &open[i])
                    .filter(|v| v.components.iter().any(|c| c == name))
                    .map(|v| v.health),
            );
            Component {
                name: (*name).to_owned(),
                group: None,
                health,
                raw_status: health.as_str().to_owned(),
            }
        })
        .collect();
    let worst = counted
        .iter()
        .map(|&i| &open[i])
        .find(|v| v.health == health);
    let summary = match worst {
        Some(v) if health != Health::Operational && v.maintenance => {
            format!("Maintenance: {}", v.title)
        }
        Some(v) if health != Health::Operational => v.title.clone(),
        _ if filter.is_empty() => "No open incidents".to_owned(),
        _ => format!("No open incidents mentioning {}", filter.join(", ")),
    };
    Ok(Reading {
        health,
        summary,
        components,
        vendor_incidents: open,
        volume: None,
    })
}

/// An entry that is open as of `now` and mentions a filtered name (when there is a
/// filter), with whether it counts towards the state.
fn open_entry(
    entry: &feed_rs::model::Entry,
    filter: &[&str],
    now: DateTime<Utc>,
) -> Option<(VendorIncident, bool)> {
    let title = entry
        .title
        .as_ref()
        .map(|t| plain_text(&t.content))
        .unwrap_or_default();
    let text = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or(entry.summary.as_ref().map(|s| s.content.as_str()))
        .map(plain_text)
        .unwrap_or_default();
    let words = Words::new(&title, &text);
    let mentioned: Vec<String> = filter
        .iter()
        .filter(|name| words.all.contains(&name.to_lowercase()))
        .map(|name| (*name).to_owned())
        .collect();
    if !filter.is_empty() && mentioned.is_empty() {
        return None;
    }
    let Some(at) = entry.updated.or(entry.published) else {
        tracing::debug!(entry = %entry.id, "skipping a feed entry without a date");
        return None;
    };
    if now.signed_duration_since(at) > chrono::Duration::hours(OPEN_WINDOW_HOURS) {
        return None;
    }
    let Lifecycle::Open(status) = words.lifecycle() else {
        return None;
    };
    let (health, maintenance) = words.state();
    // Planned work that has not started is listed but changes nothing.
    let counts = !(maintenance && status == "scheduled");
    let incident = VendorIncident {
        id: entry.id.clone(),
        title: if title.is_empty() {
            "Untitled incident".to_owned()
        } else {
            title
        },
        maintenance,
        status: status.to_owned(),
        health,
        url: entry.links.first().map(|l| l.href.clone()),
        started_at: entry.published.or(entry.updated),
        scheduled_until: None,
        components: mentioned,
        updates: vec![VendorUpdate {
            id: at.to_rfc3339(),
            at,
            status: status.to_owned(),
            body: text,
        }],
    };
    Some((incident, counts))
}

enum Lifecycle {
    Resolved,
    /// With the word that says so, or "open" when the entry has none.
    Open(&'static str),
}

/// The lower-case plain text of one entry, searched for whole words.
struct Words {
    title: String,
    text: String,
    /// Title and body together.
    all: String,
}

impl Words {
    fn new(title: &str, text: &str) -> Words {
        let title = title.to_lowercase();
        let text = text.to_lowercase();
        let all = format!("{title} {text}");
        Words { title, text, all }
    }

    fn lifecycle(&self) -> Lifecycle {
        if first_of(&self.title, RESOLVED_WORDS).is_some() {
            return Lifecycle::Resolved;
        }
        let resolved = first_of(&self.text, RESOLVED_WORDS);
        let open = first_of(&self.text, OPEN_WORDS).or_else(|| first_of(&self.title, OPEN_WORDS));
        match (resolved, open) {
            (Some((r, _)), Some((o, word))) if o < r => Lifecycle::Open(word),
            (Some(_), _) => Lifecycle::Resolved,
            (None, Some((_, word))) => Lifecycle::Open(word),
            (None, None) => Lifecycle::Open("open"),
        }
    }

    /// The state of an open entry and whether it is planned work.
    fn state(&self) -> (Health, bool) {
        let failure_in_title =
            has_any(&self.title, OUTAGE_WORDS) || has_any(&self.title, TROUBLE_WORDS);
        if has_any(&self.title, &["maintenance"]) && !failure_in_title {
            return (Health::Maintenance, true);
        }
        let health = if has_any(&self.all, &["major outage"]) {
            Health::MajorOutage
        } else if has_any(&self.all, OUTAGE_WORDS) {
            if has_any(&self.all, PARTIAL_WORDS) {
                Health::PartialOutage
            } else {
                Health::MajorOutage
            }
        } else if has_any(&self.all, TROUBLE_WORDS) {
            Health::Degraded
        } else if has_any(&self.all, &["maintenance"]) {
            return (Health::Maintenance, true);
        } else {
            Health::Degraded
        };
        (health, false)
    }
}

fn has_any(haystack: &str, words: &[&'static str]) -> bool {
    first_of(haystack, words).is_some()
}

/// The earliest whole-word occurrence of any of `words`, with the word found.
fn first_of(haystack: &str, words: &[&'static str]) -> Option<(usize, &'static str)> {
    words
        .iter()
        .filter_map(|w| find_word(haystack, w).map(|at| (at, *w)))
        .min_by_key(|(at, _)| *at)
}

fn find_word(haystack: &str, word: &str) -> Option<usize> {
    let is_word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    haystack.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + word.len()..].chars().next();
        !is_word_char(before) && !is_word_char(after)
    })
}
