"""The per-link, per-address burst limit: counted in the database, so a restart forgets nothing and every app process
on one PostgreSQL shares one limit; on both engines."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import pytest

from services.limits import SubmitLimiter
from sharing.ratelimit import effective_limit
from storage.db import open_database

T0 = datetime(2026, 12, 4, 20, 0, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_limit_is_off_without_a_limit_or_an_address_and_counts_per_link_and_address(db):
    limiter = SubmitLimiter()
    assert all(limiter.allow(db, "tok", "1.2.3.4", None, at(i)) for i in range(100))
    assert all(limiter.allow(db, "tok", None, 2, at(i)) for i in range(100))
    assert limiter.allow(db, "tok", "1.2.3.4", 2, at(0))
    assert limiter.allow(db, "tok", "1.2.3.4", 2, at(1))
    assert not limiter.allow(db, "tok", "1.2.3.4", 2, at(2))
    assert limiter.allow(db, "tok", "5.6.7.8", 2, at(2))  # another address
    assert limiter.allow(db, "other", "1.2.3.4", 2, at(2))  # another link
    assert not limiter.allow(db, "tok", "1.2.3.4", 2, at(59.9))
    assert limiter.allow(db, "tok", "1.2.3.4", 2, at(60.5))  # the window moved on


def test_the_default_is_above_a_community_meeting_and_stops_the_measured_flood(db):
    limiter = SubmitLimiter()
    # 200 residents behind one carrier address answering over the two minutes after a meeting
    assert all(limiter.allow(db, "meeting", "10.1.1.1", effective_limit(None, 120), at(i * 0.6)) for i in range(200))
    # the measured ballot-stuffing run: 607 in 20 s from one address
    accepted = sum(limiter.allow(db, "flood", "10.1.1.1", effective_limit(None, 120), at(i * 20 / 607))
                   for i in range(607))
    assert accepted == 120


def test_a_restarted_process_keeps_counting_where_the_last_one_stopped(db):
    before = SubmitLimiter()
    assert [before.allow(db, "tok", "1.2.3.4", 3, at(i)) for i in range(3)] == [True] * 3
    after = SubmitLimiter()  # the app restarted within the minute: its limiter is new, the counts are not
    assert not after.allow(db, "tok", "1.2.3.4", 3, at(4))


def test_threads_racing_from_one_address_get_exactly_the_limit(db):
    limiter = SubmitLimiter()
    barrier = threading.Barrier(20)
    allowed: list[bool] = []

    def one() -> None:
        barrier.wait()
        allowed.append(limiter.allow(db, "tok", "1.2.3.4", 5, at(1)))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(allowed) == [False] * 15 + [True] * 5


def test_ended_windows_are_purged_and_the_current_ones_kept(db):
    limiter = SubmitLimiter()
    limiter.allow(db, "tok", "1.2.3.4", 5, at(0))  # the first call purges (nothing to purge yet)
    limiter.allow(db, "tok", "5.6.7.8", 5, at(100))
    SubmitLimiter().allow(db, "tok", "9.9.9.9", 5, at(130))  # another process purges: 1.2.3.4's window ended at 60
    rows = db.query("SELECT address, hits FROM link_submit_bursts ORDER BY address").rows
    assert rows == [("5.6.7.8", 1), ("9.9.9.9", 1)]


def test_a_storage_fault_lets_the_resident_through_and_is_logged(db, monkeypatch, caplog):
    from storage import links as link_store

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(link_store, "count_bursts", broken)
    with caplog.at_level(logging.WARNING):
        assert SubmitLimiter().allow(db, "tok", "1.2.3.4", 1, at(0))
    assert any("burst limit" in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.postgres
def test_two_processes_on_one_postgres_share_one_limit(fresh_target):
    """Two Database objects (two pools: what two app processes hold) and two limiters on one PostgreSQL database: a
    flood spread over both processes gets the limit once, not once per process."""
    first, second = open_database(fresh_target), open_database(fresh_target)
    try:
        processes = [(SubmitLimiter(), first), (SubmitLimiter(), second)]
        accepted = [processes[i % 2][0].allow(processes[i % 2][1], "tok", "10.1.1.1", 4, at(i)) for i in range(10)]
        assert accepted == [True] * 4 + [False] * 6
        # and at the same moment, from threads in both processes
        barrier = threading.Barrier(16)
        racing: list[bool] = []

        def one(i: int) -> None:
            limiter, db = processes[i % 2]
            barrier.wait()
            racing.append(limiter.allow(db, "tok2", "10.1.1.1", 6, at(1)))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert sorted(racing) == [False] * 10 + [True] * 6
    finally:
        first.close()
        second.close()
