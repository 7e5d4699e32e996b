"""The per-link, per-address burst limit on resident submissions, counted in the database so every app process shares it."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import settings as settings_module
from storage import links as link_store
from storage.db import Database

log = logging.getLogger("minyi.limits")


@dataclass
class _Ask:
    db: Database
    token: str
    address: str
    per_minute: int
    at: datetime
    allowed: bool | None = None  # set by the flush that counted it


class SubmitLimiter:
    """Both fill paths (pages/fill.py and light/routes.py) ask ``allow`` before a submit; one per process
    (ui/link_resources.limiter()).

    The counts are rows of the database (storage.links.count_bursts), so several app processes on one PostgreSQL
    share one limit per (link, address), and a restart forgets nothing within the minute. Each address gets a
    one-minute window from its first submit: at most ``per_minute`` submissions are accepted in it, so any 60
    seconds hold at most twice that (the end of one window and the start of the next).

    Asks that arrive while a count is being written wait and are counted together by the next one (one multi-row
    UPSERT, one commit), as the GroupWriter does for responses: a commit costs several milliseconds on DuckDB, and a
    statement per submit would cost every submit that much. This object holds only the asks waiting for it and when
    this process last purged ended windows (every ``PURGE_EVERY_SECONDS``)."""

    WINDOW_SECONDS = 60.0
    PURGE_EVERY_SECONDS = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counted = threading.Condition(self._lock)
        self._pending: list[_Ask] = []
        self._flushing = False
        self._last_purge: float | None = None

    def allow(self, db: Database, token: str, address: str | None, per_minute: int | None,
              at: datetime | None = None) -> bool:
        """Count one submission from ``address`` to link ``token``; False when the address already sent
        ``per_minute`` in its current window. No address (a local test) or no limit: always True. When the count
        cannot be written the submit is let through (logged): the limit never stops a resident on a storage fault,
        and the submit that follows reports the fault itself."""
        if not per_minute or not address:
            return True
        ask = _Ask(db, token, address, per_minute, settings_module.now() if at is None else at)
        with self._lock:
            self._pending.append(ask)
            while ask.allowed is None and self._flushing:
                self._counted.wait()
            if ask.allowed is not None:
                return ask.allowed
            self._flushing = True
            batch, self._pending = self._pending, []
        try:
            self._count(batch)
        finally:
            with self._lock:
                self._flushing = False
                self._counted.notify_all()
        self._maybe_purge(db, ask.at)
        return bool(ask.allowed)

    def _count(self, batch: list[_Ask]) -> None:
        """Write the counts of ``batch`` (per database, one UPSERT) and decide each ask in arrival order."""
        by_db: dict[int, list[_Ask]] = {}
        for ask in batch:
            by_db.setdefault(id(ask.db), []).append(ask)
        for asks in by_db.values():
            keys: dict[tuple[str, str], list[_Ask]] = {}
            for ask in asks:
                keys.setdefault((ask.token, ask.address), []).append(ask)
            try:
                totals = link_store.count_bursts(
                    asks[0].db, [(token, address, len(same), same[0].at) for (token, address), same in keys.items()],
                    self.WINDOW_SECONDS)
            except Exception:
                log.warning("could not count %d submissions for the burst limit", len(asks), exc_info=True)
                totals = {}
            for key, same in keys.items():
                if key not in totals:
                    for ask in same:
                        ask.allowed = True
                    continue
                before = totals[key] - len(same)  # what the window held before this batch
                for n, ask in enumerate(same, start=1):
                    ask.allowed = before + n <= ask.per_minute

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
