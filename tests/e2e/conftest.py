"""Fixtures of the desktop end-to-end test.

Run inside a private desktop session (scripts/test does this):
    xvfb-run -a dbus-run-session -- .venv/bin/pytest -q tests/e2e
Everything the tests start (dbus-monitor, dunst, the tray watcher, tauri-driver, the
app) is stopped by finalizers, also when a test fails. Logs, screenshots and dumps go
to target/e2e/.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

import checkout_export
from segment_api import EVENTS as SHOP_EVENTS, TOKEN as SEGMENT_TOKEN, SegmentApi
from tray import TrayWatcher, icon_file
from util import (ACK_USER, ARTIFACTS, CLI, DESKTOP, DIAG, DUNST_CHOICE, DUNST_PICKER, AppHome,
                  Proc, kill_pids, notify_calls, processes_of, root_screenshot, wait_until)
from vendor import StatuspageVendor

# The environment variable that carries the Segment Public API token to the app.
SEGMENT_TOKEN_ENV = "FLATLINE_E2E_SEGMENT_TOKEN"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "shop_volume: the app also watches the shop's event volume (monitor "
        "`shop`, Segment Public API on 127.0.0.1) with `segment` as its upstream vendor")
    config.addinivalue_line(
        "markers", "checkout_export: the app also reads the shop's checkout export "
        "(monitor `checkout`, a CSV file, see checkout_export.py)")


# ---------------------------------------------------------------------- reporting
@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def failure_diagnostics(request):
    """Names this test's artifacts; on a failure that was not a timed-out wait (those
    save their own), saves the diagnostics and prints where they are."""
    DIAG.test_name = request.node.name
    DIAG.snapshots = 0
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and DIAG.snapshots == 0:
        summary = DIAG.snapshot("test failed")
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line("")
            reporter.write_line(summary)


# ---------------------------------------------------------------------- the session
@pytest.fixture(scope="session")
def desktop_session():
    """Checks the display and the session bus, makes the XDG directories temporary and
    cleans target/e2e/."""
    missing = [v for v in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS") if not os.environ.get(v)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run the end-to-end test inside a private "
                    "desktop session: xvfb-run -a dbus-run-session -- .venv/bin/pytest tests/e2e "
                    "(scripts/test does this)", pytrace=False)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    home = Path(tempfile.mkdtemp(prefix="flatline-e2e-xdg-"))
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_RUNTIME_DIR", "runtime")):
        path = home / sub
        path.mkdir(mode=0o700)
        os.environ[var] = str(path)
    os.environ.pop("WAYLAND_DISPLAY", None)
    os.environ["GDK_BACKEND"] = "x11"
    os.environ["NO_AT_BRIDGE"] = "1"  # no accessibility bus in this session
    os.environ.setdefault("RUST_LOG", "info,flatline=debug,flatline_desktop=debug")
    os.environ["NO_COLOR"] = "1"  # plain logs
    # The vendor and the drivers are on 127.0.0.1: never through a proxy.
    for var in ("NO_PROXY", "no_proxy"):
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))
    os.environ.setdefault("RUST_BACKTRACE", "1")
    DIAG.add_screenshot("screen", root_screenshot)
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def binaries(desktop_session):
    for binary in (DESKTOP, CLI):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} is missing: build first with scripts/build", pytrace=False)
    for tool in ("tauri-driver", "WebKitWebDriver", "dbus-monitor", "dunst", "dunstctl", "import"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not on PATH: run scripts/setup", pytrace=False)
    return DESKTOP, CLI


@pytest.fixture(scope="session")
def tray(desktop_session):
    """The StatusNotifierWatcher, up before any app starts."""
    watcher = TrayWatcher(ARTIFACTS / "tray-watcher.log")
    watcher.start()
    DIAG.add_log("tray watcher", ARTIFACTS / "tray-watcher.log")

    def dump():
        out = []
        for item in watcher.items():
            out.append(f"item {item}")
            try:
                props = watcher.properties(item)
                out += [f"  {k} = {v!r}" for k, v in sorted(props.items())
                        if k not in ("IconPixmap", "AttentionIconPixmap", "OverlayIconPixmap")]
                out.append(f"  icon file: {icon_file(props)}")
                out += [f"  menu {e.id}: {e.label!r} visible={e.visible} enabled={e.enabled}"
                        for e in watcher.menu(item)]
            except Exception as e:
                out.append(f"  cannot read: {e}")
        return "\n".join(out) or "no tray item registered"

    DIAG.add_dump("tray", dump)
    yield watcher
    watcher.stop()


@pytest.fixture(scope="session")
def notifications(desktop_session, tray):
    """dbus-monitor logging every org.freedesktop.Notifications call, and dunst (the
    notification daemon) owning that name. Yields the dbus-monitor log's path."""
    log = ARTIFACTS / "dbus-monitor.log"
    monitor = Proc("dbus-monitor",
                   ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"], log)
    # dbus-monitor becomes a monitor and then loses its own name: from then on it sees
    # every matching message.
    wait_until(lambda: "NameLost" in log.read_text(errors="replace") or not monitor.alive(),
               10, "dbus-monitor to start monitoring the session bus")
    assert monitor.alive(), f"dbus-monitor exited ({monitor.popen.returncode}); see {log}"

    conf = Path(os.environ["XDG_CONFIG_HOME"]) / "dunst" / "dunstrc"
    conf.parent.mkdir(parents=True, exist_ok=True)
    # `dunstctl context` lists the shown notifications' actions through this "dmenu",
    # which picks as a person would: see util.choose_notification_action.
    DUNST_PICKER.write_text(f'#!/bin/sh\ngrep -m1 -F "$(cat {DUNST_CHOICE})"\n')
    DUNST_PICKER.chmod(0o755)
    conf.write_text("[global]\n    font = Monospace 9\n    history_length = 50\n"
                    f"    idle_threshold = 0\n    dmenu = {DUNST_PICKER}\n")
    dunst = Proc("dunst", ["dunst", "-config", conf, "-verbosity", "info"],
                 ARTIFACTS / "dunst.log")
    wait_until(lambda: tray.name_has_owner("org.freedesktop.Notifications") or not dunst.alive(),
               10, "dunst to own org.freedesktop.Notifications")
    assert dunst.alive(), f"dunst exited ({dunst.popen.returncode}); see {ARTIFACTS / 'dunst.log'}"
    yield log
    dunst.stop()
    monitor.stop()
    DIAG.forget("dunst", "dbus-monitor")


@pytest.fixture
def notices(notifications):
    """This test's Notify calls: a function returning those logged since the test began.
    The session's log also holds earlier tests' notifications (about the same vendor,
    or the same shop); `tauri_driver` asks for this fixture, so the mark is set before
    this test's app starts."""
    start = len(notify_calls(notifications))
    return lambda: notify_calls(notifications)[start:]


@pytest.fixture(scope="session")
def vendor_server(desktop_session):
    server = StatuspageVendor()
    yield server
    server.close()


@pytest.fixture(scope="session")
def segment_api(desktop_session):
    """Segment's Public API with the shop's counts: 28 days of history, then "Add to Cart"
    and "Initiate Checkout" at zero for the last 3 hours."""
    api = SegmentApi()
    DIAG.add_dump("segment api requests", api.log)
    yield api
    DIAG.forget("segment api requests")
    api.close()


@pytest.fixture
def vendor(vendor_server):
    """The Segment status page, all operational at the start of each test."""
    vendor_server.set_state("operational")
    yield vendor_server
    vendor_server.set_state("operational")


# ---------------------------------------------------------------------- the app
@pytest.fixture
def app_home(request, vendor, binaries, tmp_path):
    """A config with one Segment monitor polled every second (and, marked shop_volume,
    the shop's event volume read hourly from Segment's API; marked checkout_export, the
    shop's checkout export), and an empty data dir.
    Any app process still running on them at the end is killed."""
    config = tmp_path / "config.toml"
    text = f"""# Flatline end-to-end test
[general]
interval_secs = 1
user = "{ACK_USER}"

[[monitor]]
id = "segment"
name = "Segment"
kind = "statuspage"
url = "{vendor.base_url}"
"""
    secrets = {}
    if request.node.get_closest_marker("shop_volume"):
        api = request.getfixturevalue("segment_api")
        # After `segment`: a tick applies monitors in config order, so the volume
        # monitor judges its upstream by this tick's reading of the status page.
        text += f"""
[[monitor]]
id = "shop"
name = "Shop conversions"
kind = "segment_volume"
url = "{api.base_url}"
token_env = "{SEGMENT_TOKEN_ENV}"
granularity = "hour"
history_days = 28
events = {json.dumps(list(SHOP_EVENTS))}
depends_on = ["segment"]
"""
        secrets[SEGMENT_TOKEN_ENV] = SEGMENT_TOKEN
    if request.node.get_closest_marker("checkout_export"):
        export = tmp_path / "checkout.csv"
        checkout_export.write(export, datetime.now(timezone.utc))
        text += f"""
[[monitor]]
id = "checkout"
name = "Checkout"
kind = "csv"
path = "{export}"
events = {json.dumps(list(checkout_export.EVENTS))}
"""
    config.write_text(text)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    home = AppHome(config, data_dir, ARTIFACTS / f"{request.node.name}-app.log", secrets)
    yield home
    leftovers = processes_of(DESKTOP, str(data_dir))
    kill_pids(leftovers)
    if leftovers:
        # Only a failing test leaves the app running; do not hide its own failure.
        print(f"killed app processes left running: {leftovers}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tauri_driver(app_home, notifications, notices, tray):
    """tauri-driver (and through it WebKitWebDriver) on free ports, with the app's
    config and data dir in its environment so that the app it starts inherits them."""
    port, native_port = free_port(), free_port()
    driver = Proc("app (via tauri-driver)",
                  ["tauri-driver", "--port", port, "--native-port", native_port],
                  app_home.log, env=app_home.env())

    def listening(p: int) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", p)) == 0

    def ready():
        if not driver.alive():
            raise AssertionError(f"tauri-driver exited ({driver.popen.returncode})")
        # Only TCP: an HTTP request through tauri-driver (e.g. /status) leaves a pooled
        # keep-alive connection to WebKitWebDriver that the native driver may close,
        # and the next request (New Session) then fails with "connection reset".
        return listening(native_port) and listening(port)

    wait_until(ready, 20, f"tauri-driver and WebKitWebDriver to listen on 127.0.0.1:{port} "
               f"and :{native_port}")
    yield f"http://127.0.0.1:{port}"
    driver.stop()


@pytest.fixture
def window(tauri_driver, app_home):
    """A WebDriver session on the real app, started with --window (its timeline window
    opens at start). Ending the session ends the app."""
    from selenium import webdriver
    from selenium.webdriver.common.options import ArgOptions
    from selenium.webdriver.common.proxy import Proxy, ProxyType
    from selenium.webdriver.remote.client_config import ClientConfig
    from selenium.webdriver.remote.remote_connection import RemoteConnection

    options = ArgOptions()
    options.set_capability("tauri:options", {"application": str(DESKTOP), "args": ["--window"]})
    connection = RemoteConnection(client_config=ClientConfig(
        remote_server_addr=tauri_driver, timeout=60,
        proxy=Proxy(raw={"proxyType": ProxyType.DIRECT})))
    started = time.monotonic()
    driver = webdriver.Remote(command_executor=connection, options=options)
    print(f"WebDriver session {driver.session_id} after {time.monotonic() - started:.1f} s")
    driver.implicitly_wait(0)

    def shot(path: Path):
        if not driver.save_screenshot(str(path)):
            raise RuntimeError("WebDriver took no screenshot")

    DIAG.add_screenshot("webview", shot)
    DIAG.add_dump("page source", lambda: driver.page_source)
    yield driver
    DIAG.forget("webview", "page source")
    try:
        driver.quit()
    except Exception as e:  # the app may be gone already
        print(f"ending the WebDriver session: {e}")
