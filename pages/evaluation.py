"""Democratic evaluation results: votes and rates per subject, result grades by adjustable rules, ranking, Excel export."""

from __future__ import annotations

from fractions import Fraction

import streamlit as st

from ui.session import lang, require, t

user = require("admin", "leader")

from services.evaluation import evaluation_results, export_xlsx, result_sheet  # noqa: E402
from storage import surveys as survey_store  # noqa: E402
from surveys import constants as c  # noqa: E402
from surveys.evaluation import GradeRule, GradeRules, evaluation_question, grade_label  # noqa: E402
from services.survey_catalog import survey_version  # noqa: E402
from ui import downloads  # noqa: E402
from ui.markup import plain  # noqa: E402
from ui.resources import database  # noqa: E402

L = lang()
db = database()
st.title(t("evaluation.title"))

candidates = [row for row in survey_store.list_surveys(db, user.scope) if row.kind == c.KIND_EVALUATION and row.current_version is not None]
if not candidates:
    st.info(t("evaluation.none"))
    st.stop()
titles = {row.id: f"{row.title} ({row.id})" for row in candidates}
survey_id = st.selectbox(t("evaluation.survey"), list(titles), key="evaluation.survey", format_func=titles.get)
loaded = survey_version(db, survey_id)
assert loaded is not None
scale = evaluation_question(loaded[0]).scale
values = [int(choice.value) for choice in scale]
labels = [plain(grade_label(scale, v, L)) for v in values]  # go into widget labels (markdown)

SHARES = {"1/4": Fraction(1, 4), "1/3": Fraction(1, 3), "1/2": Fraction(1, 2), "2/3": Fraction(2, 3)}
with st.expander(t("evaluation.rules")):
    worst_share = st.selectbox(t("evaluation.rule_worst", grade=labels[-1]), list(SHARES), index=1, key="evaluation.rule.worst")
    rules = [GradeRule(values[-1], (values[-1],), SHARES[worst_share])]
    if len(values) >= 4:
        second_share = st.selectbox(t("evaluation.rule_second", low=labels[-2], worst=labels[-1]), list(SHARES), index=1,
                                    key="evaluation.rule.second")
        rules.append(GradeRule(values[-2], (values[-2], values[-1]), SHARES[second_share]))
    best_share = st.selectbox(t("evaluation.rule_best", grade=labels[0]), list(SHARES), index=2, key="evaluation.rule.best")
    rules.append(GradeRule(values[0], (values[0],), SHARES[best_share]))
    fallback = values[1] if len(values) >= 3 else values[0]
    st.caption(t("evaluation.rule_fallback", grade=plain(grade_label(scale, fallback, L))))

report = evaluation_results(db, survey_id, user.scope, GradeRules(tuple(rules), fallback))
assert report is not None
st.caption(t("evaluation.ballots", n=report.ballots) + " · " + t("evaluation.anonymous"))
table = result_sheet(report, L)
st.dataframe([dict(zip(table[0], row)) for row in table[1:]], hide_index=True, width="stretch")

with_comments = [r for r in report.results if r.comments]
if with_comments:
    with st.expander(t("evaluation.comments")):
        st.dataframe([{t("evaluation.col.subject"): r.name, t("evaluation.col.comment"): text}
                      for r in with_comments for text in r.comments], hide_index=True)

downloads.offer(f"evaluation.export.{survey_id}", t("evaluation.export"), user, f"{survey_id}_results.xlsx",
                downloads.XLSX, lambda: export_xlsx(db, user, report, L))
