"""XLSForm (.xlsx: survey / choices / settings sheets) to a survey definition dict, with a report of what was not mapped.

Mapping (one canonical type each, see constants.QUESTION_TYPES):

- select_one L → single_choice (choice_list L); select_multiple L → multi_choice; ``or_other`` → the list plus
  pyxform's ``other`` choice (list ``L_or_other``; reported: the "specify" box stays a question of its own)
- integer → number (integer); decimal → number; range → number (min/max from ``parameters`` start/end, pyxform's
  defaults start=0 end=10; any case, separated by spaces, commas or semicolons)
- text → text (appearance multiline → multiline); date → date; note → note
- begin_group / end_group (also ``begin group``) → pages; a group's ``relevant`` is added to each of its questions;
  nested groups are flattened into the outer page (reported)
- required yes/true/TRUE() → required
- relevant: ``${q} = 'x'``, ``!=``, ``<`` ``<=`` ``>`` ``>=``, ``selected(${q}, 'x')``, ``${q} != ''``,
  ``string-length(${q}) > 0``, ``not(...)``, ``and`` / ``or`` and parentheses → show_if; ``${q} <= 2`` on a
  select_one with numeric codes → ``in`` the codes that satisfy it (ODK compares them as numbers)
- constraint on ``.``: number bounds → min/max; ``string-length(.)`` → min_length/max_length; ``regex(., 'p')``
  → pattern (ODK tests whether p occurs anywhere: an unanchored p is wrapped for a full match; Java's ``\\p{L}``
  is translated); ``count-selected(.)`` → min_choices/max_choices; date bounds → min/max
- label / hint in one language: the settings' default_language, else Chinese, else the plain column;
  other ``label::<language>`` columns are reported; constraint_message is appended to the hint (reported)

Headers are read as pyxform reads them: any case, spaces for ``_`` (``list name``), aliases (``bind::relevant``,
``jr:constraintMsg``, ``value``), SurveyCTO's ``label:chinese``; curly quotes from Excel count as straight ones.
Names that are not identifiers are renamed (Chinese names → ``q_<row>``, kept unique) and reported.

Everything else (calculate, geopoint, repeat, image, media, required_message, ``${x}`` inside a label, …) is listed
in the report with its sheet row and column; nothing is dropped silently.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from surveys import constants as c
from surveys.errors import ImportIssue, reason_param
from surveys.model import IDENTIFIER_RE

REPEAT_BEGIN = ("begin_repeat", "begin repeat")
REPEAT_END = ("end_repeat", "end repeat")
GROUP_BEGIN = ("begin_group", "begin group")
GROUP_END = ("end_group", "end group")
METADATA_TYPES = (
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email",
    "audit", "start-geopoint", "background-audio",
)
SIMPLE_TYPES = {"integer": c.NUMBER, "decimal": c.NUMBER, "text": c.TEXT, "date": c.DATE, "note": c.NOTE, "range": c.NUMBER}
TRUE_WORDS = ("yes", "true", "true()", "1", "y")
FALSE_WORDS = ("", "no", "false", "false()", "0", "n")
# Columns whose content this importer uses; anything else with a value is reported once per row.
KNOWN_COLUMNS = ("type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message",
                 "parameters", "appearance")
IGNORABLE_APPEARANCES = ("", "minimal", "horizontal", "horizontal-compact", "likert", "quick", "field-list",
                         "compact", "columns", "no-calendar", "numbers")
# A survey sheet of MAX_QUESTIONS questions plus groups, or choices of a few full lists, is far below these; rows
# beyond them are never read (services.uploads bounds the unpacked size before the workbook is opened).
XLSFORM_MAX_ROWS = 20_000
XLSFORM_MAX_COLUMNS = 200
LANGUAGE_NAMES = {"chinese": "zh", "中文": "zh", "简体中文": "zh", "汉语": "zh", "zh": "zh", "zh-cn": "zh", "zh-hans": "zh",
                  "mandarin": "zh", "english": "en", "英文": "en", "英语": "en", "en": "en"}


class Unmappable(Exception):
    """An expression part this importer cannot express; `reason` (an IMPORT_REASONS code) is shown in the report."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.reason = reason_param(code, **params)


