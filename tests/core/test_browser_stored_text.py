"""A real browser shows hostile stored text as typed: a survey title like `![](/logout)` neither loads an image (which
signed the district admin out) nor links anywhere, on the survey list, the dashboard and a resident's fill page."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import orgs, users
from tests.conftest import READY, TEST_PASSWORD, password_hash, prepared_db, settle, sign_in, start_app, stop_app
from tests.core.stored_text import HOSTILE
from tests.core.test_stored_text_pages import SURVEY, answer, hostile_survey, publish
from tests.sharing.sharing_fixtures import make_link

pytestmark = pytest.mark.browser

TITLE = "![](/logout) " + HOSTILE + " www.evil.example a@evil.example :material/home:"
# What markdown would have made of the stored text in the page body: an image, links, a formula, colour.
MARKUP = ('[data-testid="stMain"] :is(img, a[href*="evil"], a[href*="logout"], a[href^="mailto"], .katex, '
          '[data-testid="stMarkdownColoredText"])')


def markup_made(page) -> list[str]:
    """The elements markdown made of the stored text, plus any `home` icon (the pages' own icons are others)."""
    found = page.locator(MARKUP).evaluate_all("els => els.map(e => e.outerHTML)")
    icons = page.locator('[data-testid="stMain"] [data-testid="stIconMaterial"]').all_inner_texts()
    return found + [icon for icon in icons if icon.strip() == "home"]


def visible_text(page) -> str:
    return page.inner_text('[data-testid="stMain"]').replace("\u2060", "")


def test_hostile_survey_text_stays_text_and_keeps_the_admin_signed_in(tmp_path, browser):
    db = prepared_db(tmp_path)
    district = orgs.create_unit(db, "D01", "清河区", 1)
    grid = orgs.create_unit(db, "G1", HOSTILE, 2, district.id)
    users.create_user(db, "admin1", "管理员", "admin", district.id, password_hash())
    definition = hostile_survey()
    definition["title"] = TITLE
    publish(db, definition)
    answer(db, SURVEY, grid.id, {"overall": 4, "services": {"water": 4, "power": 3}}, dt.date.today())
    token = make_link(db, SURVEY, grid.id)[0]
    db.close()
    app = start_app(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 2400})
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        sign_in(page, app.url, "admin1", TEST_PASSWORD)

        page.goto(app.url + "/surveys")
        page.wait_for_selector(READY)
        page.get_by_text("v1", exact=False).first.wait_for()
        settle(page, 500)
        assert not markup_made(page)
        assert f"{TITLE} · v1" in visible_text(page)
        assert not [url for url in requested if "logout" in url or "evil" in url]
        page.goto(app.url + "/surveys")  # still signed in: no image fetched /logout behind the admin's back
        page.wait_for_selector(READY)
        page.get_by_text("v1", exact=False).first.wait_for(timeout=10_000)
        assert f"{TITLE} · v1" in visible_text(page)

        page.goto(app.url + "/dashboard")
        page.wait_for_selector(READY)
        settle(page, 1500)
        assert not markup_made(page)
        assert page.locator('[data-testid="stPlotlyChart"] a').count() == 0  # Plotly drew no <a href> from a name

        resident = browser.new_page(viewport={"width": 412, "height": 3000})
        resident.on("request", lambda request: requested.append(request.url))
        resident.goto(f"{app.url}/fill?t={token}")
        resident.wait_for_selector(READY)
        resident.get_by_role("radiogroup").first.wait_for()
        settle(resident, 500)
        assert not markup_made(resident)
        text = visible_text(resident)
        assert TITLE in text and f"{HOSTILE} east" in text
        assert not [url for url in requested if "logout" in url or "evil" in url]
    finally:
        stop_app(app)
