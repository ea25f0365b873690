//! What the CLI prints: aligned text for people, JSON for scripts.

use crate::incident::EventDrop;
use crate::incident::{Incident, MonitorStatus, Snapshot};
use crate::presets::Preset;
use crate::replay::Metrics;
use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use std::io::Write;

fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

/// Rows of cells, padded so that columns line up; the last column is not padded.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        text.push('\n');
    }
    text
}

pub fn monitors(monitors: &[MonitorStatus], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(monitors);
    }
    let mut out = std::io::stdout().lock();
    let rows: Vec<Vec<String>> = monitors
        .iter()
        .map(|m| {
            vec![
                m.id.clone(),
                m.health.label().to_owned(),
                m.latency_ms.map(|l| format!("{l} ms")).unwrap_or_default(),
                if m.paused {
                    "paused".to_owned()
                } else {
                    m.summary.clone()
                },
            ]
        })
        .collect();
    write!(out, "{}", table(&rows))?;
    Ok(())
}

pub fn status(snapshot: &Snapshot, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(snapshot);
    }
    let mut out = std::io::stdout().lock();
    let now = Utc::now();
    writeln!(
        out,
        "Flatline: {} · {} open · {} unacknowledged",
        snapshot.tray.as_str(),
        snapshot.open.len(),
        snapshot.unacknowledged
    )?;
    if let Some(hold) = &snapshot.hold {
        writeln!(out, "{} (team channels still post)", hold.label())?;
    }
    for incident in &snapshot.open {
        let ack = if incident.acknowledgement.is_some() {
            ""
        } else {
            "  (unacknowledged)"
        };
        writeln!(out, "  #{} {}{ack}", incident.id, incident.one_line(now))?;
        if let Some(cost) = incident.cost_line() {
            writeln!(out, "      {cost}")?;
        }
    }
    let impact = &snapshot.impact;
    let periods = [
        ("today", &impact.today),
        ("this week", &impact.this_week),
        ("this month", &impact.this_month),
    ];
    let figures: Vec<String> = periods
        .iter()
        .filter_map(|(name, total)| Some(format!("{name} {}", total.as_ref()?.amount_text()?)))
        .collect();
    if !figures.is_empty() {
        writeln!(out, "Estimated impact: {}", figures.join(" · "))?;
    }
    writeln!(out)?;
    monitors(&snapshot.monitors, false)?;
    if !snapshot.channels.is_empty() {
        writeln!(out, "\nTeam channels:")?;
        for c in &snapshot.channels {
            let last = c
                .last_delivered_at
                .map_or("nothing posted yet".to_owned(), |t| {
                    format!("last post {}", local(t))
                });
            let waiting = match c.pending {
                0 => String::new(),
                n => format!(" · {n} waiting"),
            };
            let error = c
                .error
                .as_deref()
                .map(|e| format!(" · {e}"))
                .unwrap_or_default();
            writeln!(out, "  {} ({}): {last}{waiting}{error}", c.id, c.kind)?;
        }
    }
    Ok(())
}

pub fn incidents(incidents: &[Incident], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(incidents);
    }
    let mut out = std::io::stdout().lock();
    if incidents.is_empty() {
        writeln!(out, "No incidents.")?;
        return Ok(());
    }
    let now = Utc::now();
    let rows: Vec<Vec<String>> = incidents
        .iter()
        .map(|i| {
            let state = if i.is_open() { "open" } else { "resolved" };
            let ack = match &i.acknowledgement {
                Some(a) => format!(
                    "ack by {}{}",
                    a.by,
                    a.note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ),
                None if i.is_open() => "unacknowledged".to_owned(),
                None => String::new(),
            };
            // The figure never goes without its model and inputs.
            let cost = i
                .impact
                .as_ref()
                .map(|e| e.summary.clone())
                .unwrap_or_else(|| "no estimate yet".to_owned());
            vec![
                format!("#{}", i.id),
                state.to_owned(),
                local(i.started_at),
                i.one_line(now),
                cost,
                ack,
            ]
        })
        .collect();
    write!(out, "{}", table(&rows))?;
    writeln!(out, "Times are local ({}).", Local::now().format("%Z %:z"))?;
    Ok(())
}

pub fn presets(found: &[&Preset], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(found);
    }
    let mut out = std::io::stdout().lock();
    if found.is_empty() {
        writeln!(out, "No preset matches. `flatline presets` lists them all.")?;
        return Ok(());
    }
    for preset in found {
        writeln!(out, "{preset}")?;
    }
    if let [only] = found {
        match only.monitor_toml() {
            Some(entry) => writeln!(out, "\nAdd to your config:\n\n{entry}")?,
            None => writeln!(out, "\nNo ready monitor entry: see the note above.")?,
        }
    }
    Ok(())
}

/// One alert per line: a JSON object each with `--json` (a stream, not an array, so a
/// year of alerts can be read line by line), aligned text otherwise. A summary of
/// what was read goes to stderr, so it never mixes with the alerts.
pub fn episodes(metrics: &Metrics, episodes: &[EventDrop], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for episode in episodes {
            serde_json::to_writer(&mut out, episode).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
    } else {
        let utc = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%SZ").to_string();
        let rows: Vec<Vec<String>> = episodes
            .iter()
            .map(|e| {
                vec![
                    e.event.clone(),
                    e.kind.as_str().to_owned(),
                    format!("from {}", utc(e.start)),
                    format!("detected {}", utc(e.detected_at)),
                    e.end
                        .map_or_else(|| "still open".to_owned(), |t| format!("until {}", utc(t))),
                    format!("expected {:.0}, observed {:.0}", e.expected, e.observed),
                ]
            })
            .collect();
        write!(out, "{}", table(&rows))?;
    }
    eprintln!(
        "{} alerts from {} buckets of {} s × {} event types",
        episodes.len(),
        metrics.buckets,
        metrics.step_secs,
        metrics.events.len()
    );
    Ok(())
}
