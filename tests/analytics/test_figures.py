"""Every dashboard figure in storage.analytics against a plain-Python recomputation from the inserted rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from tests.analytics.known_data import MATRIX_ROWS, SURVEY, TODAY, assert_figures, expected
from analytics import problem_table
from fieldwork.problems import IN_HAND_STATES, STATES
from storage import analytics as A
from storage.db import Scope

ALL = Scope.everything()


def _week(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def check_everything(data, scope: Scope = ALL) -> None:
    """The overview, drill-downs, trends and question counts all equal the recomputation."""
    db, tree = data.db, data.tree
    inside = lambda s: s.unit_path.startswith(scope.path)  # noqa: E731
    ov = A.overview(db, scope, A.Filters(), TODAY)
    assert_figures(ov.figures, expected(data.rows, inside))
    assert ov.responses_today == expected(data.rows, lambda s: inside(s) and s.day == TODAY).responses
    assert ov.responses_7_days == expected(
        data.rows, lambda s: inside(s) and TODAY - dt.timedelta(days=6) <= s.day <= TODAY).responses
    for parent in [tree.district, *tree.towns, *tree.communities]:
        rows = A.drill_down(db, scope, A.Filters(), parent.id)
        for row in rows:
            if row.direct:
                exp = expected(data.rows, lambda s, r=row: inside(s) and s.unit_id == r.unit_id)
            else:
                unit = tree.unit(row.unit_code)
                exp = expected(data.rows, lambda s, u=unit: inside(s) and s.unit_path.startswith(u.path))
            assert_figures(row.figures, exp)
        visible_children = [u for u in [*tree.towns, *tree.communities, *tree.grids]
                            if u.parent_id == parent.id and u.path.startswith(scope.path)]
        assert [r.unit_code for r in rows if not r.direct] == sorted(u.code for u in visible_children)
    days = sorted({s.day for s in data.rows if inside(s) and not s.voided})
    points = A.trend(db, scope, A.Filters(), "day")
    assert [p.period_start for p in points] == days
    for point in points:
        assert_figures(point.figures, expected(data.rows, lambda s, d=point.period_start: inside(s) and s.day == d))
    weeks = A.trend(db, scope, A.Filters(), "week")
    assert [p.period_start for p in weeks] == sorted({_week(d) for d in days})
    for point in weeks:
        assert_figures(point.figures, expected(
            data.rows, lambda s, w=point.period_start: inside(s) and _week(s.day) == w))
    counts = {(q.question_id, q.row_id): q.counts for q in A.question_counts(db, scope, A.Filters(survey_id=SURVEY))}
    recent = {(q.question_id, q.row_id): q.n for q in A.question_counts(
        db, scope, A.Filters(survey_id=SURVEY, since=TODAY - dt.timedelta(days=4)))}
    assert recent[("overall", "")] == expected(data.rows, lambda s: inside(s) and s.day >= TODAY - dt.timedelta(days=4)).responses
    texts = {x.text: x.count for x in A.answer_texts(db, scope, A.Filters(channel="link"), ["suggestions"])}
    assert texts == dict(Counter(s.clean["suggestions"] for s in data.rows if inside(s) and not s.voided
                                 and s.channel == "link" and "suggestions" in s.clean))
    want: dict[tuple[str, str], Counter] = {}
    for s in data.rows:
        if s.voided or not inside(s):
            continue
        for qid, value in s.clean.items():
            if qid == "livelihood":
                for row_id, v in value.items():
                    want.setdefault((qid, row_id), Counter())[v] += 1
            elif isinstance(value, int):
                want.setdefault((qid, ""), Counter())[value] += 1
    assert counts == {k: dict(v) for k, v in want.items()}


def test_figures_equal_recomputation_raw_rollup_and_tail(dataset) -> None:
    db = dataset.db
    assert A.rollup_state(db).last_id == 0
    check_everything(dataset)  # raw: nothing folded yet
    result = A.refresh_rollups(db, settle=False)
    assert result.folded == len(dataset.rows) and result.voided == 9
    assert A.rollup_state(db).last_id == max(s.id for s in dataset.rows)
    check_everything(dataset)  # all from the rollup
    tree = dataset.tree
    for _ in range(5):  # a tail of new responses, not folded yet
        dataset.add(tree.unit("T1C1G1"), TODAY, "visit")
    dataset.void(dataset.rows[3])  # folded, voided after the fold: pending subtraction
    dataset.void(dataset.rows[-1])  # in the tail, voided
    check_everything(dataset)
    A.refresh_rollups(db, settle=False)
    check_everything(dataset)
    check_everything(dataset, tree.towns[0].scope)


def test_settled_refresh_folds_only_ids_seen_at_the_previous_refresh(dataset) -> None:
    db = dataset.db
    first = A.refresh_rollups(db)  # settle: nothing seen before, so nothing folded yet
    assert first.folded == 0 and first.last_id == 0
    second = A.refresh_rollups(db)
    assert second.last_id == max(s.id for s in dataset.rows)
    check_everything(dataset)


def test_deleting_rows_under_the_watermark_falls_back_to_raw_then_rebuilds(dataset) -> None:
    db = dataset.db
    A.refresh_rollups(db, settle=False)
    victim = next(s for s in dataset.rows if not s.voided)
    db.execute("DELETE FROM answers WHERE response_id = ?", [victim.id])
    db.execute("DELETE FROM responses WHERE id = ?", [victim.id])
    dataset.rows.remove(victim)
    assert A.rollup_state(db).last_id == 0
    check_everything(dataset)
    assert A.refresh_rollups(db, settle=False).rebuilt
    check_everything(dataset)


def test_filters_channel_period_unit_version(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    A.refresh_rollups(db, settle=False)
    since, until = TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=2)
    c1 = tree.unit("T1C2")
    cases = [
        (A.Filters(channel="visit"), lambda s: s.channel == "visit"),
        (A.Filters(since=since, until=until), lambda s: since <= s.day <= until),
        (A.Filters(unit_path=c1.path), lambda s: s.unit_path.startswith(c1.path)),
        (A.Filters(survey_id=SURVEY, survey_version=1, channel="link", since=since),
         lambda s: s.channel == "link" and s.day >= since),
        (A.Filters(survey_version=2), lambda s: False),
        (A.Filters(survey_id="other"), lambda s: False),
    ]
    for f, keep in cases:
        assert_figures(A.figures(db, ALL, f), expected(dataset.rows, keep))
        assert_figures(A.overview(db, ALL, f, TODAY).figures, expected(dataset.rows, keep))
    # a unit filter outside the caller's scope shows nothing, never the other town
    t2 = tree.unit("T2C1")
    assert A.figures(db, tree.towns[0].scope, A.Filters(unit_path=t2.path)).responses == 0


def test_campaign_filter_limits_units_and_dates(dataset) -> None:
    from storage.campaigns import create_campaign

    db, tree = dataset.db, dataset.tree
    start = TODAY - dt.timedelta(days=5)
    cid = create_campaign(db, ALL, name="冬季走访", unit_ids=[tree.unit("T2").id], starts_on=start, ends_on=TODAY)
    got = A.figures(db, ALL, A.Filters(campaign_id=cid))
    assert_figures(got, expected(dataset.rows, lambda s: s.unit_path.startswith(tree.unit("T2").path)
                                 and start <= s.day <= TODAY))


def test_tiny_units_and_direct_rows_in_drill_down(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    rows = A.drill_down(db, ALL, A.Filters(), tree.towns[0].id)
    direct = [r for r in rows if r.direct]
    assert len(direct) == 1 and direct[0].unit_code == "T1"
    rows2 = A.drill_down(db, ALL, A.Filters(), tree.unit("T2C2").id)
    tiny = next(r for r in rows2 if r.unit_code == "T2C2G2")
    assert tiny.figures.responses == expected(dataset.rows, lambda s: s.unit_id == tiny.unit_id).responses <= 2
    assert all(not r.has_children for r in rows2)


def test_scope_leader_of_t1_sees_nothing_of_t2(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    t1 = tree.towns[0].scope
    t2_ids = {u.id for u in [tree.towns[1], *tree.communities[2:], *tree.grids[4:]]}
    drill = A.drill_down(db, t1, A.Filters(), tree.district.id)
    assert [r.unit_code for r in drill] == ["T1"]
    assert not A.drill_down(db, t1, A.Filters(), tree.towns[1].id)
    raw = A.raw_responses(db, t1, A.Filters())
    assert raw and all(r.unit_code.startswith("T1") for r in raw)
    texts = A.answer_texts(db, t1, A.Filters(), ["suggestions"])
    want = Counter(s.clean["suggestions"] for s in dataset.rows
                   if not s.voided and "suggestions" in s.clean and s.unit_id not in t2_ids)
    assert {t.text: t.count for t in texts} == dict(want)
    behind = A.texts_containing(db, t1, A.Filters(), "电梯", ["suggestions"])
    assert behind and all("电梯" in s.text and s.unit_code.startswith("T1") for s in behind)
    everywhere = A.texts_containing(db, ALL, A.Filters(), "电梯", ["suggestions"])
    assert any(s.unit_code.startswith("T2") for s in everywhere)
    check_everything(dataset, t1)


def test_question_counts_of_matrix_rows_skip_unanswered(dataset) -> None:
    counts = {(q.question_id, q.row_id): q.n for q in A.question_counts(dataset.db, ALL, A.Filters(survey_id=SURVEY))}
    for row_id in MATRIX_ROWS:
        want = sum(1 for s in dataset.rows if not s.voided and row_id in s.clean.get("livelihood", {}))
        assert counts[("livelihood", row_id)] == want
    assert ("handling_result", "") in counts
    assert counts[("handling_result", "")] == sum(1 for s in dataset.rows if not s.voided and "handling_result" in s.clean)


def test_surveys_answered_lists_versions_with_counts(dataset) -> None:
    got = A.surveys_answered(dataset.db, ALL)
    assert [(v.survey_id, v.survey_version, v.responses) for v in got] == [
        (SURVEY, 1, expected(dataset.rows).responses)]


@pytest.fixture
def problems(dataset):
    """Problems inserted directly, with known states, ages, close times and ratings."""
    db, tree = dataset.db, dataset.tree
    specs = [  # unit, category, state, raised days ago, due in days from raise, satisfaction, days to close
        ("T1C1G1", "环境卫生", "new", 2, 15, None, None),
        ("T1C1G1", "环境卫生", "in_progress", 20, 15, None, None),
        ("T1C1G2", "道路交通", "assigned", 40, 15, None, None),
        ("T1C2G1", "道路交通", "closed", 30, 15, 5, 6.0),
        ("T1C2G1", "治安", "closed", 25, 15, 2, 12.0),
        ("T1C2G2", "治安", "resolved", 10, 15, None, None),
        ("T2C1G1", "环境卫生", "in_progress", 35, 15, None, None),
        ("T2C1G1", "住房", "closed", 12, 15, 4, 3.5),
        ("T2C2G1", "住房", "closed", 5, 15, None, 2.0),
        ("T1C1G1", "治安", "resolved", 27, 15, None, None),
        ("T2C2G2", "治安", "new", 60, 15, None, None),
    ]
    rows = []
    for i, (code, category, state, ago, due, sat, took) in enumerate(specs):
        raised = dt.datetime.combine(TODAY - dt.timedelta(days=ago), dt.time(9))
        due_on = raised.date() + dt.timedelta(days=due)
        closed = raised + dt.timedelta(days=took) if took is not None else None
        db.execute(
            """INSERT INTO problems (client_key, org_unit_id, category, description, state, raised_at, due_on,
               resolution_satisfaction, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [f"p{i}", tree.unit(code).id, category, f"{category}：楼道堆放杂物{i}", state, raised, due_on, sat, closed])
        rows.append((tree.unit(code), category, state, ago, due_on, sat, took))
    return rows


