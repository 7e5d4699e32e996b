"""The per-link, per-client-address burst limit on submissions: on by default, each link may set its own."""

from __future__ import annotations

import threading
import time
from collections import deque


def effective_limit(link_limit: int | None, default_per_minute: int) -> int:
    """Submissions per minute one address may send to a link: the link's own
    limit when its creator set one (higher for a big meeting, lower for a
    small group), else the deployment default (MINYI_LINK_BURST_PER_MINUTE).

    Why a default of 120: a community meeting of a few hundred residents who
    answer together on one carrier address spreads its submits over the two
    minutes the survey takes, well under 120 in any minute; the measured
    ballot-stuffing run sent 607 in 20 seconds (~1,800 a minute)."""
    return link_limit if link_limit is not None and link_limit > 0 else default_per_minute


class SubmissionLimiter:
    """Sliding one-minute windows keyed by (token, address); thread-safe.

    Every link is limited (effective_limit): one address flooding an open
    link is bounded, while the default stays above what a whole community
    behind one carrier address sends when it answers together after a meeting.
    """

    WINDOW_SECONDS = 60.0
    MAX_KEYS = 50_000  # bounded memory: the oldest windows are dropped first

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def allow(self, token: str, address: str | None, per_minute: int | None, now: float | None = None) -> bool:
        """Count one submission; False when this address already used its quota."""
        if not per_minute or not address:
            return True
        now = time.monotonic() if now is None else now
        key = (token, address)
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.MAX_KEYS:
                    self._hits.pop(next(iter(self._hits)))
                hits = self._hits[key] = deque()
            while hits and now - hits[0] >= self.WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= per_minute:
                return False
            hits.append(now)
            return True
