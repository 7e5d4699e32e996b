"""The one catalogue of survey error codes, with zh and en message templates, and the error types that carry them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys.constants import DEFAULT_LANGUAGE

# --- Definition errors (a survey author has to fix the YAML) ---------------
# Placeholders: {where} is filled in by DefinitionError.message() from the
# question / page / choice list the error is about; the rest come from params.
DEFINITION_MESSAGES: dict[str, dict[str, str]] = {
    "yaml_syntax": {
        "zh": "第 {line} 行附近 YAML 格式错误：{detail}。请检查缩进、冒号和引号。",
        "en": "YAML syntax error near line {line}: {detail}. Check indentation, colons and quotes.",
    },
    "yaml_duplicate_key": {
        "zh": "第 {line} 行：键 “{key}” 在同一层重复出现；请删除或合并重复的一项。",
        "en": "line {line}: key '{key}' appears twice at the same level; remove or merge the duplicate.",
    },
    "not_a_mapping": {
        "zh": "{where}应为“键: 值”形式的映射，实际是 {detail}。",
        "en": "{where} must be a mapping of 'key: value' pairs, got {detail}.",
    },
    "file_unreadable": {
        "zh": "无法读取文件：{detail}。",
        "en": "cannot read the file: {detail}.",
    },
    "file_too_large": {
        "zh": "文件过大（{size} KB），问卷文件最大 {limit} KB。",
        "en": "the file is too large ({size} KB); a survey file may be at most {limit} KB.",
    },
    "not_utf8": {
        "zh": "第 {line} 行不是有效的 UTF-8 文本；请在编辑器中以 UTF-8 编码另存后重新导入（未作任何替换）。",
        "en": "line {line} is not valid UTF-8 text; save the file as UTF-8 in your editor and import it again (nothing was replaced).",
    },
    "control_char": {
        "zh": "{where}的 “{key}” 含有空字符（NUL）或其他控制字符；请删除后重试。",
        "en": "'{key}' in {where} contains a NUL or another control character; remove it and try again.",
    },
    "too_many_questions": {
        "zh": "问卷共有 {count} 道题，超过上限 {limit} 道；请拆分为几份问卷。",
        "en": "the survey has {count} questions, more than the limit of {limit}; split it into several surveys.",
    },
    "too_many_choices": {
        "zh": "{where}的 “{key}” 有 {count} 个选项，超过上限 {limit} 个；请精简选项，或改用文本题。",
        "en": "'{key}' in {where} has {count} choices, more than the limit of {limit}; shorten the list or use a text question.",
    },
    "too_many_pages": {
        "zh": "问卷共有 {count} 页，超过上限 {limit} 页。",
        "en": "the survey has {count} pages, more than the limit of {limit}.",
    },
    "missing_key": {
        "zh": "{where}缺少必填项 “{key}”；请补上。",
        "en": "{where} is missing the required key '{key}'; add it.",
    },
    "unknown_key": {
        "zh": "{where}中的 “{key}” 不是可用的设置项；可用项：{allowed}。",
        "en": "'{key}' is not a valid setting in {where}; valid settings: {allowed}.",
    },
    "wrong_type": {
        "zh": "{where}的 “{key}” 应为{expected}，实际是 “{value}”。",
        "en": "'{key}' in {where} must be {expected}, got '{value}'.",
    },
    "invalid_survey_id": {
        "zh": "问卷 id “{value}” 不合法；只能使用小写字母、数字、下划线和连字符（如 qunzhong_manyidu）。",
        "en": "survey id '{value}' is invalid; use only lowercase letters, digits, '_' and '-' (e.g. qunzhong_manyidu).",
    },
    "invalid_identifier": {
        "zh": "{where}的 {key} “{value}” 不合法；须以字母或下划线开头，只含字母、数字和下划线（如 q1、overall）。",
        "en": "{key} '{value}' in {where} is invalid; it must start with a letter or '_' and contain only letters, digits and '_' (e.g. q1, overall).",
    },
    "invalid_kind": {
        "zh": "问卷类别 “{value}” 不存在；可用类别：{allowed}。",
        "en": "survey kind '{value}' does not exist; valid kinds: {allowed}.",
    },
    "pages_and_questions": {
        "zh": "问卷不能同时有 “pages” 和 “questions”；单页问卷用 questions，多页问卷用 pages。",
        "en": "a survey cannot have both 'pages' and 'questions'; use questions for one page, pages for several.",
    },
    "no_questions": {
        "zh": "{where}没有任何问题；请在 “questions” 下至少添加一个问题。",
        "en": "{where} has no questions; add at least one under 'questions'.",
    },
    "unknown_type": {
        "zh": "问题 {question} 的类型 “{value}” 不存在；可用类型：{allowed}。",
        "en": "question {question}: type '{value}' does not exist; valid types: {allowed}.",
    },
    "duplicate_question_id": {
        "zh": "问题 id “{question}” 重复出现；每个问题的 id 必须唯一，请改名其中一个。",
        "en": "question id '{question}' is used more than once; ids must be unique, rename one of them.",
    },
    "duplicate_page_id": {
        "zh": "页面 id “{value}” 重复出现；请改名其中一个。",
        "en": "page id '{value}' is used more than once; rename one of them.",
    },
    "duplicate_choice_value": {
        "zh": "{where}的选项值 “{value}” 重复出现；每个选项的 value 必须唯一。",
        "en": "choice value '{value}' appears more than once in {where}; each choice value must be unique.",
    },
    "duplicate_row_id": {
        "zh": "问题 {question} 的矩阵行 id “{value}” 重复出现；请改名其中一行。",
        "en": "question {question}: matrix row id '{value}' is used more than once; rename one of the rows.",
    },
    "empty_list": {
        "zh": "{where}的 “{key}” 不能为空；请至少列出 {minimum} 项。",
        "en": "'{key}' in {where} cannot be empty; list at least {minimum} item(s).",
    },
    "missing_choices": {
        "zh": "问题 {question} 需要选项：请给出 “choices” 列表或 “choice_list” 名称（二选一）。",
        "en": "question {question} needs choices: give either a 'choices' list or a 'choice_list' name.",
    },
    "choices_and_choice_list": {
        "zh": "问题 {question} 同时给了 “choices” 和 “choice_list”；请只保留一个。",
        "en": "question {question} has both 'choices' and 'choice_list'; keep only one.",
    },
    "missing_choice_list": {
        "zh": "问题 {question} 引用的选项列表 “{name}” 不存在；已定义的列表：{available}。请在 choice_lists 下定义它或改正名称。",
        "en": "question {question} refers to choice list '{name}', which does not exist; defined lists: {available}. Define it under choice_lists or fix the name.",
    },
    "scale_not_int": {
        "zh": "{where}的量表值 “{value}” 必须是整数（如 5、4、3、2、1）。",
        "en": "scale value '{value}' in {where} must be a whole number (e.g. 5, 4, 3, 2, 1).",
    },
    "bad_regex": {
        "zh": "问题 {question} 的 pattern 不是有效的正则表达式：{detail}。",
        "en": "question {question}: pattern is not a valid regular expression: {detail}.",
    },
    "min_greater_than_max": {
        "zh": "问题 {question} 的 {min_key}（{min}）大于 {max_key}（{max}）；请改为 {min_key} ≤ {max_key}。",
        "en": "question {question}: {min_key} ({min}) is greater than {max_key} ({max}); make {min_key} ≤ {max_key}.",
    },
    "value_too_small": {
        "zh": "{where}的 “{key}” 为 {value}，不能小于 {minimum}。",
        "en": "'{key}' in {where} is {value}; it cannot be less than {minimum}.",
    },
    "value_too_large": {
        "zh": "{where}的 “{key}” 为 {value}，不能大于 {maximum}。",
        "en": "'{key}' in {where} is {value}; it cannot be greater than {maximum}.",
    },
    "invalid_date_setting": {
        "zh": "{where}的 “{key}” 值 “{value}” 不是有效日期；请写成 YYYY-MM-DD（如 2024-01-31）。",
        "en": "'{key}' in {where} is '{value}', not a valid date; write it as YYYY-MM-DD (e.g. 2024-01-31).",
    },
    "condition_bad_shape": {
        "zh": "问题 {question} 的显示条件 show_if 写法不对：{detail}。条件应为 {{question, op, value}}，或用 all / any / not 组合。",
        "en": "question {question}: show_if is malformed: {detail}. A condition is {{question, op, value}}, or combined with all / any / not.",
    },
    "condition_unknown_question": {
        "zh": "问题 {question} 的显示条件引用了不存在的问题 “{ref}”；请改为本问卷中前面已有的问题 id。",
        "en": "question {question}: show_if refers to question '{ref}', which does not exist; use the id of an earlier question in this survey.",
    },
    "condition_later_question": {
        "zh": "问题 {question} 的显示条件引用了问题 “{ref}”，但它不在 {question} 之前；条件只能引用前面的问题，请调整顺序。",
        "en": "question {question}: show_if refers to question '{ref}', which does not come before {question}; conditions may only refer to earlier questions, reorder them.",
    },
    "condition_unknown_op": {
        "zh": "问题 {question} 的显示条件运算符 “{op}” 不存在；可用运算符：{allowed}。",
        "en": "question {question}: show_if operator '{op}' does not exist; valid operators: {allowed}.",
    },
    "condition_op_not_for_type": {
        "zh": "问题 {question} 的显示条件对问题 {ref}（{type} 类型）不能用运算符 “{op}”；可用：{allowed}。",
        "en": "question {question}: show_if cannot use operator '{op}' on question {ref} (type {type}); valid here: {allowed}.",
    },
    "condition_bad_value": {
        "zh": "问题 {question} 的显示条件中，问题 {ref} 的比较值 “{value}” 不合适：{detail}。",
        "en": "question {question}: in show_if, the value '{value}' for question {ref} does not fit: {detail}.",
    },
    "duplicate_survey_id": {
        "zh": "问卷 id “{value}” 已被文件 {other} 使用；本文件未加载，请改用其他 id。",
        "en": "survey id '{value}' is already used by {other}; this file was not loaded, choose another id.",
    },
}

# Short phrases used inside definition messages ({detail}, {expected}).
DEFINITION_PHRASES: dict[str, dict[str, str]] = {
    "text": {"zh": "文字", "en": "text"},
    "bool": {"zh": " true 或 false", "en": "true or false"},
    "int": {"zh": "整数", "en": "a whole number"},
    "number": {"zh": "数字", "en": "a number"},
    "list": {"zh": "列表", "en": "a list"},
    "mapping": {"zh": "映射（键: 值）", "en": "a mapping (key: value)"},
    "choice_value": {"zh": "文字或整数", "en": "text or a whole number"},
    "scale_or_list": {"zh": "选项列表名称或量表列表", "en": "a choice list name or a list of scale points"},
    "not_a_choice": {"zh": "不是该问题的选项值；可用值：{allowed}", "en": "it is not one of that question's choice values; valid values: {allowed}"},
    "needs_list": {"zh": "该运算符需要一个非空列表", "en": "this operator needs a non-empty list"},
    "needs_no_value": {"zh": "该运算符不需要 value，请删除", "en": "this operator takes no value, remove it"},
    "needs_value": {"zh": "该运算符需要 value", "en": "this operator needs a value"},
    "needs_number": {"zh": "需要数字", "en": "a number is needed"},
    "needs_text": {"zh": "需要文字", "en": "text is needed"},
    "needs_date": {"zh": "需要 YYYY-MM-DD 格式的日期", "en": "a date written YYYY-MM-DD is needed"},
    "nps_range": {"zh": "推荐度取值为 0 到 10", "en": "a recommendation score is 0 to 10"},
    "on_note": {"zh": "说明文字（note）没有答案，不能作为条件", "en": "a note has no answer and cannot be used in a condition"},
    "one_key": {"zh": "组合条件只能有一个键（all、any 或 not）", "en": "a combined condition has exactly one key (all, any or not)"},
    "not_condition": {"zh": "条件应为映射", "en": "a condition must be a mapping"},
    "value_list": {"zh": "列表", "en": "a list"},
    "value_mapping": {"zh": "映射", "en": "a mapping"},
    "value_empty": {"zh": "空值", "en": "nothing"},
    "empty_combinator": {"zh": "all / any 需要非空的条件列表", "en": "all / any need a non-empty list of conditions"},
}

# --- Answer errors (a resident has to fix an answer) -----------------------
ANSWER_MESSAGES: dict[str, dict[str, str]] = {
    "required": {"zh": "此题为必答题，请作答。", "en": "This question is required; please answer it."},
    "incomplete_rows": {
        "zh": "请为每一项都选择评价，尚未作答：{rows}。",
        "en": "Please rate every item; not yet answered: {rows}.",
    },
    "too_short": {"zh": "请至少填写 {min_length} 个字（当前 {length} 个）。", "en": "Please write at least {min_length} characters (currently {length})."},
    "too_long": {"zh": "最多填写 {max_length} 个字（当前 {length} 个），请精简。", "en": "At most {max_length} characters allowed (currently {length}); please shorten it."},
    "pattern": {"zh": "填写格式不正确，请按提示重新填写。", "en": "The format is not valid; please follow the hint and try again."},
    "control_char": {"zh": "内容中含有无法保存的控制字符，请删除后重新提交。", "en": "The text contains a control character that cannot be saved; remove it and submit again."},
    "invalid_text": {"zh": "请填写文字。", "en": "Please enter text."},
    "out_of_range": {"zh": "请填写 {min} 到 {max} 之间的值。", "en": "Please enter a value between {min} and {max}."},
    "below_min": {"zh": "不能小于 {min}。", "en": "The value cannot be less than {min}."},
    "above_max": {"zh": "不能大于 {max}。", "en": "The value cannot be greater than {max}."},
    "too_few_choices": {"zh": "请至少选择 {min_choices} 项（当前 {count} 项）。", "en": "Please choose at least {min_choices} options (currently {count})."},
    "too_many_choices": {"zh": "最多选择 {max_choices} 项（当前 {count} 项）。", "en": "Choose at most {max_choices} options (currently {count})."},
    "invalid_choice": {"zh": "所选内容“{value}”不是本题的选项，请重新选择。", "en": "'{value}' is not an option of this question; please choose again."},
    "unknown_row": {"zh": "“{row}”不是本题的评价项。", "en": "'{row}' is not an item of this question."},
    "invalid_number": {"zh": "请填写数字。", "en": "Please enter a number."},
    "not_integer": {"zh": "请填写整数。", "en": "Please enter a whole number."},
    "invalid_date": {"zh": "请填写有效日期（格式 YYYY-MM-DD）。", "en": "Please enter a valid date (YYYY-MM-DD)."},
}

LOCATION_PHRASES: dict[str, dict[str, str]] = {
    # zh phrases end in a space when they end in an id, so "问题 q1 的" and "问卷的" both read well.
    "question": {"zh": "问题 {question} ", "en": "question {question}"},
    "choice_list": {"zh": "选项列表 {choice_list} ", "en": "choice list {choice_list}"},
    "page": {"zh": "页面 {page} ", "en": "page {page}"},
    "survey": {"zh": "问卷", "en": "the survey"},
    "file_prefix": {"zh": "{file}：", "en": "{file}: "},
}

_LIST_SEPARATOR = {"zh": "、", "en": ", "}


class _KeepMissing(dict[str, Any]):
    """Leaves an unknown {placeholder} visible instead of raising, so a message never crashes."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _lang(lang: str) -> str:
    return lang if lang in ("zh", "en") else DEFAULT_LANGUAGE