def _raised_in(problems, low: int | None, high: int | None) -> dict:
    """The problems raised between ``high`` and ``low`` days ago (both inclusive, None = open), recomputed."""
    mine = [p for p in problems if (low is None or p[3] >= low) and (high is None or p[3] <= high)]
    took = sorted(p[6] for p in mine if p[2] == "closed")
    mid = len(took) // 2
    median = None if not took else took[mid] if len(took) % 2 else (took[mid - 1] + took[mid]) / 2
    return {"raised": len(mine), "resolved": sum(1 for p in mine if p[2] in ("resolved", "closed")),
            "closed": len(took), "median": median}


def _cohort(r: problem_table.RaisedProblems) -> dict:
    return {"raised": r.raised, "resolved": r.resolved, "closed": r.closed, "median": r.median_days_to_close}


def test_problem_views(dataset, problems) -> None:
    db, tree = dataset.db, dataset.tree
    figs = problem_table.problem_figures(db, ALL, A.Filters(), tree.district.id, TODAY)
    want: dict[str, Counter] = {}
    for unit, category, state, *_ in problems:
        want.setdefault(category, Counter())[state] += 1
    assert figs.by_category_state == {k: dict(v) for k, v in want.items()}
    assert figs.summary.by_state == {s: sum(1 for p in problems if p[2] == s) for s in STATES}
    assert figs.summary.open == sum(1 for p in problems if p[2] != "closed")
    assert figs.summary.overdue == sum(1 for p in problems if p[2] in IN_HAND_STATES and p[4] < TODAY)
    open_ages = [p[3] for p in problems if p[2] in IN_HAND_STATES]
    ageing = [sum(1 for a in open_ages if lo <= a and (hi is None or a <= hi)) for lo, hi in problem_table.AGEING_BUCKETS]
    assert [n for _, _, n in figs.ageing] == ageing and ageing[-1] == 3  # the oldest ones show
    overdue = {r.unit_code: (r.open, r.overdue) for r in figs.overdue_by_unit}
    per_town = {}
    for town in tree.towns:
        mine = [p for p in problems if p[0].path.startswith(town.path) and p[2] in IN_HAND_STATES]
        per_town[town.code] = (len(mine), sum(1 for p in mine if p[4] < TODAY))
    assert overdue == per_town
    assert _cohort(figs.period) == _raised_in(problems, None, None) and figs.previous is None
    rated = [p[5] for p in problems if p[5] is not None]
    assert (figs.resolution.rate.k, figs.resolution.rate.n) == (sum(1 for s in rated if s >= 3), len(rated))
    assert figs.resolution.mean == pytest.approx(sum(rated) / len(rated))
    # a period narrows the flow figures (categories, raised, resolved rate, median days) to the problems raised in
    # it, and gives the previous period's; the stock figures (open, overdue, ageing, per unit) stay as of now
    recent = A.Filters(since=TODAY - dt.timedelta(days=20), until=TODAY)
    narrow = problem_table.problem_figures(db, ALL, recent, tree.district.id, TODAY)
    in_period = [p for p in problems if p[3] <= 20]
    want = {}
    for p in in_period:
        want.setdefault(p[1], Counter())[p[2]] += 1
    assert narrow.by_category_state == {k: dict(v) for k, v in want.items()}
    assert _cohort(narrow.period) == _raised_in(problems, 0, 20) == {"raised": 5, "resolved": 3, "closed": 2,
                                                                     "median": 2.75}
    assert narrow.previous is not None
    assert (narrow.previous.since, narrow.previous.until) == (TODAY - dt.timedelta(days=41), TODAY - dt.timedelta(days=21))
    assert _cohort(narrow.previous) == _raised_in(problems, 21, 41) == {"raised": 5, "resolved": 3, "closed": 2,
                                                                        "median": 9.0}
    assert (narrow.summary, narrow.resolution, narrow.ageing) == (figs.summary, figs.resolution, figs.ageing)
    assert narrow.overdue_by_unit == figs.overdue_by_unit
    t1 = tree.towns[0].scope
    mine = problem_table.problem_figures(db, t1, A.Filters(), tree.district.id, TODAY)
    assert "住房" not in mine.by_category_state
    assert [r.unit_code for r in mine.overdue_by_unit] == ["T1"]
    assert mine.resolution.rate.n == 2
    texts = A.problem_texts(db, t1, A.Filters())
    assert len(texts) == sum(1 for p in problems if p[0].path.startswith(tree.towns[0].path))
    assert all("住房" not in t.text for t in texts)


