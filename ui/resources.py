"""Process-wide resources for Streamlit scripts: the database and the built-in survey templates."""

from __future__ import annotations

import os
from functools import lru_cache

import streamlit as st

import settings as settings_module
from storage.db import Database, shared_database
from surveys import TemplateLoad, load_templates


@lru_cache(maxsize=8)
def _db_path(env_value: str | None) -> str:
    return str(settings_module.load({"MINYI_DB": env_value} if env_value else {}).db_path)


# database() runs several times per script run: a dict lookup in front of
# shared_database's lock and path resolution (bench/load_fill.py).
_opened: dict[str, Database] = {}


def database() -> Database:
    """The one DuckDB connection of this process (every query takes its own cursor)."""
    path = _db_path(os.environ.get("MINYI_DB"))
    db = _opened.get(path)
    if db is None:
        db = _opened[path] = shared_database(path)
    return db


@st.cache_resource(show_spinner=False)
def templates() -> TemplateLoad:
    """The built-in templates and the errors of those that failed to load (shown to admins)."""
    return load_templates()
