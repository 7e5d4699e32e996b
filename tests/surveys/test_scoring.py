"""Scoring: Wilson interval, per-response satisfaction summary, rate, index and NPS — values computed by hand."""

from __future__ import annotations

import textwrap

import pytest

from surveys import (
    NpsScore,
    Rate,
    ResponseScore,
    load_survey_text,
    nps,
    nps_group,
    satisfaction_index,
    satisfaction_rate,
    satisfaction_summary,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (8, 10, (0.4902, 0.9433)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (50, 100, (0.4038, 0.5962)),
        (0, 0, (0.0, 0.0)),
    ],
)
def test_wilson_interval_known_values(k: int, n: int, expected: tuple[float, float]) -> None:
    low, high = wilson_interval(k, n)
    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_interval_rejects_k_above_n() -> None:
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_satisfaction_rate_carries_n_and_interval() -> None:
    rate = satisfaction_rate(8, 10)
    assert (rate.k, rate.n, rate.value, round(rate.low, 4), round(rate.high, 4)) == (8, 10, 0.8, 0.4902, 0.9433)


def test_satisfaction_rate_with_no_answers_has_no_value() -> None:
    assert satisfaction_rate(0, 0) == Rate(k=0, n=0, value=None, low=0.0, high=0.0)


def test_satisfaction_index() -> None:
    assert (satisfaction_index(150.0, 4), satisfaction_index(0.0, 0)) == (37.5, None)


def test_nps() -> None:
    assert (nps(5, 2, 10), nps(0, 0, 0)) == (NpsScore(5, 2, 10, 30.0), NpsScore(0, 0, 0, None))


def test_nps_groups() -> None:
    assert [nps_group(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor", "detractor", "passive", "passive", "promoter", "promoter"
    ]


SURVEY = load_survey_text(
    textwrap.dedent(
        """
        id: score
        title: 计分
        questions:
          - {id: q1, type: rating, label: 总体}
          - {id: q2, type: rating, label: 环境}
          - {id: q3, type: rating, label: 不计入, counts_toward_satisfaction: false}
          - {id: mx, type: matrix, label: 民生, counts_toward_satisfaction: true,
             rows: [{id: r1, label: 养老}, {id: r2, label: 医疗}, {id: r3, label: 教育}]}
          - {id: mx2, type: matrix, label: 不计入矩阵, rows: [{id: r1, label: X}]}
          - {id: rec, type: nps, label: 推荐}
        """
    ),
    "score.yaml",
)


def test_satisfaction_summary_per_response() -> None:
    clean = {"q1": 4, "q2": 2, "q3": 5, "mx": {"r1": 3, "r2": 1}, "mx2": {"r1": 5}, "rec": 9}
    # Items: q1=4, q2=2, r1=3, r2=1 (q3 and mx2 do not count, r3 unanswered).
    # ok (>= 3): q1, r1 → 2.  index: (4-1)/4*100 + (2-1)/4*100 + (3-1)/4*100 + 0 = 75 + 25 + 50 = 150.
    assert satisfaction_summary(SURVEY, clean) == ResponseScore(sat_n=4, sat_ok=2, sat_index_sum=150.0, nps=9)


def test_satisfaction_summary_empty_response() -> None:
    assert satisfaction_summary(SURVEY, {}) == ResponseScore(sat_n=0, sat_ok=0, sat_index_sum=0.0, nps=None)


def test_satisfied_level_and_custom_scores() -> None:
    survey = load_survey_text(
        textwrap.dedent(
            """
            id: custom
            title: 自定义
            satisfied_level: 4
            choice_lists:
              three: [{value: 3, label: 好, score: 5}, {value: 2, label: 中, score: 3}, {value: 1, label: 差}]
            questions:
              - {id: a, type: rating, label: A}
              - {id: b, type: rating, label: B, scale: three}
            """
        )
    )
    # a=3 on the default scale: not >= 4, index (3-1)/4*100 = 50.
    # b=3 scores 5 on scale [1..5 by score]: >= 4, index (5-1)/4*100 = 100.
    assert satisfaction_summary(survey, {"a": 3, "b": 3}) == ResponseScore(2, 1, 150.0, None)


def test_aggregate_from_responses_recomputes_by_hand() -> None:
    responses = [
        {"q1": 5, "q2": 4, "rec": 10},
        {"q1": 3, "q2": 1, "rec": 6},
        {"q1": 2, "rec": 8},
    ]
    scores = [satisfaction_summary(SURVEY, r) for r in responses]
    n = sum(s.sat_n for s in scores)
    ok = sum(s.sat_ok for s in scores)
    index = satisfaction_index(sum(s.sat_index_sum for s in scores), n)
    nps_values = [s.nps for s in scores if s.nps is not None]
    result = nps(
        sum(nps_group(v) == "promoter" for v in nps_values),
        sum(nps_group(v) == "detractor" for v in nps_values),
        len(nps_values),
    )
    # items 5,4,3,1,2 → ok 3 of 5; index (100+75+50+0+25)/5 = 50; NPS (1-1)/3*100 = 0.
    assert (n, ok, index, result.value) == (5, 3, 50.0, 0.0)
