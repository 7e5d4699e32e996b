"""A real browser uploads the zip bomb to the running app's household import while residents keep asking the
server: the page refuses it with the message, the server's memory stays under 300 MB, and /healthz and a resident's
fill page keep answering meanwhile."""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD, build_tree, make_principal, prepared_db, settle, sign_in, start_app, stop_app
from tests.uploads import bombs

pytestmark = pytest.mark.browser


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_the_running_app_refuses_an_uploaded_zip_bomb_and_keeps_serving_residents(tmp_path, browser):
    db = prepared_db(tmp_path)
    tree = build_tree(db)
    make_principal(db, "admin1", "admin", tree.district)
    db.close()
    bomb_file = tmp_path / "名册.xlsx"
    bomb_file.write_bytes(bombs.zip_bomb(400))
    app = start_app(tmp_path)
    answers: list[tuple[float, int]] = []
    stop = threading.Event()

    def resident() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            with urllib.request.urlopen(app.url + "/healthz", timeout=30) as r:
                answers.append((time.perf_counter() - started, r.status))
            time.sleep(0.1)

    try:
        page = browser.new_page(viewport={"width": 1280, "height": 2400})
        sign_in(page, app.url, "admin1", TEST_PASSWORD)
        page.goto(app.url + "/households")
        settle(page, 300)
        page.get_by_text("导入住户名册").first.click()
        settle(page, 300)
        watcher = threading.Thread(target=resident)
        watcher.start()
        page.locator('input[type="file"]').first.set_input_files(str(bomb_file))
        page.get_by_text("压缩比异常").first.wait_for(timeout=60_000)
        # a resident opening the fill page meanwhile is answered by the same server
        fill = browser.new_page()
        fill.goto(app.url + "/fill?t=NOSUCHCODE")
        settle(fill, 300)
        fill.locator('[data-testid="stAlert"]').first.wait_for(timeout=30_000)
        stop.set()
        watcher.join()
        assert answers and all(status == 200 for _, status in answers)
        assert _peak_rss_mb(app.process.pid) < 300
        assert "Traceback" not in app.log()
    finally:
        stop.set()
        stop_app(app)
