"""A real browser under the app's security headers: staff pages, charts, QR codes and the fill page render with no
policy violation, a foreign page cannot frame the app, and an open dashboard stops showing data after sign-out."""

from __future__ import annotations

import datetime as dt
import socket
from urllib.parse import urlsplit

import pytest

import demo
import settings
from sharing.tokens import new_token
from storage import links, orgs
from storage.db import Scope
from tests.conftest import READY, prepared_db, settle, sign_in, start_app, stop_app

pytestmark = pytest.mark.browser

# Every policy violation the page reports, collected from the start of each document.
_WATCH = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
    e.effectiveDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def _handshake_headers(url: str) -> str:
    """The raw response to a websocket upgrade of Streamlit's stream, headers only."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(
            (f"GET /_stcore/stream HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Protocol: streamlit\r\n\r\n").encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n")[0].decode("latin-1").lower()


def test_pages_render_under_the_policy_and_foreign_framing_is_refused(tmp_path, browser):
    db = prepared_db(tmp_path)
    demo.load_demo(db, households=300, seed=3, responses=600, today=dt.date.today())
    grid = orgs.children(db, orgs.children(db, orgs.children(db, orgs.roots(db)[0].id, Scope.everything())[0].id,
                                           Scope.everything())[0].id, Scope.everything())[0]
    token = new_token()
    links.create_links(db, "qunzhong_manyidu", grid.id, "open", [token], settings.now())
    db.close()
    app = start_app(tmp_path)
    try:
        handshake = _handshake_headers(app.url)
        assert handshake.startswith("http/1.1 101")
        assert "x-content-type-options: nosniff" in handshake and "content-security-policy:" in handshake

        context = browser.new_context(viewport={"width": 1400, "height": 2000})
        context.add_init_script(_WATCH)
        page = context.new_page()
        first = page.goto(app.url + "/login")
        assert "frame-ancestors 'self'" in first.headers["content-security-policy"]
        assert first.headers["x-frame-options"] == "SAMEORIGIN"
        assert _violations(page) == []
        sign_in(page, app.url, "admin", demo.DEMO_PASSWORD)
        page.get_by_text("欢迎").first.wait_for()
        seen = {"/": _violations(page)}

        for path, shows in (("/dashboard", "群众满意度测评看板"), ("/dashboard-problems", "问题"),
                            ("/links", "分享链接"), ("/builder", "问卷")):
            page.goto(app.url + path)
            page.wait_for_selector(READY)
            page.get_by_text(shows).first.wait_for(timeout=30_000)
            if path == "/dashboard":
                page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)  # Plotly drew under the policy
            settle(page, 500)
            seen[path] = _violations(page)

        # the language switch sets its cookie from an st.html script: still allowed
        page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
        page.wait_for_function("() => document.cookie.includes('minyi_lang=en')", timeout=10_000)
        seen["language switch"] = _violations(page)

        resident = context.new_page()
        resident.goto(app.url + f"/fill?t={token}")
        resident.wait_for_selector(READY)
        resident.locator('[data-testid="stRadio"]').first.wait_for(timeout=30_000)
        seen["/fill"] = _violations(resident)
        assert all(not v for v in seen.values()), "\n".join(f"{k}: {v}" for k, v in seen.items())

        # a foreign page (here about:blank with content of its own) framing the sign-in form gets nothing
        foreign = browser.new_page()
        foreign.set_content(f'<iframe id="f" src="{app.url}/login" width="600" height="400"></iframe>')
        foreign.wait_for_timeout(2_000)
        framed = foreign.frames[1] if len(foreign.frames) > 1 else None
        assert framed is None or framed.locator("#username").count() == 0
        foreign.close()
    finally:
        stop_app(app)


def test_an_open_live_dashboard_stops_showing_data_after_sign_out_elsewhere(tmp_path, browser):
    db = prepared_db(tmp_path)
    demo.load_demo(db, households=300, seed=4, responses=300, today=dt.date.today())
    db.close()
    app = start_app(tmp_path)
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1600})
        dashboard = context.new_page()
        sign_in(dashboard, app.url, "leader", demo.DEMO_PASSWORD)
        dashboard.goto(app.url + "/dashboard")
        dashboard.wait_for_selector(READY)
        dashboard.get_by_text("群众满意度测评看板").first.wait_for(timeout=30_000)

        other = context.new_page()  # another tab of the same browser signs out through the sidebar
        other.goto(app.url + "/")
        other.wait_for_selector(READY)
        other.locator('[data-testid="stSidebar"]').get_by_role("link", name="退出登录").click()
        other.wait_for_url("**/logout**")
        other.get_by_text("确定要退出登录吗？").wait_for()
        other.click("button[type=submit]")
        other.wait_for_url("**/login**")

        # the dashboard refreshes itself (every 10 s): its next refresh asks for a sign-in instead of figures
        dashboard.get_by_text("请先登录后再访问此页面。").first.wait_for(timeout=30_000)
    finally:
        stop_app(app)
