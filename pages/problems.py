"""The problem list (问题清单): filter, bulk assign, act on one problem and see its history."""

import streamlit as st

from auth.principal import Principal
from fieldwork import problems as workflow
from fieldwork.masking import mask_name
from settings import now
from storage import orgs
from storage import problems as problem_store
from storage.db import Database, StorageError
from ui.markup import plain_values
from ui.resources import database
from ui.session import require, t

user: Principal = require("admin", "leader", "cadre")
db: Database = database()
today = now().date()
st.title(t("problems.title"))
# Cadres see their grids' problems and those assigned to them; leaders and admins their subtree.
viewer = user.user_id if user.role == "cadre" else None

c1, c2, c3 = st.columns(3)
states = c1.multiselect(t("problems.state"), list(workflow.STATES), default=list(workflow.OPEN_STATES),
                        format_func=lambda s: t(f"state.{s}"), key="problems.states")
categories = problem_store.problem_categories(db, user.scope)
category = c2.selectbox(t("problems.category"), [None, *categories], key="problems.category",
                        format_func=lambda c: t("common.all") if c is None else c)
units = orgs.list_units(db, user.scope)
unit = c3.selectbox(t("problems.unit"), [None, *units], key="problems.unit",
                    format_func=lambda u: t("common.all") if u is None else f"{'　' * (u.level - user.unit_level)}{u.name}")
overdue_only = st.checkbox(t("problems.overdue_only"), key="problems.overdue")

found = problem_store.list_problems(db, user.scope, viewer_id=viewer, states=states or None, category=category,
                                    unit=unit.scope if unit else None, overdue_on=today if overdue_only else None)
late = sum(1 for p in found if p.overdue(today))
st.caption(t("problems.count", n=len(found), late=late))
if not found:
    st.info(t("problems.none"))


def _household(p: problem_store.Problem) -> str:
    if p.household_code is None:
        return ""
    name = p.head_name if user.sees_personal_data_of(p.unit_path) else mask_name(p.head_name)
    return f"{p.household_code} {name}"


if found:
    table = [{
        "#": p.id, t("problems.overdue"): "⚠" if p.overdue(today) else "", t("problems.state"): t(f"state.{p.state}"),
        t("problems.category"): p.category, t("problems.description"): p.description,
        t("problems.household"): _household(p), t("problems.unit"): p.unit_name,
        t("problems.assignee"): p.assignee_name or p.assignee_unit_name or "", t("problems.due"): p.due_on,
        t("visits.urgency"): t(f"urgency.{p.urgency}"),
    } for p in found]
    st.dataframe(table, hide_index=True,
                 column_config={t("problems.overdue"): st.column_config.TextColumn(width="small")})

    def _title(p: problem_store.Problem) -> str:
        flag = "⚠ " if p.overdue(today) else ""
        return f"{flag}#{p.id} [{t('state.' + p.state)}] {p.category} · {p.description[:30]}"

    if user.role in ("admin", "leader"):
        with st.expander(t("problems.bulk_assign")):
            assignable = [p for p in found if p.state in ("new", "assigned")]
            picked = st.multiselect(t("problems.pick"), assignable, format_func=_title, key="problems.bulk")
            people = {uid: f"{name}（{unit_name}）" for uid, name, unit_name in problem_store.assignable_users(db, user.scope)}
            person = st.selectbox(t("problems.assign_to"), [None, *people], key="problems.bulk_user",
                                  format_func=lambda u: t("problems.nobody") if u is None else people[u])
            to_unit = st.selectbox(t("problems.assign_unit"), [None, *units], key="problems.bulk_unit",
                                   format_func=lambda u: t("problems.nobody") if u is None else u.name)
            if st.button(t("problems.assign_btn"), key="problems.bulk_go", disabled=not picked):
                try:
                    n = problem_store.assign_many(db, user.scope, [p.id for p in picked], actor_id=user.user_id,
                                                  assignee_user_id=person,
                                                  assignee_unit_id=to_unit.id if to_unit else None)
                except workflow.TransitionError as exc:
                    st.error(t(exc.code, **plain_values(exc.params)))
                except StorageError as exc:  # a concurrent change that never settled, or storage unavailable
                    st.error(t(exc.code))
                else:
                    st.success(t("problems.assigned", n=n))
                    st.rerun()

    st.subheader(t("problems.detail"))
    chosen = st.selectbox(t("problems.choose"), found, format_func=_title, key="problems.one")
    if chosen is not None:
        p = chosen
        st.text(f"{t('problems.description')}：{p.description}")
        st.text(f"{t('problems.household')}：{_household(p)}　{t('problems.unit')}：{p.unit_name}")
        st.text(f"{t('problems.raised')}：{p.raised_at:%Y-%m-%d %H:%M}　{t('problems.due')}：{p.due_on}"
                + (f"　{t('problems.overdue')}" if p.overdue(today) else ""))
        if p.overdue(today):
            st.warning(t("problems.overdue"))
        actions = workflow.allowed_actions(p.state)
        if user.role == "cadre":
            actions = [a for a in actions if a != "assign"]
        if p.state == "resolved":
            st.caption(t("problems.confirm_hint"))
        reason = st.text_input(t("problems.reason"), key=f"problems.reason.{p.id}", max_chars=300)
        cols = st.columns(max(len(actions) + (1 if user.role == "cadre" and p.state == "new" else 0), 1))
        pressed = None
        if user.role == "cadre" and p.state == "new":
            if cols[-1].button(t("problems.take"), key=f"problems.take.{p.id}"):
                pressed = "take"
        for col, action in zip(cols, actions):
            if action == "assign":
                continue  # assigning is in the bulk panel (one or many)
            if col.button(t(f"action.{action}"), key=f"problems.do.{action}.{p.id}"):
                pressed = action
        if pressed:
            try:
                if pressed == "take":
                    step = problem_store.transition(db, user.scope, p.id, "assign", actor_id=user.user_id,
                                                    viewer_id=viewer, assignee_user_id=user.user_id, reason=reason)
                else:
                    step = problem_store.transition(db, user.scope, p.id, pressed, actor_id=user.user_id,
                                                    viewer_id=viewer, reason=reason)
            except workflow.TransitionError as exc:
                st.error(t(exc.code, **plain_values(exc.params)))
            except StorageError as exc:  # a concurrent change that never settled, or storage unavailable
                st.error(t(exc.code))
            else:
                st.success(t("problems.done", state=t(f"state.{step.to_state}")))
                st.rerun()
        events = problem_store.history(db, user.scope, p.id, viewer_id=viewer)
        st.markdown(f"**{t('problems.history')}**")
        st.dataframe([{t("problems.when"): e.occurred_at.strftime("%Y-%m-%d %H:%M"), t("problems.who"): e.actor_name or "",
                       t("problems.what"): t(f"action.{e.action}"),
                       t("problems.state"): t(f"state.{e.to_state}") if e.to_state else "",
                       t("problems.note"): e.note or ""} for e in events], hide_index=True)