# --- expressions -------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*[^}\s]+\s*\})
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<name>[A-Za-z_][A-Za-z0-9_.:-]*)
      | (?P<dot>\.)
    )""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    """XPath-ish tokens: (kind, text)."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise Unmappable("unexpected", text=text[pos:pos + 10])
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent: or → and → not / ( ) / comparison / function call."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise Unmappable("ends_early")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token[1] != text:
            raise Unmappable("expected", text=text)

    def parse(self) -> Any:
        node = self.parse_or()
        if self.peek() is not None:
            raise Unmappable("unexpected", text=self.peek()[1])  # type: ignore[index]
        return node

    def parse_or(self) -> Any:
        parts = [self.parse_and()]
        while self.peek() == ("name", "or"):
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def parse_and(self) -> Any:
        parts = [self.parse_comparison()]
        while self.peek() == ("name", "and"):
            self.take()
            parts.append(self.parse_comparison())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def parse_comparison(self) -> Any:
        left = self.parse_operand()
        token = self.peek()
        if token is not None and token[0] == "op":
            self.take()
            right = self.parse_operand()
            return ("cmp", left, token[1], right)
        return left

    def parse_operand(self) -> Any:
        kind, text = self.take()
        if kind == "ref":
            return ("ref", text[2:-1].strip())
        if kind == "dot":
            return ("self",)
        if kind == "str":
            return ("lit", text[1:-1])
        if kind == "num":
            return ("lit", float(text) if "." in text else int(text))
        if text == "(":
            node = self.parse_or()
            self.expect(")")
            return node
        if kind == "name" and self.peek() == ("punct", "("):
            self.take()
            args: list[Any] = []
            if self.peek() != ("punct", ")"):
                args.append(self.parse_or())
                while self.peek() == ("punct", ","):
                    self.take()
                    args.append(self.parse_or())
            self.expect(")")
            if text == "not":
                if len(args) != 1:
                    raise Unmappable("not_args")
                return ("not", args[0])
            return ("call", text, args)
        raise Unmappable("unexpected", text=text)


SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def parse_expression(text: str) -> Any:
    """The syntax tree of an XLSForm expression (raises Unmappable); curly quotes count as straight ones."""
    return _Parser(text.translate(SMART_QUOTES)).parse()


_OPS = {"=": c.OP_EQ, "!=": c.OP_NE, "<": c.OP_LT, "<=": c.OP_LE, ">": c.OP_GT, ">=": c.OP_GE}
_FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _date_literal(node: Any) -> str | None:
    if node[0] == "lit" and isinstance(node[1], str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", node[1]):
        return node[1]
    if node[0] == "call" and node[1] == "date" and len(node[2]) == 1:
        return _date_literal(node[2][0])
    return None


# --- relevant → show_if --------------------------------------------------------


class _ConditionMapper:
    """Turns a relevant expression into a show_if dict, checked against the questions read so far."""

    def __init__(self, questions: dict[str, dict[str, Any]], names: dict[str, str], choice_lists: dict[str, list[dict[str, Any]]]) -> None:
        self.questions = questions
        self.names = names  # XLSForm name -> question id
        self.choice_lists = choice_lists

    def target(self, name: str) -> dict[str, Any]:
        qid = self.names.get(name)
        if qid is None or qid not in self.questions:
            raise Unmappable("not_earlier", name=name)
        question = self.questions[qid]
        if question[c.TYPE] == c.NOTE:
            raise Unmappable("is_note", name=name)
        return question

    def choice_values(self, question: dict[str, Any]) -> list[str]:
        return [str(ch[c.VALUE]) for ch in self.choice_lists.get(question.get(c.CHOICE_LIST, ""), [])]

    def map(self, node: Any) -> dict[str, Any]:
        kind = node[0]
        if kind in ("or", "and"):
            return {c.ANY if kind == "or" else c.ALL: [self.map(part) for part in node[1]]}
        if kind == "not":
            return {c.NOT: self.map(node[1])}
        if kind == "call" and node[1] == "selected":
            return self.selected(node[2])
        if kind == "cmp":
            return self.comparison(node[1], node[2], node[3])
        raise Unmappable("not_comparison")

    def selected(self, args: list[Any]) -> dict[str, Any]:
        if len(args) != 2 or args[0][0] != "ref" or args[1][0] != "lit":
            raise Unmappable("selected_args")
        question = self.target(args[0][1])
        value = str(args[1][1])
        if question[c.TYPE] not in (c.SINGLE_CHOICE, c.MULTI_CHOICE):
            raise Unmappable("selected_no_choices")
        if value not in self.choice_values(question):
            raise Unmappable("not_choice", value=value, name=args[0][1])
        op = c.OP_CONTAINS if question[c.TYPE] == c.MULTI_CHOICE else c.OP_EQ
        return {c.QUESTION: question[c.ID], c.OP: op, c.VALUE: value}

    def codes_satisfying(self, question: dict[str, Any], op: str, bound: Any) -> list[str]:
        """The numeric choice values v of `question` with ``v op bound`` (empty if any value or the bound is not a number)."""
        try:
            limit = float(bound)
            codes = [(value, float(value)) for value in self.choice_values(question)]
        except ValueError:
            return []
        test = {"<": limit.__gt__, "<=": limit.__ge__, ">": limit.__lt__, ">=": limit.__le__}[op]
        return [value for value, number in codes if test(number)]

    def comparison(self, left: Any, op: str, right: Any) -> dict[str, Any]:
        if left[0] != "ref" and right[0] == "ref":
            left, right, op = right, left, _FLIP[op]
        if left[0] == "call" and left[1] in ("string-length", "count-selected") and len(left[2]) == 1 and left[2][0][0] == "ref":
            if right == ("lit", 0) and op in (">", "!="):
                return {c.QUESTION: self.target(left[2][0][1])[c.ID], c.OP: c.OP_ANSWERED}
            if right == ("lit", 0) and op == "=":
                return {c.QUESTION: self.target(left[2][0][1])[c.ID], c.OP: c.OP_NOT_ANSWERED}
            raise Unmappable("count_other", function=left[1])
        if left[0] != "ref":
            raise Unmappable("needs_ref")
        question = self.target(left[1])
        qtype = question[c.TYPE]
        if right == ("lit", "") and op in ("=", "!="):
            return {c.QUESTION: question[c.ID], c.OP: c.OP_NOT_ANSWERED if op == "=" else c.OP_ANSWERED}
        model_op = _OPS[op]
        if qtype == c.SINGLE_CHOICE and model_op in c.ORDER_OPERATORS and right[0] == "lit":
            # ``${sat} <= 2`` on numeric choice codes (ODK compares them as numbers): the codes that satisfy it
            matching = self.codes_satisfying(question, op, right[1])
            if matching:
                return {c.QUESTION: question[c.ID], c.OP: c.OP_IN, c.VALUE: matching}
        if model_op not in c.OPERATORS_BY_TYPE.get(qtype, ()):
            raise Unmappable("op_type", op=op, type=qtype)
        if qtype == c.DATE:
            value: Any = _date_literal(right)
            if value is None:
                raise Unmappable("date_literal")
        elif right[0] != "lit":
            raise Unmappable("literal")
        elif qtype == c.NUMBER:
            value = right[1]
            if isinstance(value, str):
                try:
                    value = float(value) if "." in value else int(value)
                except ValueError:
                    raise Unmappable("not_number", value=right[1]) from None
        else:
            value = str(right[1])
            if qtype == c.SINGLE_CHOICE and value not in self.choice_values(question):
                raise Unmappable("not_choice", value=value, name=left[1])
        return {c.QUESTION: question[c.ID], c.OP: model_op, c.VALUE: value}


# --- constraint → validation settings -------------------------------------------


def _parts(node: Any) -> list[Any]:
    return node[1] if node[0] == "and" else [node]


def unparse(node: Any) -> str:
    """An expression tree written back as text (for the report)."""
    kind = node[0]
    if kind in ("and", "or"):
        return f" {kind} ".join(unparse(p) for p in node[1])
    if kind == "not":
        return f"not({unparse(node[1])})"
    if kind == "cmp":
        return f"{unparse(node[1])} {node[2]} {unparse(node[3])}"
    if kind == "call":
        return f"{node[1]}({', '.join(unparse(a) for a in node[2])})"
    if kind == "ref":
        return "${" + node[1] + "}"
    if kind == "self":
        return "."
    return f"'{node[1]}'" if isinstance(node[1], str) else str(node[1])


def _bound(setting: dict[str, Any], op: str, n: Any, low_key: str, high_key: str, whole: bool) -> None:
    """Record `. op n` as an inclusive bound; strict bounds only for whole numbers."""
    if op in (">", "<"):
        if not whole or not isinstance(n, int):
            raise Unmappable("strict_decimal")
        n = n + 1 if op == ">" else n - 1
    if op in (">", ">="):
        setting[low_key] = n
    elif op in ("<", "<="):
        setting[high_key] = n
    else:
        raise Unmappable("bad_op", op=op)


def map_constraint(node: Any, qtype: str, integer: bool) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validation settings from a constraint, and the (part, reason) pairs that could not be mapped."""
    settings: dict[str, Any] = {}
    failed: list[tuple[str, str]] = []
    for part in _parts(node):
        try:
            _map_constraint_part(part, qtype, integer, settings)
        except Unmappable as exc:
            failed.append((unparse(part), exc.reason))
    return settings, failed


