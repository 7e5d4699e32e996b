"""Builders for XLSForm .xlsx fixtures written the way ODK / Kobo users write them."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook


def xlsx(survey: list[list[Any]], choices: list[list[Any]] | None = None, settings: list[list[Any]] | None = None) -> bytes:
    """A workbook with the given sheets (first row of each list is the header)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices is not None:
        choice_sheet = book.create_sheet("choices")
        for row in choices:
            choice_sheet.append(row)
    if settings is not None:
        settings_sheet = book.create_sheet("settings")
        for row in settings:
            settings_sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# A Kobo-style community satisfaction form: two languages, groups with relevance, constraints, and
# rows this importer cannot map (calculate, geopoint, a repeat, image, metadata).
BILINGUAL_SURVEY = [
    ["type", "name", "label::Chinese (zh)", "label::English (en)", "hint::Chinese (zh)", "required", "relevant",
     "constraint", "constraint_message::Chinese (zh)", "appearance", "calculation"],
    ["start", "start", None, None, None, None, None, None, None, None, None],
    ["today", "today", None, None, None, None, None, None, None, None, None],
    ["begin_group", "basic", "基本情况", "Basic information", None, None, None, None, None, "field-list", None],
    ["integer", "age", "您的年龄", "Your age", "请填写周岁", "yes", None, ". >= 18 and . <= 120", "年龄须在18到120之间", None, None],
    ["select_one yes_no", "is_resident", "您是否本社区居民？", "Do you live here?", None, "TRUE()", None, None, None, None, None],
    ["select_multiple services", "used_services", "您使用过哪些服务？", "Services used", None, None,
     "${is_resident} = 'yes'", "count-selected(.) <= 2", None, "minimal", None],
    ["end_group", "basic", None, None, None, None, None, None, None, None, None],
    ["begin group", "opinion", "评价", "Opinion", None, None, "${age} >= 18", None, None, None, None],
    ["select_one sat5", "overall", "总体满意度", "Overall satisfaction", None, "yes", None, None, None, None, None],
    ["text", "why_unhappy", "请说明不满意的原因", "Why?", None, None,
     "${overall} = '1' or ${overall} = '2'", "string-length(.) <= 200", None, "multiline", None],
    ["decimal", "score", "打分", "Score", None, None, "selected(${used_services}, 'health') and ${age} > 60",
     ". > 0", None, None, None],
    ["range", "stars", "星级", "Stars", None, None, None, None, None, None, None],
    ["date", "visit_date", "最近一次办事日期", "Last visit", None, None, None, ". >= date('2020-01-01') and . <= today()", None, None, None],
    ["end group", None, None, None, None, None, None, None, None, None, None],
    ["calculate", "age_band", None, None, None, None, None, None, None, None, "if(${age} > 60, 'old', 'young')"],
    ["geopoint", "location", "位置", "Location", None, None, None, None, None, None, None],
    ["begin_repeat", "members", "家庭成员", "Members", None, None, None, None, None, None, None],
    ["text", "member_name", "姓名", "Name", None, None, None, None, None, None, None],
    ["end_repeat", None, None, None, None, None, None, None, None, None, None],
    ["image", "photo", "照片", "Photo", None, None, None, None, None, None, None],
    ["note", "thanks", "感谢您的参与！", "Thank you!", None, None, None, None, None, None, None],
]
BILINGUAL_CHOICES = [
    ["list_name", "name", "label::Chinese (zh)", "label::English (en)"],
    ["yes_no", "yes", "是", "Yes"],
    ["yes_no", "no", "否", "No"],
    ["services", "health", "医疗", "Health"],
    ["services", "elderly", "养老", "Elderly care"],
    ["services", "jobs", "就业", "Jobs"],
    ["sat5", 5, "非常满意", "Very satisfied"],
    ["sat5", 4, "满意", "Satisfied"],
    ["sat5", 3, "基本满意", "Fairly satisfied"],
    ["sat5", 2, "不满意", "Dissatisfied"],
    ["sat5", 1, "非常不满意", "Very dissatisfied"],
]
BILINGUAL_SETTINGS = [["form_title", "form_id", "version", "default_language"],
                      ["社区服务满意度调查", "community_service", "2024061501", "Chinese (zh)"]]
