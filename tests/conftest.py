"""Shared fixtures: fresh databases, a small org tree, principals, AppTest set-up and a live app server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auth.passwords import hash_password  # noqa: E402
from auth.principal import Principal  # noqa: E402
from storage import orgs, users  # noqa: E402
from storage.db import Database, open_database, shared_database  # noqa: E402
from storage.orgs import OrgUnit  # noqa: E402

TEST_PASSWORD = "test-pass-2026"
_HASH: list[str] = []


def password_hash() -> str:
    """One argon2 hash reused by every test account (hashing costs ~50 ms)."""
    if not _HASH:
        _HASH.append(hash_password(TEST_PASSWORD))
    return _HASH[0]


# --- the engine under test -------------------------------------------------------
# scripts/test.sh runs the suite twice: on DuckDB, then with MINYI_TEST_PG set to the maintenance database of a
# throwaway PostgreSQL cluster (scripts/pg_cluster.sh). The `db` and `app_db` fixtures then hand out a fresh
# PostgreSQL database per test, copied from a migrated template, so every storage, service, figure and page test
# that uses them runs on both engines.
PG_BASE = os.environ.get("MINYI_TEST_PG") or None
ENGINE = "postgres" if PG_BASE else "duckdb"
_pg_count = iter(range(1, 10**9))


ENGINE_FIXTURES = {"db", "app_db", "fresh_target", "pg_template"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, run what touches the engine: tests that take a database from the fixtures above,
    and tests marked ``postgres`` (several processes on one server); on the DuckDB pass, skip the latter."""
    keep, drop = [], []
    for item in items:
        marked = item.get_closest_marker("postgres") is not None
        if PG_BASE is None:
            (drop if marked else keep).append(item)
        else:
            uses = ENGINE_FIXTURES & set(getattr(item, "fixturenames", ()))
            wanted = marked or (uses and item.get_closest_marker("browser") is None
                                and item.get_closest_marker("duckdb_only") is None)
            (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pg_url(name: str) -> str:
    """The URL of database ``name`` on the test cluster."""
    assert PG_BASE is not None
    return PG_BASE.rsplit("/", 1)[0] + "/" + name


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def pg_template(worker_id: str) -> Iterator[str]:
    """A migrated database this test worker copies for each test (CREATE DATABASE ... TEMPLATE)."""
    name = f"minyi_tpl_{worker_id}_{os.getpid()}"
    _pg_admin(f"DROP DATABASE IF EXISTS {name}")
    _pg_admin(f"CREATE DATABASE {name}")
    open_database(pg_url(name)).close()
    yield name
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def fresh_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh database lives for this test: a DuckDB file in tmp_path, or a new PostgreSQL database."""
    if PG_BASE is None:
        yield str(tmp_path / "app.duckdb")
        return
    template = request.getfixturevalue("pg_template")
    name = f"{template}_t{next(_pg_count)}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
    yield pg_url(name)
    from storage import db as storage_db

    with storage_db._shared_lock:
        shared = storage_db._shared.pop(pg_url(name), None)
    if shared is not None:
        shared.close()
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A fresh, migrated database: in memory on DuckDB, a new database on the PostgreSQL test cluster."""
    if PG_BASE is None:
        database = open_database(":memory:")
    else:
        database = open_database(request.getfixturevalue("fresh_target"))
    yield database
    database.close()


@dataclass
class Tree:
    """District D01 with two towns, two communities each, two grids each."""

    district: OrgUnit
    towns: list[OrgUnit]
    communities: list[OrgUnit]
    grids: list[OrgUnit]

    def unit(self, code: str) -> OrgUnit:
        for u in [self.district, *self.towns, *self.communities, *self.grids]:
            if u.code == code:
                return u
        raise KeyError(code)


def build_tree(database: Database) -> Tree:
    district = orgs.create_unit(database, "D01", "清河区", 1)
    towns, communities, grids = [], [], []
    for ti in (1, 2):
        town = orgs.create_unit(database, f"T{ti}", f"第{ti}街道", 2, district.id)
        towns.append(town)
        for ci in (1, 2):
            comm = orgs.create_unit(database, f"T{ti}C{ci}", f"第{ti}街道{ci}社区", 3, town.id)
            communities.append(comm)
            for gi in (1, 2):
                grids.append(orgs.create_unit(database, f"T{ti}C{ci}G{gi}", f"{ci}社区第{gi}网格", 4, comm.id))
    return Tree(district, towns, communities, grids)


@pytest.fixture
def tree(db: Database) -> Tree:
    return build_tree(db)


def make_principal(database: Database, username: str, role: str, unit: OrgUnit) -> Principal:
    """Create a user (password TEST_PASSWORD) and return its Principal."""
    user_id = users.create_user(database, username, username, role, unit.id, password_hash())
    user = users.get_user(database, user_id)
    assert user is not None
    return Principal.from_user(user)


@pytest.fixture
def principal_factory(db: Database) -> Callable[[str, str, OrgUnit], Principal]:
    return lambda username, role, unit: make_principal(db, username, role, unit)


@pytest.fixture
def app_db(fresh_target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A database that AppTest page runs in this process will open (MINYI_DB points at it: a DuckDB file, or a
    PostgreSQL database on the test cluster), already migrated and with templates installed."""
    path = fresh_target
    monkeypatch.setenv("MINYI_DB", str(path))
    if PG_BASE is not None:  # the key and setup code: beside the DuckDB file, else here
        monkeypatch.setenv("MINYI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MINYI_SECRET", "test-secret")
    database = shared_database(path)
    from services.startup import prepare
    import settings

    prepare(database, settings.load())
    return database


def page_test(file: str, principal: Principal | None = None, lang: str = "zh", timeout: float = 30, **query: str):
    """An AppTest for one page file with the signed-in user seeded."""
    from streamlit.testing.v1 import AppTest

    from ui import state

    at = AppTest.from_file(str(ROOT / file), default_timeout=timeout)
    if principal is not None:
        at.session_state[state.USER] = principal
    at.session_state[state.LANG] = lang
    for key, value in query.items():
        at.query_params[key] = value
    return at


# --- live server for browser tests -------------------------------------------------

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def prepared_db(data_dir: Path) -> Database:
    """The app's database file in ``data_dir``, prepared as the app's first start does (close it before start_app)."""
    import settings
    from services.startup import prepare

    db = open_database(data_dir / "minyi.duckdb")
    prepare(db, settings.load({"MINYI_DB": str(data_dir / "minyi.duckdb")}))
    return db


def sign_in(page, url: str, username: str, password: str) -> None:
    """Sign in through the login form and wait for the page it leads to."""
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    settle(page, 300)


def settle(page, pause_ms: int = 150) -> None:
    """Wait until the script run the last action started has finished (the pause lets it start)."""
    page.wait_for_timeout(pause_ms)
    page.wait_for_selector(READY)


def pick(group, option: str, attempts: int = 3) -> None:
    """Choose ``option`` in one radio group and wait until the browser shows it chosen.

    Right after a page has rendered, a click is sometimes dropped here (measured:
    about one run in fifty under parallel load, with the script idle before and
    after and the option left unchecked). A resident would tap again, so this
    does too, and fails when the choice never sticks."""
    from playwright.sync_api import expect

    radio = group.get_by_role("radio", name=option, exact=True)
    for attempt in range(attempts):
        group.get_by_text(option, exact=True).click()
        try:
            expect(radio).to_be_checked(timeout=3_000)
            break
        except AssertionError:
            if attempt == attempts - 1:
                raise
    settle(group.page)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    url: str
    data_dir: Path
    process: subprocess.Popen

    def log(self) -> str:
        return (self.data_dir / "server.log").read_text(errors="replace")


def start_app(data_dir: Path, env: dict[str, str] | None = None, timeout: float = 60) -> LiveApp:
    """Start the app exactly as the README does (streamlit run server.py) on a free port."""
    port = free_port()
    full_env = {**os.environ, "MINYI_DB": str(data_dir / "minyi.duckdb"), "MINYI_PUBLIC_URL": f"http://127.0.0.1:{port}",
                **(env or {})}
    log = open(data_dir / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("app exited: " + (data_dir / "server.log").read_text())
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return LiveApp(url, data_dir, process)
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("app did not start: " + (data_dir / "server.log").read_text())


def stop_app(app: LiveApp) -> None:
    app.process.terminate()
    try:
        app.process.wait(10)
    except subprocess.TimeoutExpired:
        app.process.kill()


@pytest.fixture
def browser():
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("MINYI_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}: scripts/test.sh installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()
