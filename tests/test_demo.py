"""The synthetic demo district: deterministic, consistent with the schema's rules and with surveys.scoring."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

import demo
from demo.generate import SATISFACTION_SURVEY, AnswerSynth, add_working_days, build_district
from storage import bulk, open_database
from surveys.answers import answer_rows
from surveys.conditions import visible_questions
from surveys.loader import load_templates, survey_from_dict
from surveys.scoring import satisfaction_summary

TODAY = dt.date(2026, 11, 28)
HOUSEHOLDS = 300


@pytest.fixture
def db(fresh_target):
    """A file database (DuckDB) or a fresh PostgreSQL one: the demo goes in by each engine's bulk path."""
    database = open_database(fresh_target)
    yield database
    database.close()


@pytest.fixture
def loaded(db):
    summary = demo.load_demo(db, households=HOUSEHOLDS, seed=11, today=TODAY)
    return db, summary


def _survey(db, survey_id):
    definition = db.query(
        "SELECT v.definition FROM surveys s JOIN survey_versions v ON v.survey_id = s.id AND v.version = s.current_version"
        " WHERE s.id = ?",
        [survey_id],
    ).single_value()
    return survey_from_dict(json.loads(definition))


def _answers_of(db, response_id):
    return sorted(
        db.query(
            "SELECT question_id, row_id, value_num, value_text FROM answers WHERE response_id = ?", [response_id]
        ).rows,
        key=lambda r: (r[0], r[1], r[3] or ""),
    )


def _clean_from_rows(survey, rows):
    """Rebuild the clean answers mapping from stored rows (the inverse of answer_rows)."""
    from surveys.model import DateQuestion, MatrixQuestion, MultiChoiceQuestion

    clean = {}
    for qid, row_id, num, text in rows:
        q = survey.question(qid)
        if isinstance(q, MatrixQuestion):
            clean.setdefault(qid, {})[row_id] = int(num)
        elif isinstance(q, MultiChoiceQuestion):
            clean.setdefault(qid, []).append(text)
        elif isinstance(q, DateQuestion):
            clean[qid] = dt.date.fromisoformat(text)
        elif num is not None:
            clean[qid] = int(num) if float(num).is_integer() else num
        else:
            clean[qid] = text
    return clean


def test_summary_counts_and_accounts(loaded):
    db, summary = loaded
    assert summary.counts["households"] == HOUSEHOLDS
    assert summary.counts["responses"] > 3 * HOUSEHOLDS  # satisfaction responses plus visit records
    assert summary.password == "demo1234"
    assert {"admin", "leader", "leader_t01", "cadre_0001"} <= set(summary.accounts)
    assert db.query("SELECT value FROM app_meta WHERE key = 'demo_loaded'").single_value() == "11"
    hashes = db.query("SELECT DISTINCT password_hash FROM users WHERE is_demo").rows
    assert len(hashes) == 1 and hashes[0][0].startswith("$argon2")


def test_same_seed_same_rows_other_seed_differs(tmp_path):
    dbs = [open_database(tmp_path / f"{i}.duckdb") for i in range(3)]
    try:
        for database, seed in zip(dbs, (5, 5, 6)):
            demo.load_demo(database, households=HOUSEHOLDS, seed=seed, today=TODAY)
        first = "SELECT * FROM {} ORDER BY id LIMIT 3"
        counts = "SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM answers), (SELECT count(*) FROM visits)"
        a, b, c = dbs
        for table in ("households", "responses", "visits", "problems"):
            assert a.query(first.format(table)).rows == b.query(first.format(table)).rows
        assert a.query(counts).rows == b.query(counts).rows
        assert a.query(first.format("households")).rows != c.query(first.format("households")).rows
    finally:
        for database in dbs:
            database.close()


def test_org_tree_shape_and_paths(loaded):
    db, _ = loaded
    per_level = dict(db.query("SELECT level, count(*) FROM org_units GROUP BY level").rows)
    assert per_level[1] == 1
    assert 5 <= per_level[2] <= 7
    assert 25 <= per_level[3] <= 56
    assert 150 <= per_level[4] <= 560
    units = {r[0]: r for r in db.query("SELECT id, parent_id, level, path FROM org_units").rows}
    for uid, parent, level, path in units.values():
        expected = f"/{uid}/" if parent is None else units[parent][3] + f"{uid}/"
        assert path == expected
        assert parent is None or units[parent][2] == level - 1
    bad = db.query(
        "SELECT count(*) FROM households h LEFT JOIN org_units u ON u.id = h.grid_id WHERE u.level IS DISTINCT FROM 4"
    ).single_value()
    assert bad == 0


