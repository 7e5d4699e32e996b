"""The paper path: a worklist exported to Excel, filled at the door, imported back as visits with row-level errors."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from fieldwork import registry
from fieldwork.sheets import visit_sheet, xlsx_bytes
from services import fieldwork as fw
from services.survey_catalog import install_templates, survey_version
from storage import households, problems, visits, worklists
from storage.db import Scope

TODAY = dt.date(2026, 11, 28)
WINDOW = (dt.date(2026, 11, 1), dt.date(2026, 12, 31))
HEAD = ["户编号", "户主姓名", "联系电话", "地址", "所属网格", "已走访次数", "最近走访", "最近结果"]


def _exported(w) -> bytes:
    items = worklists.make_up_visits(w.db, w.cadre1.scope, w.campaign_id)
    rows = [[i.code, i.head_name, i.phone, i.address, i.grid_name, i.attempts, "", ""] for i in items]
    return visit_sheet(HEAD, rows, problems.problem_categories(w.db, w.cadre1.scope))


def _fill(data: bytes, values: dict[str, dict[str, object]]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        code = row[0].value
        for column, value in values.get(code, {}).items():
            row[header.index(column)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parse(w, data: bytes, name: str = "走访表.xlsx") -> tuple[registry.SheetParse, dict[str, int]]:
    sheet, codes, _ = fw.read_visit_sheet(w.db, w.cadre1.scope, data, name, categories=problems.problem_categories(w.db, w.cadre1.scope),
                                          today=TODAY, window=WINDOW)
    return sheet, codes


def test_exported_sheet_is_safe_and_has_the_visit_columns(world):
    data = xlsx_bytes(["户编号", "备注"], [["=HYPERLINK(\"x\")", "+1"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[2]] == ["'=HYPERLINK(\"x\")", "'+1"]  # formulas neutralised
    header = [c.value for c in load_workbook(io.BytesIO(_exported(world))).active[1]]
    assert header[-8:] == ["走访日期", "走访结果", "满意度", "问题类别", "问题描述", "紧急程度", "需要回头访", "备注"]


def test_filled_sheet_imports_as_visits_once(world):
    w = world
    install_templates(w.db)
    survey, version = survey_version(w.db, "ruhu_zoufang")
    filled = _fill(_exported(w), {
        "H101": {"走访日期": "2026-11-20", "走访结果": "见面", "满意度": "不满意", "问题类别": "住房",
                 "问题描述": "屋顶漏雨", "紧急程度": "紧急", "需要回头访": "是"},
        "H102": {"走访日期": dt.datetime(2026, 11, 21), "走访结果": "不在家"},
    })
    sheet, codes = _parse(w, filled)
    assert sheet.errors == [] and sheet.skipped == 1 and len(sheet.visits) == 2
    new = fw.sheet_visits(sheet, codes, cadre_id=w.cadre1.user_id, campaign_id=w.campaign_id, survey=survey,
                          version=version)
    visits.record_visits(w.db, w.cadre1.scope, new)
    visits.record_visits(w.db, w.cadre1.scope, fw.sheet_visits(sheet, codes, cadre_id=w.cadre1.user_id,
                                                               campaign_id=w.campaign_id, survey=survey, version=version))
    assert w.db.query("SELECT count(*) FROM visits").single_value() == 2  # re-import never duplicates
    assert w.db.query("SELECT sat_n, sat_ok, channel FROM responses").rows == [(1, 0, "import")]
    p = problems.list_problems(w.db, Scope.everything())
    assert [(x.household_code, x.category, x.description, x.urgency, x.due_on) for x in p] == [
        ("H101", "住房", "屋顶漏雨", "high", dt.date(2026, 12, 11))]
    assert [i.code for i in worklists.make_up_visits(w.db, w.cadre1.scope, w.campaign_id)] == ["H103", "H102"]
    item = worklists.return_visits(w.db, w.cadre1.scope, w.campaign_id)[0]
    assert (item.code, item.open_problems, item.dissatisfied, item.follow_up) == ("H101", 1, True, True)


def test_sheet_row_errors(world):
    w = world
    rows = [
        "户编号,走访日期,走访结果,满意度,问题类别,问题描述,紧急程度,需要回头访",
        "H101,2026-11-20,见面,满意,,,,否",
        "H999,2026-11-20,见面,,,,,",  # unknown household
        "H201,2026-11-20,见面,,,,,",  # another grid's household
        "H102,2026/13/40,在家,,,,,",  # bad date, bad outcome
        "H103,2027-01-05,不在家,满意,,,,",  # future date, answers without meeting
        "H101,2026-11-21,见面,很好,卫生,,马上,也许",  # bad satisfaction, category, missing description, urgency, follow-up
        "H101,2026-11-22,见面,,,漏水,,",  # description without category
    ]
    sheet, _ = _parse(w, ("\n".join(rows) + "\n").encode("gbk"), "sheet.csv")
    assert [(e.row, e.code) for e in sheet.errors] == [
        (3, "unknown_household"), (4, "unknown_household"), (5, "bad_outcome"), (5, "bad_date"),
        (6, "date_out_of_range"), (6, "answers_without_meeting"), (7, "bad_satisfaction"), (7, "bad_category"),
        (7, "missing_description"), (7, "bad_urgency"), (7, "bad_follow_up"), (8, "missing_category")]
    assert [v.household_code for v in sheet.visits] == ["H101"]


def test_csv_with_blank_lines_keeps_excel_row_numbers(db, tree):
    data = "户编号,户主姓名,所属网格,联系电话\nA1,甲,T1C1G1,13812345678\n\nA2,乙,T1C1G1,999\n".encode("utf-8-sig")
    parse = registry.parse_households(data, "a.csv", registry.GridLookup.of(households.grids(db, Scope.everything())))
    assert [(e.row, e.code) for e in parse.errors] == [(4, "bad_phone")]
    assert parse.encoding == "utf-8-sig" and [r.row for r in parse.records] == [2]


@pytest.mark.parametrize("line", ["A1,甲,T1C1G1", "A1,甲,T1C1G1,13812345678,extra,cells"])
def test_ragged_rows_are_read(db, tree, line):
    data = f"户编号,户主姓名,所属网格,联系电话\n{line}\n".encode()
    parse = registry.parse_households(data, "a.csv", registry.GridLookup.of(households.grids(db, Scope.everything())))
    assert [r.code for r in parse.records] == ["A1"] and parse.errors == []
