//! Atlassian Statuspage, read through the public `/api/v2/summary.json`.
//!
//! Every signal on the page is mapped onto [`Health`] and **the worst signal wins**:
//! a page can disagree with itself (an open `critical` incident while the indicator
//! says `none`), and the marketer must hear about the incident.
//!
//! - component status: operational, under_maintenance, degraded_performance,
//!   partial_outage, major_outage; any other word (or none) counts as degraded, so
//!   a status this code cannot read is looked at rather than taken as fine;
//! - page indicator: none, minor, major, critical, maintenance (unknown → degraded);
//! - open incidents (status not resolved, postmortem or completed) by impact: none
//!   has no effect, minor, major, critical (unknown → degraded);
//! - maintenance in progress or verifying is maintenance; a scheduled one is listed
//!   in the reading but changes nothing until it starts; a completed one is ignored.
//!
//! With a component filter only the named components count (a group name brings its
//! members) and only the incidents and maintenances that list one of them; the page
//! indicator no longer counts since it speaks for every component. A filter name
//! that is not on the page is an error naming the page's components, so a typo never
//! turns a monitor silently green.

mod schema;
#[cfg(test)]
mod tests;

use super::text::{json_body, plain_text};
use super::{CheckError, Component, Monitor, Reading, VendorIncident, VendorUpdate};
use crate::config::StatuspageConfig;
use crate::health::Health;
use crate::http::{require_success, HttpClient};
use async_trait::async_trait;
use schema::{parse_time, RawComponent, RawIncident, Summary};
use std::collections::HashSet;
use std::time::Duration;

/// Names listed in a filter error before the rest is counted instead.
const MAX_NAMES_IN_ERROR: usize = 40;
/// Names listed in a summary line before the rest is counted instead.
const MAX_NAMES_IN_SUMMARY: usize = 3;

pub struct StatuspageMonitor {
    id: String,
    summary_url: String,
    components: Vec<String>,
    timeout: Duration,
}

impl StatuspageMonitor {
    pub fn new(id: &str, cfg: StatuspageConfig, timeout: Duration) -> StatuspageMonitor {
        StatuspageMonitor {
            id: id.to_owned(),
            summary_url: cfg.summary_url(),
            components: cfg.components,
            timeout,
        }
    }
}

#[async_trait]
impl Monitor for StatuspageMonitor {
    fn id(&self) -> &str {
        &self.id
    }

    async fn check(&self, http: &HttpClient) -> Result<Reading, CheckError> {
        let fetched = http
            .fetch(reqwest::Method::GET, &self.summary_url, self.timeout)
            .await?;
        require_success(&fetched)?;
        read_summary(&fetched.body, fetched.content_type(), &self.components)
    }
}

/// Turn a summary body into a reading; `filter` is the configured component list.
pub(crate) fn read_summary(
    body: &[u8],
    content_type: Option<&str>,
    filter: &[String],
) -> Result<Reading, CheckError> {
    let summary: Summary = json_body(body, content_type, "a Statuspage summary")?;
    let watched = Watched::new(&summary.components, filter)?;
    let page_url = summary.page.as_ref().and_then(|p| p.url.as_deref());

    let mut vendor_incidents = Vec::new();
    let mut signals = Vec::new();
    for raw in summary.incidents.iter().flatten() {
        let status = word(raw.status.as_deref());
        if matches!(status.as_str(), "resolved" | "postmortem" | "completed")
            || !watched.touches(raw)
        {
            continue;
        }
        let health = scale_health(&word(raw.impact.as_deref()));
        let incident = vendor_incident(raw, status, health, false, &watched, page_url);
        signals.push(Signal::Incident(health, incident.title.clone()));
        vendor_incidents.push(incident);
    }
    for raw in summary.scheduled_maintenances.iter().flatten() {
        let status = word(raw.status.as_deref());
        if status == "completed" || !watched.touches(raw) {
            continue;
        }
        let incident = vendor_incident(raw, status, Health::Maintenance, true, &watched, page_url);
        // Planned work that has not started is worth listing but changes nothing. A
        // lifecycle word we do not know counts as started: at worst that shows
        // maintenance, and hiding it could hide work that is under way.
        if incident.status != "scheduled" {
            signals.push(Signal::Incident(
                Health::Maintenance,
                format!("Maintenance: {}", incident.title),
            ));
        }
        vendor_incidents.push(incident);
    }
    let indicator = summary.status.as_ref().filter(|_| !watched.is_filtered());
    if let Some(status) = indicator.filter(|s| s.indicator.is_some()) {
        let description = status
            .description
            .as_deref()
            .map(plain_text)
            .filter(|d| !d.is_empty());
        signals.push(Signal::Indicator(
            scale_health(&word(status.indicator.as_deref())),
            description,
        ));
    }

    let components = watched.components();
    let health = Health::worst_of(
        components
            .iter()
            .map(|c| c.health)
            .chain(signals.iter().map(Signal::health)),
    );
    Ok(Reading {
        health,
        summary: summary_line(health, &components, &signals, watched.is_filtered()),
        components,
        vendor_incidents,
        volume: None,
    })
}

