"""Several app processes on one PostgreSQL database: a prepared district and the processes serving it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import LiveApp, build_tree, make_principal, start_app, stop_app

SURVEY = "qunzhong_manyidu"


@dataclass
class District:
    url: str  # MINYI_DB of every process
    data_dir: Path  # MINYI_DATA_DIR shared by the processes (one machine: one key file, one setup-code file)
    codes: list[str]  # single-use codes of the resident survey
    open_token: str

    def env(self, **extra: str) -> dict[str, str]:
        return {"MINYI_DB": self.url, "MINYI_DATA_DIR": str(self.data_dir), **extra}


@pytest.fixture
def district(fresh_target: str, tmp_path: Path) -> District:
    """A fresh PostgreSQL database prepared as the app's first start does, with a small org tree, a leader of the
    district (password TEST_PASSWORD) and share links for the resident survey."""
    import settings
    from services import share_links
    from services.startup import prepare
    from storage.db import Scope, open_database

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = open_database(fresh_target)
    try:
        prepare(db, settings.load({"MINYI_DB": fresh_target, "MINYI_DATA_DIR": str(data_dir)}))
        tree = build_tree(db)
        make_principal(db, "leader", "leader", tree.district)
        make_principal(db, "admin", "admin", tree.district)
        codes = share_links.create(db, survey_id=SURVEY, unit_code="T1C1G1", scope=Scope.everything(),
                                   single_use=8).tokens
        open_token = share_links.create(db, survey_id=SURVEY, unit_code="T1C1G1", scope=Scope.everything(),
                                        rate_limit_per_minute=1_000_000).tokens[0]
    finally:
        db.close()
    return District(fresh_target, data_dir, list(codes), open_token)


def start_apps(district: District, tmp_path: Path, count: int, **env: str) -> list[LiveApp]:
    """``count`` app processes started at the same moment against the district's database, each logging into a
    folder of its own; the processes share MINYI_DATA_DIR as processes on one machine do."""
    apps: list[LiveApp | None] = [None] * count
    failures: list[BaseException] = []

    def one(i: int) -> None:
        folder = tmp_path / f"app{i + 1}"
        folder.mkdir(exist_ok=True)
        try:
            apps[i] = start_app(folder, district.env(**env))
        except BaseException as exc:  # reported below, after the others started or failed
            failures.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    started = [a for a in apps if a is not None]
    if failures:
        for app in started:
            stop_app(app)
        raise failures[0]
    return started


@pytest.fixture
def two_apps(district: District, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LiveApp]]:
    """Two processes on one machine without MINYI_SECRET: they must agree on the key file they share."""
    monkeypatch.delenv("MINYI_SECRET", raising=False)
    apps = start_apps(district, tmp_path, 2)
    yield apps
    for app in apps:
        stop_app(app)


def read(url: str, timeout: float = 30) -> tuple[int, str, dict[str, str]]:
    """GET ``url``: status, body and headers, names in lower case (an HTTP error is a result here, not an
    exception)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), {k.lower(): v for k, v in exc.headers.items()}

