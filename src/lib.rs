//! Flatline's engine: monitors, detection, incidents, store and notifier.
//!
//! No part of this crate knows about the desktop shell; `src-tauri` and the `flatline`
//! CLI both drive it through [`App`] and [`engine::Engine`].

pub mod app;
pub mod channels;
pub mod cli;
pub mod config;
pub mod detect;
pub mod engine;
pub mod health;
pub mod http;
pub mod impact;
pub mod incident;
pub mod monitor;
pub mod notifier;
pub mod paths;
pub mod presets;
pub mod replay;
pub mod report;
pub mod store;
pub mod volume;

pub use app::{App, OpenOptions};
pub use health::Health;
