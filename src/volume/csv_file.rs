//! A CSV file with the header `timestamp,event,count` that an export job appends to
//! (columns in any order, more columns ignored).
//!
//! - Read incrementally: each fetch reads what was appended since the last one. A
//!   last line without its newline may be half-written and is left for later. A file
//!   that shrank or was replaced (another inode) is read again from the start, and
//!   what is before `from` is skipped; the rows kept from the old file are dropped
//!   then, so a file rewritten in full is never counted twice (rows of the old file's
//!   last, incomplete bucket are lost on a rotation).
//! - Fields may be quoted (`"Checkout, step 2"`, `""` for a quote, even a newline);
//!   CRLF, a BOM and blank lines are fine. Timestamps are RFC 3339 or Unix seconds or
//!   milliseconds. A bad row is an error naming its line, and nothing of that read is
//!   kept, so the next fetch reports it again until the file is fixed.
//! - The bucket size is `bucket_secs`, else the smallest gap between consecutive
//!   distinct timestamps (the export writes in time order); until there are two,
//!   nothing is returned.
//! - Complete: every bucket before the latest one in the file, since rows for the
//!   latest may still be coming. With `lag_secs` set, also every bucket that ended
//!   `lag_secs` ago, so quiet buckets that get no rows at all still complete.

#[cfg(test)]
mod tests;

use super::wire::{self, Buckets};
use super::{Batch, VolumeSource};
use crate::config::CsvConfig;
use crate::http::HttpClient;
use crate::monitor::CheckError;
use async_trait::async_trait;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, Metadata};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A row longer than this is an unclosed quote or not a CSV export.
const MAX_ROW_BYTES: usize = 64 * 1024;
/// Characters of a bad row quoted in an error.
const MAX_ROW_SHOWN: usize = 120;
/// The bucket size reported while it cannot be inferred yet; the batch is empty then.
const UNKNOWN_STEP_SECS: i64 = 60;
/// A caller that has not asked for this long no longer holds rows in memory.
const CALLER_TTL: TimeDelta = TimeDelta::hours(6);

pub struct CsvSource {
    cfg: CsvConfig,
    state: Arc<Mutex<ReadState>>,
}

impl CsvSource {
    pub fn new(cfg: CsvConfig) -> CsvSource {
        CsvSource {
            cfg,
            state: Arc::default(),
        }
    }
}

#[async_trait]
impl VolumeSource for CsvSource {
    async fn fetch(
        &self,
        _http: &HttpClient,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
        events: &[String],
    ) -> Result<Batch, CheckError> {
        let cfg = self.cfg.clone();
        let state = self.state.clone();
        let events = events.to_vec();
        tokio::task::spawn_blocking(move || {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            let horizon = state.ask(&events, from, now);
            state.read_new(&cfg.path, horizon)?;
            Ok(state.batch(&cfg, from, now, &events, horizon))
        })
        .await
        .map_err(|e| CheckError::Other {
            detail: format!("reading {} failed: {e}", self.cfg.path.display()),
        })?
    }
}

/// What is known of the file between fetches.
///
/// Reads are not consumed: every fetch returns its range from the rows read so far,
/// so the volume monitor and a canary can share the source. Rows stay in memory
/// until no caller can ask for them: callers are told apart by the events they ask
/// for, and rows older than the earliest `from` of those that asked within
/// [`CALLER_TTL`] are dropped.
#[derive(Default)]
struct ReadState {
    identity: Option<Identity>,
    /// Bytes consumed so far: always just after a complete row.
    offset: u64,
    /// Lines consumed so far, to number the next ones.
    lines: usize,
    columns: Option<Columns>,
    /// Counts by exact timestamp and event.
    rows: BTreeMap<(DateTime<Utc>, String), f64>,
    latest: Option<DateTime<Utc>>,
    previous: Option<DateTime<Utc>>,
    /// The smallest gap in seconds between consecutive distinct timestamps.
    smallest_gap: Option<i64>,
    /// Each caller's last `from`, and when it asked.
    callers: HashMap<Vec<String>, (DateTime<Utc>, DateTime<Utc>)>,
}

/// Which field holds what.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Columns {
    timestamp: usize,
    event: usize,
    count: usize,
}

