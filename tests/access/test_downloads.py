"""Exports of personal data are served only to their signed-in owner, once, through /download (issue 20 item 7)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import settings
from auth import sessions
from reports.routes import ROUTES
from storage import audit, downloads
from storage.db import Scope
from tests.conftest import make_principal, page_test

SECRET = "test-secret"
LINK = re.compile(r'href="(/download/[^"]+)"')


@pytest.fixture
def client(app_world):
    with TestClient(Starlette(routes=ROUTES), follow_redirects=False) as c:
        yield c


def _cookie(db, principal) -> str:
    return sessions.start_session(db, principal, SECRET, 1)


def _get(client, url: str, cookie: str | None = None):
    """GET ``url`` with exactly this session cookie (or none)."""
    client.cookies.clear()
    if cookie is not None:
        client.cookies.set(sessions.COOKIE_NAME, cookie)
    return client.get(url)


def test_a_ticket_is_served_once_to_its_own_signed_in_user_only(app_world, client):
    w = app_world
    ticket = downloads.issue_ticket(w.db, w.admin.user_id, "住户.xlsx", "text/csv", b"H101,\xe5\xbc\xa0")
    url = f"/download/{ticket}"
    anonymous = _get(client, url)
    assert anonymous.status_code == 401 and b"H101" not in anonymous.content
    other = _get(client, url, _cookie(w.db, w.cadre1))
    assert other.status_code == 404 and b"H101" not in other.content
    forged = _get(client, url, "forged.value")
    assert forged.status_code == 401
    mine = _get(client, url, _cookie(w.db, w.admin))
    assert mine.status_code == 200 and mine.content == b"H101,\xe5\xbc\xa0"
    assert mine.headers["content-disposition"].startswith("attachment;")
    assert mine.headers["cache-control"] == "no-store"
    assert _get(client, url, _cookie(w.db, w.admin)).status_code == 404  # single use
    fetched = [e for e in audit.recent(w.db, Scope.everything(), action_prefix="download.")]
    assert [(e.action, e.actor_name, e.target) for e in fetched] == [("download.fetch", "admin1", "住户.xlsx")]


def test_an_expired_ticket_is_refused_and_dropped(app_world, client, monkeypatch):
    w = app_world
    ticket = downloads.issue_ticket(w.db, w.admin.user_id, "a.csv", "text/csv", b"x", minutes=5)
    later = settings.now() + dt.timedelta(minutes=6)
    monkeypatch.setattr(downloads, "now", lambda: later)
    assert _get(client, f"/download/{ticket}", _cookie(w.db, w.admin)).status_code == 404
    assert w.db.query("SELECT count(*) FROM download_tickets").single_value() == 0  # the expired file is gone
    downloads.issue_ticket(w.db, w.admin.user_id, "b.csv", "text/csv", b"y")
    assert w.db.query("SELECT filename FROM download_tickets").rows == [("b.csv",)]


def _links(at) -> list[str]:
    return [m for element in at.get("html") for m in LINK.findall(element.proto.body)]


def test_dashboard_exports_are_links_to_the_authenticated_route_not_media_files(app_world, client):
    w = app_world
    at = page_test("pages/dashboard.py", w.leader).run()
    at.button(key="dash.export.prepare").click().run()
    assert not at.exception
    assert at.get("download_button") == []  # nothing left in Streamlit's public media store
    links = _links(at)
    assert len(links) >= 1
    for url in links:
        assert _get(client, url).status_code == 401  # no cookie, no file
    assert _get(client, links[0], _cookie(w.db, w.leader)).status_code == 200


def test_household_and_worklist_exports_are_links_to_the_authenticated_route(app_world, client):
    w = app_world
    at = page_test("pages/households.py", w.admin).run()
    assert at.get("download_button") == []
    at.button(key="households.export.prepare").click().run()
    assert not at.exception
    [url] = _links(at)
    assert _get(client, url).status_code == 401
    sheet = _get(client, url, _cookie(w.db, w.admin))
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    assert "export.households" in {e.action for e in audit.recent(w.db, w.admin.scope, action_prefix="export.")}
    work = page_test("pages/worklists.py", w.cadre1).run()
    assert not work.exception and work.get("download_button") == []
    work.button(key="worklists.export_make_up.prepare").click().run()
    [url] = _links(work)
    assert _get(client, url, _cookie(w.db, w.cadre2)).status_code == 404  # another cadre's cookie
    assert _get(client, url, _cookie(w.db, w.cadre1)).status_code == 200


def test_another_users_session_in_the_same_town_cannot_use_a_ticket(app_world, client):
    w = app_world
    colleague = make_principal(w.db, "admin_same", "admin", w.tree.district)
    ticket = downloads.issue_ticket(w.db, w.admin.user_id, "r.xlsx", downloads_mime(), b"PK")
    assert _get(client, f"/download/{ticket}", _cookie(w.db, colleague)).status_code == 404
    assert _get(client, f"/download/{ticket}", _cookie(w.db, w.admin)).status_code == 200


def downloads_mime() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
