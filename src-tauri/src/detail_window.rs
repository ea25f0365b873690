//! One window per incident (`incident-<id>`, `detail.html#<id>`): the volume chart,
//! the impact breakdown, the vendor's updates and the linked incidents. Like the
//! timeline, each is built on demand and destroyed when closed, so a closed detail
//! window holds no WebKit web process.

use crate::window;
use tauri::{Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// Detail windows are labelled `incident-<id>`.
pub const LABEL_PREFIX: &str = "incident-";

pub fn label(id: i64) -> String {
    format!("{LABEL_PREFIX}{id}")
}

/// The incident a window label stands for, when it is a detail window's.
pub fn incident_of(label: &str) -> Option<i64> {
    label
        .strip_prefix(LABEL_PREFIX)
        .and_then(|id| id.parse().ok())
}

pub fn title(incident_title: &str) -> String {
    format!("Flatline — {incident_title}")
}

/// Shows incident `id`'s window, building it if needed. `incident_title` names a new
/// window until its page loads; from then on the page's own title (which follows the
/// incident, e.g. when a silent outage finds its cause) is the window's.
pub fn open<R: Runtime, M: Manager<R>>(
    manager: &M,
    id: i64,
    incident_title: &str,
) -> tauri::Result<()> {
    let label = label(id);
    if let Some(window) = manager.get_webview_window(&label) {
        return window::raise(&window);
    }
    let page = format!("detail.html#{id}");
    let builder = WebviewWindowBuilder::new(manager, &label, WebviewUrl::App(page.into()))
        .title(title(incident_title))
        .inner_size(960.0, 820.0)
        .min_inner_size(520.0, 420.0)
        .on_document_title_changed(|window, title| {
            if !title.is_empty() {
                if let Err(e) = window.set_title(&title) {
                    tracing::warn!(error = %e, "cannot retitle a detail window");
                }
            }
        });
    window::guarded(builder).build()?;
    tracing::info!(incident = id, "incident detail window opened");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detail_window_is_named_after_its_incident() {
        assert_eq!(label(42), "incident-42");
        assert_eq!(incident_of("incident-42"), Some(42));
        assert_eq!(incident_of("incident-"), None);
        assert_eq!(incident_of("incident-4x"), None);
        assert_eq!(incident_of("timeline"), None);
        assert_eq!(
            title("Segment: partial outage"),
            "Flatline — Segment: partial outage"
        );
    }
}
