"""The cadre's visit page: households of their own grids, and recording a visit with its form, problems and follow-up."""

import datetime as dt
import uuid

import streamlit as st

from auth.principal import Principal
from fieldwork import rules
from fieldwork.masking import mask_household
from services import fieldwork as fw
from services.survey_catalog import survey_version
from settings import now
from storage import campaigns as campaign_store
from storage import households as household_store
from storage import problems as problem_store
from storage import visits as visit_store
from storage import worklists
from storage.db import Database, Scope, StorageError
from fieldwork.problems import SATISFACTION_LEVELS, TransitionError
from ui import state
from ui.markup import plain, plain_values
from ui.resources import database
from ui.survey_form import page_count, render_page
from ui.session import lang, require, t

user: Principal = require("cadre", "admin")
db: Database = database()
today = now().date()
st.title(t("visits.title"))
campaign = campaign_store.current_campaign(db, user.scope, today)
if campaign is None:
    st.info(t("campaigns.missing"))

saved = st.session_state.pop(state.VISIT_SAVED, None)
if saved:
    st.success(t("visits.saved", id=saved[0]) if saved[1] else t("visits.saved_again"))

# --- find a household -------------------------------------------------------------
st.subheader(t("visits.find"))
c1, c2 = st.columns([2, 1])
search = c1.text_input(t("households.search"), key="visits.search").strip()
filters = ["all", "make_up", "return"] if campaign else ["all", "return"]
show = c2.selectbox(t("visits.filter"), filters, key="visits.filter",
                    format_func=lambda f: t("common.all") if f == "all" else t(f"status.{f}"))
tags = rules.tag_choices(household_store.tags_in_use(db, user.scope))
tag = st.selectbox(t("households.tag"), [None, *tags], key="visits.tag",
                   format_func=lambda x: t("common.all") if x is None else x) if tags else None

if show == "make_up" and campaign:
    ids = [i.household_id for i in worklists.make_up_visits(db, user.scope, campaign.id, limit=300, search=search or None)]
elif show == "return":
    ids = [i.household_id for i in worklists.return_visits(db, user.scope, campaign.id if campaign else None,
                                                           limit=300, search=search or None)]
else:
    ids = None
homes = household_store.list_households(db, user.scope, search=search or None, tag=tag, ids=ids, limit=300)
if ids is not None:
    order = {hid: n for n, hid in enumerate(ids)}
    homes.sort(key=lambda h: order.get(h.id, 0))
statuses = worklists.household_statuses(db, user.scope, campaign.id, [h.id for h in homes]) if campaign and homes else {}


def _label(h: household_store.Household) -> str:
    name, _ = mask_household(h.head_name, h.phone, user.sees_personal_data_of(h.grid_path))
    status = statuses.get(h.id)
    return f"{h.code} · {name} · {h.address or ''}" + (f" · {t('status.' + status)}" if status else "")


if not homes:
    st.info(t("households.none"))
    st.stop()
wanted = st.query_params.get("hh")
index = next((n for n, h in enumerate(homes) if str(h.id) == wanted), None)
home = st.selectbox(t("visits.household"), homes, index=index, format_func=_label, key="visits.household",
                    placeholder=t("visits.pick"))
if home is None:
    st.caption(t("visits.pick"))
    st.stop()

# --- record a visit -----------------------------------------------------------------
st.subheader(t("visits.record", code=plain(home.code)))
keys = st.session_state.setdefault(state.VISIT_KEYS, {})
client_key = keys.setdefault(home.id, str(uuid.uuid4()))  # created when the form is first shown
prefix = f"visits.f.{client_key[:8]}"
open_problems = problem_store.list_problems(db, user.scope, household_id=home.id,
                                            states=["new", "assigned", "in_progress", "resolved"])
outcome = st.radio(t("visits.outcome"), list(rules.OUTCOMES), format_func=lambda o: t(f"outcome.{o}"),
                   horizontal=True, key=f"{prefix}.outcome")
