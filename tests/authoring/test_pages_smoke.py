"""Smoke: every authoring page renders for an admin without an exception."""

import pytest

from tests.conftest import make_principal, page_test


@pytest.mark.parametrize("page", ["pages/builder.py", "pages/survey_import.py", "pages/evaluation.py"])
def test_page_renders(app_db, page):
    from tests.conftest import build_tree

    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    at = page_test(page, admin)
    at.run()
    assert not at.exception, at.exception


def test_evaluation_page_shows_ranked_results_without_voters(app_db):
    from tests.conftest import build_tree
    from services import paper_import

    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    ballots = "单位编码,党员甲,党员乙\nT1C1G1,优秀,合格\nT1C1G1,优秀,不合格\nT1C1G2,合格,不合格\n"
    plan = paper_import.plan_import(app_db, admin, "minzhu_pingyi_dangyuan", ballots.encode(), "b.csv")
    assert plan.ok
    paper_import.run_import(app_db, admin, plan)
    at = page_test("pages/evaluation.py", admin)
    at.run()
    assert not at.exception
    at.selectbox(key="evaluation.survey").set_value("minzhu_pingyi_dangyuan").run()
    table = at.dataframe[0].value
    first = table.iloc[0]
    assert (first["名次"], first["评议对象"], first["优秀票数"], first["总票数"], first["评定结果"]) == (1, "党员甲", 2, 3, "优秀")
    second = table.iloc[1]
    assert (second["评议对象"], second["不合格票数"], second["评定结果"]) == ("党员乙", 2, "不合格")
    assert table.iloc[2]["评定结果"] == "无投票"
    assert any("有效票数：3" in cap.value for cap in at.caption)
    assert not any("admin1" in str(v) for v in table.values.ravel())
    at.button(key="evaluation.export.minzhu_pingyi_dangyuan.prepare").click().run()
    assert not at.exception
