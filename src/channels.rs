//! Team channels: what a post to Slack or a webhook says, and sending it.
//!
//! The engine decides when to post and keeps the posts in the store until they land
//! (see `engine::announce`); this module only makes the body and makes one attempt.

use crate::config::{Change, ChannelConfig, ChannelKind};
use crate::http::{require_success, HttpClient, RequestParts};
use crate::incident::Incident;
use crate::monitor::CheckError;
use crate::notifier::Notification;
use crate::store::ChannelRecord;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Sent with every attempt so that a receiver can drop a post it already has: a post
/// whose answer was lost is sent again.
pub const DELIVERY_HEADER: &str = "x-flatline-delivery";

/// A team channel's state, for `flatline status` and the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelStatus {
    pub id: String,
    pub kind: String,
    pub last_delivered_at: Option<DateTime<Utc>>,
    /// What stops posts now (its URL variable unset), or else the last failed
    /// attempt's error when no post has landed since.
    pub error: Option<String>,
    /// Posts waiting to be sent again.
    pub pending: u32,
}

impl ChannelStatus {
    pub fn of(channel: &ChannelConfig, record: Option<ChannelRecord>) -> ChannelStatus {
        let record = record.unwrap_or_else(|| ChannelRecord {
            channel_id: channel.id.clone(),
            last_delivered_at: None,
            last_error: None,
            pending: 0,
        });
        ChannelStatus {
            id: channel.id.clone(),
            kind: channel.kind.name().to_owned(),
            last_delivered_at: record.last_delivered_at,
            error: url_from_env(channel)
                .err()
                .map(|e| e.message)
                .or(record.last_error),
            pending: record.pending,
        }
    }
}

/// The body of a post, as JSON text.
pub fn payload(
    kind: ChannelKind,
    change: Change,
    incident: &Incident,
    notice: &Notification,
) -> String {
    body(kind, change.as_str(), Some(incident), notice)
}

/// A post that says the channel is set up, for `flatline test-channels`: a webhook
/// gets `event` "test" and a null `incident`.
pub fn test_payload(kind: ChannelKind, monitors: usize) -> String {
    let notice = Notification {
        summary: "Flatline: test post".into(),
        body: format!(
            "This channel will hear of incidents (opened, worse, resolved) from {monitors} \
             monitor{}.",
            if monitors == 1 { "" } else { "s" }
        ),
        urgency: crate::notifier::Urgency::Low,
        about: None,
    };
    body(kind, "test", None, &notice)
}

fn body(
    kind: ChannelKind,
    event: &str,
    incident: Option<&Incident>,
    notice: &Notification,
) -> String {
    let value = match kind {
        ChannelKind::Slack => serde_json::json!({
            "text": format!("*{}*\n{}", slack_text(&notice.summary), slack_text(&notice.body)),
        }),
        ChannelKind::Webhook => serde_json::to_value(WebhookBody {
            event,
            summary: &notice.summary,
            body: &notice.body,
            incident,
        })
        .expect("an incident serialises"),
    };
    value.to_string()
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    event: &'a str,
    summary: &'a str,
    body: &'a str,
    incident: Option<&'a Incident>,
}

/// Vendor text is untrusted: in Slack's markup `<!channel>` pings everyone and
/// `<url|label>` disguises a link, so the three control characters are escaped as
/// Slack documents.
fn slack_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Why an attempt failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    pub retry: Retry,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Retry {
    /// The channel refused the post itself (a revoked or mistyped URL, a payload it
    /// rejects): the same post will be refused again.
    Never,
    /// The channel or the network failed; try again, not before this long when the
    /// channel said so.
    Later { not_before: Option<Duration> },
}

/// One attempt to post `payload` to the URL in the channel's environment variable.
pub async fn send(
    http: &HttpClient,
    channel: &ChannelConfig,
    delivery: &str,
    payload: &str,
    timeout: Duration,
) -> Result<(), SendError> {
    let url = url_from_env(channel)?;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let delivery = HeaderValue::from_str(delivery).map_err(|_| SendError {
        message: format!("`{delivery}` cannot be a header value"),
        retry: Retry::Never,
    })?;
    headers.insert(DELIVERY_HEADER, delivery);
    let parts = RequestParts {
        headers,
        body: Some(payload.as_bytes().to_vec()),
        ..RequestParts::default()
    };
    let fetched = http
        .fetch_with(reqwest::Method::POST, &url, parts, timeout)
        .await
        .map_err(|e| failure(channel, e, None))?;
    require_success(&fetched).map_err(|e| {
        // Slack and most webhook hosts say what they refused in a short text body.
        let said = String::from_utf8_lossy(&fetched.body);
        let said = said.trim();
        let said =
            (!said.is_empty() && said.len() <= 200 && !said.contains('<')).then(|| said.to_owned());
        failure(channel, e, said)
    })
}

fn url_from_env(channel: &ChannelConfig) -> Result<String, SendError> {
    let env = &channel.url_env;
    let never = |message: String| SendError {
        message,
        retry: Retry::Never,
    };
    let url = std::env::var(env).map_err(|_| {
        never(format!(
            "{env} is not set; set it to channel `{}`'s {} URL",
            channel.id,
            channel.kind.name()
        ))
    })?;
    let url = url.trim();
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(url.to_owned()),
        // The URL itself is a secret: say what is wrong without echoing it.
        _ => Err(never(format!("{env} does not hold an http(s) URL"))),
    }
}

fn failure(channel: &ChannelConfig, e: CheckError, said: Option<String>) -> SendError {
    let retry = match &e {
        CheckError::RateLimited { retry_after_secs } => Retry::Later {
            not_before: retry_after_secs.map(Duration::from_secs),
        },
        // 408 and 5xx are the channel's trouble, not the post's; other 4xx refuse
        // the post itself (Slack: 403 invalid_token, 404 no_service, 410
        // channel_is_archived).
        CheckError::HttpStatus { status, .. } if *status != 408 && *status < 500 => Retry::Never,
        _ => Retry::Later { not_before: None },
    };
    let mut message = format!("{} channel `{}`: {e}", channel.kind.name(), channel.id);
    if let Some(said) = said {
        message += &format!(" ({said})");
    }
    SendError { message, retry }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_text_cannot_ping_or_link() {
        assert_eq!(
            slack_text("<!channel> see <https://x.example|status> & more"),
            "&lt;!channel&gt; see &lt;https://x.example|status&gt; &amp; more"
        );
    }
}
