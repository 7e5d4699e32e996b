"""My account: change the signed-in user's own password."""

import streamlit as st

from auth import accounts
from ui.link_resources import client_address
from ui.markup import plain
from ui.resources import database
from ui.session import require, session_token_hash, t

user = require()
st.title(t("nav.account"))
st.write(t("app.signed_in_as", name=plain(user.display_name), role=t(f"role.{user.role}"), unit=plain(user.unit_name)))

with st.form("change_password", clear_on_submit=False):
    st.subheader(t("auth.change_password"))
    old = st.text_input(t("auth.old_password"), type="password", key="account.old")
    new = st.text_input(t("auth.new_password"), type="password", key="account.new")
    again = st.text_input(t("auth.password_again"), type="password", key="account.again")
    if st.form_submit_button(t("common.save")):
        if new != again:
            st.error(t("auth.password_mismatch"))
        else:
            try:  # a wrong current password counts on the sign-in throttle; what was typed stays in the form
                error = accounts.change_password(database(), user, old, new, keep_token_hash=session_token_hash(),
                                                 ip=client_address())
            except accounts.Throttled as exc:
                st.error(t("accounts.password_throttled", seconds=exc.seconds))
            else:
                if error:
                    st.error(t(error))
                else:
                    st.success(t("auth.password_changed"))
                    st.info(t("accounts.sessions_ended"))
