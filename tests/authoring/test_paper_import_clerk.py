"""Paper questionnaires as a clerk really types them into Excel: copied question numbers, full-width characters,
labels instead of codes, dates in every local spelling, blank rows left at the end."""

from __future__ import annotations

import datetime as dt

import pytest

from services import authoring, paper_import
from tests.authoring.xlsform_fixtures import xlsx

CLERK_SURVEY = """
id: clerk
title: 办事满意度（纸质）
questions:
  - id: overall
    type: rating
    label: 总体评价
    required: true
  - id: reasons
    type: multi_choice
    label: 不满意原因
    choices:
      - {value: slow, label: 办事慢}
      - {value: rude, label: 态度差}
      - {value: other, label: 其他}
    show_if: {question: overall, op: le, value: 2}
  - id: resident
    type: single_choice
    label: 是否本地居民？
    choices:
      - {value: "yes", label: 是}
      - {value: "no", label: 否}
  - id: age
    type: number
    label: 年龄（周岁）
    integer: true
    min: 16
    max: 110
  - id: visit_date
    type: date
    label: 最近一次办事日期
  - id: comment
    type: text
    label: 意见建议
"""

HEADERS = ["单位编码 ", "1. 总体评价", "2、不满意原因", "（3）是否本地居民", "4. 年龄(周岁)", "第5题 最近一次办事日期",
           "6.意见建议", "填写时间"]


@pytest.fixture
def setup(db, tree, principal_factory):
    admin = principal_factory("admin1", "admin", tree.district)
    authoring.import_yaml(db, admin, CLERK_SURVEY, publish_now=True)
    return db, admin


def stored(db):
    rows = db.query("""SELECT r.submitted_at, a.question_id, a.value_num, a.value_text FROM answers a
        JOIN responses r ON r.id = a.response_id ORDER BY r.submitted_at, a.question_id, a.value_text""").rows
    return rows


GOOD_ROWS = [
    ["T1C1G1", "满意", None, "是", "３５", "2026/11/3", "无", "2026年11月3日 9点30分"],
    ["Ｔ１Ｃ１Ｇ２", "非常不满意", "办事慢、态度差", "否 ", 70, "2026年11月3日", "窗口人员态度差，办事效率低（希望改进）",
     dt.datetime(2026, 11, 4, 10, 15)],
    ["T1C1G1", "５", None, "是", "４２", dt.datetime(2026, 11, 5), None, "2026-11-05 08:00"],
    ["T1C1G1", "不满意", "其他，态度差", "否", "１０２", "2026.11.6", None, "2026/11/6 16:20"],
    [None, "", "  ", None, None, None, None, None],  # blank rows left at the end
    [None] * 8,
]


def test_a_clerks_sheet_imports_as_typed(setup, tree):
    db, admin = setup
    plan = paper_import.plan_import(db, admin, "clerk", xlsx([HEADERS] + GOOD_ROWS), "纸质问卷录入.xlsx")
    assert [(c.header, c.kind, c.question_id) for c in plan.columns] == [
        ("单位编码", "unit", None), ("1. 总体评价", "question", "overall"), ("2、不满意原因", "question", "reasons"),
        ("（3）是否本地居民", "question", "resident"), ("4. 年龄(周岁)", "question", "age"),
        ("第5题 最近一次办事日期", "question", "visit_date"), ("6.意见建议", "question", "comment"), ("填写时间", "time", None)]
    assert plan.warnings == [] and plan.rows_total == 4
    assert plan.ok, [(e.row, e.column, e.code, e.params) for e in plan.errors]
    assert [r.submitted_at for r in plan.responses] == [
        dt.datetime(2026, 11, 3, 9, 30), dt.datetime(2026, 11, 4, 10, 15), dt.datetime(2026, 11, 5, 8, 0),
        dt.datetime(2026, 11, 6, 16, 20)]
    assert [r.org_unit_id for r in plan.responses] == [tree.unit(code).id for code in ("T1C1G1", "T1C1G2", "T1C1G1", "T1C1G1")]
    result = paper_import.run_import(db, admin, plan, "纸质问卷录入.xlsx")
    assert (result.created, result.already_stored) == (4, 0)
    rows = stored(db)

    def answers_at(when):
        return [r[1:] for r in rows if r[0] == when]

    assert answers_at(dt.datetime(2026, 11, 3, 9, 30)) == [
        ("age", 35.0, None), ("comment", None, "无"), ("overall", 4.0, None), ("resident", None, "yes"),
        ("visit_date", None, "2026-11-03")]
    assert answers_at(dt.datetime(2026, 11, 4, 10, 15)) == [
        ("age", 70.0, None), ("comment", None, "窗口人员态度差，办事效率低（希望改进）"),  # free text kept as typed
        ("overall", 1.0, None), ("reasons", None, "rude"), ("reasons", None, "slow"), ("resident", None, "no"),
        ("visit_date", None, "2026-11-03")]
    assert answers_at(dt.datetime(2026, 11, 5, 8, 0)) == [
        ("age", 42.0, None), ("overall", 5.0, None), ("resident", None, "yes"), ("visit_date", None, "2026-11-05")]
    assert answers_at(dt.datetime(2026, 11, 6, 16, 20)) == [
        ("age", 102.0, None), ("overall", 2.0, None), ("reasons", None, "other"), ("reasons", None, "rude"),
        ("resident", None, "no"), ("visit_date", None, "2026-11-06")]
    again = paper_import.plan_import(db, admin, "clerk", xlsx([HEADERS] + GOOD_ROWS), "纸质问卷录入.xlsx")
    assert paper_import.run_import(db, admin, again).already_stored == 4


def test_what_a_clerk_gets_wrong_is_listed_by_row_and_column(setup):
    db, admin = setup
    content = xlsx([HEADERS + ["序号"],
                    ["T1C1G1", "满意", None, "是", "35岁", "2026/13/3", None, "11/3/2026", 1],
                    ["T1C1G1", "很好", None, "是", "1,000", "2026年2月30日", None, None, 2]])
    plan = paper_import.plan_import(db, admin, "clerk", content, "x.xlsx")
    assert [(w.row, w.column, w.code) for w in plan.warnings] == [(1, "序号", "paper_unknown_column")]
    assert [(e.row, e.column, e.code) for e in plan.errors] == [
        (2, "填写时间", "paper_bad_time"),
        (2, "4. 年龄(周岁)", "invalid_number"), (2, "第5题 最近一次办事日期", "invalid_date"),
        (3, "1. 总体评价", "invalid_choice"), (3, "4. 年龄(周岁)", "out_of_range"), (3, "第5题 最近一次办事日期", "invalid_date"),
    ]


def test_loose_matching_never_guesses_between_two_questions(db, tree, principal_factory):
    admin = principal_factory("admin1", "admin", tree.district)
    authoring.import_yaml(db, admin, """
id: twins
title: 同名
questions:
  - {id: a, type: text, label: "1. 意见"}
  - {id: b, type: text, label: "2. 意见"}
""", publish_now=True)
    plan = paper_import.plan_import(db, admin, "twins", xlsx([["单位编码", "意见", "2. 意见"], ["T1C1G1", "x", "y"]]), "t.xlsx")
    assert [(c.header, c.kind, c.question_id) for c in plan.columns] == [
        ("单位编码", "unit", None), ("意见", "ignored", None), ("2. 意见", "question", "b")]
    assert [(w.row, w.column, w.code) for w in plan.warnings] == [(1, "意见", "paper_unknown_column")]
