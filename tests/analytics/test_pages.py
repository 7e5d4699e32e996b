"""AppTest for each dashboard page with demo data, as a district leader and as a town leader."""

from __future__ import annotations

import datetime as dt

import pytest

import settings
from tests.analytics.conftest import principal
from tests.conftest import page_test
from storage import analytics as A
from storage.db import Scope

PAGES = ("pages/dashboard.py", "pages/dashboard_visits.py", "pages/dashboard_problems.py", "pages/dashboard_voices.py")


_principal = principal


def _texts(at) -> str:
    parts = [m.value for m in at.metric] + [str(m.label) for m in at.metric]
    parts += [c.value for c in at.caption] + [s.value for s in at.subheader] + [b.label for b in at.button]
    parts += [m.value for m in at.markdown] + [x.value for x in at.info]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_for_a_district_leader(demo_db, page) -> None:
    at = page_test(page, _principal(demo_db, "leader"))
    at.run(timeout=60)
    assert not at.exception
    assert at.title


def test_overview_shows_the_storage_figures_and_drills_down(demo_db) -> None:
    leader = _principal(demo_db, "leader")
    at = page_test("pages/dashboard.py", leader)
    at.run(timeout=60)
    assert not at.exception
    today = settings.now().date()
    survey = A.surveys_answered(demo_db, leader.scope)[0].survey_id  # the filter starts on the most answered survey
    assert at.selectbox(key="dash.w.overview.survey").value == survey
    f = A.overview(demo_db, leader.scope, A.Filters(survey_id=survey, since=today - dt.timedelta(days=29), until=today),
                   today).figures
    rate = next(m for m in at.metric if m.label == "满意率")
    assert rate.value == f"{f.rate.value * 100:.1f}%"
    responses = next(m for m in at.metric if m.label == "答卷数")
    assert responses.value == f"{f.responses:,}"
    towns = [b for b in at.button if b.key and b.key.startswith("dash.drill.") and b.key != "dash.drill.up"]
    assert towns, "a drill button per town"
    first = towns[0]
    first.click().run(timeout=60)
    assert not at.exception
    assert any(s.value.startswith(first.label) for s in at.subheader)
    assert any(b.key == "dash.drill.up" for b in at.button)


def test_town_leader_sees_only_the_own_town(demo_db) -> None:
    leader = _principal(demo_db, "leader_t01")
    other = _principal(demo_db, "leader_t02")
    for page in PAGES:
        at = page_test(page, leader)
        at.run(timeout=60)
        assert not at.exception
        text = _texts(at)
        assert other.unit_name not in text, page
    at = page_test("pages/dashboard.py", leader)
    at.run(timeout=60)
    units = at.selectbox(key="dash.w.overview.unit")
    assert other.unit_id not in units.options and str(other.unit_id) not in [str(o) for o in units.options]


def test_a_new_submission_shows_after_a_rerun(demo_db) -> None:
    from tests.analytics.known_data import random_answers
    leader = _principal(demo_db, "leader")
    at = page_test("pages/dashboard.py", leader)
    at.run(timeout=60)
    before = next(m for m in at.metric if m.label == "今日答卷").value
    from services.survey_catalog import survey_version
    from storage import responses as response_store
    from storage import orgs
    from surveys import answer_rows, satisfaction_summary, validate_answers
    import random
    import uuid

    survey, version = survey_version(demo_db, "qunzhong_manyidu")
    clean = validate_answers(survey, random_answers(random.Random(1))).clean
    score = satisfaction_summary(survey, clean)
    grid = orgs.list_units(demo_db, Scope(leader.unit_path), level=4)[0]
    response_store.write_response(demo_db, response_store.NewResponse(
        client_key=str(uuid.uuid4()), survey_id="qunzhong_manyidu", survey_version=version, org_unit_id=grid.id,
        channel="link", submitted_at=settings.now(), answers=answer_rows(survey, clean), sat_n=score.sat_n,
        sat_ok=score.sat_ok, sat_index_sum=score.sat_index_sum, nps_score=score.nps))
    at.run(timeout=60)
    after = next(m for m in at.metric if m.label == "今日答卷").value
    assert int(after.replace(",", "")) == int(before.replace(",", "")) + 1


def test_voices_word_click_shows_only_own_texts(demo_db) -> None:
    leader = _principal(demo_db, "leader_t01")
    at = page_test("pages/dashboard_voices.py", leader)
    at.run(timeout=60)
    assert not at.exception
    assert at.get("button_group"), "a clickable word list"
    words_table = at.dataframe[0].value
    first_word = words_table.iloc[0, 0]
    at.session_state["minyi.dash.word"] = first_word
    at.run(timeout=60)
    assert not at.exception
    behind = at.dataframe[-1].value
    assert len(behind) > 0 and all(first_word in text for text in behind.iloc[:, 3])
    from storage import orgs

    assert {u.split(" · ")[-1] for u in behind.iloc[:, 1]} <= {u.name for u in orgs.list_units(demo_db, leader.scope)}


def test_export_prepares_files_and_audits(demo_db) -> None:
    from storage import audit

    leader = _principal(demo_db, "leader_t01")
    at = page_test("pages/dashboard.py", leader)
    at.run(timeout=60)
    at.button(key="dash.export.prepare").click().run(timeout=120)
    assert not at.exception
    actions = {e.action for e in audit.recent(demo_db, Scope.everything(), action_prefix="export.")}
    assert actions == {"export.dashboard_report", "export.responses_csv", "export.responses_xlsx"}

