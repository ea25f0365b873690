//! Where the config file and the data directory live. The desktop app and the CLI
//! resolve them the same way so that both always see the same incidents.

use std::path::PathBuf;

pub const CONFIG_ENV: &str = "FLATLINE_CONFIG";
pub const DATA_DIR_ENV: &str = "FLATLINE_DATA_DIR";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot find a home directory for Flatline's {what}; pass --{flag} or set {env}")]
pub struct PathsError {
    what: &'static str,
    flag: &'static str,
    env: &'static str,
}

impl Paths {
    /// Explicit arguments win, then the environment, then the platform's standard
    /// directories (`~/.config/flatline`, `~/.local/share/flatline` on Linux).
    pub fn resolve(
        config: Option<PathBuf>,
        data_dir: Option<PathBuf>,
    ) -> Result<Paths, PathsError> {
        let from_env = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let dirs = directories::ProjectDirs::from("", "", "flatline");
        let config_file = match config.or_else(|| from_env(CONFIG_ENV)) {
            Some(p) => p,
            None => dirs
                .as_ref()
                .map(|d| d.config_dir().join("config.toml"))
                .ok_or(PathsError {
                    what: "config",
                    flag: "config",
                    env: CONFIG_ENV,
                })?,
        };
        let data_dir = match data_dir.or_else(|| from_env(DATA_DIR_ENV)) {
            Some(p) => p,
            None => dirs
                .as_ref()
                .map(|d| d.data_dir().to_owned())
                .ok_or(PathsError {
                    what: "data",
                    flag: "data-dir",
                    env: DATA_DIR_ENV,
                })?,
        };
        Ok(Paths {
            config_file,
            data_dir,
        })
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("flatline.db")
    }

    /// Where the window saves reports: the user's Downloads folder, or `reports/` in
    /// the data directory on a system that names none.
    pub fn reports_dir(&self) -> PathBuf {
        directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(PathBuf::from))
            .unwrap_or_else(|| self.data_dir.join("reports"))
    }
}
