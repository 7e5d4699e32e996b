"""Fixtures of the dashboard tests (the known dataset itself lives in known_data.py)."""

from __future__ import annotations

import datetime as dt

import pytest

import demo
from auth.principal import Principal
from storage import analytics as A
from storage import users
from storage.db import Database
from tests.analytics.known_data import dataset  # noqa: F401 - re-exported fixture


@pytest.fixture
def demo_db(app_db):
    """The app's database with a small demo district (400 households, 3,000 responses) and its rollups folded."""
    demo.load_demo(app_db, households=400, seed=3, responses=3000, today=dt.date.today())
    A.refresh_rollups(app_db, settle=False)
    return app_db


def principal(db: Database, username: str) -> Principal:
    """The signed-in principal of a stored user."""
    user = users.get_user_by_username(db, username)
    assert user is not None
    return Principal.from_user(user)
