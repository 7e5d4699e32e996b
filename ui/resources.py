"""Process-wide resources for Streamlit scripts: the database and the built-in survey templates."""

from __future__ import annotations

import streamlit as st

import settings as settings_module
from storage.db import Database, shared_database
from surveys import TemplateLoad, load_templates


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    return shared_database(path)


def database() -> Database:
    """The one DuckDB connection of this process (every query takes its own cursor)."""
    return _database(str(settings_module.load().db_path))


@st.cache_resource(show_spinner=False)
def templates() -> TemplateLoad:
    """The built-in templates and the errors of those that failed to load (shown to admins)."""
    return load_templates()
