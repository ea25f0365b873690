//! Runs the engine on a schedule until stopped.
//!
//! One task owns the loop: it sleeps until the next monitor is due (or until it is
//! time to look for changes made by another process), and answers commands in
//! between. Everything it does is an [`Engine`] call, so the loop holds no logic of
//! its own worth testing apart from start, check now and stop.

use super::{Engine, EngineError, TickOutcome};
use chrono::Utc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How often the poller looks for acknowledgements made by another process.
const EXTERNAL_CHANGES_EVERY: Duration = Duration::from_secs(2);

enum Command {
    CheckNow(oneshot::Sender<Result<TickOutcome, EngineError>>),
    Stop,
}

pub struct Poller;

#[derive(Clone)]
pub struct PollerHandle {
    commands: mpsc::Sender<Command>,
    task: std::sync::Arc<tokio::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl Poller {
    /// Start polling on the current Tokio runtime.
    pub fn start(engine: Engine) -> PollerHandle {
        let (tx, rx) = mpsc::channel(16);
        let task = tokio::spawn(run(engine, rx));
        PollerHandle {
            commands: tx,
            task: std::sync::Arc::new(tokio::sync::Mutex::new(Some(task))),
        }
    }
}

impl PollerHandle {
    /// Check every monitor now and return what happened.
    pub async fn check_now(&self) -> Result<TickOutcome, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::CheckNow(reply))
            .await
            .map_err(|_| EngineError::Stopped)?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Stop after the work in hand and wait for the loop to end. Safe to call twice.
    pub async fn stop(&self) {
        let _ = self.commands.send(Command::Stop).await;
        if let Some(task) = self.task.lock().await.take() {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "poller task failed");
            }
        }
    }
}

async fn run(engine: Engine, mut commands: mpsc::Receiver<Command>) {
    tracing::info!("poller started");
    loop {
        let until_due = engine
            .next_due()
            .map(|due| (due - Utc::now()).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(EXTERNAL_CHANGES_EVERY);
        tokio::select! {
            _ = tokio::time::sleep(until_due.min(EXTERNAL_CHANGES_EVERY)) => {
                if let Err(e) = engine.tick(Utc::now()).await {
                    tracing::error!(error = %e, "tick failed");
                }
                if let Err(e) = engine.poll_external_changes().await {
                    tracing::warn!(error = %e, "cannot look for outside changes");
                }
            }
            command = commands.recv() => match command {
                Some(Command::CheckNow(reply)) => {
                    let _ = reply.send(engine.check_all(Utc::now()).await);
                }
                Some(Command::Stop) | None => break,
            }
        }
    }
    tracing::info!("poller stopped");
}
