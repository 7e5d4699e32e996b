"""Data credibility: the flags of the caller's area with their reasons and rows; admins confirm or dismiss them."""

import math

import streamlit as st

import settings
from analytics import credibility as C
from fieldwork.masking import mask_household
from storage import credibility as store
from ui.resources import database
from ui.session import lang, require, t

user = require("admin", "leader")
db = database()
st.title(t("cred.title"))
st.caption(t("cred.intro"))

chosen: dict[str, dict] = {}
with st.expander(t("cred.signals")):  # each signal's settings, defaults filled in, and what it looks for in words
    st.caption(t("cred.settings_note"))
    for signal in C.SIGNALS:
        values = {}
        columns = st.columns(len(signal.defaults))
        for column, (name, default) in zip(columns, signal.defaults.items()):
            whole = isinstance(default, int)
            values[name] = column.number_input(
                name, min_value=0 if whole else 0.0, value=default, step=1 if whole else None,
                format=None if whole else "%g", key=f"cred.set.{signal.kind}.{name}")
        chosen[signal.kind] = values
        st.caption(f"{t(f'cred.signal.{signal.kind}')}：{signal.explain(signal.settings(values), lang())}")

if st.button(t("cred.run"), key="cred.run"):
    st.success(t("cred.ran", n=C.check(db, user.scope, settings.now(), chosen)))

both = C.with_and_without_open_flags(db, user.scope)
left, right = st.columns(2)
left.metric(t("cred.rate_stored"), f"{(both.stored.rate.value or 0):.1%}", help=t("cred.rate_n", n=both.stored.rate.n))
right.metric(t("cred.rate_without"), f"{(both.rate_without.value or 0):.1%}",
             help=t("cred.rate_n", n=both.rate_without.n))

states = ("open", "confirmed", "dismissed")
state = st.segmented_control(t("cred.state"), states, default="open", key="cred.state",
                             format_func=lambda s: t(f"cred.state.{s}")) or "open"
flags = store.list_flags(db, user.scope, state)
if not flags:
    st.info(t("cred.none"))
else:
    st.dataframe([{t("cred.col.id"): f.id, t("cred.col.unit"): f.unit_name,
                   t("cred.col.signal"): t(f"cred.signal.{f.kind}"), t("cred.col.reason"): C.reason_text(f, lang()),
                   t("cred.col.rows"): f.n_rows, t("cred.col.detected"): f.detected_at,
                   t("cred.col.decision"): f.decision_reason or ""} for f in flags], hide_index=True)
    by_id = {f.id: f for f in flags}
    picked = st.selectbox(t("cred.pick"), list(by_id), key="cred.flag",
                          format_func=lambda i: f"#{i} {t(f'cred.signal.{by_id[i].kind}')} · {by_id[i].unit_name}")
    flag = by_id[picked]
    st.subheader(t("cred.rows"))
    rows = store.flag_rows(db, user.scope, flag.id)
    if flag.row_kind == "visit":
        for row in rows:  # names and phones only for admins (leaders never hold a grid of their own)
            row["head_name"], row["phone"] = mask_household(row["head_name"], row["phone"], user.role == "admin")
        st.caption(t("cred.visit_coverage_note"))
    st.dataframe(rows, hide_index=True)
    if flag.state == "open":
        if user.role != "admin":
            st.caption(t("cred.admin_only"))
        else:
            with st.form(f"cred.decide.{flag.id}"):
                reason = st.text_input(t("cred.decision_reason"), key=f"cred.reason.{flag.id}", max_chars=300)
                left, right = st.columns(2)
                confirm = left.form_submit_button(t("cred.confirm"), type="primary")
                dismiss = right.form_submit_button(t("cred.dismiss"))
            if confirm or dismiss:
                if not reason.strip():
                    st.error(t("cred.need_reason"))
                elif confirm:
                    try:
                        n = store.confirm_flag(db, user.scope, flag.id, actor_id=user.user_id, reason=reason.strip(),
                                               at=settings.now())
                        st.success(t("cred.confirmed", n=n))
                    except (LookupError, ValueError):
                        st.error(t("cred.decided"))
                elif store.dismiss_flag(db, user.scope, flag.id, actor_id=user.user_id, reason=reason.strip(),
                                        at=settings.now()):
                    st.success(t("cred.dismissed"))
                else:
                    st.error(t("cred.decided"))

st.subheader(t("cred.gaps"))
gaps = C.unit_gaps(db, user.scope)
tree = store.unit_tree(db, user.scope)
units = {int(i): n for i, n in zip(tree["id"], tree["name"])}
st.dataframe([{t("cred.gap.unit"): units.get(g.unit_id, ""), t("cred.gap.link"): f"{g.link.rate:.1%}",
               t("cred.gap.link_n"): g.link.responses, t("cred.gap.visit"): f"{g.visit.rate:.1%}",
               t("cred.gap.visit_n"): g.visit.responses, t("cred.gap.diff"): f"{g.difference:+.1%}",
               t("cred.gap.interval"): f"{g.low:+.1%} … {g.high:+.1%}" if math.isfinite(g.low) else ""}
              for g in sorted(gaps, key=lambda g: -g.low)], hide_index=True)
