"""Process-wide resources for Streamlit scripts: the database and the built-in survey templates."""

from __future__ import annotations

import os
from functools import lru_cache

import streamlit as st

import settings as settings_module
from storage.db import Database, shared_database
from surveys import TemplateLoad, load_templates


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    return shared_database(path)


@lru_cache(maxsize=8)
def _db_path(env_value: str | None) -> str:
    return str(settings_module.load({"MINYI_DB": env_value} if env_value else {}).db_path)


def database() -> Database:
    """The one DuckDB connection of this process (every query takes its own cursor)."""
    return _database(_db_path(os.environ.get("MINYI_DB")))


@st.cache_resource(show_spinner=False)
def templates() -> TemplateLoad:
    """The built-in templates and the errors of those that failed to load (shown to admins)."""
    return load_templates()
