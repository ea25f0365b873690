"""Waiting for conditions, running processes, collecting diagnostics."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "target" / "e2e"
# dunst's context menu picker and the line it picks (see choose_notification_action).
DUNST_PICKER = ARTIFACTS / "dunst-pick.sh"
DUNST_CHOICE = ARTIFACTS / "dunst-choice"
DESKTOP = ROOT / "target" / "debug" / "flatline-desktop"
CLI = ROOT / "target" / "debug" / "flatline"
ICONS = ROOT / "icons"
WINDOW_TITLE = "Flatline — incidents"
ACK_USER = "E2E tester"  # [general] user in the test's config: recorded on acknowledgements


@dataclass
class AppHome:
    """One test's config file, data directory, app log and the secrets its config
    names (environment variables)."""
    config: Path
    data_dir: Path
    log: Path
    secrets: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict:
        env = dict(os.environ)
        env["FLATLINE_CONFIG"] = str(self.config)
        env["FLATLINE_DATA_DIR"] = str(self.data_dir)
        env.update(self.secrets)
        return env

    def cli(self) -> list:
        return [CLI, "--config", self.config, "--data-dir", self.data_dir]


# ---------------------------------------------------------------------- diagnostics
class Diagnostics:
    """What to save when a step fails: logs to point at (their tails go into the
    failure message), text dumps computed at failure time, screenshots."""

    def __init__(self) -> None:
        self.logs: dict[str, Path] = {}
        self.dumps: dict[str, Callable[[], str]] = {}
        self.screenshots: dict[str, Callable[[Path], None]] = {}
        self.test_name = "session"
        self.snapshots = 0

    def add_log(self, name: str, path: Path) -> None:
        self.logs[name] = path

    def add_dump(self, name: str, fn: Callable[[], str]) -> None:
        self.dumps[name] = fn

    def add_screenshot(self, name: str, fn: Callable[[Path], None]) -> None:
        self.screenshots[name] = fn

    def forget(self, *names: str) -> None:
        for n in names:
            self.logs.pop(n, None)
            self.dumps.pop(n, None)
            self.screenshots.pop(n, None)

    def snapshot(self, reason: str) -> str:
        """Save dumps and screenshots under target/e2e/; return a summary for a message."""
        self.snapshots += 1
        stem = f"{safe_name(self.test_name)}-fail{self.snapshots}"
        lines = [f"diagnostics ({reason}) saved in {ARTIFACTS}:"]
        for name, fn in list(self.screenshots.items()):
            path = ARTIFACTS / f"{stem}-{safe_name(name)}.png"
            try:
                fn(path)
                lines.append(f"  screenshot {name}: {path}")
            except Exception as e:  # a diagnostic must never hide the real failure
                lines.append(f"  screenshot {name}: failed: {e}")
        for name, fn in list(self.dumps.items()):
            path = ARTIFACTS / f"{stem}-{safe_name(name)}.txt"
            try:
                path.write_text(fn())
                lines.append(f"  {name}: {path}")
            except Exception as e:
                lines.append(f"  {name}: failed: {e}")
        for name, path in self.logs.items():
            lines.append(f"  {name} log: {path}")
        for name, path in self.logs.items():
            lines.append(f"--- last lines of the {name} log ---")
            lines.append(tail(path, 25) or "(empty)")
        return "\n".join(lines)


DIAG = Diagnostics()


def safe_name(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", s).strip("-")[:80]


def tail(path: Path, n: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError as e:
        return f"(cannot read {path}: {e})"
    return "\n".join(lines[-n:])


class StepTimeout(AssertionError):
    pass


def wait_until(condition: Callable[[], object], timeout: float, what: str,
               interval: float = 0.1, describe: Callable[[], str] | None = None):
    """Poll `condition` until it returns something truthy (returned) or `timeout`
    seconds pass (StepTimeout naming `what`, the last value or error seen, the
    `describe()` of the current state and the diagnostics)."""
    deadline = time.monotonic() + timeout
    last_value, last_error = None, None
    while True:
        try:
            value = condition()
            if value:
                return value
            last_value, last_error = value, None
        except StepTimeout:
            raise
        except Exception as e:  # the thing observed may not exist yet: keep polling
            last_error = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    detail = [f"timed out after {timeout:g} s waiting for {what}"]
    if last_error is not None:
        detail.append(f"last error: {type(last_error).__name__}: {last_error}")
    else:
        detail.append(f"last value: {last_value!r}")
    if describe:
        try:
            detail.append(f"state: {describe()}")
        except Exception as e:
            detail.append(f"state: cannot describe: {e}")
    detail.append(DIAG.snapshot(what))
    raise StepTimeout("\n".join(detail))


# ---------------------------------------------------------------------- processes
class Proc:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict | None = None,
                 cwd: Path | None = None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab", buffering=0)
        self._log.write(f"$ {' '.join(map(str, argv))}\n".encode())
        self.popen = subprocess.Popen(
            [str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
        self.pid = self.popen.pid
        DIAG.add_log(name, log_path)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM to the process group, SIGKILL after `timeout`; returns the exit code."""
        for sig, grace in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass  # the whole group is gone already
            try:
                self.popen.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        # Children left in the group (e.g. WebKit processes) go with it.
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()
        return self.popen.returncode


