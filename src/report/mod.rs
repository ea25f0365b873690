//! Reports for reconciliation and post-mortems: one row per incident with what it
//! affected and cost, as CSV, JSON or Markdown. Times are in the reader's zone, and
//! the report says which.

mod csv;
mod markdown;

use crate::detect::{event_name, POOLED};
use crate::impact::{self, Estimate, Period, PeriodTotal};
use crate::incident::{human_duration, Incident};
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::Serialize;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Markdown,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "md" | "markdown" => Ok(Format::Markdown),
            other => Err(format!("unknown format `{other}`: use csv, json or md")),
        }
    }
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Markdown => "md",
        }
    }
}

/// The incidents of a period, ready to render.
pub struct Report<'a, Tz: TimeZone> {
    pub tz: &'a Tz,
    /// The zone's name as people know it ("Europe/Berlin"), stated in the report.
    pub zone_name: &'a str,
    pub since: Option<DateTime<Utc>>,
    pub until: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    /// Oldest first, each with its estimate filled in where one could be made.
    pub incidents: &'a [Incident],
}

/// One incident as a report row: what CSV prints and JSON carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub id: i64,
    pub monitor: String,
    pub monitor_id: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub title: String,
    /// Local times with their UTC offset (RFC 3339).
    pub start: String,
    pub detected: String,
    pub end: Option<String>,
    pub duration_minutes: f64,
    /// Components (status pages) or event types (volume incidents).
    pub affected: Vec<String>,
    pub missing_conversions: Option<f64>,
    pub estimated_impact: Option<f64>,
    pub currency: Option<String>,
    pub impact_model: Option<&'static str>,
    /// The figure with its inputs, or why there is none.
    pub impact_summary: Option<String>,
    pub impact_final: bool,
    pub likely_cause: Option<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledgement_note: Option<String>,
}

impl<Tz: TimeZone> Report<'_, Tz>
where
    Tz::Offset: Display,
{
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Csv => csv::render(&self.rows()),
            Format::Json => self.json(),
            Format::Markdown => markdown::render(self),
        }
    }

    pub fn rows(&self) -> Vec<Row> {
        self.incidents.iter().map(|i| self.row(i)).collect()
    }

    fn row(&self, i: &Incident) -> Row {
        let estimate = i.impact.as_ref();
        Row {
            id: i.id,
            monitor: i.monitor_name.clone(),
            monitor_id: i.monitor_id.clone(),
            kind: i.kind.as_str(),
            severity: i.severity.as_str(),
            title: i.title.clone(),
            start: self.timestamp(i.started_at),
            detected: self.timestamp(i.detected_at),
            end: i.ended_at.map(|t| self.timestamp(t)),
            duration_minutes: (i.duration(self.generated_at).num_seconds() as f64 / 60.0).round(),
            affected: affected(i),
            missing_conversions: missing_conversions(i),
            estimated_impact: estimate.and_then(|e| e.amount),
            currency: estimate.map(|e| e.currency.clone()),
            impact_model: estimate.map(|e| e.model.kind.as_str()),
            impact_summary: estimate.map(|e| e.summary.clone()),
            impact_final: estimate.is_some_and(|e| e.is_final),
            likely_cause: i
                .cause
                .as_ref()
                .map(|c| format!("#{} {}", c.incident_id, c.title)),
            acknowledged_by: i.acknowledgement.as_ref().map(|a| a.by.clone()),
            acknowledged_at: i.acknowledgement.as_ref().map(|a| self.timestamp(a.at)),
            acknowledgement_note: i.acknowledgement.as_ref().and_then(|a| a.note.clone()),
        }
    }

    fn json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'r> {
            time_zone: &'r str,
            since: Option<String>,
            until: String,
            generated_at: String,
            incidents: Vec<JsonRow<'r>>,
            totals_per_day: Vec<PeriodTotal>,
            totals_per_week: Vec<PeriodTotal>,
            totals_per_month: Vec<PeriodTotal>,
        }
        #[derive(Serialize)]
        struct JsonRow<'r> {
            #[serde(flatten)]
            row: Row,
            impact: Option<&'r Estimate>,
        }
        let json = Json {
            time_zone: self.zone_name,
            since: self.since.map(|t| self.timestamp(t)),
            until: self.timestamp(self.until),
            generated_at: self.timestamp(self.generated_at),
            incidents: self
                .incidents
                .iter()
                .map(|i| JsonRow {
                    row: self.row(i),
                    impact: i.impact.as_ref(),
                })
                .collect(),
            totals_per_day: self.totals(Period::Day),
            totals_per_week: self.totals(Period::Week),
            totals_per_month: self.totals(Period::Month),
        };
        let mut text = serde_json::to_string_pretty(&json).expect("a report serialises");
        text.push('\n');
        text
    }

    /// Totals of the periods that had incidents, overlapping incidents on the same
    /// events counted once.
    pub fn totals(&self, period: Period) -> Vec<PeriodTotal> {
        let items: Vec<(Incident, Estimate)> = self
            .incidents
            .iter()
            .filter_map(|i| Some((i.clone(), i.impact.clone()?)))
            .collect();
        let from = self
            .since
            .or_else(|| self.incidents.iter().map(|i| i.started_at).min())
            .unwrap_or(self.until);
        let mut totals = impact::totals(&items, self.tz, period, from, self.until);
        totals.retain(|t| t.incidents > 0);
        totals
    }

    fn timestamp(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(self.tz)
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    }

    /// "2026-11-23 14:05" in the report's zone.
    fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(self.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// "UTC+01:00" for the zone at `t` (it may change within a report, with DST).
    fn offset(&self, t: DateTime<Utc>) -> String {
        format!("UTC{}", t.with_timezone(self.tz).offset())
    }
}