@pytest.mark.parametrize("days", [None, 7, 30, 90])
def test_per_unit_open_and_overdue_add_up_to_the_headline(dataset, problems, days) -> None:
    """Whatever the period, when the children cover the parent (no problem on the parent itself) the per-unit
    in-hand and overdue columns add up to the headline figures."""
    db, tree = dataset.db, dataset.tree
    f = A.Filters() if days is None else A.Filters(since=TODAY - dt.timedelta(days=days - 1), until=TODAY)
    in_hand = sum(1 for p in problems if p[2] in IN_HAND_STATES)
    late = sum(1 for p in problems if p[2] in IN_HAND_STATES and p[4] < TODAY)
    for parent in (tree.district, *tree.towns, *tree.communities):
        inside = [p for p in problems if p[0].path.startswith(parent.path)]
        figs = problem_table.problem_figures(db, ALL, A.Filters(**{**f.__dict__, "unit_path": parent.path}),
                                             parent.id, TODAY)
        assert sum(u.overdue for u in figs.overdue_by_unit) == figs.summary.overdue == sum(
            1 for p in inside if p[2] in IN_HAND_STATES and p[4] < TODAY)
        assert sum(u.open for u in figs.overdue_by_unit) == figs.summary.open - figs.summary.by_state["resolved"]
    whole = problem_table.problem_figures(db, ALL, f, tree.district.id, TODAY)
    assert (sum(u.open for u in whole.overdue_by_unit), sum(u.overdue for u in whole.overdue_by_unit)) == (in_hand, late)
    assert late == whole.summary.overdue > 0


