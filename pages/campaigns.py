"""Visit campaigns (大走访) for administrators: create one (scope, window, visit form, target) and watch coverage."""

import datetime as dt

import streamlit as st

from auth.principal import Principal
from fieldwork import rules
from settings import now
from storage import audit
from storage import campaigns as campaign_store
from storage import problems as problem_store
from storage import orgs
from storage import surveys as survey_store
from storage import worklists
from storage.db import Database
from ui.markup import plain
from ui.resources import database
from ui.session import require, t

user: Principal = require("admin")
db: Database = database()
today = now().date()
st.title(t("campaigns.title"))

found = campaign_store.list_campaigns(db, user.scope)
if not found:
    st.info(t("campaigns.none"))
for c in found:
    total = worklists.coverage(db, user.scope, c.id)[0]
    rate = f"{total.covered / total.households:.1%}" if total.households else "—"
    with st.container(border=True):
        st.markdown(f"**{plain(c.name)}**")
        st.caption(f"{c.starts_on} – {c.ends_on} · {t('campaigns.coverage')} {rate} "
                   f"({total.covered}/{total.households}) · {t('campaigns.target')} {c.coverage_target:.0%}")
        rows = worklists.coverage(db, user.scope, c.id, group_level=min(user.unit_level + 1, 4))
        st.dataframe([{t("worklists.unit"): r.unit_name, t("campaigns.households"): r.households,
                       t("campaigns.covered"): r.covered, t("campaigns.attempted"): r.attempted,
                       t("campaigns.coverage"): f"{r.covered / r.households:.1%}" if r.households else "—"} for r in rows],
                     hide_index=True)

st.subheader(t("campaigns.new"))
units = orgs.list_units(db, user.scope)
visit_surveys = [s for s in survey_store.list_surveys(db, user.scope) if s.kind == "visit"] or survey_store.list_surveys(db, user.scope)
with st.form("campaigns.new_form"):
    name = st.text_input(t("campaigns.name"), value=f"{today.year}年冬季大走访", max_chars=100, key="campaigns.name")
    scope_units = st.multiselect(t("campaigns.units"), units, default=units[:1], key="campaigns.units",
                                 format_func=lambda u: f"{'　' * (u.level - user.unit_level)}{u.name}（{u.code}）")
    c1, c2 = st.columns(2)
    starts = c1.date_input(t("campaigns.starts"), value=today, key="campaigns.starts")
    ends = c2.date_input(t("campaigns.ends"), value=dt.date(today.year, 12, 31), key="campaigns.ends")
    ids = [s.id for s in visit_surveys]
    survey_id = st.selectbox(t("campaigns.survey"), ids, index=ids.index("ruhu_zoufang") if "ruhu_zoufang" in ids else 0,
                             key="campaigns.survey")
    target = st.number_input(t("campaigns.target"), min_value=1, max_value=100, value=100, key="campaigns.target")
    outcomes = st.multiselect(t("campaigns.outcomes"), list(rules.OUTCOMES), default=["met"], key="campaigns.outcomes",
                              format_func=lambda o: t(f"outcome.{o}"))
    if st.form_submit_button(t("common.save")):
        try:
            campaign_store.create_campaign(db, user.scope, name=name, unit_ids=[u.id for u in scope_units],
                                           starts_on=starts, ends_on=ends, visit_survey_id=survey_id,
                                           coverage_target=target / 100, covering_outcomes=outcomes or ["met"],
                                           created_by=user.user_id)
        except ValueError as exc:
            st.error(t(str(exc)))
        else:
            st.success(t("campaigns.created", name=plain(name)))
            st.rerun()

st.subheader(t("campaigns.categories"))
with st.form("campaigns.categories_form"):
    text = st.text_area(t("campaigns.categories_help"), value="\n".join(problem_store.problem_categories(db, user.scope)),
                        key="campaigns.categories", height=220)
    if st.form_submit_button(t("common.save")):
        saved = problem_store.set_problem_categories(db, user.scope, text.splitlines())
        audit.record(db, "fieldwork.categories", actor_id=user.user_id, actor_name=user.username,
                     target=user.scope.path, detail={"categories": saved})
        st.success(t("campaigns.categories_saved", n=len(saved)))
