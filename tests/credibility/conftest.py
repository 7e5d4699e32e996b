"""Fixtures for the credibility checks: the honest demo district, and the same district with planted patterns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

import demo
from services import fieldwork as fieldwork_service
from services import submissions
from services.survey_catalog import survey_version
from sharing.tokens import new_token
from storage import links as link_store
from storage import open_database
from storage import visits as visit_store
from storage.db import Database, Scope
from tests.conftest import PG_BASE, _pg_admin, pg_url

TODAY = dt.date(2026, 11, 28)
HOUSEHOLDS = 3000
SEED = 5
SURVEY = "qunzhong_manyidu"
VISIT_SURVEY = "ruhu_zoufang"
RATINGS = ("overall", "env_sanitation", "public_security", "service_efficiency", "dispute_resolution",
           "practical_deeds", "cadre_conduct")
MATRIX_ROWS = ("elderly_care", "medical_care", "education", "employment", "culture_sports")


def demo_database(path) -> Database:
    db = open_database(path)
    demo.load_demo(db, households=HOUSEHOLDS, seed=SEED, today=TODAY)
    return db


def resident_answers(level: int, suggestion: str | None = None, *, mixed: int = 0) -> dict:
    """A resident's answers to the satisfaction survey: every rating at ``level``, or (``mixed``) varied."""
    values = [level if not mixed else 1 + (i + mixed) % 5 for i in range(len(RATINGS) + len(MATRIX_ROWS))]
    raw = dict(zip(RATINGS, values))
    raw["livelihood"] = dict(zip(MATRIX_ROWS, values[len(RATINGS):]))
    raw["reported_problem"] = "no"
    if raw["overall"] <= 2:
        raw["dissatisfied_reasons"] = ["other"]
    if suggestion:
        raw["suggestions"] = suggestion
    return raw


@dataclass
class Planted:
    db: Database
    burst_visits: list[int] = field(default_factory=list)  # one cadre, 12 households in 20 minutes, identical forms
    backdated_visits: list[int] = field(default_factory=list)  # typed in two days before the deadline
    straight_lined: list[int] = field(default_factory=list)  # one link, every rating the same
    fast_burst: list[int] = field(default_factory=list)  # one link, one browser, 40 responses in 8 minutes
    copied_texts: list[int] = field(default_factory=list)  # the same suggestion word for word
    gap_grid: int = 0  # a grid where visits say 满意 and residents say 不满意
    gap_visit_responses: list[int] = field(default_factory=list)
    grid_of: dict[str, int] = field(default_factory=dict)


def _grid_with_households(db: Database, skip: set[int], at_least: int) -> tuple[int, list[int], int]:
    """A grid not in ``skip`` with ``at_least`` households: its id, households and the grid's cadre."""
    for grid, cadre in db.query("""SELECT v.org_unit_id, min(v.cadre_id) FROM visits v GROUP BY 1
                                   ORDER BY count(DISTINCT v.household_id) DESC""").rows:
        if grid in skip:
            continue
        homes = [r[0] for r in db.query("SELECT id FROM households WHERE grid_id = ? ORDER BY id", [grid]).rows]
        if len(homes) >= at_least:
            return int(grid), homes, int(cadre)
    raise AssertionError("no grid big enough")


def _visit(db, cadre, household, at, raw, key, campaign=1):
    survey, version = survey_version(db, VISIT_SURVEY)
    response, errors = fieldwork_service.visit_response(survey, version, raw, client_key=key + "/r",
                                                        submitted_by=cadre, submitted_at=at)
    assert not errors, errors
    saved = visit_store.record_visit(db, Scope.everything(), visit_store.NewVisit(
        key, household, cadre, at, "met", campaign_id=campaign, response=response))
    return saved


def _submit(db, token, raw, key, at, started):
    survey, version = survey_version(db, SURVEY)
    result = submissions.submit(db, token=token, survey=survey, version=version, raw=raw, client_key=key,
                                started_at=started, at=at)
    assert result.status == "stored", result
    return result.response_id


def _open_link(db, unit_id) -> str:
    token = new_token()
    link_store.create_links(db, SURVEY, unit_id, "open", [token], dt.datetime(2026, 9, 1))
    return token


