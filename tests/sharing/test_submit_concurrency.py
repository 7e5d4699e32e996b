"""Storage-level concurrency of link submissions: distinct responses all land, a raced single-use token lands once.

On both engines (``fresh_target``): DuckDB's write-write conflicts and PostgreSQL's REPEATABLE READ serialization
failures and unique-key waits are the races these settle."""

from __future__ import annotations

import threading
from collections import Counter

from services import submissions
from settings import now
from sharing.states import LinkState
from tests.sharing.sharing_fixtures import make_link, publish
from storage import orgs
from storage.db import open_database

ANSWERS = {"overall": 4, "services": {"water": 5, "power": 3}, "comment": "ok"}


def _race(db, token: str, keys: list[str]) -> list[submissions.SubmitResult]:
    opened = submissions.open_link(db, token, now())
    barrier = threading.Barrier(len(keys))
    results: list = [None] * len(keys)

    def one(i: int) -> None:
        barrier.wait()
        results[i] = submissions.submit(db, token=token, survey=opened.survey, version=opened.version, raw=ANSWERS,
                                        client_key=keys[i], started_at=None, at=now())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(keys))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return results


def _world(target: str):
    db = open_database(target)
    unit = orgs.create_unit(db, "G1", "网格", 4)
    return db, unit, publish(db)


def test_fifty_threads_distinct_responses_store_fifty(fresh_target):
    db, unit, survey_id = _world(fresh_target)
    token = make_link(db, survey_id, unit.id)[0]
    results = _race(db, token, [f"key-{i}" for i in range(50)])
    assert Counter(r.status for r in results) == {"stored": 50}
    assert db.query("SELECT count(*), count(DISTINCT client_key) FROM responses").first() == (50, 50)
    # 4 answer rows each: overall, two matrix rows, comment
    assert db.query("SELECT count(*) FROM answers").single_value() == 200
    db.close()


def test_ten_threads_racing_one_single_use_token_store_exactly_one(fresh_target):
    db, unit, survey_id = _world(fresh_target)
    token = make_link(db, survey_id, unit.id, mode="single_use")[0]
    results = _race(db, token, [f"household-{i}" for i in range(10)])
    statuses = Counter((r.status, r.state) for r in results)
    assert statuses == {("stored", LinkState.OK): 1, ("refused", LinkState.USED): 9}
    assert db.query("SELECT count(*) FROM responses WHERE link_token = ?", [token]).single_value() == 1
    assert db.query("SELECT claimed, used_at IS NOT NULL FROM share_links WHERE token = ?", [token]).first() == (1, True)
    db.close()


def test_double_tap_from_two_threads_is_one_response(fresh_target):
    db, unit, survey_id = _world(fresh_target)
    token = make_link(db, survey_id, unit.id, mode="single_use")[0]
    results = _race(db, token, ["same-key"] * 6)
    assert all(r.accepted for r in results)
    assert len({r.response_id for r in results}) == 1
    assert db.query("SELECT count(*) FROM responses").single_value() == 1
    db.close()


def test_cap_is_never_overshot_under_concurrency(fresh_target):
    db, unit, survey_id = _world(fresh_target)
    token = make_link(db, survey_id, unit.id, response_cap=5)[0]
    results = _race(db, token, [f"r-{i}" for i in range(20)])
    stored = db.query("SELECT count(*) FROM responses").single_value()
    assert stored == 5
    assert Counter(r.status for r in results)["stored"] == 5
    assert all(r.state is LinkState.CAPPED for r in results if r.status == "refused")
    db.close()


def test_group_writer_fifty_residents_and_double_taps(fresh_target):
    db, unit, survey_id = _world(fresh_target)
    open_token = make_link(db, survey_id, unit.id)[0]
    single = make_link(db, survey_id, unit.id, mode="single_use")[0]
    writer = submissions.GroupWriter(db)
    opened = submissions.open_link(db, open_token, now())
    keys = [f"open-{i}" for i in range(50)] + ["tap"] * 5
    barrier = threading.Barrier(len(keys) + 10)
    results: dict[int, submissions.SubmitResult] = {}

    def one(i: int, token: str, key: str) -> None:
        barrier.wait()
        results[i] = submissions.submit(db, token=token, survey=opened.survey, version=opened.version, raw=ANSWERS,
                                        client_key=key, started_at=None, at=now(), writer=writer)

    threads = [threading.Thread(target=one, args=(i, open_token, key)) for i, key in enumerate(keys)]
    threads += [threading.Thread(target=one, args=(100 + i, single, f"house-{i}")) for i in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    writer.close()
    assert Counter(results[i].status for i in range(50)) == {"stored": 50}
    taps = [results[i] for i in range(50, 55)]
    assert Counter(r.status for r in taps) == {"stored": 1, "duplicate": 4}
    assert len({r.response_id for r in taps}) == 1
    assert Counter(results[100 + i].status for i in range(10)) == {"stored": 1, "refused": 9}
    assert db.query("SELECT count(*) FROM responses WHERE link_token = ?", [open_token]).single_value() == 51
    assert db.query("SELECT count(*) FROM responses WHERE link_token = ?", [single]).single_value() == 1
    assert db.query("SELECT count(*) FROM answers").single_value() == 52 * 4
    # every stored response kept its own answers
    assert db.query("SELECT count(*) FROM (SELECT response_id FROM answers GROUP BY response_id HAVING count(*) <> 4) AS t"
                    ).single_value() == 0
    db.close()
