"""AppTest of the public fill page: every question type, conditions, validation, idempotent submit, link states."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import pytest

from settings import now
from tests.sharing.sharing_fixtures import THANKS, make_link, publish
from storage import orgs
from storage import surveys as survey_store
from tests.conftest import page_test
from ui import state

FILE = "pages/fill.py"
# The thank-you: title and body in one success box.


def shown(markdown: str) -> str:
    """What a markdown element with backslash-escaped text displays."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _open(token: str, lang: str = "zh"):
    at = page_test(FILE, lang=lang, t=token)
    at.run()
    assert not at.exception
    return at


def _key(token: str, qid: str, row: str | None = None) -> str:
    return f"fill.{token}.{qid}" + (f".{row}" if row else "")


def _answers_of(db, token: str) -> dict:
    rows = db.query(
        """SELECT a.question_id, a.row_id, a.value_num, a.value_text FROM answers a
           JOIN responses r ON r.id = a.response_id WHERE r.link_token = ? ORDER BY 1, 2, 4""",
        [token],
    ).rows
    return {(q, row): (num, text) for q, row, num, text in rows}


def _fill_page_two(at, token: str) -> None:
    at.radio(key=_key(token, "services", "water")).set_value(4)
    at.radio(key=_key(token, "services", "power")).set_value(2)
    at.radio(key=_key(token, "recommend")).set_value(9)
    at.number_input(key=_key(token, "members")).set_value(3)
    at.date_input(key=_key(token, "moved_in")).set_value(dt.date(2015, 6, 1))
    at.text_area(key=_key(token, "comment")).input("<script>alert(1)</script> 路灯坏了 😀 **粗体**")


