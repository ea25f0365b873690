//! The timeline window, built on demand and destroyed when closed: an idle tray
//! then holds no WebKit web process, about 200 MiB less than a hidden window.

use crate::events::FOCUS_INCIDENT_EVENT;
use tauri::webview::NewWindowResponse;
use tauri::{
    AppHandle, Emitter, Manager, Runtime, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder,
};

pub const LABEL: &str = "timeline";
const TITLE: &str = "Flatline — incidents";

/// Shows the window (building it if needed), optionally with one incident in view.
pub fn open(app: &AppHandle, focus: Option<i64>) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(LABEL) {
        raise(&window)?;
        if let Some(id) = focus {
            app.emit_to(LABEL, FOCUS_INCIDENT_EVENT, id)?;
        }
        return Ok(());
    }
    let page = match focus {
        Some(id) => format!("index.html#incident-{id}"),
        None => "index.html".to_owned(),
    };
    let builder = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App(page.into()))
        .title(TITLE)
        .inner_size(1040.0, 760.0)
        .min_inner_size(560.0, 420.0);
    guarded(builder).build()?;
    tracing::info!("timeline window opened");
    Ok(())
}

/// Every window of the app shows the bundled UI and nothing else: navigation away
/// and new webviews are refused; links go to the system browser through the opener
/// plugin.
pub fn guarded<'a, R: Runtime, M: Manager<R>>(
    builder: WebviewWindowBuilder<'a, R, M>,
) -> WebviewWindowBuilder<'a, R, M> {
    builder
        .on_navigation(|url| {
            let allowed = is_app_url(url);
            if !allowed {
                tracing::warn!(%url, "blocked navigation away from the app");
            }
            allowed
        })
        .on_new_window(|url, _| {
            tracing::warn!(%url, "blocked a new webview window");
            NewWindowResponse::Deny
        })
}

/// Brings an existing window to the front.
pub fn raise<R: Runtime>(window: &WebviewWindow<R>) -> tauri::Result<()> {
    window.unminimize()?;
    window.show()?;
    window.set_focus()
}

/// The bundled UI's origin: `tauri://localhost` on Linux and macOS,
/// `http(s)://tauri.localhost` on Windows.
fn is_app_url(url: &Url) -> bool {
    url.scheme() == "tauri" || url.host_str() == Some("tauri.localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bundled_ui_may_load_in_the_window() {
        assert!(is_app_url(
            &"tauri://localhost/index.html#incident-3".parse().unwrap()
        ));
        assert!(is_app_url(
            &"http://tauri.localhost/index.html".parse().unwrap()
        ));
        assert!(!is_app_url(
            &"https://status.segment.com/incidents/x".parse().unwrap()
        ));
        assert!(!is_app_url(&"http://localhost:5173/".parse().unwrap()));
    }
}
