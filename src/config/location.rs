//! Placing a problem in the config file: the line, and the key where there is one.
//! The TOML parser's spans cover its own errors; these cover what is checked after.

use super::ConfigError;
use std::path::Path;

/// The problem with `key = …` in the table that starts at `table`, on the key's line,
/// or on the table's when the key is not written there.
pub(super) fn at_key(
    text: &str,
    path: &Path,
    table: usize,
    key: &str,
    message: impl Into<String>,
) -> ConfigError {
    let offset = key_offset(text, table, key).unwrap_or(table);
    ConfigError::Invalid {
        path: path.to_owned(),
        line: line_of(text, offset),
        key: Some(key.to_owned()),
        message: message.into(),
    }
}

/// An error from the TOML parser: the key is whatever stands before `=` on the line.
pub(super) fn at_offset(text: &str, path: &Path, offset: usize, message: String) -> ConfigError {
    let line = line_of(text, offset);
    let key = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    ConfigError::Invalid {
        path: path.to_owned(),
        line,
        key,
        message,
    }
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Where the table `[name]` starts; the top of the file when it is not written.
pub(super) fn table_offset(text: &str, name: &str) -> usize {
    let header = format!("[{name}]");
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(&header) {
            return offset;
        }
        offset += line.len();
    }
    0
}

/// Where the `[[monitor]]` table with this id starts.
pub(super) fn monitor_offset(text: &str, id: &str) -> Option<usize> {
    let mut offset = 0;
    let mut table = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with("[[monitor]]") {
            table = Some(offset);
        } else if let Some((key, value)) = trimmed.split_once('=') {
            if key.trim() == "id" && value.trim().trim_matches(['"', '\'']) == id {
                return table;
            }
        }
        offset += line.len();
    }
    None
}

/// Where `key = …` is written inside the table that starts at `from`.
fn key_offset(text: &str, from: usize, key: &str) -> Option<usize> {
    let mut offset = from;
    for line in text[from..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if offset > from && trimmed.starts_with('[') {
            return None;
        }
        if let Some(rest) = trimmed.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return Some(offset + (line.len() - trimmed.len()));
            }
        }
        offset += line.len();
    }
    None
}
