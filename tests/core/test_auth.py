"""Accounts: hashing, sign-in, session cookies, the sign-in and setup routes."""

from __future__ import annotations

import re
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from auth import accounts, sessions, setup
from auth.passwords import hash_password, policy_problem, verify_password
from auth.routes import ROUTES
from storage import audit, users
from storage.db import Scope
from storage.db import shared_database
from tests.conftest import TEST_PASSWORD, build_tree, make_principal


def test_password_hash_is_argon2id_and_verifies():
    h = hash_password("correct horse")
    assert h.startswith("$argon2id$")
    assert "m=65536" in h  # memory-hard: 64 MiB
    assert verify_password(h, "correct horse")
    assert not verify_password(h, "wrong horse")
    assert not verify_password("not-a-hash", "x")


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short", "auth.password_too_short"), ("aaaaaaaaaa", "auth.password_too_simple"), ("zhangsan01", "auth.password_is_username"), ("ok-pass-99", None)],
)
def test_password_policy(password, problem):
    assert policy_problem(password, "zhangsan01") == problem


def test_sign_in_success_and_failure_are_audited(db, tree):
    make_principal(db, "li", "cadre", tree.grids[0])
    assert accounts.sign_in(db, "li", "nope").error == "auth.bad_credentials"
    ok = accounts.sign_in(db, "li", TEST_PASSWORD, ip="10.0.0.1")
    assert ok.principal is not None and ok.principal.username == "li"
    actions = [e.action for e in audit.recent(db, Scope.everything())]
    assert actions[:2] == ["auth.login", "auth.login_failed"]


def test_unknown_user_gets_the_same_message(db, tree):
    assert accounts.sign_in(db, "ghost", "whatever").error == "auth.bad_credentials"


def test_session_cookie_round_trip_forgery_and_sign_out(db, tree):
    p = make_principal(db, "chen", "cadre", tree.grids[0])
    cookie = sessions.start_session(db, p, "secret-1", hours=12)
    assert sessions.principal_from_cookie(db, cookie, "secret-1") == p
    assert sessions.principal_from_cookie(db, cookie, "other-secret") is None
    token, _, sig = cookie.rpartition(".")
    assert sessions.principal_from_cookie(db, token + "x." + sig, "secret-1") is None
    sessions.end_session(db, cookie, "secret-1")
    assert sessions.principal_from_cookie(db, cookie, "secret-1") is None


def test_deactivated_user_loses_their_session(db, tree):
    p = make_principal(db, "sun", "cadre", tree.grids[0])
    cookie = sessions.start_session(db, p, "s", hours=1)
    users.set_active(db, p.user_id, False)
    assert sessions.principal_from_cookie(db, cookie, "s") is None
    assert accounts.sign_in(db, "sun", TEST_PASSWORD).principal is None


def test_reset_password_only_within_admin_scope(db, tree):
    admin_t1 = make_principal(db, "admin_t1", "admin", tree.towns[0])
    other = make_principal(db, "cadre_t2", "cadre", tree.unit("T2C1G1"))
    assert accounts.reset_password(db, admin_t1, other.user_id, "new-pass-123") == "auth.forbidden"
    mine = make_principal(db, "cadre_t1", "cadre", tree.unit("T1C1G1"))
    assert accounts.reset_password(db, admin_t1, mine.user_id, "new-pass-123") is None
    assert accounts.sign_in(db, "cadre_t1", "new-pass-123").principal is not None


# --- the HTTP routes ------------------------------------------------------------------


@pytest.fixture
def client(fresh_target, tmp_path, monkeypatch):
    monkeypatch.setenv("MINYI_DB", fresh_target)  # either engine
    monkeypatch.setenv("MINYI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MINYI_SECRET", "route-secret")
    database = shared_database(fresh_target)
    with TestClient(Starlette(routes=ROUTES), follow_redirects=False) as c:
        c.database = database  # type: ignore[attr-defined]
        yield c


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_setup_then_sign_in_sets_a_session_cookie(client, tmp_path):
    db = client.database
    code = setup.ensure_setup_code(db, tmp_path)
    assert (tmp_path / "setup-code.txt").read_text().strip() == code
    assert client.get("/login").headers["location"].startswith("/setup")
    page = client.get("/setup")
    form = {"csrf": _csrf(page.text), "code": "wrong-code", "unit_name": "清河区", "unit_code": "D01", "username": "root",
            "display_name": "管理员", "password": "first-admin-9", "password2": "first-admin-9"}
    bad = client.post("/setup", data=form)
    assert bad.status_code == 401 and "设置码不正确" in bad.text
    assert "清河区" in bad.text  # what was entered stays
    form["csrf"] = _csrf(bad.text)
    form["code"] = code
    done = client.post("/setup", data=form)
    assert done.status_code == 303
    assert not (tmp_path / "setup-code.txt").exists()
    assert client.get("/setup").status_code == 303  # setup is one-time

    login = client.get("/login")
    wrong = client.post("/login", data={"csrf": _csrf(login.text), "username": "root", "password": "nope-nope"})
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
    ok = client.post("/login", data={"csrf": _csrf(wrong.text), "username": "root", "password": "first-admin-9"})
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie_header = ok.headers["set-cookie"]
    assert "minyi_session=" in cookie_header and "HttpOnly" in cookie_header and "samesite=lax" in cookie_header.lower()
    cookie = client.cookies.get(sessions.COOKIE_NAME)
    assert sessions.principal_from_cookie(db, cookie, "route-secret").username == "root"

    confirm = client.get("/logout")
    out = client.post("/logout", data={"csrf": _csrf(confirm.text)})
    assert out.status_code == 303
    assert sessions.principal_from_cookie(db, cookie, "route-secret") is None


def test_login_without_csrf_token_is_refused(client, tmp_path):
    db = client.database
    tree = build_tree(db)
    make_principal(db, "qian", "admin", tree.district)
    client.get("/login")
    r = client.post("/login", data={"csrf": "forged", "username": "qian", "password": TEST_PASSWORD})
    assert r.status_code == 400 and sessions.COOKIE_NAME not in r.headers.get("set-cookie", "")


def test_login_page_speaks_english_when_asked(client):
    tree = build_tree(client.database)
    make_principal(client.database, "zhou", "admin", tree.district)
    assert "工作人员登录" in client.get("/login").text
    assert "Staff sign-in" in client.get("/login?lang=en").text
    assert "Staff sign-in" in client.get("/login").text  # the choice is remembered


def test_user_text_in_forms_is_escaped(client, tmp_path):
    tree = build_tree(client.database)
    make_principal(client.database, "wu", "admin", tree.district)
    page = client.get("/login")
    r = client.post("/login", data={"csrf": _csrf(page.text), "username": '<script>alert(1)</script>', "password": "x"})
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;" in r.text


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client):
    tree = build_tree(client.database)
    make_principal(client.database, "feng", "admin", tree.district)
    page = client.get("/login?next=/dashboard")
    assert 'name="next" value="/dashboard"' in page.text
    ok = client.post("/login", data={"csrf": _csrf(page.text), "username": "feng", "password": TEST_PASSWORD, "next": "/dashboard"})
    assert ok.headers["location"] == "/dashboard"
    for hostile in ("https://evil.example/", "//evil.example/x", "/ok?x=<b>", "javascript:alert(1)"):
        page = client.get("/login")
        r = client.post("/login", data={"csrf": _csrf(page.text), "username": "feng", "password": TEST_PASSWORD, "next": hostile})
        assert r.headers["location"] == "/", hostile
