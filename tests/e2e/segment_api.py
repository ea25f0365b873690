"""Segment's Public API on 127.0.0.1: `GET /events/volume`, serving a shop's event counts.

Follows the documented request and answer (/work/shared/reference/segment-events-volume-
api.md): `granularity` MINUTE|HOUR|DAY, `startTime` inclusive, `endTime` exclusive, the
repeated `eventName` filter, `groupBy=eventName`, Bearer auth, and the answer
`{"data": {"path", "query", "result": [{"eventName", "total", "series": [{"time",
"count"}]}], "pagination": {...}}}`. Pages follow the SDKs' `pagination.count` and
`pagination.cursor`. As a group-by does, an event with no events in the window has no row
at all: a reader must take "no row" as zero.

The counts are a shop's: seeded Poisson-sized noise on a daily curve, the same for every
read of a range. For the last `DROP_HOURS` complete hours the `DROPPED` events are zero,
as when a destination stops taking two event types while the vendor's status page stays
green; the shop opened `OPEN_DAYS` days before that.
"""
from __future__ import annotations

import base64
import json
import math
import random
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "e2e-segment-public-api-token"
EVENTS = ("View Content", "Add to Cart", "Initiate Checkout", "Complete Payment")
DROPPED = ("Add to Cart", "Initiate Checkout")
# Events per hour at the daily peak. View Content dominates, so losing the two dropped
# events takes all events together down by about a sixth only: not a drop of its own.
PEAK_PER_HOUR = {"View Content": 1200.0, "Add to Cart": 180.0, "Initiate Checkout": 70.0,
                 "Complete Payment": 35.0}
OPEN_DAYS = 30
DROP_HOURS = 3
# The drop begins on a Tuesday at 14:00 in the shop's day (whatever the UTC time).
DROP_ON_WEEKDAY, DROP_AT_HOUR = 1, 14
# Real counts dip deeper now and then, and a detector may take such a dip for a drop
# (Flatline's is allowed about one false alarm per stream a month; bench/detector
# measures that). This test is about the pipeline, so its history has none: noise is cut
# at 1.5 σ, and then no seed of 40 tried raises any alarm but the two silences. To check:
#   python3 tests/e2e/segment_api.py | target/debug/flatline replay --metrics -
NOISE_CUT = 1.5
SEED = 1
# Complete hours are counted back from this far behind the clock, so that the zero hours
# are complete whatever the reader's lag (Segment recommends one minute).
MAX_LAG = timedelta(minutes=2)
STEP = {"MINUTE": 60, "HOUR": 3600, "DAY": 86_400}
PATH = "/events/volume"


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t.astimezone(timezone.utc) if t.tzinfo else None


def floor(t: datetime, step: int) -> datetime:
    s = int(t.timestamp())
    return datetime.fromtimestamp(s - s % step, timezone.utc)


