"""An optional per-link, per-client-address submission limit (off unless a link sets one)."""

from __future__ import annotations

import threading
import time
from collections import deque


class SubmissionLimiter:
    """Sliding one-minute windows keyed by (token, address); thread-safe.

    Off by default: shared Wi-Fi and mobile carriers put many residents behind
    one address, so a link only gets a limit when its creator sets one.
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
