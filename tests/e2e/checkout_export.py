"""The shop's checkout export, a CSV file the app reads (monitor kind `csv`): three
weeks of minute buckets in which "Complete Payment" went dark for 48 minutes and has
been back for the last 12. Counts are exact and flat (20 "Add to Cart" and 1 "Complete
Payment" a minute), so what the detector makes of them does not hang on the time of
day the test runs or on a random draw:
- the silence is alerted after 12 of its minutes (1 nat of evidence a minute against
  a threshold of ln(43,200) + 1);
- the file's last minute may still grow, so 11 minutes back are judged; half way to
  calling the silence over takes 9 (0.5 nat a minute, "back" against "still at a
  third"), the whole way 17.
So the app shows payments flowing again for 11 minutes, and the incident still open.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

EVENTS = ("Add to Cart", "Complete Payment")
RETURNED = "Complete Payment"
DARK_MINUTES, BACK_MINUTES = 48, 12
# Of the minutes back, the last is the file's newest bucket: not yet complete.
BACK_JUDGED_MINUTES = BACK_MINUTES - 1
HISTORY = timedelta(days=21)


def write(path: Path, now: datetime) -> None:
    """The export as the job would have left it a minute before `now`."""
    end = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    lines = ["timestamp,event,count"]
    t = end - HISTORY
    while t <= end:
        ago = (end - t) // timedelta(minutes=1)
        paid = 0 if BACK_MINUTES <= ago < BACK_MINUTES + DARK_MINUTES else 1
        stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        lines += [f"{stamp},Add to Cart,20", f"{stamp},{RETURNED},{paid}"]
        t += timedelta(minutes=1)
    path.write_text("\n".join(lines) + "\n")
