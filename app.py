"""Minyi's router: page config, the signed-in user, and the pages their role may open."""

import streamlit as st

from storage.db import StorageError
from ui import page_cache
from ui.icons import PAGE_ICON
from ui.links import route_link
from ui.markup import plain
from ui.navigation import routable_for, visible_to
from ui.resources import database
from ui.session import current_user, lang, language_switch, t

try:
    database()
except StorageError as exc:  # not DuckDB, locked, unwritable, too new: say which, change nothing
    st.error(t("app.db_error_title"))
    st.text(t(exc.code, detail=exc.detail, **exc.params))
    st.stop()

user = current_user()
# A resident opening a share link (/fill?t=…) is routed among the public pages
# only: building every staff st.Page on each of their script runs was the
# largest per-run cost of the fill page (bench/load_fill.py).
entries = visible_to(None) if user is None and "t" in st.query_params else routable_for(user.role if user else None)
# No st.Page icon: the frontend makes a page's icon its tab icon, and a ":material/…:" one is
# fetched from fonts.gstatic.com (the menu's st.page_link icons come from the bundled font).
pages = {e.file: page_cache.page(e.file, title=t(e.title_key), url_path=e.url_path, icon=None,
                                 default=e.url_path == "home")
         for e in entries}
current = st.navigation(list(pages.values()), position="hidden")
entry = next(e for e in entries if pages[e.file] is current)
# One layout per run, decided here: a page setting its own after the router's made the frontend switch
# between the two on each rerun (a dashboard at 1920 px alternated between 1620 and 736 px wide).
st.set_page_config(page_title="民意 Minyi", page_icon=PAGE_ICON,
                   layout="wide" if entry.wide else "centered")

if entry.roles or entry.url_path == "home":  # staff pages and home get the menu; resident pages stay bare
    with st.sidebar:
        st.markdown(f"### {t('app.name')}")
        if user:
            st.caption(t("app.signed_in_as", name=plain(user.display_name), role=t(f"role.{user.role}"), unit=plain(user.unit_name)))
            groups: dict[str, list] = {}
            for e in entries:
                if e.in_menu and e.roles and user.role in e.roles:
                    groups.setdefault(e.group, []).append(e)
            for group, members in groups.items():
                st.caption(t(group))
                for e in members:
                    st.page_link(pages[e.file], label=t(e.title_key), icon=e.icon)
            route_link(t("app.sign_out"), f"/logout?lang={lang()}")
        else:
            route_link(t("app.sign_in"), f"/login?lang={lang()}")
        language_switch()

current.run()
