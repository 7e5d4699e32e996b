"""Import page (AppTest): an XLSForm with its report, a paper file checked (dry run) then stored once."""

from __future__ import annotations

from tests.conftest import build_tree, make_principal, page_test
from tests.authoring.xlsform_fixtures import BILINGUAL_CHOICES, BILINGUAL_SETTINGS, BILINGUAL_SURVEY, xlsx

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_xlsform_import_shows_the_report(app_db):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    at = page_test("pages/survey_import.py", admin)
    at.run()
    at.file_uploader(key="import.survey.file").set_value(
        ("kobo.xlsx", xlsx(BILINGUAL_SURVEY, BILINGUAL_CHOICES, BILINGUAL_SETTINGS), XLSX_MIME)).run()
    at.button(key="import.survey.button").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "已导入为问卷 community_service。"
    report = at.dataframe[0].value
    assert len(report) == 12
    assert list(report.iloc[8]) == [17, "type", "题型 “geopoint” 不受支持，此行未导入。"]


def test_a_file_that_is_not_an_xlsform_is_refused_with_the_reason_and_creates_nothing(app_db):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    at = page_test("pages/survey_import.py", admin)
    at.run()
    surveys_before = app_db.query("SELECT count(*) FROM surveys").single_value()
    at.file_uploader(key="import.survey.file").set_value(("问卷.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
                                                          "application/vnd.ms-excel")).run()
    at.button(key="import.survey.button").click().run()
    assert not at.exception, at.exception
    assert at.error[0].value == "文件未导入：" and not at.success
    assert "另存为" in at.text[0].value  # the reason: save the old .xls as .xlsx
    assert app_db.query("SELECT count(*) FROM surveys").single_value() == surveys_before


def test_paper_import_dry_run_lists_bad_rows_then_stores_a_good_file_once(app_db):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    from services import authoring

    authoring.import_yaml(app_db, admin, "id: paper\ntitle: 纸质\nquestions:\n  - {id: overall, type: rating, label: 总体, required: true}\n",
                          publish_now=True)
    at = page_test("pages/survey_import.py", admin)
    at.run()
    at.selectbox(key="import.paper.survey").set_value("paper")
    bad = "单位编码,overall\nNOPE,5\nT1C1G1,9\n".encode()
    at.file_uploader(key="import.paper.file").set_value(("bad.csv", bad, "text/csv")).run()
    at.button(key="import.paper.check").click().run()
    assert not at.exception, at.exception
    assert at.error[0].value.startswith("共 2 行，其中 2 行有问题")
    errors = at.dataframe[-1].value
    assert [tuple(row[:2]) for row in errors.values.tolist()] == [(2, "单位编码"), (3, "overall")]
    assert app_db.query("SELECT count(*) FROM responses").single_value() == 0

    good = "单位编码,总体\nT1C1G1,满意\n".encode()
    at.file_uploader(key="import.paper.file").set_value(("good.csv", good, "text/csv")).run()
    at.button(key="import.paper.check").click().run()
    assert not at.exception, at.exception
    if at.error:  # the template may require more answers: show why, so the test explains itself
        raise AssertionError([e.value for e in at.error] + [str(at.dataframe[-1].value)])
    assert at.success[0].value == "检查通过：1 份答卷可以导入。"
    at.button(key="import.paper.confirm").click().run()
    assert at.success[-1].value == "已导入 1 份答卷；0 份此前已导入，未重复保存。"
    assert app_db.query("SELECT channel FROM responses").rows == [("import",)]
