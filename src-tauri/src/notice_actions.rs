//! What a click on a notification does: the body opens the incident in the timeline,
//! "Acknowledge" acknowledges it, as the tray and the window would.

use crate::backend::Backend;
use crate::window;
use flatline::notifier::NoticeAction;
use tauri::{AppHandle, Manager};

/// Answer the notifications' actions from now on.
pub fn answer(app: &AppHandle) {
    let handle = app.clone();
    app.state::<Backend>()
        .notifier()
        .answer_actions(Box::new(move |action| act(&handle, action)));
}

fn act(app: &AppHandle, action: NoticeAction) {
    match action {
        NoticeAction::Open { incident_id } => {
            let window_app = app.clone();
            let opened = app.run_on_main_thread(move || {
                if let Err(e) = window::open(&window_app, Some(incident_id)) {
                    tracing::error!(error = %e, "cannot open the timeline from a notification");
                }
            });
            if let Err(e) = opened {
                tracing::error!(error = %e, "cannot open the timeline from a notification");
            }
        }
        NoticeAction::Acknowledge { incident_id } => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let acknowledged = match app.state::<Backend>().engine() {
                    Ok(engine) => engine
                        .acknowledge(incident_id, None)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match acknowledged {
                    // The engine's event brings the tray and the windows up to date.
                    Ok(incident) => {
                        tracing::info!(id = incident.id, "acknowledged from a notification")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, id = incident_id, "cannot acknowledge from a notification")
                    }
                }
            });
        }
    }
}
