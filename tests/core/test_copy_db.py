"""manage.py copy-db: a district moved between DuckDB and PostgreSQL keeps every row and figure, and what it refuses."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import settings
from cli.main import main as cli_main
from services.startup import prepare
from storage import copy, credibility, downloads, orgs
from storage.db import IncompleteCopy, open_database
from tests.conftest import PG_BASE, _pg_admin, page_test, pg_url

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, db: str = "", timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "MINYI_SECRET": "s"}
    if db:
        env["MINYI_DB"] = db
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file holding a small demo district, plus a stored export (a BLOB) and a credibility flag (a list)."""
    from demo import load_demo

    file = tmp_path_factory.mktemp("district") / "district.duckdb"
    db = open_database(file)
    prepare(db, settings.load({"MINYI_DB": str(file), "MINYI_SECRET": "s"}))
    load_demo(db, households=120, seed=5, today=dt.date(2026, 11, 30))
    unit = orgs.roots(db)[0]
    user_id = db.query("SELECT min(id) FROM users").single_value()
    downloads.issue_ticket(db, user_id, "名单.xlsx", "application/octet-stream", bytes(range(256)) * 3, minutes=10**6)
    credibility.raise_flags(db, copy_scope(), [credibility.NewFlag("same_text", unit.id, "response", (3, 1, 2),
                                                                   "cred.same_text", {"n": 3})], dt.datetime.now())
    db.close()
    return file


def copy_scope():
    from storage.db import Scope

    return Scope.everything()


@pytest.fixture
def source(district: Path, tmp_path: Path) -> str:
    """This test's own copy of the district file."""
    file = tmp_path / "source.duckdb"
    shutil.copy(district, file)
    return str(file)


@pytest.fixture
def empty_target(fresh_target: str, tmp_path: Path):
    """An empty database to copy into: a new PostgreSQL database on the test cluster, or a new DuckDB file."""
    if PG_BASE is None:
        yield str(tmp_path / "copy" / "target.duckdb")
        return
    name = fresh_target.rsplit("/", 1)[1] + "_empty"
    _pg_admin(f"CREATE DATABASE {name}")
    yield pg_url(name)
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def counts(target: str) -> dict[str, int]:
    db = open_database(target, migrate=False)
    try:
        return {t: db.query(f'SELECT count(*) FROM "{t}"').single_value() for t in copy.base_tables(db)}
    finally:
        db.close()


def stats_json(target: str) -> dict:
    out = manage("stats", "--json", db=target)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_copy_keeps_every_row_and_figure_and_the_copy_serves(source, empty_target, tmp_path):
    before = counts(source)
    out = manage("copy-db", source, empty_target, "--chunk-rows", "500")
    assert out.returncode == 0, out.stderr
    assert "复制完成" in out.stdout and "answers：" in out.stdout
    after = counts(source)  # the check folded the rollups of both (as stats --json does)
    assert counts(empty_target) == after and after["answers"] == before["answers"]
    assert before["answers"] > 1000 and before["download_tickets"] == 1 and before["credibility_flags"] == 1
    assert stats_json(empty_target) == stats_json(source)

    copied = open_database(empty_target)  # no copy mark left: the app and the CLI open it
    try:
        blob = copied.query("SELECT data FROM download_tickets").single_value()
        assert bytes(blob) == bytes(range(256)) * 3
        assert list(copied.query("SELECT row_ids FROM credibility_flags").single_value()) == [3, 1, 2]
        # every sequence is past the copied ids: a new unit gets a fresh id instead of failing on its key
        top = copied.query("SELECT max(id) FROM org_units").single_value()
        assert orgs.create_unit(copied, "NEW1", "新网格", 1).id > top
    finally:
        copied.close()

    # and back again, into a new DuckDB file: the same figures as the original
    back = str(tmp_path / "back" / "minyi.duckdb")
    again = manage("--lang", "en", "copy-db", empty_target, back)
    assert again.returncode == 0, again.stderr
    assert "Copy finished" in again.stdout
    back_counts = counts(back)
    assert back_counts["org_units"] == before["org_units"] + 1
    assert {t: n for t, n in back_counts.items() if t != "org_units"} == \
           {t: n for t, n in after.items() if t != "org_units"}