# Java regex classes ODK forms use that Python's re lacks.
_UNICODE_CLASSES = {r"\p{L}": r"[^\W\d_]", r"\P{L}": r"[\W\d_]", r"\p{N}": r"\d", r"\P{N}": r"\D",
                    r"\p{Nd}": r"\d", r"\p{IsHan}": r"[\u4e00-\u9fff\u3400-\u4dbf]", r"\p{Han}": r"[\u4e00-\u9fff\u3400-\u4dbf]"}


def odk_pattern(pattern: str) -> str:
    """An ODK ``regex(., p)`` pattern for a full match: ODK tests whether p occurs anywhere in the answer, while a
    question's pattern must match all of it, so an unanchored p is wrapped; Java's \\p{L} classes are translated."""
    for java, python in _UNICODE_CLASSES.items():
        pattern = pattern.replace(java, python)
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern
    return f"(?s).*(?:{pattern}).*"


def _map_constraint_part(part: Any, qtype: str, integer: bool, settings: dict[str, Any]) -> None:
    if part[0] == "call" and part[1] == "regex" and len(part[2]) == 2 and part[2][0] == ("self",) and part[2][1][0] == "lit":
        if qtype != c.TEXT:
            raise Unmappable("regex_not_text")
        pattern = odk_pattern(str(part[2][1][1]))
        try:
            re.compile(pattern)
        except re.error as exc:
            raise Unmappable("bad_regex", detail=str(exc)) from None
        settings[c.PATTERN] = pattern
        return
    if part[0] != "cmp":
        raise Unmappable("only_self")
    left, op, right = part[1], part[2], part[3]
    if left[0] == "lit" or (left[0] == "call" and left[1] == "date"):
        left, right, op = right, left, _FLIP[op]
    if left == ("self",):
        if qtype == c.NUMBER and right[0] == "lit" and not isinstance(right[1], str):
            _bound(settings, op, right[1], c.MIN, c.MAX, integer)
            return
        if qtype == c.DATE and _date_literal(right) is not None:
            if op in ("<", ">"):
                raise Unmappable("strict_date")
            _bound(settings, op, _date_literal(right), c.MIN, c.MAX, False)
            return
        raise Unmappable("bound_literal")
    if left[0] == "call" and left[2] == [("self",)] and right[0] == "lit" and isinstance(right[1], int):
        if left[1] == "string-length" and qtype == c.TEXT:
            _bound(settings, op, right[1], c.MIN_LENGTH, c.MAX_LENGTH, True)
            if settings.get(c.MAX_LENGTH, 1) > c.TEXT_MAX_LENGTH or settings.get(c.MAX_LENGTH, 1) < 1:
                raise Unmappable("length_limit", maximum=c.TEXT_MAX_LENGTH)
            return
        if left[1] == "count-selected" and qtype == c.MULTI_CHOICE:
            _bound(settings, op, right[1], c.MIN_CHOICES, c.MAX_CHOICES, True)
            return
    raise Unmappable("not_simple")