def test_every_question_type_is_rendered_and_stored_by_value(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    assert at.title[0].value == "全题型测评"
    assert at.progress[0].value == 50
    # matrix rows do not count toward satisfaction unless the survey says so: only overall (5) does
    # page 1: rating and single choice; the conditional multi choice is hidden
    assert [r.key for r in at.radio] == [_key(token, "overall"), _key(token, "side")]
    assert at.radio(key=_key(token, "overall")).options == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert len(at.pills) == 0
    at.radio(key=_key(token, "overall")).set_value(5)
    at.radio(key=_key(token, "side")).set_value("east")
    at.button(key="fill.forward").click().run()
    assert not at.exception
    # page 2: note, matrix (one radio per row), nps, number, date, text
    assert at.text[0].value == "以下各项请如实填写。"
    assert at.radio(key=_key(token, "recommend")).options == [str(i) for i in range(11)]
    assert "200" in at.text_area(key=_key(token, "comment")).placeholder  # the limit is stated; longer is refused
    _fill_page_two(at, token)
    at.button(key="fill.forward").click().run()
    assert not at.exception
    assert at.success[0].value == THANKS
    assert at.radio.len == 0  # only the thank-you is rendered after a submit
    response = db.query(
        "SELECT survey_id, survey_version, org_unit_id, channel, link_token, sat_n, sat_ok, nps_score, "
        "duration_seconds IS NOT NULL, started_at <= submitted_at FROM responses"
    ).rows
    assert response == [("all_types", 1, unit.id, "link", token, 1, 1, 9, True, True)]
    assert _answers_of(db, token) == {
        ("comment", ""): (None, "<script>alert(1)</script> 路灯坏了 😀 **粗体**"),
        ("members", ""): (3.0, None),
        ("moved_in", ""): (None, "2015-06-01"),
        ("overall", ""): (5.0, None),
        ("recommend", ""): (9.0, None),
        ("services", "power"): (2.0, None),
        ("services", "water"): (4.0, None),
        ("side", ""): (None, "east"),
    }


def test_condition_shows_question_before_submit_and_hidden_answer_is_not_stored(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(2).run()
    assert [p.key for p in at.pills] == [_key(token, "why")]
    at.pills(key=_key(token, "why")).set_value(["slow"]).run()
    # changing the answer hides the follow-up again
    at.radio(key=_key(token, "overall")).set_value(4).run()
    assert len(at.pills) == 0
    at.button(key="fill.forward").click().run()
    _fill_page_two(at, token)
    at.button(key="fill.forward").click().run()
    assert at.success
    stored = _answers_of(db, token)
    assert ("overall", "") in stored and ("why", "") not in stored


def test_required_follow_up_error_shown_next_to_question_and_answers_kept(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(1).run()
    at.radio(key=_key(token, "side")).set_value("west")
    at.button(key="fill.forward").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == ["此题为必答题，请作答。"]
    assert at.warning[0].value == "还有题目需要补充或修改，请查看标红的提示。"
    assert at.radio(key=_key(token, "overall")).value == 1
    assert at.radio(key=_key(token, "side")).value == "west"
    assert at.progress[0].value == 50  # still on page 1


def test_matrix_rows_required_error_keeps_other_answers_on_submit(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(4)
    at.button(key="fill.forward").click().run()
    at.radio(key=_key(token, "services", "water")).set_value(5)
    at.text_area(key=_key(token, "comment")).input("保留我")
    at.button(key="fill.forward").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == ["请为每一项都选择评价，尚未作答：供电。"]
    assert at.radio(key=_key(token, "services", "water")).value == 5
    assert at.text_area(key=_key(token, "comment")).value == "保留我"
    assert db.query("SELECT count(*) FROM responses").single_value() == 0


def test_back_keeps_answers(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(3)
    at.radio(key=_key(token, "side")).set_value("east")
    at.button(key="fill.forward").click().run()
    at.radio(key=_key(token, "recommend")).set_value(7)
    back = next(b for b in at.button if b.label == "上一页")
    back.click().run()
    assert not at.exception
    assert at.radio(key=_key(token, "overall")).value == 3
    assert at.radio(key=_key(token, "side")).value == "east"
    at.button(key="fill.forward").click().run()
    assert at.radio(key=_key(token, "recommend")).value == 7


def test_resubmitting_the_same_form_stores_one_response(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(5)
    at.button(key="fill.forward").click().run()
    _fill_page_two(at, token)
    # a retry after a network drop: the same client key reaches the server twice
    at.button(key="fill.forward").click().run()
    assert at.success
    fs = at.session_state[state.FILL][token]
    fs["done"] = False  # the resident's phone shows the same form again (answers kept)...
    at.run()
    assert at.radio(key=_key(token, "recommend")).value == 9
    at.button(key="fill.forward").click().run()  # ...and it is sent a second time
    assert not at.exception
    assert at.success[0].value == THANKS
    assert db.query("SELECT count(*) FROM responses").single_value() == 1
    assert db.query("SELECT client_key FROM responses").single_value() == fs["client_key"]


def test_english_switch(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.button(key="fill.lang").click().run()
    assert at.radio(key=_key(token, "overall")).options[0] == "Very satisfied"
    at.button(key="fill.forward").click().run()
    assert shown(at.error[0].value) == "This question is required; please answer it."


@pytest.mark.parametrize(
    "case, message",
    [
        ("malformed", "这个链接无效或编码有误，请检查后重试，或联系发放链接的社区（村）工作人员。"),
        ("unknown", "这个链接无效或编码有误，请检查后重试，或联系发放链接的社区（村）工作人员。"),
        ("revoked", "这个链接已被收回，不再接受填写。如有疑问请联系社区（村）工作人员。"),
        ("expired", "这个链接已过有效期，测评已结束。感谢您的关注！"),
        ("capped", "本链接收到的答卷已达到上限，暂不再接受填写。感谢您的关注！"),
        ("closed", "本次测评目前未开放或已结束。感谢您的关注！"),
        ("used", "这个编码已经提交过答卷，每个编码只能使用一次。感谢您的参与！"),
    ],
)
def test_each_link_state_has_its_own_message(setup, case, message):
    db, unit, survey_id = setup
    from services import submissions

    if case == "malformed":
        token = "0OIl<b>"
    elif case == "unknown":
        token = "abcdefghjk"
    elif case == "revoked":
        token = make_link(db, survey_id, unit.id, revoked=True)[0]
    elif case == "expired":
        token = make_link(db, survey_id, unit.id, expires_at=now() - timedelta(minutes=1))[0]
    elif case == "closed":
        token = make_link(db, survey_id, unit.id)[0]
        survey_store.set_status(db, survey_id, "closed")
    else:
        token = make_link(db, survey_id, unit.id, mode="single_use" if case == "used" else "open",
                          response_cap=1 if case == "capped" else None)[0]
        opened = submissions.open_link(db, token, now())
        result = submissions.submit(db, token=token, survey=opened.survey, version=opened.version,
                                    raw={"overall": 5, "services": {"water": 5, "power": 5}}, client_key="first",
                                    started_at=None, at=now())
        assert result.status == "stored"
    at = _open(token)
    assert [i.value for i in at.info] == [message]
    assert at.radio.len == 0


def test_link_refused_at_submit_shows_its_message_not_an_error(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    at = _open(token)
    at.radio(key=_key(token, "overall")).set_value(5)
    at.button(key="fill.forward").click().run()
    _fill_page_two(at, token)
    from storage import links as link_store
    from storage.db import Scope

    link_store.revoke(db, token, Scope.everything(), now())  # revoked while the resident was answering
    at.button(key="fill.forward").click().run()
    assert not at.exception
    assert [i.value for i in at.info] == ["这个链接已被收回，不再接受填写。如有疑问请联系社区（村）工作人员。"]
    assert db.query("SELECT count(*) FROM responses").single_value() == 0


def test_short_survey_is_answered_on_one_screen(app_db, monkeypatch):
    import ui.survey_form

    monkeypatch.setattr(ui.survey_form, "ONE_SCREEN_MAX_QUESTIONS", 15)
    unit = orgs.create_unit(app_db, "C1", "幸福社区", 3)
    token = make_link(app_db, publish(app_db), unit.id)[0]
    at = _open(token)
    assert len(at.progress) == 0
    assert [h.value for h in at.subheader] == ["第一部分", "第二部分"]  # pages become sections
    at.radio(key=_key(token, "overall")).set_value(5)
    _fill_page_two(at, token)
    assert at.button(key="fill.forward").label == "提交"
    at.button(key="fill.forward").click().run()
    assert not at.exception
    assert at.success[0].value == THANKS
    # overall, two matrix rows, recommend, members, moved_in, comment (side left empty)
    assert app_db.query("SELECT count(*) FROM answers").single_value() == 7


def test_no_token_asks_for_the_code_from_the_card(setup):
    at = page_test(FILE)
    at.run()
    assert not at.exception
    assert at.text_input[0].label == "请输入问卷卡片上的编码"


def test_every_fill_view_offers_the_light_version(setup):
    db, unit, survey_id = setup
    token = make_link(db, survey_id, unit.id)[0]
    revoked = make_link(db, survey_id, unit.id, revoked=True)[0]
    for query, href in ((token, f"/lite?t={token}&amp;lang=en"), (revoked, f"/lite?t={revoked}&amp;lang=en"),
                        ("<bad>", "/lite?lang=en")):
        at = _open(query, lang="en")
        switches = [h.proto.body for h in at.get("html") if "Simple version" in h.proto.body]
        assert len(switches) == 1 and f'href="{href}"' in switches[0], switches
    at = page_test(FILE)
    at.run()
    assert any('href="/lite?lang=zh"' in h.proto.body and "简洁版" in h.proto.body for h in at.get("html"))
