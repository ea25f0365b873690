//! `[notifications]`: what the desktop is told, and when it is left in peace.

use chrono::{DateTime, Days, Local, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Notifications {
    pub enabled: bool,
    /// Also tell when an incident resolves.
    pub on_resolve: bool,
    /// Hours of the local day when notifications are held, like a snooze that comes
    /// back every day.
    pub quiet_hours: Option<QuietHours>,
    /// Minutes between reminders of a major outage nobody has acknowledged; 0 for none.
    pub renotify_minutes: u32,
}

impl Default for Notifications {
    fn default() -> Self {
        Notifications {
            enabled: true,
            on_resolve: true,
            quiet_hours: None,
            renotify_minutes: 60,
        }
    }
}

/// "22:00-07:00": from the first time to the second, in local time, across midnight
/// when the second is earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn parse(text: &str) -> Result<QuietHours, String> {
        let usage = || format!("`{text}` is not a range of local times such as \"22:00-07:00\"");
        let (start, end) = text.split_once('-').ok_or_else(usage)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| usage());
        let hours = QuietHours {
            start: time(start)?,
            end: time(end)?,
        };
        if hours.start == hours.end {
            return Err(format!("`{text}` starts and ends at the same time"));
        }
        Ok(hours)
    }

    /// The quiet spell `now` falls in, as (start, end), or `None` outside one.
    pub fn spell_at(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let local = now.with_timezone(&Local);
        let today = local.date_naive();
        let at = |date: chrono::NaiveDate, time: NaiveTime| -> Option<DateTime<Utc>> {
            // A time skipped by a clock change starts or ends the spell at the change.
            Local
                .from_local_datetime(&date.and_time(time))
                .earliest()
                .or_else(|| {
                    Local
                        .from_local_datetime(&(date.and_time(time) + chrono::Duration::hours(1)))
                        .earliest()
                })
                .map(|t| t.with_timezone(&Utc))
        };
        let (first_day, days) = if self.start < self.end {
            (today, 0)
        } else if local.time() >= self.start {
            (today, 1)
        } else {
            (today.checked_sub_days(Days::new(1))?, 1)
        };
        let start = at(first_day, self.start)?;
        let end = at(first_day.checked_add_days(Days::new(days))?, self.end)?;
        (start <= now && now < end).then_some((start, end))
    }
}

impl<'de> Deserialize<'de> for QuietHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        QuietHours::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        Local
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_night_spell_runs_across_midnight() {
        let night = QuietHours::parse("22:00-07:00").unwrap();
        let spell = Some((local("2026-03-10 22:00"), local("2026-03-11 07:00")));
        assert_eq!(night.spell_at(local("2026-03-10 23:30")), spell);
        assert_eq!(night.spell_at(local("2026-03-11 06:59")), spell);
        assert_eq!(night.spell_at(local("2026-03-11 07:00")), None);
        assert_eq!(night.spell_at(local("2026-03-10 21:59")), None);
        assert_eq!(night.spell_at(local("2026-03-10 12:00")), None);
    }

    #[test]
    fn a_day_spell_stays_within_its_day() {
        let lunch = QuietHours::parse(" 12:00 - 13:30 ").unwrap();
        assert_eq!(
            lunch.spell_at(local("2026-03-10 12:45")),
            Some((local("2026-03-10 12:00"), local("2026-03-10 13:30")))
        );
        assert_eq!(lunch.spell_at(local("2026-03-10 13:30")), None);
    }

    #[test]
    fn nonsense_is_refused_with_an_example() {
        assert!(QuietHours::parse("22-7")
            .unwrap_err()
            .contains("such as \"22:00-07:00\""));
        assert!(QuietHours::parse("25:00-07:00").is_err());
        assert!(QuietHours::parse("07:00-07:00")
            .unwrap_err()
            .contains("same time"));
    }
}
