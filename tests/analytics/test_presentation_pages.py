"""AppTest of the dashboards' presentation: the word pills on "what residents say", the refresh interval's
labels, and one set of problem state names."""

from __future__ import annotations

from i18n import t
from tests.analytics.conftest import principal as _principal
from tests.conftest import page_test

PILLS = "dash.word_pills"


def _pills(at):
    return next(b for b in at.get("button_group") if b.key == PILLS)


def _behind_heading(at) -> list[str]:
    prefix = t("dash.texts_behind", word="", n="").split("“")[0]
    return [s.value for s in at.subheader if s.value.startswith(prefix)]


def test_word_pills_wrap_and_deselecting_or_switching_source_clears_the_word(demo_db) -> None:  # noqa: F811
    leader = _principal(demo_db, "leader_t01")
    at = page_test("pages/dashboard_voices.py", leader)
    at.run(timeout=60)
    assert not at.exception
    pills = _pills(at)
    assert pills.proto.wrap is True and len(pills.options) > 5
    word = at.dataframe[0].value.iloc[0, 0]
    _pills(at).set_value(word).run(timeout=60)
    assert not at.exception and len(_behind_heading(at)) == 1
    behind = at.dataframe[-1].value
    assert all(" · " in unit for unit in behind.iloc[:, 1])  # 某社区 · 第3网格: the parent makes the unit plain
    assert all(word in text for text in behind.iloc[:, 3])
    counts_header = t("dash.col.same_texts")
    assert counts_header not in behind.columns or (behind[counts_header] > 1).any()
    # Clicking the word again deselects it: its texts go.
    _pills(at).set_value(None).run(timeout=60)
    assert not at.exception and _behind_heading(at) == []
    # A word picked, then another source: the old word does not stay picked.
    _pills(at).set_value(word).run(timeout=60)
    assert len(_behind_heading(at)) == 1
    at.get("button_group")[0].set_value("problems").run(timeout=60)  # the source control comes first
    assert not at.exception and _behind_heading(at) == []
    assert "minyi.dash.word" not in at.session_state or at.session_state["minyi.dash.word"] is None
    assert _pills(at).value is None


def test_words_note_says_at_most_the_most_frequent_texts(demo_db) -> None:  # noqa: F811
    at = page_test("pages/dashboard_voices.py", _principal(demo_db, "leader_t01"))
    at.run(timeout=60)
    note = next(c.value for c in at.caption if "5,000" in c.value)
    assert "至多" in note and "最常见" in note and "种不同文字" not in note


def test_refresh_interval_options_read_every_n_seconds(demo_db) -> None:  # noqa: F811
    at = page_test("pages/dashboard.py", _principal(demo_db, "leader"))
    at.run(timeout=60)
    assert not at.exception
    box = next(s for s in at.selectbox if s.key.endswith(".interval"))
    assert box.options == ["每 5 秒", "每 10 秒", "每 30 秒", "每 60 秒"]
    assert t("dash.interval_every", "en", n=10) == "every 10 s"


def test_problem_states_have_one_set_of_names() -> None:
    for lang in ("zh", "en"):
        for state in ("new", "assigned", "in_progress", "resolved", "closed"):
            assert t(f"dash.state.{state}", lang) == t(f"state.{state}", lang)
    assert [t(f"dash.state.{s}") for s in ("new", "assigned", "resolved")] == ["待受理", "已交办", "已办结"]
    assert "平均" not in t("dash.median_days") and t("dash.median_days").endswith("销号天数中位数")
