"""User management for administrators: list, add, reset passwords, (de)activate — within their subtree."""

import streamlit as st

from auth import accounts
from storage import orgs, users
from storage.users import ROLES
from ui.markup import plain
from ui.resources import database
from ui.session import require, t

admin = require("admin")
st.title(t("users.title"))
db = database()
units = orgs.list_units(db, admin.scope)
people = users.list_users(db, admin.scope)

if people:
    st.dataframe(
        [{t("auth.username"): u.username, t("auth.display_name"): u.display_name, t("users.role"): t(f"role.{u.role}"),
          t("users.unit"): u.unit_name, t("users.active"): u.active} for u in people],
        hide_index=True,
    )
else:
    st.info(t("users.none"))

if not units:
    st.warning(t("users.no_units"))
    st.stop()

with st.form("add_user", clear_on_submit=False):
    st.subheader(t("users.add"))
    username = st.text_input(t("auth.username"), key="users.username", max_chars=64)
    display_name = st.text_input(t("auth.display_name"), key="users.display_name", max_chars=64)
    role = st.selectbox(t("users.role"), ROLES, format_func=lambda r: t(f"role.{r}"), key="users.role")
    unit = st.selectbox(t("users.unit"), units, format_func=lambda u: f"{u.code} · {u.name}", key="users.unit")
    password = st.text_input(t("auth.password"), type="password", key="users.password")
    again = st.text_input(t("auth.password_again"), type="password", key="users.password2")
    if st.form_submit_button(t("common.save")):
        if password != again:
            st.error(t("auth.password_mismatch"))
        else:
            try:
                accounts.create_account(db, username, display_name, role, unit.id, password, actor=admin)
            except ValueError as exc:
                st.error(t(str(exc)))
            else:
                st.success(t("users.created", username=plain(username.strip())))

others = [u for u in people if u.id != admin.user_id]
if others:
    with st.form("reset_user"):
        st.subheader(t("users.reset_password"))
        target = st.selectbox(t("auth.username"), others, format_func=lambda u: f"{u.username} · {u.display_name}", key="users.target")
        new = st.text_input(t("auth.new_password"), type="password", key="users.new_password")
        col1, col2 = st.columns(2)
        reset = col1.form_submit_button(t("users.reset_password"))
        toggle = col2.form_submit_button(t("users.activate") + " / " + t("users.deactivate"))
        if reset:
            error = accounts.reset_password(db, admin, target.id, new)
            if error:
                st.error(t(error))
            else:
                st.success(t("users.reset_done", username=plain(target.username)))
        if toggle:
            error = accounts.set_account_active(db, admin, target.id, not target.active)
            if error:
                st.error(t(error))
            else:
                st.rerun()
