"""The one source of "now" for the web app and the worker.

Everything that decides by time (booking windows, reminder due times, waitlist holds) asks
:func:`utcnow`. Tests move time forward across processes by writing an offset in seconds to the
file named by ``BAZAAR_CLOCK_OFFSET_FILE``; in production that variable is unset.
"""

import os
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    now = datetime.now(UTC)
    path = os.environ.get("BAZAAR_CLOCK_OFFSET_FILE")
    if path:
        try:
            with open(path) as f:
                now += timedelta(seconds=float(f.read().strip() or 0))
        except FileNotFoundError:
            pass
    return now
