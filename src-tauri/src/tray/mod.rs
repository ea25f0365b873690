//! The tray icon and its menu, brought up to date from the engine's snapshot on
//! every burst of engine events and once a minute (for the durations). Linux trays
//! have no tooltips, so the summary lives in the menu itself.

mod model;

pub use model::{ids, Icon, TrayView};

use crate::backend::{Backend, Status};
use crate::{events, window};
use chrono::Utc;
use std::future::Future;
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};
use tauri_plugin_opener::OpenerExt;

const TRAY_ID: &str = "flatline";

/// The tray's own state, kept in Tauri's managed state.
#[derive(Default)]
pub struct TrayState {
    /// What the tray shows now. The lock also serialises refreshes, so that an older
    /// snapshot can never overwrite a newer menu.
    shown: tokio::sync::Mutex<Option<TrayView>>,
    /// The outcome of the last tray action that failed, shown until one succeeds.
    notice: std::sync::Mutex<Option<String>>,
}

pub fn image(icon: Icon) -> tauri::Result<Image<'static>> {
    let png: &'static [u8] = match icon {
        Icon::Ok => include_bytes!("../../../icons/tray-ok.png"),
        Icon::Maintenance => include_bytes!("../../../icons/tray-maintenance.png"),
        Icon::Unknown => include_bytes!("../../../icons/tray-unknown.png"),
        Icon::Degraded => include_bytes!("../../../icons/tray-degraded.png"),
        Icon::Down => include_bytes!("../../../icons/tray-down.png"),
        Icon::Snoozed => include_bytes!("../../../icons/tray-snoozed.png"),
    };
    Image::from_bytes(png)
}

/// The header line, for the platforms that show a tooltip (Windows, macOS).
fn tooltip(view: &TrayView) -> Option<String> {
    view.status.first().map(|l| l.label.replace("&&", "&"))
}

/// Creates the tray showing the current state. Runs once, in `setup`.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let view = tauri::async_runtime::block_on(current_view(app));
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(image(view.icon)?)
        .menu(&build_menu(app, &view)?)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event);
    if let Some(title) = &view.title {
        tray = tray.title(title);
    }
    if let Some(tip) = tooltip(&view) {
        tray = tray.tooltip(tip);
    }
    tray.build(app)?;
    tracing::info!(icon = ?view.icon, "tray created");
    *app.state::<TrayState>().shown.blocking_lock() = Some(view);
    Ok(())
}

async fn current_view(app: &AppHandle) -> TrayView {
    let notice = app
        .state::<TrayState>()
        .notice
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match app.state::<Backend>().status() {
        Status::Running { engine, .. } => match engine.snapshot().await {
            Ok(snapshot) => TrayView::running(&snapshot, Utc::now(), notice.as_deref()),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the state for the tray");
                TrayView::unreadable(&e.to_string())
            }
        },
        Status::Failed(failure) => TrayView::failed(&failure),
    }
}

/// Brings icon, label and menu up to date with the engine.
pub async fn refresh(app: &AppHandle) {
    let state = app.state::<TrayState>();
    let mut shown = state.shown.lock().await;
    let view = current_view(app).await;
    match apply(app, &view, shown.as_ref()) {
        Ok(()) => *shown = Some(view),
        Err(e) => tracing::warn!(error = %e, "cannot update the tray"),
    }
}

/// Changes only what changed: most engine events (a routine check) change nothing
/// the tray shows, and each new icon is a PNG written to disk on Linux.
fn apply(app: &AppHandle, view: &TrayView, shown: Option<&TrayView>) -> tauri::Result<()> {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return Ok(());
    };
    if shown.map(|s| s.icon) != Some(view.icon) {
        tray.set_icon(Some(image(view.icon)?))?;
        tracing::info!(icon = ?view.icon, "tray icon changed");
    }
    if shown.map(|s| &s.title) != Some(&view.title) {
        tray.set_title(view.title.as_deref())?;
    }
    if shown.map(|s| (&s.status, &s.actions)) != Some((&view.status, &view.actions)) {
        tray.set_tooltip(tooltip(view))?;
        tray.set_menu(Some(build_menu(app, view)?))?;
    }
    Ok(())
}

