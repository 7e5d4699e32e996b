"""Survey list for admins and leaders, with the definition errors of any built-in template that failed to load."""

from urllib.parse import quote

import streamlit as st

from services.survey_catalog import survey_version
from storage import surveys as survey_store
from ui.links import route_link
from ui.markup import plain
from ui.resources import database, templates
from ui.session import lang, require, t

user = require("admin", "leader")
st.title(t("surveys.title"))

errors = templates().errors
if errors and user.is_admin:
    st.error(t("app.template_errors"))
    for error in errors:
        st.text(error.message(lang()))  # st.text: never rendered as markdown/HTML

db = database()
rows = survey_store.list_surveys(db, user.scope)
if not rows:
    st.info(t("surveys.none"))
st.dataframe(
    [
        {t("surveys.id"): r.id, t("surveys.survey_title"): r.title, t("surveys.kind"): t(f"survey.kind.{r.kind}"),
         t("surveys.status"): t(f"survey.status.{r.status}"), t("surveys.version"): r.current_version,
         t("surveys.versions"): r.versions}
        for r in rows
    ],
    hide_index=True,
)
for r in rows:
    loaded = survey_version(db, r.id)
    if loaded is None:
        continue
    survey, version = loaded
    with st.expander(f"{plain(r.title)} · v{version}"):
        route_link(t("surveys.open_builder"), f"/builder?s={quote(r.id)}")
        for page in survey.pages:
            if page.title:
                st.text(f"【{page.title}】")
            for q in page.questions:
                st.text(f"{q.id} · {q.type} · {q.label}")
