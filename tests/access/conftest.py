"""Fixtures for the access tests: the field-work district (two towns) reused."""

from tests.fieldwork.conftest import app_world, world  # noqa: F401  (fixtures)
