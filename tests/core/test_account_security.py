"""Issue 20 items 9-11: sign-in throttling, sessions ended when they must be, sign-out by POST, setup claimed once,
common passwords refused, security headers and private data files."""

from __future__ import annotations

import os
import re
import stat
import threading
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient

import settings
from auth import accounts, sessions, setup, throttle
from auth.passwords import policy_problem
from auth.routes import ROUTES
from auth.security_headers import SecurityHeadersMiddleware
from storage import orgs, users
from storage.db import open_database, shared_database
from tests.conftest import TEST_PASSWORD, build_tree, make_principal, page_test

OWN = "10.0.0.5"  # the owner's usual address
STRANGER = "203.0.113.9"


def _shift_clock(monkeypatch, seconds: float) -> None:
    """Move the clock the throttle and the storage read by ``seconds`` from real time."""
    import storage.users as users_module

    real = settings.now
    for module in (users_module, throttle):
        monkeypatch.setattr(module, "now", lambda: real() + timedelta(seconds=seconds))


# --- item 9: throttling instead of a lock a stranger can set -------------------------------------------


def test_a_stranger_guessing_cannot_lock_the_owner_out_of_their_own_address(db, tree):
    make_principal(db, "admin", "admin", tree.district)
    assert accounts.sign_in(db, "admin", TEST_PASSWORD, ip=OWN).principal is not None  # the owner's address
    for i in range(30):
        accounts.sign_in(db, "admin", f"guess-{i}", ip=STRANGER)
    assert accounts.sign_in(db, "admin", "guess-x", ip=STRANGER).error == "accounts.throttled"  # the stranger waits
    assert accounts.sign_in(db, "admin", TEST_PASSWORD, ip=OWN).principal is not None  # the owner does not


def test_from_a_new_address_the_owner_waits_at_most_the_username_bound(db, tree, monkeypatch):
    make_principal(db, "leader1", "leader", tree.towns[0])
    for i in range(40):
        accounts.sign_in(db, "leader1", f"guess-{i}", ip=f"198.51.100.{i}")  # many addresses, one username
    refused = accounts.sign_in(db, "leader1", TEST_PASSWORD, ip="192.0.2.77")
    assert refused.error == "accounts.throttled" and 0 < refused.retry_after <= throttle.USERNAME.cap_seconds
    _shift_clock(monkeypatch, throttle.USERNAME.cap_seconds + 1)
    assert accounts.sign_in(db, "leader1", TEST_PASSWORD, ip="192.0.2.77").principal is not None


def test_guesses_from_one_address_wait_longer_each_time_and_the_password_is_not_checked_meanwhile(db, tree, monkeypatch):
    make_principal(db, "wang", "cadre", tree.grids[0])
    for i in range(throttle.PAIR.free):
        assert accounts.sign_in(db, "wang", f"bad-{i}", ip=STRANGER).error == "auth.bad_credentials"
    first = accounts.sign_in(db, "wang", TEST_PASSWORD, ip=STRANGER)  # even the right password waits
    assert first.principal is None and first.error == "accounts.throttled" and first.retry_after == 1
    _shift_clock(monkeypatch, 2)
    assert accounts.sign_in(db, "wang", "bad-again", ip=STRANGER).error == "auth.bad_credentials"
    second = accounts.sign_in(db, "wang", TEST_PASSWORD, ip=STRANGER)
    assert second.error == "accounts.throttled" and second.retry_after == 2  # doubled
    _shift_clock(monkeypatch, 5)
    assert accounts.sign_in(db, "wang", TEST_PASSWORD, ip=STRANGER).principal is not None


@pytest.fixture
def route_db(fresh_target, tmp_path, monkeypatch):
    """The database the sign-in and setup routes open (MINYI_DB): on either engine."""
    monkeypatch.setenv("MINYI_DB", fresh_target)
    monkeypatch.setenv("MINYI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MINYI_SECRET", "route-secret")
    return shared_database(fresh_target)