def shop_shape(k: int) -> float:
    """The share of the peak in the shop's hour `k` (hours since the drop began): a
    quarter of it at 03:00 shop time, all of it at 15:00; weekends a little busier."""
    local = DROP_AT_HOUR + k
    hour, weekday = local % 24, (DROP_ON_WEEKDAY + local // 24) % 7
    shape = 0.25 + 0.75 * (1 - math.cos(2 * math.pi * (hour - 3) / 24)) / 2
    return shape * (1.15 if weekday >= 5 else 1.0)


def noisy(rng: random.Random, lam: float) -> int:
    """A count around `lam` with Poisson-sized noise (σ = √λ), cut at `NOISE_CUT` σ."""
    z = max(-NOISE_CUT, min(NOISE_CUT, rng.gauss(0, 1)))
    return max(0, round(lam + z * math.sqrt(lam)))


class Shop:
    """Counts per event and hour, a function of the hours since the drop began: every run
    serves the same series, shifted to its own clock."""

    def __init__(self, now: datetime) -> None:
        self.drop_start = floor(now - MAX_LAG, 3600) - timedelta(hours=DROP_HOURS)
        self.opened = self.drop_start - timedelta(days=OPEN_DAYS)

    def hour_count(self, event: str, hour: datetime) -> int:
        k = int((hour - self.drop_start).total_seconds()) // 3600
        if hour < self.opened or (event in DROPPED and k >= 0):
            return 0
        rng = random.Random(f"{SEED}|{event}|{k}")  # str seeds are stable across runs
        return noisy(rng, PEAK_PER_HOUR[event] * shop_shape(k))

    def count(self, event: str, start: datetime, step: int) -> int:
        if step >= 3600:
            return sum(self.hour_count(event, start + timedelta(hours=h))
                       for h in range(step // 3600))
        # Minutes: the hour's count spread evenly, the remainder on its first minutes.
        hour = floor(start, 3600)
        total, minute = self.hour_count(event, hour), int((start - hour).total_seconds()) // 60
        share, rest = divmod(total, 60)
        return sum(share + (1 if m < rest else 0) for m in range(minute, minute + step // 60))


class SegmentApi:
    """Serves `GET /events/volume` on 127.0.0.1 (a free port) until `close()`."""

    def __init__(self, now: datetime | None = None) -> None:
        self.shop = Shop(now or datetime.now(timezone.utc))
        self._lock = threading.Lock()
        self.requests: list[tuple[int, str]] = []  # (status, path with query)
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                status, doc = api.answer(self.path, self.headers.get("Authorization"))
                with api._lock:
                    api.requests.append((status, self.path))
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # keep pytest's output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="segment-api",
                                        daemon=True)
        self._thread.start()

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict]:
        url = urlsplit(path)
        if url.path != PATH:
            return 404, error("not_found", "Resource not found")
        if authorization != f"Bearer {TOKEN}":
            return 401, error("unauthorized", "the request needs a valid Public API token")
        q = parse_qs(url.query)
        one = lambda key: (q.get(key) or [""])[-1]  # noqa: E731
        granularity, start, end = one("granularity"), parse_time(one("startTime")), \
            parse_time(one("endTime"))
        if granularity not in STEP:
            return 422, error("validation", f"granularity must be one of {sorted(STEP)}")
        if start is None or end is None or end <= start:
            return 422, error("validation", "startTime and endTime must be ISO 8601 times, "
                              "startTime before endTime")
        group_by = [g for v in q.get("groupBy", []) for g in v.split(",") if g]
        names = q.get("eventName") or list(EVENTS)
        try:
            count = int(one("pagination.count") or 100)
            offset = int(base64.b64decode(one("pagination.cursor") or "MA==").decode())
        except ValueError:
            return 422, error("validation", "bad pagination")
        if not 1 <= count <= 1000:
            return 422, error("validation", "pagination.count must be 1 to 1000")

        step = STEP[granularity]
        times, t = [], floor(start, step)
        if t < start:
            t += timedelta(seconds=step)
        while t < end:
            times.append(t)
            t += timedelta(seconds=step)
        series = {e: [self.shop.count(e, t, step) for t in times] for e in EVENTS if e in names}
        if "eventName" in group_by:
            rows = [{"eventName": e, "total": sum(c),
                     "series": [{"time": iso(t), "count": n} for t, n in zip(times, c)]}
                    for e, c in sorted(series.items()) if sum(c) > 0]
        else:  # no grouping: one row of every matching event together
            totals = [sum(c) for c in zip(*series.values())] if series else []
            rows = [{"total": sum(totals),
                     "series": [{"time": iso(t), "count": n} for t, n in zip(times, totals)]}]
        page = rows[offset:offset + count]
        more = offset + count < len(rows)
        query = {"workspaceId": "e2e-workspace", "granularity": granularity,
                 "startTime": iso(start), "endTime": iso(end), "groupBy": group_by,
                 "eventName": q.get("eventName", [])}
        return 200, {"data": {
            "path": "/observability/event_volume/v2.json",
            "query": query,
            "result": page,
            "pagination": {"current": cursor(offset), "next": cursor(offset + count) if more
                           else None, "previous": cursor(max(0, offset - count)) if offset
                           else None, "totalEntries": len(rows)},
        }}

    def log(self) -> str:
        with self._lock:
            return "\n".join(f"{status} {path}" for status, path in self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def error(kind: str, message: str) -> dict:
    """Segment's error envelope."""
    return {"errors": [{"type": kind, "message": message}]}


if __name__ == "__main__":
    # The hours the e2e test's first read covers (history_days = 28, one minute of lag),
    # as the CSV `flatline replay` takes.
    now = datetime.now(timezone.utc)
    shop, until = Shop(now), floor(now - timedelta(minutes=1), 3600)
    print("timestamp,event,count")
    t = floor(now - timedelta(days=28), 3600) + timedelta(hours=1)
    while t < until:
        for event in EVENTS:
            print(f"{iso(t)},{event},{shop.count(event, t, 3600)}")
        t += timedelta(hours=1)
