"""Democratic evaluation (民主评议): subjects graded on a grade scale, result grades by a rule chain, ranking.

An evaluation survey is an ordinary survey of kind ``evaluation`` whose first ``matrix`` question holds the
subjects as rows (party members of a branch, or departments) and the grade scale as its scale, listed best
first (default 优秀 4 / 合格 3 / 基本合格 2 / 不合格 1). An optional comment per subject is a text question
with id ``comment_<row id>``. Answers are stored like any matrix: one row per subject with the grade value,
so results are counts per (subject, grade) and never need to know who voted.

Default rule chain (first match wins; shares are of the votes the subject received; "exceeds" is strict,
so exactly one third of 不合格 votes is NOT 不合格):

1. no votes → no result (shown as "no votes", not ranked);
2. 不合格 (worst grade) votes exceed 1/3 → 不合格;
3. 基本合格 + 不合格 (the two worst grades) votes exceed 1/3 → 基本合格 (only on scales of 4+ grades);
4. 优秀 (best grade) votes exceed 1/2 → 优秀;
5. otherwise → 合格 (the second best grade).

Ranking: by the mean grade score (the grade's value, 4 … 1) highest first; equal means share a rank
(1, 1, 3); subjects without votes are listed last without a rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from surveys import constants as c
from surveys.model import Choice, MatrixQuestion, Survey, TextQuestion

DEFAULT_GRADES: tuple[Choice, ...] = (
    Choice(value=4, label="优秀"),
    Choice(value=3, label="合格"),
    Choice(value=2, label="基本合格"),
    Choice(value=1, label="不合格"),
)
GRADE_LABELS_EN = {
    "优秀": "Excellent", "合格": "Qualified", "基本合格": "Basically qualified", "不合格": "Unqualified",
    "满意": "Satisfied", "比较满意": "Fairly satisfied", "基本满意": "Basically satisfied", "不满意": "Dissatisfied",
}
GRADE_LIST = "grades"
EVALUATION_QUESTION = "grades"
COMMENT_PREFIX = "comment_"
COMMENT_MAX_LENGTH = 200


@dataclass(frozen=True)
class GradeRule:
    """`result` when the votes for `grades` exceed (or, if not strict, reach) `share` of all the subject's votes."""

    result: int
    grades: tuple[int, ...]
    share: Fraction
    strict: bool = True

    def matches(self, votes: Mapping[int, int], total: int) -> bool:
        counted = sum(votes.get(g, 0) for g in self.grades)
        # Whole-number arithmetic: counted / total > share, exactly, with no float rounding at 1/3.
        left, right = counted * self.share.denominator, self.share.numerator * total
        return left > right if self.strict else left >= right


@dataclass(frozen=True)
class GradeRules:
    """The rule chain (first match wins) and the grade given when no rule matches."""

    rules: tuple[GradeRule, ...]
    fallback: int

    def result(self, votes: Mapping[int, int]) -> int | None:
        """The result grade value for a subject's votes per grade; None when there are no votes."""
        total = sum(votes.values())
        if total == 0:
            return None
        for rule in self.rules:
            if rule.matches(votes, total):
                return rule.result
        return self.fallback


def default_rules(scale: Sequence[Choice] = DEFAULT_GRADES) -> GradeRules:
    """The documented default chain for a scale listed best first (see the module docstring)."""
    values = [int(choice.value) for choice in scale]
    if len(values) < 2:
        raise ValueError("a grade scale needs at least two grades")
    best, worst = values[0], values[-1]
    rules = [GradeRule(worst, (worst,), Fraction(1, 3))]
    if len(values) >= 4:
        rules.append(GradeRule(values[-2], (values[-2], worst), Fraction(1, 3)))
    rules.append(GradeRule(best, (best,), Fraction(1, 2)))
    return GradeRules(tuple(rules), values[1] if len(values) >= 3 else best)


@dataclass(frozen=True)
class SubjectResult:
    """One subject's result: votes and rates per grade value, the result grade, mean score and rank."""

    subject_id: str
    name: str
    votes: Mapping[int, int]
    total: int
    rates: Mapping[int, float | None]
    result: int | None
    score: float | None
    rank: int | None
    comments: tuple[str, ...] = ()


def evaluation_question(survey: Survey) -> MatrixQuestion:
    """The matrix whose rows are the subjects (the first matrix of the survey)."""
    for question in survey.questions:
        if isinstance(question, MatrixQuestion):
            return question
    raise ValueError(f"survey {survey.id} has no matrix question of subjects")


def comment_question_ids(survey: Survey) -> dict[str, str]:
    """Subject row id → the id of its optional comment question, for the subjects that have one."""
    question = evaluation_question(survey)
    ids = set(survey.question_ids())
    return {row.id: f"{COMMENT_PREFIX}{row.id}" for row in question.rows if f"{COMMENT_PREFIX}{row.id}" in ids}


