"""The light fill path in a real browser: JavaScript off end to end, and an old browser sent there from /fill."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import settle, start_app, stop_app
from tests.sharing.sharing_fixtures import make_link, publish

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# What streamlit issue 12118 reports missing in WeChat's webview, plus one API the fill page cannot do without
# (measured: with Object.hasOwn or Array.prototype.toSorted gone the questions render but a tap submits nothing).
OLD_WEBVIEW = ("delete Object.hasOwn; delete AbortSignal.timeout; delete Array.prototype.toSorted;")


def _prepare(data_dir) -> dict[str, str]:
    from storage import orgs
    from tests.conftest import prepared_db

    db = prepared_db(data_dir)
    try:
        unit = orgs.create_unit(db, "C1", "幸福社区", 3)
        survey_id = publish(db)
        return {"open": make_link(db, survey_id, unit.id)[0],
                "single": make_link(db, survey_id, unit.id, mode="single_use")[0],
                "revoked": make_link(db, survey_id, unit.id, revoked=True)[0]}
    finally:
        db.close()


def _answer_required(page) -> None:
    rows = page.locator("#q-services .row")
    rows.nth(0).get_by_label("满意", exact=True).check()
    rows.nth(1).get_by_label("基本满意", exact=True).check()


def test_the_light_path_end_to_end_without_javascript(tmp_path, browser, monkeypatch):
    monkeypatch.setenv("MINYI_DB", str(tmp_path / "minyi.duckdb"))
    tokens = _prepare(tmp_path)
    app = start_app(tmp_path)
    try:
        context = browser.new_context(java_script_enabled=False, **PHONE)
        hosts: set[str] = set()
        context.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        page = context.new_page()
        # a printed link opened with JavaScript off lands on the light path
        page.goto(f"{app.url}/fill?t={tokens['open']}")
        page.wait_for_url(f"**/lite?t={tokens['open']}**")
        page.get_by_role("heading", name="全题型测评").wait_for()
        assert page.get_by_role("link", name="完整版").count() == 1
        # a validation error, shown next to the question
        page.get_by_role("button", name="提交").click()
        page.locator("#q-overall .err").get_by_text("此题为必答题，请作答。").wait_for()
        # a condition: 不满意 brings up the follow-up question on the same screen before anything is stored
        assert page.locator("#q-why").count() == 0
        page.locator("#q-overall").get_by_label("不满意", exact=True).check()
        _answer_required(page)
        page.locator("textarea").fill("路灯<b>坏了</b>")
        page.get_by_role("button", name="提交").click()
        page.get_by_text("根据您的回答，本页新增了题目，请作答后再继续。").wait_for()
        assert page.locator("#q-overall").get_by_label("不满意", exact=True).is_checked()  # kept
        assert page.locator("textarea").input_value() == "路灯<b>坏了</b>"
        page.locator("#q-why").get_by_label("处理慢").check()
        page.get_by_role("button", name="提交").click()
        page.get_by_text("提交成功，感谢您的参与！").wait_for()
        page.screenshot(path=str(tmp_path / "light_thanks.png"))
        # this browser already answered the open link
        page.goto(f"{app.url}/lite?t={tokens['open']}")
        page.get_by_text("您已经填写过本问卷，感谢您的参与！").wait_for()

        # one single-use code, opened on two phones: accepted once
        first, second = context.new_page(), browser.new_context(java_script_enabled=False, **PHONE).new_page()
        for p in (first, second):
            p.goto(f"{app.url}/lite?t={tokens['single']}")
            p.locator("#q-overall").get_by_label("满意", exact=True).check()
            _answer_required(p)
        first.get_by_role("button", name="提交").click()
        first.get_by_text("提交成功，感谢您的参与！").wait_for()
        second.get_by_role("button", name="提交").click()
        second.get_by_text("这个编码已经提交过答卷，每个编码只能使用一次。感谢您的参与！").wait_for()

        # a revoked link, in English
        page.goto(f"{app.url}/fill?t={tokens['revoked']}&lang=en")
        page.get_by_text("This link has been withdrawn and no longer accepts answers.", exact=False).wait_for()
        assert hosts == {urlsplit(app.url).netloc}  # nothing requested from any other host
        second.context.close()
        context.close()
    finally:
        stop_app(app)
    from storage.db import open_database

    db = open_database(tmp_path / "minyi.duckdb")
    try:
        counts = dict(db.query("SELECT link_token, count(*) FROM responses GROUP BY 1").rows)
        assert counts == {tokens["open"]: 1, tokens["single"]: 1}
        assert db.query("SELECT value_text FROM answers WHERE question_id = 'why'").single_value() == "slow"
        assert db.query("SELECT value_text FROM answers WHERE question_id = 'comment'").single_value() == "路灯<b>坏了</b>"
    finally:
        db.close()


def test_a_browser_lacking_what_streamlit_needs_lands_on_the_light_path(tmp_path, browser, monkeypatch):
    monkeypatch.setenv("MINYI_DB", str(tmp_path / "minyi.duckdb"))
    tokens = _prepare(tmp_path)
    app = start_app(tmp_path)
    try:
        old = browser.new_context(**PHONE)
        old.add_init_script(OLD_WEBVIEW)
        page = old.new_page()
        page.goto(f"{app.url}/fill?t={tokens['open']}")
        page.wait_for_url(f"**/lite?t={tokens['open']}**")
        page.get_by_role("heading", name="全题型测评").wait_for()
        # with JavaScript, a condition's source re-renders the screen at once (the server applies the condition)
        page.locator("#q-overall").get_by_label("非常不满意", exact=True).check()
        page.locator("#q-why").wait_for()
        assert page.locator("#q-overall").get_by_label("非常不满意", exact=True).is_checked()
        old.close()

        # a browser that has it all stays on the Streamlit page, which offers the 简洁版 switch
        modern = browser.new_context(**PHONE)
        page = modern.new_page()
        page.goto(f"{app.url}/fill?t={tokens['open']}")
        settle(page)
        page.locator('[data-testid="stRadio"]').first.wait_for()
        assert urlsplit(page.url).path == "/fill"
        page.get_by_role("link", name="简洁版").click()
        page.wait_for_url(f"**/lite?t={tokens['open']}**")
        page.get_by_role("link", name="完整版").wait_for()
        modern.close()
    finally:
        stop_app(app)