# --- workbook reading ----------------------------------------------------------


@dataclass
class _Sheet:
    """A sheet as header names (lower-cased key part, language kept) and data rows with their sheet row numbers."""

    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


# pyxform's spellings of the same column (``bind::relevant``, ``jr:constraintMsg``, ``list name`` …) → ours.
HEADER_ALIASES = {
    "bind::relevant": "relevant", "bind:relevant": "relevant", "relevance": "relevant", "skip_logic": "relevant",
    "bind::constraint": "constraint", "bind:constraint": "constraint",
    "bind::required": "required", "bind:required": "required",
    "bind::jr:constraintmsg": "constraint_message", "bind:jr:constraintmsg": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "bind::jr:requiredmsg": "required_message", "bind:jr:requiredmsg": "required_message", "jr:requiredmsg": "required_message",
    "control::appearance": "appearance", "control:appearance": "appearance",
    "bind::calculate": "calculation", "bind:calculate": "calculation", "calculate": "calculation",
    "caption": "label", "value": "name", "id_string": "form_id",
}
# Columns that may carry a language suffix (``label::Chinese (zh)``; SurveyCTO writes ``label:chinese``).
LANGUAGE_COLUMNS = ("label", "hint", "constraint_message", "required_message", "guidance_hint")


def _column_key(text: str) -> str:
    key = re.sub(r"\s+", "_", text.strip().lower())
    return HEADER_ALIASES.get(key, key)


def _normalise_header(value: Any) -> str:
    """A header as pyxform reads it: case-insensitive, spaces as ``_``, aliases resolved, language part kept."""
    text = str(value if value is not None else "").strip()
    whole = re.sub(r"\s+", "_", text.lower())
    if whole in HEADER_ALIASES:
        return HEADER_ALIASES[whole]
    if "::" in text:
        key, lang = text.split("::", 1)
    elif ":" in text and _column_key(text.rsplit(":", 1)[0]) in LANGUAGE_COLUMNS:
        key, lang = text.rsplit(":", 1)  # SurveyCTO: label:chinese, constraint message:chinese, jr:constraintMsg:chinese
    else:
        key, lang = text, ""
    key = _column_key(key)
    return f"{key}::{lang.strip()}" if lang.strip() else key


class _SheetTooLarge(Exception):
    def __init__(self, sheet: str) -> None:
        super().__init__(sheet)
        self.sheet = sheet


def _read_sheet(workbook: Any, name: str) -> _Sheet | None:
    sheet = next((workbook[s] for s in workbook.sheetnames if s.strip().lower() == name), None)
    if sheet is None:
        return None
    if hasattr(sheet, "reset_dimensions"):  # read-only mode trusts the stored dimension; some tools write "A1",
        sheet.reset_dimensions()            # a hostile file A1:XFD1048576 to have every row padded to it
    rows = sheet.iter_rows(values_only=True, max_col=XLSFORM_MAX_COLUMNS + 1, max_row=XLSFORM_MAX_ROWS + 1)
    header_row = next(rows, None)
    if header_row is None:
        return _Sheet([])
    if len(header_row) > XLSFORM_MAX_COLUMNS and header_row[XLSFORM_MAX_COLUMNS] is not None:
        raise _SheetTooLarge(name)
    headers = [_normalise_header(h) for h in header_row]
    out = _Sheet(headers)
    for number, values in enumerate(rows, start=2):
        if number > XLSFORM_MAX_ROWS:  # rows stream in; a sheet that jumps to row 1,048,576 stops here
            raise _SheetTooLarge(name)
        record = {h: v for h, v in zip(headers, values) if h and v is not None and str(v).strip() != ""}
        for kobo, ours in (("$autoname", "name"), ("$autovalue", "name")):  # KoboToolbox's generated names
            if kobo in record and ours not in record:
                record[ours] = record[kobo]
        record = {h: v for h, v in record.items() if not h.startswith("$")}  # reported once, on row 1
        if record:
            out.rows.append((number, record))
    return out


