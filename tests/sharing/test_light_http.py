"""HTTP-level tests of the light fill path (/lite): the whole answer flow and every kind of bad input."""

from __future__ import annotations

import re
from urllib.parse import urlencode
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from light.routes import MAX_BODY_BYTES, ROUTES
from light.shell import ROUTES as SHELL_ROUTES
from settings import now
from storage import orgs
from tests.sharing.sharing_fixtures import make_link, publish

UNSAFE_YAML = """
id: unsafe
title: <script>alert(1)</script>测评
questions:
  - {id: overall, type: rating, label: '<img src=x onerror=alert(1)>总体', required: true, hint: '<b>hint</b>'}
  - {id: comment, type: text, label: 意见, max_length: 50}
"""


@pytest.fixture
def client(app_db):
    return TestClient(Starlette(routes=ROUTES + SHELL_ROUTES), raise_server_exceptions=True)


def hidden_fields(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)


def messages(page: str) -> list[str]:
    return re.findall(r'role="(?:status|alert)">([^<]*)<', page)


def stored(db, token: str) -> int:
    return db.query("SELECT count(*) FROM responses WHERE link_token = ?", [token]).single_value()


FORM = {"content-type": "application/x-www-form-urlencoded"}


def encoded(fields, headers=None) -> dict:
    """A browser's form post of ``fields`` (pairs, repeated names allowed)."""
    return {"content": urlencode(fields).encode(), "headers": {**FORM, **(headers or {})}}


def post(client, token: str, fields, headers=None):
    return client.post(f"/lite?t={token}", **encoded(fields, headers))


GOOD = [("a.overall", "4"), ("a.services.water", "5"), ("a.services.power", "3"), ("a.comment", "路灯<b>坏了</b>")]


def test_the_form_is_small_self_contained_and_submits_once(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}")
    assert page.status_code == 200
    assert "全题型测评" in page.text and 'name="a.overall"' in page.text
    assert len(page.content) <= 60 * 1024
    # nothing to fetch: no scripts, styles, fonts or images from anywhere
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
    assert "<link" not in page.text and "<img" not in page.text
    meta = dict(hidden_fields(page.text))
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["k"]) and re.fullmatch(r"\d{14}", meta["s"])
    # every resident gets their own client key; the rest of the first screen is the same page
    other = client.get(f"/lite?t={token}").text
    assert dict(hidden_fields(other))["k"] != meta["k"]
    assert re.sub(r'name="[ks]" value="[^"]*"', "", other) == re.sub(r'name="[ks]" value="[^"]*"', "", page.text)
    answer = [*hidden_fields(page.text), *GOOD, ("go", "submit")]
    first = post(client, token, answer)
    assert first.status_code == 200 and "提交成功，感谢您的参与！" in first.text
    again = post(client, token, answer)  # the same post re-sent (reload, double tap): the same response
    assert again.status_code == 200 and "提交成功" in again.text
    assert stored(db, token) == 1
    assert db.query("SELECT value_text FROM answers WHERE question_id = 'comment'").single_value() == "路灯<b>坏了</b>"
    assert first.cookies.get(f"minyi_done_{token}") == "1"
    # this browser comes back to the open link: already answered
    client.cookies.set(f"minyi_done_{token}", "1")
    assert "您已经填写过本问卷" in client.get(f"/lite?t={token}").text