/// Write a report through a temporary file beside `path`, so that a failure never
/// leaves half a report where a whole one was expected.
pub fn save(path: &Path, text: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })
}

/// Save a report of `[since, until)` into `dir` (created if needed) under a name that
/// says which local days it covers and that no other file has; returns the path.
pub fn save_in(
    dir: &Path,
    format: Format,
    since: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
    text: &str,
) -> std::io::Result<PathBuf> {
    let local_day = |t: DateTime<Utc>| t.with_timezone(&chrono::Local).date_naive();
    std::fs::create_dir_all(dir)?;
    // `until` is exclusive: the file is named for the last day it covers.
    let last_day = local_day(until - chrono::Duration::seconds(1));
    let path = unused_path(dir, format, since.map(local_day), last_day);
    save(&path, text)?;
    Ok(path)
}

/// A file in `dir` named for what the report covers, not yet taken:
/// `flatline-incidents-2026-11-01-to-2026-11-23.md`, then `…-2.md` and so on.
fn unused_path(dir: &Path, format: Format, since: Option<NaiveDate>, until: NaiveDate) -> PathBuf {
    let span = match since {
        Some(since) => format!("{since}-to-{until}"),
        None => format!("until-{until}"),
    };
    let ext = format.extension();
    (1..)
        .map(|n| match n {
            1 => dir.join(format!("flatline-incidents-{span}.{ext}")),
            n => dir.join(format!("flatline-incidents-{span}-{n}.{ext}")),
        })
        .find(|p| !p.exists())
        .expect("some number is free")
}

/// What an incident affected: its event types (volume) or components (status).
fn affected(i: &Incident) -> Vec<String> {
    if !i.kind.is_volume() {
        return i.components.clone();
    }
    let mut names: Vec<String> = Vec::new();
    for d in &i.drops {
        let name = event_name(&d.event).to_owned();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The estimate's count, else the drops' own sums (the pooled stream, when it spoke
/// for all event types, so that nothing is counted twice).
fn missing_conversions(i: &Incident) -> Option<f64> {
    if !i.kind.is_volume() {
        return None;
    }
    if let Some(m) = i.impact.as_ref().and_then(|e| e.missing_conversions) {
        return Some(m);
    }
    let pooled: Vec<_> = i.drops.iter().filter(|d| d.event == POOLED).collect();
    let drops = if pooled.is_empty() {
        i.drops.iter().collect()
    } else {
        pooled
    };
    Some(drops.iter().map(|d| d.missing()).sum())
}

fn duration_text(minutes: f64) -> String {
    human_duration(chrono::Duration::minutes(minutes as i64))
}

#[cfg(test)]
mod tests;
