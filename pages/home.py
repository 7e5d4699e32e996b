"""Public home page: what Minyi is, the way in for staff, and a welcome for the signed-in."""

import streamlit as st

import settings as settings_module
from auth import setup
from storage.db import StorageError
from ui.resources import database
from ui.links import route_link
from ui.markup import plain, plain_values
from ui.session import current_user, lang, t

# Public page: no access check needed beyond choosing what to show.
st.title(t("app.name"))
st.caption(t("app.tagline"))

try:
    db = database()
    needs_setup = setup.needs_setup(db)
except StorageError as exc:
    st.error(t(exc.code, **plain_values({"detail": exc.detail, **exc.params})))
    st.stop()

user = current_user()
if user is None:
    if needs_setup:
        cfg = settings_module.load()
        st.info(t("app.setup_needed", url="/setup", file=str(cfg.data_dir / setup.CODE_FILE)))
    st.write(t("app.public_intro"))
    route_link(t("app.sign_in"), f"/login?lang={lang()}", primary=True)
else:
    st.subheader(t("app.welcome", name=plain(user.display_name)))
    st.write(t("app.signed_in_as", name=plain(user.display_name), role=t(f"role.{user.role}"), unit=plain(user.unit_name)))
