"""A real browser: an admin exports the household list through /download; without the session cookie the same
link gives nothing, and the page holds no /media/ file (issue 20 item 7)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.conftest import READY, TEST_PASSWORD, prepared_db, settle, sign_in, start_app, stop_app
from tests.fieldwork.conftest import live_window, seed_world

pytestmark = pytest.mark.browser


def _status_without_cookie(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_household_export_downloads_only_in_the_signed_in_browser(tmp_path, browser) -> None:
    db = prepared_db(tmp_path)
    seed_world(db, window=live_window())
    db.close()
    app = start_app(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        sign_in(page, app.url, "admin1", TEST_PASSWORD)
        page.goto(app.url + "/households")
        page.wait_for_selector(READY)
        prepare = page.get_by_role("button", name="导出（将记入审计日志） · 生成下载文件")
        prepare.click()
        settle(page, 500)
        link = page.locator('a[href^="/download/"]')
        link.wait_for(timeout=20_000)
        href = link.get_attribute("href")
        assert page.locator('a[href*="/media/"]').count() == 0
        assert _status_without_cookie(app.url + href) == 401  # a copied link is useless without the sign-in
        with page.expect_download(timeout=20_000) as fetched:
            link.click()
        path = fetched.value.path()
        with open(path, "rb") as fh:
            assert fh.read(2) == b"PK"  # the .xlsx
        assert fetched.value.suggested_filename == "households.xlsx"
        # used once: the same link is refused even in the signed-in browser
        again = page.request.get(app.url + href)
        assert again.status == 404
        page.screenshot(path=str(tmp_path / "households-export.png"))
    finally:
        stop_app(app)
