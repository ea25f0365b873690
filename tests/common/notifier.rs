//! A notifier that keeps what it was given, standing in for the desktop's
//! notification service where a test asserts on the text (the end-to-end tests use
//! the real daemon).

use flatline::notifier::{Notification, Notifier};
use std::sync::Mutex;

#[derive(Default)]
pub struct RecordingNotifier(Mutex<Vec<Notification>>);

impl Notifier for RecordingNotifier {
    fn notify(&self, n: &Notification) {
        self.0.lock().unwrap().push(n.clone());
    }
}

impl RecordingNotifier {
    /// What was delivered so far.
    pub fn sent(&self) -> Vec<Notification> {
        self.0.lock().unwrap().clone()
    }

    /// Notifications are delivered off the engine's task; wait for `n` of them.
    pub async fn wait_for(&self, n: usize) -> Vec<Notification> {
        for _ in 0..200 {
            let sent = self.sent();
            if sent.len() >= n {
                return sent;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {n} notifications, got {:?}", self.sent());
    }
}
