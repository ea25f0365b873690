//! Native desktop notifications.
//!
//! The engine decides *when* to notify (a new or worse incident, a resolution, a
//! reminder; grouped when many come at once, held while snoozed); a [`Notifier`]
//! only delivers. Delivery failures are never fatal: a laptop without
//! a notification service still gets the tray, the timeline and the CLI.

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub summary: String,
    pub body: String,
    pub urgency: Urgency,
    /// The one incident it tells of, for its actions; `None` for a notice of many.
    pub about: Option<About>,
}

/// The incident a notification tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct About {
    pub incident_id: i64,
    /// Still open and unacknowledged: the notification offers "Acknowledge".
    pub acknowledgeable: bool,
}

/// What the person did with a notification's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeAction {
    /// Clicked the notification itself: show the incident.
    Open {
        incident_id: i64,
    },
    Acknowledge {
        incident_id: i64,
    },
}

/// The desktop shell's answer to a [`NoticeAction`]; runs on the thread that waited
/// for the click.
pub type ActionHandler = Box<dyn Fn(NoticeAction) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Low,
    Normal,
    Critical,
}

/// Desktop notifications held from `since` until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub reason: HoldReason,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    Snoozed,
    QuietHours,
}

impl Hold {
    /// "Notifications snoozed until 17:20", "Quiet hours until 07:00" (local time).
    pub fn label(&self) -> String {
        let what = match self.reason {
            HoldReason::Snoozed => "Notifications snoozed",
            HoldReason::QuietHours => "Quiet hours",
        };
        format!(
            "{what} until {}",
            self.until.with_timezone(&Local).format("%H:%M")
        )
    }
}

pub trait Notifier: Send + Sync {
    /// Deliver one notification. Blocking is allowed: the engine calls this off the
    /// async runtime.
    fn notify(&self, notification: &Notification);
}

/// Delivers through the platform's notification service (D-Bus on Linux).
pub struct DesktopNotifier {
    app_name: String,
    /// The first failure is logged as a warning, later ones only at debug level, so a
    /// machine without a notification daemon does not fill the log.
    warned: AtomicBool,
    /// Set by a program that can answer actions (the desktop app has a window to open);
    /// without it, notifications carry no buttons.
    on_action: OnceLock<ActionHandler>,
}

impl DesktopNotifier {
    pub fn new() -> DesktopNotifier {
        DesktopNotifier {
            app_name: "Flatline".into(),
            warned: AtomicBool::new(false),
            on_action: OnceLock::new(),
        }
    }

    /// Offer "Acknowledge" and a click that opens the incident on the notifications
    /// about one incident from now on, answered by `handler`. Set once; a later call
    /// changes nothing.
    pub fn answer_actions(&self, handler: ActionHandler) {
        if self.on_action.set(handler).is_err() {
            tracing::warn!("notification actions already have a handler");
        }
    }
}

impl Default for DesktopNotifier {
    fn default() -> Self {
        DesktopNotifier::new()
    }
}

/// The action keys: "default" is the freedesktop name for a click on the body.
const OPEN: &str = "default";
const ACKNOWLEDGE: &str = "acknowledge";

impl Notifier for DesktopNotifier {
    /// With actions, this blocks until the notification is clicked or closed: the
    /// engine's call is on a blocking thread of its own.
    fn notify(&self, n: &Notification) {
        let mut note = notify_rust::Notification::new();
        note.appname(&self.app_name)
            .summary(&n.summary)
            .body(&n.body)
            .icon("dialog-warning");
        #[cfg(all(unix, not(target_os = "macos")))]
        note.urgency(match n.urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        });
        let answered = self.on_action.get().zip(n.about);
        if let Some((_, about)) = answered {
            note.action(OPEN, "Open");
            if about.acknowledgeable {
                note.action(ACKNOWLEDGE, "Acknowledge");
            }
        }
        match note.show() {
            Ok(handle) => {
                tracing::debug!(summary = %n.summary, "notification sent");
                if let Some((handler, about)) = answered {
                    let incident_id = about.incident_id;
                    handle.wait_for_action(|action| match action {
                        OPEN => handler(NoticeAction::Open { incident_id }),
                        ACKNOWLEDGE => handler(NoticeAction::Acknowledge { incident_id }),
                        _ => {}
                    });
                }
            }
            Err(e) if !self.warned.swap(true, Ordering::Relaxed) => {
                tracing::warn!(error = %e, "no notification service; notifications are off until one appears")
            }
            Err(e) => tracing::debug!(error = %e, "notification not delivered"),
        }
    }
}
