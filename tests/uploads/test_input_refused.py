"""Bad input never reaches storage: NUL bytes in answers, surveys and registries, over-long answers, invalid UTF-8
in YAML, and surveys too large to build or answer are refused with a clear message; formula-looking exports are
neutralised however they hide their first character."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldwork import registry
from reports.safe import safe_cell
from services import authoring
from services import fieldwork as fw
from storage import households
from storage.db import Scope
from surveys import SurveyDefinitionError, load_survey_text, survey_from_dict, validate_answers
from surveys import constants as c
from tests.conftest import build_tree, make_principal, page_test
from tests.sharing.sharing_fixtures import make_link, publish

COMMENT = "id: s\ntitle: 意见\nquestions:\n  - {id: comment, type: text, label: 意见, max_length: 200}\n"


# --- answers ----------------------------------------------------------------------------


def test_a_nul_byte_in_a_text_answer_is_refused_with_a_message():
    survey = load_survey_text(COMMENT)
    check = validate_answers(survey, {"comment": "路灯\x00坏了"})
    assert not check.ok and "comment" not in check.clean
    assert [e.code for e in check.errors["comment"]] == ["control_char"]
    assert "控制字符" in check.errors["comment"][0].message("zh")
    assert "control character" in check.errors["comment"][0].message("en")
    assert validate_answers(survey, {"comment": "第一行\n第二行\t完"}).clean == {"comment": "第一行\n第二行\t完"}


def test_an_over_long_answer_sent_to_the_fill_page_is_refused_not_cut(app_db):
    """A scripted client sends 300 characters to a 200-character question: the page says it is too long and
    stores nothing (Streamlit's max_chars used to cut it to 200 silently)."""
    from storage import orgs
    from storage import surveys as survey_store

    unit = orgs.create_unit(app_db, "C1", "幸福社区", 3)
    survey_id = publish(app_db, COMMENT)
    survey_store.set_status(app_db, survey_id, "open")
    token = make_link(app_db, survey_id, unit.id)[0]
    at = page_test("pages/fill.py", t=token)
    at.run()
    box = at.text_input(key=f"fill.{token}.comment")
    box.set_value("长" * 300)
    at.run()
    at.button(key="fill.forward").click().run()
    assert not at.exception, at.exception
    assert app_db.query("SELECT count(*) FROM responses").single_value() == 0
    assert any("最多填写 200 个字（当前 300 个）" in e.value for e in at.error)
    assert at.text_input(key=f"fill.{token}.comment").value == "长" * 300  # nothing the resident typed is lost


# --- survey definitions -----------------------------------------------------------------


def test_a_nul_in_a_yaml_survey_is_refused_naming_the_question():
    with pytest.raises(SurveyDefinitionError) as refused:
        load_survey_text('id: s\ntitle: t\nquestions:\n  - {id: q1, type: text, label: "意\\0见"}\n')
    assert refused.value.codes == ["control_char"]
    assert "q1" in refused.value.message("zh") and "空字符" in refused.value.message("zh")


def test_invalid_utf8_in_an_uploaded_yaml_survey_is_refused_with_its_line_not_replaced(app_db):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    before = app_db.query("SELECT count(*) FROM surveys").single_value()
    content = "id: gbk_survey\ntitle: 意见\nquestions:\n".encode() + "  - {id: q1, type: text, label: 意见}\n".encode("gbk")
    at = page_test("pages/survey_import.py", admin)
    at.run()
    at.file_uploader(key="import.survey.file").set_value(("问卷.yaml", content, "application/x-yaml")).run()
    at.button(key="import.survey.button").click().run()
    assert not at.exception, at.exception
    assert at.error[0].value == "文件未导入："
    assert "第 4 行不是有效的 UTF-8 文本" in at.text[0].value
    assert app_db.query("SELECT count(*) FROM surveys").single_value() == before


def _many_questions(n: int) -> str:
    return "id: big\ntitle: 大问卷\nquestions:\n" + "".join(f"  - {{id: q{i}, type: text, label: 题{i}}}\n" for i in range(n))


def test_a_10000_question_survey_is_refused_before_it_is_walked():
    with pytest.raises(SurveyDefinitionError) as refused:
        load_survey_text(_many_questions(10_000))
    assert refused.value.codes == ["too_many_questions"]
    assert "10000 道题，超过上限 300 道" in refused.value.message("zh")
    load_survey_text(_many_questions(c.SURVEY_MAX_QUESTIONS))  # the bound itself is allowed


def test_10000_choices_in_one_list_are_refused():
    choices = "".join(f"      - {{value: v{i}, label: 选项{i}}}\n" for i in range(10_000))
    text = "id: big\ntitle: 大\nchoice_lists:\n  many:\n" + choices.replace("      -", "    -") + \
        "questions:\n  - {id: q, type: single_choice, label: 选, choice_list: many}\n"
    with pytest.raises(SurveyDefinitionError) as refused:
        load_survey_text(text)
    assert refused.value.codes == ["too_many_choices"]
    assert "10000 个选项，超过上限 200 个" in refused.value.message("zh")
    inline = "id: big\ntitle: 大\nquestions:\n  - id: q\n    type: multi_choice\n    label: 选\n    choices:\n" + choices
    with pytest.raises(SurveyDefinitionError) as refused:
        load_survey_text(inline)
    assert refused.value.codes == ["too_many_choices"]


def test_a_too_large_survey_is_never_stored_as_a_draft(db):
    """The builder would hang opening it: neither an import, a new survey nor a saved draft may exceed the bounds."""
    tree = build_tree(db)
    admin = make_principal(db, "admin1", "admin", tree.district)
    import yaml

    big = yaml.safe_load(_many_questions(1000))
    before = db.query("SELECT count(*) FROM surveys").single_value()
    with pytest.raises(SurveyDefinitionError):
        authoring.create_survey(db, admin, big)
    assert db.query("SELECT count(*) FROM surveys").single_value() == before
    survey_id = authoring.create_survey(db, admin, authoring.blank_definition("small", "小"))
    with pytest.raises(SurveyDefinitionError):
        authoring.save_draft(db, admin, survey_id, {**big, c.ID: survey_id})
    assert len(authoring.working_definition(db, survey_id).get(c.QUESTIONS) or
               authoring.working_definition(db, survey_id)[c.PAGES][0][c.QUESTIONS]) < 10


def test_an_xlsform_with_too_many_questions_creates_nothing(db):
    from tests.authoring.xlsform_fixtures import xlsx

    tree = build_tree(db)
    admin = make_principal(db, "admin1", "admin", tree.district)
    rows = [["type", "name", "label"]] + [["text", f"q{i}", f"题{i}"] for i in range(400)]
    before = db.query("SELECT count(*) FROM surveys").single_value()
    with pytest.raises(SurveyDefinitionError) as refused:
        authoring.import_xlsform(db, admin, xlsx(rows), filename="big.xlsx")
    assert refused.value.codes == ["too_many_questions"]
    assert db.query("SELECT count(*) FROM surveys").single_value() == before
    survey_from_dict({"id": "ok", "title": "t", "questions": [{"id": "q", "type": "text", "label": "l"}]})


# --- registries -------------------------------------------------------------------------


def test_a_nul_in_a_household_registry_is_a_bad_row_and_never_stored(db):
    build_tree(db)
    data = "户编号,户主姓名,所属网格\nH1,张\x00三,T1C1G1\nH2,李四,T1C1G1\n".encode()
    check = fw.check_households(db, Scope.everything(), data, "r.csv")
    assert [(e.row, e.code, e.value) for e in check.errors] == [(2, "control_char", "户主姓名")]
    fw.import_households(db, Scope.everything(), check, skip_bad_rows=True)
    assert db.query("SELECT code FROM households").rows == [("H2",)]
    assert "空字符" in __import__("i18n").t("registry.err.control_char")


def test_a_control_character_in_an_org_tree_or_a_visit_sheet_is_a_bad_row(db):
    """(A workbook cannot carry one: Excel and openpyxl store it as the text _x0000_.)"""
    build_tree(db)
    units = registry.parse_units("编码,名称,上级编码\nX1,新\x00社区,D01\n".encode(), "o.csv", households.unit_levels(db))
    assert [(e.row, e.code) for e in units.errors] == [(2, "control_char")] and not units.records
    sheet = registry.parse_visit_sheet("户编号,走访结果,备注\nH1,见面,好\x00\n".encode(), "s.csv", {"H1": 1},
                                       categories=[], today=dt.date(2026, 12, 1))
    assert [(e.row, e.code) for e in sheet.errors] == [(2, "control_char")] and not sheet.visits


# --- formula-safe exports ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["＝1+1", "＋1", "－1", "＠SUM(A1)", "\u200b=HYPERLINK(\"x\")", "\ufeff=1+1",
                                  "\u200d\u00ad+1", "﹦1"])
