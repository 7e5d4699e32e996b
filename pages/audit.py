"""Audit log for administrators: sign-ins, failures, exports and administrative changes."""

import streamlit as st

from storage import audit
from ui.resources import database
from ui.session import require, t

user = require("admin")
st.title(t("audit.title"))
entries = audit.recent(database(), user.scope, limit=500)
st.dataframe(
    [
        {t("audit.when"): e.occurred_at, t("audit.who"): e.actor_name or "", t("audit.action"): e.action,
         t("audit.target"): e.target or "", t("audit.ip"): e.ip or "", "detail": str(e.detail)}
        for e in entries
    ],
    hide_index=True,
)
