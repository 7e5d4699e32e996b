"""`stats --json` equals the dashboard functions; exports are scoped, neutralised and audited; word lists; rankings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl

from analytics import views, words
from analytics.filters import period_range, previous_period
from analytics.ranking import rank_units, red_black_lists
from auth.principal import Principal
from cli.stats import stats
from reports import excel
from services.survey_catalog import survey_version
from storage import analytics as A
from storage import audit
from storage.db import Scope
from tests.analytics.known_data import SURVEY, TODAY, expected
from tests.conftest import make_principal


def _json(data) -> dict:
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def test_stats_json_equals_the_dashboard_functions(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    f = A.Filters(since=TODAY - dt.timedelta(days=9), until=TODAY)
    data = _json(stats(db, Scope.everything(), tree.unit("T1"), tree.district.id, f, TODAY, 30))
    exp = expected(dataset.rows, lambda s: s.unit_path.startswith(tree.unit("T1").path) and s.day >= f.since)
    assert data["responses"] == exp.responses
    assert (data["satisfaction_rate"]["k"], data["satisfaction_rate"]["n"]) == (exp.k, exp.n)
    assert abs(data["satisfaction_index"] - exp.index) < 1e-9
    ov = views.overview_view(db, Scope.everything(), A.Filters(**{**f.__dict__, "unit_path": tree.unit("T1").path}),
                             TODAY)
    assert data["satisfaction_rate"]["low"] == ov.overview.figures.rate.low
    assert data["previous_period"]["since"] == str(TODAY - dt.timedelta(days=19))
    units = {u["code"]: u for u in data["units"]}
    assert set(units) == {"T1C1", "T1C2", "T1"}  # children, plus the town's own direct response
    for code in ("T1C1", "T1C2"):
        unit = tree.unit(code)
        e = expected(dataset.rows, lambda s, u=unit: s.unit_path.startswith(u.path) and s.day >= f.since)
        assert units[code]["responses"] == e.responses
        assert units[code]["satisfaction_rate"]["k"] == e.k
    assert data["problems"]["total"] == 0 and data["visits"] is None


def test_stats_cli_runs_against_a_file_database(tmp_path, monkeypatch, capsys) -> None:
    from cli.main import main
    from storage.db import open_database
    from tests.conftest import build_tree

    path = tmp_path / "cli.duckdb"
    db = open_database(path)
    build_tree(db)
    db.close()
    monkeypatch.setenv("MINYI_DB", str(path))
    assert main(["stats", "--json", "--unit", "T2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["responses"] == 0 and [u["code"] for u in data["units"]] == ["T2C1", "T2C2"]
    assert main(["stats", "--json", "--unit", "NOPE"]) == 1
    assert "NOPE" in capsys.readouterr().err
    assert main(["stats", "--json", "--since", "2026-13-01"]) == 1


def _leader(db, tree, code: str) -> Principal:
    return make_principal(db, f"leader_{code.lower()}", "leader", tree.unit(code))


def test_exports_are_scoped_neutralised_and_audited(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    leader = _leader(db, tree, "T1")
    f = A.Filters(survey_id=SURVEY)
    survey, _ = survey_version(db, SURVEY)
    raw = A.raw_responses(db, leader.scope, f)
    assert len(raw) == expected(dataset.rows, lambda s: s.unit_path.startswith(tree.unit("T1").path)).responses
    data = excel.raw_responses_csv(db, leader, survey, raw, "T1", "zh")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    assert "您对本社区（村）工作的总体评价是？" in header
    assert any(h.endswith("养老服务") for h in header)
    assert all(not r[3].startswith("T2") for r in rows[1:])
    suggestion_col = header.index("您对本社区（村）工作还有哪些意见和建议？")
    texts = {r[suggestion_col] for r in rows[1:]}
    assert not any(x.startswith("=") for x in texts)
    if any("HYPERLINK" in x for x in texts):
        assert "'=HYPERLINK(\"http://x\")" in texts
    xlsx = excel.raw_responses_xlsx(db, leader, survey, raw, "T1", "zh")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith("=") for v in values)
    ov = views.overview_view(db, leader.scope, f, TODAY)
    drill = views.drill_view(db, leader.scope, f, tree.district, 30)
    report = excel.view_report(db, leader, "T1 · 全部", ov, drill, A.trend(db, leader.scope, f),
                               A.question_counts(db, leader.scope, f), {("overall", ""): "总体"}, {5: "非常满意",
                               4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}, "zh")
    book = openpyxl.load_workbook(io.BytesIO(report))
    assert book.sheetnames == ["总体", "分级", "趋势", "各题分布"]
    assert "筛选条件" in book["总体"]["A2"].value
    drill_codes = [row[1].value for row in book["分级"].iter_rows(min_row=5)]
    assert drill_codes == ["T1"]
    actions = [e.action for e in audit.recent(db, Scope.everything(), action_prefix="export.")]
    assert sorted(actions) == ["export.dashboard_report", "export.responses_csv", "export.responses_xlsx"]


def test_word_lists_are_scoped_and_drop_stop_words(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    t1 = _leader(db, tree, "T1").scope
    texts = A.answer_texts(db, t1, A.Filters(), ["suggestions"])
    counts = dict(words.word_counts(texts))
    want_elevator = sum(t.count for t in texts if "电梯" in t.text)
    assert counts.get("电梯", 0) == want_elevator
    assert "希望" not in counts and "，" not in counts
    everywhere = dict(words.word_counts(A.answer_texts(db, Scope.everything(), A.Filters(), ["suggestions"])))
    assert everywhere.get("电梯", 0) >= counts.get("电梯", 0)


def test_ranking_minimum_sample_and_red_black_lists(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    rows = A.drill_down(db, Scope.everything(), A.Filters(), tree.unit("T2C2").id)
    ranked = rank_units(rows, 30)
    tiny = next(r for r in ranked if r.row.unit_code == "T2C2G2")
    assert tiny.rank is None and tiny.row.figures.responses < 30
    grids = A.drill_down(db, Scope.everything(), A.Filters(), tree.unit("T1C1").id)
    ranked = rank_units(grids, 1)
    rates = [r.row.figures.rate.value for r in ranked if r.ranked]
    assert rates == sorted(rates, reverse=True) and ranked[0].rank == 1
    red, black = red_black_lists(ranked, size=3)
    assert len(red) == len(black) == 1 and red[0].row.unit_code != black[0].row.unit_code


def test_periods_and_previous_period() -> None:
    since, until = period_range("7d", TODAY)
    assert (since, until) == (TODAY - dt.timedelta(days=6), TODAY)
    prev = previous_period(A.Filters(since=since, until=until), TODAY)
    assert (prev.since, prev.until) == (TODAY - dt.timedelta(days=13), TODAY - dt.timedelta(days=7))
    assert previous_period(A.Filters(), TODAY) is None
    assert period_range("custom", TODAY, TODAY, TODAY - dt.timedelta(days=3)) == (TODAY - dt.timedelta(days=3), TODAY)
