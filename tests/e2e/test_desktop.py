"""The desktop app end to end: a vendor's status page on 127.0.0.1 goes into a partial
outage; the real app (debug build) notifies through the real notification daemon,
turns its tray icon amber, lists the incident in its webview (WebDriver), takes an
acknowledgement, and the CLI sees the same incident in the same SQLite file; then the
vendor recovers and the incident resolves.

Every step waits for its condition with a deadline; a timeout fails with what was
expected, what was seen last, and diagnostics under target/e2e/.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from util import (ACK_USER, DESKTOP, DIAG, WINDOW_TITLE, Proc, choose_notification_action,
                  dunst_history, run, wait_until)
from vendor import INCIDENT_NAME, UPDATE_TEXT_PARTS, XSS_TEXT
from views import (app_pids, cli_incidents, click, data_attribute, menu_labels, one,
                   viewable_window, wait_tray_icon, window_state)

NOTE = "On it: Segment is replaying the TikTok events — Dana"
MENU_ACTIONS = ["Open timeline", "Acknowledge all", "Snooze 1 h", "Check now", "Reload config",
                "Quit"]


# ---------------------------------------------------------------------- the scenario
def test_partial_outage_is_notified_shown_acknowledged_and_resolved(
        vendor, app_home, tray, notices, window):
    driver = window
    describe = lambda: window_state(driver)  # noqa: E731

    # 5. The window lists the monitor, read from the vendor as operational.
    monitor_css = 'li.monitor[data-monitor-id="segment"]'

    def monitor_operational():
        el = one(driver, monitor_css)
        badge = one(driver, monitor_css + " .monitor-state")
        return (el is not None and el.get_attribute("data-state") == "operational"
                and badge is not None and badge.text.strip().lower() == "operational")

    wait_until(monitor_operational, 60, "the window to show monitor segment as operational",
               describe=describe)
    assert driver.title == WINDOW_TITLE
    pids = app_pids(app_home)
    assert pids, "the app started by WebDriver was not found among the processes"
    item = wait_until(lambda: tray.item_of(app_pids(app_home)), 30,
                      "the app's tray item to register with the StatusNotifierWatcher",
                      describe=lambda: f"items: {[str(i) for i in tray.items()]}, app pids: {pids}")
    wait_tray_icon(tray, item, "tray-ok", 20)
    assert not [n for n in notices() if "Segment" in n["summary"]], \
        "a notification about Segment was sent while it was operational"

    # The vendor reports a partial outage of the component marketers care about.
    vendor.set_state("partial_outage")

    # 6a. One notification reaches the notification daemon.
    def outage_notices():
        return [n for n in notices()
                if "Segment" in n["summary"] + n["body"]
                and "partial outage" in (n["summary"] + " " + n["body"]).lower()]

    sent = wait_until(outage_notices, 30, "a Notify call about Segment's partial outage "
                      "(dbus-monitor log)", describe=lambda: f"Notify calls: {notices()}")
    notice = sent[0]
    assert notice["app"] == "Flatline", notice
    assert "Connections (Destinations)" in notice["body"], notice
    assert INCIDENT_NAME in notice["body"], f"the vendor's incident is not named: {notice}"

    def in_dunst_history():
        # Closing moves what dunst displays into its history.
        run(["dunstctl", "close-all"], timeout=10)
        return [n for n in dunst_history() if n.get("summary") == notice["summary"]]

    wait_until(in_dunst_history, 10, f"dunst to have shown {notice['summary']!r}",
               describe=lambda: f"dunstctl history: {dunst_history()}")

    # 6b. The tray turns amber and its menu names the incident.
    wait_tray_icon(tray, item, "tray-degraded", 20)

    def menu_complete():
        labels = menu_labels(tray, item)
        return (any(l.startswith("Segment: partial outage") for l in labels)
                and all(a in labels for a in MENU_ACTIONS)) and labels

    labels = wait_until(menu_complete, 20, "the tray menu to list 'Segment: partial outage …' "
                        f"and {MENU_ACTIONS}", describe=lambda: f"menu: {menu_labels(tray, item)}")
    assert labels[0].startswith("Flatline — "), f"the menu's first line is {labels[0]!r}"
    line = next(l for l in labels if l.startswith("Segment: partial outage"))
    assert line.startswith("Segment: partial outage · "), line

    # 6c. The window lists the open incident with the vendor's update as plain text.
    incident_css = "#open-incidents li.incident"

    def incident_listed():
        el = one(driver, incident_css)
        if el is None:
            return None
        title = el.find_element(By.CSS_SELECTOR, ".incident-title").text
        summary = el.find_element(By.CSS_SELECTOR, ".incident-summary").text
        return (title == "Segment: partial outage"
                and "Connections (Destinations)" in summary) and el.get_attribute("data-incident-id")

    incident_id = wait_until(incident_listed, 20, "the window to list the open incident "
                             "'Segment: partial outage'", describe=describe)
    li = f'{incident_css}[data-incident-id="{incident_id}"]'
    assert len(driver.find_elements(By.CSS_SELECTOR, incident_css)) == 1, describe()
    assert data_attribute(driver, li, "acknowledged") == "false"

    def update_visible():
        details = one(driver, li + " details.vendor-updates")
        if details is not None and details.get_attribute("open") is None:
            click(driver, li + " details.vendor-updates > summary")
        el = one(driver, li + " .vendor-update")
        return el is not None and el.is_displayed() and el.text

    update_text = wait_until(update_visible, 10, "the vendor's update to be shown", describe=describe)
    print("UPDATE TEXT:", repr(update_text))
    for part in UPDATE_TEXT_PARTS:
        assert part in update_text, f"{part!r} is not shown as text in {update_text!r}"
    assert XSS_TEXT in update_text
    assert "&amp;" not in update_text and "&lt;" not in update_text, update_text
    assert driver.find_elements(By.CSS_SELECTOR, ".vendor-update img") == [], \
        "vendor text was rendered as HTML: an <img> exists inside .vendor-update"
    assert driver.execute_script("return document.querySelectorAll('img[onerror]').length") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # alert(1) must never have run

    # 7. Acknowledge it in the window, with a note.
    wait_until(lambda: click(driver, li + " button.ack-button"), 10, "to click 'Acknowledge…'",
               describe=describe)
    note_css = li + " form.ack-form textarea[name=note]"
    wait_until(lambda: one(driver, note_css) and one(driver, note_css).is_displayed(), 10,
               "the acknowledgement form to open", describe=describe)

    def typed():
        el = one(driver, note_css)
        if el.get_attribute("value") != NOTE:
            el.clear()
            el.send_keys(NOTE)
        return el.get_attribute("value") == NOTE

    wait_until(typed, 10, "the note to be typed", describe=describe)
    wait_until(lambda: click(driver, li + " form.ack-form button[type=submit]"), 10,
               "to submit the acknowledgement", describe=describe)
    ack_text = wait_until(
        lambda: one(driver, li + " .ack-info") and one(driver, li + " .ack-info").text, 15,
        "the window to show the acknowledgement (.ack-info)", describe=describe)
    assert NOTE in ack_text and ACK_USER in ack_text, ack_text
    assert data_attribute(driver, li, "acknowledged") == "true"

    # 8. The CLI reads the same incident from the same database.
    incidents = cli_incidents(app_home)
    assert len(incidents) == 1, f"expected one incident, the CLI lists: {incidents}"
    inc = incidents[0]
    expected_keys = {"id", "monitor_id", "monitor_name", "kind", "severity", "title", "summary",
                     "started_at", "detected_at", "ended_at", "components", "url", "updates",
                     "acknowledgement"}
    assert expected_keys <= set(inc), f"missing fields {expected_keys - set(inc)} in {inc}"
    assert str(inc["id"]) == incident_id
    assert inc["monitor_id"] == "segment" and inc["monitor_name"] == "Segment", inc
    assert inc["kind"] == "vendor_status", inc
    assert inc["severity"] == "partial_outage", inc
    assert inc["title"] == "Segment: partial outage", inc
    assert "Connections (Destinations)" in inc["components"], inc
    assert inc["ended_at"] is None, inc
    assert inc["acknowledgement"] is not None, inc
    assert inc["acknowledgement"]["note"] == NOTE, inc["acknowledgement"]
    assert inc["acknowledgement"]["by"] == ACK_USER, inc["acknowledgement"]
    assert inc["acknowledgement"]["at"], inc["acknowledgement"]
    bodies = [u["body"] for u in inc["updates"]]
    assert any(XSS_TEXT in b and "Add to Cart & Initiate Checkout" in b for b in bodies), bodies
    assert all({"at", "status", "body"} <= set(u) for u in inc["updates"]), inc["updates"]
    assert len(outage_notices()) == 1, f"more than one notification for one incident: " \
        f"{outage_notices()}"

    # 9. The vendor recovers: the incident resolves and a resolution notice goes out.
    vendor.set_state("operational")

    def resolved():
        found = cli_incidents(app_home)
        return len(found) == 1 and found[0]["ended_at"] and found[0]

    wait_until(resolved, 30, "the CLI to show the incident resolved (ended_at set)",
               interval=0.5, describe=lambda: f"CLI: {cli_incidents(app_home)}")

    def resolution_notice():
        return [n for n in notices()
                if "Segment" in n["summary"] and "resolved" in n["summary"].lower()]

    wait_until(resolution_notice, 15, "a resolution notification for Segment",
               describe=lambda: f"Notify calls: {notices()}")
    wait_tray_icon(tray, item, "tray-ok", 20)
    wait_until(lambda: one(driver, f'#history li.incident[data-incident-id="{incident_id}"]')
               and not driver.find_elements(By.CSS_SELECTOR, incident_css), 20,
               "the window to move the incident from open to history", describe=describe)
    labels = menu_labels(tray, item)
    assert not [l for l in labels if l.startswith("Segment:")], f"resolved but in menu: {labels}"

    # Ending the WebDriver session ends the app.
    driver.quit()
    wait_until(lambda: not app_pids(app_home), 15, "the app to exit after the WebDriver session",
               describe=lambda: f"still running: {app_pids(app_home)}")


# ---------------------------------------------------------------------- tray only
@contextmanager
def tray_only_app(app_home, tray):
    """The app started without a window, as at login; yields it and its tray item."""
    app = Proc("tray-only app", [DESKTOP, "--config", app_home.config,
                                 "--data-dir", app_home.data_dir], app_home.log)
    try:
        item = wait_until(lambda: tray.item_of([app.pid]) or (not app.alive() and
                          pytest.fail(f"the app exited ({app.popen.returncode})")), 30,
                          "the tray-only app's tray item to register",
                          describe=lambda: f"items: {[str(i) for i in tray.items()]}")
        yield app, item
    finally:
        app.stop()
        DIAG.forget("tray-only app")


def quit_from_tray(tray, item, app):
    tray.click(item, "Quit")
    wait_until(lambda: not app.alive(), 15, "the app to exit after 'Quit'")
    assert app.popen.returncode == 0, f"the app exited with {app.popen.returncode}"


def test_tray_menu_opens_the_timeline_and_quits(vendor, app_home, tray, notifications):
    with tray_only_app(app_home, tray) as (app, item):
        wait_until(lambda: "Open timeline" in menu_labels(tray, item), 15,
                   "the tray menu to offer 'Open timeline'",
                   describe=lambda: f"menu: {menu_labels(tray, item)}")
        wait_tray_icon(tray, item, "tray-ok", 20)
        assert viewable_window(WINDOW_TITLE) is None, "a tray-only start opened a window"

        tray.click(item, "Open timeline")
        wid = wait_until(lambda: viewable_window(WINDOW_TITLE), 30,
                         f"a window titled {WINDOW_TITLE!r} after 'Open timeline'")
        print(f"timeline window 0x{wid:x}")

        quit_from_tray(tray, item, app)
        assert viewable_window(WINDOW_TITLE) is None


def test_an_edited_config_is_reloaded_from_the_tray(vendor, app_home, tray, notifications):
    with tray_only_app(app_home, tray) as (app, item):
        wait_tray_icon(tray, item, "tray-ok", 20)
        text = app_home.config.read_text()

        # A monitor added to the file is checked once the config is reloaded; nothing
        # listens on port 9, so it shows as one that cannot be read.
        app_home.config.write_text(text + """