def grade_label(scale: Sequence[Choice], value: int | None, lang: str = c.DEFAULT_LANGUAGE) -> str:
    """The label of a grade value in the given language ('' for None)."""
    for choice in scale:
        if choice.value == value:
            return GRADE_LABELS_EN.get(choice.label, choice.label) if lang == "en" else choice.label
    return ""


def evaluate_subjects(
    survey: Survey,
    counts: Mapping[str, Mapping[int, int]],
    rules: GradeRules | None = None,
    comments: Mapping[str, Sequence[str]] | None = None,
) -> list[SubjectResult]:
    """Results for every subject of the survey, ranked (see the module docstring).

    `counts` maps subject row id → grade value → number of votes (as summed from stored answers);
    votes for values not on the scale are ignored, subjects not on the survey are ignored.
    """
    question = evaluation_question(survey)
    rules = rules or default_rules(question.scale)
    values = [int(choice.value) for choice in question.scale]
    points = {int(choice.value): choice.points for choice in question.scale}
    unranked: list[SubjectResult] = []
    for row in question.rows:
        raw = counts.get(row.id, {})
        votes = {v: int(raw.get(v, 0)) for v in values}
        total = sum(votes.values())
        rates = {v: (votes[v] / total if total else None) for v in values}
        score = sum(points[v] * n for v, n in votes.items()) / total if total else None
        unranked.append(SubjectResult(
            row.id, row.label, votes, total, rates, rules.result(votes), score, None,
            tuple((comments or {}).get(row.id, ())),
        ))
    return rank_subjects(unranked)


def rank_subjects(results: Sequence[SubjectResult]) -> list[SubjectResult]:
    """Competition ranking by mean score (ties share a rank); subjects without votes last, unranked."""
    voted = sorted((r for r in results if r.score is not None), key=lambda r: -r.score)  # type: ignore[operator]
    ranked: list[SubjectResult] = []
    previous: float | None = None
    rank = 0
    for position, result in enumerate(voted, start=1):
        if previous is None or result.score != previous:
            rank = position
            previous = result.score
        ranked.append(SubjectResult(**{**result.__dict__, "rank": rank}))
    return ranked + [r for r in results if r.score is None]


# --- building an evaluation survey ------------------------------------------


def subject_rows(names: Sequence[str]) -> list[dict[str, str]]:
    """Matrix rows for subject names (blank and repeated names dropped), ids s1, s2, …"""
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for name in names:
        name = str(name).strip()
        if name and name not in seen:
            seen.add(name)
            rows.append({c.ID: f"s{len(rows) + 1}", c.LABEL: name})
    return rows


def evaluation_definition(
    survey_id: str,
    title: str,
    subjects: Sequence[str],
    *,
    question_label: str = "请对以下人员逐一评定等次",
    grades: Sequence[Choice] = DEFAULT_GRADES,
    with_comments: bool = True,
    required: bool = False,
    intro: str = "本次评议以无记名方式进行，评议结果不与评议人关联。",
    comment_label: str = "对{name}的意见建议（选填）",
) -> dict[str, Any]:
    """A definition dict (for survey_from_dict) of an evaluation survey grading `subjects`.

    Grading is optional per subject by default: a blank is an abstention for that subject (弃权), not a vote.
    """
    rows = subject_rows(subjects)
    pages: list[dict[str, Any]] = [{
        c.ID: "grading",
        c.QUESTIONS: [{
            c.ID: EVALUATION_QUESTION, c.TYPE: c.MATRIX, c.LABEL: question_label, c.SCALE: GRADE_LIST, c.ROWS: rows,
            **({c.REQUIRED: True} if required else {}),
        }],
    }]
    if with_comments and rows:
        pages.append({
            c.ID: "comments",
            c.QUESTIONS: [
                {c.ID: f"{COMMENT_PREFIX}{row[c.ID]}", c.TYPE: c.TEXT, c.LABEL: comment_label.format(name=row[c.LABEL]),
                 c.MAX_LENGTH: COMMENT_MAX_LENGTH}
                for row in rows
            ],
        })
    return {
        c.ID: survey_id,
        c.TITLE: title,
        c.INTRO: intro,
        c.KIND: c.KIND_EVALUATION,
        c.CHOICE_LISTS: {GRADE_LIST: [{c.VALUE: g.value, c.LABEL: g.label} for g in grades]},
        c.PAGES: pages,
    }


def is_comment_question(question: Any) -> bool:
    return isinstance(question, TextQuestion) and question.id.startswith(COMMENT_PREFIX)
