//! Engine events reach the windows and the tray as they happen: the timeline and the
//! incident detail windows are pushed every event (they never poll), the tray is
//! brought up to date once per burst.

use crate::{detail_window, tray, window};
use flatline::engine::{Engine, EngineEvent};
use std::time::Duration;
use tauri::{AppHandle, Emitter, EventTarget};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// Every engine event, payload the serialised `EngineEvent` (`{"type": …, …}`).
pub const ENGINE_EVENT: &str = "flatline://event";
/// The tray asks an open window to bring one incident into view; payload its id.
pub const FOCUS_INCIDENT_EVENT: &str = "flatline://focus-incident";

/// The tray shows durations in minutes; this keeps them right while nothing happens.
const TRAY_CLOCK: Duration = Duration::from_secs(60);

/// Whether a window is pushed the engine's events: the timeline and every incident's
/// detail window (each picks what concerns it).
fn receives_events(target: &EventTarget) -> bool {
    match target {
        EventTarget::Window { label }
        | EventTarget::Webview { label }
        | EventTarget::WebviewWindow { label }
        | EventTarget::AnyLabel { label } => {
            label == window::LABEL || detail_window::incident_of(label).is_some()
        }
        _ => false,
    }
}

fn emit(app: &AppHandle, event: &EngineEvent) {
    if let Err(e) = app.emit_filter(ENGINE_EVENT, event, receives_events) {
        tracing::warn!(error = %e, "cannot forward an engine event to the windows");
    }
}

/// Forwards the engine's events until the engine goes away.
pub fn forward(app: &AppHandle, engine: &Engine) {
    let mut events = engine.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => emit(&app, &event),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "engine events were dropped; asking the windows to re-read"
                    );
                    emit(&app, &EngineEvent::StoreChanged);
                }
                Err(RecvError::Closed) => break,
            }
            // A check of many monitors arrives as a burst: pass it all on, then
            // rebuild the tray menu once.
            loop {
                match events.try_recv() {
                    Ok(event) => emit(&app, &event),
                    Err(TryRecvError::Lagged(_)) => emit(&app, &EngineEvent::StoreChanged),
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            tray::refresh(&app).await;
        }
    });
}

/// Refreshes the tray once a minute for as long as the app runs.
pub fn start_tray_clock(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut clock = tokio::time::interval(TRAY_CLOCK);
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        clock.tick().await;
        loop {
            clock.tick().await;
            tray::refresh(&app).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_and_the_detail_windows_receive_engine_events() {
        let window = |label: &str| EventTarget::WebviewWindow {
            label: label.to_owned(),
        };
        assert!(receives_events(&window("timeline")));
        assert!(receives_events(&window("incident-7")));
        assert!(!receives_events(&window("incident-x")));
        assert!(!receives_events(&window("settings")));
        assert!(!receives_events(&EventTarget::App));
    }
}
