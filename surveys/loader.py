"""Loading survey definitions from YAML (collecting every problem found) and dumping them back, exactly."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from surveys import constants as c
from surveys.errors import DefinitionError, SurveyDefinitionError, phrase_param
from surveys.model import (
    DEFAULT_SCALE,
    IDENTIFIER_RE,
    QUESTION_CLASSES,
    SURVEY_ID_RE,
    AllOf,
    AnyOf,
    Choice,
    Comparison,
    Condition,
    MatrixRow,
    MultiChoiceQuestion,
    Not,
    NoteQuestion,
    NpsQuestion,
    Page,
    Question,
    RatingQuestion,
    SingleChoiceQuestion,
    Survey,
    TextQuestion,
    choice_values,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"

_MISSING: Any = object()


# --- YAML reading ----------------------------------------------------------


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


class _DuplicateKeyError(yaml.MarkedYAMLError):
    pass


def _construct_mapping_no_duplicates(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, Hashable) and key in seen:
            raise _DuplicateKeyError(problem=str(key), problem_mark=key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_timestamp_or_text(loader: _StrictSafeLoader, node: yaml.ScalarNode) -> Any:
    # PyYAML raises a bare ValueError for 2024-13-01; keep it as text so the
    # definition check reports it against its question and key.
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_no_duplicates)
_StrictSafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_or_text)


def _read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise SurveyDefinitionError(
            [DefinitionError("yaml_duplicate_key", source, None, {"line": line, "key": exc.problem})]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        detail = getattr(exc, "problem", None) or str(exc)
        raise SurveyDefinitionError([DefinitionError("yaml_syntax", source, None, {"line": line, "detail": detail})]) from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. unhashable keys, deep nesting
        raise SurveyDefinitionError([DefinitionError("yaml_syntax", source, None, {"line": 0, "detail": str(exc)})]) from None


# --- Dict -> model, collecting errors --------------------------------------


def _yaml_type_name(value: Any) -> Any:
    """How a wrong value is shown in a message: the value itself, or a phrase for a list / mapping / nothing."""
    if isinstance(value, list):
        return phrase_param("value_list")
    if isinstance(value, dict):
        return phrase_param("value_mapping")
    if value is None:
        return phrase_param("value_empty")
    return str(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _SurveyParser:
    """Walks a definition dict once, recording every problem instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[DefinitionError] = []
        self.choice_lists: dict[str, tuple[Choice, ...]] = {}
        self.all_question_ids: set[str] = set()
        self.earlier: dict[str, Question] = {}
        self.broken: set[str] = set()

    # -- error helpers --
    def error(self, code: str, question: str | None = None, **params: Any) -> None:
        self.errors.append(DefinitionError(code, self.source, question, params))

    def check_keys(self, data: Mapping[str, Any], allowed: tuple[str, ...], question: str | None, **where: Any) -> None:
        for key in data:
            if key not in allowed:
                self.error("unknown_key", question, key=key, allowed=list(allowed), **where)

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        kind: str,
        question: str | None,
        default: Any = None,
        required: bool = False,
        **where: Any,
    ) -> Any:
        """Read one scalar setting of the given kind ('text', 'bool', 'int', 'number'); report and return default if wrong."""
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.error("missing_key", question, key=key, **where)
            return default
        ok = {
            "text": lambda v: isinstance(v, str),
            "bool": lambda v: isinstance(v, bool),
            "int": _is_int,
            "number": _is_number,
        }[kind](value)
        if not ok:
            self.error("wrong_type", question, key=key, expected=phrase_param(kind), value=_yaml_type_name(value), **where)
            return default
        if kind == "text" and required and not value.strip():
            self.error("missing_key", question, key=key, **where)
            return default
        return value

    def get_non_negative_int(self, data: Mapping[str, Any], key: str, question: str | None, minimum: int = 0) -> int | None:
        value: int | None = self.get(data, key, "int", question)
        if value is not None and value < minimum:
            self.error("value_too_small", question, key=key, value=value, minimum=minimum)
            return None
        return value

    # -- survey --
    def parse_survey(self, data: Any) -> Survey | None:
        if not isinstance(data, dict):
            self.error("not_a_mapping", None, detail=_yaml_type_name(data))
            return None
        self.errors.extend(storable_errors(data, self.source))
        if self.errors:  # a 10,000-question file is refused before it is walked
            return None
        self.check_keys(data, c.SURVEY_KEYS, None)

        survey_id = self.get(data, c.ID, "text", None, required=True)
        if survey_id is not None and not SURVEY_ID_RE.fullmatch(survey_id):
            self.error("invalid_survey_id", None, value=survey_id)
        title = self.get(data, c.TITLE, "text", None, required=True)
        intro = self.get(data, c.INTRO, "text", None, default="")
        kind = self.get(data, c.KIND, "text", None, default=c.DEFAULT_KIND)
        if kind not in c.SURVEY_KINDS:
            self.error("invalid_kind", None, value=kind, allowed=list(c.SURVEY_KINDS))
        satisfied_level = self.get(data, c.SATISFIED_LEVEL, "int", None, default=c.DEFAULT_SATISFIED_LEVEL)

        self.parse_choice_lists(data.get(c.CHOICE_LISTS))

        raw_pages = self.raw_pages(data)
        self.collect_question_ids(raw_pages)
        pages: list[Page] = []
        page_ids: set[str] = set()
        for index, raw_page in enumerate(raw_pages, start=1):
            page = self.parse_page(raw_page, index)
            if page is None:
                continue
            if page.id in page_ids:
                self.error("duplicate_page_id", None, value=page.id)
            page_ids.add(page.id)
            pages.append(page)

        if self.errors:
            return None
        return Survey(
            id=survey_id,
            title=title,
            intro=intro,
            kind=kind,
            satisfied_level=satisfied_level,
            choice_lists=self.choice_lists,
            pages=tuple(pages),
        )

    def check_control_characters(self, data: Any) -> None:
        """Report every text holding a NUL or another control character (never stored), naming the question."""
        budget = [_WALK_BUDGET]

        def walk(node: Any, key: str, question: str | None, where: dict[str, Any]) -> None:
            budget[0] -= 1
            if budget[0] < 0:
                return
            if isinstance(node, str):
                if _CONTROL.search(node):
                    self.error("control_char", question, key=key, **where)
            elif isinstance(node, dict):
                if isinstance(node.get(c.TYPE), str) and isinstance(node.get(c.ID), str):
                    question = node[c.ID]
                for k, value in node.items():
                    walk(k, str(k), question, where)
                    walk(value, str(k), question, where)
            elif isinstance(node, list):
                for item in node:
                    walk(item, key, question, where)

        walk(data, c.ID, None, {})

    def raw_pages(self, data: Mapping[str, Any]) -> list[Any]:
        has_pages = data.get(c.PAGES) is not None
        has_questions = data.get(c.QUESTIONS) is not None
        if has_pages and has_questions:
            self.error("pages_and_questions", None)
            return []
        if has_questions:
            return [{c.ID: c.DEFAULT_PAGE_ID, c.QUESTIONS: data[c.QUESTIONS]}]
        if not has_pages:
            self.error("no_questions", None)
            return []
        pages = data[c.PAGES]
        if not isinstance(pages, list):
            self.error("wrong_type", None, key=c.PAGES, expected=phrase_param("list"), value=_yaml_type_name(pages))
            return []
        if not pages:
            self.error("empty_list", None, key=c.PAGES, minimum=1)
        return pages

    def collect_question_ids(self, raw_pages: list[Any]) -> None:
        # Known up front so a condition can tell "later question" from "no such question".
        for raw_page in raw_pages:
            questions = raw_page.get(c.QUESTIONS) if isinstance(raw_page, dict) else None
            for raw in questions if isinstance(questions, list) else []:
                if isinstance(raw, dict) and isinstance(raw.get(c.ID), str):
                    self.all_question_ids.add(raw[c.ID])

    def parse_page(self, data: Any, index: int) -> Page | None:
        if not isinstance(data, dict):
            self.error("not_a_mapping", None, page=f"#{index}", detail=_yaml_type_name(data))
            return None
        page_id = self.get(data, c.ID, "text", None, required=True, page=f"#{index}")
        where: dict[str, Any] = {"page": page_id or f"#{index}"}
        if page_id is not None and not IDENTIFIER_RE.fullmatch(page_id):
            self.error("invalid_identifier", None, key=c.ID, value=page_id, **where)
        self.check_keys(data, c.PAGE_KEYS, None, **where)
        title = self.get(data, c.TITLE, "text", None, default="", **where)
        raw_questions = data.get(c.QUESTIONS)
        if raw_questions is None or raw_questions == []:
            self.error("no_questions", None, **where)
            raw_questions = []
        elif not isinstance(raw_questions, list):
            self.error("wrong_type", None, key=c.QUESTIONS, expected=phrase_param("list"), value=_yaml_type_name(raw_questions), **where)
            raw_questions = []
        questions = []
        for index, raw in enumerate(raw_questions, start=1):
            question = self.parse_question(raw, index, where["page"])
            if question is not None:
                questions.append(question)
        return Page(id=page_id or "", title=title, questions=tuple(questions))

    # -- choices --
    def parse_choice_lists(self, data: Any) -> None:
        if data is None:
            return
        if not isinstance(data, dict):
            self.error("wrong_type", None, key=c.CHOICE_LISTS, expected=phrase_param("mapping"), value=_yaml_type_name(data))
            return
        for name, raw_choices in data.items():
            if not isinstance(name, str) or not IDENTIFIER_RE.fullmatch(name):
                self.error("invalid_identifier", None, key=c.CHOICE_LISTS, value=name)
                continue
            self.choice_lists[name] = self.parse_choices(raw_choices, None, key=name, choice_list=name)

    def parse_choices(self, data: Any, question: str | None, key: str, **where: Any) -> tuple[Choice, ...]:
        if not isinstance(data, list):
            self.error("wrong_type", question, key=key, expected=phrase_param("list"), value=_yaml_type_name(data), **where)
            return ()
        if not data:
            self.error("empty_list", question, key=key, minimum=1, **where)
            return ()
        choices: list[Choice] = []
        seen: set[str] = set()
        for raw in data:
            if not isinstance(raw, dict):
                self.error("not_a_mapping", question, detail=_yaml_type_name(raw), **where)
                continue
            self.check_keys(raw, c.CHOICE_KEYS, question, **where)
            value = raw.get(c.VALUE)
            if value is None:
                self.error("missing_key", question, key=c.VALUE, **where)
                continue
            if not (isinstance(value, str) and value.strip()) and not _is_int(value):
                self.error("wrong_type", question, key=c.VALUE, expected=phrase_param("choice_value"), value=_yaml_type_name(value), **where)
                continue
            label = self.get(raw, c.LABEL, "text", question, required=True, **where)
            score = self.get(raw, c.SCORE, "number", question, **where)
            # Values are compared as text when answered, so 1 and "1" are the same choice.
            if str(value) in seen:
                self.error("duplicate_choice_value", question, value=value, **where)
            seen.add(str(value))
            choices.append(Choice(value=value, label=label or "", score=score))
        return tuple(choices)

    def question_choices(self, data: Mapping[str, Any], question: str) -> tuple[tuple[Choice, ...], str | None]:
        inline = data.get(c.CHOICES)
        list_name = data.get(c.CHOICE_LIST)
        if inline is not None and list_name is not None:
            self.error("choices_and_choice_list", question)
            return (), None
        if inline is None and list_name is None:
            self.error("missing_choices", question)
            return (), None
        if inline is not None:
            choices = self.parse_choices(inline, question, key=c.CHOICES)
        else:
            choices = self.named_list(list_name, question, c.CHOICE_LIST)
            list_name = list_name if isinstance(list_name, str) else None
        # Answers to choice questions are text, so the model holds text values.
        return tuple(Choice(value=str(ch.value), label=ch.label, score=ch.score) for ch in choices), list_name

    def named_list(self, name: Any, question: str, key: str) -> tuple[Choice, ...]:
        if not isinstance(name, str):
            self.error("wrong_type", question, key=key, expected=phrase_param("text"), value=_yaml_type_name(name))
            return ()
        if name not in self.choice_lists:
            self.error("missing_choice_list", question, name=name, available=sorted(self.choice_lists))
            return ()
        return self.choice_lists[name]

    def question_scale(self, data: Mapping[str, Any], question: str) -> tuple[tuple[Choice, ...], str | None]:
        raw = data.get(c.SCALE)
        if raw is None:
            return DEFAULT_SCALE, None
        if isinstance(raw, str):
            scale, list_name = self.named_list(raw, question, c.SCALE), raw
        elif isinstance(raw, list):
            scale, list_name = self.parse_choices(raw, question, key=c.SCALE), None
        else:
            self.error("wrong_type", question, key=c.SCALE, expected=phrase_param("scale_or_list"), value=_yaml_type_name(raw))
            return DEFAULT_SCALE, None
        for choice in scale:
            if not _is_int(choice.value):
                self.error("scale_not_int", question, value=choice.value)
        if scale and len(scale) < 2:
            self.error("empty_list", question, key=c.SCALE, minimum=2)
        return scale, list_name

    # -- questions --
    def parse_question(self, data: Any, index: int, page_id: str) -> Question | None:
        # A question without a usable id is named by its position: "#3", or "p2#3" on a named page.
        position = f"#{index}" if page_id == c.DEFAULT_PAGE_ID else f"{page_id}#{index}"
        if not isinstance(data, dict):
            self.error("not_a_mapping", position, detail=_yaml_type_name(data))
            return None
        raw_id = data.get(c.ID)
        if not isinstance(raw_id, str) or not raw_id:
            self.error("missing_key", position, key=c.ID)
            return None
        qid = raw_id
        errors_before = len(self.errors)
        if not IDENTIFIER_RE.fullmatch(qid):
            self.error("invalid_identifier", qid, key=c.ID, value=qid)
        if qid in self.earlier:
            self.error("duplicate_question_id", qid)

        qtype = data.get(c.TYPE)
        if qtype is None:
            self.error("missing_key", qid, key=c.TYPE)
            self.broken.add(qid)
            return None
        if qtype not in QUESTION_CLASSES:
            self.error("unknown_type", qid, value=qtype, allowed=list(c.QUESTION_TYPES))
            self.broken.add(qid)
            return None
        self.check_keys(data, c.QUESTION_KEYS[qtype], qid)

        base: dict[str, Any] = {
            "id": qid,
            "label": self.get(data, c.LABEL, "text", qid, required=True),
            "hint": self.get(data, c.HINT, "text", qid),
        }
        if qtype != c.NOTE:
            base["required"] = self.get(data, c.REQUIRED, "bool", qid, default=False)
        raw_condition = data.get(c.SHOW_IF)
        if raw_condition is not None:
            base["show_if"] = self.parse_condition(raw_condition, qid)

        specific = getattr(self, f"parse_{qtype}")(data, qid)
        question: Question = QUESTION_CLASSES[qtype](**base, **specific)  # type: ignore[assignment]
        if qid not in self.earlier:
            self.earlier[qid] = question
            if len(self.errors) > errors_before:
                self.broken.add(qid)
        return None if len(self.errors) > errors_before else question

    def parse_single_choice(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        choices, list_name = self.question_choices(data, qid)
        return {"choices": choices, "choice_list": list_name}

    def parse_multi_choice(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        choices, list_name = self.question_choices(data, qid)
        low = self.get_non_negative_int(data, c.MIN_CHOICES, qid)
        high = self.get_non_negative_int(data, c.MAX_CHOICES, qid, minimum=1)
        self.check_min_max(qid, c.MIN_CHOICES, low, c.MAX_CHOICES, high)
        if low is not None and choices and low > len(choices):
            self.error("value_too_large", qid, key=c.MIN_CHOICES, value=low, maximum=len(choices))
        return {"choices": choices, "choice_list": list_name, "min_choices": low, "max_choices": high}

    def parse_rating(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        scale, list_name = self.question_scale(data, qid)
        counts = self.get(data, c.COUNTS_TOWARD_SATISFACTION, "bool", qid, default=True)
        return {"scale": scale, "scale_list": list_name, "counts_toward_satisfaction": counts}

    def parse_nps(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        return {}

    def parse_note(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        return {}

    def parse_matrix(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        scale, list_name = self.question_scale(data, qid)
        counts = self.get(data, c.COUNTS_TOWARD_SATISFACTION, "bool", qid, default=False)
        raw_rows = data.get(c.ROWS)
        rows: list[MatrixRow] = []
        if not isinstance(raw_rows, list) or not raw_rows:
            self.error("empty_list", qid, key=c.ROWS, minimum=1)
            raw_rows = []
        seen: set[str] = set()
        for raw in raw_rows:
            if not isinstance(raw, dict):
                self.error("not_a_mapping", qid, detail=_yaml_type_name(raw))
                continue
            self.check_keys(raw, c.ROW_KEYS, qid)
            row_id = self.get(raw, c.ID, "text", qid, required=True)
            label = self.get(raw, c.LABEL, "text", qid, required=True)
            if row_id is None:
                continue
            if not IDENTIFIER_RE.fullmatch(row_id):
                self.error("invalid_identifier", qid, key=c.ROWS, value=row_id)
            if row_id in seen:
                self.error("duplicate_row_id", qid, value=row_id)
            seen.add(row_id)
            rows.append(MatrixRow(id=row_id, label=label or ""))
        return {"rows": tuple(rows), "scale": scale, "scale_list": list_name, "counts_toward_satisfaction": counts}

    def parse_text(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        low = self.get_non_negative_int(data, c.MIN_LENGTH, qid)
        high = self.get_non_negative_int(data, c.MAX_LENGTH, qid, minimum=1)
        if high is not None and high > c.TEXT_MAX_LENGTH:
            self.error("value_too_large", qid, key=c.MAX_LENGTH, value=high, maximum=c.TEXT_MAX_LENGTH)
            high = None
        self.check_min_max(qid, c.MIN_LENGTH, low, c.MAX_LENGTH, high)
        pattern = self.get(data, c.PATTERN, "text", qid)
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.error("bad_regex", qid, detail=str(exc))
        return {
            "min_length": low,
            "max_length": high if high is not None else c.TEXT_MAX_LENGTH,
            "pattern": pattern,
            "multiline": self.get(data, c.MULTILINE, "bool", qid, default=False),
        }

    def parse_number(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        low = self.get(data, c.MIN, "number", qid)
        high = self.get(data, c.MAX, "number", qid)
        self.check_min_max(qid, c.MIN, low, c.MAX, high)
        return {"min": low, "max": high, "integer": self.get(data, c.INTEGER, "bool", qid, default=False)}

    def parse_date(self, data: Mapping[str, Any], qid: str) -> dict[str, Any]:
        low = self.get_date(data, c.MIN, qid)
        high = self.get_date(data, c.MAX, qid)
        self.check_min_max(qid, c.MIN, low, c.MAX, high)
        return {"min": low, "max": high}

    def get_date(self, data: Mapping[str, Any], key: str, qid: str) -> dt.date | None:
        value = data.get(key)
        if value is None:
            return None
        parsed = coerce_date(value)
        if parsed is None:
            self.error("invalid_date_setting", qid, key=key, value=value)
        return parsed

    def check_min_max(self, qid: str, min_key: str, low: Any, max_key: str, high: Any) -> None:
        if low is not None and high is not None and low > high:
            self.error("min_greater_than_max", qid, min_key=min_key, max_key=max_key, min=low, max=high)

    # -- conditions --
    def parse_condition(self, data: Any, qid: str) -> Condition | None:
        if not isinstance(data, dict):
            self.error("condition_bad_shape", qid, detail=phrase_param("not_condition"))
            return None
        combinators = [key for key in (c.ALL, c.ANY, c.NOT) if key in data]
        if combinators:
            if len(data) != 1:
                self.error("condition_bad_shape", qid, detail=phrase_param("one_key"))
                return None
            key = combinators[0]
            if key == c.NOT:
                inner = self.parse_condition(data[c.NOT], qid)
                return Not(inner) if inner is not None else None
            items = data[key]
            if not isinstance(items, list) or not items:
                self.error("condition_bad_shape", qid, detail=phrase_param("empty_combinator"))
                return None
            parts = [self.parse_condition(item, qid) for item in items]
            if any(part is None for part in parts):
                return None
            return (AllOf if key == c.ALL else AnyOf)(tuple(parts))  # type: ignore[arg-type]
        return self.parse_comparison(data, qid)

    def parse_comparison(self, data: Mapping[str, Any], qid: str) -> Comparison | None:
        errors_before = len(self.errors)
        self.check_keys(data, c.CONDITION_LEAF_KEYS, qid)
        ref = data.get(c.QUESTION)
        op = data.get(c.OP)
        if not isinstance(ref, str):
            self.error("missing_key", qid, key=c.QUESTION)
            return None
        if op not in c.OPERATORS:
            self.error("condition_unknown_op", qid, op=op, allowed=list(c.OPERATORS))
        if ref in self.broken:
            return None  # already reported on that question; don't pile on
        if ref not in self.earlier:
            code = "condition_later_question" if ref in self.all_question_ids else "condition_unknown_question"
            self.error(code, qid, ref=ref)
        if len(self.errors) > errors_before:
            return None
        target = self.earlier[ref]
        allowed_ops = c.OPERATORS_BY_TYPE[target.type]
        if isinstance(target, NoteQuestion):
            self.error("condition_bad_value", qid, ref=ref, value="", detail=phrase_param("on_note"))
            return None
        if op not in allowed_ops:
            self.error("condition_op_not_for_type", qid, ref=ref, op=op, type=target.type, allowed=list(allowed_ops))
            return None
        raw_value = data.get(c.VALUE)
        value = self.condition_value(target, op, raw_value, qid)
        if len(self.errors) > errors_before:
            return None
        return Comparison(question=ref, op=op, value=value)

    def condition_value(self, target: Question, op: str, raw: Any, qid: str) -> Any:
        def bad(detail: tuple[str, str, dict[str, Any]], shown: Any = raw) -> None:
            self.error("condition_bad_value", qid, ref=target.id, value=shown, detail=detail)

        if op in c.PRESENCE_OPERATORS:
            if raw is not None:
                bad(phrase_param("needs_no_value"))
            return None
        if raw is None:
            bad(phrase_param("needs_value"), "")
            return None
        if op in c.LIST_OPERATORS:
            if not isinstance(raw, list) or not raw:
                bad(phrase_param("needs_list"))
                return None
            return tuple(self.condition_scalar(target, op, item, bad) for item in raw)
        return self.condition_scalar(target, op, raw, bad)

    def condition_scalar(self, target: Question, op: str, raw: Any, bad: Any) -> Any:
        if isinstance(target, (SingleChoiceQuestion, MultiChoiceQuestion)):
            allowed = [str(v) for v in choice_values(target)]
            if isinstance(raw, bool) or str(raw) not in allowed:
                bad(phrase_param("not_a_choice", allowed=allowed), raw)
            return str(raw)
        if isinstance(target, RatingQuestion):
            allowed = choice_values(target)
            if not _is_number(raw):
                bad(phrase_param("needs_number"), raw)
            elif op not in c.ORDER_OPERATORS and raw not in allowed:
                # eq / ne / in against a value that is not on the scale can never match.
                bad(phrase_param("not_a_choice", allowed=allowed), raw)
            return raw
        if isinstance(target, NpsQuestion):
            if not _is_number(raw) or not c.NPS_MIN <= raw <= c.NPS_MAX:
                bad(phrase_param("nps_range"), raw)
            return raw
        if isinstance(target, TextQuestion):
            if not isinstance(raw, str):
                bad(phrase_param("needs_text"), raw)
            return raw
        if target.type == c.DATE:
            parsed = coerce_date(raw)
            if parsed is None:
                bad(phrase_param("needs_date"), raw)
            return parsed
        if not _is_number(raw):  # number
            bad(phrase_param("needs_number"), raw)
        return raw


def coerce_date(value: Any) -> dt.date | None:
    """A date from a date, a datetime or an ISO 'YYYY-MM-DD' string; None if it is none of those."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


# --- Size ------------------------------------------------------------------

_CONTROL = re.compile(c.CONTROL_CHARACTERS)
_WALK_BUDGET = 2_000_000  # nodes: far above the largest survey the size bounds allow, below a YAML alias bomb


def size_errors(data: Any, source: str = "<dict>") -> list[DefinitionError]:
    """The survey size bounds (constants.SURVEY_MAX_*), checked from the
    list lengths alone so that a huge definition is refused without being walked."""
    if not isinstance(data, dict):
        return []
    errors: list[DefinitionError] = []

    def too_many(items: Any, limit: int, key: str, question: str | None, **where: Any) -> None:
        if isinstance(items, list) and len(items) > limit:
            errors.append(DefinitionError("too_many_choices", source, question,
                                          {"key": key, "count": len(items), "limit": limit, **where}))

    lists = data.get(c.CHOICE_LISTS)
    for name, items in (lists.items() if isinstance(lists, dict) else ()):
        too_many(items, c.SURVEY_MAX_CHOICES, str(name), None, choice_list=str(name))
    pages = data.get(c.PAGES)
    pages = pages if isinstance(pages, list) else [{c.QUESTIONS: data.get(c.QUESTIONS)}]
    if len(pages) > c.SURVEY_MAX_PAGES:
        errors.append(DefinitionError("too_many_pages", source, None, {"count": len(pages), "limit": c.SURVEY_MAX_PAGES}))
    count = 0
    for page in pages:
        questions = page.get(c.QUESTIONS) if isinstance(page, dict) else None
        if not isinstance(questions, list):
            continue
        count += len(questions)
        if count > c.SURVEY_MAX_QUESTIONS:
            continue
        for question in questions:
            if isinstance(question, dict):
                qid = str(question.get(c.ID) or "?")
                too_many(question.get(c.CHOICES), c.SURVEY_MAX_CHOICES, c.CHOICES, qid)
                too_many(question.get(c.SCALE), c.SURVEY_MAX_CHOICES, c.SCALE, qid)
                too_many(question.get(c.ROWS), c.SURVEY_MAX_MATRIX_ROWS, c.ROWS, qid)
    if count > c.SURVEY_MAX_QUESTIONS:
        errors.insert(0, DefinitionError("too_many_questions", source, None, {"count": count, "limit": c.SURVEY_MAX_QUESTIONS}))
    return errors


def storable_errors(data: Any, source: str = "<dict>") -> list[DefinitionError]:
    """What keeps a definition from being stored at all, even as a half-written draft: the size bounds, then any
    text holding a NUL or another control character."""
    errors = size_errors(data, source)
    if not errors:
        parser = _SurveyParser(source)
        parser.check_control_characters(data)
        errors = parser.errors
    return errors


def decode_survey_file(content: bytes, source: str = "<file>") -> str:
    """The text of an uploaded YAML survey: at most constants.SURVEY_MAX_FILE_BYTES, strict UTF-8 (a BOM is
    allowed); invalid bytes are refused with their line, never replaced."""
    if len(content) > c.SURVEY_MAX_FILE_BYTES:
        raise SurveyDefinitionError([DefinitionError("file_too_large", source, None, {
            "size": len(content) // 1024, "limit": c.SURVEY_MAX_FILE_BYTES // 1024})])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        raise SurveyDefinitionError([DefinitionError("not_utf8", source, None, {"line": line})]) from None


# --- Public loading API ----------------------------------------------------


def survey_from_dict(data: Any, source: str = "<dict>") -> Survey:
    """Build a Survey from parsed YAML/JSON data; raises SurveyDefinitionError listing every problem."""
    parser = _SurveyParser(source)
    survey = parser.parse_survey(data)
    if parser.errors or survey is None:
        raise SurveyDefinitionError(parser.errors)
    return survey


def load_survey_text(text: str, source: str = "<text>") -> Survey:
    """Parse a YAML survey definition; `source` names the file in error messages."""
    return survey_from_dict(_read_yaml(text, source), source)


def load_survey_file(path: str | Path) -> Survey:
    """Load one YAML survey definition file (UTF-8)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SurveyDefinitionError([DefinitionError("file_unreadable", path.name, None, {"detail": str(exc)})]) from None
    return load_survey_text(text, path.name)


@dataclass(frozen=True)
class TemplateLoad:
    """The good surveys of a template directory, and the errors of the bad files (for admins)."""

    surveys: dict[str, Survey] = field(default_factory=dict)
    errors: list[DefinitionError] = field(default_factory=list)


def load_templates(directory: str | Path | None = None) -> TemplateLoad:
    """Load every *.yaml / *.yml file in `directory` (default: the built-in templates), keeping going past bad files."""
    directory = Path(directory) if directory is not None else TEMPLATES_DIR
    result = TemplateLoad()
    origin: dict[str, str] = {}
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    for path in paths:
        try:
            survey = load_survey_file(path)
        except SurveyDefinitionError as exc:
            result.errors.extend(exc.errors)
            continue
        if survey.id in result.surveys:
            result.errors.append(
                DefinitionError("duplicate_survey_id", path.name, None, {"value": survey.id, "other": origin[survey.id]})
            )
            continue
        result.surveys[survey.id] = survey
        origin[survey.id] = path.name
    return result


# --- Model -> dict / YAML (the inverse of survey_from_dict) ----------------


def _choice_to_dict(choice: Choice) -> dict[str, Any]:
    out: dict[str, Any] = {c.VALUE: choice.value, c.LABEL: choice.label}
    if choice.score is not None:
        out[c.SCORE] = choice.score
    return out


def condition_to_dict(condition: Condition) -> dict[str, Any]:
    """The YAML shape of a condition."""
    if isinstance(condition, AllOf):
        return {c.ALL: [condition_to_dict(sub) for sub in condition.conditions]}
    if isinstance(condition, AnyOf):
        return {c.ANY: [condition_to_dict(sub) for sub in condition.conditions]}
    if isinstance(condition, Not):
        return {c.NOT: condition_to_dict(condition.condition)}
    out: dict[str, Any] = {c.QUESTION: condition.question, c.OP: condition.op}
    if condition.value is not None:
        out[c.VALUE] = list(condition.value) if isinstance(condition.value, tuple) else condition.value
    return out


def question_to_dict(question: Question) -> dict[str, Any]:
    """The YAML shape of a question: id and type first, then every setting that differs from its default."""
    out: dict[str, Any] = {c.ID: question.id, c.TYPE: question.type}
    for spec in fields(question):
        name = spec.name
        if name == c.ID:
            continue
        value = getattr(question, name)
        if name == c.LABEL:
            out[name] = value
            continue
        if name in (c.CHOICES, c.SCALE) and getattr(question, c.CHOICE_LIST if name == c.CHOICES else "scale_list"):
            continue  # written as the list name
        if name == "scale_list":
            if value is not None:
                out[c.SCALE] = value
            continue
        if value == spec.default:
            continue
        if name == c.SHOW_IF:
            out[name] = condition_to_dict(value)
        elif name in (c.CHOICES, c.SCALE):
            out[name] = [_choice_to_dict(choice) for choice in value]
        elif name == c.ROWS:
            out[name] = [{c.ID: row.id, c.LABEL: row.label} for row in value]
        else:
            out[name] = value
    return out


def survey_to_dict(survey: Survey) -> dict[str, Any]:
    """The YAML shape of a survey; survey_from_dict(survey_to_dict(s)) == s."""
    out: dict[str, Any] = {c.ID: survey.id, c.TITLE: survey.title}
    if survey.intro:
        out[c.INTRO] = survey.intro
    if survey.kind != c.DEFAULT_KIND:
        out[c.KIND] = survey.kind
    if survey.satisfied_level != c.DEFAULT_SATISFIED_LEVEL:
        out[c.SATISFIED_LEVEL] = survey.satisfied_level
    if survey.choice_lists:
        out[c.CHOICE_LISTS] = {
            name: [_choice_to_dict(choice) for choice in choices] for name, choices in survey.choice_lists.items()
        }
    pages = survey.pages
    if len(pages) == 1 and pages[0].id == c.DEFAULT_PAGE_ID and not pages[0].title:
        out[c.QUESTIONS] = [question_to_dict(q) for q in pages[0].questions]
    else:
        out[c.PAGES] = [
            {
                c.ID: page.id,
                **({c.TITLE: page.title} if page.title else {}),
                c.QUESTIONS: [question_to_dict(q) for q in page.questions],
            }
            for page in pages
        ]
    return out


def dump_survey_yaml(survey: Survey) -> str:
    """The survey as YAML text (UTF-8, Chinese kept readable); load_survey_text(dump_survey_yaml(s)) == s."""
    return yaml.safe_dump(survey_to_dict(survey), allow_unicode=True, sort_keys=False, width=1000)