fn build_menu(app: &AppHandle, view: &TrayView) -> tauri::Result<Menu<tauri::Wry>> {
    let menu = Menu::new(app)?;
    for (i, group) in [&view.status, &view.actions].into_iter().enumerate() {
        if i > 0 {
            menu.append(&PredefinedMenuItem::separator(app)?)?;
        }
        for line in group {
            let item = MenuItem::with_id(app, &line.id, &line.label, line.enabled, None::<&str>)?;
            menu.append(&item)?;
        }
    }
    Ok(menu)
}

fn set_notice(app: &AppHandle, notice: Option<String>) {
    *app.state::<TrayState>()
        .notice
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = notice;
}

/// Runs a tray action off the main thread; a failure is logged and shown in the menu.
fn spawn_action<F, Fut>(app: &AppHandle, what: &'static str, action: F)
where
    F: FnOnce(AppHandle) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let app = app.clone();
    let work = action(app.clone());
    tauri::async_runtime::spawn(async move {
        match work.await {
            Ok(()) => set_notice(&app, None),
            Err(e) => {
                tracing::error!(error = %e, action = what, "tray action failed");
                set_notice(&app, Some(format!("{what} failed: {e}")));
            }
        }
        refresh(&app).await;
    });
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id.as_ref();
    match id {
        ids::OPEN => open_window(app, None),
        ids::ACK_ALL => spawn_action(app, "Acknowledge all", |app| async move {
            let engine = app.state::<Backend>().engine().map_err(|e| e.to_string())?;
            let done = engine
                .acknowledge_all(None)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(count = done.len(), "acknowledged from the tray");
            Ok(())
        }),
        ids::SNOOZE => spawn_action(app, "Snooze", |app| async move {
            let engine = app.state::<Backend>().engine().map_err(|e| e.to_string())?;
            engine
                .snooze(Utc::now(), chrono::Duration::hours(1))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }),
        ids::RESUME => spawn_action(app, "Resume notifications", |app| async move {
            let engine = app.state::<Backend>().engine().map_err(|e| e.to_string())?;
            engine
                .resume_notifications(Utc::now())
                .await
                .map_err(|e| e.to_string())
        }),
        ids::CHECK_NOW => spawn_action(app, "Check now", |app| async move {
            let (_, poller) = app
                .state::<Backend>()
                .running()
                .map_err(|e| e.to_string())?;
            poller
                .check_now()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }),
        ids::OPEN_CONFIG => {
            if let Status::Failed(failure) = app.state::<Backend>().status() {
                if let Some(path) = failure.config_file {
                    if let Err(e) = app.opener().open_path(path.to_string_lossy(), None::<&str>) {
                        tracing::error!(error = %e, path = %path.display(), "cannot open the config file");
                    }
                }
            }
        }
        ids::RETRY => spawn_action(app, "Try again", |app| async move {
            if let Some(engine) = app.state::<Backend>().retry().await {
                events::forward(&app, &engine);
                tracing::info!("the engine started after a retry");
            }
            Ok(())
        }),
        ids::RELOAD => spawn_action(app, "Reload config", |app| async move {
            match app.state::<Backend>().reload().await {
                Ok(engine) => {
                    if let Some(engine) = engine {
                        events::forward(&app, &engine);
                    }
                    Ok(())
                }
                Err(failure) => Err(format!("kept the running config. {}", failure.headline)),
            }
        }),
        ids::QUIT => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                app.state::<Backend>().stop().await;
                app.exit(0);
            });
        }
        other => {
            if let Some(incident) = other.strip_prefix(ids::INCIDENT_PREFIX) {
                open_window(app, incident.parse().ok());
            } else if other.starts_with(ids::MONITOR_PREFIX) {
                open_window(app, None);
            }
        }
    }
}

fn open_window(app: &AppHandle, focus: Option<i64>) {
    if let Err(e) = window::open(app, focus) {
        tracing::error!(error = %e, "cannot open the timeline window");
        set_notice(app, Some(format!("Cannot open the timeline: {e}")));
        let app = app.clone();
        tauri::async_runtime::spawn(async move { refresh(&app).await });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tray_icon_is_a_64px_image_with_a_transparent_background() {
        for icon in [
            Icon::Ok,
            Icon::Maintenance,
            Icon::Unknown,
            Icon::Degraded,
            Icon::Down,
            Icon::Snoozed,
        ] {
            let img = image(icon).unwrap();
            assert_eq!((img.width(), img.height()), (64, 64), "{icon:?}");
            let corner_alpha = img.rgba()[3];
            assert_eq!(
                corner_alpha, 0,
                "{icon:?} must not paint a square on the panel"
            );
        }
    }
}
