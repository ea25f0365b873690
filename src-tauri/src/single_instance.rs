//! One desktop app per data directory. A second launch (the launcher clicked while
//! the app sits in the tray, a manual start beside the login item) asks the first to
//! open its timeline and exits: two engines on one database would check every
//! monitor twice and notify twice.
//!
//! The first app holds an exclusive lock on `desktop.lock` in the data directory,
//! which the kernel drops when the process ends however it ends, so a crash leaves
//! nothing that blocks the next start; and it listens on `desktop.sock` beside it.
//! Another data directory is another Flatline, and runs beside it.

use std::fs::{File, TryLockError};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

const LOCK_FILE: &str = "desktop.lock";
const SOCKET_FILE: &str = "desktop.sock";
/// What a second launch sends.
const OPEN_TIMELINE: &str = "open-timeline";

/// What this launch is.
pub enum Launch {
    /// The only app on this data directory: keep `Instance` for as long as it runs.
    First(Instance),
    /// Another app runs on it and was asked to open its timeline.
    Second,
}

pub struct Instance {
    /// Held, not read: the lock lasts as long as the file stays open.
    _lock: File,
    /// Where later launches knock; `None` when the socket could not be made (then they
    /// still find the lock and leave).
    listener: Option<UnixListener>,
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("cannot use {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Claim `data_dir` for this app, or hand over to the app that has it.
pub fn claim(data_dir: &Path) -> Result<Launch, InstanceError> {
    let lock_path = data_dir.join(LOCK_FILE);
    let fail = |source| InstanceError::Lock {
        path: lock_path.clone(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(fail)?;
    let socket = data_dir.join(SOCKET_FILE);
    match lock.try_lock() {
        Ok(()) => {
            // Left by an app that did not exit cleanly: nobody listens on it.
            let _ = std::fs::remove_file(&socket);
            let listener = UnixListener::bind(&socket)
                .inspect_err(|e| {
                    tracing::warn!(error = %e, path = %socket.display(), "a second launch will not be able to open this app's timeline")
                })
                .ok();
            Ok(Launch::First(Instance {
                _lock: lock,
                listener,
            }))
        }
        Err(TryLockError::WouldBlock) => {
            ask_to_open(&socket);
            Ok(Launch::Second)
        }
        Err(TryLockError::Error(e)) => Err(fail(e)),
    }
}

/// Ask the first app to open its timeline. It may be starting, between taking the
/// lock and listening, so a refused knock is tried again for a moment.
fn ask_to_open(socket: &Path) {
    for _ in 0..20 {
        match UnixStream::connect(socket) {
            Ok(mut stream) => {
                if let Err(e) = writeln!(stream, "{OPEN_TIMELINE}") {
                    tracing::warn!(error = %e, "cannot ask the running app to open its timeline");
                }
                return;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    tracing::warn!(path = %socket.display(), "the running app does not answer");
}

impl Instance {
    /// Call `open_timeline` for every later launch, on a thread of its own.
    pub fn serve(&mut self, open_timeline: impl Fn() + Send + 'static) {
        let Some(listener) = self.listener.take() else {
            return;
        };
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mut line = String::new();
                // A knock that says something else (or nothing) is not ours to obey.
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                if BufReader::new(stream).read_line(&mut line).is_ok()
                    && line.trim() == OPEN_TIMELINE
                {
                    tracing::info!("another launch asked for the timeline");
                    open_timeline();
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_second_claim_asks_the_first_to_open_its_timeline() {
        let dir = tempfile::tempdir().unwrap();
        let Launch::First(mut first) = claim(dir.path()).unwrap() else {
            panic!("the first claim must win")
        };
        let (opened, asked) = mpsc::channel();
        first.serve(move || opened.send(()).unwrap());

        assert!(matches!(claim(dir.path()).unwrap(), Launch::Second));
        asked
            .recv_timeout(Duration::from_secs(5))
            .expect("the first app was asked to open its timeline");

        let other = tempfile::tempdir().unwrap();
        assert!(
            matches!(claim(other.path()).unwrap(), Launch::First(_)),
            "another data directory is another app"
        );

        drop(first);
        assert!(
            matches!(claim(dir.path()).unwrap(), Launch::First(_)),
            "the lock goes with the app that held it"
        );
    }
}
