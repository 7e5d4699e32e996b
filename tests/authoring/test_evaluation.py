"""Democratic evaluation: the grade rule chain on edge cases, ranking, results from stored answers, anonymity, export."""

from __future__ import annotations

import dataclasses
import io
from fractions import Fraction

import pytest
from openpyxl import load_workbook

from services import authoring, paper_import
from services.evaluation import evaluation_results, export_xlsx
from storage import audit
from storage.db import Scope
from surveys import load_templates, survey_from_dict
from surveys.evaluation import (
    GradeRule,
    GradeRules,
    default_rules,
    evaluate_subjects,
    evaluation_definition,
)

EXCELLENT, QUALIFIED, BASIC, FAIL = 4, 3, 2, 1
RULES = default_rules()


def votes(excellent=0, qualified=0, basic=0, fail=0):
    return {EXCELLENT: excellent, QUALIFIED: qualified, BASIC: basic, FAIL: fail}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (votes(), None),  # no votes: no result
        (votes(qualified=6, fail=3), QUALIFIED),  # exactly 1/3 不合格 does not exceed 1/3
        (votes(qualified=5, fail=3), FAIL),  # 3/8 > 1/3
        (votes(excellent=5, qualified=4, fail=1), QUALIFIED),  # 优秀 exactly 1/2 is not "over half"
        (votes(excellent=6, qualified=4, fail=1), EXCELLENT),  # 6/11 > 1/2
        (votes(qualified=4, basic=1, fail=1), QUALIFIED),  # basic + fail exactly 1/3
        (votes(qualified=3, basic=1, fail=1), BASIC),  # 2/5 > 1/3
        (votes(excellent=7, basic=3, fail=1), BASIC),  # 4/11 > 1/3 wins over 7/11 优秀: stricter rules first
        (votes(fail=1), FAIL),
        (votes(excellent=1), EXCELLENT),
        (votes(excellent=300000, qualified=300000, fail=300000), QUALIFIED),  # exact third at scale, no float error
    ],
)
def test_default_rule_chain(counts, expected):
    assert RULES.result(counts) == expected


def test_rules_are_configurable_and_non_strict_rules_include_the_boundary():
    strict_half = GradeRules((GradeRule(FAIL, (FAIL,), Fraction(1, 2)),), QUALIFIED)
    assert strict_half.result(votes(qualified=1, fail=1)) == QUALIFIED
    reach_half = GradeRules((GradeRule(FAIL, (FAIL,), Fraction(1, 2), strict=False),), QUALIFIED)
    assert reach_half.result(votes(qualified=1, fail=1)) == FAIL
    three = default_rules(survey_from_dict(evaluation_definition(
        "e3", "三级", ["甲"], grades=[dataclasses.replace(g, value=v) for g, v in zip(load_templates().surveys[
            "minzhu_pingyi_dangyuan"].choice_lists["grades"][:3], (3, 2, 1))])).questions[0].scale)
    assert [r.result for r in three.rules] == [1, 3] and three.fallback == 2


def test_results_rates_scores_and_ranking_with_ties_and_no_votes():
    survey = survey_from_dict(evaluation_definition("e", "评议", ["张三", "李四", "王五", "赵六"]))
    counts = {"s1": votes(excellent=2, qualified=2), "s2": votes(excellent=3, basic=1), "s3": {}, "s4": votes(fail=1, qualified=2)}
    results = evaluate_subjects(survey, counts)
    assert [(r.name, r.rank, r.score, r.result, r.total) for r in results] == [
        ("张三", 1, 3.5, QUALIFIED, 4),  # (4*2 + 3*2) / 4
        ("李四", 1, 3.5, EXCELLENT, 4),  # tie on score: same rank; 3/4 优秀 > 1/2
        ("赵六", 3, 7 / 3, QUALIFIED, 3),  # exactly 1/3 不合格
        ("王五", None, None, None, 0),  # no votes: last, unranked
    ]
    assert results[0].rates == {EXCELLENT: 0.5, QUALIFIED: 0.5, BASIC: 0.0, FAIL: 0.0}
    assert results[3].rates == {EXCELLENT: None, QUALIFIED: None, BASIC: None, FAIL: None}


