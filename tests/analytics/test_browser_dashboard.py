"""A real browser: a leader opens the dashboard, drills down two levels, and sees a resident's new answer appear."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import demo
from storage import links, orgs
from storage.db import Scope, open_database
from tests.conftest import READY, pick, start_app, stop_app

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> int:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    text = box.locator('[data-testid="stMetricValue"]').inner_text()
    return int(re.sub(r"[^\d]", "", text) or 0)


def test_overview_drill_two_levels_and_live_update(tmp_path, browser) -> None:
    db = open_database(tmp_path / "minyi.duckdb")
    from services.startup import prepare
    import settings

    prepare(db, settings.load({"MINYI_DB": str(tmp_path / "minyi.duckdb")}))
    demo.load_demo(db, households=300, seed=5, responses=2000, today=dt.date.today())
    district = orgs.roots(db)[0]
    town = orgs.children(db, district.id, Scope.everything())[0]
    community = orgs.children(db, town.id, Scope.everything())[0]
    grid = orgs.children(db, community.id, Scope.everything())[0]
    from sharing.tokens import new_token

    token = new_token()
    links.create_links(db, "qunzhong_manyidu", grid.id, "open", [token], settings.now())
    db.close()
    app = start_app(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 2400})
        page.goto(app.url + "/login")
        page.fill("#username", "leader")
        page.fill("#password", demo.DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector(READY)
        page.goto(app.url + "/dashboard")
        page.wait_for_selector(READY)
        page.get_by_text("群众满意度测评看板").first.wait_for()
        page.get_by_text(f"{district.name} 的下级单位").wait_for()
        total = _metric(page, "累计答卷")
        assert total > 0
        page.screenshot(path=str(tmp_path / "overview.png"))

        page.get_by_role("button", name=town.name, exact=True).click()
        page.get_by_text(f"{town.name} 的下级单位").wait_for(timeout=30_000)
        page.wait_for_selector(READY)
        page.get_by_role("button", name=community.name, exact=True).click()
        page.get_by_text(f"{community.name} 的下级单位").wait_for(timeout=30_000)
        page.wait_for_selector(READY)
        page.get_by_text(f"返回上级：{town.name}").wait_for()
        page.screenshot(path=str(tmp_path / "drilled.png"))
        before = _metric(page, "今日答卷")

        resident = browser.new_page(viewport={"width": 420, "height": 2400})
        resident.goto(app.url + f"/fill?t={token}")
        resident.wait_for_selector(READY)
        submit = resident.get_by_role("button", name="提交")
        submit.wait_for(timeout=30_000)
        groups = resident.locator('[data-testid="stRadio"]')
        thanks = resident.get_by_text("提交成功，感谢您的参与！")
        for i in range(7):  # the required ratings: overall and the six services
            pick(groups.nth(i), "非常满意")
        resident.screenshot(path=str(tmp_path / "resident.png"))
        submit.click()
        thanks.wait_for(timeout=20_000)

        for _ in range(40):  # the dashboard refreshes itself every 10 s: allow a few intervals, no reload
            page.wait_for_timeout(1000)
            try:
                if _metric(page, "今日答卷") == before + 1:
                    break
            except Exception:  # noqa: BLE001 - the fragment may be mid-redraw
                continue
        assert _metric(page, "今日答卷") == before + 1
        page.screenshot(path=str(tmp_path / "updated.png"))
    finally:
        stop_app(app)