def test_formulas_behind_full_width_signs_or_invisible_characters_are_neutralised(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["满意", "１２３", "a=b", "\u3000=1", ""])
def test_plain_text_is_left_alone(text):
    assert safe_cell(text) == text


def test_an_excel_export_neutralises_a_full_width_formula():
    import io

    from openpyxl import load_workbook

    from fieldwork.sheets import xlsx_bytes

    sheet = load_workbook(io.BytesIO(xlsx_bytes(["名称"], [["＝1+1"], ["\ufeff=cmd"]]))).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["'＝1+1", "'\ufeff=cmd"]


def test_over_long_registry_cells_are_bad_rows_not_cut(db):
    build_tree(db)
    data = ("户编号,户主姓名,所属网格,地址\nH1,张三,T1C1G1," + "路" * 201 + "\nH2," + "名" * 65 + ",T1C1G1,幸福路\n"
            "H3,李四,T1C1G1,幸福路\n").encode()
    check = fw.check_households(db, Scope.everything(), data, "r.csv")
    assert [(e.row, e.code, e.value) for e in check.errors] == [(2, "too_long", "地址: 201/200"),
                                                                  (3, "too_long", "户主姓名: 65/64")]
    fw.import_households(db, Scope.everything(), check, skip_bad_rows=True)
    assert db.query("SELECT code FROM households").rows == [("H3",)]
    units = registry.parse_units(("编码,名称,上级编码\nX1," + "社" * 101 + ",D01\n").encode(), "o.csv",
                                 households.unit_levels(db))
    assert [(e.code, e.value) for e in units.errors] == [("too_long", "101/100")] and not units.records
    sheet = registry.parse_visit_sheet(("户编号,走访结果,问题类别,问题描述\nH1,见面,环境," + "坏" * 1001 + "\n").encode(),
                                       "s.csv", {"H1": 1}, categories=["环境"], today=dt.date(2026, 12, 1))
    assert [(e.code, e.value) for e in sheet.errors] == [("too_long", "问题描述: 1001/1000")] and not sheet.visits


def test_a_nul_typed_into_the_builder_is_not_saved_in_the_draft(db):
    tree = build_tree(db)
    admin = make_principal(db, "admin1", "admin", tree.district)
    survey_id = authoring.create_survey(db, admin, authoring.blank_definition("small", "小"))
    with pytest.raises(SurveyDefinitionError) as refused:
        authoring.save_draft(db, admin, survey_id, {**authoring.blank_definition(survey_id, "小"), c.TITLE: "小\x00"})
    assert refused.value.codes == ["control_char"]
    assert authoring.working_definition(db, survey_id)[c.TITLE] == "小"