def test_summary_columns_match_scoring(loaded):
    db, _ = loaded
    for survey_id in ("qunzhong_manyidu", "ruhu_zoufang"):
        survey = _survey(db, survey_id)
        sample = db.query(
            "SELECT id, sat_n, sat_ok, sat_index_sum, nps_score FROM responses WHERE survey_id = ? ORDER BY id LIMIT 80",
            [survey_id],
        ).rows
        assert sample
        for rid, sat_n, sat_ok, index_sum, nps in sample:
            rows = _answers_of(db, rid)
            clean = _clean_from_rows(survey, rows)
            score = satisfaction_summary(survey, clean)
            assert (sat_n, sat_ok, nps) == (score.sat_n, score.sat_ok, score.nps)
            assert index_sum == pytest.approx(score.sat_index_sum)
            # The stored rows are exactly what the app would store for these answers.
            expected = sorted(
                ((r.question_id, r.row_id, r.value_num, r.value_text) for r in answer_rows(survey, clean)),
                key=lambda r: (r[0], r[1], r[3] or ""),
            )
            assert rows == expected


def test_hidden_questions_have_no_answers(loaded):
    db, _ = loaded
    survey = _survey(db, SATISFACTION_SURVEY)
    ids = [r[0] for r in db.query("SELECT id FROM responses WHERE survey_id = ? ORDER BY id", [SATISFACTION_SURVEY]).rows]
    for rid in ids[:300]:
        clean = _clean_from_rows(survey, _answers_of(db, rid))
        visible = {q.id for q in visible_questions(survey, clean)}
        assert set(clean) <= visible
    # The conditional questions are exercised both ways.
    shown = dict(db.query("SELECT question_id, count(*) FROM answers GROUP BY question_id").rows)
    assert 0 < shown["dissatisfied_reasons"] < shown["overall"]
    assert 0 < shown["handling_result"] < shown["overall"]


def test_vectorised_answers_equal_reference_functions():
    survey = load_templates().surveys[SATISFACTION_SURVEY]
    synth = AnswerSynth(survey, 3)
    rng = np.random.Generator(np.random.PCG64(4))
    latent = rng.normal(-0.5, 1.2, 2000)
    cols, summary = synth.generate(rng, latent)
    ids = np.arange(1, 2001)
    rows = synth.rows(cols, ids)
    for i in range(0, 2000, 7):
        clean = synth.answers_dict(cols, i)
        score = satisfaction_summary(survey, clean)
        assert (summary["sat_n"][i], summary["sat_ok"][i]) == (score.sat_n, score.sat_ok)
        assert summary["sat_index_sum"][i] == pytest.approx(score.sat_index_sum)
        assert set(clean) <= {q.id for q in visible_questions(survey, clean)}
        mine = np.flatnonzero(rows["response_id"] == i + 1)
        assert len(mine) == len(answer_rows(survey, clean))


def test_refuses_non_demo_data_unless_forced(db):
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO users (username, display_name, role, org_unit_id, password_hash, created_at)"
            " VALUES ('admin', '管理员', 'admin', 1, 'x', now())"
        )
    assert bulk.has_non_demo_data(db)
    with pytest.raises(demo.DemoDataPresent):
        demo.load_demo(db, households=50, seed=1, today=TODAY)
    summary = demo.load_demo(db, households=50, seed=1, today=TODAY, force=True)
    assert "demo_admin" in summary.accounts  # the real admin keeps its name
    assert db.query("SELECT count(*) FROM users WHERE NOT is_demo").single_value() == 1
    bulk.clear_demo_data(db)
    assert db.query("SELECT count(*) FROM users").single_value() == 1
    assert db.query("SELECT count(*) FROM org_units").single_value() == 0
    assert db.query("SELECT count(*) FROM answers").single_value() == 0