def plant_patterns(db: Database) -> Planted:
    p = Planted(db)
    used: set[int] = set()
    form = {"work_satisfaction": 5, "follow_up_needed": "no", "notes": "已走访，群众满意"}

    # 1. a fabricated burst: 12 households "visited" by one cadre in 20 minutes, every form the same
    grid, homes, cadre = _grid_with_households(db, used, 12)
    used.add(grid)
    p.grid_of["burst"] = grid
    start = dt.datetime(2026, 11, 26, 16, 0)
    for i, home in enumerate(homes[:12]):
        p.burst_visits.append(_visit(db, cadre, home, start + dt.timedelta(minutes=i * 100 // 60), form,
                                     f"burst-{i}").visit_id)

    # 2. back-dated entries typed in two days before the campaign's deadline (31 December)
    grid, homes, cadre = _grid_with_households(db, used, 14)
    used.add(grid)
    p.grid_of["backdated"] = grid
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(visit_store, "now", lambda: dt.datetime(2026, 12, 29, 21, 30))
        for i, home in enumerate(homes[:14]):
            raw = {"work_satisfaction": 3 + i % 3, "follow_up_needed": "no"}
            p.backdated_visits.append(_visit(db, cadre, home, dt.datetime(2026, 12, 1 + i, 10, 0), raw,
                                             f"late-{i}").visit_id)

    # 3. straight-lined answers on one link: 12 residents, every rating 3
    grid, _, _ = _grid_with_households(db, used, 1)
    used.add(grid)
    p.grid_of["straight"] = grid
    token = _open_link(db, grid)
    for i in range(12):
        at = dt.datetime(2026, 11, 20 + i % 6, 9 + i % 8, 5 * i % 60)
        p.straight_lined.append(_submit(db, token, resident_answers(3), f"straight-{i}", at,
                                        at - dt.timedelta(minutes=3)))

    # 4. a short-duration burst from one browser: 40 responses on one link in 8 minutes, 12 seconds each
    grid, _, _ = _grid_with_households(db, used, 1)
    used.add(grid)
    p.grid_of["fast"] = grid
    token = _open_link(db, grid)
    start = dt.datetime(2026, 11, 25, 22, 10)
    for i in range(40):
        at = start + dt.timedelta(seconds=12 * i)
        p.fast_burst.append(_submit(db, token, resident_answers(4, mixed=i + 1), f"fast-{i}", at,
                                    at - dt.timedelta(seconds=12)))
    db.execute("ALTER TABLE responses ADD COLUMN IF NOT EXISTS browser_id VARCHAR")
    db.execute("UPDATE responses SET browser_id = 'one-phone' WHERE id IN (SELECT unnest(?::BIGINT[]))",
               [p.fast_burst])

    # 5. one suggestion copied word for word into six responses of one grid
    grid, _, _ = _grid_with_households(db, used, 1)
    used.add(grid)
    p.grid_of["texts"] = grid
    token = _open_link(db, grid)
    for i in range(6):
        at = dt.datetime(2026, 11, 10 + i, 10 + i, 0)
        p.copied_texts.append(_submit(db, token, resident_answers(5, "社区工作做得非常好，网格员认真负责，群众十分满意", mixed=i + 2),
                                      f"copy-{i}", at, at - dt.timedelta(minutes=4)))

    # 6. a grid where 30 visits record 满意 while 30 residents answering through a link are dissatisfied
    grid, homes, cadre = _grid_with_households(db, used, 10)
    used.add(grid)
    p.gap_grid = grid
    token = _open_link(db, grid)
    for i in range(30):
        home = homes[i % len(homes)]
        day = dt.datetime(2026, 10, 1) + dt.timedelta(days=i, hours=10)
        saved = _visit(db, cadre, home, day, {"work_satisfaction": 5, "follow_up_needed": "no",
                                              "notes": f"第{i}户走访记录"}, f"gap-{i}")
        _submit(db, token, resident_answers(2) | {"overall": 1 + i % 2}, f"gap-link-{i}",
                day + dt.timedelta(hours=3), day + dt.timedelta(hours=2, minutes=55))
    p.gap_visit_responses = [int(r[0]) for r in db.query(
        "SELECT id FROM responses WHERE channel = 'visit' AND org_unit_id = ? AND voided_at IS NULL AND sat_n > 0",
        [grid]).rows]
    return p


_DISTRICTS = ("honest_db", "planted")


def pytest_itemcollected(item: pytest.Item) -> None:
    """On the PostgreSQL pass the demo districts below are PostgreSQL databases: keep the tests that read them."""
    if PG_BASE is not None and set(_DISTRICTS) & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.postgres)


@contextmanager
def district_target(request: pytest.FixtureRequest, tmp_path_factory, name: str) -> Iterator[str]:
    """Where a module's demo district lives: a DuckDB file, or a PostgreSQL database copied from the template."""
    if PG_BASE is None:
        yield str(tmp_path_factory.mktemp(name) / "demo.duckdb")
        return
    database = f"{request.getfixturevalue('pg_template')}_{name}"
    _pg_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {database} TEMPLATE {request.getfixturevalue('pg_template')} STRATEGY FILE_COPY")
    try:
        yield pg_url(database)
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture(scope="module")
def honest_db(request, tmp_path_factory):
    with district_target(request, tmp_path_factory, "honest") as target:
        db = demo_database(target)
        yield db
        db.close()


@pytest.fixture(scope="module")
def planted(request, tmp_path_factory):
    with district_target(request, tmp_path_factory, "planted") as target:
        db = demo_database(target)
        yield plant_patterns(db)
        db.close()
