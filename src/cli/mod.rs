//! The `flatline` command line: the engine without a window, for scripts, servers
//! and tests. `--json` output is a stable contract.

mod output;
mod since;

use crate::app::{App, OpenOptions};
use crate::notifier::{DesktopNotifier, Notifier};
use crate::report::Format;
use crate::store::IncidentQuery;
use crate::{engine::Poller, presets};
use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "flatline",
    version,
    about = "Know within a minute that conversion tracking went dark."
)]
struct Cli {
    /// Config file (default: FLATLINE_CONFIG, else the platform's config directory).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (default: FLATLINE_DATA_DIR, else the platform's data directory).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Search the vendor catalogue for ready monitor entries.
    Presets {
        term: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run the volume detector over a CSV of `timestamp,event,count` rows and print
    /// the alerts it would raise, one per line.
    Replay {
        /// The CSV file (`-` reads standard input).
        #[arg(long, value_name = "FILE")]
        metrics: PathBuf,
        /// Funnel steps in order, comma-separated, for the funnel-ratio test.
        #[arg(long, value_name = "STEPS", value_delimiter = ',')]
        funnel: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Engine(EngineCommand),
}

/// The commands that open the config and the store.
#[derive(Debug, Subcommand)]
enum EngineCommand {
    /// Poll, detect and notify until stopped (Ctrl-C or SIGTERM stops cleanly, SIGHUP
    /// reloads the config).
    Run,
    /// Poll every monitor once now and print each monitor's state.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Current state from the store, without polling.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// List incidents, open ones first.
    Incidents {
        /// Only incidents that are still open.
        #[arg(long)]
        open: bool,
        /// Only incidents open at or after T: an RFC 3339 time, a date (YYYY-MM-DD,
        /// local midnight) or an age such as 90m, 24h, 7d.
        #[arg(long, value_name = "T", value_parser = since::parse)]
        since: Option<chrono::DateTime<Utc>>,
        #[arg(long)]
        json: bool,
    },
    /// Report incidents with their impact, one row each, in local time: CSV for
    /// spreadsheets, JSON for scripts, Markdown for a post-mortem.
    Export {
        #[arg(long, value_name = "csv|json|md", default_value = "md", value_parser = str::parse::<Format>)]
        format: Format,
        /// Incidents open at or after T: an RFC 3339 time, a date (YYYY-MM-DD, local
        /// midnight) or an age such as 24h, 7d.
        #[arg(long, value_name = "T", value_parser = since::parse)]
        since: Option<chrono::DateTime<Utc>>,
        /// Incidents that began before T (default: now); same forms as --since.
        #[arg(long, value_name = "T", value_parser = since::parse)]
        until: Option<chrono::DateTime<Utc>>,
        /// Write here instead of to standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Acknowledge an incident so others know it is being handled.
    Ack {
        #[arg(value_parser = incident_id)]
        id: i64,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Post a test message to each team channel (or those named) and say whether it
    /// landed.
    TestChannels {
        /// Channel ids from the config; all channels when none are given.
        ids: Vec<String>,
    },
    /// Hold desktop notifications (here and in the desktop app) for a while; when the
    /// snooze ends, one notification tells what opened meanwhile. Team channels still
    /// hear of incidents.
    Snooze {
        /// How long: 30m, 1h, 1d… (at most a week).
        #[arg(value_name = "FOR", default_value = "1h", value_parser = snooze_length)]
        length: chrono::Duration,
        /// Lift the snooze now.
        #[arg(long, conflicts_with = "length")]
        off: bool,
    },
}

fn snooze_length(text: &str) -> Result<chrono::Duration, String> {
    let length = since::length(text)?;
    if length < chrono::Duration::minutes(1) || length > chrono::Duration::weeks(1) {
        return Err(format!("`{text}` is not between a minute and a week"));
    }
    Ok(length)
}

/// Exit 0 when the command ran, 1 when it could not (bad config, unreadable store…);
/// clap exits 2 on a usage error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(cli.command, Command::Engine(EngineCommand::Run)));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("flatline: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`flatline status --json | head`): it has what it wanted.
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flatline: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

fn incident_id(text: &str) -> Result<i64, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an incident id: `flatline incidents` lists them"))
}

fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// The error and its causes, each said once: most of the library's errors already
/// name their cause ("cannot read x: No such file or directory"), which the chain
/// would repeat.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

/// `flatline run`: checks every monitor on its schedule until Ctrl-C or SIGTERM, the
/// check in hand finished first. SIGHUP reads the config again, as the desktop app's
/// Reload config does: a file that does not read leaves the running engine as it was.
async fn watch(app: App, options: &OpenOptions, notifier: Arc<dyn Notifier>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let watched = |engine: &crate::engine::Engine| {
        engine
            .config()
            .monitors
            .iter()
            .filter(|m| !m.paused)
            .count()
    };
    let mut engine = app.engine;
    let mut poller = Poller::start(engine.clone());
    let mut hangup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    eprintln!(
        "flatline: watching {} monitors; Ctrl-C stops, SIGHUP reloads the config",
        watched(&engine)
    );
    loop {
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => {
                interrupted.context("cannot listen for Ctrl-C")?;
                break;
            }
            _ = terminate.recv() => break,
            _ = hangup.recv() => match App::open(options.clone(), notifier.clone()).await {
                Ok(app) => {
                    (engine, poller) = app.take_over(&poller).await;
                    eprintln!("flatline: config reloaded; watching {} monitors", watched(&engine));
                }
                Err(e) => eprintln!(
                    "flatline: config not reloaded, still watching as before: {}",
                    error_text(&e.into())
                ),
            },
        }
    }
    eprintln!("flatline: stopping");
    poller.stop().await;
    Ok(())
}

fn init_logging(verbose: bool) {
    let default = if verbose { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only help a person at a terminal; in a log file they are noise.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let command = match cli.command {
        Command::Presets { term, json } => {
            return output::presets(&presets::search(term.as_deref().unwrap_or("")), json)
        }
        Command::Replay {
            metrics,
            funnel,
            json,
        } => return replay(&metrics, funnel, json),
        Command::Engine(command) => command,
    };
    let options = OpenOptions {
        config: cli.config,
        data_dir: cli.data_dir,
    };
    let notifier: Arc<dyn Notifier> = Arc::new(DesktopNotifier::new());
    let app = App::open(options.clone(), notifier.clone()).await?;
    let engine = &app.engine;
    match command {
        EngineCommand::Run => return watch(app, &options, notifier).await,
        EngineCommand::Check { json } => {
            let outcome = engine.check_all(Utc::now()).await?;
            let statuses = engine.monitor_statuses().await?;
            let checked: Vec<_> = statuses
                .into_iter()
                .filter(|s| outcome.observations.iter().any(|o| o.monitor_id == s.id))
                .collect();
            output::monitors(&checked, json)?;
            if outcome.offline && !json {
                eprintln!("flatline: every monitor failed at the network level; this machine looks offline");
            }
        }
        EngineCommand::Status { json } => output::status(&engine.snapshot().await?, json)?,
        EngineCommand::Incidents { open, since, json } => {
            let incidents = engine
                .incidents(IncidentQuery {
                    open_only: open,
                    since,
                    ..Default::default()
                })
                .await?;
            output::incidents(&incidents, json)?;
        }
        EngineCommand::Export {
            format,
            since,
            until,
            out,
        } => {
            if let (Some(s), Some(u)) = (since, until) {
                anyhow::ensure!(s < u, "--since must be before --until");
            }
            let report = engine.export(format, since, until, Utc::now()).await?;
            match out {
                Some(path) => crate::report::save(&path, &report)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{report}"),
            }
        }
        EngineCommand::Ack { id, note } => {
            let incident = engine.acknowledge(id, note).await?;
            writeln!(
                std::io::stdout(),
                "acknowledged #{} {}",
                incident.id,
                incident.title
            )?;
        }
        EngineCommand::TestChannels { ids } => {
            let tests = engine.test_channels(&ids).await?;
            let mut out = std::io::stdout();
            if tests.is_empty() {
                writeln!(
                    out,
                    "no team channels in the config (see [[channel]] in the README)"
                )?;
            }
            for t in tests {
                match t.error {
                    None => writeln!(out, "{}: test post delivered", t.channel_id)?,
                    Some(e) => writeln!(out, "{}: not delivered: {e}", t.channel_id)?,
                }
            }
        }
        EngineCommand::Snooze { length, off } => {
            let mut out = std::io::stdout();
            if off {
                engine.resume_notifications(Utc::now()).await?;
                writeln!(out, "notifications resumed")?;
            } else {
                let hold = engine.snooze(Utc::now(), length).await?;
                writeln!(
                    out,
                    "{} (team channels still post)",
                    hold.label().to_lowercase()
                )?;
            }
        }
    }
    Ok(())
}

fn replay(path: &std::path::Path, funnel: Vec<String>, json: bool) -> anyhow::Result<()> {
    let read_error = |source| crate::replay::ReplayError::Read {
        path: path.display().to_string(),
        source,
    };
    let metrics = if path.as_os_str() == "-" {
        crate::replay::parse(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).map_err(read_error)?;
        crate::replay::parse(std::io::BufReader::with_capacity(1 << 20, file))
    }
    .with_context(|| format!("cannot replay {}", path.display()))?;
    if let Some(missing) = funnel.iter().find(|f| !metrics.events.contains(f)) {
        anyhow::bail!(
            "funnel step `{missing}` is not an event in {}",
            path.display()
        );
    }
    let episodes = crate::replay::run(&metrics, funnel);
    output::episodes(&metrics, &episodes, json)
}
