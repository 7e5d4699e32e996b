"""Scoring: per-response satisfaction figures, and the aggregate rate (with Wilson interval), index and NPS, each carrying n."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surveys import constants as c
from surveys.model import Choice, MatrixQuestion, NpsQuestion, RatingQuestion, Survey, is_satisfaction_question


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for k successes out of n, as fractions in [0, 1].

    With n == 0 there is no information and the result is (0.0, 0.0); callers
    show such a figure as "no data" (Rate.value is None), never as 0 %.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return (max(0.0, centre - half_width), min(1.0, centre + half_width))


@dataclass(frozen=True)
class Rate:
    """k of n, as a fraction `value` with its 95% Wilson interval [low, high]; value is None when n == 0."""

    k: int
    n: int
    value: float | None
    low: float
    high: float


def satisfaction_rate(ok: int, n: int) -> Rate:
    """Satisfaction rate: satisfied answers `ok` among `n` answered satisfaction items."""
    low, high = wilson_interval(ok, n)
    return Rate(k=ok, n=n, value=ok / n if n else None, low=low, high=high)


def satisfaction_index(index_sum: float, n: int) -> float | None:
    """Satisfaction index 0–100: the mean of per-item (score − min) / (max − min) × 100; None when n == 0."""
    return index_sum / n if n else None


@dataclass(frozen=True)
class NpsScore:
    """Net promoter score (−100…100) from n answers; value is None when n == 0."""

    promoters: int
    detractors: int
    n: int
    value: float | None


def nps(promoters: int, detractors: int, n: int) -> NpsScore:
    """NPS = (promoters − detractors) / n × 100; promoters answer 9–10, detractors 0–6."""
    if promoters < 0 or detractors < 0 or promoters + detractors > n:
        raise ValueError(f"need promoters + detractors <= n, got {promoters}, {detractors}, {n}")
    return NpsScore(promoters, detractors, n, (promoters - detractors) / n * 100 if n else None)


def nps_group(score: int) -> str:
    """'promoter' (9–10), 'passive' (7–8) or 'detractor' (0–6)."""
    if score >= c.NPS_PROMOTER_MIN:
        return "promoter"
    if score <= c.NPS_DETRACTOR_MAX:
        return "detractor"
    return "passive"


@dataclass(frozen=True)
class ResponseScore:
    """One response's contribution to the satisfaction figures; sums over responses give the aggregates."""

    sat_n: int
    sat_ok: int
    sat_index_sum: float
    nps: int | None


def _points_by_value(scale: tuple[Choice, ...]) -> dict[Any, int | float]:
    return {choice.value: choice.points for choice in scale}


def satisfaction_summary(survey: Survey, clean: Mapping[str, Any]) -> ResponseScore:
    """Score one clean response: every answered satisfaction item (rating question, or row of a matrix) counts once.

    An item is satisfied when its score is >= survey.satisfied_level. `nps` is
    the answer to the survey's first nps question, if any and answered.
    """
    sat_n = 0
    sat_ok = 0
    index_sum = 0.0
    nps_answer: int | None = None
    nps_seen = False
    for question in survey.questions:
        if isinstance(question, NpsQuestion) and not nps_seen:
            nps_seen = True
            nps_answer = clean.get(question.id)
        if not is_satisfaction_question(question) or question.id not in clean:
            continue
        assert isinstance(question, (RatingQuestion, MatrixQuestion))
        points = _points_by_value(question.scale)
        low, high = min(points.values()), max(points.values())
        answer = clean[question.id]
        values = list(answer.values()) if isinstance(question, MatrixQuestion) else [answer]
        for value in values:
            score = points[value]
            sat_n += 1
            sat_ok += score >= survey.satisfied_level
            # A degenerate scale (all scores equal) would divide by zero; treat every answer as top.
            index_sum += (score - low) / (high - low) * 100 if high > low else 100.0
    return ResponseScore(sat_n=sat_n, sat_ok=sat_ok, sat_index_sum=index_sum, nps=nps_answer)
