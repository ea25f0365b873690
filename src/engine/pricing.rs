//! Pricing incidents: each incident's estimate, kept current while it is open and
//! recomputed when the model changes, and the running totals of the current local day,
//! week and month.

use super::detail::series;
use super::{Engine, EngineError, EngineEvent, TickOutcome};
use crate::detect::POOLED;
use crate::impact::{self, EventSeries, HourFlow, Period, SeriesPoint, VolumeSeries};
use crate::incident::{utc, ImpactTotals, Incident};
use crate::store::{IncidentQuery, StoredBucket};
use chrono::{DateTime, Datelike, Local, NaiveDate, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const DAY: i64 = 86_400;

/// Each volume monitor's latest calibrations, with the day they were taken before.
/// The days before an incident do not change while it lasts, and reading a week of
/// buckets again on every tick took 18 ms (`scripts/bench-pricing`); a monitor has
/// one incident open at a time, so one entry per monitor is enough.
pub(super) type Calibrations = Mutex<HashMap<String, (i64, Arc<HashMap<String, f64>>)>>;

impl Engine {
    /// Estimate what the incident costs as of `now`, store it with the model used,
    /// and return the incident carrying it.
    pub async fn priced(
        &self,
        incident: Incident,
        now: DateTime<Utc>,
    ) -> Result<Incident, EngineError> {
        let model = self.inner.config.impact_model(&incident.monitor_id);
        let estimate = if incident.kind.is_volume() {
            let series = self.volume_series(&incident, now).await?;
            impact::estimate(&incident, series.as_ref(), &model, now)
        } else {
            let until = incident.ended_at.unwrap_or(now);
            let healths = self
                .inner
                .store
                .healths_between(&incident.monitor_id, incident.started_at, until)
                .await?;
            impact::estimate_status(&incident, &healths, &model, now)
        };
        Ok(self.inner.store.set_impact(incident.id, &estimate).await?)
    }

    /// The counts of every event type of a volume incident's monitor over the
    /// incident, with what the detector expected of each bucket.
    async fn volume_series(
        &self,
        incident: &Incident,
        now: DateTime<Utc>,
    ) -> Result<Option<VolumeSeries>, EngineError> {
        let store = &self.inner.store;
        let Some(cursor) = store.cursor(&incident.monitor_id).await? else {
            return Ok(None);
        };
        let from = incident.started_at.timestamp();
        let until = incident.counted_until(now).timestamp();
        let (step_secs, rows) =
            series(store, &incident.monitor_id, cursor.step_secs, from, until).await?;
        let calibrations = self.calibrations(incident, now).await?;
        let mut events: Vec<EventSeries> = Vec::new();
        for r in rows.into_iter().filter(|r| r.event != POOLED) {
            let point = SeriesPoint {
                start: r.start,
                expected: r.expected.map(|e| e.expected),
                observed: r.count,
                implied: r.expected.is_some_and(|e| e.implied),
            };
            match events.iter_mut().find(|e| e.event == r.event) {
                Some(e) => e.points.push(point),
                None => events.push(EventSeries {
                    calibration: calibrations.get(&r.event).copied(),
                    event: r.event,
                    points: vec![point],
                }),
            }
        }
        Ok(Some(VolumeSeries { step_secs, events }))
    }

    /// Each event type's [`impact::calibration`] over the whole UTC days before the
    /// incident's, leaving out the hours of the monitor's other incidents: an earlier
    /// outage's missing counts would make the detector look as if it expected too much.
    async fn calibrations(
        &self,
        incident: &Incident,
        now: DateTime<Utc>,
    ) -> Result<Arc<HashMap<String, f64>>, EngineError> {
        let until = incident.started_at.timestamp().div_euclid(DAY) * DAY;
        let cached = |c: &Calibrations| {
            let c = c.lock().unwrap_or_else(|p| p.into_inner());
            c.get(&incident.monitor_id)
                .filter(|(day, _)| *day == until)
                .map(|(_, factors)| factors.clone())
        };
        if let Some(factors) = cached(&self.inner.calibrations) {
            return Ok(factors);
        }
        let from = until - impact::CALIBRATION_DAYS * DAY;
        let hours = self
            .inner
            .store
            .judged_hourly_buckets(&incident.monitor_id, from, until)
            .await?;
        let earlier = self
            .incidents(IncidentQuery {
                since: Some(utc(from)),
                monitor_id: Some(incident.monitor_id.clone()),
                ..Default::default()
            })
            .await?;
        let outages: Vec<(i64, i64)> = earlier
            .iter()
            .map(|i| {
                (
                    i.started_at.timestamp(),
                    i.ended_at.unwrap_or(now).timestamp(),
                )
            })
            .collect();
        let factors = Arc::new(calibrations_from(&hours, &outages));
        self.inner
            .calibrations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(incident.monitor_id.clone(), (until, factors.clone()));
        Ok(factors)
    }

    /// Keep the estimates of open incidents that this tick did not otherwise touch
    /// growing, and tell the window when a figure moved. Returns the open incidents
    /// as they now stand, for the rest of the tick.
    pub(super) async fn reprice_open(
        &self,
        outcome: &mut TickOutcome,
        now: DateTime<Utc>,
    ) -> Result<Vec<Incident>, EngineError> {
        let open = self
            .incidents(IncidentQuery {
                open_only: true,
                ..Default::default()
            })
            .await?;
        let touched: Vec<i64> = outcome
            .opened
            .iter()
            .chain(&outcome.updated)
            .map(|i| i.id)
            .collect();
        let mut current = Vec::with_capacity(open.len());
        for incident in open {
            if touched.contains(&incident.id) {
                current.push(incident);
                continue;
            }
            let before = incident
                .impact
                .as_ref()
                .map(|e| (e.amount, e.summary.clone()));
            let incident = self.priced(incident, now).await?;
            let after = incident
                .impact
                .as_ref()
                .map(|e| (e.amount, e.summary.clone()));
            if before != after {
                self.emit(EngineEvent::IncidentUpdated {
                    incident: incident.clone(),
                });
                outcome.updated.push(incident.clone());
            }
            current.push(incident);
        }
        Ok(current)
    }

    /// Recompute every estimate made with another model than the config's now: the
    /// user changed a rate or a value. Returns how many were recomputed.
    pub async fn reprice_changed_models(&self, now: DateTime<Utc>) -> Result<usize, EngineError> {
        let all = self.incidents(IncidentQuery::default()).await?;
        let mut repriced = 0;
        for incident in all {
            let model = self.inner.config.impact_model(&incident.monitor_id);
            if incident.impact.as_ref().is_some_and(|e| e.model == model) {
                continue;
            }
            self.priced(incident, now).await?;
            repriced += 1;
        }
        if repriced > 0 {
            tracing::info!(
                incidents = repriced,
                "impact estimates recomputed with the current model"
            );
        }
        Ok(repriced)
    }

    /// The estimated impact of the current local day, week and month, overlapping
    /// incidents on the same events counted once.
    pub(super) async fn impact_totals(
        &self,
        now: DateTime<Utc>,
    ) -> Result<ImpactTotals, EngineError> {
        let local = now.with_timezone(&Local).date_naive();
        let month_start = local.with_day(1).expect("every month has a first day");
        let week_start = local - chrono::Days::new(local.weekday().num_days_from_monday().into());
        let since = local_midnight(month_start.min(week_start), now);
        let incidents = self
            .incidents(IncidentQuery {
                since: Some(since),
                ..Default::default()
            })
            .await?;
        let items: Vec<_> = incidents
            .into_iter()
            .filter_map(|i| {
                let estimate = i.impact.clone()?;
                Some((i, estimate))
            })
            .collect();
        let current = |period: Period, start| {
            impact::totals(&items, &Local, period, local_midnight(start, now), now)
                .into_iter()
                .find(|t| t.incidents > 0)
        };
        Ok(ImpactTotals {
            today: current(Period::Day, local),
            this_week: current(Period::Week, week_start),
            this_month: current(Period::Month, month_start),
        })
    }
}

/// The first instant of a local date (`now` if that date has no midnight).
fn local_midnight(date: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    Local
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .earliest()
        .map_or(now, |t| t.with_timezone(&Utc))
}

/// Each event type's calibration from its judged hours, per UTC day, leaving out the
/// hours that overlap one of `outages` (Unix seconds, start to end).
fn calibrations_from(hours: &[StoredBucket], outages: &[(i64, i64)]) -> HashMap<String, f64> {
    let mut flows: HashMap<&str, Vec<HourFlow>> = HashMap::new();
    for h in hours {
        let Some(expected) = h.expected.filter(|_| h.event != POOLED) else {
            continue;
        };
        if outages
            .iter()
            .any(|&(a, b)| a < h.start + 3600 && h.start < b)
        {
            continue;
        }
        flows.entry(&h.event).or_default().push(HourFlow {
            hour: h.start,
            observed: h.count,
            expected: expected.expected,
        });
    }
    flows
        .into_iter()
        .filter_map(|(event, hours)| impact::calibration(&hours).map(|c| (event.to_owned(), c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Expectation;

    /// A week of hours where every event type carried 1.25× what was expected, and
    /// Add to Cart nothing at all in the four days an earlier outage took.
    #[test]
    fn an_earlier_outage_does_not_count_against_the_expectation() {
        let outage = (0, 4 * DAY);
        let hours: Vec<StoredBucket> = (0..7 * 24)
            .flat_map(|h| {
                let start = h * 3600;
                ["Add to Cart", "Complete Payment", POOLED].map(|event| {
                    let dark = event == "Add to Cart" && start < outage.1;
                    StoredBucket {
                        start,
                        event: event.to_owned(),
                        count: if dark { 0.0 } else { 50.0 },
                        expected: Some(Expectation {
                            expected: 40.0,
                            sd: 6.3,
                            implied: false,
                        }),
                    }
                })
            })
            .collect();
        let factors = calibrations_from(&hours, &[outage]);
        assert_eq!(factors.get("Add to Cart"), Some(&1.25));
        assert_eq!(factors.get("Complete Payment"), Some(&1.25));
        assert_eq!(factors.get(POOLED), None, "every event twice over");
        // Counted, the outage's days would have said the detector expects too much.
        assert_eq!(
            calibrations_from(&hours, &[]).get("Add to Cart"),
            Some(&0.5)
        );
    }
}
