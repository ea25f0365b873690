"""A vendor's status page on 127.0.0.1: Atlassian Statuspage's public
`/api/v2/summary.json`, as Segment serves it, in a thread of the test process.

The document follows Statuspage's documented schema (page, components with groups,
incidents with incident_updates, scheduled_maintenances, status.indicator) and can be
flipped between "all operational" and "partial outage of Connections (Destinations)".
"""
from __future__ import annotations

import copy
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE_ID = "e2eseg00page"
GROUP_ID = "e2egrpconnect"
DESTINATIONS_ID = "e2edestinatns"
PERSONAS_ID = "e2epersonas01"
TRACKING_ID = "e2etrackapi01"
INCIDENT_ID = "e2einctiktok1"

INCIDENT_NAME = "Delays delivering to TikTok destination"
# Statuspage update bodies are HTML-ish text. The engine turns them into plain text
# once (tags stripped, entities decoded); the window must then show that text as text.
# The escaped tag must come out as the literal string below; the raw tag must be
# dropped; `&amp;` must become `&`.
XSS_TEXT = "<img src=x onerror=alert(1)>"
UPDATE_BODY = (
    "We are investigating delays delivering events to the TikTok destination. "
    "Add to Cart &amp; Initiate Checkout events are affected. "
    "Reported payload: &lt;img src=x onerror=alert(1)&gt; "
    "<img src=x onerror=alert(1)>"
)
UPDATE_TEXT_PARTS = (
    "Add to Cart & Initiate Checkout events are affected.",
    "Reported payload: " + XSS_TEXT,
)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _component(cid, name, status, position, group_id=None, group=False, children=None, updated=None):
    c = {
        "id": cid,
        "name": name,
        "status": status,
        "created_at": "2019-03-04T18:21:42.126Z",
        "updated_at": updated,
        "position": position,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": group_id,
        "page_id": PAGE_ID,
        "group": group,
        "only_show_if_degraded": False,
    }
    if group:
        c["components"] = list(children or [])
    return c


def summary(state: str, base_url: str, now: datetime) -> dict:
    """The summary.json document for `state` ("operational" or "partial_outage")."""
    if state not in ("operational", "partial_outage"):
        raise ValueError(f"unknown vendor state {state!r}")
    updated = _iso(now)
    dest_status = "partial_outage" if state == "partial_outage" else "operational"
    components = [
        _component(GROUP_ID, "Connections", dest_status, 1, group=True,
                   children=[DESTINATIONS_ID], updated=updated),
        _component(DESTINATIONS_ID, "Connections (Destinations)", dest_status, 2,
                   group_id=GROUP_ID, updated=updated),
        _component(PERSONAS_ID, "Personas", "operational", 3, updated=updated),
        _component(TRACKING_ID, "Tracking API", "operational", 4, updated=updated),
    ]
    incidents = []
    status = {"indicator": "none", "description": "All Systems Operational"}
    if state == "partial_outage":
        status = {"indicator": "minor", "description": "Partial System Outage"}
        destinations = copy.deepcopy(components[1])
        incidents.append({
            "id": INCIDENT_ID,
            "name": INCIDENT_NAME,
            "status": "investigating",
            "created_at": updated,
            "updated_at": updated,
            "monitoring_at": None,
            "resolved_at": None,
            "impact": "minor",
            "shortlink": f"{base_url}/incidents/{INCIDENT_ID}",
            "started_at": updated,
            "page_id": PAGE_ID,
            "incident_updates": [{
                "id": "e2eupdate0001",
                "status": "investigating",
                "body": UPDATE_BODY,
                "incident_id": INCIDENT_ID,
                "created_at": updated,
                "updated_at": updated,
                "display_at": updated,
                "affected_components": [{
                    "code": DESTINATIONS_ID,
                    "name": "Connections (Destinations)",
                    "old_status": "operational",
                    "new_status": "partial_outage",
                }],
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }],
            "components": [destinations],
        })
    return {
        "page": {
            "id": PAGE_ID,
            "name": "Segment",
            "url": base_url,
            "time_zone": "Etc/UTC",
            "updated_at": updated,
        },
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": [],
        "status": status,
    }


class StatuspageVendor:
    """Serves /api/v2/summary.json on 127.0.0.1 (a free port) until `close()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "operational"
        self._since = datetime.now(timezone.utc)
        self._requests: list[tuple[float, str, str]] = []  # (monotonic time, state, path)
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                import time
                with vendor._lock:
                    state, since = vendor._state, vendor._since
                    vendor._requests.append((time.monotonic(), state, self.path))
                if self.path.split("?")[0] != "/api/v2/summary.json":
                    body = b'{"error":"Not found"}'
                    self.send_response(404)
                else:
                    body = json.dumps(summary(state, vendor.base_url, since)).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # keep pytest's output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="vendor",
                                        daemon=True)
        self._thread.start()

    def set_state(self, state: str) -> None:
        summary(state, self.base_url, datetime.now(timezone.utc))  # validates the name
        with self._lock:
            if state != self._state:
                self._state = state
                self._since = datetime.now(timezone.utc)

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    def requests_since(self, t: float, state: str | None = None) -> int:
        """How many summary requests arrived after monotonic time `t` (in `state`)."""
        with self._lock:
            return sum(1 for at, s, path in self._requests
                       if at >= t and (state is None or s == state)
                       and path.startswith("/api/v2/summary.json"))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