is_return = st.checkbox(t("visits.is_return"), value=bool(open_problems), key=f"{prefix}.return")
errors = st.session_state.get(state.VISIT_ERRORS, {}).get(home.id, {})
raw: dict = {}
loaded = survey_version(db, campaign.visit_survey_id if campaign else "ruhu_zoufang")
problems: list[problem_store.NewProblem] = []
confirmations: list[visit_store.Confirmation] = []
problem_errors: list[str] = []
facts = None  # what the visit form itself says about follow-up, note and problems
if outcome == "met":
    categories = fw.categories(db, Scope(home.grid_path))  # the list in force in the household's grid
    if loaded is not None:
        survey, version = loaded
        st.markdown(f"**{t('visits.form')}**")
        for page in range(page_count(survey)):
            raw.update(render_page(survey, page, raw, lang=lang(), key_prefix=prefix, errors=errors,
                                   context={"household": home.code}))
        facts = fw.form_facts(survey, raw, categories)
    st.markdown(f"**{t('visits.problems')}**")
    urgencies = {}
    for n, category in enumerate(facts.problem_categories if facts else ()):
        with st.container(border=True):  # one problem-list item per category the form ticked: nothing typed twice
            st.caption(t("visits.problem_from_form", n=n + 1, category=plain(category)))
            urgencies[category] = st.selectbox(t("visits.urgency"), list(rules.URGENCIES), index=1,
                                               format_func=lambda u: t(f"urgency.{u}"), key=f"{prefix}.fp.{category}")
    if facts:
        try:
            problems.extend(fw.form_problems(facts, urgencies, client_key))
        except fw.ProblemTextTooLong as exc:  # refused at save, with the input kept
            problem_errors.append(t(exc.code, **exc.params))
    shown = len(facts.problem_categories) if facts else 0
    count = st.number_input(t("visits.problem_more") if facts and facts.problem_categories else t("visits.problem_count"),
                            min_value=0, max_value=10, value=0, step=1, key=f"{prefix}.np")
    for n in range(int(count)):
        with st.container(border=True):
            st.caption(t("visits.problem_n", n=shown + n + 1))
            cat = st.selectbox(t("visits.category"), categories, key=f"{prefix}.p{n}.cat")
            text = st.text_area(t("visits.description"), key=f"{prefix}.p{n}.text", max_chars=1000)
            urg = st.selectbox(t("visits.urgency"), list(rules.URGENCIES), index=1,
                               format_func=lambda u: t(f"urgency.{u}"), key=f"{prefix}.p{n}.urg")
            if text.strip():
                problems.append(problem_store.NewProblem(f"{client_key}/p{n}", cat, text.strip(), urg))
            else:
                problem_errors.append(t("visits.problem_incomplete", n=shown + n + 1))
    resolved = [p for p in open_problems if p.state == "resolved"]
    if is_return and resolved:
        st.markdown(f"**{t('visits.confirm_title')}**")
        levels = [None, 5, 4, 3, 2, 1]
        for p in resolved:
            choice = st.radio(t("visits.confirm_q", text=plain(p.description[:40])), levels, horizontal=True,
                              format_func=lambda v: t("visits.confirm_skip") if v is None else SATISFACTION_LEVELS[v],
                              key=f"{prefix}.confirm.{p.id}")
            if choice is not None:
                confirmations.append(visit_store.Confirmation(p.id, int(choice)))
# The form's own follow-up and note questions are the answer when it has them; otherwise the page asks.
follow_up = facts.follow_up if facts and facts.asks_follow_up else st.checkbox(t("visits.follow_up"), key=f"{prefix}.follow")
note = facts.note if facts and facts.asks_note else st.text_input(t("visits.note"), key=f"{prefix}.note", max_chars=500)