[[monitor]]
id = "tiktok"
name = "TikTok"
kind = "statuspage"
url = "http://127.0.0.1:9"
""")
        tray.click(item, "Reload config")
        wait_until(lambda: "TikTok: cannot be read" in menu_labels(tray, item), 30,
                   "the tray menu to list the added monitor after 'Reload config'",
                   describe=lambda: f"menu: {menu_labels(tray, item)}")

        # A typo: the reload says where, and the monitors as reloaded go on.
        app_home.config.write_text(text.replace('kind = "statuspage"', 'kind = "statuspag"'))
        tray.click(item, "Reload config")

        def failure_notice():
            return next((label for label in menu_labels(tray, item)
                         if label.startswith("Reload config failed: kept the running config. "
                                             "Config error: line")), None)

        notice = wait_until(failure_notice, 15, "the tray menu to say why the config did not "
                            "reload", describe=lambda: f"menu: {menu_labels(tray, item)}")
        assert "`kind`" in notice, notice
        assert "TikTok: cannot be read" in menu_labels(tray, item)
        assert app.alive(), "a broken config stopped the app"
        quit_from_tray(tray, item, app)


def test_a_snooze_holds_notifications_and_its_end_tells_what_opened(vendor, app_home, tray,
                                                                     notices):
    def segment_notices():
        return [n for n in notices() if "Segment" in n["summary"]]

    with tray_only_app(app_home, tray) as (app, item):
        wait_tray_icon(tray, item, "tray-ok", 20)
        tray.click(item, "Snooze 1 h")
        wait_tray_icon(tray, item, "tray-snoozed", 20)
        labels = menu_labels(tray, item)
        assert any(l.startswith("Notifications snoozed until ") for l in labels), labels
        assert "Resume notifications" in labels and "Snooze 1 h" not in labels, labels

        # What is degraded shows through the snooze; only the notification is held.
        vendor.set_state("partial_outage")
        wait_tray_icon(tray, item, "tray-degraded", 30)
        wait_until(lambda: any(l.startswith("Segment: partial outage")
                               for l in menu_labels(tray, item)), 15,
                   "the tray menu to list the incident while snoozed",
                   describe=lambda: f"menu: {menu_labels(tray, item)}")
        # The monitor is checked every second: a notification that was not held would
        # have gone out with the incident.
        time.sleep(3)
        assert segment_notices() == [], f"notified while snoozed: {segment_notices()}"

        tray.click(item, "Resume notifications")
        sent = wait_until(segment_notices, 20, "one notification of what opened while snoozed",
                          describe=lambda: f"Notify calls: {notices()}")
        assert [n["summary"] for n in sent] == ["While snoozed: Segment: partial outage"], sent
        assert "Snooze 1 h" in menu_labels(tray, item)
        quit_from_tray(tray, item, app)


def test_a_second_launch_opens_the_first_app_s_timeline_and_exits(vendor, app_home, tray,
                                                                   notifications):
    with tray_only_app(app_home, tray) as (app, item):
        wait_tray_icon(tray, item, "tray-ok", 20)
        assert viewable_window(WINDOW_TITLE) is None
        second = Proc("second launch", [DESKTOP, "--config", app_home.config,
                                        "--data-dir", app_home.data_dir], app_home.log)
        try:
            wait_until(lambda: not second.alive(), 20, "the second launch to exit")
            assert second.popen.returncode == 0, f"it exited with {second.popen.returncode}"
            assert tray.item_of([second.pid]) is None, "the second launch showed a tray item"
        finally:
            second.stop()
            DIAG.forget("second launch")
        wait_until(lambda: viewable_window(WINDOW_TITLE), 30,
                   "the first app to open its timeline for the second launch")
        assert app.alive()
        quit_from_tray(tray, item, app)


def test_a_notification_acknowledges_its_incident_and_opens_it(vendor, app_home, tray, notices):
    def shown(summary):
        return lambda: [n for n in notices() if n["summary"] == summary]

    with tray_only_app(app_home, tray) as (app, item):
        wait_tray_icon(tray, item, "tray-ok", 20)
        vendor.set_state("partial_outage")
        wait_until(shown("Segment: partial outage"), 30, "the outage's notification",
                   describe=lambda: f"Notify calls: {notices()}")

        choose_notification_action("Acknowledge", "Segment: partial outage")

        def acknowledged():
            return [i for i in cli_incidents(app_home)
                    if i["monitor_id"] == "segment" and i["acknowledgement"]]

        wait_until(acknowledged, 20, "the incident to be acknowledged from its notification",
                   describe=lambda: f"incidents: {cli_incidents(app_home)}")
        wait_until(lambda: any(l.endswith("open (0 unacknowledged)")
                               for l in menu_labels(tray, item)), 15,
                   "the tray to count no unacknowledged incident",
                   describe=lambda: f"menu: {menu_labels(tray, item)}")
        assert viewable_window(WINDOW_TITLE) is None

        # The resolution's notification opens the incident in the timeline.
        vendor.set_state("operational")
        wait_until(shown("Segment: resolved"), 30, "the resolution's notification",
                   describe=lambda: f"Notify calls: {notices()}")
        choose_notification_action("Open", "Segment: resolved")
        wait_until(lambda: viewable_window(WINDOW_TITLE), 30,
                   "the timeline window after 'Open' on the notification")
        quit_from_tray(tray, item, app)
