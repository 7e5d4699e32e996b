"""XLSForm import: forms written the way ODK / Kobo users write them, and the report of what was not mapped."""

from __future__ import annotations

import datetime as dt

import pytest

from services import authoring
from storage import surveys as survey_store
from storage.db import Scope
from surveys import AllOf, AnyOf, Comparison, MultiChoiceQuestion, NumberQuestion, SingleChoiceQuestion, TextQuestion
from surveys import survey_from_dict
from surveys.xlsform import xlsform_to_dict
from tests.authoring.xlsform_fixtures import BILINGUAL_CHOICES, BILINGUAL_SETTINGS, BILINGUAL_SURVEY, xlsx


def report_of(issues):
    return [(i.row, i.column, i.code) for i in issues]


def test_bilingual_kobo_form_groups_relevance_constraints_and_report():
    definition, report = xlsform_to_dict(xlsx(BILINGUAL_SURVEY, BILINGUAL_CHOICES, BILINGUAL_SETTINGS), "kobo.xlsx")
    survey = survey_from_dict(definition)
    assert (survey.id, survey.title) == ("community_service", "社区服务满意度调查")
    assert [(p.id, p.title, [q.id for q in p.questions]) for p in survey.pages] == [
        ("basic", "基本情况", ["age", "is_resident", "used_services"]),
        ("opinion", "评价", ["overall", "why_unhappy", "score", "stars", "visit_date"]),
        ("page3", "", ["thanks"]),
    ]
    age = survey.question("age")
    assert isinstance(age, NumberQuestion) and (age.integer, age.min, age.max, age.required) == (True, 18, 120, True)
    assert age.hint == "请填写周岁 年龄须在18到120之间"  # constraint_message joins the hint (reported)
    assert survey.question("is_resident").required is True  # TRUE()
    used = survey.question("used_services")
    assert isinstance(used, MultiChoiceQuestion) and used.max_choices == 2
    assert [ch.label for ch in used.choices] == ["医疗", "养老", "就业"]  # the Chinese labels
    assert used.show_if == Comparison("is_resident", "eq", "yes")
    group = Comparison("age", "ge", 18)  # the group's relevant reaches each of its questions
    assert survey.question("overall").show_if == group
    assert survey.question("why_unhappy").show_if == AllOf((group, AnyOf((Comparison("overall", "eq", "1"), Comparison("overall", "eq", "2")))))
    why = survey.question("why_unhappy")
    assert isinstance(why, TextQuestion) and (why.max_length, why.multiline) == (200, True)
    assert survey.question("score").show_if == AllOf((group, AllOf((Comparison("used_services", "contains", "health"), Comparison("age", "gt", 60)))))
    stars = survey.question("stars")
    assert (stars.min, stars.max, stars.integer) == (0, 10, True)  # pyxform's range defaults: start=0 end=10 step=1
    assert survey.question("visit_date").min == dt.date(2020, 1, 1) and survey.question("visit_date").max is None
    assert report_of(report) == [
        (1, "survey:label::English (en)", "other_language"),
        (1, "choices:label::English (en)", "other_language"),
        (2, "type", "metadata_type"),
        (3, "type", "metadata_type"),
        (5, "constraint_message", "constraint_message_hint"),
        (12, "constraint", "constraint_unmapped"),  # . > 0 on a decimal
        (14, "constraint", "constraint_unmapped"),  # . <= today()
        (16, "type", "unsupported_type"),  # calculate
        (17, "type", "unsupported_type"),  # geopoint
        (18, "type", "unsupported_type"),  # begin_repeat
        (19, "type", "inside_repeat"),
        (21, "type", "unsupported_type"),  # image
    ]
    assert report[5].params["expr"] == ". > 0"
    assert report[6].params["expr"] == ". <= today()"
    assert "today()" in report[6].message("en") and "第" not in report[6].message("en")


def test_english_odk_form_with_plain_label_column_and_no_settings():
    survey_rows = [
        ["type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message"],
        ["select_one yn", "has_children", "Do you have children?", None, "yes", None, None, None],
        ["integer", "children", "How many?", None, "yes", "${has_children} = 'yes'", ". > 0 and . < 20", "1 to 19"],
        ["text", "phone", "Phone", "11 digits", "no", "${children} >= 2", "regex(., '^1[0-9]{10}$')", None],
        ["select_multiple topics or_other", "topics", "Topics", None, None, None, "count-selected(.) >= 1", None],
        ["select_one missing_list", "broken", "Broken", None, None, None, None, None],
        ["text", "age-group", "Age group", None, None, "${unknown} = 'x'", None, None],
        ["text", "dup", "A", None, "${has_children} = 'yes'", None, None, None],
        ["text", "dup", "B", None, None, None, None, None],
        ["acknowledge", "ok", "OK?", None, None, None, None, None],
    ]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"], ["yn", "no", "No again"],
               ["topics", "roads", "Roads"], ["topics", "schools", "Schools"]]
    definition, report = xlsform_to_dict(xlsx(survey_rows, choices), "My Form.xlsx")
    survey = survey_from_dict(definition)
    assert (survey.id, survey.title) == ("my_form", "My Form")
    assert survey.question_ids() == ["has_children", "children", "phone", "topics", "age_group", "dup"]
    children = survey.question("children")
    assert (children.min, children.max, children.hint) == (1, 19, "1 to 19")  # strict bounds on an integer
    assert children.show_if == Comparison("has_children", "eq", "yes")
    phone = survey.question("phone")
    assert (phone.pattern, phone.hint, phone.required, phone.show_if) == ("^1[0-9]{10}$", "11 digits", False, Comparison("children", "ge", 2))
    assert survey.question("topics").min_choices == 1
    assert [c.value for c in survey.question("has_children").choices] == ["yes", "no"]
    assert survey.question("age_group").show_if is None
    assert survey.question("dup").label == "A" and survey.question("dup").required is False
    assert report_of(report) == [
        (4, "choices:name", "duplicate_choice"),  # the choices sheet is read first
        (3, "constraint_message", "constraint_message_hint"),
        (5, "type", "or_other"),
        (6, "type", "missing_choice_list"),
        (7, "name", "renamed_id"),
        (7, "relevant", "relevant_unmapped"),
        (8, "required", "required_expression"),
        (9, "name", "duplicate_name"),
        (10, "type", "unsupported_type"),
    ]
    unmapped = next(i for i in report if i.code == "relevant_unmapped")
    assert unmapped.message("en") == ("relevant '${unknown} = 'x'' cannot be mapped ('unknown' is not an earlier imported "
                                      "question); the question is always shown.")
    assert "“unknown” 不是前面已导入的题目" in unmapped.message("zh")


