"""A resident on a phone (390x844) answers through a share link, reopens it, and meets a revoked link."""

from __future__ import annotations

import pytest

from tests.conftest import pick, settle, start_app, stop_app
from tests.sharing.sharing_fixtures import make_link, publish

pytestmark = pytest.mark.browser


def _prepare(data_dir) -> tuple[str, str]:
    """A database with the test survey, one open link and one revoked link (before the app holds the file)."""
    import os

    os.environ["MINYI_DB"] = str(data_dir / "minyi.duckdb")
    from storage import orgs
    from storage.db import open_database

    db = open_database(data_dir / "minyi.duckdb")
    try:
        unit = orgs.create_unit(db, "C1", "幸福社区", 3)
        survey_id = publish(db)
        return make_link(db, survey_id, unit.id)[0], make_link(db, survey_id, unit.id, revoked=True)[0]
    finally:
        db.close()


def test_resident_answers_on_a_phone_then_sees_already_answered(tmp_path, browser, monkeypatch):
    monkeypatch.setenv("MINYI_DB", str(tmp_path / "minyi.duckdb"))
    open_token, revoked_token = _prepare(tmp_path)
    app = start_app(tmp_path)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.goto(f"{app.url}/fill?t={open_token}")
        settle(page)
        page.get_by_text("全题型测评").first.wait_for()
        assert page.locator('[data-testid="stSidebar"]').count() == 0  # residents get no staff menu
        radios = page.locator('[data-testid="stRadio"]')
        pick(radios.nth(0), "满意")  # overall: 满意 (4)
        assert page.get_by_text("不满意的原因").count() == 0  # the follow-up stays hidden
        pick(radios.nth(2), "非常满意")  # matrix row 供水
        pick(radios.nth(3), "基本满意")  # matrix row 供电
        page.locator("textarea").fill("路灯<b>坏了</b>")
        page.screenshot(path=str(tmp_path / "phone_form.png"), full_page=False)
        # every option of the five-level scale is a thumb-sized target
        box = radios.nth(0).locator('[data-testid="stRadioOption"]').nth(0).bounding_box()
        assert box is not None and box["height"] >= 40
        page.get_by_role("button", name="提交").click()
        page.get_by_text("提交成功，感谢您的参与！").wait_for(timeout=20000)
        settle(page)
        page.screenshot(path=str(tmp_path / "phone_thanks.png"))
        page.wait_for_function("() => document.cookie.includes('minyi_done_')", timeout=10000)

        again = context.new_page()
        again.goto(f"{app.url}/fill?t={open_token}")
        settle(again)
        again.get_by_text("您已经填写过本问卷，感谢您的参与！").wait_for(timeout=20000)
        assert again.locator('[data-testid="stRadio"]').count() == 0

        revoked = context.new_page()
        revoked.goto(f"{app.url}/fill?t={revoked_token}")
        settle(revoked)
        revoked.get_by_text("这个链接已被收回，不再接受填写。如有疑问请联系社区（村）工作人员。").wait_for(timeout=20000)
        context.close()
    finally:
        stop_app(app)
    from storage.db import open_database

    db = open_database(tmp_path / "minyi.duckdb")
    try:
        assert db.query("SELECT count(*) FROM responses WHERE link_token = ?", [open_token]).single_value() == 1
        assert db.query("SELECT value_text FROM answers WHERE question_id = 'comment'").single_value() == "路灯<b>坏了</b>"
        assert db.query("SELECT value_num FROM answers WHERE question_id = 'overall'").single_value() == 4.0
    finally:
        db.close()
