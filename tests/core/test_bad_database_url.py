"""A MINYI_DB that cannot be used: the app and the CLI name the problem without the password and create nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import settings
from cli.main import main as cli_main
from services import startup
from storage import migrations
from storage.db import DatabaseRefused, open_database
from tests.conftest import PG_BASE, _pg_admin, free_port, page_test, pg_url, start_app, stop_app

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Sekr1t-pw-2026"


def with_password(url: str, user: str = "minyi") -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{user}:{PASSWORD}@{parts.hostname}:{parts.port}").geturl()


@pytest.fixture
def pg_database(request: pytest.FixtureRequest):
    """A new database on the test cluster with ``request.param`` run in it (SQL), its URL carrying a password."""
    name = f"minyi_bad_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    _pg_admin(f"CREATE DATABASE {name}")
    import psycopg

    with psycopg.connect(pg_url(name), autocommit=True) as conn:
        for statement in request.param:
            conn.execute(statement)
    yield with_password(pg_url(name))
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def tables_of(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url.replace(f":{PASSWORD}@", "@"), autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def assert_refused(url: str, needle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """The CLI exits 2 with the message, the app's start prints it and every page shows it; the password is never
    shown, and nothing is created (no folder named after the URL, nothing in the data folder)."""
    data = tmp_path / "data"
    env = {**os.environ, "MINYI_DB": url, "MINYI_DATA_DIR": str(data), "MINYI_SECRET": "s"}
    out = subprocess.run([sys.executable, "manage.py", "user", "list"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2
    assert needle in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert PASSWORD not in out.stderr + out.stdout

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    startup.start_app(settings.load())
    printed = capsys.readouterr().out
    assert needle in printed and PASSWORD not in printed
    at = page_test("app.py").run()
    assert not at.exception
    assert at.error[0].value == "数据库无法打开"
    assert needle in at.text[0].value and PASSWORD not in at.text[0].value

    scheme = url.split(":", 1)[0]
    assert not list(ROOT.glob(scheme + ":*")) and not list(Path.cwd().glob(scheme + ":*"))
    assert not data.exists() or not any(data.iterdir())


@pytest.mark.parametrize("url, needle", [
    (f"mysql://root:{PASSWORD}@localhost/minyi", "MINYI_DB 的值 mysql://root:***@localhost/minyi 无法识别"),
    ("postgresql:/minyi", "无法识别"),  # a mistyped URL made a folder "postgresql:" holding a DuckDB file
])
def test_a_scheme_minyi_does_not_speak_is_named(url, needle, tmp_path, monkeypatch, capsys):
    assert_refused(url, needle, tmp_path, monkeypatch, capsys)


def test_a_server_that_cannot_be_reached_is_named(tmp_path, monkeypatch, capsys):
    url = f"postgresql://minyi:{PASSWORD}@127.0.0.1:{free_port()}/minyi"
    assert_refused(url, "无法连接 PostgreSQL 服务器", tmp_path, monkeypatch, capsys)
    assert_refused(url, "Connection refused", tmp_path, monkeypatch, capsys)


def test_the_started_app_tells_the_admin_in_its_terminal(tmp_path):
    """What an admin running scripts/start.sh (streamlit run server.py) sees: the message, and a page saying so."""
    url = f"postgresql://minyi:{PASSWORD}@127.0.0.1:{free_port()}/minyi"
    app = start_app(tmp_path, env={"MINYI_DB": url, "MINYI_DATA_DIR": str(tmp_path / "data")})
    try:
        deadline = time.monotonic() + 20
        while "无法连接 PostgreSQL 服务器" not in app.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = app.log()
    finally:
        stop_app(app)
    assert "无法连接 PostgreSQL 服务器 postgresql://minyi:***@127.0.0.1" in log
    assert PASSWORD not in log and "Traceback" not in log
    assert not (tmp_path / "data").exists() and not (tmp_path / "minyi.duckdb").exists()
    assert not list(ROOT.glob("postgresql:*"))


@pytest.mark.postgres
def test_a_role_the_server_does_not_know_is_refused(tmp_path, monkeypatch, capsys):
    url = with_password(PG_BASE, user="nobody_here")
    assert_refused(url, "拒绝了连接", tmp_path, monkeypatch, capsys)
    assert_refused(url, 'role "nobody_here" does not exist', tmp_path, monkeypatch, capsys)


@pytest.mark.postgres
@pytest.mark.parametrize("pg_database", [["CREATE TABLE wp_posts (id INTEGER)"]], indirect=True)
def test_a_database_of_another_application_is_left_alone(pg_database, tmp_path, monkeypatch, capsys):
    assert_refused(pg_database, "已有其他应用的数据表（如 wp_posts）", tmp_path, monkeypatch, capsys)
    assert tables_of(pg_database) == {"wp_posts"}


@pytest.mark.postgres
@pytest.mark.parametrize("pg_database", [[f"CREATE TABLE {migrations.COPY_MARK} (source VARCHAR, started_at TIMESTAMP)"]],
                         indirect=True)
def test_a_copy_stopped_before_it_migrated_is_an_unfinished_copy_not_another_app(pg_database, tmp_path, monkeypatch,
                                                                                 capsys):
    # copy-db marks the target first and migrates it next: killed in between, only the mark is there
    assert_refused(pg_database, "尚未完成的复制", tmp_path, monkeypatch, capsys)
    assert tables_of(pg_database) == {migrations.COPY_MARK}


@pytest.mark.postgres
@pytest.mark.parametrize("pg_database", [[]], indirect=True)
def test_a_server_older_than_15_is_refused(pg_database, tmp_path, monkeypatch, capsys):
    import psycopg

    monkeypatch.setattr(psycopg.ConnectionInfo, "server_version", property(lambda self: 140011))
    monkeypatch.setenv("MINYI_DB", pg_database)
    monkeypatch.setenv("MINYI_DATA_DIR", str(tmp_path / "data"))
    assert cli_main(["user", "list"]) == 2
    err = capsys.readouterr().err
    assert "PostgreSQL 版本为 14.11，Minyi 需要 15 或更高版本" in err and PASSWORD not in err
    startup.start_app(settings.load())
    printed = capsys.readouterr().out
    assert "需要 15 或更高版本" in printed and PASSWORD not in printed
    at = page_test("app.py").run()
    assert "需要 15 或更高版本" in at.text[0].value
    assert tables_of(pg_database) == set()
    assert not (tmp_path / "data").exists()


# --- wrong password: a cluster of our own that asks for one (the shared test cluster trusts every local role) ----

def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def password_cluster():
    """A throwaway cluster whose only role, minyi, must give PASSWORD (scram-sha-256)."""
    import tempfile

    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.fail("PostgreSQL binaries not found: scripts/test.sh installs Debian's postgresql")
    folder = Path(tempfile.mkdtemp(prefix="minyi-pgpw."))  # not under pytest's folder: the server's user reads it
    (folder / "pw").write_text(PASSWORD + "\n")
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: scripts/pg_cluster.sh's unprivileged user
        subprocess.run(["id", "minyi-pg"], check=True, capture_output=True)
        shutil.chown(folder, "minyi-pg")
        shutil.chown(folder / "pw", "minyi-pg")
        run_as = ["runuser", "-u", "minyi-pg", "--"]
    port = free_port()
    try:
        subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "minyi",
                        "--auth=scram-sha-256", f"--pwfile={folder / 'pw'}", "-E", "UTF8", "--locale=C.UTF-8"],
                       check=True, capture_output=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w",
                    "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
def test_a_wrong_password_is_refused_without_showing_either_password(password_cluster, tmp_path, monkeypatch,
                                                                     capsys):
    open_database(f"postgresql://minyi:{PASSWORD}@{password_cluster}/postgres", migrate=False).close()  # the right one
    wrong = f"postgresql://minyi:{PASSWORD}-typo@{password_cluster}/postgres"
    with pytest.raises(DatabaseRefused):
        open_database(wrong)
    assert_refused(wrong, "拒绝了连接", tmp_path, monkeypatch, capsys)
    assert_refused(wrong, 'password authentication failed for user "minyi"', tmp_path, monkeypatch, capsys)
