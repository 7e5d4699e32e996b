"""The per-link, per-address burst limit on resident submissions, counted in the database so every app process shares it."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import settings as settings_module
from storage import links as link_store
from storage.db import Database

log = logging.getLogger("minyi.limits")


class SubmitLimiter:
    """Both fill paths (pages/fill.py and light/routes.py) ask ``allow`` before a submit; one per process
    (ui/link_resources.limiter()).

    The counts are rows of the database (storage.links.count_burst, one UPSERT per submit), so several app processes
    on one PostgreSQL share one limit per (link, address), and a restart forgets nothing within the minute. Each
    address gets a one-minute window from its first submit: at most ``per_minute`` submissions are accepted in it, so
    any 60 seconds hold at most twice that (the end of one window and the start of the next). This object holds only
    when this process last purged ended windows (every ``PURGE_EVERY_SECONDS``)."""

    WINDOW_SECONDS = 60.0
    PURGE_EVERY_SECONDS = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_purge: float | None = None

    def allow(self, db: Database, token: str, address: str | None, per_minute: int | None,
              at: datetime | None = None) -> bool:
        """Count one submission from ``address`` to link ``token``; False when the address already sent
        ``per_minute`` in its current window. No address (a local test) or no limit: always True. When the count
        cannot be written the submit is let through (logged): the limit never stops a resident on a storage fault,
        and the submit that follows reports the fault itself."""
        if not per_minute or not address:
            return True
        at = settings_module.now() if at is None else at
        try:
            hits = link_store.count_burst(db, token, address, at, self.WINDOW_SECONDS)
        except Exception:
            log.warning("could not count a submission for the burst limit of link %s", token, exc_info=True)
            return True
        self._maybe_purge(db, at)
        return hits <= per_minute

    def _maybe_purge(self, db: Database, at: datetime) -> None:
        with self._lock:
            now = time.monotonic()
            if self._last_purge is not None and now - self._last_purge < self.PURGE_EVERY_SECONDS:
                return
            self._last_purge = now
        try:
            link_store.purge_bursts(db, at, self.WINDOW_SECONDS)
        except Exception:  # a missed purge is done next time; never stops a resident
            log.warning("could not purge ended burst windows", exc_info=True)
