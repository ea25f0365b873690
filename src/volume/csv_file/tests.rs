use super::*;
use crate::volume::Bucket;

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn tail(text: &str) -> Result<Tail, Failure> {
    let mut tail = Tail::after(0, 0, None);
    tail.read(text.as_bytes())?;
    Ok(tail)
}

fn failure(text: &str) -> (usize, &'static str, String) {
    match tail(text) {
        Err(Failure::Row { line, problem, row }) => {
            (line, problem, String::from_utf8_lossy(&row).into_owned())
        }
        Err(Failure::Io(e)) => panic!("{e}"),
        Ok(_) => panic!("read without a problem"),
    }
}

fn cfg(bucket_secs: Option<f64>, lag_secs: Option<f64>) -> CsvConfig {
    CsvConfig {
        path: "metrics.csv".into(),
        bucket_secs,
        lag_secs,
    }
}

fn bucket(start: &str, event: &str, count: f64) -> Bucket {
    Bucket {
        start: t(start),
        event: event.into(),
        count,
    }
}

#[test]
fn fields_unquote_and_trim() {
    assert_eq!(
        split_fields(b"2026-01-05T10:00:00Z, \"Checkout, step \"\"2\"\"\" ,3\r\n"),
        vec!["2026-01-05T10:00:00Z", "Checkout, step \"2\"", "3"]
    );
    assert_eq!(split_fields(b"a,,b"), vec!["a", "", "b"]);
    assert_eq!(split_fields(b"it's \"x\",1"), vec!["it's \"x\"", "1"]);
}

#[test]
fn the_header_names_the_columns_in_any_order() {
    let columns = |h: &[&str]| header(&h.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    assert_eq!(
        columns(&["Count", "source", "timestamp", "EVENT"]),
        Some(Columns {
            timestamp: 2,
            event: 3,
            count: 0
        })
    );
    assert_eq!(columns(&["time", "event", "count"]), None);
}

#[test]
fn a_half_written_last_line_waits_for_its_newline() {
    let text =
        "\u{feff}timestamp,event,count\r\n\r\n2026-01-05T10:00:00Z,A,1\r\n2026-01-05T10:01:00Z,A,2";
    let read = tail(text).unwrap();
    assert_eq!(
        read.rows,
        vec![(t("2026-01-05T10:00:00Z"), "A".to_owned(), 1.0)]
    );
    assert_eq!(read.lines, 3);
    assert_eq!(read.offset as usize, text.rfind('\n').unwrap() + 1);
}

#[test]
fn a_quoted_newline_belongs_to_its_row() {
    let text = "timestamp,event,count\n2026-01-05T10:00:00Z,\"Multi\nline\",4\n2026-01-05T10:00:00Z,\"Open";
    let read = tail(text).unwrap();
    assert_eq!(
        read.rows,
        vec![(t("2026-01-05T10:00:00Z"), "Multi\nline".to_owned(), 4.0)]
    );
    assert_eq!(read.lines, 3);
}

#[test]
fn bad_rows_name_their_line() {
    let header = "timestamp,event,count\n";
    assert_eq!(
        failure(&format!(
            "{header}2026-01-05T10:00:00Z,A,1\n\nyesterday,A,1\n"
        )),
        (
            4,
            "the timestamp is not a time (RFC 3339 or Unix seconds)",
            "yesterday,A,1\n".into()
        )
    );
    assert_eq!(
        failure(&format!("{header}1767607200,A,-2\n")).1,
        "the count is not a number of zero or more"
    );
    assert_eq!(
        failure(&format!("{header}1767607200,A\n")).1,
        "too few fields"
    );
    assert_eq!(
        failure(&format!("{header}1767607200,,1\n")).1,
        "no event name"
    );
    assert_eq!(
        failure("time,name,value\n").1,
        "expected the header `timestamp,event,count`"
    );
    let long = format!("{header}1767607200,{},1\n", "x".repeat(MAX_ROW_BYTES));
    assert_eq!(failure(&long).1, "a row longer than 64 KiB");
}

fn state_with(rows: &[(&str, &str, f64)], horizon: &str) -> ReadState {
    let mut state = ReadState::default();
    for (at, event, count) in rows {
        state.record(t(at), (*event).to_owned(), *count, t(horizon));
    }
    state
}

#[test]
fn the_bucket_is_inferred_from_the_smallest_gap() {
    let from = t("2026-01-05T09:00:00Z");
    let now = t("2026-01-05T12:00:00Z");
    let mut state = state_with(
        &[("2026-01-05T10:00:00Z", "A", 1.0)],
        "2026-01-05T09:00:00Z",
    );
    let batch = state.batch(&cfg(None, None), from, now, &[], from);
    assert_eq!((batch.buckets.len(), batch.complete_until), (0, from));

    let mut state = state_with(
        &[
            ("2026-01-05T10:00:00Z", "A", 1.0),
            ("2026-01-05T10:00:00Z", "B", 2.0),
            ("2026-01-05T10:10:00Z", "A", 3.0),
            ("2026-01-05T10:15:00Z", "A", 4.0),
        ],
        "2026-01-05T09:00:00Z",
    );
    let batch = state.batch(&cfg(None, None), from, now, &[], from);
    assert_eq!(batch.step_secs, 300);
    // The latest bucket (10:15) may still get rows: complete until its start.
    assert_eq!(batch.complete_until, t("2026-01-05T10:15:00Z"));
    assert_eq!(
        batch.buckets,
        vec![
            bucket("2026-01-05T10:00:00Z", "A", 1.0),
            bucket("2026-01-05T10:00:00Z", "B", 2.0),
            bucket("2026-01-05T10:10:00Z", "A", 3.0),
        ]
    );
}

#[test]
fn a_lag_completes_quiet_buckets_by_the_clock() {
    let from = t("2026-01-05T10:00:00Z");
    let mut state = state_with(
        &[
            ("2026-01-05T10:00:00Z", "A", 1.0),
            ("2026-01-05T10:01:00Z", "A", 1.0),
        ],
        "2026-01-05T10:00:00Z",
    );
    let now = t("2026-01-05T10:30:20Z");
    let batch = state.batch(&cfg(Some(60.0), Some(120.0)), from, now, &[], from);
    assert_eq!(batch.complete_until, t("2026-01-05T10:28:00Z"));
    assert_eq!(batch.buckets.len(), 2);
}

#[test]
fn callers_share_rows_until_none_needs_them() {
    let mut state = ReadState::default();
    let engine = vec!["A".to_owned()];
    let canary = vec!["Flatline canary 1".to_owned()];
    let now = t("2026-01-05T10:00:00Z");
    assert_eq!(
        state.ask(&engine, t("2026-01-05T09:00:00Z"), now),
        t("2026-01-05T09:00:00Z")
    );
    // A canary looking at the last minutes does not cut the rows the engine still needs…
    assert_eq!(
        state.ask(&canary, t("2026-01-05T09:58:00Z"), now),
        t("2026-01-05T09:00:00Z")
    );
    // …and the engine moving on does.
    assert_eq!(
        state.ask(&engine, t("2026-01-05T09:59:00Z"), now),
        t("2026-01-05T09:58:00Z")
    );
    // A caller silent for longer than the TTL holds nothing back.
    let later = now + CALLER_TTL + TimeDelta::minutes(1);
    assert_eq!(
        state.ask(&engine, t("2026-01-05T16:00:00Z"), later),
        t("2026-01-05T16:00:00Z")
    );
}
