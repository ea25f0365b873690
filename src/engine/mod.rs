//! The engine: checks monitors, records what they say, opens, updates and resolves
//! incidents, notifies, and tells subscribers (tray, window) what changed.
//!
//! One [`Engine::tick`] does one round of work for a given time and returns what
//! happened, so tests drive the engine step by step without sleeping; the
//! [`Poller`] runs ticks on a schedule.

mod announce;
mod deliveries;
mod detail;
mod export;
mod hold;
mod incidents;
mod poller;
mod pricing;
mod schedule;
mod transition;
mod volume;
mod volume_incidents;

pub use deliveries::{DeliveryReport, DeliveryTest};
pub use detail::{ChartSeries, IncidentDetail, VolumeChart};
pub use poller::{Poller, PollerHandle};

use crate::config::{Config, MonitorConfig, MonitorKind};
use crate::health::Health;
use crate::http::HttpClient;
use crate::incident::{Acknowledgement, Incident, MonitorStatus, Snapshot, TrayState};
use crate::monitor::{self, Monitor, Observation};
use crate::notifier::Notifier;
use crate::store::{IncidentQuery, Store, StoreError};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use volume::{VolumeRead, VolumeWatch};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up HTTP: {0}")]
    Http(String),
    #[error("the poller has stopped")]
    Stopped,
    #[error("no team channel has the id `{0}` (see [[channel]] in the config)")]
    NoSuchChannel(String),
}

/// What subscribers are told. Serialised for the desktop window as-is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    IncidentOpened {
        incident: Incident,
    },
    IncidentUpdated {
        incident: Incident,
    },
    IncidentResolved {
        incident: Incident,
    },
    Acknowledged {
        incident: Incident,
    },
    Checked {
        monitors: Vec<MonitorStatus>,
    },
    /// Another process (the CLI, a second app) changed the data: re-read it.
    StoreChanged,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TickOutcome {
    /// One observation per monitor checked, in config order.
    pub observations: Vec<Observation>,
    pub opened: Vec<Incident>,
    pub updated: Vec<Incident>,
    pub resolved: Vec<Incident>,
    /// No vendor could be reached at the network level: the machine is probably
    /// offline, and no incident was opened or resolved on that evidence.
    pub offline: bool,
    /// Posts to team channels attempted, this tick's news and earlier ones due again.
    pub deliveries: Vec<DeliveryReport>,
}

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    monitors: Vec<Slot>,
    store: Store,
    http: HttpClient,
    notifier: Arc<dyn Notifier>,
    events: broadcast::Sender<EngineEvent>,
    runtime: Mutex<HashMap<String, schedule::MonitorRuntime>>,
    user: String,
    seen_data_version: Mutex<Option<i64>>,
    last_roll_up: Mutex<Option<DateTime<Utc>>>,
    calibrations: pricing::Calibrations,
    /// Desktop notices of the tick under way, sent together at its end.
    pending_notices: Mutex<Vec<crate::notifier::Notification>>,
    /// The hold on notifications seen at the last tick, to notice its end.
    hold: Mutex<Option<crate::notifier::Hold>>,
}

/// How long a team-channel post is kept once delivered or given up, for status.
const POST_RETENTION: chrono::Duration = chrono::Duration::days(90);

/// How soon a volume monitor that is still reading history is read again.
const CATCH_UP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

struct Slot {
    config: MonitorConfig,
    watch: Watch,
}

/// Status monitors give a health per check; volume monitors give counts that the
/// detector judges.
enum Watch {
    Status(Arc<dyn Monitor>),
    Volume(Arc<VolumeWatch>),
}

/// One check's result before incidents are updated.
enum Checked {
    Status(Observation),
    Volume(VolumeRead),
}

impl Checked {
    fn observation(&self) -> &Observation {
        match self {
            Checked::Status(o) => o,
            Checked::Volume(r) => &r.observation,
        }
    }
}

