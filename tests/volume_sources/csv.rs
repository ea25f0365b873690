//! A CSV file an export job keeps appending to.

use super::*;
use flatline::config::CsvConfig;
use flatline::volume::{Batch, CsvSource, VolumeSource};
use std::io::Write;
use std::path::Path;

fn csv(path: &Path, bucket_secs: Option<f64>) -> CsvSource {
    CsvSource::new(CsvConfig {
        path: path.to_owned(),
        bucket_secs,
        lag_secs: None,
    })
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

async fn fetch(source: &CsvSource, from: &str) -> Batch {
    source.fetch(&client(), t(from), t(NOW), &[]).await.unwrap()
}

#[tokio::test]
async fn appended_rows_are_read_as_they_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.csv");
    append(
        &path,
        "\u{feff}timestamp,event,count\r\n\
         2026-01-05T10:00:00Z,Add to Cart,3\r\n\
         2026-01-05T10:00:00Z,\"Checkout, step 2\",1\r\n\
         \r\n\
         2026-01-05T10:01:00Z,Add to Cart,2\r\n\
         2026-01-05T10:02",
    );
    let source = csv(&path, None);
    let first = fetch(&source, "2026-01-05T09:00:00Z").await;
    // The minute is inferred from the rows; 10:01 may still get rows, and the
    // half-written line is left alone.
    assert_eq!(first.step_secs, 60);
    assert_eq!(first.complete_until, t("2026-01-05T10:01:00Z"));
    assert_eq!(
        sorted(first.buckets),
        vec![
            bucket("2026-01-05T10:00:00Z", "Add to Cart", 3.0),
            bucket("2026-01-05T10:00:00Z", "Checkout, step 2", 1.0),
        ]
    );

    append(
        &path,
        ":00Z,Add to Cart,4\r\n2026-01-05T10:03:00Z,Add to Cart,lots",
    );
    // The line is finished, the next is not: 10:02 is the latest bucket so far.
    let second = fetch(&source, "2026-01-05T10:01:00Z").await;
    assert_eq!(second.complete_until, t("2026-01-05T10:02:00Z"));
    assert_eq!(
        second.buckets,
        vec![bucket("2026-01-05T10:01:00Z", "Add to Cart", 2.0)]
    );

    // Finished, the last line turns out bad: it is reported with its number.
    append(&path, "\r\n");
    let err = source
        .fetch(&client(), t("2026-01-05T10:02:00Z"), t(NOW), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "could not parse the response: {} line 7: the count is not a number of zero or more: `2026-01-05T10:03:00Z,Add to Cart,lots`",
            path.display()
        )
    );
}

#[tokio::test]
async fn a_replaced_or_cut_file_is_read_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.csv");
    append(
        &path,
        "timestamp,event,count\n\
         2026-01-05T10:00:00Z,A,1\n\
         2026-01-05T10:01:00Z,A,2\n\
         2026-01-05T10:02:00Z,A,3\n",
    );
    let source = csv(&path, Some(60.0));
    let first = fetch(&source, "2026-01-05T10:00:00Z").await;
    assert_eq!(first.complete_until, t("2026-01-05T10:02:00Z"));
    assert_eq!(first.buckets.len(), 2);

    // Rotation: a new file takes the path. It repeats 10:01, which `from` skips.
    let rotated = dir.path().join("metrics.csv.new");
    std::fs::write(
        &rotated,
        "timestamp,event,count\n\
         2026-01-05T10:01:00Z,A,2\n\
         2026-01-05T10:02:00Z,A,3\n\
         2026-01-05T10:03:00Z,A,5\n",
    )
    .unwrap();
    std::fs::rename(&rotated, &path).unwrap();
    let second = fetch(&source, "2026-01-05T10:02:00Z").await;
    assert_eq!(second.complete_until, t("2026-01-05T10:03:00Z"));
    assert_eq!(
        second.buckets,
        vec![bucket("2026-01-05T10:02:00Z", "A", 3.0)]
    );

    // Cut in place: the same file, shorter than what was read.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(
        &path,
        "timestamp,event,count\n2026-01-05T10:03:00Z,A,5\n2026-01-05T10:04:00Z,A,1\n",
    );
    let third = fetch(&source, "2026-01-05T10:03:00Z").await;
    assert_eq!(third.complete_until, t("2026-01-05T10:04:00Z"));
    assert_eq!(
        third.buckets,
        vec![bucket("2026-01-05T10:03:00Z", "A", 5.0)]
    );
}

#[tokio::test]
async fn until_two_timestamps_exist_nothing_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.csv");
    append(&path, "timestamp,event,count\n2026-01-05T10:00:00Z,A,1\n");
    let source = csv(&path, None);
    let batch = fetch(&source, "2026-01-05T09:00:00Z").await;
    assert!(batch.buckets.is_empty());
    assert_eq!(batch.complete_until, t("2026-01-05T09:00:00Z"));

    // Hourly rows: the bucket is an hour.
    append(
        &path,
        "2026-01-05T11:00:00Z,A,4\n2026-01-05T12:00:00Z,A,2\n",
    );
    let batch = fetch(&source, "2026-01-05T09:00:00Z").await;
    assert_eq!(batch.step_secs, 3600);
    assert_eq!(batch.complete_until, t("2026-01-05T12:00:00Z"));
    assert_eq!(
        batch.buckets,
        vec![
            bucket("2026-01-05T10:00:00Z", "A", 1.0),
            bucket("2026-01-05T11:00:00Z", "A", 4.0),
        ]
    );
}

#[tokio::test]
async fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exports").join("metrics.csv");
    let err = csv(&path, None)
        .fetch(&client(), t("2026-01-05T09:00:00Z"), t(NOW), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{} does not exist", path.display())
    );
}
