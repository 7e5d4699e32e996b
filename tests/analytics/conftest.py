"""Fixtures of the dashboard tests (the dataset itself lives in known_data.py)."""

from tests.analytics.known_data import dataset  # noqa: F401 - re-exported fixture
