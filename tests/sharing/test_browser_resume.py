"""Resume (断点续答) in a real browser: a reload and a closed-and-reopened tab bring back the answers and the screen,
another browser sees none of it, and the resumed submit stores one response."""

from __future__ import annotations

import pytest

from tests.conftest import pick, settle, start_app, stop_app
from tests.sharing.sharing_fixtures import make_link, publish

pytestmark = pytest.mark.browser

# 17 answerable questions: more than fit one screen (ui.survey_form.ONE_SCREEN_MAX_QUESTIONS), so two screens.
LONG_YAML = "id: long_survey\ntitle: 长问卷测评\npages:\n" + "".join(
    f"  - id: p{p}\n    title: 第{p}部分\n    questions:\n"
    + "".join(f"      - {{id: q{p}_{i}, type: rating, label: 第{p}部分第{i}项服务, required: {str(i == 1).lower()}}}\n"
              for i in range(1, 9))
    for p in (1, 2)
) + "      - {id: comment, type: text, label: 意见建议, multiline: true, max_length: 200}\n"


def _prepare(data_dir) -> str:
    from storage import orgs
    from storage.db import open_database

    db = open_database(data_dir / "minyi.duckdb")
    try:
        unit = orgs.create_unit(db, "C1", "幸福社区", 3)
        return make_link(db, publish(db, LONG_YAML), unit.id)[0]
    finally:
        db.close()


def _group(page, name: str):
    """A radio group found by its accessible name, as a screen reader finds it."""
    return page.get_by_role("radiogroup", name=name, exact=True)


def _checked(page, group_name: str, option: str) -> bool:
    return _group(page, group_name).get_by_role("radio", name=option, exact=True).is_checked()


def test_reload_and_reopen_restore_answers_and_screen_and_submit_once(tmp_path, browser, monkeypatch):
    from playwright.sync_api import expect

    monkeypatch.setenv("MINYI_DB", str(tmp_path / "minyi.duckdb"))
    token = _prepare(tmp_path)
    app = start_app(tmp_path)
    url = f"{app.url}/fill?t={token}"
    try:
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(url)
        settle(page)
        page.get_by_text("长问卷测评").first.wait_for()
        # the visible label above a radio group is styled as the question it is
        expect(page.get_by_text("1. 第1部分第1项服务", exact=False).first).to_have_css("font-weight", "600")
        pick(_group(page, "1．第1部分第1项服务（必答）"), "满意")
        pick(_group(page, "2．第1部分第2项服务"), "非常满意")
        page.get_by_role("button", name="下一页").click()
        settle(page)
        page.get_by_text("第 2 / 2 页").wait_for()
        pick(_group(page, "9．第2部分第1项服务（必答）"), "基本满意")
        page.locator("textarea").fill("楼道灯不亮")
        page.keyboard.press("Tab")  # the resident taps elsewhere: the comment is sent
        settle(page, 400)
        assert "minyi_draft=" in page.evaluate("document.cookie")

        page.reload()  # e.g. WeChat reloads the page after an app switch
        settle(page)
        page.get_by_text("已为您恢复上次未提交的回答，可以接着填写。").wait_for(timeout=20000)
        page.get_by_text("第 2 / 2 页").wait_for()
        assert _checked(page, "9．第2部分第1项服务（必答）", "基本满意")
        assert page.locator("textarea").input_value() == "楼道灯不亮"
        page.close()

        reopened = phone.new_page()  # the tab closed, the link opened again in the same browser
        reopened.goto(url)
        settle(reopened)
        reopened.get_by_text("第 2 / 2 页").wait_for(timeout=20000)
        assert _checked(reopened, "9．第2部分第1项服务（必答）", "基本满意")
        reopened.get_by_role("button", name="上一页").click()
        settle(reopened)
        reopened.get_by_text("第 1 / 2 页").wait_for()
        assert _checked(reopened, "1．第1部分第1项服务（必答）", "满意")
        assert _checked(reopened, "2．第1部分第2项服务", "非常满意")

        other = browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # another browser
        other.goto(url)
        settle(other)
        other.get_by_text("第 1 / 2 页").wait_for(timeout=20000)
        assert not _checked(other, "1．第1部分第1项服务（必答）", "满意")
        assert other.get_by_text("已为您恢复上次未提交的回答，可以接着填写。").count() == 0
        other.context.close()

        reopened.get_by_role("button", name="下一页").click()
        settle(reopened)
        reopened.get_by_role("button", name="提交").click()
        reopened.get_by_text("提交成功，感谢您的参与！").wait_for(timeout=20000)
        settle(reopened)
        reopened.reload()  # after the submit the draft is gone: the courtesy marker answers
        settle(reopened)
        reopened.get_by_text("您已经填写过本问卷，感谢您的参与！").wait_for(timeout=20000)
        phone.close()
    finally:
        stop_app(app)
    from storage.db import open_database

    db = open_database(tmp_path / "minyi.duckdb")
    try:
        rows = db.query("SELECT id, browser_id FROM responses WHERE link_token = ?", [token]).rows
        assert len(rows) == 1 and rows[0][1] is not None
        answers = dict(db.query("SELECT question_id, coalesce(value_text, CAST(value_num AS VARCHAR)) FROM answers"
                                " WHERE response_id = ?", [rows[0][0]]).rows)
        assert answers == {"q1_1": "4.0", "q1_2": "5.0", "q2_1": "3.0", "comment": "楼道灯不亮"}
        assert db.query("SELECT count(*) FROM fill_drafts").single_value() == 0
    finally:
        db.close()
