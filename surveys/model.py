"""The survey definition model: frozen dataclasses for surveys, pages, questions (one class per type), choices and conditions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias, Union

from surveys import constants as c

# Questions, pages and surveys are frozen; sequences are tuples so a loaded
# definition cannot be changed by accident (a published version is immutable).

SURVEY_ID_RE = re.compile(r"[a-z0-9_-]+")
IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Choice:
    """One option of a choice question or one point of a scale; answers store `value`, never `label`."""

    value: str | int
    label: str
    score: int | float | None = None

    @property
    def points(self) -> int | float:
        """The score used for satisfaction: `score` if given, else the (integer) value."""
        if self.score is not None:
            return self.score
        if isinstance(self.value, int):
            return self.value
        raise ValueError(f"choice {self.value!r} has no score")


DEFAULT_SCALE: tuple[Choice, ...] = tuple(Choice(value=v, label=zh) for v, zh, _ in c.SATISFACTION_SCALE)


def scale_label(choice: Choice, lang: str = c.DEFAULT_LANGUAGE) -> str:
    """The label of a scale point in the given language; the default scale has English labels, custom ones keep theirs."""
    if lang == "en":
        return c.SATISFACTION_LABELS_EN.get(choice.label, choice.label)
    return choice.label


@dataclass(frozen=True)
class MatrixRow:
    """One row (an item being rated) of a matrix question."""

    id: str
    label: str


# --- Conditions (data, never code) ----------------------------------------


@dataclass(frozen=True)
class Comparison:
    """A leaf condition: `question` `op` `value` (value is None for answered / not_answered, a tuple for in / not_in)."""

    question: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class AllOf:
    """True when every sub-condition is true."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """True when at least one sub-condition is true."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """True when the sub-condition is false."""

    condition: Condition


Condition: TypeAlias = Union[Comparison, AllOf, AnyOf, Not]


def condition_questions(condition: Condition) -> list[str]:
    """The ids of every question a condition refers to, in order of appearance."""
    if isinstance(condition, Comparison):
        return [condition.question]
    if isinstance(condition, Not):
        return condition_questions(condition.condition)
    refs: list[str] = []
    for sub in condition.conditions:
        refs.extend(condition_questions(sub))
    return refs


# --- Questions -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class QuestionBase:
    """What every question has; the `type` class attribute is the discriminator."""

    type: ClassVar[str]
    answerable: ClassVar[bool] = True

    id: str
    label: str
    hint: str | None = None
    required: bool = False
    show_if: Condition | None = None


@dataclass(frozen=True, kw_only=True)
class SingleChoiceQuestion(QuestionBase):
    """Pick one of `choices` (inline, or resolved from the named `choice_list`)."""

    type: ClassVar[str] = c.SINGLE_CHOICE
    choices: tuple[Choice, ...] = ()
    choice_list: str | None = None


@dataclass(frozen=True, kw_only=True)
class MultiChoiceQuestion(QuestionBase):
    """Pick any number of `choices`, between `min_choices` and `max_choices` when set."""

    type: ClassVar[str] = c.MULTI_CHOICE
    choices: tuple[Choice, ...] = ()
    choice_list: str | None = None
    min_choices: int | None = None
    max_choices: int | None = None


@dataclass(frozen=True, kw_only=True)
class RatingQuestion(QuestionBase):
    """Rate on `scale` (default: the five-level satisfaction scale; `scale_list` names a choice list if one was used)."""

    type: ClassVar[str] = c.RATING
    scale: tuple[Choice, ...] = DEFAULT_SCALE
    scale_list: str | None = None
    counts_toward_satisfaction: bool = True


@dataclass(frozen=True, kw_only=True)
class NpsQuestion(QuestionBase):
    """How likely are you to recommend…, 0–10."""

    type: ClassVar[str] = c.NPS


@dataclass(frozen=True, kw_only=True)
class MatrixQuestion(QuestionBase):
    """Several `rows` rated on one shared `scale`; `required` means every row."""

    type: ClassVar[str] = c.MATRIX
    rows: tuple[MatrixRow, ...] = ()
    scale: tuple[Choice, ...] = DEFAULT_SCALE
    scale_list: str | None = None
    counts_toward_satisfaction: bool = False


@dataclass(frozen=True, kw_only=True)
class TextQuestion(QuestionBase):
    """Free text, stored verbatim as plain text (stripped of surrounding whitespace)."""

    type: ClassVar[str] = c.TEXT
    min_length: int | None = None
    max_length: int = c.TEXT_MAX_LENGTH
    pattern: str | None = None
    multiline: bool = False


@dataclass(frozen=True, kw_only=True)
class NumberQuestion(QuestionBase):
    """A number between `min` and `max`; whole numbers only when `integer`."""

    type: ClassVar[str] = c.NUMBER
    min: int | float | None = None
    max: int | float | None = None
    integer: bool = False


@dataclass(frozen=True, kw_only=True)
class DateQuestion(QuestionBase):
    """A calendar date between `min` and `max`."""

    type: ClassVar[str] = c.DATE
    min: dt.date | None = None
    max: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class NoteQuestion(QuestionBase):
    """Display-only text (the label); never answered."""

    type: ClassVar[str] = c.NOTE
    answerable: ClassVar[bool] = False


Question: TypeAlias = Union[
    SingleChoiceQuestion,
    MultiChoiceQuestion,
    RatingQuestion,
    NpsQuestion,
    MatrixQuestion,
    TextQuestion,
    NumberQuestion,
    DateQuestion,
    NoteQuestion,
]

QUESTION_CLASSES: dict[str, type[QuestionBase]] = {
    cls.type: cls
    for cls in (
        SingleChoiceQuestion,
        MultiChoiceQuestion,
        RatingQuestion,
        NpsQuestion,
        MatrixQuestion,
        TextQuestion,
        NumberQuestion,
        DateQuestion,
        NoteQuestion,
    )
}


def is_satisfaction_question(question: QuestionBase) -> bool:
    """Whether a question's answers count toward the satisfaction rate and index."""
    return isinstance(question, (RatingQuestion, MatrixQuestion)) and question.counts_toward_satisfaction


# --- Pages and surveys -----------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A page of questions shown together."""

    id: str
    title: str = ""
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Survey:
    """A whole survey definition."""

    id: str
    title: str
    pages: tuple[Page, ...]
    intro: str = ""
    kind: str = c.DEFAULT_KIND
    satisfied_level: int = c.DEFAULT_SATISFIED_LEVEL
    choice_lists: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)

    @property
    def questions(self) -> list[Question]:
        """Every question, in survey order across pages."""
        return [question for page in self.pages for question in page.questions]

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if none)."""
        for candidate in self.questions:
            if candidate.id == question_id:
                return candidate
        raise KeyError(question_id)

    def question_ids(self) -> list[str]:
        """Question ids in survey order."""
        return [question.id for question in self.questions]


def choice_values(question: Question) -> list[Any]:
    """The values a choice / rating / matrix question accepts, in definition order."""
    if isinstance(question, (SingleChoiceQuestion, MultiChoiceQuestion)):
        return [choice.value for choice in question.choices]
    if isinstance(question, (RatingQuestion, MatrixQuestion)):
        return [choice.value for choice in question.scale]
    if isinstance(question, NpsQuestion):
        return list(range(c.NPS_MIN, c.NPS_MAX + 1))
    return []