def test_every_shown_text_is_escaped(client, app_db):
    unit = orgs.create_unit(app_db, "C1", "幸福社区", 3)
    survey_id = publish(app_db, UNSAFE_YAML)
    token = make_link(app_db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>hint" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;测评" in page
    # a resident's text is shown back (after an error) escaped, inside the field
    again = post(client, token, [*hidden_fields(page), ("a.comment", '"><script>x()</script>'), ("go", "submit")])
    assert "<script>x()" not in again.text and "&#34;&gt;&lt;script&gt;x()" in again.text


def test_a_validation_error_keeps_the_answers_and_stores_nothing(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    reply = post(client, token, [*hidden_fields(page), ("a.overall", "4"), ("a.comment", "保留这段话"), ("go", "submit")])
    assert reply.status_code == 200
    assert "还有题目需要补充或修改，请查看标红的提示。" in messages(reply.text)
    matrix = reply.text[reply.text.index('id="q-services"'):reply.text.index('id="q-recommend"')]
    assert "此题为必答题，请作答。" in messages(matrix)  # next to its question
    assert "保留这段话" in reply.text and re.search(r'name="a.overall" value="4" checked', reply.text)
    assert stored(db, token) == 0
    in_english = [(k, "en" if k == "lang" else v) for k, v in hidden_fields(page)]
    english = post(client, token, [*in_english, ("a.overall", "4"), ("go", "submit")])
    assert "Some answers need attention; see the messages in red." in messages(english.text)


def test_a_condition_shows_its_question_before_the_submit(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    assert 'name="a.why"' not in page  # shown only when overall <= 2
    low = [*hidden_fields(page), ("a.overall", "2"), ("a.services.water", "2"), ("a.services.power", "2"),
           ("go", "submit")]
    reply = post(client, token, low)
    assert 'name="a.why"' in reply.text and "根据您的回答，本页新增了题目，请作答后再继续。" in messages(reply.text)
    assert stored(db, token) == 0
    # the re-shown screen lists the new question as shown: now it must be answered (required, at most 2)
    again = post(client, token, [*hidden_fields(reply.text), ("a.overall", "2"), ("a.services.water", "2"),
                                 ("a.services.power", "2"), ("a.why", "slow"), ("a.why", "rude"), ("a.why", "other"),
                                 ("go", "submit")])
    assert any("最多" in m for m in messages(again.text)) and stored(db, token) == 0
    done = post(client, token, [*hidden_fields(reply.text), ("a.overall", "2"), ("a.services.water", "2"),
                                ("a.services.power", "2"), ("a.why", "slow"), ("go", "submit")])
    assert "提交成功" in done.text and stored(db, token) == 1
    assert db.query("SELECT value_text FROM answers WHERE question_id = 'why'").single_value() == "slow"


def test_an_answer_to_a_question_hidden_again_is_not_stored(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    shown = post(client, token, [*hidden_fields(page), ("a.overall", "1"), ("go", "refresh")]).text
    assert 'name="a.why"' in shown
    done = post(client, token, [*hidden_fields(shown), ("a.overall", "5"), ("a.why", "slow"), ("a.services.water", "5"),
                                ("a.services.power", "5"), ("go", "submit")])
    assert "提交成功" in done.text
    assert db.query("SELECT count(*) FROM answers WHERE question_id = 'why'").single_value() == 0


def test_screens_carry_the_answers_and_back_keeps_them(client, links, paged):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    first = client.get(f"/lite?t={token}").text
    assert "第 1 / 2 页" in first and 'name="a.services.water"' not in first
    blocked = post(client, token, [*hidden_fields(first), ("go", "next")])
    assert "此题为必答题，请作答。" in messages(blocked.text)
    second = post(client, token, [*hidden_fields(first), ("a.overall", "5"), ("a.side", "east"), ("go", "next")]).text
    assert "第 2 / 2 页" in second and ("a.overall", "5") in hidden_fields(second)
    back = post(client, token, [*hidden_fields(second), ("a.comment", "第二页的话"), ("go", "back")]).text
    assert re.search(r'name="a.side" value="east" checked', back) and ("a.comment", "第二页的话") in hidden_fields(back)
    second = post(client, token, [*hidden_fields(back), ("a.overall", "5"), ("a.side", "east"), ("go", "next")]).text
    done = post(client, token, [*hidden_fields(second), ("a.services.water", "4"), ("a.services.power", "4"),
                                ("a.comment", "第二页的话"), ("go", "submit")])
    assert "提交成功" in done.text and stored(db, token) == 1


def test_the_language_switch_keeps_the_answers(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    assert "English" in page and "完整版" in page
    english = post(client, token, [*hidden_fields(page), ("a.comment", "写了一半"), ("go", "lang")]).text
    assert "中文" in english and "Submit" in english and "写了一半" in english and "Full version" in english
    assert client.get(f"/lite?t={token}&lang=en").text.count("Submit") == 1


def test_a_single_use_code_is_accepted_once(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id, mode="single_use")[0]
    one = client.get(f"/lite?t={token}").text
    two = client.get(f"/lite?t={token}").text  # a second phone opened the same card
    assert dict(hidden_fields(one))["k"] != dict(hidden_fields(two))["k"]
    assert "提交成功" in post(client, token, [*hidden_fields(one), *GOOD, ("go", "submit")]).text
    late = post(client, token, [*hidden_fields(two), *GOOD, ("go", "submit")])
    assert late.status_code == 409 and "这个编码已经提交过答卷，每个编码只能使用一次。感谢您的参与！" in messages(late.text)
    assert stored(db, token) == 1


@pytest.mark.parametrize("kind", ["revoked", "expired", "capped", "closed"])
def test_a_link_that_cannot_be_answered_says_why(client, links, kind):
    db, unit, survey_id = links
    options = {"revoked": {"revoked": True}, "expired": {"expires_at": now() - timedelta(days=1)},
               "capped": {"response_cap": 1}, "closed": {}}[kind]
    token = make_link(db, survey_id, unit.id, **options)[0]
    if kind == "capped":
        page = client.get(f"/lite?t={token}").text
        assert "提交成功" in post(client, token, [*hidden_fields(page), *GOOD, ("go", "submit")]).text
        client.cookies.clear()  # another browser
        second = client.get(f"/lite?t={token}").text
        late = post(client, token, [*hidden_fields(second), *GOOD, ("go", "submit")])
        assert late.status_code == 409 and "已达到上限" in late.text
        return
    if kind == "closed":
        from storage import surveys as survey_store

        survey_store.set_status(db, survey_id, "closed")
    reply = client.get(f"/lite?t={token}")
    expected = {"revoked": "这个链接已被收回", "expired": "这个链接已过有效期", "closed": "本次测评目前未开放或已结束"}[kind]
    assert reply.status_code == 200 and any(expected in m for m in messages(reply.text))
    assert 'name="a.overall"' not in reply.text


def test_a_link_revoked_while_answering_stores_nothing(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    from storage import links as link_store
    from storage.db import Scope

    link_store.revoke(db, token, Scope.everything(), now())
    reply = post(client, token, [*hidden_fields(page), *GOOD, ("go", "submit")])
    assert reply.status_code in (200, 409) and "这个链接已被收回" in reply.text
    assert stored(db, token) == 0


@pytest.mark.parametrize("code, status", [("not-a-code!", 404), ("2222222222", 404), ("x" * 5000, 404)])
def test_a_malformed_or_unknown_code(client, links, code, status):
    reply = client.get("/lite", params={"t": code})
    assert reply.status_code == status
    assert "这个链接无效或编码有误" in reply.text and code[:20] not in reply.text.replace("2222222222", "")
    english = client.get("/lite", params={"t": code, "lang": "en"})
    assert "This link is not valid or the code is mistyped." in english.text


def test_no_code_asks_for_one_without_javascript(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get("/lite").text
    assert '<form method="get" action="/lite">' in page and 'name="t"' in page
    typed = client.get("/lite", params={"t": f" {token[:5].upper()}-{token[5:]} "})
    assert 'name="a.overall"' in typed.text


def _bad(client, token, lang="zh", **kwargs):
    reply = client.post(f"/lite?t={token}&lang={lang}", **kwargs)
    assert 400 <= reply.status_code < 500, reply.status_code
    assert "<h1>" in reply.text and "Traceback" not in reply.text
    return reply


@pytest.mark.parametrize("case, status, zh, en", [
    ("missing", 400, "提交的内容不完整", "The submitted form is incomplete"),
    ("extra", 400, "无法识别提交的内容", "The submitted form was not recognised"),
    ("repeated", 400, "无法识别提交的内容", "The submitted form was not recognised"),
    ("bad_key", 400, "无法识别提交的内容", "The submitted form was not recognised"),
    ("huge_text", 413, "提交的内容过长", "The submission is too long"),
    ("many_values", 413, "提交的内容过长", "The submission is too long"),
    ("json", 415, "提交方式不正确", "This is not how the form is sent"),
    ("multipart", 415, "提交方式不正确", "This is not how the form is sent"),
    ("bad_encoding", 400, "编码错误", "bad encoding"),
    ("cross_site", 403, "不接受来自其他网站的提交", "submissions from other sites are not accepted"),
])
def test_bad_posts_get_a_page_in_the_users_language_and_store_nothing(client, links, case, status, zh, en):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    fields = [*hidden_fields(page), *GOOD, ("go", "submit")]
    for lang, text in (("zh", zh), ("en", en)):
        chosen = [(k, lang if k == "lang" else v) for k, v in fields]
        if case == "missing":
            kwargs = encoded([(k, v) for k, v in chosen if k != "k"])
        elif case == "extra":
            kwargs = encoded([*chosen, ("a.nosuch", "1")])
        elif case == "repeated":
            kwargs = encoded([*chosen, ("a.overall", "5")])
        elif case == "bad_key":
            kwargs = encoded([(k, "1; DROP TABLE responses" if k == "k" else v) for k, v in chosen])
        elif case == "huge_text":
            kwargs = encoded([*[(k, v) for k, v in chosen if k != "a.comment"], ("a.comment", "字" * (1 << 20))])
        elif case == "many_values":
            kwargs = encoded([*chosen, *[("a.side", "east")] * 10_000])
        elif case == "json":
            kwargs = {"json": dict(chosen)}
        elif case == "multipart":
            kwargs = {"data": dict(chosen), "files": {"f": ("a.txt", b"x")}}
        elif case == "bad_encoding":
            kwargs = {"content": b"k=%ff%fe&p=0", "headers": {"content-type": "application/x-www-form-urlencoded"}}
        else:
            kwargs = encoded(chosen, {"origin": "https://evil.example"})
        reply = _bad(client, token, lang, **kwargs)
        assert reply.status_code == status
        assert text in reply.text, reply.text
    assert stored(db, token) == 0
    # the link still works afterwards
    assert "提交成功" in post(client, token, fields).text and stored(db, token) == 1


def test_an_oversized_answer_within_the_body_limit_is_a_validation_error(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    text = "长" * 5000  # under MAX_BODY_BYTES once encoded, over the question's 200 characters
    assert len(text.encode()) * 3 < MAX_BODY_BYTES
    reply = post(client, token, [*hidden_fields(page), *GOOD[:3], ("a.comment", text), ("go", "submit")])
    assert reply.status_code == 200 and any("200" in m for m in messages(reply.text)) and stored(db, token) == 0


def test_a_same_site_post_is_accepted(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    reply = post(client, token, [*hidden_fields(page), *GOOD, ("go", "submit")], {"origin": "http://testserver"})
    assert "提交成功" in reply.text


def test_the_fill_shell_checks_the_browser_before_streamlit_loads(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    shell = client.get(f"/fill?t={token}&lang=en")
    assert shell.status_code == 200 and shell.headers["cache-control"] == "no-cache"
    text = shell.text
    shim = text.index("Object.hasOwn")
    assert shim < text.index("<script type=\"module\"")  # before Streamlit's bundle
    assert f'url=/lite?t={token}&amp;lang=en"' in text and "<noscript><meta http-equiv=\"refresh\"" in text
    # a malformed token is never echoed into the shell
    assert "<x>" not in client.get("/fill", params={"t": "<x>"}).text



def test_the_per_address_rate_limit_keeps_the_answers(client, links):
    db, unit, survey_id = links
    from sharing.tokens import new_token
    from storage import links as link_store

    token = new_token()
    link_store.create_links(db, survey_id, unit.id, "open", [token], now(), rate_limit_per_minute=1)
    page = client.get(f"/lite?t={token}").text
    assert "提交成功" in post(client, token, [*hidden_fields(page), *GOOD, ("go", "submit")]).text
    client.cookies.clear()
    second = client.get(f"/lite?t={token}").text
    limited = post(client, token, [*hidden_fields(second), *GOOD, ("go", "submit")])
    assert limited.status_code == 429 and "提交过于频繁" in limited.text and "路灯&lt;b&gt;坏了&lt;/b&gt;" in limited.text
    assert stored(db, token) == 1


def test_a_defect_answers_with_a_page_not_a_traceback(client, links, monkeypatch):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    import light.routes

    def broken(*_args, **_kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(light.routes.light_form, "parse", broken)
    reply = post(client, token, [*hidden_fields(page), *GOOD, ("go", "submit")])
    assert reply.status_code == 503 and "系统繁忙" in reply.text and "RuntimeError" not in reply.text


def test_a_survey_updated_while_answering_asks_to_check_and_keeps_what_fits(client, links):
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    from storage import surveys as survey_store
    from surveys import load_survey_text, survey_to_dict
    from tests.sharing.sharing_fixtures import ALL_TYPES_YAML
    from ui import link_resources

    changed = ALL_TYPES_YAML.replace("label: 意见建议", "label: 您的意见和建议")
    survey_store.publish_version(db, survey_id, survey_to_dict(load_survey_text(changed, "v2.yaml")))
    link_resources._resolve.clear()  # as 10 s later
    reply = post(client, token, [*hidden_fields(page), *GOOD, ("go", "submit")])
    assert reply.status_code == 200 and "问卷刚刚更新过，请检查您的回答后再提交。" in messages(reply.text)
    assert "您的意见和建议" in reply.text and "路灯&lt;b&gt;坏了&lt;/b&gt;" in reply.text and stored(db, token) == 0
    done = post(client, token, [*hidden_fields(reply.text), *GOOD, ("go", "submit")])
    assert "提交成功" in done.text
    assert db.query("SELECT survey_version FROM responses WHERE link_token = ?", [token]).single_value() == 2


def test_the_default_burst_limit_and_the_per_browser_id_apply_on_the_light_path(client, links, monkeypatch):
    """A link with no limit of its own still has the deployment's burst limit here, as on the Streamlit page,
    and a light-path response carries the same per-browser id (the shared draft cookie) so repeats count."""
    from services import drafts

    monkeypatch.setenv("MINYI_LINK_BURST_PER_MINUTE", "1")
    db, unit, survey_id = links
    token = make_link(db, survey_id, unit.id)[0]
    page = client.get(f"/lite?t={token}").text
    assert "提交成功" in post(client, token, [*hidden_fields(page), *GOOD, ("go", "submit")]).text
    cookie = client.cookies.get(drafts.DRAFT_COOKIE)
    assert drafts.valid_draft_id(cookie)
    stored_ids = db.query("SELECT browser_id FROM responses WHERE link_token = ?", [token]).rows
    assert stored_ids == [(drafts.browser_id(cookie),)]
    client.cookies.clear()  # a fresh cookie jar from the same address
    second = client.get(f"/lite?t={token}").text
    limited = post(client, token, [*hidden_fields(second), *GOOD, ("go", "submit")])
    assert limited.status_code == 429 and "提交过于频繁" in limited.text
    assert stored(db, token) == 1
