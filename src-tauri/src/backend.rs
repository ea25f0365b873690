//! The engine as the shell holds it: running (engine + poller), or not running with
//! the reason, so that a broken config leaves a tray that says what is wrong instead
//! of a process that vanished.

use crate::commands::CommandError;
use flatline::app::AppError;
use flatline::config::ConfigError;
use flatline::engine::{Engine, Poller, PollerHandle};
use flatline::notifier::{DesktopNotifier, Notification, Notifier, Urgency};
use flatline::paths::Paths;
use flatline::{App, OpenOptions};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

#[derive(Clone)]
pub enum Status {
    Running {
        engine: Engine,
        poller: PollerHandle,
    },
    Failed(StartFailure),
}

/// Why the engine is not running, worded for the tray and the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartFailure {
    /// A short line for the tray header: "Config error: line 3, key `kind`: …".
    pub headline: String,
    /// The whole story, with the file name, for the notification and the window.
    pub detail: String,
    /// The config file, when it is known, so that the user can open and fix it.
    pub config_file: Option<PathBuf>,
}

impl StartFailure {
    pub fn from_error(error: &AppError, config_file: Option<PathBuf>) -> StartFailure {
        let headline = match error {
            AppError::Config(ConfigError::Invalid {
                line, key, message, ..
            }) => match key {
                Some(key) => format!("Config error: line {line}, key `{key}`: {message}"),
                None => format!("Config error: line {line}: {message}"),
            },
            AppError::Config(e) => format!("Config error: {e}"),
            other => format!("Flatline cannot start: {other}"),
        };
        let detail = match error {
            AppError::Config(e) => {
                format!("Config error: {e}. Fix the file, then choose Try again in the tray menu.")
            }
            other => format!("Flatline cannot start: {other}"),
        };
        StartFailure {
            headline,
            detail,
            config_file,
        }
    }
}

pub struct Backend {
    options: OpenOptions,
    notifier: Arc<DesktopNotifier>,
    status: RwLock<Status>,
    /// Held while an engine is being started in place of the status, so that two
    /// clicks do not start two pollers.
    starting: tokio::sync::Mutex<()>,
}

impl Backend {
    /// Opens the engine and starts polling. Must run inside the async runtime (the
    /// poller spawns its task there). Never fails: a failure becomes the status.
    pub async fn open(options: OpenOptions) -> Backend {
        let notifier = Arc::new(DesktopNotifier::new());
        let status = start(&options, &notifier).await;
        Backend {
            options,
            notifier,
            status: RwLock::new(status),
            starting: tokio::sync::Mutex::new(()),
        }
    }

    /// The notifier every engine of this app shares.
    pub fn notifier(&self) -> &DesktopNotifier {
        &self.notifier
    }

