"""Names of the survey definition format: keys, question types, condition operators and the default scale."""

from __future__ import annotations

from typing import Final

# --- Survey keys -----------------------------------------------------------
ID: Final = "id"
TITLE: Final = "title"
INTRO: Final = "intro"
KIND: Final = "kind"
SATISFIED_LEVEL: Final = "satisfied_level"
CHOICE_LISTS: Final = "choice_lists"
PAGES: Final = "pages"
QUESTIONS: Final = "questions"

SURVEY_KEYS: Final = (ID, TITLE, INTRO, KIND, SATISFIED_LEVEL, CHOICE_LISTS, PAGES, QUESTIONS)
PAGE_KEYS: Final = (ID, TITLE, QUESTIONS)

# --- Survey kinds ----------------------------------------------------------
KIND_SATISFACTION: Final = "satisfaction"
KIND_VISIT: Final = "visit"
KIND_EVALUATION: Final = "evaluation"  # 民主评议
SURVEY_KINDS: Final = (KIND_SATISFACTION, KIND_VISIT, KIND_EVALUATION)

DEFAULT_KIND: Final = KIND_SATISFACTION
DEFAULT_SATISFIED_LEVEL: Final = 3  # 基本满意
# A flat `questions:` list becomes one page with this id and an empty title.
DEFAULT_PAGE_ID: Final = "main"

# --- Question keys ---------------------------------------------------------
TYPE: Final = "type"
LABEL: Final = "label"
HINT: Final = "hint"
REQUIRED: Final = "required"
SHOW_IF: Final = "show_if"
COUNTS_TOWARD_SATISFACTION: Final = "counts_toward_satisfaction"
CHOICES: Final = "choices"
CHOICE_LIST: Final = "choice_list"
MIN_CHOICES: Final = "min_choices"
MAX_CHOICES: Final = "max_choices"
SCALE: Final = "scale"
ROWS: Final = "rows"
MIN_LENGTH: Final = "min_length"
MAX_LENGTH: Final = "max_length"
PATTERN: Final = "pattern"
MULTILINE: Final = "multiline"
MIN: Final = "min"
MAX: Final = "max"
INTEGER: Final = "integer"

# --- Choice keys (choices, scale points) -----------------------------------
VALUE: Final = "value"
SCORE: Final = "score"
CHOICE_KEYS: Final = (VALUE, LABEL, SCORE)
ROW_KEYS: Final = (ID, LABEL)

# --- Question types (one canonical spelling each) --------------------------
SINGLE_CHOICE: Final = "single_choice"
MULTI_CHOICE: Final = "multi_choice"
RATING: Final = "rating"
NPS: Final = "nps"
MATRIX: Final = "matrix"
TEXT: Final = "text"
NUMBER: Final = "number"
DATE: Final = "date"
NOTE: Final = "note"  # display only, never answered

QUESTION_TYPES: Final = (SINGLE_CHOICE, MULTI_CHOICE, RATING, NPS, MATRIX, TEXT, NUMBER, DATE, NOTE)

_BASE_QUESTION_KEYS: Final = (ID, TYPE, LABEL, HINT, REQUIRED, SHOW_IF)
# The keys each question type accepts; anything else is reported as unknown.
QUESTION_KEYS: Final[dict[str, tuple[str, ...]]] = {
    SINGLE_CHOICE: _BASE_QUESTION_KEYS + (CHOICES, CHOICE_LIST),
    MULTI_CHOICE: _BASE_QUESTION_KEYS + (CHOICES, CHOICE_LIST, MIN_CHOICES, MAX_CHOICES),
    RATING: _BASE_QUESTION_KEYS + (SCALE, COUNTS_TOWARD_SATISFACTION),
    NPS: _BASE_QUESTION_KEYS,
    MATRIX: _BASE_QUESTION_KEYS + (ROWS, SCALE, COUNTS_TOWARD_SATISFACTION),
    TEXT: _BASE_QUESTION_KEYS + (MIN_LENGTH, MAX_LENGTH, PATTERN, MULTILINE),
    NUMBER: _BASE_QUESTION_KEYS + (MIN, MAX, INTEGER),
    DATE: _BASE_QUESTION_KEYS + (MIN, MAX),
    NOTE: (ID, TYPE, LABEL, HINT, SHOW_IF),
}

