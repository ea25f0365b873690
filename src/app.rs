//! Opening Flatline: config, data directory, store and engine, the same way for the
//! desktop app and the CLI.

use crate::config::{Config, ConfigError};
use crate::engine::{Engine, EngineError, Poller, PollerHandle};
use crate::notifier::Notifier;
use crate::paths::{Paths, PathsError};
use crate::store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The config file; `FLATLINE_CONFIG` or the platform default when unset.
    pub config: Option<PathBuf>,
    /// The data directory; `FLATLINE_DATA_DIR` or the platform default when unset.
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Paths(#[from] PathsError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

pub struct App {
    pub paths: Paths,
    pub engine: Engine,
}

impl App {
    /// Resolve the paths, read (or write the commented default) config, open the
    /// store and build the engine.
    pub async fn open(options: OpenOptions, notifier: Arc<dyn Notifier>) -> Result<App, AppError> {
        let paths = Paths::resolve(options.config, options.data_dir)?;
        let config = Config::load_or_init(&paths.config_file)?;
        let store = Store::open(&paths.database()).await?;
        tracing::info!(config = %paths.config_file.display(), data = %paths.data_dir.display(), monitors = config.monitors.len(), "flatline opened");
        let engine = Engine::new(config, store, notifier)?;
        engine.reprice_changed_models(chrono::Utc::now()).await?;
        Ok(App { paths, engine })
    }

    /// Puts this app's engine in place of the one `running` drives: `running` stops
    /// once its check in hand is done, so the new engine starts from all it stored,
    /// and a new poller drives the new engine. How an edited config is reloaded.
    pub async fn take_over(self, running: &PollerHandle) -> (Engine, PollerHandle) {
        running.stop().await;
        let poller = Poller::start(self.engine.clone());
        (self.engine, poller)
    }
}