def _render_param(value: Any, lang: str) -> Any:
    if isinstance(value, (list, tuple)):
        return _LIST_SEPARATOR[lang].join(str(_render_param(item, lang)) for item in value) or "—"
    if value is None:
        return "—"
    return value


def format_message(template: str, params: Mapping[str, Any], lang: str) -> str:
    """Fill a catalogue template; lists are joined in the language's style."""
    rendered = _KeepMissing({key: _render_param(value, lang) for key, value in params.items()})
    return template.format_map(rendered)


def phrase(name: str, lang: str, **params: Any) -> str:
    """A short phrase from DEFINITION_PHRASES, e.g. for {expected} or {detail}."""
    return format_message(DEFINITION_PHRASES[name][_lang(lang)], params, _lang(lang))


@dataclass(frozen=True)
class DefinitionError:
    """One problem in a survey definition: a catalogue code, the file, the question (if any) and parameters.

    Params whose value is a key of DEFINITION_PHRASES wrapped as ("phrase", name, {..})
    are translated when the message is rendered, so one error renders in either language.
    """

    code: str
    file: str
    question: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def where(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The question / choice list / page / survey the error is about, in words."""
        return self._where(_lang(lang)).strip()

    def _where(self, lang: str) -> str:
        if self.question is not None:
            kind = "question"
        elif "choice_list" in self.params:
            kind = "choice_list"
        elif "page" in self.params:
            kind = "page"
        else:
            kind = "survey"
        values = {"question": self.question, **self.params}
        return format_message(LOCATION_PHRASES[kind][lang], values, lang)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The full message for the survey author, prefixed with the file name."""
        lang = _lang(lang)
        values: dict[str, Any] = {"where": self._where(lang), "question": self.question, "file": self.file}
        for key, value in self.params.items():
            values[key] = _translate_phrase(value, lang)
        body = format_message(DEFINITION_MESSAGES[self.code][lang], values, lang)
        return format_message(LOCATION_PHRASES["file_prefix"][lang], {"file": self.file}, lang) + body

    def __str__(self) -> str:
        return self.message()


def _translate_phrase(value: Any, lang: str) -> Any:
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "phrase":
        _, name, params = value
        return phrase(name, lang, **params)
    return value


def phrase_param(name: str, **params: Any) -> tuple[str, str, dict[str, Any]]:
    """A language-neutral param value that renders as DEFINITION_PHRASES[name]."""
    return ("phrase", name, params)


class SurveyDefinitionError(Exception):
    """A survey definition could not be loaded; `errors` lists every problem found."""

    def __init__(self, errors: Sequence[DefinitionError]) -> None:
        self.errors: list[DefinitionError] = list(errors)
        super().__init__(self.message("en"))

    @property
    def codes(self) -> list[str]:
        """The error codes, in the order found."""
        return [error.code for error in self.errors]

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """All problems, one per line."""
        return "\n".join(error.message(lang) for error in self.errors)


@dataclass(frozen=True)
class AnswerError:
    """One problem with a resident's answer to one question."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The message shown next to the question."""
        lang = _lang(lang)
        return format_message(ANSWER_MESSAGES[self.code][lang], self.params, lang)


# --- Import report (XLSForm definitions, paper responses): what was not mapped, by row and column ---
IMPORT_MESSAGES: dict[str, dict[str, str]] = {
    "not_xlsx": {"zh": "无法读取该文件：它不是有效的 .xlsx 工作簿（{detail}）。", "en": "cannot read the file: it is not a valid .xlsx workbook ({detail})."},
    "sheet_too_large": {"zh": "工作表过大：XLSForm 每个工作表最多 {rows} 行、{columns} 列，未读取。", "en": "the sheet is too large: an XLSForm sheet may have at most {rows} rows and {columns} columns; it was not read."},
    "no_survey_sheet": {"zh": "工作簿中没有 “survey” 工作表；XLSForm 至少需要 survey 表。", "en": "the workbook has no 'survey' sheet; an XLSForm needs at least that sheet."},
    "label_reference": {"zh": "文字中引用了答案（{names}）：本系统不会代入答案，将按原文显示，请在导入后修改文字。", "en": "the text refers to answers ({names}): answers are not inserted, it is shown as written; edit the text after import."},
    "old_xls": {"zh": "这是旧版 Excel（.xls）文件，无法直接读取；请在 Excel 中“另存为” .xlsx 后再导入。", "en": "this is an old Excel .xls file, which cannot be read; save it as .xlsx in Excel (Save As) and import that."},
    "internal_column": {"zh": "“{column}” 是 KoboToolbox 的内部列，已忽略。", "en": "'{column}' is a KoboToolbox internal column; it was ignored."},
    "no_questions_imported": {"zh": "没有导入任何题目：survey 表中没有可导入的题目行。", "en": "no question was imported: the survey sheet has no importable question rows."},
    "no_type_column": {"zh": "survey 表第 1 行缺少 “type” 或 “name” 列。", "en": "row 1 of the survey sheet lacks the 'type' or 'name' column."},
    "unsupported_type": {"zh": "题型 “{type}” 不受支持，此行未导入。", "en": "type '{type}' is not supported; this row was not imported."},
    "metadata_type": {"zh": "元数据字段 “{type}” 无需导入：提交时间和单位由系统自动记录。", "en": "metadata field '{type}' is not imported: submission time and unit are recorded automatically."},
    "inside_repeat": {"zh": "位于重复组（repeat）内，重复组不受支持，此行未导入。", "en": "inside a repeat group; repeats are not supported, so this row was not imported."},
    "or_other": {"zh": "“or_other” 已导入为选项 “other”（其他）；“请注明”填空不会自动生成，需要单独的题目（如 selected(${{题目}}, 'other') 时显示的文本题）。", "en": "'or_other' was imported as the choice 'other'; no 'please specify' box is added by itself: that needs its own question (e.g. a text question shown when selected(${{question}}, 'other'))."},
    "missing_choice_list": {"zh": "choices 表中没有选项列表 “{name}”，此题未导入。", "en": "the choices sheet has no list '{name}'; this question was not imported."},
    "choice_filter": {"zh": "选项筛选（choice_filter）不受支持：将显示全部选项。", "en": "choice_filter is not supported: every choice is shown."},
    "duplicate_choice": {"zh": "选项列表 {list} 中的选项值 “{value}” 重复，已跳过。", "en": "choice value '{value}' appears twice in list {list}; the duplicate was skipped."},
    "renamed_id": {"zh": "名称 “{old}” 不符合规则，已改为 “{new}”。", "en": "name '{old}' is not a valid identifier; renamed to '{new}'."},
    "duplicate_name": {"zh": "名称 “{name}” 重复，此行未导入。", "en": "name '{name}' is used twice; this row was not imported."},
    "missing_name": {"zh": "此行没有 name，未导入。", "en": "this row has no name; it was not imported."},
    "nested_group": {"zh": "嵌套分组已展开：组内题目并入外层页面。", "en": "nested group flattened: its questions were added to the outer page."},
    "unbalanced_group": {"zh": "分组的开始与结束不配对（{detail}）。", "en": "group begin and end do not match ({detail})."},
    "empty_group": {"zh": "分组 “{name}” 中没有可导入的题目，未生成页面。", "en": "group '{name}' has no importable questions; no page was made for it."},
    "required_expression": {"zh": "必答条件 “{expr}” 无法转换，此题按非必答导入。", "en": "required expression '{expr}' cannot be mapped; the question was imported as optional."},
    "relevant_unmapped": {"zh": "显示条件 “{expr}” 无法转换（{reason}），此题将始终显示。", "en": "relevant '{expr}' cannot be mapped ({reason}); the question is always shown."},
    "constraint_unmapped": {"zh": "约束 “{expr}” 无法转换（{reason}），此部分未导入。", "en": "constraint '{expr}' cannot be mapped ({reason}); that part was not imported."},
    "constraint_message_hint": {"zh": "约束提示 “{text}” 已附在题目说明（hint）中。", "en": "constraint message '{text}' was added to the question's hint."},
    "other_language": {"zh": "“{column}” 列未导入：问卷只保存一种语言，已使用 “{used}”。", "en": "column '{column}' was not imported: a survey holds one language, '{used}' was used."},
    "column_ignored": {"zh": "“{column}” 列的值 “{value}” 不受支持，已忽略。", "en": "value '{value}' in column '{column}' is not supported and was ignored."},
    "range_step": {"zh": "范围题步长 {step} 不受支持，只导入了最小值和最大值。", "en": "range step {step} is not supported; only the start and end were imported."},
    "missing_label": {"zh": "此行没有标签，已用名称 “{name}” 作标签。", "en": "this row has no label; its name '{name}' was used as the label."},
    "id_taken": {"zh": "问卷 id “{wanted}” 已存在，新问卷使用 “{used}”。", "en": "survey id '{wanted}' already exists; the new survey uses '{used}'."},
    # --- paper response import
    "paper_unreadable": {"zh": "无法读取该文件（{detail}）；请上传 CSV（UTF-8）或 .xlsx 文件。", "en": "cannot read the file ({detail}); upload a CSV (UTF-8) or .xlsx file."},
    "paper_no_rows": {"zh": "文件中没有数据行。", "en": "the file has no data rows."},
    "paper_no_unit_column": {"zh": "缺少单位编码列（unit / 单位编码）。", "en": "the unit code column (unit / 单位编码) is missing."},
    "paper_unknown_column": {"zh": "列 “{column}” 不对应任何题目，已忽略。", "en": "column '{column}' matches no question and was ignored."},
    "paper_duplicate_column": {"zh": "题目 {question} 对应了多个列（{column}）。", "en": "question {question} is matched by more than one column ({column})."},
    "paper_unknown_unit": {"zh": "单位编码 “{value}” 不存在。", "en": "unit code '{value}' does not exist."},
    "paper_unit_out_of_scope": {"zh": "单位 “{value}” 不在您的管辖范围内。", "en": "unit '{value}' is outside your scope."},
    "paper_missing_unit": {"zh": "缺少单位编码。", "en": "the unit code is missing."},
    "paper_bad_time": {"zh": "提交时间 “{value}” 无法识别；请写成 YYYY-MM-DD HH:MM。", "en": "submitted time '{value}' is not understood; write YYYY-MM-DD HH:MM."},
    "paper_hidden_answer": {"zh": "此题的显示条件不满足，不应作答（填写了 “{value}”）。", "en": "this question's condition is not met, so it must not be answered (got '{value}')."},
    "paper_not_published": {"zh": "问卷 {id} 尚未发布，不能导入答卷。", "en": "survey {id} has no published version; responses cannot be imported."},
}


# Why an XLSForm expression could not be mapped: the {reason} inside relevant_unmapped / constraint_unmapped.
IMPORT_REASONS: dict[str, dict[str, str]] = {
    "unexpected": {"zh": "无法识别 “{text}”", "en": "'{text}' is not understood"},
    "ends_early": {"zh": "表达式不完整", "en": "the expression ends too early"},
    "expected": {"zh": "此处应为 “{text}”", "en": "'{text}' was expected"},
    "not_args": {"zh": "not() 只能有一个参数", "en": "not() takes one argument"},
    "not_earlier": {"zh": "“{name}” 不是前面已导入的题目", "en": "'{name}' is not an earlier imported question"},
    "is_note": {"zh": "“{name}” 是说明文字，没有答案", "en": "'{name}' is a note and has no answer"},
    "not_comparison": {"zh": "不是简单比较", "en": "not a simple comparison"},
    "selected_args": {"zh": "selected() 需要一个题目和一个选项值", "en": "selected() needs a question and a value"},
    "selected_no_choices": {"zh": "selected() 用在了没有选项的题目上", "en": "selected() on a question without choices"},
    "not_choice": {"zh": "“{value}” 不是 {name} 的选项", "en": "'{value}' is not a choice of {name}"},
    "count_other": {"zh": "{function}() 只支持 “> 0”", "en": "{function}() is supported only as '> 0'"},
    "needs_ref": {"zh": "比较的一边须是 ${{题目}}", "en": "one side of a comparison must be ${{question}}"},
    "op_type": {"zh": "“{op}” 不能用于 {type} 类型的题目", "en": "'{op}' cannot be used on a {type} question"},
    "date_literal": {"zh": "日期须写成 date('YYYY-MM-DD')", "en": "a date must be written date('YYYY-MM-DD')"},
    "literal": {"zh": "比较值须是数字或 '文字'", "en": "the value must be a number or 'text'"},
    "not_number": {"zh": "“{value}” 不是数字", "en": "'{value}' is not a number"},
    "strict_decimal": {"zh": "小数不能用严格大于/小于作界限", "en": "a strict bound on a decimal"},
    "bad_op": {"zh": "不支持 “{op}”", "en": "'{op}' is not supported"},
    "regex_not_text": {"zh": "regex() 只能用于填空题", "en": "regex() only works on text questions"},
    "bad_regex": {"zh": "正则表达式有误：{detail}", "en": "bad regular expression: {detail}"},
    "only_self": {"zh": "只支持对 “.” 的比较", "en": "only comparisons with '.' can be mapped"},
    "strict_date": {"zh": "日期不能用严格大于/小于作界限", "en": "a strict date bound"},
    "bound_literal": {"zh": "界限须是数字或 date('YYYY-MM-DD')", "en": "the bound must be a number or date('YYYY-MM-DD')"},
    "length_limit": {"zh": "字数限制须在 1 到 {maximum} 之间", "en": "a length limit must be 1 to {maximum}"},
    "not_simple": {"zh": "不是对 “.” 的简单界限", "en": "not a simple bound on '.'"},
    "no_constraint_type": {"zh": "{type} 类型的题目不支持约束", "en": "a {type} question takes no constraint"},
    "min_above_max": {"zh": "最小值大于最大值", "en": "the minimum is above the maximum"},
}


def reason_param(code: str, **params: Any) -> tuple[str, str, dict[str, Any]]:
    """A language-neutral {reason} param that renders as IMPORT_REASONS[code]."""
    return ("reason", code, params)


@dataclass(frozen=True)
class ImportIssue:
    """One line of an import report: the sheet row (as numbered in the sheet; 0 = the whole file), the column and why."""

    row: int
    column: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """Why, in the user's language (answer-check codes are shared with ANSWER_MESSAGES)."""
        lang = _lang(lang)
        template = IMPORT_MESSAGES.get(self.code) or ANSWER_MESSAGES.get(self.code) or {lang: self.code}
        params = {
            key: format_message(IMPORT_REASONS[value[1]][lang], value[2], lang)
            if isinstance(value, tuple) and len(value) == 3 and value[0] == "reason" else value
            for key, value in self.params.items()
        }
        return format_message(template[lang], params, lang)
