"""Paper questionnaires: column matching, every bad-row reason, idempotent re-import, all-or-nothing, channel import."""

from __future__ import annotations

import datetime as dt

import pytest

from services import authoring, paper_import
from tests.authoring.xlsform_fixtures import xlsx

PAPER = """
id: paper
title: 纸质问卷
choice_lists:
  yes_no:
    - {value: "yes", label: 是}
    - {value: "no", label: 否}
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
    show_if: {question: overall, op: le, value: 2}
  - id: resident
    type: single_choice
    label: 是否本地居民
    choice_list: yes_no
  - id: age
    type: number
    label: 年龄
    integer: true
    min: 16
    max: 110
"""


@pytest.fixture
def setup(db, tree, principal_factory):
    admin = principal_factory("admin1", "admin", tree.district)
    authoring.import_yaml(db, admin, PAPER, publish_now=True)
    return db, admin


def csv_bytes(text: str) -> bytes:
    return text.strip().encode("utf-8")


GOOD = """单位编码,总体评价,reasons,是否本地居民,age,提交时间
T1C1G1,5,,是,35,2026-05-01 09:30
T1C1G2,非常不满意,"办事慢,态度差",no,70,
T1C1G1,5,,是,35,2026-05-01 09:30
"""


def test_dry_run_then_import_stores_once_with_channel_import(setup, tree):
    db, admin = setup
    plan = paper_import.plan_import(db, admin, "paper", csv_bytes(GOOD), "paper.csv")
    assert plan.ok and plan.warnings == [] and plan.rows_total == 3
    assert [(c.header, c.kind, c.question_id) for c in plan.columns] == [
        ("单位编码", "unit", None), ("总体评价", "question", "overall"), ("reasons", "question", "reasons"),
        ("是否本地居民", "question", "resident"), ("age", "question", "age"), ("提交时间", "time", None)]
    assert db.query("SELECT count(*) FROM responses").single_value() == 0  # a dry run stores nothing
    result = paper_import.run_import(db, admin, plan, "paper.csv")
    assert (result.created, result.already_stored) == (3, 0)  # two identical ballots stay two responses
    rows = db.query("SELECT channel, survey_version, submitted_at, sat_n, sat_ok FROM responses ORDER BY id").rows
    assert rows[0] == ("import", 1, dt.datetime(2026, 5, 1, 9, 30), 1, 1)
    assert rows[1][3:] == (1, 0)
    answers = db.query("""SELECT a.question_id, a.value_num, a.value_text FROM answers a JOIN responses r ON r.id = a.response_id
        WHERE r.org_unit_id = ? ORDER BY a.question_id, a.value_text""", [tree.unit("T1C1G2").id]).rows
    assert answers == [("age", 70.0, None), ("overall", 1.0, None), ("reasons", None, "rude"), ("reasons", None, "slow"),
                       ("resident", None, "no")]
    again = paper_import.run_import(db, admin, paper_import.plan_import(db, admin, "paper", csv_bytes(GOOD), "paper.csv"))
    assert (again.created, again.already_stored) == (0, 3)
    assert db.query("SELECT count(*) FROM responses").single_value() == 3


BAD = """unit,overall,reasons,resident,age,submitted_at,序号
NOPE,5,,yes,30,,1
T1C1G1,,,yes,30,,2
T1C1G1,5,办事慢,yes,30,,3
T1C1G1,4,,maybe,200,,4
,3,,yes,30,yesterday,5
T1C1G1,3,,yes,30,,6
"""


def test_every_bad_row_is_listed_and_a_failed_import_changes_nothing(setup):
    db, admin = setup
    plan = paper_import.plan_import(db, admin, "paper", csv_bytes(BAD), "bad.csv")
    assert [(w.row, w.column, w.code) for w in plan.warnings] == [(1, "序号", "paper_unknown_column")]
    assert [(e.row, e.column, e.code) for e in plan.errors] == [
        (2, "unit", "paper_unknown_unit"),
        (3, "overall", "required"),
        (4, "reasons", "paper_hidden_answer"),  # overall 5: the reasons question is not shown
        (5, "resident", "invalid_choice"),
        (5, "age", "out_of_range"),
        (6, "unit", "paper_missing_unit"),
        (6, "submitted_at", "paper_bad_time"),
    ]
    assert plan.bad_rows == [2, 3, 4, 5, 6]
    assert plan.errors[4].message("en") == "Please enter a value between 16 and 110."
    assert "NOPE" in plan.errors[0].message("zh")
    with pytest.raises(ValueError):
        paper_import.run_import(db, admin, plan)
    assert db.query("SELECT count(*) FROM responses").single_value() == 0


def test_xlsx_by_label_and_out_of_scope_units(db, tree, principal_factory):
    admin = principal_factory("admin1", "admin", tree.district)
    authoring.import_yaml(db, admin, PAPER, publish_now=True)
    leader = principal_factory("leader1", "leader", tree.towns[0])
    content = xlsx([["单位编码", "总体评价", "年龄", "提交时间"],
                    ["T1C1G1", "满意", 40, dt.datetime(2026, 4, 3, 10, 0)],
                    ["T2C1G1", 4, 41, None]])
    plan = paper_import.plan_import(db, leader, "paper", content, "paper.xlsx")
    assert [(e.row, e.code) for e in plan.errors] == [(3, "paper_unit_out_of_scope")]
    plan = paper_import.plan_import(db, admin, "paper", content, "paper.xlsx")
    assert plan.ok and [r.submitted_at for r in plan.responses][0] == dt.datetime(2026, 4, 3, 10, 0)
    assert plan.responses[0].submitted_by == admin.user_id


def test_unreadable_file_and_unpublished_survey(setup):
    db, admin = setup
    with pytest.raises(paper_import.PaperImportError) as exc:
        paper_import.plan_import(db, admin, "paper", b"\xff\xfe\x00garbage\x81", "x.csv")
    assert exc.value.issue.code in ("paper_unreadable", "paper_no_rows")
    with pytest.raises(paper_import.PaperImportError) as exc:
        paper_import.plan_import(db, admin, "paper", b"unit,overall\n", "x.csv")
    assert exc.value.issue.code == "paper_no_rows"
    authoring.create_survey(db, admin, authoring.blank_definition("unpub", "未发布"))
    with pytest.raises(paper_import.PaperImportError) as exc:
        paper_import.plan_import(db, admin, "unpub", csv_bytes(GOOD), "x.csv")
    assert exc.value.issue.code == "paper_not_published"
    plan = paper_import.plan_import(db, admin, "paper", b"overall\n5\n", "x.csv")
    assert [(e.row, e.code) for e in plan.errors] == [(1, "paper_no_unit_column")]