/// What tells one file from another that replaced it at the same path.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg(unix)]
struct Identity(u64, u64);
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg(not(unix))]
struct Identity(Option<std::time::SystemTime>);

#[cfg(unix)]
fn identity(meta: &Metadata) -> Identity {
    use std::os::unix::fs::MetadataExt;
    Identity(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(meta: &Metadata) -> Identity {
    Identity(meta.created().ok())
}

impl ReadState {
    /// Note who asks for what; the earliest instant anyone may still ask for.
    fn ask(&mut self, events: &[String], from: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        self.callers.insert(events.to_vec(), (from, now));
        self.callers
            .retain(|_, (_, asked)| now - *asked <= CALLER_TTL);
        self.callers.values().map(|(f, _)| *f).min().unwrap_or(from)
    }

    /// Read the rows appended since the last read, keeping those at or after
    /// `horizon`. On an error nothing changes.
    fn read_new(&mut self, path: &Path, horizon: DateTime<Utc>) -> Result<(), CheckError> {
        let cannot = |e: io::Error| CheckError::Other {
            detail: match e.kind() {
                io::ErrorKind::NotFound => format!("{} does not exist", path.display()),
                _ => format!("cannot read {}: {e}", path.display()),
            },
        };
        let mut file = File::open(path).map_err(cannot)?;
        let meta = file.metadata().map_err(cannot)?;
        let id = identity(&meta);
        let same_file = self.identity == Some(id) && meta.len() >= self.offset;
        let mut tail = match same_file {
            true => Tail::after(self.offset, self.lines, self.columns),
            false => Tail::after(0, 0, None),
        };
        file.seek(SeekFrom::Start(tail.offset)).map_err(cannot)?;
        tail.read(BufReader::new(file))
            .map_err(|failure| match failure {
                Failure::Io(e) => cannot(e),
                Failure::Row { line, problem, row } => wire::parse_error(format!(
                    "{} line {line}: {problem}: `{}`",
                    path.display(),
                    wire::cap(String::from_utf8_lossy(&row).trim(), MAX_ROW_SHOWN)
                )),
            })?;
        if !same_file {
            if self.identity.is_some() {
                tracing::info!(
                    path = %path.display(),
                    "the CSV file was replaced or cut: reading it from the start"
                );
            }
            // The gap between buckets is the export's, whichever file it writes.
            *self = ReadState {
                identity: Some(id),
                smallest_gap: self.smallest_gap,
                callers: std::mem::take(&mut self.callers),
                ..ReadState::default()
            };
        }
        self.offset = tail.offset;
        self.lines = tail.lines;
        self.columns = tail.columns;
        for (at, event, count) in tail.rows {
            self.record(at, event, count, horizon);
        }
        Ok(())
    }

    fn record(&mut self, at: DateTime<Utc>, event: String, count: f64, horizon: DateTime<Utc>) {
        if let Some(previous) = self.previous {
            let gap = (at - previous).num_seconds().abs();
            if gap > 0 {
                self.smallest_gap = Some(self.smallest_gap.map_or(gap, |g| g.min(gap)));
            }
        }
        self.previous = Some(at);
        self.latest = Some(self.latest.map_or(at, |l| l.max(at)));
        if at >= horizon {
            *self.rows.entry((at, event)).or_default() += count;
        }
    }

    /// The complete buckets in `[from, complete_until)`; then rows before `horizon`
    /// are forgotten.
    fn batch(
        &mut self,
        cfg: &CsvConfig,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
        events: &[String],
        horizon: DateTime<Utc>,
    ) -> Batch {
        self.rows = self.rows.split_off(&(horizon, String::new()));
        let Some(step) = cfg.bucket_secs.map(wire::whole_secs).or(self.smallest_gap) else {
            return Batch {
                step_secs: UNKNOWN_STEP_SECS,
                buckets: Vec::new(),
                complete_until: from,
            };
        };
        let start = wire::ceil(from, step);
        let by_rows = self.latest.map(|l| wire::floor(l, step));
        let by_clock = cfg
            .lag_secs
            .map(|lag| wire::floor(now - TimeDelta::milliseconds((lag * 1000.0) as i64), step));
        let until = by_rows.max(by_clock).unwrap_or(start).max(start);
        let mut buckets = Buckets::new(step, start, until, events);
        for ((at, event), count) in self
            .rows
            .range((start, String::new())..(until, String::new()))
        {
            buckets.add(*at, event, *count);
        }
        Batch {
            step_secs: step,
            buckets: buckets.into_vec(),
            complete_until: until,
        }
    }
}

/// Rows read past an offset, and where reading stopped.
struct Tail {
    offset: u64,
    lines: usize,
    columns: Option<Columns>,
    rows: Vec<(DateTime<Utc>, String, f64)>,
}

#[derive(Debug)]
enum Failure {
    Io(io::Error),
    Row {
        line: usize,
        problem: &'static str,
        row: Vec<u8>,
    },
}

impl Tail {
    fn after(offset: u64, lines: usize, columns: Option<Columns>) -> Tail {
        Tail {
            offset,
            lines,
            columns,
            rows: Vec::new(),
        }
    }

    /// Read complete rows from `reader`, positioned at `self.offset`.
    fn read(&mut self, mut reader: impl BufRead) -> Result<(), Failure> {
        let mut row = Vec::new();
        let mut row_lines = 0;
        loop {
            let mut line = Vec::new();
            (&mut reader)
                .take((MAX_ROW_BYTES + 1) as u64)
                .read_until(b'\n', &mut line)
                .map_err(Failure::Io)?;
            row.extend_from_slice(&line);
            if row.len() > MAX_ROW_BYTES {
                return Err(self.bad("a row longer than 64 KiB", &row));
            }
            if !line.ends_with(b"\n") {
                // The end of the file, maybe in a row still being written.
                return Ok(());
            }
            row_lines += 1;
            // An odd number of quotes: a quoted field goes on past this newline.
            if row.iter().filter(|b| **b == b'"').count() % 2 == 1 {
                continue;
            }
            let first_in_file = self.offset == 0;
            let text = match first_in_file {
                true => row.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&row),
                false => &row[..],
            };
            let fields = split_fields(text);
            if fields.iter().any(|f| !f.is_empty()) {
                match self.columns {
                    None => {
                        let columns = header(&fields).ok_or_else(|| {
                            self.bad("expected the header `timestamp,event,count`", text)
                        })?;
                        self.columns = Some(columns);
                    }
                    Some(columns) => {
                        let parsed = parse_row(&fields, columns).map_err(|p| self.bad(p, text))?;
                        self.rows.push(parsed);
                    }
                }
            }
            self.offset += row.len() as u64;
            self.lines += row_lines;
            row.clear();
            row_lines = 0;
        }
    }

    fn bad(&self, problem: &'static str, row: &[u8]) -> Failure {
        Failure::Row {
            line: self.lines + 1,
            problem,
            row: row.to_vec(),
        }
    }
}

/// Split one row (its newline included) into fields, unquoting quoted ones.
fn split_fields(row: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(row);
    let text = text.trim_end_matches(['\n', '\r']);
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field).trim().to_owned()),
            (_, c) => field.push(c),
        }
    }
    fields.push(field.trim().to_owned());
    fields
}

fn header(fields: &[String]) -> Option<Columns> {
    let find = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
    Some(Columns {
        timestamp: find("timestamp")?,
        event: find("event")?,
        count: find("count")?,
    })
}

fn parse_row(
    fields: &[String],
    columns: Columns,
) -> Result<(DateTime<Utc>, String, f64), &'static str> {
    let field = |i: usize| fields.get(i).map(String::as_str);
    let (Some(at), Some(event), Some(count)) = (
        field(columns.timestamp),
        field(columns.event),
        field(columns.count),
    ) else {
        return Err("too few fields");
    };
    let at = wire::parse_time_text(at)
        .ok_or("the timestamp is not a time (RFC 3339 or Unix seconds)")?;
    if event.is_empty() {
        return Err("no event name");
    }
    let count = count
        .parse::<f64>()
        .ok()
        .filter(|c| c.is_finite() && *c >= 0.0)
        .ok_or("the count is not a number of zero or more")?;
    Ok((at, event.to_owned(), count))
}