def test_templates_are_evaluation_surveys():
    templates = load_templates().surveys
    for template_id in ("minzhu_pingyi_dangyuan", "jiguan_bumen_manyidu"):
        survey = templates[template_id]
        assert survey.kind == "evaluation"
        assert [ch.value for ch in survey.questions[0].scale] == [4, 3, 2, 1]
    assert templates["minzhu_pingyi_dangyuan"].title == "民主评议党员测评表"
    assert [ch.label for ch in templates["minzhu_pingyi_dangyuan"].questions[0].scale] == ["优秀", "合格", "基本合格", "不合格"]
    assert templates["jiguan_bumen_manyidu"].title == "机关部门满意度测评"


BALLOTS = """单位编码,张三,李四,对张三的意见建议（选填）,对李四的意见建议（选填）
T1C1G1,优秀,不合格,=HYPERLINK("x"),
T1C1G1,优秀,合格,,多下基层
T1C1G2,合格,不合格,,
T2C1G1,优秀,合格,,
"""


def test_results_from_stored_answers_are_anonymous_scoped_and_exported(db, tree, principal_factory):
    admin = principal_factory("admin1", "admin", tree.district)
    sid = authoring.create_survey(db, admin, evaluation_definition("branch1", "第一支部民主评议", ["张三", "李四"]))
    authoring.publish(db, admin, sid)
    plan = paper_import.plan_import(db, admin, sid, BALLOTS.encode(), "ballots.csv")
    assert plan.ok, [e.message() for e in plan.errors]
    paper_import.run_import(db, admin, plan)
    # Anonymous by default: evaluation ballots are stored without the person who typed / gave them.
    assert db.query("SELECT count(*), count(submitted_by) FROM responses WHERE survey_id = ?", [sid]).first() == (4, 0)

    report = evaluation_results(db, sid, admin.scope)
    assert report.ballots == 4
    by_name = {r.name: r for r in report.results}
    assert by_name["张三"].votes == {4: 3, 3: 1, 2: 0, 1: 0} and by_name["张三"].result == 4 and by_name["张三"].rank == 1
    assert by_name["李四"].votes == {4: 0, 3: 2, 2: 0, 1: 2} and by_name["李四"].result == 1  # 2/4 不合格 > 1/3
    assert by_name["李四"].comments == ("多下基层",)
    # Nothing in a result identifies a ballot: only counts, rates, grades, ranks and sorted comment texts.
    assert {f.name for f in dataclasses.fields(by_name["张三"])} == {
        "subject_id", "name", "votes", "total", "rates", "result", "score", "rank", "comments"}

    town_leader = principal_factory("leader1", "leader", tree.towns[0])
    scoped = evaluation_results(db, sid, town_leader.scope)
    assert scoped.ballots == 3 and {r.name: r.total for r in scoped.results} == {"张三": 3, "李四": 3}

    data = export_xlsx(db, admin, report, "zh")
    sheet = load_workbook(io.BytesIO(data)).worksheets
    cells = [tuple(row) for row in sheet[0].iter_rows(values_only=True)]
    assert cells[2][:2] == ("名次", "评议对象") and cells[3][:2] == (1, "张三") and cells[3][-1] == "优秀"
    comments = list(sheet[1].iter_rows(values_only=True))
    assert ("张三", "'=HYPERLINK(\"x\")") in comments  # formula neutralised
    assert [e.action for e in audit.recent(db, Scope.everything(), action_prefix="evaluation.")] == ["evaluation.export"]


def test_subject_list_from_excel_or_csv_skips_a_header():
    from services.evaluation import subject_names_from_table
    from tests.authoring.xlsform_fixtures import xlsx

    assert subject_names_from_table(xlsx([["姓名", "职务"], ["张三", "书记"], [None, None], ["李四", None]]), "s.xlsx") == ["张三", "李四"]
    assert subject_names_from_table("王五\n赵六\n".encode(), "s.csv") == ["王五", "赵六"]
