"""Org tree for administrators: browse the units of their subtree and add a unit under one."""

import streamlit as st

from storage import orgs
from ui.markup import plain
from ui.resources import database
from ui.session import lang, require, t

user = require("admin")
st.title(t("units.title"))
db = database()
levels = {lv.level: (lv.name_zh if lang() == "zh" else lv.name_en) for lv in orgs.levels(db)}
units = orgs.list_units(db, user.scope)

st.dataframe(
    [{t("units.code"): u.code, t("units.name"): "　" * (u.level - 1) + u.name, t("units.level"): levels.get(u.level, u.level)}
     for u in units],
    hide_index=True,
)

parents = [u for u in units if u.level < max(levels)]
if parents:
    with st.form("add_unit", clear_on_submit=True):
        st.subheader(t("units.add"))
        parent = st.selectbox(t("units.parent"), parents, format_func=lambda u: f"{u.code} · {u.name}", key="units.parent")
        code = st.text_input(t("units.code"), key="units.code", max_chars=64)
        name = st.text_input(t("units.name"), key="units.name", max_chars=100)
        if st.form_submit_button(t("common.save")):
            if not code.strip() or not name.strip():
                st.error(t("setup.missing"))
            elif orgs.get_unit_by_code(db, code.strip()) is not None:
                st.error(t("units.code_taken", code=plain(code.strip())))
            elif not user.can_see(parent.path):
                st.error(t("auth.forbidden"))
            else:
                unit = orgs.create_unit(db, code.strip(), name.strip(), parent.level + 1, parent.id)
                st.success(t("units.created", name=plain(unit.name)))
