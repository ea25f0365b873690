//! The vendor catalogue behind `flatline presets`: where each vendor of a marketing
//! stack publishes its health, and a ready `[[monitor]]` entry to watch it.
//!
//! The data lives in `presets.toml` so that adding a vendor is a data change; the
//! tests below hold every entry to the rules the engine depends on.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

const CATALOGUE: &str = include_str!("presets.toml");

/// One vendor and where its health can be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Kebab-case, unique; also the id of the monitor entry it produces.
    pub id: String,
    pub name: String,
    pub category: Category,
    /// Other names people search for ("fb" for Meta, "ga4" for Google Analytics).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Written into the monitor entry as its filter, so only names read from the
    /// vendor's own page belong here.
    #[serde(default)]
    pub components: Vec<String>,
    /// The page a person opens, when it is not the machine-readable URL.
    #[serde(default)]
    pub page: Option<String>,
    pub status: StatusSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Cdp,
    AdPlatform,
    Shop,
    Payments,
    EmailSms,
    Analytics,
    TagManager,
    CloudCdn,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Cdp,
        Category::AdPlatform,
        Category::Shop,
        Category::Payments,
        Category::EmailSms,
        Category::Analytics,
        Category::TagManager,
        Category::CloudCdn,
    ];

    /// The name used in the catalogue and in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Cdp => "cdp",
            Category::AdPlatform => "ad_platform",
            Category::Shop => "shop",
            Category::Payments => "payments",
            Category::EmailSms => "email_sms",
            Category::Analytics => "analytics",
            Category::TagManager => "tag_manager",
            Category::CloudCdn => "cloud_cdn",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Category::Cdp => "CDP",
            Category::AdPlatform => "Ad platform",
            Category::Shop => "Shop",
            Category::Payments => "Payments",
            Category::EmailSms => "Email & SMS",
            Category::Analytics => "Analytics",
            Category::TagManager => "Tag manager",
            Category::CloudCdn => "Cloud & CDN",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a vendor's health can be read by a machine, if anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StatusSource {
    /// A page answering the Atlassian Statuspage v2 API; `url` is its base URL because
    /// the engine appends `/api/v2/summary.json` itself.
    Statuspage {
        url: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// An RSS or Atom incident feed.
    Feed {
        url: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// Nothing machine-readable. `note` says what to watch instead; `probe_url`, when
    /// set, is an endpoint worth an http probe.
    #[serde(rename = "none")]
    Unavailable {
        note: String,
        #[serde(default)]
        probe_url: Option<String>,
        /// GET when unset.
        #[serde(default)]
        probe_method: Option<String>,
        /// Statuses that count as healthy; any 2xx when empty.
        #[serde(default)]
        probe_expect_status: Vec<u16>,
    },
}

impl StatusSource {
    pub fn note(&self) -> Option<&str> {
        match self {
            StatusSource::Statuspage { note, .. } | StatusSource::Feed { note, .. } => {
                note.as_deref()
            }
            StatusSource::Unavailable { note, .. } => Some(note),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    preset: Vec<Preset>,
}

/// Every preset, in catalogue order.
pub fn catalogue() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        // The text is compiled in and checked by the tests, so a failure here can only
        // be a broken build, never a user's input.
        toml::from_str::<CatalogueFile>(CATALOGUE)
            .expect("src/presets.toml must parse: run `cargo test presets::`")
            .preset
    })
}

/// Presets matching `term` (case-insensitive, over id, name, aliases and category),
/// best first: exact id or name, then exact alias or category, then a prefix of any of
/// them or of a word in them, then a substring. An empty term lists the catalogue.
pub fn search(term: &str) -> Vec<&'static Preset> {
    let term = term.trim().to_lowercase();
    let mut hits: Vec<(Rank, usize, &'static Preset)> = catalogue()
        .iter()
        .enumerate()
        .filter_map(|(order, preset)| preset.rank(&term).map(|rank| (rank, order, preset)))
        .collect();
    hits.sort_by_key(|&(rank, order, _)| (rank, order));
    hits.into_iter().map(|(_, _, preset)| preset).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    ExactName,
    ExactOther,
    Prefix,
    Substring,
}

