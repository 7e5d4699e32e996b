"""The background refresher that keeps the dashboard rollups folded and the kept problems current while the app runs."""

from __future__ import annotations

import atexit
import logging
import threading

from analytics import problem_table
from storage import analytics
from storage.db import Database

log = logging.getLogger(__name__)


class RollupRefresher(threading.Thread):
    """Folds new responses into the rollups every ``every`` seconds, in one short transaction each, so the
    dashboards' queries read rollup + a small tail; writers never wait on a dashboard's re-aggregation. Also
    brings the problems kept in memory up to date (analytics.problem_table), so a leader's refresh after a
    problem changed seldom patches them itself."""

    def __init__(self, db: Database, every: float = 3.0) -> None:
        super().__init__(name="minyi-rollup-refresher", daemon=True)
        self.db = db
        self.every = every
        self.stopped = threading.Event()
        self.last_result: analytics.RefreshResult | None = None
        # A daemon thread still inside DuckDB at interpreter exit aborts the process: stop it first.
        atexit.register(self.stop, wait=True)

    def run(self) -> None:
        while not self.stopped.is_set():
            if getattr(self.db, "_closed", False):
                return
            try:
                self.last_result = analytics.refresh_rollups(self.db)
            except Exception:  # noqa: BLE001 - a failed fold is retried; the dashboards stay exact via the tail
                if getattr(self.db, "_closed", False):
                    return
                log.warning("rollup refresh failed; retrying", exc_info=True)
            try:
                problem_table.current(self.db)
            except Exception:  # noqa: BLE001 - the dashboards bring the problems up to date themselves
                if getattr(self.db, "_closed", False):
                    return
                log.warning("keeping the problems current failed; retrying", exc_info=True)
            self.stopped.wait(self.every)

    def stop(self, wait: bool = False) -> None:
        self.stopped.set()
        if wait and self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=30)