def test_reload_replaces_demo_and_sequences_move_on(loaded):
    db, _ = loaded
    assert not bulk.has_non_demo_data(db)
    demo.load_demo(db, households=100, seed=2, today=TODAY)
    assert db.query("SELECT count(*) FROM households").single_value() == 100
    # A row created through the column DEFAULT must not collide with demo ids.
    db.execute("INSERT INTO org_units (parent_id, level, code, name, path, created_at) VALUES (NULL, 1, 'X', 'x', '/', now())")
    top = db.query("SELECT max(id) FROM org_units WHERE code <> 'X'").single_value()
    assert db.query("SELECT id FROM org_units WHERE code = 'X'").single_value() > top


def test_problem_states_follow_events(loaded):
    db, _ = loaded
    problems = db.query(
        "SELECT id, state, raised_at, due_on, resolved_at, closed_at, resolution_satisfaction FROM problems"
    ).rows
    assert problems
    states = {p[1] for p in problems}
    assert {"new", "closed"} <= states or len(states) >= 3
    for pid, state, raised, due, resolved, closed, sat in problems:
        events = db.query(
            "SELECT occurred_at, action, from_state, to_state FROM problem_events WHERE problem_id = ? ORDER BY id", [pid]
        ).rows
        assert events[0][1:] == ("create", None, "new") and events[0][0] == raised
        for before, after in zip(events, events[1:]):
            assert after[2] == before[3] and after[0] > before[0]
        assert events[-1][3] == state
        assert events[-1][0] < dt.datetime.combine(TODAY, dt.time())
        assert (closed is not None) == (state == "closed") == (sat is not None)
        assert (resolved is not None) == (state in ("resolved", "closed"))
        assert due == add_working_days(raised.date(), 15)
    overdue = sum(1 for p in problems if p[1] not in ("resolved", "closed") and p[3] < TODAY)
    assert overdue > 0


def test_visits_cover_most_households(loaded):
    db, _ = loaded
    covered = db.query("SELECT count(DISTINCT household_id) FROM visits WHERE outcome = 'met'").single_value()
    assert 0.6 * HOUSEHOLDS <= covered <= 0.8 * HOUSEHOLDS
    outcomes = {r[0] for r in db.query("SELECT DISTINCT outcome FROM visits").rows}
    assert {"met", "not_home"} <= outcomes
    linked = db.query(
        "SELECT count(*) FROM visits v JOIN responses r ON r.id = v.response_id AND r.visit_id = v.id"
        " WHERE v.outcome = 'met' AND r.survey_id = 'ruhu_zoufang' AND r.channel = 'visit'"
    ).single_value()
    assert linked == db.query("SELECT count(*) FROM visits WHERE outcome = 'met'").single_value()
    wrong_cadre = db.query(
        "SELECT count(*) FROM visits v JOIN users u ON u.id = v.cadre_id WHERE u.org_unit_id <> v.org_unit_id"
    ).single_value()
    assert wrong_cadre == 0


def test_rankings_have_clearly_worse_grids():
    district = build_district(HOUSEHOLDS, seed=9, today=TODAY)
    assert (district.grid_effect < np.median(district.grid_effect) - 1.0).sum() >= 2


def test_channel_mix_and_time_window(loaded):
    db, _ = loaded
    mix = dict(db.query(
        "SELECT channel, count(*) / sum(count(*)) OVER () FROM responses WHERE survey_id = ? GROUP BY channel",
        [SATISFACTION_SURVEY],
    ).rows)
    assert mix["link"] == pytest.approx(0.6, abs=0.06) and mix["import"] == pytest.approx(0.1, abs=0.04)
    lo, hi, dmin, dmax = db.query(
        "SELECT min(submitted_at), max(submitted_at), min(duration_seconds), max(duration_seconds) FROM responses"
        " WHERE survey_id = ?",
        [SATISFACTION_SURVEY],
    ).first()
    assert lo >= dt.datetime.combine(TODAY - dt.timedelta(days=60), dt.time())
    assert hi < dt.datetime.combine(TODAY, dt.time())
    assert 40 <= dmin and dmax <= 180
    assert db.query("SELECT count(*) FROM responses WHERE voided_at IS NOT NULL").single_value() >= 0
