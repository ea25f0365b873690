"""A dropped event type flowing again, end to end: the shop's checkout export (a CSV
file) shows payments dark for most of an hour and back for the last minutes, not yet
long enough to call the silence over (see checkout_export.py). The real app reads it on
its first start; until the silence is over, the tray, the window and the CLI say that
payments flow again, and since when, while the incident stays open with its clock
stopped at the time they came back.
"""
from __future__ import annotations

import json

import pytest

import checkout_export
from checkout_export import BACK_JUDGED_MINUTES, DARK_MINUTES, RETURNED
from util import run, wait_until
from views import (app_pids, cli_incidents, incident_view, menu_labels, volume_rows,
                   window_state)

pytestmark = pytest.mark.checkout_export

CHECKOUT = "checkout"


def test_payments_flowing_again_are_said_to_before_the_silence_is_over(app_home, tray, window):
    driver = window
    back = f"flowing again for {BACK_JUDGED_MINUTES} min"

    rows = wait_until(lambda: (r := volume_rows(driver, CHECKOUT)) and RETURNED in r and r,
                      60, "the checkout monitor's rows per event type",
                      describe=lambda: window_state(driver))
    state, text = rows[RETURNED]
    assert state == "silence" and f"silent; {back}, confirming" in text, rows
    assert rows["Add to Cart"][0] == "ok", rows
    summary = driver.execute_script(
        f'return document.querySelector(\'li.monitor[data-monitor-id="{CHECKOUT}"] '
        '.monitor-summary\')?.textContent')
    assert summary == f"dropped: {RETURNED} ({back})", summary

    # The incident is still open, "back" not yet "over", and says so in the window and
    # in the tray.
    view = wait_until(lambda: incident_view(driver, CHECKOUT), 20, "the checkout incident",
                      describe=lambda: window_state(driver))
    assert f"{RETURNED} went silent: " in view["summary"], view
    assert ", flowing again since " in view["summary"], view
    [drop] = view["drops"]
    event, _, when, *_ = drop["cells"]
    assert event == RETURNED and "; flowing again since " in when, drop
    # Its clock stopped when payments came back, as its cost did: the outage lasted
    # its dark minutes, however long the detector takes to call it over.
    assert view["clock"] == {"label": "Was down for", "text": f"{DARK_MINUTES} min 0 s",
                             "running": None}, view
    item = wait_until(lambda: tray.item_of(app_pids(app_home)), 30,
                      "the app's tray item to register", describe=lambda: str(tray.items()))
    line = f"Checkout: {RETURNED} went silent, flowing again · {DARK_MINUTES} min"
    wait_until(lambda: line in menu_labels(tray, item), 20, f"a tray menu line {line!r}",
               describe=lambda: f"menu: {menu_labels(tray, item)}")

    incidents = [i for i in cli_incidents(app_home) if i["monitor_id"] == CHECKOUT]
    assert len(incidents) == 1 and incidents[0]["ended_at"] is None, incidents
    assert incidents[0]["components"] == [RETURNED], incidents
    assert [d["back_since"] is not None for d in incidents[0]["drops"]] == [True], incidents

    r = run(app_home.cli() + ["status", "--json"], timeout=30)
    assert r.returncode == 0, r.stderr
    checkout = next(m for m in json.loads(r.stdout)["monitors"] if m["id"] == CHECKOUT)
    streams = {s["event"]: s for s in checkout["volume"]["streams"]}
    assert streams[RETURNED]["back_for_secs"] == BACK_JUDGED_MINUTES * 60, streams
    assert all(streams[e]["back_for_secs"] is None
               for e in checkout_export.EVENTS if e != RETURNED), streams