def test_overview_problem_deltas(dataset, problems) -> None:
    """The overview's problem KPIs and their change against the previous period, recomputed from the rows."""
    from analytics import views

    db = dataset.db
    f = A.Filters(since=TODAY - dt.timedelta(days=20), until=TODAY)
    ov = views.overview_view(db, ALL, f, TODAY)
    now, before = _raised_in(problems, 0, 20), _raised_in(problems, 21, 41)
    d = ov.deltas()
    assert (d["problems_raised"].current, d["problems_raised"].previous) == (now["raised"], before["raised"])
    assert d["resolved_rate"].current == pytest.approx(now["resolved"] / now["raised"])
    assert d["resolved_rate"].previous == pytest.approx(before["resolved"] / before["raised"])
    assert (d["median_days"].current, d["median_days"].previous) == (now["median"], before["median"])
    assert d["median_days"].change == pytest.approx(now["median"] - before["median"])
    assert d["newly_covered"].change is None  # no campaign
    assert "problems_open" not in d and "problems_overdue" not in d  # stock figures: no honest previous value
    everything = views.overview_view(db, ALL, A.Filters(), TODAY).deltas()
    assert everything["problems_raised"].current == len(problems) and everything["problems_raised"].change is None


def test_overview_previous_period_in_the_same_scan(dataset) -> None:
    db = dataset.db
    A.refresh_rollups(db, settle=False)
    since, until = TODAY - dt.timedelta(days=4), TODAY
    prev = (TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=5))
    ov = A.overview(db, ALL, A.Filters(since=since, until=until, channel="link"), TODAY, prev)
    assert_figures(ov.figures, expected(dataset.rows, lambda s: s.channel == "link" and since <= s.day <= until))
    assert_figures(ov.previous, expected(dataset.rows, lambda s: s.channel == "link" and prev[0] <= s.day <= prev[1]))
    assert ov.responses_all_time == expected(dataset.rows, lambda s: s.channel == "link").responses
