//! The `flatline` command's manners beyond its commands' own tests: bad arguments get
//! words that say what to do, a reader that leaves early is no failure, and `run`
//! answers the signals a service manager sends, and team channels hear of what a
//! check finds.

mod common;

use common::vendor::{Reply, VendorServer};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

/// `flatline run` reloads its config on SIGHUP, keeps the running engine through a
/// config that does not read, and stops cleanly on SIGTERM.
#[test]
fn run_reloads_its_config_on_sighup_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    // Nothing listens on port 9: the monitors are checked and read as unknown.
    let monitor = |id: &str| {
        format!("[[monitor]]\nid = \"{id}\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:9\"\n")
    };
    std::fs::write(&config, monitor("segment")).unwrap();
    let mut child = flatline(&["run"], dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run flatline");
    let (lines, said) = mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut expect = |start: &str| -> String {
        loop {
            match said.recv_timeout(Duration::from_secs(20)) {
                Ok(line) if line.starts_with(start) => return line,
                Ok(line) => seen.push(line),
                Err(e) => panic!("no line starting {start:?} ({e}); stderr: {seen:#?}"),
            }
        }
    };
    let signal = |name: &str| {
        let status = Command::new("kill")
            .args([name, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {name}");
    };

    expect("flatline: watching 1 monitors");
    std::fs::write(&config, monitor("segment") + &monitor("tiktok")).unwrap();
    signal("-HUP");
    expect("flatline: config reloaded; watching 2 monitors");

    std::fs::write(
        &config,
        monitor("segment").replace("statuspage", "statuspag"),
    )
    .unwrap();
    signal("-HUP");
    let kept = expect("flatline: config not reloaded, still watching as before: ");
    assert!(kept.contains("line 3, key `kind`"), "{kept}");

    signal("-TERM");
    expect("flatline: stopping");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {seen:#?}");
}

/// `flatline check` posts a new incident to a team channel, `flatline status` shows
/// each channel's last post or what stops it, and `flatline test-channels` tries them.
#[tokio::test]
async fn check_posts_news_to_a_team_channel_and_status_shows_the_channels() {
    let server = VendorServer::start().await;
    server.set(
        "/api/v2/summary.json",
        Reply::fixture("statuspage/partial_outage.json"),
    );
    server.set("/hook", Reply::text(200, "text/plain", "ok"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[[monitor]]\nid = \"segment\"\nkind = \"statuspage\"\nurl = \"{}\"\n\n\
             [[channel]]\nid = \"ops\"\nkind = \"webhook\"\nurl_env = \"FLATLINE_OPS_HOOK\"\n\n\
             [[channel]]\nid = \"growth\"\nkind = \"slack\"\nurl_env = \"FLATLINE_NO_SUCH_HOOK\"\n",
            server.url("")
        ),
    )
    .unwrap();
    let run = |args: &'static [&'static str]| {
        let mut command = flatline(args, dir.path());
        command
            .env("FLATLINE_OPS_HOOK", server.url("/hook"))
            .env_remove("FLATLINE_NO_SUCH_HOOK");
        tokio::task::spawn_blocking(move || command.output().unwrap())
    };

    let checked = run(&["check"]).await.unwrap();
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert_eq!(checked.status.code(), Some(0), "stderr: {stderr}");
    let posts = server.requests("/hook");
    assert_eq!(posts.len(), 1, "stderr: {stderr}");
    let post: serde_json::Value = serde_json::from_slice(&posts[0].body).unwrap();
    assert_eq!(post["event"], "opened");
    assert_eq!(post["incident"]["monitor_id"], "segment");
    assert!(
        stderr.contains("FLATLINE_NO_SUCH_HOOK is not set"),
        "a channel that cannot post is logged: {stderr}"
    );

    let status = run(&["status"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(stdout.contains("Team channels:"), "{stdout}");
    assert!(stdout.contains("  ops (webhook): last post "), "{stdout}");
    assert!(
        stdout.contains(
            "  growth (slack): nothing posted yet · FLATLINE_NO_SUCH_HOOK is not set; \
             set it to channel `growth`'s slack URL"
        ),
        "{stdout}"
    );

    // A test post says whether each channel is set up, without an incident.
    let tested = run(&["test-channels"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&tested.stdout);
    assert_eq!(tested.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout,
        "ops: test post delivered\n\
         growth: not delivered: FLATLINE_NO_SUCH_HOOK is not set; set it to channel \
         `growth`'s slack URL\n"
    );
    let test: serde_json::Value =
        serde_json::from_slice(&server.requests("/hook").last().unwrap().body).unwrap();
    assert_eq!(
        (test["event"].as_str(), test["incident"].is_null()),
        (Some("test"), true)
    );
    let unknown = run(&["test-channels", "nope"]).await.unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no team channel has the id `nope`"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}

/// `flatline snooze` holds notifications for every process on the data, says until
/// when, shows in `status`, and is lifted with `--off`; a length out of reason is a
/// usage error that says what would do.
#[test]
fn snooze_holds_notifications_until_a_time_and_off_lifts_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let run = |args: &[&str]| {
        let output = flatline(args, dir.path()).output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };

    let (code, out, err) = run(&["snooze", "30m"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("notifications snoozed until "), "{out}");
    assert!(
        out.trim_end().ends_with("(team channels still post)"),
        "{out}"
    );
    let (_, status, _) = run(&["status"]);
    assert!(
        status.contains("\nNotifications snoozed until "),
        "{status}"
    );
    let (_, json, _) = run(&["status", "--json"]);
    let snapshot: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(snapshot["hold"]["reason"], "snoozed", "{json}");

    let (code, out, _) = run(&["snooze", "--off"]);
    assert_eq!((code, out.as_str()), (Some(0), "notifications resumed\n"));
    let (_, json, _) = run(&["status", "--json"]);
    let snapshot: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(snapshot["hold"].is_null(), "{json}");

    let (code, _, err) = run(&["snooze", "2w"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("`2w` is not between a minute and a week"),
        "{err}"
    );
    let (code, _, err) = run(&["snooze", "soon"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("`soon` is not a length of time such as 30m or 2h"),
        "{err}"
    );
}
