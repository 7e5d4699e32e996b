"""The Excel exports as a leader opens them: numbers stay numbers but show rounded; sheets named by title."""

from __future__ import annotations

import io

import openpyxl

from analytics import views
from reports import excel
from services.survey_catalog import survey_version
from storage import analytics as A
from tests.analytics.known_data import SURVEY, TODAY
from tests.conftest import make_principal

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


def _by_label(ws) -> dict[str, openpyxl.cell.Cell]:
    return {row[0].value: row[1] for row in ws.iter_rows(min_row=5) if row[0].value}


def test_report_numbers_are_whole_values_with_rounding_formats(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    leader = make_principal(db, "leader_fmt", "leader", tree.district)
    f = A.Filters(survey_id=SURVEY)
    ov = views.overview_view(db, leader.scope, f, TODAY)
    drill = views.drill_view(db, leader.scope, f, tree.district, 1)
    labels = {("overall", ""): "总体评价", ("livelihood", "elderly_care"): "民生 · 养老"}
    report = excel.view_report(db, leader, "全部", ov, drill, A.trend(db, leader.scope, f),
                               A.question_counts(db, leader.scope, f), labels, LEVELS, "zh")
    book = openpyxl.load_workbook(io.BytesIO(report))
    overview = _by_label(book["总体"])
    fig = ov.overview.figures
    rate = overview["满意率 (%)"]
    assert rate.value == fig.rate.value and rate.number_format == "0.0%"  # the whole share, shown as 72.5%
    index = overview["满意度指数"]
    assert index.value == fig.index and index.number_format == "0.0"
    assert overview["答卷数"].value == fig.responses
    drill_rows = list(book["分级"].iter_rows(min_row=5))
    assert drill_rows and all(r[4].number_format == "0.0%" and r[8].number_format == "0.0" for r in drill_rows)
    assert all(r[2].number_format == "0.0%" for r in book["趋势"].iter_rows(min_row=5))
    # Questions in the questionnaire's order (the labels' order), not by id ("livelihood" < "overall").
    assert [r[0].value for r in book["各题分布"].iter_rows(min_row=5)] == ["总体评价", "民生 · 养老"]


def test_raw_workbook_sheet_is_named_by_the_survey_title(dataset) -> None:
    db, tree = dataset.db, dataset.tree
    leader = make_principal(db, "leader_raw", "leader", tree.district)
    survey, _ = survey_version(db, SURVEY)
    raw = A.raw_responses(db, leader.scope, A.Filters(survey_id=SURVEY))
    book = openpyxl.load_workbook(io.BytesIO(excel.raw_responses_xlsx(db, leader, survey, raw, "全部", "zh")))
    assert book.sheetnames == [excel.sheet_name(survey.title)] and survey.id not in book.sheetnames
    assert book.active.title == survey.title[:31]


def test_sheet_names_follow_excel_rules() -> None:
    assert excel.sheet_name("2026年度[第1期]: 群众/满意度*测评?\\汇总表（清河区各街道、社区）") == \
        "2026年度 第1期   群众 满意度 测评  汇总表（清河区各街道、社区）"[:31].strip()
    long = excel.sheet_name("甲" * 40)
    assert long == "甲" * 31
    assert excel.sheet_name("'quoted'") == "quoted"
    assert excel.sheet_name("[]:*?/\\", "qunzhong_manyidu") == "qunzhong_manyidu"