def test_copy_refuses_the_same_database_a_missing_or_foreign_source_and_a_full_target(source, empty_target,
                                                                                     fresh_target, tmp_path):
    same = manage("copy-db", source, str(Path(source).parent / "." / Path(source).name))
    assert same.returncode == 2 and "同一个数据库" in same.stderr

    missing = tmp_path / "nowhere" / "minyi.duckdb"
    out = manage("copy-db", str(missing), empty_target)
    assert out.returncode == 2 and "不存在" in out.stderr
    assert not missing.parent.exists()

    foreign = tmp_path / "other.duckdb"
    import duckdb

    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE wp_posts (id INTEGER)")
    out = manage("copy-db", str(foreign), empty_target)
    assert out.returncode == 2 and "不是 Minyi 数据库" in out.stderr
    out = manage("copy-db", empty_target, str(tmp_path / "back.duckdb"))  # an empty database (or no file at all)
    assert out.returncode == 2 and ("不是 Minyi 数据库" if PG_BASE else "不存在") in out.stderr
    assert not (tmp_path / "back.duckdb").exists()

    full = fresh_target if PG_BASE else str(tmp_path / "full.duckdb")
    open_database(full).close()
    tables_before = counts(full)
    out = manage("--lang", "en", "copy-db", source, full)
    assert out.returncode == 2 and "is not empty" in out.stderr, out.stderr
    assert counts(full) == tables_before
    for refused in (same, out):
        assert "Traceback" not in refused.stderr
    if PG_BASE is None:  # refused before anything was written: the empty target was never created
        assert not Path(empty_target).exists()


def test_a_copy_killed_half_way_leaves_a_target_nothing_starts_on_and_running_it_again_finishes(
        source, empty_target, monkeypatch):
    process = subprocess.Popen([sys.executable, "manage.py", "copy-db", source, empty_target, "--chunk-rows", "5"],
                               cwd=ROOT, env={**os.environ, "MINYI_SECRET": "s"}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert "_minyi_migrations：" in process.stdout.readline() + process.stdout.readline()
        process.send_signal(signal.SIGKILL)  # while it copies the answers, five rows at a time
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    with pytest.raises(IncompleteCopy):
        open_database(empty_target)
    cli = manage("user", "list", db=empty_target)
    assert cli.returncode == 2 and "尚未完成的复制" in cli.stderr

    monkeypatch.setenv("MINYI_DB", empty_target)
    at = page_test("app.py").run()
    assert not at.exception
    assert at.error[0].value == "数据库无法打开"
    assert "尚未完成的复制" in at.text[0].value

    again = manage("copy-db", source, empty_target)
    assert again.returncode == 0, again.stderr
    assert "未完成的复制：已清空" in again.stdout
    assert counts(empty_target) == counts(source)


def test_a_copy_that_fails_on_a_table_says_where_and_keeps_the_mark(source, empty_target, monkeypatch, capsys):
    from storage.dialects import DuckDBDialect, PostgresDialect

    dialect_class = PostgresDialect if PG_BASE else DuckDBDialect  # the target's engine
    real = dialect_class.insert_arrow
    calls = []

    def failing(self, tx, table, data):
        calls.append(table)
        if table == '"answers"' and calls.count(table) == 2:  # the second chunk of answers: a full disk, say
            tx.execute("SELECT CAST('disk full' AS INTEGER)")
        real(self, tx, table, data)

    monkeypatch.setattr(dialect_class, "insert_arrow", failing)
    assert cli_main(["copy-db", source, empty_target, "--chunk-rows", "1000"]) == 2
    err = capsys.readouterr().err
    assert "复制在 answers 处中断" in err and "Traceback" not in err
    with pytest.raises(IncompleteCopy):
        open_database(empty_target)


@pytest.mark.postgres
def test_the_command_line_works_on_postgresql_while_the_app_serves(fresh_target, tmp_path):
    """No file lock on a server: an admin adds the district and its administrator from the command line while the
    app runs on the same database, and the running app signs that administrator in."""
    import re

    import httpx

    from tests.conftest import start_app, stop_app

    app = start_app(tmp_path, env={"MINYI_DB": fresh_target, "MINYI_DATA_DIR": str(tmp_path / "data"),
                                   "MINYI_SECRET": "s"})
    try:
        with httpx.Client(base_url=app.url, timeout=30) as web:
            assert web.get("/login").status_code == 303  # no administrator yet: the app sends the visitor to /setup
            assert manage("unit", "add", "D01", "清河区", db=fresh_target).returncode == 0
            added = subprocess.run([sys.executable, "manage.py", "user", "add", "root", "--role", "admin", "--unit",
                                    "D01"], cwd=ROOT, env={**os.environ, "MINYI_DB": fresh_target, "MINYI_SECRET": "s",
                                                            "MINYI_DATA_DIR": str(tmp_path / "data")},
                                   input="root-pass-2026\n", capture_output=True, text=True, timeout=120)
            assert added.returncode == 0, added.stderr
            form = web.get("/login")
            assert form.status_code == 200  # the app sees the administrator the CLI created
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            signed = web.post("/login", data={"csrf": csrf, "username": "root", "password": "root-pass-2026",
                                              "next": "/"})
            assert signed.status_code == 303 and "minyi_session" in signed.cookies
            listed = manage("user", "list", "--json", db=fresh_target)
            assert listed.returncode == 0, listed.stderr
            assert [u["username"] for u in json.loads(listed.stdout)] == ["root"]
            assert web.get("/healthz").status_code == 200
    finally:
        stop_app(app)
