//! Telling people of a change to an incident: the desktop, once per tick and held
//! while snoozed (see `hold.rs`), and the team channels through the store's outbox
//! (see `deliveries.rs`).

use super::{Engine, EngineError};
use crate::channels;
use crate::config::Change;
use crate::incident::Incident;
use crate::notifier::{Notification, Urgency};
use crate::store::NewDelivery;
use crate::Health;
use chrono::{DateTime, Utc};

impl Engine {
    /// Queue `change` to `incident` for the desktop (sent when the tick ends) and for
    /// every team channel that wants it.
    pub(super) async fn announce(
        &self,
        change: Change,
        incident: &Incident,
        notice: Notification,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let deliveries: Vec<NewDelivery> = self
            .inner
            .config
            .channels
            .iter()
            .filter(|c| c.wants(change, incident.severity))
            .map(|c| NewDelivery {
                channel_id: c.id.clone(),
                incident_id: incident.id,
                change,
                payload: channels::payload(c.kind, change, incident, &notice),
            })
            .collect();
        self.inner.store.enqueue_deliveries(deliveries, now).await?;
        let desktop = &self.inner.config.notifications;
        if change != Change::Resolved {
            self.inner.store.mark_told(incident.id, now).await?;
        }
        if desktop.enabled && (change != Change::Resolved || desktop.on_resolve) {
            self.inner
                .pending_notices
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(notice);
        }
        Ok(())
    }

    /// At the end of a tick: the tick's notices, one each or grouped when many came
    /// at once, unless notifications are held; then reminders of major outages nobody
    /// has acknowledged, and the notice that ends a hold.
    pub(super) async fn notify_after_tick(
        &self,
        open: &[Incident],
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let notices = std::mem::take(
            &mut *self
                .inner
                .pending_notices
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        let held = self.hold_at(now).await?;
        if let Some(hold) = held {
            if !notices.is_empty() {
                tracing::info!(count = notices.len(), until = %hold.until, "notifications held");
            }
        } else if notices.len() >= GROUP_FROM {
            self.notify_desktop(grouped(&notices));
        } else {
            for notice in notices {
                self.notify_desktop(notice);
            }
        }
        if held.is_none() {
            self.remind(open, now).await?;
        }
        self.notice_after_hold(now, held).await
    }

    /// Remind of each open major outage nobody has acknowledged, once per
    /// `renotify_minutes` since the desktop last heard of it.
    async fn remind(&self, open: &[Incident], now: DateTime<Utc>) -> Result<(), EngineError> {
        let every = self.inner.config.notifications.renotify_minutes;
        if every == 0 || !self.inner.config.notifications.enabled {
            return Ok(());
        }
        let every = chrono::Duration::minutes(i64::from(every));
        for incident in open {
            if incident.severity != Health::MajorOutage || incident.acknowledgement.is_some() {
                continue;
            }
            if !self
                .inner
                .store
                .claim_reminder(incident.id, now, now - every)
                .await?
            {
                continue;
            }
            let mut body = vec![incident.one_line(now)];
            body.extend(incident.cost_line().map(str::to_owned));
            body.push("Acknowledge it to stop these reminders.".into());
            self.notify_desktop(Notification {
                summary: format!("Still down: {}", incident.title),
                body: body.join("\n"),
                urgency: Urgency::Critical,
                about: Some(incident.about()),
            });
        }
        Ok(())
    }

    pub(super) fn notify_desktop(&self, notice: Notification) {
        let notifier = self.inner.notifier.clone();
        // Delivery talks to D-Bus and may block; it must never hold up a tick.
        tokio::task::spawn_blocking(move || notifier.notify(&notice));
    }
}

/// From this many notices in one tick (a shared dependency failing, the first
/// start after a night offline), one notice tells them all.
const GROUP_FROM: usize = 3;

fn grouped(notices: &[Notification]) -> Notification {
    let urgency = if notices.iter().any(|n| n.urgency == Urgency::Critical) {
        Urgency::Critical
    } else if notices.iter().any(|n| n.urgency == Urgency::Normal) {
        Urgency::Normal
    } else {
        Urgency::Low
    };
    Notification {
        summary: format!("Flatline: {} incident changes", notices.len()),
        body: notices
            .iter()
            .map(|n| n.summary.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        urgency,
        about: None,
    }
}
