"""The incident detail window end to end, on the volume scenario of test_volume.py: the
shop's "Add to Cart" and "Initiate Checkout" have been zero for three hours while
Segment's status page is green.

From the timeline's "Details" button, the real app opens the silent outage in a window
of its own (WebDriver switches to it): a uPlot chart per affected event type with the
incident window shaded, zoom buttons that change the x range, the impact figure, and a
text alternative. When Segment then admits to a partial outage, the open detail window
picks up the likely cause by itself (engine events, no reload); its button opens the
vendor incident's window, whose updates are shown as text, and which takes an
acknowledgement that the timeline shows too.
"""
from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

from segment_api import DROPPED
from util import ACK_USER, wait_until
from vendor import UPDATE_TEXT_PARTS, XSS_TEXT
from views import (cli_incidents, click, detail_state, detail_view, incident_view,
                   open_window_from, viewable_window, window_state)

pytestmark = pytest.mark.shop_volume

SHOP = "shop"
DAY = 24 * 3600
NOTE = "Replaying the TikTok events <b>now</b>"
# A local time ends with its zone: an abbreviation ("CET", "UTC") or an offset ("GMT+1").
ZONED = re.compile(r"\d\d:\d\d(\s*[AP]M)?\s+(UTC|GMT([+−-]\d{1,2}(:\d\d)?)?|[A-Z]{2,5}|[+−-]\d\d:?\d\d)$")


def unix(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp())


def assert_chart(view: dict, events: tuple[str, ...], shaded: bool = True) -> None:
    """One drawn uPlot canvas per event type, each with the incident window shaded
    (unless the incident is too recent to show at this zoom)."""
    assert view["chartShown"] and view["chart"], view
    chart = view["chart"]
    assert chart["role"] == "img" and chart["label"].startswith("Event counts per hour"), chart
    for event in events:
        assert event in chart["label"], (event, chart["label"])
    panels = {p["event"]: p for p in chart["panels"]}
    assert sorted(panels) == sorted(events), chart["panels"]
    for event, p in panels.items():
        assert p["canvases"] == 1 and p["width"] > 200 and p["height"] > 100, p
        assert p["painted"] > 1000, f"nothing drawn on the canvas of {event}: {p}"
        assert p["shade"], f"the shading hook did not run on {event}: {p}"
        if not shaded:
            continue
        x0, x1, top, bottom = map(int, p["shade"].split(","))
        assert x1 > x0 and bottom > top, p["shade"]
        # Shaded: painted inside the window; left of it the same rows are blank (bar
        # a grid line).
        tinted = [px for px in p["inside"] if px[3] > 0]
        blank = [px for px in p["outside"] if px[3] == 0]
        assert len(tinted) >= 4, f"the incident window of {event} is not shaded: {p['inside']}"
        assert len(blank) >= 3, f"the shading of {event} spills left: {p['outside']}"
    # The text alternative: expected against observed per event type.
    totals = {row[0]: row[1:] for row in chart["totals"]}
    assert sorted(totals) == sorted(events), chart["totals"]


def assert_impact(view: dict, incident: dict) -> None:
    """The figure is there; once the engine estimates, it is a dollar figure."""
    impact = view["impact"]
    assert impact is not None, "no #impact-figure"
    if incident.get("impact") is None and impact["state"] == "none":
        assert impact["figure"] == "No estimate yet", impact
        return
    assert impact["state"] == "estimate", impact
    assert impact["figure"].startswith("est. $"), impact
    assert "$0" != impact["figure"].removeprefix("est. ").strip(), impact


