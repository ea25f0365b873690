//! The baseline of `scripts/bench-memory`: a Tauri 2 tray app with the same shell
//! shape as `flatline-desktop` and nothing else, so that the ratio between the two
//! measures what Flatline itself adds (engine, store, HTTP, UI) and not Tauri.

// No console window on Windows release builds, like a real tray app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};

const WINDOW_LABEL: &str = "main";

fn main() {
    let app = tauri::Builder::default()
        .setup(|app| {
            let open = MenuItem::with_id(app, "open", "Open", true, None::<&str>)?;
            let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
            let menu = Menu::with_items(app, &[&open, &quit])?;
            // Flatline's own tray icon (the same decoded size as in the real app).
            let icon = Image::from_bytes(include_bytes!("../../../icons/tray-ok.png"))?;
            TrayIconBuilder::with_id("bare-tray")
                .icon(icon)
                .title("bare-tray")
                .menu(&menu)
                .on_menu_event(|app, event| match event.id.as_ref() {
                    "open" => open_window(app),
                    "quit" => app.exit(0),
                    _ => {}
                })
                .build(app)?;
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("bare-tray: failed to build the Tauri application");

    app.run(|_app, event| {
        // Closing the last window requests an exit without a code; a tray app stays
        // alive. An explicit exit (Quit -> app.exit(0)) carries a code and goes through.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}

/// Builds the window on demand (none exists at start, so an idle tray holds no
/// WebKit web process). Tauri's default close handling destroys the window, which
/// ends the web process again.
fn open_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(WINDOW_LABEL) {
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    if let Err(err) =
        WebviewWindowBuilder::new(app, WINDOW_LABEL, WebviewUrl::App("index.html".into()))
            .title("bare-tray")
            // Flatline's window size, so both render the same number of pixels.
            .inner_size(1040.0, 760.0)
            .build()
    {
        eprintln!("bare-tray: could not open the window: {err}");
    }
}
