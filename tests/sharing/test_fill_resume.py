"""Resume (断点续答), fill-page polish and ballot-stuffing bounds, tested on the fill page with AppTest and on storage.

AppTest cannot send cookies, so "the same browser" is simulated by making
ui.drafts.cookie_draft_id return the same draft id in two AppTest sessions
(each AppTest is a new session, as a reload or a reopened tab is).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import settings as settings_module
from services import drafts, submissions
from settings import now
from sharing.ratelimit import effective_limit
from storage import drafts as draft_store
from storage import links as link_store
from storage import orgs
from storage import surveys as survey_store
from storage.db import Scope
from surveys import load_survey_text, survey_to_dict
from tests.conftest import build_tree, make_principal, page_test
from tests.sharing.sharing_fixtures import ALL_TYPES_YAML, THANKS, make_link, publish

FILE = "pages/fill.py"
BROWSER_A = "A" * 32
BROWSER_B = "b" * 16 + "-" * 16


def in_browser(monkeypatch, draft_id: str | None) -> None:
    """Every following page load comes from the browser holding this draft cookie."""
    import ui.drafts

    monkeypatch.setattr(ui.drafts, "cookie_draft_id", lambda: drafts.valid_draft_id(draft_id))


def _open(token: str, lang: str = "zh"):
    at = page_test(FILE, lang=lang, t=token)
    at.run()
    assert not at.exception
    return at


def _key(token: str, qid: str, row: str | None = None) -> str:
    return f"fill.{token}.{qid}" + (f".{row}" if row else "")


def _forward(at):
    at.button(key="fill.forward").click().run()
    assert not at.exception
    return at


def _page_two(at, token: str) -> None:
    at.radio(key=_key(token, "services", "water")).set_value(4).run()
    at.radio(key=_key(token, "services", "power")).set_value(3).run()
    at.text_area(key=_key(token, "comment")).input("楼道灯坏了").run()


# --- resume --------------------------------------------------------------------------------


def test_answers_and_screen_come_back_in_a_new_session_of_the_same_browser_and_submit_once(setup, monkeypatch):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    in_browser(monkeypatch, BROWSER_A)
    first = _open(token)
    first.radio(key=_key(token, "overall")).set_value(4).run()
    first.radio(key=_key(token, "side")).set_value("east").run()
    _forward(first)
    first.radio(key=_key(token, "services", "water")).set_value(5).run()  # then the resident reloads

    again = _open(token)  # a new session: reload, app switch or a reopened tab
    assert again.info[0].value == "已为您恢复上次未提交的回答，可以接着填写。"
    assert again.progress[0].value == 100  # back on screen 2 of 2
    assert again.radio(key=_key(token, "services", "water")).value == 5
    again.radio(key=_key(token, "services", "power")).set_value(3).run()
    next(b for b in again.button if b.label == "上一页").click().run()  # screen 1 still holds its answers
    assert again.radio(key=_key(token, "overall")).value == 4
    assert again.radio(key=_key(token, "side")).value == "east"
    _forward(again)
    assert again.radio(key=_key(token, "services", "power")).value == 3
    _forward(again)
    assert again.success[0].value == THANKS
    rows = db.query("SELECT client_key, browser_id FROM responses WHERE link_token = ?", [token]).rows
    assert len(rows) == 1 and rows[0][1] == drafts.browser_id(BROWSER_A)
    assert db.query("SELECT count(*) FROM fill_drafts").single_value() == 0  # cleared once submitted
    # the first session, still open in another tab, submits the same response (same client key): stored once
    first.radio(key=_key(token, "services", "power")).set_value(3).run()
    _forward(first)
    assert first.success[0].value == THANKS
    assert db.query("SELECT count(*) FROM responses WHERE link_token = ?", [token]).single_value() == 1


def test_a_draft_is_never_visible_from_another_browser(setup, monkeypatch):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    in_browser(monkeypatch, BROWSER_A)
    mine = _open(token)
    mine.radio(key=_key(token, "overall")).set_value(2).run()
    in_browser(monkeypatch, BROWSER_B)
    theirs = _open(token)
    assert theirs.radio(key=_key(token, "overall")).value is None
    assert not theirs.info
    in_browser(monkeypatch, None)  # a browser that sent no cookie at all
    fresh = _open(token)
    assert fresh.radio(key=_key(token, "overall")).value is None
    # the one cookie script for the new id; nothing else on the page runs script
    scripts = [h.body for h in fresh.get("html") if "document.cookie" in h.body]
    assert len(scripts) == 1 and drafts.DRAFT_COOKIE + "=" in scripts[0]


@pytest.mark.parametrize("cookie", ["", "short", "A" * 31 + "'", "A" * 33, "../" * 11, 'x";alert(1);//' + "A" * 18])
def test_a_tampered_draft_id_is_refused(cookie):
    assert drafts.valid_draft_id(cookie) is None
    assert drafts.valid_draft_id(drafts.new_draft_id()) is not None


def test_a_tampered_draft_opens_a_clean_form_without_a_traceback(setup, monkeypatch):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at_time = now()
    for answers in ('{"overall": "abc", "why": 7, "services": [1], "members": "x", "moved_in": "no-date"}',
                    "not json at all", "[1, 2]"):
        draft_store.save_draft(db, draft_store.Draft(BROWSER_A, token, survey_id, 1, "key-1", answers, 99, None,
                                                     at_time, at_time + timedelta(days=1)))
        in_browser(monkeypatch, BROWSER_A)
        at = _open(token)
        assert at.progress[0].value == 50  # an impossible screen starts at the first
        assert at.radio(key=_key(token, "overall")).value is None
        at.radio(key=_key(token, "overall")).set_value(4).run()
        assert not at.exception


def test_a_draft_of_an_older_survey_version_starts_afresh_and_a_closed_survey_says_so(setup, monkeypatch):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    in_browser(monkeypatch, BROWSER_A)
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(4).run()
    survey = load_survey_text(ALL_TYPES_YAML.replace("总体评价", "总体评价（新版）"), "test.yaml")
    survey_store.publish_version(db, survey_id, survey_to_dict(survey))
    import ui.link_resources

    ui.link_resources._resolve.clear()  # the next resident sees the new version at once
    again = _open(token)
    assert again.info[0].value == "问卷在您上次填写后已更新，请重新作答。"
    assert again.radio(key=_key(token, "overall")).value is None
    assert db.query("SELECT count(*) FROM fill_drafts").single_value() == 0
    again.radio(key=_key(token, "overall")).set_value(5).run()
    survey_store.set_status(db, survey_id, "closed")
    ui.link_resources._resolve.clear()
    closed = _open(token)
    assert [i.value for i in closed.info] == ["本次测评目前未开放或已结束。感谢您的关注！"]
    assert closed.radio.len == 0


def test_drafts_expire_after_the_configured_days_and_are_purged(setup, monkeypatch):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    monkeypatch.setenv("MINYI_DRAFT_DAYS", "2")
    in_browser(monkeypatch, BROWSER_A)
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(4).run()
    kept = db.query("SELECT updated_at, expires_at FROM fill_drafts").rows
    assert len(kept) == 1 and kept[0][1] - kept[0][0] == timedelta(days=2)
    assert drafts.resume(db, BROWSER_A, token, survey_id, 1, 2, kept[0][1] + timedelta(seconds=1)).status == "none"
    other = now() - timedelta(days=30)
    draft_store.save_draft(db, draft_store.Draft(BROWSER_B, token, survey_id, 1, "k", "{}", 0, None, other,
                                                 other + timedelta(days=7)))
    purger = drafts.Purger(every=3600)
    assert purger.maybe_purge(db, now()) == 1  # only the expired one
    assert db.query("SELECT draft_id FROM fill_drafts").rows == [(BROWSER_A,)]
    assert purger.maybe_purge(db, kept[0][1] + timedelta(days=1)) == 0  # at most once an hour per process
    assert settings_module.load({}).draft_days == 7


# --- fill-page polish ----------------------------------------------------------------------


def test_the_required_message_disappears_once_the_question_is_answered(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(1).run()
    _forward(at)
    assert [e.value for e in at.error] == ["此题为必答题，请作答。"]
    assert at.warning[0].value == "还有题目需要补充或修改，请查看标红的提示。"
    at.pills(key=_key(token, "why")).set_value(["slow"]).run()
    assert not at.exception
    assert not at.error and not at.warning


def test_a_multi_choice_maximum_is_enforced_on_the_tap(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(1).run()
    at.pills(key=_key(token, "why")).set_value(["slow", "rude"]).run()
    assert not at.warning
    at.pills(key=_key(token, "why")).set_value(["slow", "rude", "other"]).run()  # the third tap
    assert not at.exception
    assert at.pills(key=_key(token, "why")).value == ["slow", "rude"]
    assert [w.value for w in at.warning] == ["最多选择 2 项，请先取消一项再选。"]
    at.pills(key=_key(token, "why")).set_value(["rude", "other"]).run()  # unselect one, then choose
    assert at.pills(key=_key(token, "why")).value == ["rude", "other"] and not at.warning


def test_question_numbers_count_only_the_questions_shown(app_db):
    unit = orgs.create_unit(app_db, "C1", "幸福社区", 3)
    token = make_link(app_db, publish(app_db), unit.id)[0]
    at = _open(token)  # 8 questions: one screen, the follow-up "why" hidden
    labels = [m.value for m in at.markdown]
    assert "1\\. 总体评价 :red[\\*]" in labels and "2\\. 您住在哪一侧" in labels
    assert "3\\. 各项服务 :red[\\*]" in labels[labels.index("2\\. 您住在哪一侧"):]
    at.radio(key=_key(token, "overall")).set_value(1).run()  # shows "why": the numbers move up
    assert "3\\. 您住在哪一侧" in [m.value for m in at.markdown]


def test_radio_groups_carry_a_readable_accessible_name(app_db):
    unit = orgs.create_unit(app_db, "C1", "幸福社区", 3)
    yaml_text = ALL_TYPES_YAML.replace("label: 您住在哪一侧", "label: '您住在哪一侧 (东/西)? *必填* [见图](http://x.cn)'")
    token = make_link(app_db, publish(app_db, yaml_text), unit.id)[0]
    at = _open(token)
    overall = at.radio(key=_key(token, "overall"))
    assert overall.label == "1．总体评价（必答）"
    side = at.radio(key=_key(token, "side")).label
    assert side.startswith("2．您住在哪一侧") and "\\" not in side and ":red" not in side and "](" not in side
    assert side == "2．您住在哪一侧 （东/西）? ＊必填＊ ［见图］（http：//x．cn）"
    english = _open(token, "en").radio(key=_key(token, "overall")).label
    assert english == "1．总体评价 (required)"


def test_a_single_use_code_just_used_reads_used_at_once_in_another_browser(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id, mode="single_use")[0]
    phone = _open(token)
    _open(token)  # a second phone opens the card too: its resolution is what was shared
    phone.radio(key=_key(token, "overall")).set_value(4).run()
    _forward(phone)
    _page_two(phone, token)
    _forward(phone)
    assert phone.success[0].value == THANKS
    other = _open(token)
    assert [i.value for i in other.info] == ["这个编码已经提交过答卷，每个编码只能使用一次。感谢您的参与！"]
    assert other.radio.len == 0


# --- ballot-stuffing bounds ----------------------------------------------------------------


def test_the_burst_limit_is_on_by_default_and_a_link_may_set_its_own():
    # what the default lets through and stops: tests/sharing/test_burst_limit.py
    assert settings_module.load({}).link_burst_per_minute == 120
    assert effective_limit(None, 120) == 120 and effective_limit(300, 120) == 300


def test_the_default_burst_limit_stops_one_address_flooding_an_open_link(setup, monkeypatch):
    db, unit, survey_id = setup
    import ui.link_resources

    monkeypatch.setenv("MINYI_LINK_BURST_PER_MINUTE", "2")
    monkeypatch.setattr(ui.link_resources, "client_address", lambda: "203.0.113.9")
    token = make_link(db, survey_id, unit.id)[0]  # no limit set on the link
    results = []
    for _ in range(3):
        at = _open(token)
        at.radio(key=_key(token, "overall")).set_value(4).run()
        _forward(at)
        _page_two(at, token)
        _forward(at)
        results.append(at)
    assert [bool(at.success) for at in results] == [True, True, False]
    assert results[2].warning[0].value == "提交过于频繁，请稍等一分钟后再点“提交”，您的回答已保留。"
    assert results[2].radio(key=_key(token, "services", "water")).value == 4  # answers kept
    assert db.query("SELECT count(*) FROM responses WHERE link_token = ?", [token]).single_value() == 2


def test_responses_carry_the_browser_id_and_repeats_are_counted_per_link(setup, monkeypatch):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    for browser in (BROWSER_A, BROWSER_A, BROWSER_B):  # a second answer after clearing only the done marker
        in_browser(monkeypatch, browser)
        at = _open(token)
        at.radio(key=_key(token, "overall")).set_value(4).run()
        _forward(at)
        _page_two(at, token)
        _forward(at)
        assert at.success
    ids = db.query("SELECT browser_id FROM responses WHERE link_token = ? ORDER BY id", [token]).rows
    assert ids == [(drafts.browser_id(BROWSER_A),)] * 2 + [(drafts.browser_id(BROWSER_B),)]
    assert BROWSER_A not in {i[0] for i in ids}  # the stored id cannot be replayed as the cookie
    counted = link_store.browser_repeats(db, survey_id, Scope.everything())[token]
    assert (counted.responses, counted.browsers, counted.repeats, counted.unmarked) == (3, 2, 1, 0)


def test_browser_repeats_respect_scope_and_count_unmarked(app_db):
    tree = build_tree(app_db)
    survey_id = publish(app_db)
    mine = make_link(app_db, survey_id, tree.unit("T1C1").id)[0]
    theirs = make_link(app_db, survey_id, tree.unit("T2C1").id)[0]
    opened = submissions.open_link(app_db, mine, now())
    raw = {"overall": 4, "services": {"water": 4, "power": 4}}
    for n, (token, browser) in enumerate([(mine, "x"), (mine, "x"), (mine, "x"), (mine, None), (theirs, "y")]):
        submissions.submit(app_db, token=token, survey=opened.survey, version=opened.version, raw=raw,
                           client_key=f"k{n}", started_at=None, at=now(), browser_id=browser)
    town = make_principal(app_db, "leader1", "leader", tree.unit("T1"))
    counted = link_store.browser_repeats(app_db, survey_id, town.scope)
    assert set(counted) == {mine}
    mine_counted = counted[mine]
    assert (mine_counted.responses, mine_counted.browsers, mine_counted.repeats, mine_counted.unmarked) == (4, 1, 2, 1)


def test_staff_see_repeats_where_they_look_at_a_link(app_db):
    tree = build_tree(app_db)
    survey_id = publish(app_db)
    token = make_link(app_db, survey_id, tree.unit("T1C1").id)[0]
    opened = submissions.open_link(app_db, token, now())
    for n in range(3):
        submissions.submit(app_db, token=token, survey=opened.survey, version=opened.version,
                           raw={"overall": 4, "services": {"water": 4, "power": 4}}, client_key=f"k{n}",
                           started_at=None, at=now(), browser_id="same-browser")
    at = page_test("pages/links.py", make_principal(app_db, "admin1", "admin", tree.district))
    at.run()
    box = at.selectbox(key="links.survey")
    box.select(next(o for o in box.options if survey_id in o)).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert frame["答卷数"].tolist() == [3] and frame["同一浏览器重复"].tolist() == [2]
