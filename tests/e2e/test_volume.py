"""Conversion volume end to end: Segment's Public API on 127.0.0.1 serves four weeks of
a shop's hourly event counts in which "Add to Cart" and "Initiate Checkout" have been
zero for three hours. The real app reads the history on its first start, and:

1. while Segment's status page is green, opens a silent outage for exactly those two
   events, with the checklist, in the tray, the window, a notification and the CLI;
2. once the page reports a partial outage, turns it into a volume drop whose likely
   cause is the Segment incident, linked within the window;
3. prices it: the estimate on the incident, the running totals in the header and the
   tray, and a CSV report saved from the window with the same incidents.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from segment_api import DROPPED, EVENTS
from util import wait_until
from views import (app_pids, cli_incidents, click, incident_view, menu_labels, volume_rows,
                   wait_tray_icon, window_state)

pytestmark = pytest.mark.shop_volume

SHOP = "shop"
SHOP_NAME = "Shop conversions"
CHECKLIST_TOPICS = ("Destination credentials", "Schema blocking", "Filters", "Rate limits")


def assert_drops_shown(view: dict) -> None:
    """Exactly the dropped events, each a silence: nothing seen, all of it missing."""
    assert sorted(d["event"] for d in view["drops"]) == sorted(DROPPED), view
    for d in view["drops"]:
        event, kind, when, expected, observed, missing = d["cells"]
        assert (event, kind, observed) == (d["event"], "Silence", "0"), d
        assert when.startswith("since "), d
        assert expected not in ("", "0") and missing == expected, d


def assert_cli_drops(incident: dict) -> None:
    assert incident["monitor_id"] == SHOP and incident["ended_at"] is None, incident
    assert sorted(incident["components"]) == sorted(DROPPED), incident
    assert sorted(d["event"] for d in incident["drops"]) == sorted(DROPPED), incident["drops"]
    for d in incident["drops"]:
        assert d["kind"] == "silence" and d["end"] is None, d
        assert d["observed"] == 0 and d["expected"] > 0, d


def test_silent_outage_then_linked_to_the_vendor_incident(
        vendor, segment_api, app_home, tray, notices, window):
    driver = window
    describe = lambda: window_state(driver)  # noqa: E731

    # 1. A silent outage: the two events are gone and Segment's page is green.
    def silent_outage():
        view = incident_view(driver, SHOP)
        return view and view["kind"] == "silent_outage" and len(view["drops"]) == 2 and view

    view = wait_until(silent_outage, 60, "the window to list the shop's silent outage with "
                      f"two affected events {DROPPED}", describe=describe)
    assert view["kindTag"] == "Silent outage", view
    assert view["title"].startswith(f"{SHOP_NAME}: silent outage"), view
    assert_drops_shown(view)
    assert view["cause"] is None, view
    assert len(view["checklist"]) == len(CHECKLIST_TOPICS), view
    for topic, item in zip(CHECKLIST_TOPICS, view["checklist"]):
        assert item.startswith(topic), view["checklist"]
    shop_id = view["id"]

    # The monitors list: the latest hour per event type, with how soon a silence shows.
    streams = wait_until(lambda: (s := volume_rows(driver, SHOP)) and len(s) == len(EVENTS) + 1
                         and s, 10, "the shop monitor's rows per event type", describe=describe)
    for event in EVENTS:
        state, text = streams[event]
        if event in DROPPED:
            assert state == "silence" and "silent" in text, (event, streams)
        else:
            assert state == "ok" and "a total silence would be alarmed after" in text, \
                (event, streams)
    assert streams["*"][1].startswith("All events"), streams

    # The tray: amber, and a line saying what fell.
    item = wait_until(lambda: tray.item_of(app_pids(app_home)), 30,
                      "the app's tray item to register", describe=lambda: str(tray.items()))
    wait_tray_icon(tray, item, "tray-degraded", 20)
    line_start = f"{SHOP_NAME}: {', '.join(DROPPED)} went silent · "
    wait_until(lambda: any(l.startswith(line_start) for l in menu_labels(tray, item)), 20,
               f"a tray menu line {line_start!r}…",
               describe=lambda: f"menu: {menu_labels(tray, item)}")

    # One notification (from this test's app), which says what to check.
    def shop_notices():
        return [n for n in notices() if n["summary"].startswith(SHOP_NAME)]

    shop_sent = wait_until(shop_notices, 10, "a notification about the shop's silent outage",
                           describe=lambda: f"Notify calls: {notices()}")
    assert len(shop_sent) == 1 and "silent outage" in shop_sent[0]["summary"], shop_sent
    assert "destination credentials" in shop_sent[0]["body"].lower(), shop_sent

    # The CLI reads the same, and nothing else: four weeks of history raised no alarm.
    incidents = cli_incidents(app_home)
    assert [i["id"] for i in incidents] == [int(shop_id)], incidents
    shop = incidents[0]
    assert shop["kind"] == "silent_outage" and shop["cause"] is None, shop
    assert_cli_drops(shop)
    assert [c.split(":")[0] for c in shop["checklist"]] == list(CHECKLIST_TOPICS), shop

    # 2. Segment admits to a partial outage: the same drop now has a likely cause.
    vendor.set_state("partial_outage")
    segment = wait_until(lambda: incident_view(driver, "segment"), 30,
                         "the window to list Segment's incident", describe=describe)

    def linked():
        view = incident_view(driver, SHOP)
        return view and view["kind"] == "volume_drop" and view["cause"] and view

    view = wait_until(linked, 20, "the shop's incident to become a volume drop linked to "
                      f"Segment's incident {segment['id']}", describe=describe)
    assert view["id"] == shop_id, "the drop must stay one incident when its cause appears"
    assert view["kindTag"] == "Volume drop", view
    assert view["cause"]["target"] == segment["id"], view["cause"]
    assert view["cause"]["href"] == f"#incident-{segment['id']}", view["cause"]
    assert view["cause"]["text"] == segment["title"] == "Segment: partial outage", view["cause"]
    assert view["cause"]["line"].startswith("Likely cause:"), view["cause"]
    assert view["checklist"] == [], "a drop with a vendor incident behind it is not silent"
    assert_drops_shown(view)

    # The link stays in the window and brings the cause into focus.
    wait_until(lambda: click(driver, f'#incident-{shop_id} .likely-cause a'), 10,
               "to click the likely cause", describe=describe)
    wait_until(lambda: driver.execute_script("return document.activeElement?.id")
               == f"incident-{segment['id']}", 10, "the cause incident to have focus",
               describe=describe)

    incidents = {i["monitor_id"]: i for i in cli_incidents(app_home)}
    assert set(incidents) == {SHOP, "segment"}, incidents
    shop = incidents[SHOP]
    assert shop["kind"] == "volume_drop" and shop["checklist"] == [], shop
    assert shop["cause"] == {"incident_id": int(segment["id"]), "monitor_id": "segment",
                             "title": "Segment: partial outage"}, shop["cause"]
    assert_cli_drops(shop)
    labels = menu_labels(tray, item)
    assert any(l.startswith(line_start) for l in labels), labels
    assert any(l.startswith("Segment: partial outage · ") for l in labels), labels

    # 3. What it costs: the estimate on the incident, the running totals in the header
    # and the tray, and a report saved from the window.
    figure = wait_until(lambda: driver.execute_script(
        f"return document.querySelector('#incident-{shop_id} "
        ".incident-impact[data-impact=estimate] strong')?.textContent"), 20,
        "the shop incident's estimate in the timeline", describe=describe)
    assert figure.startswith("est. $"), figure
    totals = wait_until(lambda: driver.execute_script(
        "const p = document.getElementById('impact-totals');"
        "return p.hidden ? null : p.textContent"), 20,
        "the header's running impact totals", describe=describe)
    assert totals.startswith("Estimated impact: today $"), totals
    wait_until(lambda: any(l.startswith("Today: est. $") for l in menu_labels(tray, item)), 20,
               "a tray line with today's running total",
               describe=lambda: f"menu: {menu_labels(tray, item)}")
    # In the menu too, the figure comes with its model's inputs.
    wait_until(lambda: any(l.strip().startswith("est. $") and "× $800/h ×" in l
                           for l in menu_labels(tray, item)), 20,
               "a tray line with the shop incident's estimate and its inputs",
               describe=lambda: f"menu: {menu_labels(tray, item)}")

    driver.execute_script("document.getElementById('report-format').value = 'csv'")
    wait_until(lambda: click(driver, "#report-save"), 10, "to click Save report",
               describe=describe)
    status = wait_until(lambda: (t := driver.execute_script(
        "return document.getElementById('report-status').textContent")).startswith("Saved to ")
        and t, 20, "the window to say where the report went", describe=describe)
    path = Path(status.removeprefix("Saved to "))
    # No Downloads folder in this hermetic session: the data directory keeps reports.
    assert path.parent == app_home.data_dir / "reports", path
    assert path.suffix == ".csv" and path.name.startswith("flatline-incidents-"), path
    rows = {r["monitor_id"]: r for r in csv.DictReader(path.open(newline=""))}
    assert set(rows) == {SHOP, "segment"}, rows
    assert float(rows[SHOP]["estimated_impact"]) > 0, rows[SHOP]
    assert rows[SHOP]["impact_model"] == "hourly_rate", rows[SHOP]
    assert sorted(rows[SHOP]["affected"].split("; ")) == sorted(DROPPED), rows[SHOP]
    assert rows[SHOP]["likely_cause"] == f"#{segment['id']} Segment: partial outage", rows[SHOP]
    assert not driver.execute_script("return document.getElementById('report-show').hidden")