if st.button(t("visits.save"), type="primary", key=f"{prefix}.save"):
    response = None
    answer_errors: dict = {}
    at = now()
    if outcome == "met" and loaded is not None:
        survey, version = loaded
        response, answer_errors = fw.visit_response(survey, version, raw, client_key=f"{client_key}/form",
                                                    submitted_by=user.user_id, submitted_at=at)
    if answer_errors or problem_errors:
        st.session_state.setdefault(state.VISIT_ERRORS, {})[home.id] = answer_errors
        for message in problem_errors:
            st.error(message)
        st.error(t("visits.fix_errors"))
        if answer_errors:
            st.rerun()
    else:
        visit = visit_store.NewVisit(
            client_key=client_key, household_id=home.id, cadre_id=user.user_id, visited_at=at, outcome=outcome,
            campaign_id=campaign.id if campaign else None, follow_up=follow_up, is_return_visit=is_return,
            note=note, response=response, problems=problems, confirmations=confirmations,
        )
        try:
            result = visit_store.record_visit(db, user.scope, visit)
        except visit_store.VisitRefused as exc:
            st.error(t(exc.code))
        except TransitionError as exc:
            st.error(t(exc.code, **plain_values(exc.params)))
        except StorageError as exc:  # logged in storage; the entries stay on the page, the same key saves once
            st.error(t(exc.code))
        else:
            keys.pop(home.id, None)
            st.session_state.get(state.VISIT_ERRORS, {}).pop(home.id, None)
            st.session_state[state.VISIT_SAVED] = (result.visit_id, result.created)
            st.rerun()

# --- this household's visits -------------------------------------------------------------
past = visit_store.visits_of_household(db, user.scope, home.id)
if past:
    st.subheader(t("visits.history"))
    st.dataframe([{t("visits.when"): v.visited_at.strftime("%Y-%m-%d %H:%M"), t("visits.outcome"): t(f"outcome.{v.outcome}"),
                   t("visits.is_return"): v.is_return_visit, t("visits.follow_up"): v.follow_up,
                   t("visits.by"): v.cadre_name or "", t("visits.note"): v.note or ""} for v in past], hide_index=True)
    mine = [v for v in past if v.cadre_id == user.user_id
            and now() - v.created_at <= dt.timedelta(hours=rules.CORRECTION_HOURS)]
    with st.expander(t("visits.correct") if mine else t("visits.amend")):
        target = st.selectbox(t("visits.history"), past, key="visits.fix_target",
                              format_func=lambda v: f"{v.visited_at:%Y-%m-%d %H:%M} · {t('outcome.' + v.outcome)}")
        if target in mine:
            new_outcome = st.selectbox(t("visits.outcome"), list(rules.OUTCOMES), index=list(rules.OUTCOMES).index(target.outcome),
                                       format_func=lambda o: t(f"outcome.{o}"), key=f"visits.fix_outcome.{target.id}")
            new_follow = st.checkbox(t("visits.follow_up"), value=target.follow_up, key=f"visits.fix_follow.{target.id}")
            new_note = st.text_input(t("visits.note"), value=target.note or "", key=f"visits.fix_note.{target.id}",
                                     max_chars=500)
            if st.button(t("visits.correct"), key=f"visits.fix_go.{target.id}"):
                try:
                    visit_store.correct_visit(db, user.scope, target.id, actor_id=user.user_id,
                                              changes={"outcome": new_outcome, "follow_up": new_follow,
                                                       "note": new_note.strip() or None})
                except (visit_store.VisitRefused, StorageError) as exc:
                    st.error(t(exc.code))
                else:
                    st.success(t("visits.corrected"))
        else:
            amendment = st.text_input(t("visits.amend"), key=f"visits.amend_note.{target.id}", max_chars=500)
            if st.button(t("visits.amend"), key=f"visits.amend_go.{target.id}"):
                try:
                    visit_store.amend_visit(db, user.scope, target.id, actor_id=user.user_id, note=amendment)
                except (visit_store.VisitRefused, StorageError) as exc:
                    st.error(t(exc.code))
                else:
                    st.success(t("visits.corrected"))
