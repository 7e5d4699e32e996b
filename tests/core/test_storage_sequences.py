"""Id sequences stay ahead of the rows: a database whose rows got ahead of their sequences (a bulk load stopped by
kill -9) is repaired when opened, for every table that takes ids from a sequence, and the demo load is atomic."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from services import submissions
from settings import now
from storage import audit, bulk, orgs
from storage.db import open_database
from tests.sharing.sharing_fixtures import make_link, publish

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = {"overall": 4, "services": {"water": 5, "power": 3}, "comment": "ok"}


def _submit(db, token: str, key: str) -> submissions.SubmitResult:
    opened = submissions.open_link(db, token, now())
    return submissions.submit(db, token=token, survey=opened.survey, version=opened.version, raw=ANSWERS,
                              client_key=key, started_at=None, at=now())


def test_reopening_moves_every_sequence_past_its_rows_including_tables_added_later(fresh_target, caplog):
    path = fresh_target  # a DuckDB file or a PostgreSQL database
    db = open_database(path)
    # rows written with explicit ids by a load that never moved the sequences on
    db.execute("INSERT INTO org_units (id, level, code, name, path, created_at)"
               " SELECT i, 3, 'U' || i, '社区' || i, '/' || i || '/', now() FROM generate_series(1, 40) t(i)")
    db.execute("INSERT INTO audit_log (id, occurred_at, action) SELECT i, now(), 'bulk' FROM generate_series(1, 30) t(i)")
    # a table a later migration adds, with a sequence of its own: found from the catalogue, not from a list
    db.execute("CREATE SEQUENCE later_things_id_seq START 1")
    db.execute("CREATE TABLE later_things (id BIGINT PRIMARY KEY DEFAULT nextval('later_things_id_seq'), name VARCHAR)")
    db.execute("INSERT INTO later_things (id, name) SELECT i, 'x' FROM generate_series(1, 10) t(i)")
    db.close()

    with caplog.at_level(logging.WARNING, logger="minyi.storage"):
        db = open_database(path)
    unit = orgs.create_unit(db, "NEW", "新社区", 3)
    assert unit.id == 41
    audit.record(db, "after.repair")
    db.execute("INSERT INTO later_things (name) VALUES ('y')")
    assert db.query("SELECT max(id) FROM later_things").single_value() == 11
    warned = " ".join(r.getMessage() for r in caplog.records)
    for sequence in ("org_units_id_seq", "audit_log_id_seq", "later_things_id_seq"):
        assert sequence in warned  # the repair says what it found
    # and residents are served: a new link on the new unit stores a response
    token = make_link(db, publish(db), unit.id)[0]
    assert _submit(db, token, "after-repair").status == "stored"
    db.close()


_KILLED_LOAD = """
import os, signal, sys
sys.path.insert(0, {root!r})
import demo.generate
demo.generate.RESPONSE_CHUNK = 2000  # several chunks, so the kill lands between two of them
from demo import load_demo
from storage.db import open_database

db = open_database(sys.argv[1])
chunks = []

def progress(message):
    if message.startswith("测评答卷"):
        chunks.append(message)
        if len(chunks) == 2:
            os.kill(os.getpid(), signal.SIGKILL)

load_demo(db, households=600, responses=8000, seed=5, progress=progress)
"""


def test_demo_killed_mid_load_leaves_nothing_and_residents_are_served(fresh_target, tmp_path):
    path = fresh_target  # a DuckDB file, or a PostgreSQL database the load COPYs into
    script = tmp_path / "killed_load.py"
    script.write_text(_KILLED_LOAD.format(root=str(ROOT)), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(path)], cwd=ROOT, capture_output=True, timeout=300,
                          env={**os.environ, "MINYI_DB": str(path)})
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]

    db = open_database(path)
    assert not bulk.has_demo_data(db)
    assert db.query("SELECT count(*) FROM responses").single_value() == 0
    assert db.query("SELECT count(*) FROM households").single_value() == 0
    unit = orgs.create_unit(db, "C9", "幸福社区", 3)
    token = make_link(db, publish(db), unit.id)[0]
    assert _submit(db, token, "resident-after-kill").status == "stored"
    db.close()