/// The components that count for this monitor, and how to tell whether an incident
/// touches one of them.
struct Watched<'a> {
    raw: &'a [RawComponent],
    /// Indexes into `raw` of the leaf components that count, in page order.
    leaves: Vec<usize>,
    /// For each index into `raw`, the index of the group that contains it.
    group_of: Vec<Option<usize>>,
    /// Set when a filter is configured: ids and lower-case names of the watched
    /// components and named groups.
    filter: Option<(HashSet<&'a str>, HashSet<String>)>,
}

impl<'a> Watched<'a> {
    fn new(raw: &'a [RawComponent], filter: &[String]) -> Result<Watched<'a>, CheckError> {
        let mut group_of = vec![None; raw.len()];
        let mut is_group = vec![false; raw.len()];
        for (gi, group) in raw
            .iter()
            .enumerate()
            .filter(|(_, c)| c.group == Some(true))
        {
            let listed = group.components.as_deref().unwrap_or_default();
            for (i, member) in raw.iter().enumerate() {
                let by_group_id = member.group_id.is_some() && member.group_id == group.id;
                let by_listing = member.id.as_ref().is_some_and(|id| listed.contains(id));
                if i != gi && (by_group_id || by_listing) {
                    group_of[i] = Some(gi);
                    is_group[gi] = true;
                }
            }
        }
        // A group with no members on the page is shown like any component.
        let all_leaves: Vec<usize> = (0..raw.len()).filter(|i| !is_group[*i]).collect();
        let filter: Vec<&str> = filter
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
            .collect();
        if filter.is_empty() {
            return Ok(Watched {
                raw,
                leaves: all_leaves,
                group_of,
                filter: None,
            });
        }

        let mut chosen = HashSet::new();
        let mut named_groups = Vec::new();
        let mut missing = Vec::new();
        for wanted in filter {
            let key = wanted.to_lowercase();
            let named = |i: &usize| component_name(&raw[*i]).to_lowercase() == key;
            let leaves: Vec<usize> = all_leaves.iter().copied().filter(named).collect();
            let groups: Vec<usize> = (0..raw.len())
                .filter(|i| is_group[*i])
                .filter(named)
                .collect();
            let members = all_leaves
                .iter()
                .copied()
                .filter(|i| group_of[*i].is_some_and(|g| groups.contains(&g)));
            chosen.extend(leaves.iter().copied().chain(members));
            if leaves.is_empty() && groups.is_empty() {
                missing.push(wanted);
            }
            named_groups.extend(groups);
        }
        if !missing.is_empty() {
            return Err(not_on_page(&missing, raw));
        }
        let leaves: Vec<usize> = all_leaves
            .into_iter()
            .filter(|i| chosen.contains(i))
            .collect();
        let counted = leaves.iter().chain(&named_groups).map(|i| &raw[*i]);
        let ids = counted.clone().filter_map(|c| c.id.as_deref()).collect();
        let names = counted.map(|c| component_name(c).to_lowercase()).collect();
        Ok(Watched {
            raw,
            leaves,
            group_of,
            filter: Some((ids, names)),
        })
    }

    fn is_filtered(&self) -> bool {
        self.filter.is_some()
    }

    fn counts(&self, id: Option<&str>, name: Option<&str>) -> bool {
        match &self.filter {
            None => true,
            Some((ids, names)) => {
                id.is_some_and(|id| ids.contains(id))
                    || name.is_some_and(|n| names.contains(&plain_text(n).to_lowercase()))
            }
        }
    }

    /// Whether an incident or maintenance lists a component that counts.
    fn touches(&self, incident: &RawIncident) -> bool {
        !self.is_filtered()
            || incident
                .components
                .iter()
                .flatten()
                .any(|c| self.counts(c.id.as_deref(), c.name.as_deref()))
    }

    fn components(&self) -> Vec<Component> {
        self.leaves
            .iter()
            .map(|&i| {
                let raw = &self.raw[i];
                let status = word(raw.status.as_deref());
                Component {
                    name: component_name(raw),
                    group: self.group_of[i].map(|g| component_name(&self.raw[g])),
                    health: component_health(&status),
                    raw_status: status,
                }
            })
            .collect()
    }
}

fn not_on_page(missing: &[&str], raw: &[RawComponent]) -> CheckError {
    let quoted: Vec<String> = missing.iter().map(|m| format!("\"{m}\"")).collect();
    let mut names: Vec<String> = raw.iter().map(component_name).collect();
    names.dedup();
    let listed = if names.is_empty() {
        "the page lists no components".to_owned()
    } else if names.len() > MAX_NAMES_IN_ERROR {
        let more = names.len() - MAX_NAMES_IN_ERROR;
        names.truncate(MAX_NAMES_IN_ERROR);
        format!(
            "the page's components are: {} and {more} more",
            names.join(", ")
        )
    } else {
        format!("the page's components are: {}", names.join(", "))
    };
    CheckError::Other {
        detail: format!(
            "component filter {} matches nothing on this status page; {listed}",
            quoted.join(", ")
        ),
    }
}

fn vendor_incident(
    raw: &RawIncident,
    status: String,
    health: Health,
    maintenance: bool,
    watched: &Watched,
    page_url: Option<&str>,
) -> VendorIncident {
    let id = raw.id.clone().unwrap_or_default();
    let title = raw
        .name
        .as_deref()
        .map(plain_text)
        .filter(|t| !t.is_empty());
    let mut updates: Vec<VendorUpdate> = raw
        .incident_updates
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(n, u)| {
            let at = parse_time(u.display_at.as_deref())
                .or_else(|| parse_time(u.created_at.as_deref()))
                .or_else(|| parse_time(u.updated_at.as_deref()));
            let Some(at) = at else {
                tracing::debug!(incident = %id, "skipping a vendor update without a readable time");
                return None;
            };
            Some(VendorUpdate {
                id: u
                    .id
                    .clone()
                    .unwrap_or_else(|| format!("{}-{n}", at.timestamp())),
                at,
                status: word(u.status.as_deref()),
                body: u.body.as_deref().map(plain_text).unwrap_or_default(),
            })
        })
        .collect();
    // Vendors publish newest first; sorting makes sure of it for any that do not.
    updates.sort_by_key(|u| std::cmp::Reverse(u.at));
    VendorIncident {
        url: raw.shortlink.clone().or_else(|| {
            page_url
                .filter(|_| !id.is_empty())
                .map(|u| format!("{}/incidents/{id}", u.trim_end_matches('/')))
        }),
        title: title.unwrap_or_else(|| {
            if maintenance {
                "Scheduled maintenance"
            } else {
                "Untitled incident"
            }
            .to_owned()
        }),
        id,
        maintenance,
        status,
        health,
        started_at: parse_time(raw.scheduled_for.as_deref().filter(|_| maintenance))
            .or_else(|| parse_time(raw.started_at.as_deref()))
            .or_else(|| parse_time(raw.created_at.as_deref())),
        scheduled_until: parse_time(raw.scheduled_until.as_deref()),
        components: raw
            .components
            .iter()
            .flatten()
            .filter(|c| watched.counts(c.id.as_deref(), c.name.as_deref()))
            .filter_map(|c| c.name.as_deref().map(plain_text))
            .collect(),
        updates,
    }
}

