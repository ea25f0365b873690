//! Native desktop notifications.
//!
//! The engine decides *when* to notify (a new or worse incident, a resolution, a
//! reminder; grouped when many come at once, held while snoozed); a [`Notifier`]
//! only delivers. Delivery failures are never fatal: a laptop without
//! a notification service still gets the tray, the timeline and the CLI.

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub summary: String,
    pub body: String,
    pub urgency: Urgency,
}

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
}

impl DesktopNotifier {
    pub fn new() -> DesktopNotifier {
        DesktopNotifier {
            app_name: "Flatline".into(),
            warned: AtomicBool::new(false),
        }
    }
}

impl Default for DesktopNotifier {
    fn default() -> Self {
        DesktopNotifier::new()
    }
}

impl Notifier for DesktopNotifier {
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
        match note.show() {
            Ok(_) => tracing::debug!(summary = %n.summary, "notification sent"),
            Err(e) if !self.warned.swap(true, Ordering::Relaxed) => {
                tracing::warn!(error = %e, "no notification service; notifications are off until one appears")
            }
            Err(e) => tracing::debug!(error = %e, "notification not delivered"),
        }
    }
}
