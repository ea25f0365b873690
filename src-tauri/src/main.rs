// No console window next to the tray on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    flatline_desktop::run();
}
