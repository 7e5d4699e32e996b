"""Nothing acknowledged is ever lost: a failed commit (injected, failed by the server at COMMIT, or a real full disk)
is never answered "stored", an unexpected storage error is never answered as a link state, and both are logged with
their cause. On both engines (``fresh_target``), except the full disk, which is about DuckDB's own file."""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from services import submissions
from settings import now
from sharing.states import LinkState
from storage import orgs
from storage.db import Database, open_database
from storage.dialects import PostgresCursor
from tests.sharing.sharing_fixtures import make_link, publish

ANSWERS = {"overall": 4, "services": {"water": 5, "power": 3}, "comment": "ok"}
ENOSPC = 'TransactionContext Error: Failed to commit: Could not write file "minyi.duckdb.wal": No space left on device'


def _disk_full(cur) -> BaseException:
    """The error the engine behind ``cur`` raises when a COMMIT finds the disk full."""
    if isinstance(cur, PostgresCursor):
        import psycopg

        return psycopg.errors.DiskFull('could not extend file "base/16384/16385": No space left on device')
    return duckdb.TransactionException(ENOSPC)


class _CommitFailingCursor:
    """A cursor whose COMMIT fails as the engine's does on a full disk: the transaction ends, nothing is kept."""

    def __init__(self, cur, fail: Callable[[], bool]) -> None:
        self._cur = cur
        self._fail = fail

    def execute(self, sql: str, *params):
        if sql.strip().upper() == "COMMIT" and self._fail():
            self._cur.execute("ROLLBACK")
            raise _disk_full(self._cur)
        return self._cur.execute(sql, *params)

    def __getattr__(self, name: str):
        return getattr(self._cur, name)


def fail_commits(db: Database, monkeypatch: pytest.MonkeyPatch, fail: Callable[[int], bool]) -> list[int]:
    """Make the n-th COMMIT on ``db`` (counted from 0) fail when ``fail(n)``; returns the list of failed n."""
    counter = itertools.count()
    lock = threading.Lock()
    failed: list[int] = []
    real_cursor = db.cursor

    def decide() -> bool:
        with lock:
            n = next(counter)
            if fail(n):
                failed.append(n)
                return True
            return False

    @contextmanager
    def cursor() -> Iterator[_CommitFailingCursor]:
        with real_cursor() as cur:
            yield _CommitFailingCursor(cur, decide)

    monkeypatch.setattr(db, "cursor", cursor)
    return failed


def _world(path: Path | str, **link) -> tuple[Database, str, submissions.OpenedLink]:
    db = open_database(path)
    unit = orgs.create_unit(db, "G1", "网格", 4)
    survey_id = publish(db)
    token = make_link(db, survey_id, unit.id, **link)[0]
    return db, token, submissions.open_link(db, token, now())


def _submit_all(db: Database, token: str, opened, keys: list[str], writer) -> dict[str, object]:
    """Every key submitted at once from its own thread; key -> SubmitResult or the exception raised."""
    barrier = threading.Barrier(len(keys))
    outcome: dict[str, object] = {}

    def one(key: str) -> None:
        barrier.wait()
        try:
            outcome[key] = submissions.submit(db, token=token, survey=opened.survey, version=opened.version,
                                              raw=ANSWERS, client_key=key, started_at=None, at=now(), writer=writer)
        except Exception as exc:  # what the fill page turns into "unavailable, your answers are kept"
            outcome[key] = exc

    threads = [threading.Thread(target=one, args=(key,)) for key in keys]
    for th in threads:
        th.start()
    for th in threads:
        th.join(90)
    return outcome


def _acknowledged(outcome: dict[str, object]) -> set[str]:
    return {k for k, r in outcome.items() if isinstance(r, submissions.SubmitResult) and r.accepted}


def _stored(db: Database) -> set[str]:
    return {r[0] for r in db.query("SELECT client_key FROM responses").rows}


def test_group_commit_failing_every_time_thanks_nobody_and_logs_the_cause(fresh_target, monkeypatch, caplog):
    db, token, opened = _world(fresh_target)
    fail_commits(db, monkeypatch, lambda n: True)
    writer = submissions.GroupWriter(db)
    keys = [f"r-{i}" for i in range(30)]
    with caplog.at_level(logging.WARNING):
        outcome = _submit_all(db, token, opened, keys, writer)
    writer.close()
    assert _acknowledged(outcome) == set()
    assert all(isinstance(outcome[k], submissions.SubmitUnavailable) for k in keys)
    assert _stored(db) == set()
    causes = [r for r in caplog.records if "No space left on device" in r.getMessage()]
    # the group commit and every resident's own attempt are logged with the engine's reason
    assert any("group commit" in r.getMessage() for r in causes)
    assert {k for k in keys if any(k in r.getMessage() for r in causes)} == set(keys)
    db.close()


