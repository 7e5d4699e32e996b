"""Two app processes on one PostgreSQL database: a sign-out in one ends the session in the other, a single-use code
raced through both stores one response, and a problem changed elsewhere shows on an open dashboard."""

from __future__ import annotations

import threading
import urllib.parse

import pytest

from bench.load_fill import light_answers
from i18n import t
from tests.conftest import READY, TEST_PASSWORD, settle, sign_in
from tests.deploy.conftest import read

pytestmark = pytest.mark.postgres

THANKS = t("fill.thanks_body", "zh")
USED = t("fill.state.used", "zh")


@pytest.mark.browser
def test_sign_in_on_one_process_sign_out_on_the_other_ends_it_in_both(two_apps, browser):
    one, other = two_apps
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, one.url, "leader", TEST_PASSWORD)
    welcome = t("app.welcome", "zh", name="leader")
    page.get_by_text(welcome).wait_for()
    # the same browser on the other process (cookies do not depend on the port): the session is known there too,
    # so both processes sign cookies with the key they share
    there = context.new_page()
    there.goto(other.url + "/")
    there.wait_for_selector(READY)
    there.get_by_text(welcome).wait_for()
    # sign out through the other process
    there.goto(other.url + "/logout")
    there.click("button[type=submit]")
    there.wait_for_url("**/login**")
    # the first process's open page still holds the cookie it connected with: its next interaction finds the
    # session ended in the database
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    settle(page, 500)
    page.get_by_text(t("app.sign_in", "en")).first.wait_for()
    assert page.get_by_text(t("app.welcome", "en", name="leader")).count() == 0
    context.close()


def _post_form(base: str, code: str, answers: list[tuple[str, str]]) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{base}/lite?t={code}", data=urllib.parse.urlencode(answers).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_single_use_code_raced_through_both_processes_is_stored_once(district, two_apps):
    import random

    from storage.db import open_database

    rng = random.Random(12)
    one, other = two_apps
    outcomes: dict[str, list[tuple[int, str]]] = {}
    for code in district.codes:
        # two phones opened the same printed code, one through each process, and press Submit together
        forms = []
        for app in (one, other):
            status, page, _ = read(f"{app.url}/lite?t={code}")
            assert status == 200 and 'name="k"' in page
            forms.append(light_answers(page, rng))
        barrier = threading.Barrier(2)
        results: list[tuple[int, str]] = [(0, "")] * 2

        def submit(i: int, base: str) -> None:
            barrier.wait()
            results[i] = _post_form(base, code, forms[i])

        threads = [threading.Thread(target=submit, args=(i, app.url)) for i, app in enumerate((one, other))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        outcomes[code] = results
    db = open_database(district.url, migrate=False)
    try:
        stored = dict(db.query("SELECT link_token, count(*) FROM responses WHERE link_token IN ("
                               + ", ".join("?" for _ in district.codes) + ") GROUP BY link_token",
                               district.codes).rows)
    finally:
        db.close()
    for code, results in outcomes.items():
        thanked = [body for _, body in results if THANKS in body]
        refused = [body for _, body in results if USED in body]
        assert (len(thanked), len(refused)) == (1, 1), (code, [status for status, _ in results])
        assert stored.get(code) == 1, code


def _raise_problem(url: str, key: str) -> None:
    """A cadre's visit on household H1 raising one problem, saved by a process other than the dashboard's."""
    import datetime as dt

    from settings import now
    from storage import problems as problem_store
    from storage import visits
    from storage.db import Scope, open_database

    db = open_database(url, migrate=False)
    try:
        grid = db.query("SELECT id FROM org_units WHERE code = 'T1C1G1'").single_value()
        leader = db.query("SELECT id FROM users WHERE username = 'leader'").single_value()
        household = db.query("SELECT id FROM households WHERE code = 'H1'").single_value()
        if household is None:
            household = db.query(
                "INSERT INTO households (code, head_name, grid_id, created_at, updated_at) VALUES ('H1', '张三', ?, ?, ?)"
                " RETURNING id", [grid, now(), now()]).single_value()
        visits.record_visit(db, Scope.everything(), visits.NewVisit(
            key, household, leader, now() - dt.timedelta(minutes=30), "met",
            problems=[problem_store.NewProblem(f"{key}/p0", "环境卫生", "楼道堆物")]))
    finally:
        db.close()


@pytest.mark.browser
def test_a_problem_changed_elsewhere_shows_on_an_open_dashboard_within_the_refresh(district, two_apps, browser):
    one, other = two_apps
    _raise_problem(district.url, "mp-visit-1")
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    sign_in(page, other.url, "leader", TEST_PASSWORD)
    page.goto(other.url + "/dashboard-problems")
    page.wait_for_selector(READY)
    label = t("dash.problems_open", "zh")
    shown = """([label, value]) => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
        m.innerText.includes(label) && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === value)"""
    page.wait_for_function(shown, arg=[label, "1"], timeout=20_000)
    # a second problem is raised while the dashboard stays open, by another process on the same database; the
    # page refreshes itself every 10 s by default, so the change shows within two refreshes without a click
    _raise_problem(district.url, "mp-visit-2")
    page.wait_for_function(shown, arg=[label, "2"], timeout=25_000)
