//! What the tray shows, as plain data: the icon, the label beside it and the menu
//! lines. Built from the engine's snapshot (or from a start failure) so that the
//! wording is tested without a display.

use crate::backend::StartFailure;
use chrono::{DateTime, Utc};
use flatline::impact::PeriodTotal;
use flatline::incident::{Snapshot, TrayState};
use flatline::notifier::HoldReason;
use flatline::Health;

/// The icon on the panel. `Unknown` also stands for "not monitoring".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Ok,
    Maintenance,
    Unknown,
    Degraded,
    Down,
    /// Notifications are held and nothing is degraded or down.
    Snoozed,
}

impl From<TrayState> for Icon {
    fn from(state: TrayState) -> Icon {
        match state {
            TrayState::Ok => Icon::Ok,
            TrayState::Maintenance => Icon::Maintenance,
            TrayState::Unknown => Icon::Unknown,
            TrayState::Degraded => Icon::Degraded,
            TrayState::Down => Icon::Down,
        }
    }
}

/// Menu item ids, matched by the menu handler.
pub mod ids {
    pub const HEADER: &str = "header";
    pub const OPEN: &str = "open";
    pub const ACK_ALL: &str = "ack-all";
    pub const CHECK_NOW: &str = "check-now";
    pub const OPEN_CONFIG: &str = "open-config";
    pub const RETRY: &str = "retry";
    pub const RELOAD: &str = "reload";
    pub const SNOOZE: &str = "snooze";
    pub const RESUME: &str = "resume";
    pub const HOLD: &str = "hold";
    pub const QUIT: &str = "quit";
    pub const INCIDENT_PREFIX: &str = "incident:";
    pub const MONITOR_PREFIX: &str = "monitor:";
    pub const NOTICE: &str = "notice";
    pub const TODAY: &str = "today";
    pub const CHANNEL_PREFIX: &str = "channel:";
    pub const COST_PREFIX: &str = "cost:";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: String,
    pub label: String,
    pub enabled: bool,
}

