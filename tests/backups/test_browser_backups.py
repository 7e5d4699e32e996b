"""A real browser against the running app: the admin of the top unit backs up now on 数据备份, sees it listed and
downloads the file once through /download; the file is a Minyi backup."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from storage import backups as backup_store
from tests.conftest import READY, TEST_PASSWORD, prepared_db, settle, sign_in, start_app, stop_app
from tests.fieldwork.conftest import live_window, seed_world

pytestmark = pytest.mark.browser


def _status_without_cookie(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _download(page, link, attempts: int = 3):
    """Click the download link and wait for the file. Once in a fresh CI run the click started no download (nothing
    in the server log, the ticket unclaimed): the page's rerun after the backup finished can replace the link right
    as it is clicked. A user would click again, so this does, and fails when no click ever downloads."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        try:
            with page.expect_download(timeout=20_000) as fetched:
                link.click()
            return fetched
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            settle(page, 500)
    raise AssertionError("unreachable")


def test_back_up_now_and_download_it_in_the_signed_in_browser(tmp_path, browser) -> None:
    db = prepared_db(tmp_path)
    seed_world(db, window=live_window())
    db.close()
    app = start_app(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        sign_in(page, app.url, "admin1", TEST_PASSWORD)
        page.goto(app.url + "/backups")
        page.wait_for_selector(READY)
        page.get_by_text("还没有备份").wait_for(timeout=20_000)
        page.get_by_role("button", name="立即备份").click()
        # the page looks again every 2 s while the backup runs, then shows it in the list
        page.get_by_role("button", name="下载备份文件 · 生成下载文件").wait_for(timeout=60_000)
        settle(page)
        [taken] = list((tmp_path / "backups").glob("minyi-*.duckdb"))
        page.get_by_role("button", name="下载备份文件 · 生成下载文件").click()
        settle(page, 500)
        link = page.locator('a[href^="/download/"]')
        link.wait_for(timeout=20_000)
        href = link.get_attribute("href")
        assert _status_without_cookie(app.url + href) == 401
        fetched = _download(page, link)
        assert fetched.value.suggested_filename == taken.name
        downloaded = Path(fetched.value.path())
        assert downloaded.read_bytes() == taken.read_bytes()
        assert backup_store.read_marker(downloaded)["origin"] == "manual"
        assert page.request.get(app.url + href).status == 404  # used once
        page.screenshot(path=str(tmp_path / "backups-page.png"))
    finally:
        stop_app(app)
