//! The `flatline` command's manners beyond its commands' own tests: bad arguments get
//! words that say what to do, and a reader that leaves early is no failure.

use std::path::Path;
use std::process::Command;

fn flatline(args: &[&str], dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flatline"));
    command
        .args(args)
        .env("FLATLINE_DATA_DIR", dir)
        .env("FLATLINE_CONFIG", dir.join("config.toml"));
    command
}

#[test]
fn an_acknowledgement_of_no_number_says_where_ids_are() {
    let dir = tempfile::tempdir().unwrap();
    let output = flatline(&["ack", "abc"], dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("`abc` is not an incident id"), "{stderr}");
    assert!(stderr.contains("flatline incidents"), "{stderr}");
}

/// `flatline presets | head -1`: the reader leaves after a line, and the rest of the
/// list meets a closed pipe. That is the reader's choice, not a failure.
#[test]
fn a_reader_that_stops_early_is_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = flatline(&["presets"], dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run flatline");
    // Closed before the child has written anything: the catalogue is far larger
    // than one write, so every write after this fails.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