def test_group_commit_failing_now_and_then_acknowledges_exactly_what_is_stored(fresh_target, monkeypatch):
    db, token, opened = _world(fresh_target)
    failing = [True]
    failed = fail_commits(db, monkeypatch, lambda n: failing[0] and n % 2 == 0)  # every other commit, group or single
    writer = submissions.GroupWriter(db)
    keys = [f"r-{i}" for i in range(60)]
    outcome = _submit_all(db, token, opened, keys, writer)
    writer.close()
    assert failed
    assert _acknowledged(outcome) == _stored(db)
    refused = [r for r in outcome.values() if isinstance(r, submissions.SubmitResult) and not r.accepted]
    assert refused == []  # a failed commit is never a state of the link
    # the others were told "unavailable" and their answers kept: pressing Submit again stores each once
    retry = [k for k in keys if k not in _acknowledged(outcome)]
    failing[0] = False
    writer = submissions.GroupWriter(db)
    again = _submit_all(db, token, opened, retry, writer) if retry else {}
    writer.close()
    assert _acknowledged(again) == set(retry)
    assert db.query("SELECT count(*), count(DISTINCT client_key) FROM responses").first() == (60, 60)
    db.close()


def test_failed_commit_on_its_own_is_unavailable_never_capped(fresh_target, monkeypatch, caplog):
    db, token, opened = _world(fresh_target, response_cap=100)
    fail_commits(db, monkeypatch, lambda n: True)
    with caplog.at_level(logging.ERROR), pytest.raises(submissions.SubmitUnavailable):
        submissions.submit(db, token=token, survey=opened.survey, version=opened.version, raw=ANSWERS,
                           client_key="k1", started_at=None, at=now())
    assert any("No space left on device" in r.getMessage() for r in caplog.records)
    assert _stored(db) == set()
    db.close()


def test_a_duplicate_id_is_unavailable_and_logged_not_reported_as_a_full_link(fresh_target, caplog):
    """A bulk load that inserted explicit ids and stopped before moving the sequence on: the next insert takes an id
    a row already has. That is a storage fault, not "this link has received as many answers as it accepts"."""
    db, token, opened = _world(fresh_target)
    next_id = db.dialect.sequence_last_values(db)["responses_id_seq"] + 1
    db.execute("INSERT INTO responses (id, client_key, survey_id, survey_version, org_unit_id, channel, submitted_at)"
               " SELECT ?, 'bulk-row', survey_id, 1, org_unit_id, 'link', now() FROM share_links WHERE token = ?",
               [next_id, token])
    with caplog.at_level(logging.ERROR), pytest.raises(submissions.SubmitUnavailable):
        submissions.submit(db, token=token, survey=opened.survey, version=opened.version, raw=ANSWERS,
                           client_key="resident", started_at=None, at=now())
    assert any("resident" in r.getMessage() and "duplicate key" in r.getMessage().lower() for r in caplog.records)
    db.close()
    # reopening moves the sequence past the rows: the same resident's retry is stored
    db = open_database(fresh_target)
    result = submissions.submit(db, token=token, survey=opened.survey, version=opened.version, raw=ANSWERS,
                                client_key="resident", started_at=None, at=now())
    assert result.status == "stored" and result.state is LinkState.OK
    db.close()


