"""What residents say: the most frequent words and phrases in free-text answers and problem descriptions."""

import streamlit as st

from ui.session import require, t

user = require("admin", "leader")

from analytics import words  # noqa: E402
from services.survey_catalog import survey_version  # noqa: E402
from storage import analytics  # noqa: E402
from surveys import TextQuestion  # noqa: E402
from ui import state  # noqa: E402
from ui.dashboard import ensure_refresher, filter_bar, live_controls, updated_caption  # noqa: E402
from ui.markup import plain  # noqa: E402
from ui.resources import database  # noqa: E402

TEXT_LIMIT = 5000
db = database()
ensure_refresher(db)
ctx = filter_bar(db, user, page="voices")
st.title(t("dash.voices_title"))
run_every = live_controls()
WORD_PILLS = "dash.word_pills"


def forget_word() -> None:
    """Another source: the word picked from the last source's list no longer applies."""
    st.session_state.pop(state.DASH_WORD, None)
    st.session_state.pop(WORD_PILLS, None)


def pick_word() -> None:
    """The word clicked (None when it was clicked again to deselect it) is the one whose texts are shown."""
    st.session_state[state.DASH_WORD] = st.session_state.get(WORD_PILLS)


source = st.segmented_control(t("dash.words_source"), ["both", "answers", "problems"], default="both",
                              key="dash.words_source", format_func=lambda s: t(f"dash.words_source.{s}"),
                              on_change=forget_word) or "both"


def text_questions() -> list[str]:
    """Free-text question ids of the chosen survey (or of every answered survey)."""
    ids: list[str] = []
    chosen = [ctx.filters.survey_id] if ctx.filters.survey_id else [
        v.survey_id for v in analytics.surveys_answered(db, user.scope)]
    for survey_id in dict.fromkeys(chosen):
        found = survey_version(db, survey_id, ctx.filters.survey_version)
        if found:
            ids += [q.id for q in found[0].questions if isinstance(q, TextQuestion)]
    return sorted(set(ids))


@st.fragment(run_every=run_every)
def live_view() -> None:
    require("admin", "leader")  # a live refresh is a script run too: a signed-out session stops here
    updated_caption()
    questions = text_questions()
    texts = []
    if source in ("both", "answers"):
        texts += analytics.answer_texts(db, user.scope, ctx.filters, questions, limit=TEXT_LIMIT)
    if source in ("both", "problems"):
        texts += analytics.problem_texts(db, user.scope, ctx.filters, limit=TEXT_LIMIT)
    if not texts:
        st.info(t("dash.words_none"))
        return
    st.caption(t("dash.words_note", n=f"{TEXT_LIMIT:,}"))
    left, right = st.columns(2)
    top = words.word_counts(texts)
    with left:
        st.subheader(t("dash.words"))
        st.caption(t("dash.words_pick"))
        options = [w for w, _ in top]
        counts = dict(top)
        word = st.session_state.get(state.DASH_WORD)
        if word in options and st.session_state.get(WORD_PILLS) != word:
            st.session_state[WORD_PILLS] = word  # the shown word stays picked across refreshes
        # wrap: all 40 words on as many rows as they need (in a column Streamlit would keep them on one row).
        st.pills(t("dash.words"), options, key=WORD_PILLS, label_visibility="collapsed", on_change=pick_word,
                 format_func=lambda w: f"{plain(w)} · {counts[w]}", wrap=True, width="stretch")
        st.dataframe([{t("dash.col.word"): w, t("dash.col.count"): n} for w, n in top], hide_index=True,
                     width="stretch")
    with right:
        st.subheader(t("dash.phrases"))
        st.dataframe([{t("dash.col.word"): p, t("dash.col.count"): n} for p, n in words.phrase_counts(texts)],
                     hide_index=True, width="stretch")
    word = st.session_state.get(state.DASH_WORD)
    if word:
        behind = analytics.texts_containing(db, user.scope, ctx.filters, word,
                                            questions if source != "problems" else [], limit=100)
        if source == "answers":
            behind = [s for s in behind if s.source == "answer"]
        st.subheader(t("dash.texts_behind", word=plain(word), n=len(behind)))
        # Residents' words are shown in a dataframe: never rendered as markdown or HTML.
        # The unit with its parent (several communities have a 第3网格). Identical texts given in one unit on one
        # day are one row; their number is a column only when some row stands for more than one.
        repeated = any(s.count > 1 for s in behind)
        st.dataframe([{t("dash.col.source"): t(f"dash.source.{s.source}"),
                       t("dash.col.unit"): f"{s.parent_name} · {s.unit_name}" if s.parent_name else s.unit_name,
                       t("dash.col.time"): s.day.isoformat(), t("dash.col.text"): s.text,
                       **({t("dash.col.same_texts"): s.count} if repeated else {})} for s in behind],
                     hide_index=True, width="stretch")


live_view()
