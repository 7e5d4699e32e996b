"""XLSForm import of forms as ODK / KoboToolbox / SurveyCTO users really write them (rows transcribed from public sources)."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook

from surveys import AllOf, AnyOf, Comparison, MultiChoiceQuestion, Not, NumberQuestion, SingleChoiceQuestion, TextQuestion
from surveys import survey_from_dict, validate_answers
from surveys.xlsform import xlsform_to_dict
from tests.authoring.xlsform_fixtures import xlsx


def report_of(issues):
    return [(i.row, i.column, i.code) for i in issues]


def imported(survey_rows, choices=None, settings=None, filename="form.xlsx"):
    definition, report = xlsform_to_dict(xlsx(survey_rows, choices, settings), filename)
    return survey_from_dict(definition), report


# Source: XLSForm/pyxform tests/test_translations.py, test_missing_media_itext (pyxform issue #32).
# `name` before `type`, `list name` with a space, numeric choice names typed as numbers, required "true",
# Russian / Kyrgyz label columns next to a plain label, media::audio::<language> columns.
def test_pyxform_translations_form_columns_in_odd_order_and_numeric_choice_names():
    survey, report = imported(
        [["name", "type", "label", "label::Russian", "label::Kyrgyz", "required", "media::audio::Kyrgyz", "media::audio::Russian"],
         ["q1", "select_one yn", "A.01 Have you received informed consent from the respondent?",
          "Получили ли вы форму согласия от респондента?", "This is Kyrgyz.", "true", "something.mp3", "test.mp3"]],
        [["list name", "name", "label", "label::Russian", "label::Kyrgyz"],
         ["yn", 0, "No", "Нет", "Нет (ky)"],
         ["yn", 1, "Yes", "Да", "Да (ky)"]])
    q1 = survey.question("q1")
    assert isinstance(q1, SingleChoiceQuestion) and q1.required is True
    assert q1.label == "A.01 Have you received informed consent from the respondent?"
    assert [(ch.value, ch.label) for ch in q1.choices] == [("0", "No"), ("1", "Yes")]
    assert report_of(report) == [
        (1, "survey:label::Russian", "other_language"), (1, "survey:label::Kyrgyz", "other_language"),
        (1, "choices:label::Russian", "other_language"), (1, "choices:label::Kyrgyz", "other_language"),
        (2, "media::audio::Kyrgyz", "column_ignored"), (2, "media::audio::Russian", "column_ignored"),  # was silent
    ]


# Source: XLSForm/pyxform tests/test_range.py (parameters spellings, defaults start=0 end=10 step=1, bad parameter).
def test_pyxform_range_parameters_in_every_spelling():
    survey, report = imported([
        ["type", "name", "label", "parameters"],
        ["range", "level1", "Scale", "start=1 end=10 step=1"],
        ["range", "level2", "Scale", "Start=3 End=14 STEP=2"],
        ["range", "level3", "Scale", None],
        ["range", "level4", "Scale", "end=20"],
        ["range", "level5", "Scale", "start=0.5 end=5.0 step=0.5"],
        ["range", "level6", "Scale", "start=1;end=10;step=1"],
        ["range", "level7", "Scale", "start = 1 , end = 10 , step = 2"],
        ["range", "level8", "Scale", "increment=0.5 end=21"],
    ])
    bounds = {q.id: (q.min, q.max, q.integer) for q in survey.questions}
    assert bounds == {
        "level1": (1, 10, True), "level2": (3, 14, True), "level3": (0, 10, True), "level4": (0, 20, True),
        "level5": (0.5, 5, False), "level6": (1, 10, True), "level7": (1, 10, True), "level8": (0, 21, True),
    }
    assert report_of(report) == [(3, "parameters", "range_step"), (6, "parameters", "range_step"),
                                 (8, "parameters", "range_step"), (9, "parameters", "column_ignored")]
    assert report[3].params["value"] == "increment=0.5"


# Sources: XLSForm/pyxform tests/test_group.py (group relevant `${q1} = 1` on an integer; begin_group with
# appearance "table-list minimal") and tests/test_sheet_columns.py test_column_case (headers `Type`, `Label`).
def test_pyxform_groups_with_capitalised_headers():
    survey, report = imported(
        [["Type", "name", "Label", "relevant", "appearance", "hint"],
         ["integer", "q1", "Q1", None, None, None],
         ["begin group", "g1", "G1", "${q1} = 1", None, None],
         ["text", "q2", "Q2", None, None, None],
         ["end group", None, None, None, None, None],
         ["begin_group", "tablelist1", "Table_Y_N", None, "table-list minimal", None],
         ["select_one yes_no", "options1a", "Q1", None, None, "first row!"],
         ["select_one yes_no", "options1b", "Q2", None, None, None],
         ["end_group", None, None, None, None, None]],
        [["list_name", "name", "label"], ["yes_no", "yes", "Yes"]])
    assert [(p.id, p.title, [q.id for q in p.questions]) for p in survey.pages] == [
        ("page1", "", ["q1"]), ("g1", "G1", ["q2"]), ("tablelist1", "Table_Y_N", ["options1a", "options1b"])]
    assert survey.question("q2").show_if == Comparison("q1", "eq", 1)
    assert survey.question("options1a").hint == "first row!"
    assert report_of(report) == [(6, "appearance", "column_ignored")]  # a group's table-list was silently dropped


# Sources: getodk/docs src/form-logic.rst (relevants, required_message, defaults, read_only, calculate once(now()),
# count-selected) and src/form-regex.rst + src/incl/form-examples/regex-middle-initial.rst (regex constraints).
GETODK_SURVEY = [
    ["type", "name", "label", "required", "required_message", "constraint", "constraint_message", "appearance",
     "read_only", "default", "calculation", "relevant"],
    ["select_one yes_no", "watch_sports", "Do you watch sports?"] + [None] * 9,
    ["text", "favorite_team", "What is your favorite team?"] + [None] * 8 + ["${watch_sports} = 'yes'"],
    ["text", "name", "What is your name?", "yes", "Please answer the question."] + [None] * 7,
    ["text", "middle_initial", "What is your middle initial?", None, None, "regex(., '\\p{L}')", "Just the first letter."]
    + [None] * 5,
    ["text", "ex", "Enter example", None, None, "regex(.,'^[a-zA-Z]{0,6}$')",
     "Input can have a maximum of 6 alphabetic characters."] + [None] * 5,
    ["text", "tel_no", "Enter your Telephone number", None, None, "regex(.,'^[0-9]{11}$')", None, "numbers"] + [None] * 4,
    ["select_one contacts", "contact_method", "How should we contact you?"] + [None] * 6 + ["phone_call", None, None],
    ["decimal", "salary_income", "Income from salary"] + [None] * 9,
    ["decimal", "total_income", "Total income"] + [None] * 5 + ["yes", "${salary_income}", None, None],
    ["calculate", "datetime_first_opened", None] + [None] * 7 + ["once(now())", None],
    ["select_multiple toppings", "toppings", "Toppings"] + [None] * 9,
    ["text", "why_many", "Why so many?"] + [None] * 8 + ["count-selected(${toppings}) > 5"],
    ["note", "display_sum", "a + b = ${a_plus_b}"] + [None] * 9,
]
GETODK_CHOICES = [
    ["list_name", "name", "label"], ["yes_no", "yes", "Yes"], ["yes_no", "no", "No"],
    ["contacts", "phone_call", "Phone call"], ["contacts", "text_message", "Text message"], ["contacts", "email", "Email"],
    ["toppings", "cheese", "Cheese"], ["toppings", "ham", "Ham"], ["toppings", "olives", None],
]


def test_getodk_docs_examples_relevance_required_and_regex():
    survey, report = imported(GETODK_SURVEY, GETODK_CHOICES)
    assert survey.question("favorite_team").show_if == Comparison("watch_sports", "eq", "yes")
    assert survey.question("name").required is True
    # regex(., '\p{L}') holds in ODK when a letter occurs anywhere; Python's re has no \p{L}: translated, not dropped
    initial = survey.question("middle_initial")
    assert isinstance(initial, TextQuestion) and initial.pattern is not None
    assert validate_answers(survey, {"name": "Ann", "middle_initial": "M"}).errors == {}
    assert validate_answers(survey, {"name": "Ann", "middle_initial": "Michael"}).errors == {}  # as ODK: a letter occurs
    assert set(validate_answers(survey, {"name": "Ann", "middle_initial": "42"}).errors) == {"middle_initial"}
    assert survey.question("ex").pattern == "^[a-zA-Z]{0,6}$"
    assert set(validate_answers(survey, {"name": "Ann", "ex": "abcdefg"}).errors) == {"ex"}
    assert survey.question("tel_no").pattern == "^[0-9]{11}$"
    assert [ch.label for ch in survey.question("toppings").choices] == ["Cheese", "Ham", "olives"]
    assert survey.question("display_sum").label == "a + b = ${a_plus_b}"
    assert report_of(report) == [
        (9, "choices:label", "missing_label"),  # was silent
        (4, "required_message", "column_ignored"),  # was silently dropped
        (5, "constraint_message", "constraint_message_hint"),
        (6, "constraint_message", "constraint_message_hint"),
        (8, "default", "column_ignored"),
        (10, "read_only", "column_ignored"), (10, "default", "column_ignored"),
        (11, "type", "unsupported_type"),  # calculate
        (13, "relevant", "relevant_unmapped"),  # count-selected(...) > 5
        (14, "label", "label_reference"),  # shown as written, not with the answer: was silent
    ]
    assert report[-1].params["names"] == "${a_plus_b}"


# A KoboToolbox-style community survey as Chinese districts write it: three label languages with Chinese the
# default, uppercase / trailing-space types, blank rows, `list name`, numeric codes typed as numbers, or_other,
# a choice_filter cascade, geopoint, calculate, repeat. The expression forms are the ones documented in
# getodk/docs src/form-logic.rst and used in pyxform's tests; `not(selected(${q}, '9')) and count-selected(${q}) > 0`
# is the shape of a relevant found in public XLSForm code.
KOBO_SURVEY = [
    ["type", "name", "label::English (en)", "label::Chinese (zh)", "label::Français (fr)", "hint::Chinese (zh)",
     "required", "relevant", "constraint", "constraint_message::Chinese (zh)", "appearance", "choice_filter", "parameters"],
    ["start", "start"],                                                                                            # 2
    ["SELECT_ONE yn ", "consent", "Consent?", "您是否同意参加本次调查？", "Consentez-vous ?", None, "yes"],          # 3
    ["integer ", "age", "Age", "您的年龄（周岁）", "Âge", "请填写整数", "TRUE", None, ". >= 0 and . <= 120",
     "年龄应在0到120之间"],                                                                                           # 4
    [],                                                                                                            # 5
    ["begin group", "main", "Main", "主要问题", "Principal", None, None, "${age} >= 18 and ${consent} = 'yes'", None,
     None, "field-list"],                                                                                          # 6
    ["Select_One sat", "sat", "Satisfaction", "您对社区服务的总体评价", "Satisfaction", None, "true()"],              # 7
    ["select_multiple probs or_other", "probs", "Problems", "存在哪些问题？（可多选）", "Problèmes", None, None,
     "${sat} <= 2", "count-selected(.) <= 3", None, "minimal"],                                                    # 8
    ["text", "probs_other", "Other", "其他问题，请注明", "Autre", None, "yes", "selected(${probs}, 'other')"],       # 9
    ["text", "detail", "Detail", "请具体说明", "Détail", None, None,
     "selected(${probs}, 'noise') and not(selected(${probs}, 'parking'))", "string-length(.) <= 10", "不超过10个字"],  # 10
    ["text", "phone", "Phone", "手机号码", "Téléphone", "11位手机号", None, None, "regex(., '^1[3-9][0-9]{9}$')",
     "请输入正确的手机号", "numbers"],                                                                                 # 11
    ["end group"],                                                                                                 # 12
    ["begin_group", "extra", "Extra", "补充信息", "Extra"],                                                         # 13
    ["select_one district", "district", "District", "所在街道", "Quartier"],                                        # 14
    ["select_one village", "village", "Village", "所在社区", "Village"] + [None] * 6 + ["district=${district}"],     # 15
    ["decimal", "income", "Income", "月收入（元）", "Revenu", None, None, "${age} > 18", ". >= 0"],                   # 16
    ["date", "visit", "Visit", "最近办事日期", "Visite", None, None, None, ". <= today()"],                           # 17
    ["range", "score", "Score", "打分", "Note"] + [None] * 7 + ["start=0 end=10 step=1"],                             # 18
    ["geopoint", "loc", "Location", "位置", "Lieu"],                                                                 # 19
    ["calculate", "age_next"],                                                                                     # 20
    ["select_multiple shocks", "shocks", "Shocks", "近一年遇到的困难", "Chocs"],                                      # 21
    ["integer", "weeks_lost", "Weeks", "误工周数", "Semaines", None, None,
     "not(selected(${shocks}, '9')) and count-selected(${shocks}) > 0"],                                          # 22
    ["note", "thanks", "Thanks", "谢谢！", "Merci"],                                                                # 23
    ["end_group"],                                                                                                 # 24
    ["begin_repeat", "members", "Members", "家庭成员", "Membres"],                                                  # 25
    ["text", "m_name", "Name", "姓名", "Nom"],                                                                      # 26
    ["end_repeat"],                                                                                                # 27
    [], [],
]
KOBO_CHOICES = [
    ["list name", "name", "label::English (en)", "label::Chinese (zh)", "label::Français (fr)", "district"],
    ["yn", "yes", "Yes", "是", "Oui"], ["yn", "no", "No", "否", "Non"],
    ["sat", 5, "Very satisfied", "非常满意", "Très satisfait"], ["sat", 4, "Satisfied", "满意", "Satisfait"],
    ["sat", 3, "Fair", "基本满意", "Moyen"], ["sat", 2, "Dissatisfied", "不满意", "Insatisfait"],
    ["sat", 1, "Very dissatisfied", "非常不满意", "Très insatisfait"],
    [],
    ["probs", "noise", "Noise", "噪音", "Bruit"], ["probs", "parking", "Parking", "停车难", "Stationnement"],
    ["district", "d1", "D1", "城关街道", "D1"], ["district", "d2", "D2", "东城街道", "D2"],                       # 12, 13
    ["village", "v1", "V1", "幸福社区", "V1", "d1"], ["village", "v2", "V2", "和平社区", "V2", "d2"],              # 14, 15
    ["shocks", 1, "Illness", "疾病", "Maladie"], ["shocks", 9, "None", "都没有", "Aucun"],
]
KOBO_SETTINGS = [["form_title", "form_id", "version", "default_language", "style"],
                 ["社区服务满意度调查（2024）", "community_sat_2024", "2024061501", "Chinese (zh)", "pages"]]


def test_kobo_style_trilingual_chinese_form():
    survey, report = imported(KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS, "社区调查.xlsx")
    assert (survey.id, survey.title) == ("community_sat_2024", "社区服务满意度调查（2024）")
    assert [(p.id, p.title, [q.id for q in p.questions]) for p in survey.pages] == [
        ("page1", "", ["consent", "age"]),
        ("main", "主要问题", ["sat", "probs", "probs_other", "detail", "phone"]),
        ("extra", "补充信息", ["district", "village", "income", "visit", "score", "shocks", "weeks_lost", "thanks"]),
    ]
    consent, age = survey.question("consent"), survey.question("age")
    assert isinstance(consent, SingleChoiceQuestion) and consent.label == "您是否同意参加本次调查？" and consent.required
    assert [(ch.value, ch.label) for ch in consent.choices] == [("yes", "是"), ("no", "否")]
    assert isinstance(age, NumberQuestion) and (age.integer, age.min, age.max, age.required) == (True, 0, 120, True)
    assert age.hint == "请填写整数 年龄应在0到120之间"
    group = AllOf((Comparison("age", "ge", 18), Comparison("consent", "eq", "yes")))
    sat = survey.question("sat")
    assert sat.required and sat.show_if == group and [ch.value for ch in sat.choices] == ["5", "4", "3", "2", "1"]
    probs = survey.question("probs")
    assert isinstance(probs, MultiChoiceQuestion) and probs.max_choices == 3
    # `${sat} <= 2` on numeric codes (ODK compares numbers): the codes 2 and 1
    assert probs.show_if == AllOf((group, Comparison("sat", "in", ("2", "1"))))
    # or_other: pyxform's extra choice `other`, so the "please specify" question keeps its condition
    assert [(ch.value, ch.label) for ch in probs.choices] == [("noise", "噪音"), ("parking", "停车难"), ("other", "其他")]
    assert survey.question("probs_other").show_if == AllOf((group, Comparison("probs", "contains", "other")))
    detail = survey.question("detail")
    assert detail.show_if == AllOf((group, AllOf((Comparison("probs", "contains", "noise"),
                                                  Not(Comparison("probs", "contains", "parking"))))))
    assert (detail.max_length, detail.hint) == (10, "不超过10个字")
    phone = survey.question("phone")
    assert phone.pattern == "^1[3-9][0-9]{9}$" and phone.hint == "11位手机号 请输入正确的手机号"
    assert survey.question("income").show_if == Comparison("age", "gt", 18) and survey.question("income").min == 0
    score = survey.question("score")
    assert (score.min, score.max, score.integer) == (0, 10, True)
    assert survey.question("weeks_lost").show_if == AllOf((Not(Comparison("shocks", "contains", "9")),
                                                           Comparison("shocks", "answered")))
    assert [ch.label for ch in survey.question("village").choices] == ["幸福社区", "和平社区"]
    assert report_of(report) == [
        (1, "survey:label::English (en)", "other_language"), (1, "survey:label::Français (fr)", "other_language"),
        (1, "choices:label::English (en)", "other_language"), (1, "choices:label::Français (fr)", "other_language"),
        (14, "choices:district", "column_ignored"), (15, "choices:district", "column_ignored"),  # the filter column
        (2, "type", "metadata_type"),
        (4, "constraint_message", "constraint_message_hint"),
        (8, "type", "or_other"),
        (10, "constraint_message", "constraint_message_hint"),
        (11, "constraint_message", "constraint_message_hint"),
        (15, "choice_filter", "choice_filter"),
        (17, "constraint", "constraint_unmapped"),  # . <= today()
        (19, "type", "unsupported_type"),  # geopoint
        (20, "type", "unsupported_type"),  # calculate
        (25, "type", "unsupported_type"),  # begin_repeat
        (26, "type", "inside_repeat"),
    ]
    # a resident's answers are checked exactly as the form says
    answers = {"consent": "yes", "age": "30", "sat": "2", "probs": ["noise"], "detail": "太吵了", "phone": "13912345678"}
    assert validate_answers(survey, answers).errors == {}
    assert set(validate_answers(survey, {**answers, "phone": "12345"}).errors) == {"phone"}


# SurveyCTO / older ODK spellings: `label:Chinese` (one colon), `select one` with a space, `jr:constraintMsg` and
# `bind::relevant` headers (aliases pyxform accepts, tests/test_sheet_columns.py and pyxform/tests_v1/test_for_loop.py),
# curly quotes from Excel's autocorrect (seen in public relevance-validator tests: selected(${assets}, ‘nets’)).
def test_surveycto_single_colon_languages_aliases_and_curly_quotes():
    survey, report = imported(
        [["type", "name", "label:English", "label:Chinese", "bind::relevant", "constraint", "jr:constraintMsg:Chinese"],
         ["select one assets_list", "assets", "Assets", "家中有哪些物品？", None, None, None],
         ["select_multiple assets_list", "owned", "Owned", "拥有的物品", None, None, None],
         ["integer", "nets", "How many nets?", "蚊帐数量", "selected(${owned}, ‘nets’)", ". >= 1", "至少1顶"],
         ["string", "remark", "Remark", "备注", "${assets} = “radio”", None, None]],
        [["list_name", "value", "label:English", "label:Chinese"],
         ["assets_list", "nets", "Bed nets", "蚊帐"], ["assets_list", "radio", "Radio", "收音机"]])
    assets = survey.question("assets")
    assert isinstance(assets, SingleChoiceQuestion) and assets.label == "家中有哪些物品？"
    assert [(ch.value, ch.label) for ch in assets.choices] == [("nets", "蚊帐"), ("radio", "收音机")]
    nets = survey.question("nets")
    assert (nets.show_if, nets.min, nets.hint) == (Comparison("owned", "contains", "nets"), 1, "至少1顶")
    assert isinstance(survey.question("remark"), TextQuestion)
    assert survey.question("remark").show_if == Comparison("assets", "eq", "radio")
    assert report_of(report) == [
        (1, "survey:label::English", "other_language"), (1, "choices:label::English", "other_language"),
        (4, "constraint_message", "constraint_message_hint"),
    ]


def test_group_relevance_with_or_and_numeric_codes_compared_both_ways():
    survey, _ = imported(
        [["type", "name", "label", "relevant"],
         ["select_one sat", "sat", "总体满意度", None],
         ["text", "why", "原因", "${sat} < 3 or ${sat} = 3"],
         ["text", "praise", "表扬", "4 <= ${sat}"],
         ["text", "never", "从不", "${sat} > 5"]],
        [["list_name", "name", "label"], ["sat", 5, "非常满意"], ["sat", 4, "满意"], ["sat", 3, "基本满意"],
         ["sat", 2, "不满意"], ["sat", 1, "非常不满意"]])
    assert survey.question("why").show_if == AnyOf((Comparison("sat", "in", ("2", "1")), Comparison("sat", "eq", "3")))
    assert survey.question("praise").show_if == Comparison("sat", "in", ("5", "4"))
    assert survey.question("never").show_if is None  # no code is above 5: reported, not guessed


# --- no crash on any input ------------------------------------------------------------------------------------


def test_inputs_that_are_not_forms_give_a_report_not_a_crash():
    for content in (b"", b"type,name,label\ntext,q,Q\n", b"PK\x03\x04garbage", "问卷".encode()):
        definition, report = xlsform_to_dict(content, "x.xlsx")
        assert report_of(report) == [(0, "", "not_xlsx")] and definition["questions"] == []
    old_xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # the OLE2 header of a .xls workbook
    definition, report = xlsform_to_dict(old_xls, "form.xls")
    assert report_of(report) == [(0, "", "old_xls")] and definition["questions"] == []
    assert "另存为" in report[0].message("zh") and "Save As" in report[0].message("en")
    book = Workbook()
    book.active.title = "Sheet1"
    buffer = io.BytesIO()
    book.save(buffer)
    assert report_of(xlsform_to_dict(buffer.getvalue(), "x.xlsx")[1]) == [(0, "", "no_survey_sheet")]
    _, report = xlsform_to_dict(xlsx([["type", "name", "label"]]), "headers.xlsx")
    assert report_of(report) == [(0, "survey", "no_questions_imported")]
    _, report = xlsform_to_dict(xlsx([["type", "name", "label"], [], ["calculate", "c", None], ["end group"]]), "h.xlsx")
    assert report_of(report) == [(3, "type", "unsupported_type"), (4, "type", "unbalanced_group"),
                                 (0, "survey", "no_questions_imported")]
    _, report = xlsform_to_dict(xlsx([]), "empty.xlsx")
    assert report_of(report) == [(1, "", "no_type_column")]


def test_weird_cells_do_not_crash():
    survey, report = imported(
        [["type", "name", "label", "relevant", "constraint", "required"],
         [True, 12, 3.5, None, None, None],
         ["text", "q1", "问题", "${", "regex(., '[')", "maybe"],
         ["integer", "q2", "数字", "((${q1} = 'a'", ". >= 'x'", 1],
         ["select_one", "q3", "无列表", None, None, None]])
    assert survey.question_ids() == ["q1", "q2"]
    assert survey.question("q2").required is True
    assert report_of(report) == [
        (2, "type", "unsupported_type"),
        (3, "required", "required_expression"), (3, "relevant", "relevant_unmapped"), (3, "constraint", "constraint_unmapped"),
        (4, "relevant", "relevant_unmapped"), (4, "constraint", "constraint_unmapped"),
        (5, "type", "unsupported_type"),
    ]


def test_workbook_with_a_wrong_stored_dimension_is_read_whole():
    """Some generators store the sheet dimension as "A1"; openpyxl's read-only mode then saw one column only."""
    content = xlsx([["type", "name", "label"], ["text", "q1", "姓名"], ["integer", "q2", "年龄"]])
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
                assert b'<dimension ref="A1"/>' in data
            target.writestr(item, data)
    definition, report = xlsform_to_dict(out.getvalue(), "dim.xlsx")
    survey = survey_from_dict(definition)
    assert [(q.id, q.label) for q in survey.questions] == [("q1", "姓名"), ("q2", "年龄")] and report == []


