//! When the desktop is left in peace: a snooze (set from the tray or `flatline
//! snooze`, shared through the store) or the config's quiet hours. Notifications
//! are held meanwhile, never queued: when the hold ends, one notice says what opened
//! during it and is still open. Team channels are not held; they are for escalation.

use super::{Engine, EngineError};
use crate::incident::Incident;
use crate::notifier::{Hold, HoldReason, Notification, Urgency};
use crate::store::{IncidentQuery, Snooze};
use chrono::{DateTime, Duration, Utc};

impl Engine {
    /// Hold desktop notifications for `length` from `now`. A snooze already running
    /// keeps its start, so the notice at its end covers all of it.
    pub async fn snooze(&self, now: DateTime<Utc>, length: Duration) -> Result<Hold, EngineError> {
        let store = &self.inner.store;
        let since = match store.snooze().await? {
            Some(s) if s.until > now => s.since,
            _ => now,
        };
        let snooze = Snooze {
            since,
            until: now + length,
        };
        store.set_snooze(Some(snooze)).await?;
        tracing::info!(until = %snooze.until, "notifications snoozed");
        Ok(Hold {
            reason: HoldReason::Snoozed,
            since,
            until: snooze.until,
        })
    }

    /// Lift the snooze now, telling what opened during it.
    pub async fn resume_notifications(&self, now: DateTime<Utc>) -> Result<(), EngineError> {
        self.inner.store.set_snooze(None).await?;
        tracing::info!("notifications resumed");
        let current = self.hold_at(now).await?;
        self.notice_after_hold(now, current).await
    }

    /// The hold in force at `now`: a snooze that has not run out, else quiet hours.
    pub async fn hold_at(&self, now: DateTime<Utc>) -> Result<Option<Hold>, EngineError> {
        if let Some(s) = self.inner.store.snooze().await? {
            if s.since <= now && now < s.until {
                return Ok(Some(Hold {
                    reason: HoldReason::Snoozed,
                    since: s.since,
                    until: s.until,
                }));
            }
        }
        let quiet = self.inner.config.notifications.quiet_hours;
        Ok(quiet
            .and_then(|q| q.spell_at(now))
            .map(|(since, until)| Hold {
                reason: HoldReason::QuietHours,
                since,
                until,
            }))
    }

    /// Once per tick, with the hold in force now: when the hold seen last has ended,
    /// tell what opened during it.
    pub(super) async fn notice_after_hold(
        &self,
        now: DateTime<Utc>,
        current: Option<Hold>,
    ) -> Result<(), EngineError> {
        let ended = {
            let mut seen = self.inner.hold.lock().unwrap_or_else(|p| p.into_inner());
            let ended = seen.filter(|_| current.is_none());
            *seen = current;
            ended
        };
        let Some(ended) = ended.filter(|_| self.inner.config.notifications.enabled) else {
            return Ok(());
        };
        let missed: Vec<Incident> = self
            .incidents(IncidentQuery {
                open_only: true,
                ..Default::default()
            })
            .await?
            .into_iter()
            .filter(|i| i.detected_at >= ended.since && i.acknowledgement.is_none())
            .collect();
        if let Some(notice) = missed_notice(ended.reason, &missed, now) {
            self.notify_desktop(notice);
        }
        Ok(())
    }
}

fn missed_notice(
    reason: HoldReason,
    missed: &[Incident],
    now: DateTime<Utc>,
) -> Option<Notification> {
    let during = match reason {
        HoldReason::Snoozed => "While snoozed",
        HoldReason::QuietHours => "During quiet hours",
    };
    let summary = match missed {
        [] => return None,
        [one] => format!("{during}: {}", one.title),
        many => format!("{during}: {} incidents opened", many.len()),
    };
    let body = missed
        .iter()
        .map(|i| {
            let mut line = i.one_line(now);
            if let Some(cost) = i.cost_line() {
                line += &format!(" · {cost}");
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n");
    let urgency = if missed
        .iter()
        .any(|i| i.severity == crate::Health::MajorOutage)
    {
        Urgency::Critical
    } else {
        Urgency::Normal
    };
    Some(Notification {
        summary,
        body,
        urgency,
        about: match missed {
            [one] => Some(one.about()),
            _ => None,
        },
    })
}
