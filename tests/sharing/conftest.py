"""Fixtures shared by the fill-page, resume and light-path tests: a community with the all-types survey."""

from __future__ import annotations

import pytest

from storage import orgs
from tests.sharing.sharing_fixtures import publish


@pytest.fixture
def paged(monkeypatch):
    """Show the 8-question test survey page by page, as a long survey is."""
    import ui.survey_form

    monkeypatch.setattr(ui.survey_form, "ONE_SCREEN_MAX_QUESTIONS", 3)


@pytest.fixture
def links(app_db):
    """A community and the published all-types survey: (db, unit, survey id)."""
    unit = orgs.create_unit(app_db, "C1", "幸福社区", 3)
    survey_id = publish(app_db)
    return app_db, unit, survey_id


@pytest.fixture
def setup(links, paged):
    """As ``links``, with the survey shown page by page."""
    return links