/// Where a page-level state came from, to say it in the summary line.
enum Signal {
    /// An incident or maintenance, with the line that names it.
    Incident(Health, String),
    /// The page indicator, with the page's own description of it.
    Indicator(Health, Option<String>),
}

impl Signal {
    fn health(&self) -> Health {
        match self {
            Signal::Incident(h, _) | Signal::Indicator(h, _) => *h,
        }
    }
}

/// One line for people: the components in the worst state, or else the incident or
/// indicator that made the state.
fn summary_line(
    health: Health,
    components: &[Component],
    signals: &[Signal],
    filtered: bool,
) -> String {
    if health == Health::Operational {
        return match components {
            [only] if filtered => format!("{}: operational", only.name),
            _ if filtered => format!("All {} watched components operational", components.len()),
            _ => "All systems operational".to_owned(),
        };
    }
    let worst: Vec<&str> = components
        .iter()
        .filter(|c| c.health == health)
        .map(|c| c.name.as_str())
        .collect();
    if !worst.is_empty() {
        let shown = worst.len().min(MAX_NAMES_IN_SUMMARY);
        let mut names = worst[..shown].join(", ");
        if worst.len() > shown {
            names.push_str(&format!(" and {} more", worst.len() - shown));
        }
        return format!("{names}: {}", health.label());
    }
    match signals.iter().find(|s| s.health() == health) {
        Some(Signal::Incident(_, line)) => line.clone(),
        Some(Signal::Indicator(_, Some(description))) => description.clone(),
        _ => format!("Status page reports {}", health.label()),
    }
}

fn component_name(c: &RawComponent) -> String {
    c.name
        .as_deref()
        .map(plain_text)
        .filter(|n| !n.is_empty())
        .or_else(|| c.id.clone())
        .unwrap_or_else(|| "(unnamed component)".to_owned())
}

/// A vendor's enum word, normalised; `null` or missing becomes "null" so that it is
/// visible wherever the raw word is shown.
fn word(value: Option<&str>) -> String {
    value
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "null".to_owned())
}

fn component_health(status: &str) -> Health {
    match status {
        "operational" => Health::Operational,
        "under_maintenance" => Health::Maintenance,
        "degraded_performance" => Health::Degraded,
        "partial_outage" => Health::PartialOutage,
        "major_outage" => Health::MajorOutage,
        _ => Health::Degraded,
    }
}

/// The scale page indicators and incident impacts share.
fn scale_health(word: &str) -> Health {
    match word {
        "none" => Health::Operational,
        "minor" => Health::Degraded,
        "major" => Health::PartialOutage,
        "critical" => Health::MajorOutage,
        "maintenance" => Health::Maintenance,
        _ => Health::Degraded,
    }
}
