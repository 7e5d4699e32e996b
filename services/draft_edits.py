"""Edits the builder makes to a draft definition dict: questions, pages, choice lines and menu-built conditions."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from surveys import constants as c
from surveys.model import IDENTIFIER_RE

Definition = dict[str, Any]


def pages_of(definition: Definition) -> list[dict[str, Any]]:
    """The draft's pages, turning a flat ``questions:`` list into one page first (in place)."""
    if c.PAGES not in definition:
        definition[c.PAGES] = [{c.ID: c.DEFAULT_PAGE_ID, c.QUESTIONS: definition.pop(c.QUESTIONS, [])}]
    return definition[c.PAGES]


def all_questions(definition: Definition) -> list[dict[str, Any]]:
    return [q for page in pages_of(definition) for q in page.get(c.QUESTIONS, [])]


def find_question(definition: Definition, question_id: str) -> tuple[int, int] | None:
    """(page index, position) of a question in the draft."""
    for p, page in enumerate(pages_of(definition)):
        for i, question in enumerate(page.get(c.QUESTIONS, [])):
            if question.get(c.ID) == question_id:
                return p, i
    return None


def free_question_id(definition: Definition, base: str = "q") -> str:
    used = {q.get(c.ID) for q in all_questions(definition)}
    base = re.sub(r"[^A-Za-z0-9_]", "_", base) or "q"
    if not re.match(r"[A-Za-z_]", base):
        base = "q" + base
    n = 1
    candidate = base if base not in used and base != "q" else f"{base}{n}"
    while candidate in used:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def skeleton(question_type: str, question_id: str, label: str) -> dict[str, Any]:
    """A new question of a type with the settings it must have (two placeholder choices, one matrix row)."""
    question: dict[str, Any] = {c.ID: question_id, c.TYPE: question_type, c.LABEL: label}
    if question_type in (c.SINGLE_CHOICE, c.MULTI_CHOICE):
        question[c.CHOICES] = [{c.VALUE: "c1", c.LABEL: "选项1"}, {c.VALUE: "c2", c.LABEL: "选项2"}]
    if question_type == c.MATRIX:
        question[c.ROWS] = [{c.ID: "r1", c.LABEL: "项目1"}]
    return question


def add_question(definition: Definition, page_index: int, question: dict[str, Any]) -> Definition:
    out = copy.deepcopy(definition)
    pages = pages_of(out)
    pages[min(page_index, len(pages) - 1)].setdefault(c.QUESTIONS, []).append(question)
    return out


def replace_question(definition: Definition, question_id: str, question: dict[str, Any]) -> Definition:
    """The draft with one question replaced; a changed id is renamed in every condition that refers to it."""
    out = copy.deepcopy(definition)
    where = find_question(out, question_id)
    if where is None:
        raise KeyError(question_id)
    pages_of(out)[where[0]][c.QUESTIONS][where[1]] = question
    new_id = question.get(c.ID)
    if new_id != question_id:
        for other in all_questions(out):
            if c.SHOW_IF in other:
                other[c.SHOW_IF] = _rename_in_condition(other[c.SHOW_IF], question_id, new_id)
    return out


def _rename_in_condition(condition: Any, old: str, new: Any) -> Any:
    if isinstance(condition, dict):
        return {k: (new if k == c.QUESTION and v == old else _rename_in_condition(v, old, new)) for k, v in condition.items()}
    if isinstance(condition, list):
        return [_rename_in_condition(item, old, new) for item in condition]
    return condition


def delete_question(definition: Definition, question_id: str) -> Definition:
    out = copy.deepcopy(definition)
    where = find_question(out, question_id)
    if where is not None:
        del pages_of(out)[where[0]][c.QUESTIONS][where[1]]
    return out


def move_question(definition: Definition, question_id: str, step: int) -> Definition:
    """Move a question one place up (-1) or down (+1); past the page's edge it moves to the next/previous page."""
    out = copy.deepcopy(definition)
    where = find_question(out, question_id)
    if where is None:
        return out
    pages = pages_of(out)
    p, i = where
    questions = pages[p][c.QUESTIONS]
    target = i + step
    if 0 <= target < len(questions):
        questions[i], questions[target] = questions[target], questions[i]
    elif target < 0 and p > 0:
        pages[p - 1][c.QUESTIONS].append(questions.pop(i))
    elif target >= len(questions) and p < len(pages) - 1:
        pages[p + 1][c.QUESTIONS].insert(0, questions.pop(i))
    return out


def add_page(definition: Definition, title: str) -> Definition:
    out = copy.deepcopy(definition)
    pages = pages_of(out)
    used = {page.get(c.ID) for page in pages}
    n = len(pages) + 1
    while f"p{n}" in used:
        n += 1
    pages.append({c.ID: f"p{n}", c.TITLE: title, c.QUESTIONS: []})
    return out


def delete_empty_page(definition: Definition, page_index: int) -> Definition:
    out = copy.deepcopy(definition)
    pages = pages_of(out)
    if len(pages) > 1 and not pages[page_index].get(c.QUESTIONS):
        del pages[page_index]
    return out


# --- choices as lines: "value|label|score", or just "label" -----------------------