    pub fn status(&self) -> Status {
        self.status
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The running engine and its poller, or why there is none.
    pub fn running(&self) -> Result<(Engine, PollerHandle), CommandError> {
        match self.status() {
            Status::Running { engine, poller } => Ok((engine, poller)),
            Status::Failed(failure) => Err(CommandError::NotStarted(failure.detail)),
        }
    }

    pub fn engine(&self) -> Result<Engine, CommandError> {
        self.running().map(|(engine, _)| engine)
    }

    /// Where reports from the window are saved.
    pub fn reports_dir(&self) -> Result<PathBuf, CommandError> {
        let paths = Paths::resolve(self.options.config.clone(), self.options.data_dir.clone())
            .map_err(|e| CommandError::NotStarted(e.to_string()))?;
        Ok(paths.reports_dir())
    }

    /// Tries again after a failed start (the user fixed the config). Returns the new
    /// engine when this call started it; `None` when it was running already or
    /// failed again.
    pub async fn retry(&self) -> Option<Engine> {
        let _starting = self.starting.lock().await;
        self.start_if_failed().await
    }

    async fn start_if_failed(&self) -> Option<Engine> {
        if matches!(self.status(), Status::Running { .. }) {
            return None;
        }
        let status = start(&self.options, &self.notifier).await;
        let engine = match &status {
            Status::Running { engine, .. } => Some(engine.clone()),
            Status::Failed(_) => None,
        };
        self.set_status(status);
        engine
    }

    /// Reads the config again and starts an engine on it in place of the running one,
    /// so that an edit applies without a restart; returns the new engine. A config that
    /// does not open leaves the running engine as it was, and says why. Not running, it
    /// is [`Backend::retry`].
    pub async fn reload(&self) -> Result<Option<Engine>, StartFailure> {
        let _starting = self.starting.lock().await;
        let Status::Running { poller, .. } = self.status() else {
            return Ok(self.start_if_failed().await);
        };
        let app = App::open(self.options.clone(), self.notifier.clone())
            .await
            .map_err(|error| {
                tracing::warn!(error = %error, "the config did not reload; the running engine stays");
                StartFailure::from_error(&error, self.config_file())
            })?;
        let (engine, poller) = app.take_over(&poller).await;
        self.set_status(Status::Running {
            engine: engine.clone(),
            poller,
        });
        tracing::info!("the config was reloaded");
        Ok(Some(engine))
    }

    fn set_status(&self, status: Status) {
        *self.status.write().unwrap_or_else(|p| p.into_inner()) = status;
    }

    fn config_file(&self) -> Option<PathBuf> {
        config_file(&self.options)
    }

    /// Stops the poller and waits for the check in hand, so that nothing half
    /// recorded is left behind on Quit.
    pub async fn stop(&self) {
        if let Status::Running { poller, .. } = self.status() {
            poller.stop().await;
        }
    }
}

fn config_file(options: &OpenOptions) -> Option<PathBuf> {
    Paths::resolve(options.config.clone(), options.data_dir.clone())
        .ok()
        .map(|p| p.config_file)
}

async fn start(options: &OpenOptions, notifier: &Arc<DesktopNotifier>) -> Status {
    let config_file = config_file(options);
    match App::open(options.clone(), notifier.clone()).await {
        Ok(app) => {
            let poller = Poller::start(app.engine.clone());
            Status::Running {
                engine: app.engine,
                poller,
            }
        }
        Err(error) => {
            let failure = StartFailure::from_error(&error, config_file);
            tracing::error!(error = %error, "the engine did not start; the tray shows why");
            notify_failure(notifier.clone(), &failure);
            Status::Failed(failure)
        }
    }
}

/// A notification is the one place a start failure is seen without opening the tray
/// menu. Delivery blocks on D-Bus, so it runs off the async threads.
fn notify_failure(notifier: Arc<DesktopNotifier>, failure: &StartFailure) {
    let note = Notification {
        summary: "Flatline is not monitoring".to_owned(),
        body: failure.detail.clone(),
        urgency: Urgency::Critical,
        about: None,
    };
    tokio::task::spawn_blocking(move || notifier.notify(&note));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_typo_reads_as_line_and_key_in_the_tray() {
        let error = AppError::Config(ConfigError::Invalid {
            path: "/home/dana/.config/flatline/config.toml".into(),
            line: 3,
            key: Some("kind".into()),
            message: "unknown variant `statuspag`".into(),
        });
        let failure = StartFailure::from_error(
            &error,
            Some("/home/dana/.config/flatline/config.toml".into()),
        );
        assert_eq!(
            failure.headline,
            "Config error: line 3, key `kind`: unknown variant `statuspag`"
        );
        assert!(
            failure
                .detail
                .contains("/home/dana/.config/flatline/config.toml"),
            "{}",
            failure.detail
        );
        assert!(failure.detail.contains("Try again"), "{}", failure.detail);
    }

    #[tokio::test]
    async fn a_broken_config_leaves_a_backend_that_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            "[[monitor]]\nid = \"x\"\nkind = \"statuspag\"\nurl = \"http://127.0.0.1:9\"\n",
        )
        .unwrap();
        let backend = Backend::open(OpenOptions {
            config: Some(config.clone()),
            data_dir: Some(dir.path().join("data")),
        })
        .await;
        let Status::Failed(failure) = backend.status() else {
            panic!("a config typo must not start the engine");
        };
        assert!(
            failure.headline.starts_with("Config error: line 3"),
            "{}",
            failure.headline
        );
        assert_eq!(failure.config_file.as_deref(), Some(config.as_path()));
        let err = backend.engine().err().expect("no engine");
        assert_eq!(err.kind(), "not_started");

        // Fixed on disk: Try again starts it without a restart.
        std::fs::write(&config, "[general]\ninterval_secs = 60\n").unwrap();
        assert!(backend.retry().await.is_some());
        assert!(backend.engine().is_ok());
        assert!(
            backend.retry().await.is_none(),
            "a running engine is not started twice"
        );
        backend.stop().await;
    }

    #[tokio::test]
    async fn an_edited_config_reloads_and_a_broken_one_leaves_the_running_engine() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        let monitor = |id: &str| {
            format!(
                "[[monitor]]\nid = \"{id}\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:9\"\n"
            )
        };
        std::fs::write(&config, monitor("segment")).unwrap();
        let backend = Backend::open(OpenOptions {
            config: Some(config.clone()),
            data_dir: Some(dir.path().join("data")),
        })
        .await;
        let monitors = |engine: &Engine| -> Vec<String> {
            engine
                .config()
                .monitors
                .iter()
                .map(|m| m.id.clone())
                .collect()
        };
        assert_eq!(monitors(&backend.engine().unwrap()), ["segment"]);

        std::fs::write(&config, monitor("segment") + &monitor("tiktok")).unwrap();
        let reloaded = backend.reload().await.unwrap().expect("a new engine");
        assert_eq!(monitors(&reloaded), ["segment", "tiktok"]);
        assert_eq!(monitors(&backend.engine().unwrap()), ["segment", "tiktok"]);

        std::fs::write(
            &config,
            monitor("segment").replace("statuspage", "statuspag"),
        )
        .unwrap();
        let Err(failure) = backend.reload().await else {
            panic!("a typo does not reload");
        };
        assert!(
            failure
                .headline
                .starts_with("Config error: line 3, key `kind`"),
            "{}",
            failure.headline
        );
        assert_eq!(
            monitors(&backend.engine().unwrap()),
            ["segment", "tiktok"],
            "the running engine stays as it was"
        );
        backend.stop().await;
    }
}