impl Line {
    fn new(id: impl Into<String>, label: impl AsRef<str>, enabled: bool) -> Line {
        Line {
            id: id.into(),
            label: escape_mnemonic(label.as_ref()),
            enabled,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub icon: Icon,
    /// The label beside the icon (appindicator): the unacknowledged count, if any.
    pub title: Option<String>,
    /// Menu sections, separated on screen: status lines first, then actions.
    pub status: Vec<Line>,
    pub actions: Vec<Line>,
}

/// The longest line the menu shows; a config error can be a long sentence, and the
/// whole of it is in the notification and the window.
const MAX_LABEL: usize = 100;

/// Menus treat `&` as a mnemonic marker; vendor names such as "AT&T" must not lose it.
fn escape_mnemonic(label: &str) -> String {
    label.replace('&', "&&")
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_LABEL {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX_LABEL - 1).collect();
    format!("{}…", cut.trim_end())
}

/// "Today: est. $1,240 across 2 incidents"; an estimate that lacks inputs says so.
fn today_line(today: &PeriodTotal) -> String {
    let across = match today.incidents {
        1 => "1 incident".to_owned(),
        n => format!("{n} incidents"),
    };
    match today.amount_text() {
        Some(figure) => format!("Today: est. {figure} across {across}"),
        None => format!("Today: no estimate ({across}; inputs missing)"),
    }
}

fn standard_actions(snoozed: bool) -> Vec<Line> {
    let snooze = match snoozed {
        true => Line::new(ids::RESUME, "Resume notifications", true),
        false => Line::new(ids::SNOOZE, "Snooze 1 h", true),
    };
    vec![
        Line::new(ids::OPEN, "Open timeline", true),
        Line::new(ids::ACK_ALL, "Acknowledge all", true),
        snooze,
        Line::new(ids::CHECK_NOW, "Check now", true),
        Line::new(ids::RELOAD, "Reload config", true),
        Line::new(ids::QUIT, "Quit", true),
    ]
}

impl TrayView {
    pub fn running(snapshot: &Snapshot, now: DateTime<Utc>, notice: Option<&str>) -> TrayView {
        let open = snapshot.open.len();
        let header = if open > 0 {
            format!(
                "Flatline — {open} open ({} unacknowledged)",
                snapshot.unacknowledged
            )
        } else if snapshot.tray == TrayState::Ok {
            "Flatline — all clear".to_owned()
        } else {
            "Flatline — no open incidents".to_owned()
        };
        let mut status = vec![Line::new(ids::HEADER, header, false)];
        if let Some(hold) = &snapshot.hold {
            status.push(Line::new(ids::HOLD, hold.label(), false));
        }
        for incident in &snapshot.open {
            status.push(Line::new(
                format!("{}{}", ids::INCIDENT_PREFIX, incident.id),
                shorten(&incident.one_line(now)),
                true,
            ));
            // The figure never goes without its model and inputs.
            if let Some(cost) = incident.cost_line() {
                status.push(Line::new(
                    format!("{}{}", ids::COST_PREFIX, incident.id),
                    shorten(&format!("    {cost}")),
                    false,
                ));
            }
        }
        if let Some(today) = &snapshot.impact.today {
            status.push(Line::new(ids::TODAY, today_line(today), false));
        }
        // Without an incident, a state other than green still needs its reason: a
        // monitor that cannot be read, maintenance, or a problem being confirmed.
        if open == 0 {
            status.extend(
                snapshot
                    .monitors
                    .iter()
                    .filter(|m| !m.paused && m.health != Health::Operational)
                    .map(|m| {
                        let label = match m.health {
                            Health::Unknown => format!("{}: cannot be read", m.name),
                            other => format!("{}: {}", m.name, other.label()),
                        };
                        Line::new(
                            format!("{}{}", ids::MONITOR_PREFIX, m.id),
                            shorten(&label),
                            true,
                        )
                    }),
            );
        }
        // A team channel that cannot post fails quietly otherwise: the marketer
        // believes the team was told.
        status.extend(snapshot.channels.iter().filter_map(|c| {
            let error = c.error.as_deref()?;
            Some(Line::new(
                format!("{}{}", ids::CHANNEL_PREFIX, c.id),
                shorten(&format!("Team channel {} cannot post: {error}", c.id)),
                false,
            ))
        }));
        if let Some(notice) = notice {
            status.push(Line::new(ids::NOTICE, shorten(notice), false));
        }
        // What is degraded or down shows through a snooze: holding notifications is
        // no reason to hide what the marketer would see by looking.
        let icon = match snapshot.tray {
            TrayState::Degraded | TrayState::Down => snapshot.tray.into(),
            _ if snapshot.hold.is_some() => Icon::Snoozed,
            _ => snapshot.tray.into(),
        };
        let snoozed = snapshot
            .hold
            .is_some_and(|h| h.reason == HoldReason::Snoozed);
        TrayView {
            icon,
            title: (snapshot.unacknowledged > 0).then(|| snapshot.unacknowledged.to_string()),
            status,
            actions: standard_actions(snoozed),
        }
    }

    /// The engine runs but its data cannot be read (a broken or locked database).
    pub fn unreadable(error: &str) -> TrayView {
        TrayView {
            icon: Icon::Unknown,
            title: None,
            status: vec![Line::new(
                ids::HEADER,
                shorten(&format!("Flatline — cannot read its data: {error}")),
                false,
            )],
            actions: standard_actions(false),
        }
    }

    pub fn failed(failure: &StartFailure) -> TrayView {
        let mut actions = vec![Line::new(ids::OPEN, "Open timeline", true)];
        if failure.config_file.is_some() {
            actions.push(Line::new(ids::OPEN_CONFIG, "Open config file", true));
        }
        actions.push(Line::new(ids::RETRY, "Try again", true));
        actions.push(Line::new(ids::QUIT, "Quit", true));
        TrayView {
            icon: Icon::Unknown,
            title: None,
            status: vec![Line::new(ids::HEADER, shorten(&failure.headline), false)],
            actions,
        }
    }
}

#[cfg(test)]
mod tests;
