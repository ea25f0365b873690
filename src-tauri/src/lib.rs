//! Flatline's desktop shell: the tray, the timeline window, the incident detail
//! windows, and the commands and events that connect the windows to the engine.
//! Everything it knows about monitoring comes from the `flatline` library.

mod backend;
mod commands;
mod detail_window;
mod events;
mod notice_actions;
mod single_instance;
mod tray;
mod window;

use backend::{Backend, Status};
use clap::Parser;
use flatline::paths::Paths;
use flatline::OpenOptions;
use single_instance::Launch;
use std::path::PathBuf;
use tauri::{Manager, RunEvent};

/// Flatline in the tray: says within a minute that conversion tracking went dark.
#[derive(Debug, Parser)]
#[command(name = "flatline-desktop", version)]
struct Args {
    /// The config file (shared with the `flatline` CLI); default: FLATLINE_CONFIG or
    /// ~/.config/flatline/config.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The data directory (shared with the CLI); default: FLATLINE_DATA_DIR or
    /// ~/.local/share/flatline.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Open the timeline window at start instead of starting in the tray only.
    #[arg(long)]
    window: bool,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only help a person at a terminal; in a log file they are noise.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

pub fn run() {
    let args = Args::parse();
    init_tracing();
    // A data directory that cannot be named is the backend's to report, in the tray.
    let instance = match Paths::resolve(args.config.clone(), args.data_dir.clone()) {
        Ok(paths) => match single_instance::claim(&paths.data_dir) {
            Ok(Launch::First(instance)) => Some(instance),
            Ok(Launch::Second) => {
                tracing::info!(data_dir = %paths.data_dir.display(), "Flatline already runs on this data; its timeline opens there");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot make sure no other Flatline app runs on this data; starting anyway");
                None
            }
        },
        Err(_) => None,
    };
    let backend = tauri::async_runtime::block_on(Backend::open(OpenOptions {
        config: args.config,
        data_dir: args.data_dir,
    }));
    let open_window = args.window;

    let built = tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .manage(backend)
        .manage(tray::TrayState::default())
        .invoke_handler(tauri::generate_handler![
            commands::snapshot,
            commands::incidents,
            commands::acknowledge,
            commands::acknowledge_all,
            commands::check_now,
            commands::incident_detail,
            commands::open_incident_detail,
            commands::export_report,
        ])
        .setup(move |app| {
            let handle = app.handle();
            if let Status::Running { engine, .. } = handle.state::<Backend>().status() {
                events::forward(handle, &engine);
            }
            tray::create(handle)?;
            events::start_tray_clock(handle);
            notice_actions::answer(handle);
            if let Some(mut instance) = instance {
                let app = handle.clone();
                instance.serve(move || {
                    let window_app = app.clone();
                    let opened = app.run_on_main_thread(move || {
                        if let Err(e) = window::open(&window_app, None) {
                            tracing::error!(error = %e, "cannot open the timeline window");
                        }
                    });
                    if let Err(e) = opened {
                        tracing::error!(error = %e, "cannot open the timeline window");
                    }
                });
                // Managed, so that the lock lasts as long as the app.
                handle.manage(instance);
            }
            if open_window {
                window::open(handle, None)?;
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match built {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "the desktop shell cannot start");
            std::process::exit(1);
        }
    };

    app.run(|_, event| {
        // Closing the window asks to exit without a code: the tray stays. Quit stops
        // the poller first and then exits with a code, which goes through.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}
