//! `[[channel]]` tables: the team channels (Slack, any webhook) that hear of incidents
//! beside the desktop.

use super::{bad, Invalid};
use crate::health::Health;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    pub id: String,
    pub kind: ChannelKind,
    /// The environment variable holding the URL. A webhook URL is a credential (anyone
    /// holding it can post), so it is never written in the file.
    pub url_env: String,
    /// Incidents less severe than this stay off the channel.
    pub min_severity: Health,
    /// Which changes of an incident are posted.
    pub on: Vec<Change>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A Slack incoming webhook: a message with the notification's text.
    Slack,
    /// Any URL taking a JSON POST: the change and the incident as `flatline incidents
    /// --json` prints it.
    Webhook,
}

impl ChannelKind {
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Slack => "slack",
            ChannelKind::Webhook => "webhook",
        }
    }
}

/// What happened to an incident, as far as people are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Opened,
    /// Its severity rose.
    Escalated,
    Resolved,
}

impl Change {
    pub const ALL: [Change; 3] = [Change::Opened, Change::Escalated, Change::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Opened => "opened",
            Change::Escalated => "escalated",
            Change::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChannel {
    id: String,
    kind: ChannelKind,
    /// Read only to say where a URL belongs instead.
    url: Option<toml::Value>,
    url_env: Option<String>,
    min_severity: Option<Health>,
    on: Option<Vec<Change>>,
}

impl RawChannel {
    pub(super) fn check(self) -> Result<ChannelConfig, Invalid> {
        if self.id.trim().is_empty() {
            return Err(bad("id", "must not be empty"));
        }
        if self.url.is_some() {
            return Err(bad(
                "url",
                "a channel's URL is a secret (anyone holding it can post) and does not \
                 belong in this file: put it in an environment variable and name that in \
                 url_env",
            ));
        }
        let url_env = super::env_name("url_env", self.url_env, None)?;
        let min_severity = self.min_severity.unwrap_or(Health::Degraded);
        if !min_severity.is_problem() {
            return Err(bad(
                "min_severity",
                format!(
                    "`{}` never opens an incident; use degraded, partial_outage or major_outage",
                    min_severity.as_str()
                ),
            ));
        }
        let on = self.on.unwrap_or_else(|| Change::ALL.to_vec());
        if on.is_empty() {
            return Err(bad(
                "on",
                "lists nothing to post; remove the channel or name opened, escalated or resolved",
            ));
        }
        Ok(ChannelConfig {
            id: self.id,
            kind: self.kind,
            url_env,
            min_severity,
            on,
        })
    }
}

impl ChannelConfig {
    /// Whether this channel hears of `change` to an incident at `severity`.
    pub fn wants(&self, change: Change, severity: Health) -> bool {
        self.on.contains(&change) && severity.rank() >= self.min_severity.rank()
    }
}