# Older and tool-specific spellings pyxform still accepts.
TYPE_PREFIX_ALIASES = (("select all that apply ", "select_multiple "), ("select multiple ", "select_multiple "),
                       ("select one ", "select_one "), ("select1 ", "select_one "))
TYPE_ALIASES = {"string": "text", "int": "integer"}


def canonical_type(raw: str) -> str:
    """``select one yn`` → ``select_one yn``, ``string`` → ``text``; anything else unchanged (list names keep their case)."""
    low = raw.lower()
    for alias, canonical in TYPE_PREFIX_ALIASES:
        if low.startswith(alias):
            return canonical + raw[len(alias):]
    return TYPE_ALIASES.get(low, raw)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


def _language_of(column_language: str) -> str:
    """A language code from a column's language part: ``Chinese (zh)``, ``Chinese (Simplified)``, ``中文``, ``zh-CN``."""
    text = column_language.strip()
    match = re.search(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\)\s*$", text)
    if match:
        return match.group(1).lower()
    name = re.sub(r"\s*[(（].*$", "", text).strip().lower()
    return LANGUAGE_NAMES.get(name, LANGUAGE_NAMES.get(name.replace("_", "-"), name))


class _Importer:
    """Reads one workbook into a definition dict, appending to `report` everything it could not map."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.report: list[ImportIssue] = []
        self.choice_lists: dict[str, list[dict[str, Any]]] = {}
        self.list_names: dict[str, str] = {}  # XLSForm list_name -> model list name
        self.questions: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}  # XLSForm name -> question id
        self.used_ids: set[str] = set()
        self.language_column: dict[str, str | None] = {}

    def issue(self, row: int, where: str, code: str, **params: Any) -> None:
        self.report.append(ImportIssue(row, where, code, params))

    # -- languages: one label language for the whole form
    def choose_language(self, headers: list[str], default_language: str | None) -> str | None:
        labelled = [h.split("::", 1)[1] for h in headers if h.startswith("label::")]
        if not labelled:
            return None
        by_code = {_language_of(col): col for col in labelled}
        if default_language:
            wanted = _language_of(default_language)
            if wanted in by_code:
                return by_code[wanted]
            if default_language in labelled:
                return default_language
        if "zh" in by_code:
            return by_code["zh"]
        if "label" in headers:
            return None
        return labelled[0]

    def localized(self, record: dict[str, Any], key: str, language: str | None) -> str:
        if language is not None:
            value = _text(record.get(f"{key}::{language}"))
            if value:
                return value
        value = _text(record.get(key))
        if value:
            return value
        for column, raw in record.items():  # any language at all rather than nothing
            if column.startswith(f"{key}::") and _text(raw):
                return _text(raw)
        return ""

    def report_internal_columns(self, sheet: str, headers: list[str]) -> None:
        """KoboToolbox's own bookkeeping columns ($kuid, $xpath, …) are ignored, and said so once."""
        for header in headers:
            if header.startswith("$") and header not in ("$autoname", "$autovalue"):
                self.issue(1, f"{sheet}:{header}", "internal_column", column=header)

    def report_other_languages(self, sheet: str, headers: list[str], language: str | None) -> None:
        used = f"label::{language}" if language else "label"
        for header in headers:
            base = header.split("::", 1)[0]
            if "::" in header and base in LANGUAGE_COLUMNS and header != f"{base}::{language}":
                self.issue(1, f"{sheet}:{header}", "other_language", column=header, used=used)

    # -- ids
    def make_id(self, raw: str, row: int, column: str, prefix: str = "q_", taken: Any = ()) -> str:
        """An identifier for an XLSForm name, unique among `taken`; Chinese names (年龄) become prefix + sheet row."""
        candidate = raw
        if not IDENTIFIER_RE.fullmatch(candidate):
            candidate = re.sub(r"[^A-Za-z0-9_]+", "_", candidate).strip("_")
            if not candidate:
                candidate = f"{prefix}{row}"
            elif not IDENTIFIER_RE.fullmatch(candidate):  # starts with a digit
                candidate = "q_" + candidate
        base, n = candidate, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        if candidate != raw:
            self.issue(row, column, "renamed_id", old=raw, new=candidate)
        return candidate

    # -- choices
    def read_choices(self, sheet: _Sheet | None, language: str | None) -> None:
        if sheet is None:
            return
        for row, record in sheet.rows:
            list_name = _text(record.get("list_name") or record.get("list name"))
            value = _text(record.get("name"))
            if not list_name or not value:
                continue
            for column in record:
                if column not in ("list_name", "list name", "name", "label") and not column.startswith("label::"):
                    if column not in ("filter",):
                        self.issue(row, f"choices:{column}", "column_ignored", column=column, value=_text(record[column]))
            if list_name not in self.list_names:
                self.list_names[list_name] = self.make_id(list_name, row, "choices:list_name", "list_", self.choice_lists)
                self.choice_lists[self.list_names[list_name]] = []
            choices = self.choice_lists[self.list_names[list_name]]
            if any(ch[c.VALUE] == value for ch in choices):
                self.issue(row, "choices:name", "duplicate_choice", list=list_name, value=value)
                continue
            label = self.localized(record, "label", language)
            if not label:
                self.issue(row, "choices:label", "missing_label", name=value)
                label = value
            self.check_references(row, "choices:label", label)
            choices.append({c.VALUE: value, c.LABEL: label})

    # -- survey rows
    def read_survey(self, sheet: _Sheet, language: str | None) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        loose: dict[str, Any] | None = None  # the page collecting questions outside any group
        groups: list[tuple[int, str, dict[str, Any] | None, dict[str, Any] | None]] = []  # (row, name, page, relevant)
        repeat_depth = 0
        page_ids: set[str] = set()

        def new_page(raw_id: str, title: str, row: int) -> dict[str, Any]:
            base = self.make_id(raw_id, row, "survey:name", "page_") if raw_id else f"page{len(pages) + 1}"
            page_id, n = base, 1
            while page_id in page_ids:
                n += 1
                page_id = f"{base}_{n}"
            page_ids.add(page_id)
            page = {c.ID: page_id, c.TITLE: title, c.QUESTIONS: []}
            pages.append(page)
            return page

        for row, record in sheet.rows:
            raw_type = canonical_type(re.sub(r"\s+", " ", _text(record.get("type"))).strip())
            type_word = raw_type.lower()
            name = _text(record.get("name"))
            if not raw_type:
                if name or record.get("label"):
                    self.issue(row, "type", "unsupported_type", type="")
                continue
            if type_word in REPEAT_BEGIN:
                repeat_depth += 1
                self.issue(row, "type", "unsupported_type", type=raw_type)
                continue
            if type_word in REPEAT_END:
                repeat_depth = max(0, repeat_depth - 1)
                continue
            if repeat_depth:
                self.issue(row, "type", "inside_repeat")
                continue
            if type_word in GROUP_BEGIN:
                relevant = self.relevance(record, row)
                self.report_group_columns(row, record, language)
                if groups:
                    self.issue(row, "type", "nested_group")
                    outer = groups[-1]
                    combined = self.combine(outer[3], relevant)
                    groups.append((row, name, outer[2], combined))
                else:
                    title = self.localized(record, "label", language)
                    groups.append((row, name, new_page(name, title, row), relevant))
                loose = None
                continue
            if type_word in GROUP_END:
                if not groups:
                    self.issue(row, "type", "unbalanced_group", detail="end_group")
                else:
                    groups.pop()
                continue
            question = self.read_question(row, record, raw_type, language)
            if question is None:
                continue
            group_relevant = groups[-1][3] if groups else None
            if group_relevant is not None:
                question[c.SHOW_IF] = self.combine(group_relevant, question.get(c.SHOW_IF))
            if groups:
                page = groups[-1][2]
            else:
                if loose is None:
                    loose = new_page("", "", row)
                page = loose
            assert page is not None
            page[c.QUESTIONS].append(question)
            self.questions[question[c.ID]] = question
        for row, name, _, _ in groups:
            self.issue(row, "type", "unbalanced_group", detail=f"begin_group {name}")
        kept = []
        for page in pages:
            if page[c.QUESTIONS]:
                if not page[c.TITLE]:
                    del page[c.TITLE]
                kept.append(page)
            else:
                self.issue(0, "survey", "empty_group", name=page[c.ID])
        return kept

    def report_group_columns(self, row: int, record: dict[str, Any], language: str | None) -> None:
        """A group row's columns other than its name, title and relevance (appearance, intent, …) are reported."""
        for column, value in record.items():
            key = column.split("::", 1)[0]
            if key in ("type", "name", "relevant") or (key in LANGUAGE_COLUMNS and column not in (key, f"{key}::{language}")):
                continue
            if key == "label" or (key == "appearance" and _text(value).lower() in IGNORABLE_APPEARANCES):
                continue
            self.issue(row, column, "column_ignored", column=column, value=_text(value))

    @staticmethod
    def combine(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
        if first is None:
            return second
        if second is None:
            return first
        return {c.ALL: [first, second]}

    def check_references(self, row: int, column: str, text: str) -> None:
        """``${name}`` in a label is ODK's way to show an earlier answer; here the text is shown as written: reported."""
        names = re.findall(r"\$\{\s*([^}\s]+)\s*\}", text or "")
        if names:
            self.issue(row, column, "label_reference", names=", ".join("${" + n + "}" for n in dict.fromkeys(names)))

    def relevance(self, record: dict[str, Any], row: int) -> dict[str, Any] | None:
        expr = _text(record.get("relevant"))
        if not expr:
            return None
        try:
            return _ConditionMapper(self.questions, self.names, self.choice_lists).map(parse_expression(expr))
        except Unmappable as exc:
            self.issue(row, "relevant", "relevant_unmapped", expr=expr, reason=exc.reason)
            return None

    def read_question(self, row: int, record: dict[str, Any], raw_type: str, language: str | None) -> dict[str, Any] | None:
        words = raw_type.split(" ")
        base = words[0].lower()
        if base in METADATA_TYPES:
            self.issue(row, "type", "metadata_type", type=raw_type)
            return None
        if base in ("select_one", "select_multiple"):
            if len(words) < 2:
                self.issue(row, "type", "unsupported_type", type=raw_type)
                return None
            qtype = c.SINGLE_CHOICE if base == "select_one" else c.MULTI_CHOICE
        elif base in SIMPLE_TYPES and len(words) == 1:
            qtype = SIMPLE_TYPES[base]
        else:
            self.issue(row, "type", "unsupported_type", type=raw_type)
            return None
        if not record.get("name"):
            self.issue(row, "name", "missing_name")
            return None
        name = _text(record["name"])
        if name in self.names:
            self.issue(row, "name", "duplicate_name", name=name)
            return None
        qid = self.make_id(name, row, "name", "q_", self.used_ids)
        if qid in self.used_ids:
            self.issue(row, "name", "duplicate_name", name=name)
            return None
        label = self.localized(record, "label", language)
        if not label:
            self.issue(row, "label", "missing_label", name=name)
            label = name
        question: dict[str, Any] = {c.ID: qid, c.TYPE: qtype, c.LABEL: label}
        hint = self.localized(record, "hint", language)
        self.check_references(row, "label", label)
        self.check_references(row, "hint", hint)
        if qtype in (c.SINGLE_CHOICE, c.MULTI_CHOICE):
            list_name = words[1]
            if list_name not in self.list_names:
                self.issue(row, "type", "missing_choice_list", name=list_name)
                return None
            question[c.CHOICE_LIST] = self.list_names[list_name]
            if len(words) > 2:
                if [w.lower() for w in words[2:]] == ["or_other"]:
                    question[c.CHOICE_LIST] = self.with_other(question[c.CHOICE_LIST], language, label)
                    self.issue(row, "type", "or_other")
                else:
                    self.issue(row, "type", "unsupported_type", type=raw_type)
        if base == "integer":
            question[c.INTEGER] = True
        if base == "range":
            self.range_settings(row, record, question)
        required = _text(record.get("required")).lower()
        if qtype != c.NOTE and required:
            if required in TRUE_WORDS:
                question[c.REQUIRED] = True
            elif required not in FALSE_WORDS:
                self.issue(row, "required", "required_expression", expr=_text(record.get("required")))
        show_if = self.relevance(record, row)
        if show_if is not None:
            question[c.SHOW_IF] = show_if
        self.constraint(row, record, question, qtype)
        message = self.localized(record, "constraint_message", language)
        if message:
            hint = f"{hint} {message}".strip() if hint else message
            self.issue(row, "constraint_message", "constraint_message_hint", text=message)
        if hint:
            question[c.HINT] = hint
        appearance = _text(record.get("appearance")).lower()
        if appearance == "multiline" and qtype == c.TEXT:
            question[c.MULTILINE] = True
        elif appearance not in IGNORABLE_APPEARANCES:
            self.issue(row, "appearance", "column_ignored", column="appearance", value=appearance)
        for column, value in record.items():
            key = column.split("::", 1)[0]
            if key in LANGUAGE_COLUMNS and column not in (key, f"{key}::{language}"):
                continue  # another language: reported once, on row 1
            if key in KNOWN_COLUMNS:
                continue
            if key == "choice_filter":
                self.issue(row, column, "choice_filter")
            else:
                self.issue(row, column, "column_ignored", column=column, value=_text(value))
        self.names[name] = qid
        self.used_ids.add(qid)
        return question

    def with_other(self, list_id: str, language: str | None, label: str) -> str:
        """The list plus ODK's ``other`` choice (as pyxform adds for ``or_other``), kept apart from the plain list."""
        other_id = f"{list_id}_or_other"
        if other_id not in self.choice_lists:
            chinese = _language_of(language) == "zh" if language else bool(re.search(r"[\u4e00-\u9fff]", label))
            choices = [dict(ch) for ch in self.choice_lists[list_id]]
            if not any(str(ch[c.VALUE]) == "other" for ch in choices):
                choices.append({c.VALUE: "other", c.LABEL: "其他" if chinese else "Other"})
            self.choice_lists[other_id] = choices
        return other_id

    def range_settings(self, row: int, record: dict[str, Any], question: dict[str, Any]) -> None:
        params: dict[str, str] = {}
        for key, raw in re.findall(r"([^\s=,;]+)\s*=\s*([^\s,;]*)", _text(record.get("parameters"))):
            if key.lower() in ("start", "end", "step") and re.fullmatch(r"-?\d+(?:\.\d+)?", raw):
                params[key.lower()] = raw
            else:
                self.issue(row, "parameters", "column_ignored", column="parameters", value=f"{key}={raw}")

        def number(text: str) -> int | float:
            value = float(text)
            return int(value) if value.is_integer() else value

        start, end, step = number(params.get("start", "0")), number(params.get("end", "10")), number(params.get("step", "1"))
        question[c.MIN], question[c.MAX] = min(start, end), max(start, end)
        if isinstance(step, int) and isinstance(start, int):
            question[c.INTEGER] = True
            if step != 1:
                self.issue(row, "parameters", "range_step", step=step)
        else:
            self.issue(row, "parameters", "range_step", step=step)

    def constraint(self, row: int, record: dict[str, Any], question: dict[str, Any], qtype: str) -> None:
        expr = _text(record.get("constraint"))
        if not expr:
            return
        try:
            tree = parse_expression(expr)
        except Unmappable as exc:
            self.issue(row, "constraint", "constraint_unmapped", expr=expr, reason=exc.reason)
            return
        if qtype in (c.NOTE, c.SINGLE_CHOICE):
            self.issue(row, "constraint", "constraint_unmapped", expr=expr, reason=reason_param("no_constraint_type", type=qtype))
            return
        settings, failed = map_constraint(tree, qtype, bool(question.get(c.INTEGER)))
        for part, reason in failed:
            self.issue(row, "constraint", "constraint_unmapped", expr=part, reason=reason)
        for key, value in settings.items():
            if key in (c.MIN, c.MAX) and key in question:  # a range's own bounds: keep the narrower
                value = max(value, question[key]) if key == c.MIN else min(value, question[key])
            question[key] = value
        low, high = question.get(c.MIN, question.get(c.MIN_LENGTH)), question.get(c.MAX, question.get(c.MAX_LENGTH))
        if low is not None and high is not None and low > high:
            self.issue(row, "constraint", "constraint_unmapped", expr=expr, reason=reason_param("min_above_max"))
            for key in settings:
                question.pop(key, None)


def _settings(sheet: _Sheet | None) -> dict[str, str]:
    if sheet is None or not sheet.rows:
        return {}
    return {key: _text(value) for key, value in sheet.rows[0][1].items()}


# Report codes that mean the file could not be read as an XLSForm at all (nothing to import).
UNREADABLE = frozenset({"old_xls", "not_xlsx", "no_survey_sheet", "no_type_column", "sheet_too_large"})


def unreadable(report: list[ImportIssue]) -> list[ImportIssue]:
    """The issues of ``report`` that mean the file is not a readable XLSForm."""
    return [issue for issue in report if issue.code in UNREADABLE]


def xlsform_to_dict(content: bytes, filename: str = "form.xlsx") -> tuple[dict[str, Any], list[ImportIssue]]:
    """A survey definition dict (for survey_from_dict) and the import report; a file that is not an XLSForm
    gives an empty-question definition and the reason in the report."""
    from openpyxl import load_workbook

    importer = _Importer(filename)
    stem = re.sub(r"\.[A-Za-z]+$", "", filename.rsplit("/", 1)[-1]) or "form"
    definition: dict[str, Any] = {c.ID: stem, c.TITLE: stem}
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an old binary .xls (OLE2), which pyxform also reads
        importer.issue(0, "", "old_xls")
        definition[c.QUESTIONS] = []
        return definition, importer.report
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-workbook
        importer.issue(0, "", "not_xlsx", detail=type(exc).__name__)
        definition[c.QUESTIONS] = []
        return definition, importer.report
    try:
        survey_sheet = _read_sheet(workbook, "survey")
        choices_sheet = _read_sheet(workbook, "choices")
        settings = _settings(_read_sheet(workbook, "settings"))
    except _SheetTooLarge as exc:
        importer.issue(0, exc.sheet, "sheet_too_large", rows=XLSFORM_MAX_ROWS, columns=XLSFORM_MAX_COLUMNS)
        definition[c.QUESTIONS] = []
        return definition, importer.report
    finally:
        workbook.close()
    if survey_sheet is None:
        importer.issue(0, "", "no_survey_sheet")
        definition[c.QUESTIONS] = []
        return definition, importer.report
    if "type" not in survey_sheet.headers or not {"name", "$autoname"} & set(survey_sheet.headers):
        importer.issue(1, "", "no_type_column")
        definition[c.QUESTIONS] = []
        return definition, importer.report
    default_language = settings.get("default_language")
    language = importer.choose_language(survey_sheet.headers, default_language)
    importer.report_other_languages("survey", survey_sheet.headers, language)
    importer.report_internal_columns("survey", survey_sheet.headers)
    if choices_sheet is not None:
        importer.report_other_languages("choices", choices_sheet.headers, language)
        importer.report_internal_columns("choices", choices_sheet.headers)
    importer.read_choices(choices_sheet, language)
    pages = importer.read_survey(survey_sheet, language)
    if not pages:
        importer.issue(0, "survey", "no_questions_imported")
    form_id = settings.get("form_id") or stem
    definition[c.ID] = re.sub(r"[^a-z0-9_-]+", "_", form_id.lower()).strip("_-") or "form"
    title = settings.get("form_title") or stem
    if language is not None and settings.get(f"form_title::{language}"):
        title = settings[f"form_title::{language}"]
    definition[c.TITLE] = title
    used_lists = {q.get(c.CHOICE_LIST) for page in pages for q in page[c.QUESTIONS]}
    lists = {name: choices for name, choices in importer.choice_lists.items() if name in used_lists and choices}
    if lists:
        definition[c.CHOICE_LISTS] = lists
    definition[c.PAGES] = pages
    for key in settings:
        if key.split("::", 1)[0] not in ("form_title", "form_id", "default_language", "version", "style", "instance_name"):
            importer.issue(2, f"settings:{key}", "column_ignored", column=key, value=settings[key])
    return definition, importer.report