# KoboToolbox's "Download XLS" keeps its bookkeeping columns ($kuid, $autoname, $autovalue; the same keys as in the
# Kobo asset JSON `content.survey[]` / `content.choices[]`, e.g. KoboValidationService fixtures in public code):
# a row without `name` takes its $autoname, the rest is ignored and said so once.
def test_kobo_export_with_internal_columns():
    survey, report = imported(
        [["type", "$kuid", "label", "name", "$autoname", "required"],
         ["select_one kk7dz53", "hA1xY", "您对本次服务是否满意？", None, "_1", "true"],
         ["text", "Kq9zT", "请说明原因", "reason", "reason", None]],
        [["list_name", "$kuid", "name", "$autovalue", "label"],
         ["kk7dz53", "aB1", None, "yes", "满意"], ["kk7dz53", "aB2", "no", "no", "不满意"]])
    assert survey.question_ids() == ["_1", "reason"]
    assert survey.question("_1").required is True
    assert [(ch.value, ch.label) for ch in survey.question("_1").choices] == [("yes", "满意"), ("no", "不满意")]
    assert report_of(report) == [(1, "survey:$kuid", "internal_column"), (1, "choices:$kuid", "internal_column")]


def test_chinese_names_and_list_names_stay_apart():
    """ODK accepts Chinese names (XML names may be CJK); they used to collapse into one id "__", so the second
    question was dropped as a duplicate and two Chinese list names shared one list."""
    survey, report = imported(
        [["type", "name", "label", "relevant"],
         ["integer", "年龄", "您的年龄", None],
         ["select_one 性别", "性别", "您的性别", None],
         ["select_one 是否", "居住", "是否常住本社区", None],
         ["begin_group", "第二部分", "评价", "${年龄} >= 18"],
         ["text", "原因", "原因", "${性别} = '男' and ${居住} = '是'"],
         ["end_group", None, None, None]],
        [["list_name", "name", "label"], ["性别", "男", "男"], ["性别", "女", "女"], ["是否", "是", "是"], ["是否", "否", "否"]])
    assert [(p.id, [q.id for q in p.questions]) for p in survey.pages] == [("page1", ["q_2", "q_3", "q_4"]), ("page_5", ["q_6"])]
    assert [ch.value for ch in survey.question("q_3").choices] == ["男", "女"]
    assert [ch.value for ch in survey.question("q_4").choices] == ["是", "否"]
    assert survey.question("q_6").show_if == AllOf((Comparison("q_2", "ge", 18),
                                                    AllOf((Comparison("q_3", "eq", "男"), Comparison("q_4", "eq", "是")))))
    assert {(i.row, i.column, i.params["new"]) for i in report} == {
        (2, "choices:list_name", "list_2"), (4, "choices:list_name", "list_4"), (2, "name", "q_2"), (3, "name", "q_3"),
        (4, "name", "q_4"), (5, "survey:name", "page_5"), (6, "name", "q_6")}


def test_real_world_forms_publish_through_the_service(db, tree, principal_factory):
    from services import authoring

    admin = principal_factory("admin1", "admin", tree.district)
    outcome = authoring.import_xlsform(db, admin, xlsx(KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS), filename="社区调查.xlsx",
                                       publish_now=True)
    assert (outcome.survey_id, outcome.version, outcome.definition_errors) == ("community_sat_2024", 1, [])
    assert len(outcome.report) == 17
    outcome = authoring.import_xlsform(db, admin, xlsx(GETODK_SURVEY, GETODK_CHOICES), filename="form_logic.xlsx",
                                       publish_now=True)
    assert (outcome.survey_id, outcome.version, outcome.definition_errors) == ("form_logic", 1, [])
