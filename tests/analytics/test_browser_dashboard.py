"""A real browser: a leader opens the dashboard, drills down two levels, and sees a resident's new answer appear."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import demo
import settings
from storage import links, orgs
from storage.db import Scope
from tests.conftest import READY, pick, prepared_db, settle, sign_in, start_app, stop_app

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> int:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    text = box.locator('[data-testid="stMetricValue"]').inner_text()
    return int(re.sub(r"[^\d]", "", text) or 0)


def test_overview_drill_two_levels_and_live_update(tmp_path, browser) -> None:
    db = prepared_db(tmp_path)
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
        sign_in(page, app.url, "leader", demo.DEMO_PASSWORD)
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


def _selected(page, label: str) -> str:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    return box.get_by_role("combobox").input_value()


def test_filters_and_pause_stay_as_chosen_across_the_dashboard_pages(tmp_path, browser) -> None:
    """A leader sets the period and pauses live refresh, then moves through the dashboard pages by the menu."""
    db = prepared_db(tmp_path)
    demo.load_demo(db, households=120, seed=7, responses=300, today=dt.date.today())
    db.close()
    app = start_app(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 1400})
        sign_in(page, app.url, "leader", demo.DEMO_PASSWORD)
        page.goto(app.url + "/dashboard")
        page.get_by_text("群众满意度测评看板").first.wait_for()
        settle(page)

        def visit(link: str, title: str) -> None:
            page.get_by_role("link", name=link, exact=True).click()
            page.get_by_role("heading", name=title).first.wait_for()
            settle(page, 500)

        for link, title in (("问题看板", "问题清单看板"), ("测评看板", "群众满意度测评看板")):  # the defaults, untouched
            visit(link, title)
            assert _selected(page, "时间范围") == "近 30 天", link
            assert page.get_by_text("已暂停自动刷新").count() == 0, link
        page.locator('[data-testid="stSelectbox"]').filter(has_text="时间范围").first.click()
        page.get_by_role("option", name="近 7 天").first.click()
        settle(page)
        page.get_by_text("自动刷新", exact=True).click()
        page.get_by_text("已暂停自动刷新").wait_for()
        settle(page)
        for link, title in (("走访看板", "入户走访看板"), ("问题看板", "问题清单看板"), ("群众声音", "群众声音"),
                            ("测评看板", "群众满意度测评看板")):
            visit(link, title)
            if link == "走访看板":  # coverage belongs to the campaign: no period to choose there
                assert page.locator('[data-testid="stSelectbox"]').filter(has_text="时间范围").count() == 0
            else:
                assert _selected(page, "时间范围") == "近 7 天", link
            width = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
            assert width > 1000, (link, width)  # the dashboards' wide layout on every run
            assert page.get_by_text("已暂停自动刷新").count() == 1, link
    finally:
        stop_app(app)
