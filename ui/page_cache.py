"""Process-wide st.Page prototypes: the router copies one instead of building each page on every script run."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

# Building an st.Page resolves its file path (a realpath: one lstat per path
# component) and validates its icon: ~0.7 ms per page per script run, the
# router's largest cost on the fill page (bench/load_fill.py). The built
# attributes depend only on the arguments and the app's root, so each page is
# built once per process and copied per run. The copy matters: st.navigation
# marks the page it returns as runnable and Page.run() clears the mark, so
# sessions running at the same time must never share one Page object.
_PROTOTYPES: dict[tuple[str, str, str, str, str | None, bool], st.Page] = {}


def page(file: str, *, title: str, url_path: str, icon: str | None, default: bool) -> st.Page:
    """A fresh st.Page equal to ``st.Page(file, title=…, url_path=…, icon=…, default=…)``."""
    ctx = get_script_run_ctx()
    root = str(ctx.pages_manager.main_script_parent) if ctx else ""  # st.Page resolves ``file`` against it
    key = (root, file, title, url_path, icon, default)
    prototype = _PROTOTYPES.get(key)
    if prototype is None:
        prototype = _PROTOTYPES.setdefault(key, st.Page(file, title=title, url_path=url_path, icon=icon,
                                                        default=default))
    fresh = st.Page.__new__(st.Page)
    fresh.__dict__.update(prototype.__dict__)
    fresh._can_be_called = False
    return fresh