impl Preset {
    /// How well this preset matches an already lowercased, trimmed term.
    fn rank(&self, term: &str) -> Option<Rank> {
        if term.is_empty() {
            return Some(Rank::ExactName);
        }
        let names = [self.id.to_lowercase(), self.name.to_lowercase()];
        let others: Vec<String> = self
            .aliases
            .iter()
            .map(|a| a.to_lowercase())
            .chain([
                self.category.as_str().to_owned(),
                self.category.label().to_lowercase(),
            ])
            .collect();
        if names.iter().any(|n| n == term) {
            return Some(Rank::ExactName);
        }
        if others.iter().any(|o| o == term) {
            return Some(Rank::ExactOther);
        }
        let keys = || names.iter().chain(&others);
        let word_starts = |key: &String| {
            key.starts_with(term)
                || key
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|word| word.starts_with(term))
        };
        if keys().any(word_starts) {
            Some(Rank::Prefix)
        } else if keys().any(|key| key.contains(term)) {
            Some(Rank::Substring)
        } else {
            None
        }
    }

    /// A `[[monitor]]` entry ready to paste into the config: the vendor's status page
    /// or feed, or an http probe when that is all there is. `None` when the vendor
    /// offers nothing to poll; the note then says what to do instead.
    pub fn monitor_toml(&self) -> Option<String> {
        let (kind, url) = match &self.status {
            StatusSource::Statuspage { url, .. } => ("statuspage", url),
            StatusSource::Feed { url, .. } => ("feed", url),
            StatusSource::Unavailable {
                probe_url: Some(url),
                ..
            } => ("http", url),
            StatusSource::Unavailable {
                probe_url: None, ..
            } => return None,
        };
        let mut entry = String::new();
        if let Some(note) = self.status.note() {
            entry.push_str(&format!("# {note}\n"));
        }
        entry.push_str("[[monitor]]\n");
        entry.push_str(&format!("id = {}\n", toml_string(&self.id)));
        entry.push_str(&format!("name = {}\n", toml_string(&self.name)));
        entry.push_str(&format!("kind = \"{kind}\"\n"));
        entry.push_str(&format!("url = {}\n", toml_string(url)));
        if !self.components.is_empty() {
            let names: Vec<String> = self.components.iter().map(|c| toml_string(c)).collect();
            entry.push_str(&format!("components = [{}]\n", names.join(", ")));
        }
        if let StatusSource::Unavailable {
            probe_method,
            probe_expect_status,
            ..
        } = &self.status
        {
            if let Some(method) = probe_method {
                entry.push_str(&format!("method = {}\n", toml_string(method)));
            }
            if !probe_expect_status.is_empty() {
                let statuses: Vec<String> =
                    probe_expect_status.iter().map(u16::to_string).collect();
                entry.push_str(&format!("expect_status = [{}]\n", statuses.join(", ")));
            }
        }
        Some(entry)
    }
}

/// A TOML basic string, escaped by the TOML library so that no name can break the entry.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// One line for listings: id, name, category and where the status comes from; for a
/// vendor without a status API, the note that says what to watch instead.
impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<26} {} [{}]  ", self.id, self.name, self.category)?;
        match &self.status {
            StatusSource::Statuspage { url, .. } => write!(f, "statuspage {url}")?,
            StatusSource::Feed { url, .. } => write!(f, "feed {url}")?,
            StatusSource::Unavailable {
                note, probe_url, ..
            } => {
                f.write_str("no status API")?;
                if let Some(url) = probe_url {
                    write!(f, ", probe {url}")?;
                }
                write!(f, ". {note}")?;
            }
        }
        if !self.components.is_empty() {
            write!(f, " (components: {})", self.components.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
