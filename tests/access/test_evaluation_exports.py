"""民主评议 ballots can never be linked to voters through an export (issue 20 item 8)."""

from __future__ import annotations

import csv
import io
import re

import openpyxl

from reports import excel
from services import authoring, paper_import
from services.survey_catalog import survey_version
from storage import analytics as A
from surveys.evaluation import evaluation_definition

BALLOTS = """单位编码,张三,李四,对李四的意见建议（选填）
T1C1G1,优秀,不合格,
T1C1G1,优秀,合格,多下基层
T1C1G2,合格,不合格,
T2C1G1,不合格,合格,
"""
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


def _ballot_export(db, tree, principal_factory):
    admin = principal_factory("admin1", "admin", tree.district)
    sid = authoring.create_survey(db, admin, evaluation_definition("branch1", "第一支部民主评议", ["张三", "李四"]))
    authoring.publish(db, admin, sid)
    plan = paper_import.plan_import(db, admin, sid, BALLOTS.encode(), "ballots.csv")
    assert plan.ok
    paper_import.run_import(db, admin, plan)
    survey = survey_version(db, sid)[0]
    raw = A.raw_responses(db, admin.scope, A.Filters(survey_id=sid))
    assert len(raw) == 4
    return db, admin, survey, raw


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _column(header: list[str], subject: str) -> int:
    return next(i for i, label in enumerate(header) if label.endswith("· " + subject))


def test_raw_exports_of_an_evaluation_carry_no_ballot_id_unit_or_time(db, tree, principal_factory):
    db, admin, survey, raw = _ballot_export(db, tree, principal_factory)
    rows = _rows(excel.raw_responses_csv(db, admin, survey, raw, "全部", "zh"))
    header, ballots = rows[0], rows[1:]
    for banned in ("编号", "单位", "时间", "渠道"):
        assert not any(banned in column for column in header), (banned, header)
    assert header[:2] == ["问卷", "版本"] and all(len(b) == len(header) for b in ballots)
    for ballot in ballots:
        assert not any(TIME.search(cell) for cell in ballot)
        assert not any(code in ballot for code in ("T1C1G1", "T1C1G2", "T2C1G1"))
    # every ballot is still there, with its grades
    grades = sorted(tuple(b[_column(header, name)] for name in ("张三", "李四")) for b in ballots)
    assert grades == sorted([("4", "1"), ("4", "3"), ("3", "1"), ("1", "3")])  # 优秀 4, 合格 3, 不合格 1
    book = openpyxl.load_workbook(io.BytesIO(excel.raw_responses_xlsx(db, admin, survey, raw, "全部", "zh")))
    cells = [str(c.value) for row in book.active.iter_rows(min_row=4) for c in row if c.value is not None]
    assert not any(TIME.search(v) for v in cells)
    assert not any(v.startswith("T1C1") or v.startswith("T2C1") for v in cells)


def test_ballots_leave_in_an_order_unrelated_to_when_they_were_cast(db, tree, principal_factory):
    db, admin, survey, raw = _ballot_export(db, tree, principal_factory)
    orders = set()
    for _ in range(8):
        rows = _rows(excel.raw_responses_csv(db, admin, survey, raw, "全部", "zh"))
        header = rows[0]
        orders.add(tuple(tuple(b[_column(header, n)] for n in ("张三", "李四")) for b in rows[1:]))
    assert len(orders) > 1  # shuffled each time (24 orders: eight equal draws would be a 1 in 24^7 chance)