# --- Limits ----------------------------------------------------------------
TEXT_MAX_LENGTH: Final = 2000  # default and hard cap for free text
# A survey larger than this hangs the builder and the resident's phone (10,000 questions: over 10 minutes in
# the builder; 10,000 choices: the browser), and no resident answers it. An evaluation survey has one comment
# question per graded subject, so a party branch of 250 members still fits.
SURVEY_MAX_QUESTIONS: Final = 300  # per survey, notes included
SURVEY_MAX_CHOICES: Final = 200  # per choice list, inline list or scale
SURVEY_MAX_MATRIX_ROWS: Final = 300  # rows of one matrix question (the subjects of an evaluation)
SURVEY_MAX_PAGES: Final = 100
SURVEY_MAX_FILE_BYTES: Final = 2 * 1024 * 1024  # a YAML survey of MAX_QUESTIONS questions is ~200 KB
# NUL and the other C0 control characters (tab, line feed and carriage return are text): never stored. A regular
# expression that both Python's re and pyarrow's RE2 accept.
CONTROL_CHARACTERS: Final = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
NPS_MIN: Final = 0
NPS_MAX: Final = 10
NPS_PROMOTER_MIN: Final = 9
NPS_DETRACTOR_MAX: Final = 6

# --- Condition keys and operators ------------------------------------------
QUESTION: Final = "question"
OP: Final = "op"
ALL: Final = "all"
ANY: Final = "any"
NOT: Final = "not"
CONDITION_LEAF_KEYS: Final = (QUESTION, OP, VALUE)

OP_EQ: Final = "eq"
OP_NE: Final = "ne"
OP_LT: Final = "lt"
OP_LE: Final = "le"
OP_GT: Final = "gt"
OP_GE: Final = "ge"
OP_IN: Final = "in"
OP_NOT_IN: Final = "not_in"
OP_CONTAINS: Final = "contains"  # a multi_choice answer includes the value
OP_ANSWERED: Final = "answered"
OP_NOT_ANSWERED: Final = "not_answered"

OPERATORS: Final = (
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN, OP_CONTAINS, OP_ANSWERED, OP_NOT_ANSWERED,
)
ORDER_OPERATORS: Final = (OP_LT, OP_LE, OP_GT, OP_GE)
LIST_OPERATORS: Final = (OP_IN, OP_NOT_IN)
PRESENCE_OPERATORS: Final = (OP_ANSWERED, OP_NOT_ANSWERED)

# Which operators make sense on which question type (checked at load time).
OPERATORS_BY_TYPE: Final[dict[str, tuple[str, ...]]] = {
    SINGLE_CHOICE: (OP_EQ, OP_NE, OP_IN, OP_NOT_IN) + PRESENCE_OPERATORS,
    MULTI_CHOICE: (OP_CONTAINS,) + PRESENCE_OPERATORS,
    RATING: (OP_EQ, OP_NE) + ORDER_OPERATORS + LIST_OPERATORS + PRESENCE_OPERATORS,
    NPS: (OP_EQ, OP_NE) + ORDER_OPERATORS + LIST_OPERATORS + PRESENCE_OPERATORS,
    NUMBER: (OP_EQ, OP_NE) + ORDER_OPERATORS + LIST_OPERATORS + PRESENCE_OPERATORS,
    DATE: (OP_EQ, OP_NE) + ORDER_OPERATORS + PRESENCE_OPERATORS,
    TEXT: (OP_EQ, OP_NE, OP_IN, OP_NOT_IN) + PRESENCE_OPERATORS,
    MATRIX: PRESENCE_OPERATORS,
    NOTE: (),
}

# --- The default five-level satisfaction scale (好差评) ---------------------
# (value, Chinese label, English label); value is also the score.
SATISFACTION_SCALE: Final = (
    (5, "非常满意", "Very satisfied"),
    (4, "满意", "Satisfied"),
    (3, "基本满意", "Fairly satisfied"),
    (2, "不满意", "Dissatisfied"),
    (1, "非常不满意", "Very dissatisfied"),
)
SATISFACTION_LABELS_EN: Final[dict[str, str]] = {zh: en for _, zh, en in SATISFACTION_SCALE}

LANGUAGES: Final = ("zh", "en")
DEFAULT_LANGUAGE: Final = "zh"