impl Engine {
    pub fn new(
        config: Config,
        store: Store,
        notifier: Arc<dyn Notifier>,
    ) -> Result<Engine, EngineError> {
        let http = HttpClient::new(config.general.max_body_bytes)
            .map_err(|e| EngineError::Http(e.to_string()))?;
        let timeout = |m: &MonitorConfig| {
            m.timeout_secs
                .map(std::time::Duration::from_secs_f64)
                .unwrap_or(config.general.timeout())
        };
        let volumes: HashMap<String, Arc<VolumeWatch>> = config
            .monitors
            .iter()
            .filter_map(|m| match &m.kind {
                MonitorKind::Volume(v) => {
                    let source = Arc::from(crate::volume::from_config(v, timeout(m)));
                    Some((
                        m.id.clone(),
                        Arc::new(VolumeWatch::new(m.clone(), v.clone(), source)),
                    ))
                }
                _ => None,
            })
            .collect();
        let monitors = config
            .monitors
            .iter()
            .filter_map(|m| {
                let watch = match volumes.get(&m.id) {
                    Some(v) => Watch::Volume(v.clone()),
                    None => Watch::Status(Arc::from(monitor::from_config(
                        m,
                        config.general.timeout(),
                        |id| volumes.get(id).map(|v| v.source.clone()),
                    )?)),
                };
                Some(Slot {
                    config: m.clone(),
                    watch,
                })
            })
            .collect();
        let user = config.general.user.clone().unwrap_or_else(login_name);
        let (events, _) = broadcast::channel(256);
        Ok(Engine {
            inner: Arc::new(Inner {
                config,
                monitors,
                store,
                http,
                notifier,
                events,
                runtime: Mutex::new(HashMap::new()),
                user,
                seen_data_version: Mutex::new(None),
                last_roll_up: Mutex::new(None),
                calibrations: Default::default(),
                pending_notices: Mutex::default(),
                hold: Mutex::default(),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    fn emit(&self, event: EngineEvent) {
        // No subscriber (the CLI) is fine.
        let _ = self.inner.events.send(event);
    }

    /// Check the monitors that are due at `now`.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickOutcome, EngineError> {
        let due = {
            let runtime = self.inner.runtime.lock().unwrap_or_else(|p| p.into_inner());
            self.active_slots()
                .filter(|s| runtime.get(&s.config.id).is_none_or(|r| r.is_due(now)))
                .map(|s| s.config.id.clone())
                .collect::<Vec<_>>()
        };
        self.check(&due, now).await
    }

    /// Check every active monitor now, whatever its schedule.
    pub async fn check_all(&self, now: DateTime<Utc>) -> Result<TickOutcome, EngineError> {
        let all = self
            .active_slots()
            .map(|s| s.config.id.clone())
            .collect::<Vec<_>>();
        self.check(&all, now).await
    }

    /// When the next monitor is due; `None` when nothing is scheduled (no active
    /// monitors), and a time in the past for monitors never checked.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let runtime = self.inner.runtime.lock().unwrap_or_else(|p| p.into_inner());
        self.active_slots()
            .map(|s| {
                runtime
                    .get(&s.config.id)
                    .map_or(DateTime::<Utc>::MIN_UTC, |r| r.next_due)
            })
            .min()
    }

    fn active_slots(&self) -> impl Iterator<Item = &Slot> {
        self.inner.monitors.iter().filter(|s| !s.config.paused)
    }

    async fn check(&self, ids: &[String], now: DateTime<Utc>) -> Result<TickOutcome, EngineError> {
        let slots: Vec<&Slot> = self
            .inner
            .monitors
            .iter()
            .filter(|s| ids.contains(&s.config.id))
            .collect();
        // Owned handles per check: the futures must not borrow the engine, or the
        // poller's spawned task would not be `Send` for every lifetime.
        let checks: Vec<_> = slots
            .iter()
            .map(|slot| {
                let id = slot.config.id.clone();
                let http = self.inner.http.clone();
                let store = self.inner.store.clone();
                let watch = match &slot.watch {
                    Watch::Status(m) => Watch::Status(m.clone()),
                    Watch::Volume(v) => Watch::Volume(v.clone()),
                };
                async move {
                    match watch {
                        Watch::Status(monitor) => {
                            let started = std::time::Instant::now();
                            let result = monitor.check(&http).await;
                            Ok(Checked::Status(Observation {
                                monitor_id: id,
                                checked_at: now,
                                latency_ms: started.elapsed().as_millis() as u64,
                                result,
                            }))
                        }
                        Watch::Volume(v) => v.read(&http, &store, now).await.map(Checked::Volume),
                    }
                }
            })
            .collect();
        let results: Vec<Result<Checked, EngineError>> = futures::stream::iter(checks)
            .buffer_unordered(self.inner.config.general.concurrency)
            .collect()
            .await;
        let mut checked = results.into_iter().collect::<Result<Vec<_>, _>>()?;
        let order = |id: &str| self.inner.monitors.iter().position(|s| s.config.id == id);
        checked.sort_by_key(|c| order(&c.observation().monitor_id));

        let observations: Vec<Observation> =
            checked.iter().map(|c| c.observation().clone()).collect();
        let offline = looks_offline(&observations, |id| {
            slots
                .iter()
                .any(|s| s.config.id == id && matches!(s.config.kind, MonitorKind::Http(_)))
        });
        if offline {
            tracing::warn!(
                "no vendor could be reached at the network level: offline, no incident changes"
            );
        }

        let mut outcome = TickOutcome {
            offline,
            ..TickOutcome::default()
        };
        for result in &checked {
            let obs = result.observation();
            // Scheduled first: if recording fails (a full disk), the monitor must still
            // wait its turn rather than be retried in a tight loop.
            self.schedule_next(result, now);
            self.inner.store.record_observation(obs).await?;
            let slot = slots
                .iter()
                .find(|s| s.config.id == obs.monitor_id)
                .expect("observed slot");
            match (result, &slot.watch) {
                (Checked::Volume(read), Watch::Volume(watch)) => {
                    // Counts are the shop's own data, read from history: being
                    // offline now does not make them less true.
                    self.apply_volume(watch, read, &mut outcome).await?;
                }
                _ if offline => {}
                _ => self.apply(&slot.config, obs, &mut outcome).await?,
            }
        }
        let open = self.reprice_open(&mut outcome, now).await?;
        self.notify_after_tick(&open, now).await?;
        outcome.deliveries = self.deliver_due(now).await?;
        self.housekeeping(now).await?;
        outcome.observations = observations;
        if !outcome.observations.is_empty() {
            self.emit(EngineEvent::Checked {
                monitors: self.monitor_statuses().await?,
            });
        }
        Ok(outcome)
    }

    /// At most hourly: move raw volume counts past their retention into hourly sums,
    /// and forget team-channel posts done with long ago.
    async fn housekeeping(&self, now: DateTime<Utc>) -> Result<(), EngineError> {
        {
            let mut last = self
                .inner
                .last_roll_up
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|l| now - l < chrono::Duration::hours(1)) {
                return Ok(());
            }
            *last = Some(now);
        }
        let moved = self
            .inner
            .store
            .roll_up(now.timestamp() - volume::RAW_RETENTION_SECS)
            .await?;
        let pruned = self
            .inner
            .store
            .prune_deliveries(now - POST_RETENTION)
            .await?;
        if pruned > 0 {
            tracing::debug!(rows = pruned, "old team-channel posts forgotten");
        }
        if moved > 0 {
            tracing::debug!(rows = moved, "old volume counts rolled up per hour");
        }
        Ok(())
    }

    fn schedule_next(&self, checked: &Checked, now: DateTime<Utc>) {
        let obs = checked.observation();
        let slot = self
            .inner
            .monitors
            .iter()
            .find(|s| s.config.id == obs.monitor_id);
        let Some(slot) = slot else { return };
        let interval = match checked {
            // Reading history in parts (first start, after a sleep): the next part
            // is due at once, within the source's own rate limit.
            Checked::Volume(read) if read.catching_up => CATCH_UP_INTERVAL,
            _ => slot.config.interval(&self.inner.config.general),
        };
        let mut runtime = self.inner.runtime.lock().unwrap_or_else(|p| p.into_inner());
        runtime
            .entry(obs.monitor_id.clone())
            .or_default()
            .after_check(obs.result.as_ref().err(), interval, now);
    }

    /// The latest state of every configured monitor, in config order.
    pub async fn monitor_statuses(&self) -> Result<Vec<MonitorStatus>, EngineError> {
        let latest = self.inner.store.latest_checks().await?;
        Ok(self
            .inner
            .monitors
            .iter()
            .map(|slot| {
                let c = &slot.config;
                let last = latest.iter().find(|l| l.monitor_id == c.id);
                MonitorStatus {
                    id: c.id.clone(),
                    name: c.display_name().to_owned(),
                    kind: c.kind_name().to_owned(),
                    health: last.map_or(Health::Unknown, |l| l.health),
                    summary: last
                        .map_or_else(|| "not checked yet".to_owned(), |l| l.summary.clone()),
                    error: last.and_then(|l| l.result.as_ref().err().map(|e| e.to_string())),
                    error_kind: last
                        .and_then(|l| l.result.as_ref().err().map(|e| e.kind().to_owned())),
                    last_check: last.map(|l| l.checked_at),
                    latency_ms: last.map(|l| l.latency_ms),
                    paused: c.paused,
                    volume: last.and_then(|l| l.result.as_ref().ok()?.volume.clone()),
                }
            })
            .collect())
    }

    pub async fn snapshot(&self) -> Result<Snapshot, EngineError> {
        let monitors = self.monitor_statuses().await?;
        let open = self
            .incidents(IncidentQuery {
                open_only: true,
                ..Default::default()
            })
            .await?;
        let worst = Health::worst_of(
            monitors
                .iter()
                .filter(|m| !m.paused)
                .map(|m| m.health)
                .chain(open.iter().map(|i| i.severity)),
        );
        Ok(Snapshot {
            tray: TrayState::from_health(worst),
            unacknowledged: open.iter().filter(|i| i.acknowledgement.is_none()).count(),
            monitors,
            open,
            impact: self.impact_totals(Utc::now()).await?,
            channels: self.channel_statuses().await?,
            hold: self.hold_at(Utc::now()).await?,
        })
    }

    pub async fn incidents(&self, query: IncidentQuery) -> Result<Vec<Incident>, EngineError> {
        Ok(self.inner.store.incidents(query).await?)
    }

    pub async fn acknowledge(
        &self,
        id: i64,
        note: Option<String>,
    ) -> Result<Incident, EngineError> {
        let ack = Acknowledgement {
            by: self.inner.user.clone(),
            at: Utc::now(),
            note: note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        };
        let incident = self.inner.store.acknowledge(id, ack).await?;
        self.emit(EngineEvent::Acknowledged {
            incident: incident.clone(),
        });
        Ok(incident)
    }

    /// Acknowledge every open incident that nobody has acknowledged yet.
    pub async fn acknowledge_all(
        &self,
        note: Option<String>,
    ) -> Result<Vec<Incident>, EngineError> {
        let open = self
            .incidents(IncidentQuery {
                open_only: true,
                ..Default::default()
            })
            .await?;
        let mut done = Vec::new();
        for incident in open.into_iter().filter(|i| i.acknowledgement.is_none()) {
            done.push(self.acknowledge(incident.id, note.clone()).await?);
        }
        Ok(done)
    }

    /// Tell subscribers when another process changed the database. Returns whether
    /// it did.
    pub async fn poll_external_changes(&self) -> Result<bool, EngineError> {
        let version = self.inner.store.data_version().await?;
        let previous = self
            .inner
            .seen_data_version
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(version);
        let changed = previous.is_some_and(|p| p != version);
        if changed {
            self.emit(EngineEvent::StoreChanged);
        }
        Ok(changed)
    }
}

/// Status pages live on many independent hosts, so when every one of them fails at
/// the network level the fault is ours, not theirs. Probes are left out of the vote
/// when pages were checked, because a probe that gets no answer reports the endpoint
/// as down rather than as unreadable; with probes alone, only their own network
/// errors count.
fn looks_offline(observations: &[Observation], is_probe: impl Fn(&str) -> bool) -> bool {
    let network_failure = |o: &&Observation| matches!(&o.result, Err(e) if e.is_network());
    let pages: Vec<&Observation> = observations
        .iter()
        .filter(|o| !is_probe(&o.monitor_id))
        .collect();
    let voters = if pages.is_empty() {
        observations.iter().collect()
    } else {
        pages
    };
    !voters.is_empty() && voters.iter().all(network_failure)
}

fn login_name() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "someone".to_owned())
}
