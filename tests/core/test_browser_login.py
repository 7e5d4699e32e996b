"""A real browser signs in through the setup page and the login form, reloads, stays signed in, signs out."""

from __future__ import annotations

import pytest

from tests.conftest import READY, start_app, stop_app

pytestmark = pytest.mark.browser


def test_first_admin_signs_in_survives_reload_and_signs_out(tmp_path, browser):
    app = start_app(tmp_path)
    try:
        code = (tmp_path / "setup-code.txt").read_text().strip()
        assert code in app.log()  # printed in the terminal at first start
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(app.url + "/login")
        assert "/setup" in page.url  # no admin yet: the login page sends the newcomer to setup
        page.fill("#code", code)
        page.fill("#unit_name", "清河区")
        page.fill("#unit_code", "D01")
        page.fill("#username", "admin")
        page.fill("#display_name", "王管理")
        page.fill("#password", "first-admin-2026")
        page.fill("#password2", "first-admin-2026")
        page.click("button[type=submit]")
        page.wait_for_url("**/login**")

        page.fill("#username", "admin")
        page.fill("#password", "wrong-password")
        page.click("button[type=submit]")
        assert page.locator(".error").inner_text() == "用户名或密码不正确。"
        page.fill("#password", "first-admin-2026")
        page.click("button[type=submit]")
        page.wait_for_selector(READY)
        page.screenshot(path=str(tmp_path / "signed_in.png"))
        page.get_by_text("欢迎，王管理").wait_for()

        page.reload()
        page.wait_for_selector(READY)
        page.get_by_text("欢迎，王管理").wait_for()
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["minyi_session"]["httpOnly"] is True

        page.goto(app.url + "/users")
        page.wait_for_selector(READY)
        page.get_by_text("新增用户").wait_for()

        # the language chosen with the switch survives a reload (a cookie), and switching back too
        page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
        page.get_by_text("Add a user").wait_for()
        page.wait_for_selector(READY)
        page.wait_for_function("() => document.cookie.includes('minyi_lang=en')", timeout=10_000)
        page.reload()
        page.wait_for_selector(READY)
        page.get_by_text("Add a user").wait_for()
        page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).click()
        page.get_by_text("新增用户").wait_for()
        page.wait_for_function("() => document.cookie.includes('minyi_lang=zh')", timeout=10_000)

        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="退出登录").click()
        page.wait_for_url("**/logout**")  # a confirmation page: signing out is a POST with a CSRF token
        page.click("button[type=submit]")
        page.wait_for_url("**/login**")
        page.goto(app.url + "/users")
        page.wait_for_selector(READY)
        page.get_by_text("请先登录后再访问此页面。").wait_for()  # signed out: the page's own guard answers
        assert page.get_by_text("新增用户").count() == 0
        page.locator("main").get_by_role("link", name="工作人员登录").click()
        page.wait_for_url("**/login**")
        page.fill("#username", "admin")
        page.fill("#password", "first-admin-2026")
        page.click("button[type=submit]")
        page.wait_for_url("**/users")
        page.wait_for_selector(READY)
        page.get_by_text("新增用户").wait_for()  # back on the page asked for
    finally:
        stop_app(app)