def choices_to_lines(choices: list[dict[str, Any]]) -> str:
    lines = []
    for choice in choices:
        parts = [str(choice.get(c.VALUE, "")), str(choice.get(c.LABEL, ""))]
        if choice.get(c.SCORE) is not None:
            parts.append(str(choice[c.SCORE]))
        lines.append("|".join(parts))
    return "\n".join(lines)


def lines_to_choices(text: str, *, integer_values: bool = False, prefix: str = "c") -> list[dict[str, Any]]:
    """Choices from lines 'value|label|score' ('label' alone gets value c1, c2… or 1, 2… on an integer scale)."""
    choices: list[dict[str, Any]] = []
    for n, line in enumerate((raw.strip() for raw in text.splitlines() if raw.strip()), start=1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 1:
            value: Any = n if integer_values else f"{prefix}{n}"
            choice: dict[str, Any] = {c.VALUE: value, c.LABEL: parts[0]}
        else:
            value = parts[0]
            if integer_values or re.fullmatch(r"-?\d+", value):
                try:
                    value = int(value)
                except ValueError:
                    pass
            choice = {c.VALUE: value, c.LABEL: parts[1] or str(value)}
            if len(parts) > 2 and parts[2]:
                try:
                    choice[c.SCORE] = float(parts[2]) if "." in parts[2] else int(parts[2])
                except ValueError:
                    choice[c.SCORE] = parts[2]  # the loader reports it
        choices.append(choice)
    return choices


def rows_to_lines(rows: list[dict[str, Any]]) -> str:
    return "\n".join(f"{row.get(c.ID, '')}|{row.get(c.LABEL, '')}" for row in rows)


def lines_to_rows(text: str) -> list[dict[str, str]]:
    """Matrix rows from lines 'id|label' ('label' alone gets id r1, r2…)."""
    rows = []
    for n, line in enumerate((raw.strip() for raw in text.splitlines() if raw.strip()), start=1):
        parts = [part.strip() for part in line.split("|", 1)]
        rows.append({c.ID: parts[0], c.LABEL: parts[1]} if len(parts) == 2 else {c.ID: f"r{n}", c.LABEL: parts[0]})
    return rows


# --- conditions from menus ---------------------------------------------------


@dataclass(frozen=True)
class ConditionRow:
    """One menu line of a condition: question, operator, value (None for answered / not answered)."""

    question: str
    op: str
    value: Any = None


def condition_rows(condition: Any) -> tuple[str, list[ConditionRow]] | None:
    """A stored show_if as (combinator 'all'/'any', rows) if the menus can show it; None if it is nested deeper."""
    if condition is None:
        return c.ALL, []
    if isinstance(condition, dict) and c.QUESTION in condition:
        return c.ALL, [_row(condition)]
    for combinator in (c.ALL, c.ANY):
        if isinstance(condition, dict) and set(condition) == {combinator} and isinstance(condition[combinator], list):
            items = condition[combinator]
            if all(isinstance(item, dict) and c.QUESTION in item for item in items):
                return combinator, [_row(item) for item in items]
    return None


def _row(leaf: dict[str, Any]) -> ConditionRow:
    value = leaf.get(c.VALUE)
    return ConditionRow(str(leaf.get(c.QUESTION)), str(leaf.get(c.OP)), tuple(value) if isinstance(value, list) else value)


def rows_to_condition(combinator: str, rows: list[ConditionRow]) -> dict[str, Any] | None:
    """The show_if dict for menu rows (None when there are none)."""
    leaves = []
    for row in rows:
        leaf: dict[str, Any] = {c.QUESTION: row.question, c.OP: row.op}
        if row.op not in c.PRESENCE_OPERATORS and row.value is not None:
            leaf[c.VALUE] = list(row.value) if isinstance(row.value, tuple) else row.value
        leaves.append(leaf)
    if not leaves:
        return None
    if len(leaves) == 1:
        return leaves[0]
    return {combinator: leaves}


def condition_targets(definition: Definition, question_id: str) -> list[dict[str, Any]]:
    """The questions a condition on ``question_id`` may refer to: answerable questions before it."""
    out = []
    for question in all_questions(definition):
        if question.get(c.ID) == question_id:
            break
        if question.get(c.TYPE) != c.NOTE and isinstance(question.get(c.ID), str) and IDENTIFIER_RE.fullmatch(question[c.ID]):
            out.append(question)
    return out


def choice_options(definition: Definition, question: dict[str, Any]) -> list[tuple[Any, str]]:
    """(value, label) pairs of a choice / rating question in the draft (resolving named lists; rating default 5…1)."""
    if question.get(c.TYPE) in (c.SINGLE_CHOICE, c.MULTI_CHOICE):
        choices = question.get(c.CHOICES)
        if choices is None:
            choices = definition.get(c.CHOICE_LISTS, {}).get(question.get(c.CHOICE_LIST), [])
        return [(str(ch.get(c.VALUE)), str(ch.get(c.LABEL, ""))) for ch in choices if isinstance(ch, dict)]
    if question.get(c.TYPE) in (c.RATING, c.MATRIX):
        scale = question.get(c.SCALE)
        if isinstance(scale, str):
            scale = definition.get(c.CHOICE_LISTS, {}).get(scale, [])
        if scale is None:
            return [(v, zh) for v, zh, _ in c.SATISFACTION_SCALE]
        return [(ch.get(c.VALUE), str(ch.get(c.LABEL, ""))) for ch in scale if isinstance(ch, dict)]
    return []