def _csrf(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def _app() -> Starlette:
    return Starlette(routes=ROUTES)


def test_twenty_concurrent_wrong_guesses_are_all_counted_and_never_answer_500(route_db):
    tree = build_tree(route_db)
    make_principal(route_db, "admin", "admin", tree.district)
    app = _app()
    clients = [TestClient(app, follow_redirects=False) for _ in range(20)]
    tokens = [_csrf(c.get("/login").text) for c in clients]
    start = threading.Barrier(20)
    statuses: list[int] = []

    def guess(client: TestClient, token: str, n: int) -> None:
        start.wait()
        r = client.post("/login", data={"csrf": token, "username": "admin", "password": f"guess-{n}"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=guess, args=(c, tok, n)) for n, (c, tok) in enumerate(zip(clients, tokens))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(statuses) == 20 and set(statuses) <= {401, 429}, statuses
    key = "p:testclient|admin"
    state = users.throttle_state(route_db, [key], settings.now() - timedelta(hours=1))
    assert state[key][0] == statuses.count(401)  # every checked guess counted, none lost
    page = clients[0].get("/login")
    after = clients[0].post("/login", data={"csrf": _csrf(page.text), "username": "admin", "password": TEST_PASSWORD})
    assert after.status_code == 429 and int(after.headers["retry-after"]) > 0
    assert "登录尝试过于频繁" in after.text


# --- item 10: sessions, sign-out, setup, weak passwords ---------------------------------------------------


@pytest.fixture
def cookie_of(monkeypatch):
    """Make AppTest page runs present a session cookie (AppTest cannot send cookies): returns a setter."""
    import ui.session

    current: dict[str, str | None] = {"cookie": None}
    monkeypatch.setattr(ui.session, "_cookie", lambda: current["cookie"])

    def use(cookie: str | None) -> None:
        current["cookie"] = cookie

    return use


def test_an_open_page_loses_access_at_its_next_run_after_sign_out(app_db, cookie_of):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    cookie = sessions.start_session(app_db, admin, "test-secret", hours=1)
    cookie_of(cookie)
    at = page_test("pages/users.py").run()
    assert not at.exception and at.title[0].value == "用户管理"
    sessions.end_session(app_db, cookie, "test-secret")  # signed out in another tab
    at.run()
    assert not at.exception
    assert at.warning[0].value == "请先登录后再访问此页面。" and not at.dataframe


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app_db, cookie_of):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    here = sessions.start_session(app_db, admin, "test-secret", hours=1)
    phone = sessions.start_session(app_db, admin, "test-secret", hours=1)  # signed in elsewhere
    cookie_of(here)
    at = page_test("pages/account.py").run()
    at.text_input(key="account.old").input(TEST_PASSWORD)
    at.text_input(key="account.new").input("brand-new-pass-1")
    at.text_input(key="account.again").input("brand-new-pass-1")
    at.button[0].click().run()
    assert not at.exception and at.success[0].value == "密码已修改。"
    assert sessions.principal_from_cookie(app_db, phone, "test-secret") is None
    assert sessions.principal_from_cookie(app_db, here, "test-secret") is not None


def test_wrong_current_passwords_on_my_account_count_on_the_sign_in_throttle(app_db, cookie_of, monkeypatch):
    """A stolen session cannot guess the password on 我的账号 faster than on the sign-in form: a wrong current
    password counts on the same per-username-and-address throttle, and then the page says to wait and keeps
    what was typed, without checking the password at all."""
    from types import SimpleNamespace

    monkeypatch.setattr(throttle, "PAIR", SimpleNamespace(delay=lambda failures: 600.0 if failures >= 1 else 0.0))
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    cookie_of(sessions.start_session(app_db, admin, "test-secret", hours=1))
    at = page_test("pages/account.py").run()
    at.text_input(key="account.old").input("not-my-password")
    at.text_input(key="account.new").input("brand-new-pass-1")
    at.text_input(key="account.again").input("brand-new-pass-1")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["当前密码不正确。"]
    at.text_input(key="account.old").input(TEST_PASSWORD)  # now the right one: too late, it is not even checked
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["当前密码输错次数过多，请在 600 秒后再试（已填写的内容已保留）。"]
    assert not at.success
    assert at.text_input(key="account.new").value == "brand-new-pass-1"  # nothing typed is lost
    from auth.passwords import verify_password

    assert verify_password(users.password_hash_of(app_db, "admin1")[1], TEST_PASSWORD)  # the password is unchanged
    assert accounts.sign_in(app_db, "admin1", TEST_PASSWORD).error == "accounts.throttled"  # the same throttle


def test_disabling_a_user_ends_their_sessions_and_needs_their_unit_in_scope(db, tree):
    town_admin = make_principal(db, "admin_t1", "admin", tree.towns[0])
    mine = make_principal(db, "cadre_t1", "cadre", tree.unit("T1C1G1"))
    other = make_principal(db, "cadre_t2", "cadre", tree.unit("T2C1G1"))
    cookie = sessions.start_session(db, mine, "s", hours=1)
    assert accounts.set_account_active(db, town_admin, other.user_id, False) == "auth.forbidden"
    assert accounts.set_account_active(db, town_admin, town_admin.user_id, False) == "auth.forbidden"
    assert accounts.set_account_active(db, town_admin, mine.user_id, False) is None
    assert accounts.set_account_active(db, town_admin, mine.user_id, True) is None
    assert sessions.principal_from_cookie(db, cookie, "s") is None  # re-enabling does not bring it back


def test_sign_out_needs_a_post_with_the_pages_csrf_token(route_db):
    tree = build_tree(route_db)
    make_principal(route_db, "qian", "admin", tree.district)
    client = TestClient(_app(), follow_redirects=False)
    ok = client.post("/login", data={"csrf": _csrf(client.get("/login").text), "username": "qian", "password": TEST_PASSWORD})
    cookie = client.cookies.get(sessions.COOKIE_NAME)
    assert ok.status_code == 303 and cookie

    confirm = client.get("/logout")  # what a cross-site link or <img src=/logout> triggers
    assert confirm.status_code == 200 and 'method="post" action="/logout"' in confirm.text
    assert sessions.principal_from_cookie(route_db, cookie, "route-secret") is not None
    forged = client.post("/logout", data={"csrf": "forged"})  # a cross-site form cannot know the token
    assert forged.status_code == 303 and forged.headers["location"].startswith("/logout")
    assert sessions.principal_from_cookie(route_db, cookie, "route-secret") is not None

    done = client.post("/logout", data={"csrf": _csrf(confirm.text)})
    assert done.status_code == 303 and done.headers["location"].startswith("/login")
    assert sessions.principal_from_cookie(route_db, cookie, "route-secret") is None


def test_the_setup_code_raced_by_four_posts_creates_one_admin(route_db, tmp_path):
    orgs.create_unit(route_db, "D01", "清河区", 1)  # the district added beforehand (manage.py unit add)
    code = setup.ensure_setup_code(route_db, tmp_path)
    app = _app()
    clients = [TestClient(app, follow_redirects=False) for _ in range(4)]
    tokens = [_csrf(c.get("/setup").text) for c in clients]
    start = threading.Barrier(4)
    statuses: list[object] = []

    def claim(client: TestClient, token: str, n: int) -> None:
        start.wait()
        r = client.post("/setup", data={"csrf": token, "code": code, "unit_name": "清河区", "unit_code": "D01",
                                        "username": f"root{n}", "display_name": "管理员",
                                        "password": "first-admin-9", "password2": "first-admin-9"})
        statuses.append("done" if "setup=done" in r.headers.get("location", "") else r.status_code)

    threads = [threading.Thread(target=claim, args=(c, tok, n)) for n, (c, tok) in enumerate(zip(clients, tokens))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert users.count_users(route_db, "admin") == 1
    assert len(statuses) == 4  # no request died with a server error
    assert statuses.count("done") == 1, statuses
    # the others are told the code is taken (409) or, arriving after the winner, sent to sign in (303)
    assert set(statuses) - {"done"} <= {409, 303}, statuses


def test_a_setup_that_fails_after_claiming_leaves_the_code_usable(db, tree, tmp_path):
    make_principal(db, "taken", "leader", tree.towns[0])
    code = setup.ensure_setup_code(db, tmp_path)
    with pytest.raises(ValueError):
        setup.create_first_admin(db, code, "D01", "清河区", "taken", "x", "first-admin-9", tmp_path)
    assert setup.check_setup_code(db, code)
    setup.create_first_admin(db, code, "D01", "清河区", "root", "x", "first-admin-9", tmp_path)
    assert not setup.check_setup_code(db, code) and not (tmp_path / setup.CODE_FILE).exists()


@pytest.mark.parametrize("password", ["12345678", "password", "admin123", "Password1", "qwer1234", "woaini1314"])
def test_common_passwords_are_refused(password):
    assert policy_problem(password, "zhangsan") == "accounts.password_common"


def test_an_admin_adding_a_user_with_a_common_password_is_told_why_and_keeps_the_form(app_db):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    at = page_test("pages/users.py", admin).run()
    at.text_input(key="users.username").input("wangwu")
    at.text_input(key="users.password").input("admin123")
    at.text_input(key="users.password2").input("admin123")
    at.button[0].click().run()
    assert not at.exception
    assert at.error[0].value == "这是最常见的密码之一，很容易被猜中，请换一个。"
    assert at.text_input(key="users.username").value == "wangwu"
    assert users.get_user_by_username(app_db, "wangwu") is None


# --- item 11: headers and file modes -----------------------------------------------------------------------


def _headered_app() -> Starlette:
    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    return Starlette(
        routes=[*ROUTES, Route("/plain", lambda r: PlainTextResponse("x", headers={"X-Frame-Options": "ALLOWALL"})),
                WebSocketRoute("/ws", ws)],
        middleware=[Middleware(SecurityHeadersMiddleware)],
    )


def test_every_response_forbids_foreign_framing_and_sniffing(route_db):
    client = TestClient(_headered_app(), follow_redirects=False)
    for path in ("/login", "/plain", "/healthz", "/no-such-page"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp, path
        assert "ws://testserver" in csp
        assert r.headers["x-frame-options"] == "SAMEORIGIN", path  # replaces a looser one set further in
        assert r.headers["x-content-type-options"] == "nosniff", path


def test_the_websocket_handshake_carries_the_headers_too():
    client = TestClient(_headered_app())
    with client.websocket_connect("/ws", headers={"host": "minyi.example:8501"}) as ws:
        assert ws.receive_text() == "hi"
        headers = dict(ws.extra_headers)  # the accept message's headers, as the server sends them
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"connect-src 'self' ws://minyi.example:8501 wss://minyi.example:8501" in headers[b"content-security-policy"]


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_files_and_their_folder_are_private(tmp_path):
    data = tmp_path / "data"
    db = open_database(data / "minyi.duckdb")
    try:
        db.execute("CREATE TABLE t (x INTEGER)")
        db.execute("INSERT INTO t VALUES (1)")
        cfg = settings.load({"MINYI_DB": str(data / "minyi.duckdb")})
        settings.cookie_secret(cfg)
        setup.ensure_setup_code(db, data)
        assert (data / "minyi.duckdb.wal").exists()  # written, not yet checkpointed
        for name in ("minyi.duckdb", "minyi.duckdb.wal", "secret.key", "setup-code.txt"):
            assert _mode(data / name) == 0o600, name
        assert _mode(data) == 0o700
    finally:
        db.close()


def test_an_existing_world_readable_database_is_made_private_on_open(tmp_path):
    data = tmp_path / "old"
    open_database(data / "minyi.duckdb").close()
    os.chmod(data, 0o755)
    os.chmod(data / "minyi.duckdb", 0o644)
    open_database(data / "minyi.duckdb").close()
    assert _mode(data / "minyi.duckdb") == 0o600 and _mode(data) == 0o700