def test_nested_groups_are_flattened_and_unbalanced_groups_reported():
    rows = [
        ["type", "name", "label"],
        ["begin group", "outer", "Outer"],
        ["note", "n1", "Hello"],
        ["begin_group", "inner", "Inner"],
        ["text", "t1", "Inside"],
        ["end_group", "inner", None],
        ["end group", "outer", None],
        ["end_group", None, None],
        ["begin_group", "empty", "Empty"],
        ["calculate", "c", None],
        ["end_group", None, None],
        ["begin_group", "open", "Never closed"],
        ["text", "t2", "Last"],
    ]
    definition, report = xlsform_to_dict(xlsx(rows), "groups.xlsx")
    survey = survey_from_dict(definition)
    assert [(p.id, [q.id for q in p.questions]) for p in survey.pages] == [("outer", ["n1", "t1"]), ("open", ["t2"])]
    assert report_of(report) == [(4, "type", "nested_group"), (8, "type", "unbalanced_group"),
                                 (10, "type", "unsupported_type"), (12, "type", "unbalanced_group"),
                                 (0, "survey", "empty_group")]


def test_default_language_setting_picks_english_and_reports_chinese():
    rows = [["type", "name", "label::English (en)", "label::Chinese (zh)"], ["text", "q", "Name", "姓名"]]
    definition, report = xlsform_to_dict(xlsx(rows, settings=[["default_language"], ["English (en)"]]), "f.xlsx")
    assert survey_from_dict(definition).question("q").label == "Name"
    assert report_of(report) == [(1, "survey:label::Chinese (zh)", "other_language")]


def test_not_a_workbook_and_missing_survey_sheet_are_reported(db, tree, principal_factory):
    _, report = xlsform_to_dict(b"PK\x03\x04 not really a zip", "bad.xlsx")
    assert report_of(report) == [(0, "", "not_xlsx")]
    from openpyxl import Workbook
    import io

    book = Workbook()
    book.active.title = "questions"
    buffer = io.BytesIO()
    book.save(buffer)
    _, report = xlsform_to_dict(buffer.getvalue(), "nosheet.xlsx")
    assert report_of(report) == [(0, "", "no_survey_sheet")]
    admin = principal_factory("admin1", "admin", tree.district)
    before = survey_store.list_surveys(db, Scope.everything())
    for content, name, code in [(buffer.getvalue(), "nosheet.xlsx", "no_survey_sheet"),
                                (b"PK\x03\x04 not really a zip", "bad.xlsx", "not_xlsx")]:
        with pytest.raises(authoring.UnreadableWorkbook) as refused:
            authoring.import_xlsform(db, admin, content, filename=name, publish_now=True)
        assert [i.code for i in refused.value.issues] == [code]
        assert "survey" in refused.value.issues[0].message("zh") or "xlsx" in refused.value.issues[0].message("zh")
    assert survey_store.list_surveys(db, Scope.everything()) == before  # nothing created for a file that is not an XLSForm


def test_import_xlsform_service_publishes_a_clean_form(db, tree, principal_factory):
    admin = principal_factory("admin1", "admin", tree.district)
    content = xlsx(BILINGUAL_SURVEY, BILINGUAL_CHOICES, BILINGUAL_SETTINGS)
    outcome = authoring.import_xlsform(db, admin, content, filename="kobo.xlsx", publish_now=True)
    assert (outcome.survey_id, outcome.version, outcome.definition_errors) == ("community_service", 1, [])
    assert len(outcome.report) == 12
    again = authoring.import_xlsform(db, admin, content, filename="kobo.xlsx")
    assert (again.survey_id, again.version, again.report[-1].code) == ("community_service_2", None, "id_taken")
    overall = authoring.check_definition(authoring.working_definition(db, again.survey_id)).question("overall")
    assert isinstance(overall, SingleChoiceQuestion) and overall.choice_list == "sat5"