# --- a real full filesystem ---------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 16 MiB tmpfs mounted for this test (needs root and mount(2); skipped where the sandbox refuses it)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill_up(folder: Path) -> Path:
    """Write a file until the filesystem has no byte left (ENOSPC), then return it."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 16, 1 << 12, 512, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == 28  # ENOSPC
    return filler


def test_full_disk_acknowledges_only_what_survives_a_reopen(small_disk, caplog):
    path = small_disk / "minyi.duckdb"
    db, token, opened = _world(path)
    db.execute("CHECKPOINT")  # the write-ahead log is empty: the next commit must allocate space
    filler = _fill_up(small_disk)
    keys = [f"full-{i}" for i in range(24)]
    writer = submissions.GroupWriter(db)
    with caplog.at_level(logging.WARNING):
        outcome = _submit_all(db, token, opened, keys, writer)
    during = _acknowledged(outcome)
    assert during == _stored(db)
    assert all(isinstance(r, submissions.SubmitUnavailable) for k, r in outcome.items() if k not in during)
    assert len(during) < len(keys)  # the disk really was full
    assert any("No space left on device" in r.getMessage() for r in caplog.records)
    # space comes back; the residents told "answers kept" press Submit again
    filler.unlink()
    again = _submit_all(db, token, opened, [k for k in keys if k not in during], writer)
    writer.close()
    assert _acknowledged(again) == set(keys) - during
    db.close()
    db = open_database(path)
    assert _stored(db) == set(keys)
    assert db.query("SELECT count(*) FROM answers").single_value() == 4 * len(keys)
    db.close()


# --- what the resident sees -----------------------------------------------------------------------------------------


def test_fill_page_keeps_the_answers_and_says_unavailable_when_the_commit_fails(app_db, monkeypatch):
    from tests.conftest import page_test
    from tests.sharing.test_fill_page import THANKS, _fill_page_two, _key

    import ui.survey_form

    monkeypatch.setattr(ui.survey_form, "ONE_SCREEN_MAX_QUESTIONS", 3)
    unit = orgs.create_unit(app_db, "C1", "幸福社区", 3)
    token = make_link(app_db, publish(app_db), unit.id)[0]
    failing = [True]
    fail_commits(app_db, monkeypatch, lambda n: failing[0])
    at = page_test("pages/fill.py", t=token)
    at.run()
    at.radio(key=_key(token, "overall")).set_value(5)
    at.button(key="fill.forward").click().run()
    _fill_page_two(at, token)
    at.button(key="fill.forward").click().run()
    assert not at.exception
    assert not at.success  # no thank-you: nothing was stored
    assert [w.value for w in at.warning] == ["系统繁忙，暂时无法提交。您的回答已保留，请稍后再点“提交”。"]
    assert at.radio(key=_key(token, "recommend")).value == 9  # the answers are still on screen
    assert app_db.query("SELECT count(*) FROM responses").single_value() == 0
    failing[0] = False  # the disk has room again; the resident presses Submit once more
    at.button(key="fill.forward").click().run()
    assert at.success[0].value == THANKS
    assert app_db.query("SELECT count(*) FROM answers a JOIN responses r ON r.id = a.response_id"
                        " WHERE r.link_token = ? AND a.question_id = 'recommend' AND a.value_num = 9",
                        [token]).single_value() == 1


def test_fill_page_says_it_cannot_open_the_survey_when_storage_fails_and_logs_why(app_db, monkeypatch, caplog):
    from storage import links as link_store
    from tests.conftest import page_test

    unit = orgs.create_unit(app_db, "C1", "幸福社区", 3)
    token = make_link(app_db, publish(app_db), unit.id)[0]

    def broken(*args, **kwargs):
        raise duckdb.IOException('IO Error: Could not read from file "minyi.duckdb": Input/output error')

    monkeypatch.setattr(link_store, "get_link", broken)
    with caplog.at_level(logging.ERROR):
        at = page_test("pages/fill.py", t=token)
        at.run()
    assert not at.exception  # no traceback for a resident
    assert [e.value for e in at.error] == ["系统暂时无法打开问卷，请稍后再试。"]
    assert any(token in r.getMessage() and "Input/output error" in r.getMessage() for r in caplog.records)


# --- a COMMIT the PostgreSQL server itself refuses -------------------------------------------------------------------


def _refuse_commits_of(db: Database, pattern: str) -> None:
    """From now on the server fails, at COMMIT, every transaction that inserted a response whose client key is LIKE
    ``pattern`` (a deferred constraint trigger: the statements all succeed, the COMMIT does not, nothing is kept)."""
    db.execute("CREATE TABLE _refused_keys (pattern VARCHAR)")
    db.execute("INSERT INTO _refused_keys VALUES (?)", [pattern])
    db.execute("""CREATE FUNCTION _refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $fn$
                  BEGIN
                    IF EXISTS (SELECT 1 FROM _refused_keys k WHERE NEW.client_key LIKE k.pattern) THEN
                      RAISE EXCEPTION 'could not write to file "pg_wal/xlogtemp": No space left on device'
                        USING ERRCODE = 'disk_full';
                    END IF;
                    RETURN NULL;
                  END $fn$""")
    db.execute("CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON responses"
               " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION _refuse_at_commit()")


@pytest.mark.postgres
def test_a_group_commit_the_postgres_server_refuses_thanks_only_what_it_kept(fresh_target, caplog):
    """Every statement of the group transaction succeeds; the server fails its COMMIT. Nobody of that group may have
    been thanked yet: each response is then stored on its own, and exactly the ones the server kept are thanked."""
    db, token, opened = _world(fresh_target)
    _refuse_commits_of(db, "bad-%")
    writer = submissions.GroupWriter(db)
    keys = [f"good-{i}" for i in range(20)] + [f"bad-{i}" for i in range(10)]
    with caplog.at_level(logging.WARNING):
        outcome = _submit_all(db, token, opened, keys, writer)
    writer.close()
    assert _acknowledged(outcome) == _stored(db) == {k for k in keys if k.startswith("good-")}
    assert all(isinstance(outcome[k], submissions.SubmitUnavailable) for k in keys if k.startswith("bad-"))
    assert any("No space left on device" in r.getMessage() for r in caplog.records)
    assert db.query("SELECT count(*) FROM answers").single_value() == 4 * 20
    db.execute("DELETE FROM _refused_keys")  # space again: the residents told "answers kept" press Submit once more
    writer = submissions.GroupWriter(db)
    again = _submit_all(db, token, opened, [k for k in keys if k.startswith("bad-")], writer)
    writer.close()
    assert _acknowledged(again) == {k for k in keys if k.startswith("bad-")}
    assert db.query("SELECT count(*), count(DISTINCT client_key) FROM responses").first() == (30, 30)
    db.close()
