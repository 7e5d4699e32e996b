"""The backups page: only an admin of the top unit sees it, starts a backup and fetches one once, signed in."""

from __future__ import annotations

import re
import time

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import settings
from auth import sessions
from reports.routes import ROUTES
from services import backups
from storage import audit
from storage import backups as backup_store
from storage.db import Scope
from tests.conftest import build_tree, make_principal, page_test

LINK = re.compile(r'href="(/download/[^"]+)"')
PAGE = "pages/backups.py"


@pytest.fixture
def world(app_db, monkeypatch):
    monkeypatch.setenv("MINYI_BACKUP_EVERY_HOURS", "0")  # only the page's button backs up here
    tree = build_tree(app_db)
    admin = make_principal(app_db, "root_admin", "admin", tree.district)
    yield app_db, tree, admin
    worker = backups.scheduler(app_db, settings.load())
    if worker is not None:
        worker.stop(wait=True)


def _texts(at, kind: str) -> str:
    return " ".join(str(e.value) for e in getattr(at, kind))


def _links(at) -> list[str]:
    return [m for element in at.get("html") for m in LINK.findall(element.proto.body)]


@pytest.mark.duckdb_only
def test_admin_of_the_top_unit_backs_up_now_and_downloads_it_once(world):
    db, _, admin = world
    cfg = settings.load()
    at = page_test(PAGE, admin).run()
    assert not at.exception
    assert "还没有备份" in _texts(at, "info")
    at.button(key="backup.start").click().run()
    assert not at.exception and "备份已开始" in _texts(at, "success")
    deadline = time.monotonic() + 60
    while (backups.scheduler(db, cfg).busy or not backups.list_backups(cfg.backup_folder)) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    [taken] = backups.list_backups(cfg.backup_folder)
    at.run()
    table = at.dataframe[0].value
    assert list(table["状态"]) == ["成功"] and list(table["文件"]) == [taken.name] and list(table["方式"]) == ["手动"]
    assert "backup.start" in {e.action for e in audit.recent(db, Scope.everything(), action_prefix="backup.")}

    at.button(key="backup.prepare").click().run()
    assert not at.exception
    [url] = _links(at)
    with TestClient(Starlette(routes=ROUTES), follow_redirects=False) as client:
        assert client.get(url).status_code == 401  # no session, no file
        client.cookies.set(sessions.COOKIE_NAME, sessions.start_session(db, admin, "test-secret", 1))
        fetched = client.get(url)
        assert fetched.status_code == 200 and fetched.content == taken.path.read_bytes()
        assert taken.name in fetched.headers["content-disposition"]
        assert client.get(url).status_code == 404  # single use
    assert taken.path.exists()  # served in place, never deleted like an export


@pytest.mark.duckdb_only
def test_a_failed_backup_is_shown_with_its_reason_in_english(world):
    db, _, admin = world
    now = settings.now()
    backup_store.record_run(db, started_at=now, finished_at=now, origin="schedule", actor_id=None, file_name=None,
                            size=None, ok=False, error="IOException: No space left on device")
    at = page_test(PAGE, admin, lang="en").run()
    assert not at.exception
    errors = _texts(at, "error")
    assert "The last backup failed" in errors and "No space left on device" in errors
    assert list(at.dataframe[0].value["Status"]) == ["Failed"]


@pytest.mark.duckdb_only
def test_a_town_admin_and_a_leader_are_refused(world):
    db, tree, _ = world
    backups.take_backup(db, settings.load(), origin="cli")
    town_admin = make_principal(db, "town_admin", "admin", tree.towns[0])
    leader = make_principal(db, "leader", "leader", tree.district)
    town = page_test(PAGE, town_admin).run()
    assert not town.exception and "只有最上级单位的管理员" in _texts(town, "error")
    assert not town.button and not town.dataframe
    boss = page_test(PAGE, leader).run()
    assert not boss.exception and not boss.button and not boss.dataframe
    with pytest.raises(PermissionError):
        backups.issue_download(db, town_admin, settings.load(), backups.list_backups(settings.load().backup_folder)[0].name)
    assert backups.issue_download(db, make_principal(db, "a2", "admin", tree.district), settings.load(),
                                  "../minyi.duckdb") is None  # only a name listed in the backup folder


@pytest.mark.postgres
def test_on_postgresql_the_page_says_to_use_pg_dump_and_offers_no_backup(world):
    db, _, admin = world
    assert db.engine == "postgres"
    at = page_test(PAGE, admin).run()
    assert not at.exception
    assert "pg_dump" in _texts(at, "info")
    assert not at.button