def test_detail_window_charts_links_and_acknowledges(
        vendor, segment_api, app_home, tray, window):
    driver = window
    timeline = driver.current_window_handle
    describe = lambda: window_state(driver)  # noqa: E731

    def silent_outage():
        view = incident_view(driver, SHOP)
        return view and view["kind"] == "silent_outage" and len(view["drops"]) == 2 and view

    shop = wait_until(silent_outage, 60, "the timeline to list the shop's silent outage",
                      describe=describe)
    shop_id = shop["id"]
    stored = {i["id"]: i for i in cli_incidents(app_home)}[int(shop_id)]
    start = unix(stored["started_at"])

    # 1. "Details" opens the incident's own window.
    handle = open_window_from(driver, f"#incident-{shop_id} .details-button",
                              f"the detail window of incident {shop_id}")
    d = lambda: detail_state(driver)  # noqa: E731
    assert driver.current_url.endswith(f"/detail.html#{shop_id}"), driver.current_url
    view = detail_view(driver)
    assert view["title"] == f"Flatline — {shop['title']}", view["title"]
    assert view["heading"] == shop["title"], view
    wait_until(lambda: viewable_window(view["title"]), 10,
               f"an X window titled {view['title']!r}")
    facts = view["facts"]
    assert facts["monitor"] == "Shop conversions" and facts["kind"] == "Silent outage", facts
    assert facts["ended"] == "ongoing", facts
    # Local times with their zone stated.
    for key in ("started", "detected"):
        assert ZONED.search(facts[key]), (key, facts[key])
    assert sorted(view["drops"]) == sorted(DROPPED), view

    # The chart: a drawn canvas per affected event type, the incident window shaded.
    view = wait_until(lambda: (v := detail_view(driver)) and v["chart"]
                      and all(p.get("shade") for p in v["chart"]["panels"])
                      and len(v["chart"]["panels"]) == len(DROPPED) and v, 20,
                      "the chart to draw both affected event types", describe=d)
    assert_chart(view, DROPPED)

    # Zoom: the whole ±24 h by default; "Incident" narrows x to the incident.
    chart = view["chart"]
    assert chart["zoom"] == {"Incident": "false", "±24 h": "true"}, chart["zoom"]
    assert chart["xMin"] == start - DAY, (chart["xMin"], start)
    assert abs(chart["xMax"] - time.time()) < 600, chart["xMax"]
    wait_until(lambda: click(driver, '[data-zoom="incident"]'), 5,
               "to click the Incident zoom button")
    zoomed = wait_until(lambda: (c := detail_view(driver)["chart"])["xMin"] == start and c, 5,
                        "the x range to start at the incident", describe=d)
    assert zoomed["zoom"] == {"Incident": "true", "±24 h": "false"}, zoomed["zoom"]
    assert abs(zoomed["xMax"] - time.time()) < 120, "an open incident's range ends now"
    wait_until(lambda: click(driver, '[data-zoom="full"]'), 5, "to click the ±24 h zoom button")
    wait_until(lambda: detail_view(driver)["chart"]["xMin"] == start - DAY, 5,
               "the x range to go back to 24 h before the incident", describe=d)

    # The impact: a figure, or the sentence saying what it lacks; never a made-up $0.
    assert_impact(view, stored)
    if stored.get("impact") is not None:
        wait_until(lambda: detail_view(driver)["impact"]["state"] == "estimate", 30,
                   "the window to show the engine's estimate", describe=d)
        assert_impact(detail_view(driver), stored)
    assert view["cause"] == [] and view["effects"] == [], view

    # 2. Segment admits to a partial outage: the open window finds the cause by itself.
    vendor.set_state("partial_outage")
    view = wait_until(lambda: (v := detail_view(driver))["cause"] and v, 40,
                      "the detail window to show the likely cause, live", describe=d)
    segment_id = view["cause"][0]
    assert view["facts"]["kind"] == "Volume drop", view["facts"]
    assert view["title"] == f"Flatline — {view['heading']}", view
    wait_until(lambda: viewable_window(view["title"]), 10,
               f"the X window to be retitled {view['title']!r}")
    # The vendor's words, from the likely cause, as text.
    view = wait_until(lambda: (v := detail_view(driver))["updates"] and v, 20,
                      "the cause's vendor updates", describe=d)
    assert view["updatesFrom"] and view["updatesFrom"].startswith("From the likely cause"), view
    assert view["updateElements"] == [], f"vendor text became markup: {view['updateElements']}"

    # 3. The cause's button opens the vendor incident's own window.
    open_window_from(driver, '#linked [data-role="cause"] button',
                     f"the detail window of Segment's incident {segment_id}")
    vendor_handle = driver.current_window_handle
    assert driver.current_url.endswith(f"/detail.html#{segment_id}"), driver.current_url
    view = wait_until(lambda: (v := detail_view(driver))["updates"] and v["chart"]
                      and len(v["chart"]["panels"]) == len(DROPPED) and v, 20,
                      "the vendor incident's updates and the chart of what it caused",
                      describe=d)
    assert view["title"] == "Flatline — Segment: partial outage", view["title"]
    assert view["effects"] == [shop_id], view
    body = view["updates"][0]
    for part in UPDATE_TEXT_PARTS:
        assert part in body, (part, body)
    assert XSS_TEXT in body and view["updateElements"] == [], view
    assert not driver.find_elements("css selector", "#updates img"), "vendor HTML was rendered"
    # Its chart is the shop's volume; the vendor's incident began seconds ago, at the
    # chart's right edge.
    assert_chart(view, DROPPED, shaded=False)

    # 4. Acknowledged from this window, with a note (HTML in it stays text); the
    # timeline shows it too.
    driver.find_element("css selector", "#ack .ack-button").click()
    note = driver.find_element("css selector", "#ack textarea[name=note]")
    note.send_keys(NOTE)
    driver.find_element("css selector", "#ack button[type=submit]").click()
    view = wait_until(lambda: (v := detail_view(driver))["ack"] and v, 10,
                      "the acknowledgement in the detail window", describe=d)
    assert view["ack"].startswith(f"Acknowledged by {ACK_USER} at ") and \
        view["ack"].endswith(f": {NOTE}"), view["ack"]

    # Closing a detail window destroys it; the others stay.
    driver.close()
    wait_until(lambda: vendor_handle not in driver.window_handles, 10,
               "the vendor incident's window to go away")
    assert set(driver.window_handles) == {timeline, handle}, driver.window_handles
    driver.switch_to.window(timeline)
    wait_until(lambda: driver.execute_script(
        f"return document.querySelector('#incident-{segment_id}')?.dataset.acknowledged")
        == "true", 10, "the timeline to show the acknowledgement made in the detail window",
        describe=describe)
