"""Every page shows hostile stored text (units, surveys, questions, choices, problems, campaigns, grades, addresses,
staff names) literally: no markdown element and no chart carries a live link, image, HTML or formula from it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest

from auth.principal import Principal
from fieldwork import registry
from storage import analytics as analytics_store
from storage import campaigns, households, orgs, users
from storage import problems as problem_store
from storage import responses as response_store
from storage import surveys as survey_store
from storage import visits as visit_store
from storage.db import Database, Scope
from surveys import answer_rows, satisfaction_summary, survey_from_dict, validate_answers
from surveys.evaluation import evaluation_definition
from surveys.model import Choice
from tests.conftest import build_tree, page_test, password_hash
from tests.core.stored_text import (
    HOSTILE, chart_shown, chart_texts, live_markup, markdown_texts, shown,
)
from tests.fieldwork.conftest import live_window, registry_csv
from tests.sharing.sharing_fixtures import ALL_TYPES_YAML, make_link

SURVEY = "hostile_survey"
EVALUATION = "hostile_evaluation"


@dataclass
class HostileWorld:
    db: Database
    admin: Principal
    token: str
    household_id: int


def hostile_survey() -> dict:
    """The every-question-type survey with its title, page titles, labels, hints, choices and rows all hostile."""
    from surveys import load_survey_text, survey_to_dict

    definition = survey_to_dict(load_survey_text(ALL_TYPES_YAML, "hostile.yaml"))
    definition["id"], definition["title"] = SURVEY, HOSTILE
    for page in definition["pages"]:
        page["title"] = HOSTILE
        for question in page["questions"]:
            question["label"], question["hint"] = HOSTILE, HOSTILE
            for choice in question.get("choices", []):
                choice["label"] = f"{HOSTILE} {choice['value']}"
            for row in question.get("rows", []):
                row["label"] = f"{HOSTILE} {row['id']}"
    return definition


def publish(db: Database, definition: dict) -> None:
    survey_store.create_survey(db, definition["id"], definition["title"], definition.get("kind", "satisfaction"),
                               source="test")
    survey_store.publish_version(db, definition["id"], definition)
    survey_store.set_status(db, definition["id"], "open")


def answer(db: Database, survey_id: str, unit_id: int, clean: dict, day: dt.date) -> None:
    survey = survey_from_dict(survey_store.version_definition(db, survey_id))
    check = validate_answers(survey, clean)
    assert check.ok, check.errors
    score = satisfaction_summary(survey, check.clean)
    response_store.write_response(db, response_store.NewResponse(
        client_key=str(uuid.uuid4()), survey_id=survey_id, survey_version=1, org_unit_id=unit_id, channel="link",
        submitted_at=dt.datetime.combine(day, dt.time(10)), answers=answer_rows(survey, check.clean),
        sat_n=score.sat_n, sat_ok=score.sat_ok, sat_index_sum=score.sat_index_sum, nps_score=score.nps))


@pytest.fixture
def hostile(app_db: Database) -> HostileWorld:
    db = app_db
    tree = build_tree(db)
    town = orgs.create_unit(db, "T3", HOSTILE, 2, tree.district.id)
    community = orgs.create_unit(db, "T3C1", HOSTILE, 3, town.id)
    grid = orgs.create_unit(db, "T3C1G1", HOSTILE, 4, community.id)
    admin_id = users.create_user(db, "admin1", HOSTILE, "admin", tree.district.id, password_hash())
    admin = Principal.from_user(users.get_user(db, admin_id))
    users.create_user(db, "cadre9", HOSTILE, "cadre", grid.id, password_hash())

    # a head name holds 64 characters (a longer cell is a bad row, never cut)
    data = registry_csv([("H901", HOSTILE[:64], "13812345678", HOSTILE, "T3C1G1", 3, "")]).encode("utf-8")
    parse = registry.parse_households(data, "r.csv", registry.GridLookup.of(households.grids(db, Scope.everything())))
    assert parse.ok, parse.errors
    households.upsert_households(db, Scope.everything(), parse.records)
    household_id = int(db.query("SELECT id FROM households WHERE code = 'H901'").single_value())
    starts, ends = live_window()
    campaign_id = campaigns.create_campaign(db, Scope.everything(), name=HOSTILE, unit_ids=[tree.district.id],
                                            starts_on=starts, ends_on=ends)
    problem_store.set_problem_categories(db, tree.district.scope, [HOSTILE, "环境卫生"])
    visit_store.record_visit(db, Scope.everything(), visit_store.NewVisit(
        client_key="v1", household_id=household_id, cadre_id=admin_id, visited_at=dt.datetime.now(),
        outcome="met", campaign_id=campaign_id,
        problems=[problem_store.NewProblem("v1/p0", HOSTILE, HOSTILE)]))

    publish(db, hostile_survey())
    today = dt.date.today()
    for n in range(3):
        answer(db, SURVEY, grid.id, {"overall": 5 - n, "side": "east", "services": {"water": 4, "power": 3},
                                     "recommend": 9, "comment": f"{HOSTILE} 评论"}, today)
    grades = [Choice(value=4, label=f"{HOSTILE} 优"), Choice(value=3, label=f"{HOSTILE} 合"),
              Choice(value=2, label=f"{HOSTILE} 基"), Choice(value=1, label=f"{HOSTILE} 不")]
    publish(db, evaluation_definition(EVALUATION, HOSTILE, [f"{HOSTILE} 甲", f"{HOSTILE} 乙"], grades=grades))
    answer(db, EVALUATION, grid.id, {"grades": {"s1": 4, "s2": 3}}, today)
    analytics_store.refresh_rollups(db, settle=False)
    token = make_link(db, SURVEY, grid.id)[0]
    return HostileWorld(db, admin, token, household_id)


# Pages and the query that opens them on the hostile records; True where stored text is shown in markdown
# (elsewhere it is only in tables and select boxes, which Streamlit shows as plain text).
STAFF_PAGES = [
    ("pages/home.py", {}, True),
    ("pages/account.py", {}, True),
    ("pages/survey_list.py", {}, True),
    ("pages/units.py", {}, False),
    ("pages/users.py", {}, False),
    ("pages/households.py", {}, False),
    ("pages/campaigns.py", {}, True),
    ("pages/problems.py", {}, False),
    ("pages/visits.py", {"hh": "HOUSEHOLD"}, False),
    ("pages/worklists.py", {}, False),
    ("pages/links.py", {}, False),
    ("pages/dashboard.py", {}, True),
    ("pages/dashboard_visits.py", {}, True),
    ("pages/dashboard_problems.py", {}, False),
    ("pages/dashboard_voices.py", {}, False),
    ("pages/builder.py", {"s": SURVEY}, True),
    ("pages/evaluation.py", {}, False),
    ("pages/survey_import.py", {}, False),
    ("pages/audit.py", {}, False),
]


def assert_inert(at, expect_shown: bool) -> None:
    assert not at.exception, [e.value for e in at.exception]
    texts = markdown_texts(at)
    live = {text: live_markup(text) for text in texts if live_markup(text)}
    assert not live, live
    if expect_shown:
        assert any(HOSTILE in shown(text) for text in texts), texts


@pytest.mark.parametrize(("page", "query", "in_markdown"), STAFF_PAGES, ids=[p[0] for p in STAFF_PAGES])
def test_staff_pages_show_hostile_stored_text_literally(hostile, page, query, in_markdown):
    query = {k: str(hostile.household_id) if v == "HOUSEHOLD" else v for k, v in query.items()}
    at = page_test(page, hostile.admin, timeout=60, **query).run()
    assert_inert(at, in_markdown)


def test_router_sidebar_shows_a_hostile_staff_name_literally(hostile):
    at = page_test("app.py", hostile.admin, timeout=60).run()
    assert_inert(at, True)


def test_fill_page_shows_a_hostile_survey_literally(hostile):
    at = page_test("pages/fill.py", t=hostile.token).run()
    assert_inert(at, True)
    # a radio group's label is its accessible name, in full-width punctuation so it carries no markup at all;
    # the visible label is its own markdown element, shown as typed
    labels = [r.label for r in at.radio]
    # (a matrix row's label is still the escaped text, shown as typed)
    assert labels and all(not set(label) & set("[]()<>$*_`:!") or HOSTILE in shown(label) for label in labels)
    assert any(HOSTILE in shown(text) for text in markdown_texts(at))
    assert any(f"{HOSTILE} east" in shown(option) for r in at.radio for option in r.options)


def test_evaluation_rules_show_hostile_grade_labels_literally(hostile):
    at = page_test("pages/evaluation.py", hostile.admin, timeout=60).run()
    at.selectbox(key="evaluation.survey").select(EVALUATION).run()
    assert_inert(at, True)
    assert any(f"{HOSTILE} 不" in shown(box.label) for box in at.selectbox)


def test_dashboard_charts_draw_hostile_names_as_text(hostile):
    at = page_test("pages/dashboard.py", hostile.admin, timeout=60).run()
    assert not at.exception
    drawn = chart_texts(at)
    assert drawn, "the dashboard drew no chart"
    assert not [text for text in drawn if "<b>x</b>" in text or "<a" in text]
    assert any(HOSTILE in chart_shown(text) for text in drawn)  # the hostile town's bar, shown as typed


def test_problem_dashboard_draws_a_hostile_category_as_text(hostile):
    at = page_test("pages/dashboard_problems.py", hostile.admin, timeout=60).run()
    assert not at.exception
    drawn = chart_texts(at)
    assert not [text for text in drawn if "<b>x</b>" in text]
    assert any(HOSTILE in chart_shown(text) for text in drawn)