def processes_of(binary: Path, marker: str) -> list[int]:
    """PIDs running `binary` whose command line or environment contains `marker` (a
    test's unique data directory): the app instances this test started, however they
    were launched (directly or by WebKitWebDriver)."""
    found = []
    target = str(binary.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            exe = os.readlink(entry / "exe")
            if exe.removesuffix(" (deleted)") != target:
                continue
            blob = (entry / "cmdline").read_bytes() + b"\0" + (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in blob:
            found.append(int(entry.name))
    return found


def kill_pids(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run(argv: list, timeout: float = 30.0, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def root_screenshot(path: Path) -> None:
    """The whole virtual screen (ImageMagick's import)."""
    r = run(["import", "-window", "root", path], timeout=20)
    if r.returncode != 0:
        raise RuntimeError(f"import failed ({r.returncode}): {r.stderr.strip()}")


# ---------------------------------------------------------------------- notifications
NOTIFY_RE = re.compile(
    r'member=Notify\n'
    r'\s+string "(?P<app>.*?)"\n'
    r'\s+uint32 (?P<replaces>\d+)\n'
    r'\s+string "(?P<icon>.*?)"\n'
    r'\s+string "(?P<summary>.*?)"\n'
    r'\s+string "(?P<body>.*?)"\n'
    r'\s+array \[', re.S)


def notify_calls(monitor_log: Path) -> list[dict]:
    """The org.freedesktop.Notifications.Notify calls in a dbus-monitor log."""
    text = monitor_log.read_text(errors="replace")
    return [m.groupdict() for m in NOTIFY_RE.finditer(text)]


def choose_notification_action(label: str, summary: str) -> None:
    """Pick the action `label` of the shown notification `summary` in dunst's context
    menu, as a person would: dunst then tells the app, as for a click on its button."""
    DUNST_CHOICE.write_text(f"#{label} ({summary})")
    r = run(["dunstctl", "context"], timeout=10)
    if r.returncode != 0:
        raise RuntimeError(f"dunstctl context failed ({r.returncode}): {r.stderr.strip()}")


def dunst_history() -> list[dict]:
    """dunst's notification history (`dunstctl history`), as summary/body/appname."""
    r = run(["dunstctl", "history"], timeout=10)
    if r.returncode != 0:
        raise RuntimeError(f"dunstctl history failed ({r.returncode}): {r.stderr.strip()}")
    doc = json.loads(r.stdout)
    out = []
    for group in doc.get("data", []):
        for n in group:
            out.append({k: (v.get("data") if isinstance(v, dict) else v) for k, v in n.items()})
    return out
