"""The dashboard figures as a leader reads them: dates in the reader's language, the rate line above the bars,
whole-number count axes, partial weeks marked, questions in questionnaire order, the legend in scale order."""

from __future__ import annotations

import datetime as dt

import pytest

import charts
from analytics.ranking import RankedUnit
from storage import analytics as A
from storage.analytics import QuestionCounts, TrendPoint, UnitFigures

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


def _figures(responses: int, ok: int) -> A.Figures:
    return A._figures(responses, responses, ok, ok * 100.0, 0, 0, 0)


def _ticks(axis) -> list[float]:
    """The tick values Plotly will draw on a linear axis with tick0 / dtick and a range."""
    low, high = axis.range
    values, v = [], axis.tick0
    while v <= high:
        if v >= low:
            values.append(v)
        v += axis.dtick
    return values


@pytest.mark.parametrize("largest", [0, 1, 2, 3, 7, 10, 18, 31, 99, 1234])
def test_count_axes_have_whole_distinct_ticks(largest) -> None:
    axis = charts.go.layout.YAxis(**charts._count_axis(largest))
    ticks = _ticks(axis)
    assert axis.tickformat == ",d" and 2 <= len(ticks) <= 12
    assert all(float(v).is_integer() for v in ticks)
    assert len({int(v) for v in ticks}) == len(ticks)  # no two ticks share a label


def test_trend_dates_per_language_and_rate_line_drawn_over_the_bars() -> None:
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(5)]
    points = [TrendPoint(d, _figures(n, n - 1)) for d, n in zip(days, [3, 1, 2, 2, 1])]
    zh, en = charts.trend(points, "zh"), charts.trend(points, "en")
    assert zh.layout.xaxis.tickformat == "%-m月%-d日" and en.layout.xaxis.tickformat == "%b %-d"
    assert list(zh.layout.xaxis.ticktext) == ["11月1日", "11月2日", "11月3日", "11月4日", "11月5日"]
    assert list(en.layout.xaxis.ticktext)[:2] == ["Nov 1", "Nov 2"]
    bars, line = zh.data
    # Plotly draws an overlaying axis's traces above the base axis's: the line is on the overlaying axis.
    assert (bars.type, bars.yaxis) == ("bar", "y") and (line.type, line.yaxis) == ("scatter", "y2")
    assert zh.layout.yaxis2.overlaying == "y" and zh.layout.yaxis2.side == "left"
    assert zh.layout.yaxis.tickformat == ",d" and zh.layout.yaxis.dtick == 1  # counts 0-3: whole ticks only
    assert line.legendrank < bars.legendrank


def test_trend_with_many_days_leaves_ticks_to_plotly_in_the_chosen_format() -> None:
    days = [dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(30)]
    fig = charts.trend([TrendPoint(d, _figures(20, 15)) for d in days], "zh")
    assert fig.layout.xaxis.tickvals is None and fig.layout.xaxis.tickformat == "%-m月%-d日"


def test_partial_weeks_are_hatched_and_labelled_with_their_days() -> None:
    # 2026-11-01 is a Sunday: a period from it starts with a week of one day.
    since, until = dt.date(2026, 11, 1), dt.date(2026, 11, 18)
    assert since.weekday() == 6
    points = [TrendPoint(dt.date(2026, 10, 26), _figures(5, 4), since, since),
              TrendPoint(dt.date(2026, 11, 2), _figures(40, 30), dt.date(2026, 11, 2), dt.date(2026, 11, 8)),
              TrendPoint(dt.date(2026, 11, 9), _figures(41, 30), dt.date(2026, 11, 9), dt.date(2026, 11, 15)),
              TrendPoint(dt.date(2026, 11, 16), _figures(12, 9), dt.date(2026, 11, 16), until)]
    assert [p.days for p in points] == [1, 7, 7, 3]
    fig = charts.trend(points, "zh")
    bars = fig.data[0]
    assert list(bars.marker.pattern.shape) == ["/", "", "", "/"]
    labels = list(fig.layout.xaxis.ticktext)
    assert labels[0] == "10月26日起<br>仅 1 天" and labels[1] == "11月2日起" and labels[3].endswith("仅 3 天")
    assert bars.customdata[0] == "2026-11-01 – 2026-11-01 (仅 1 天)"
    assert charts.trend(points, "en").layout.xaxis.ticktext[0] == "wk of Oct 26<br>1 of 7 days"
    assert list(bars.y) == [5, 40, 41, 12]  # the figures themselves are unchanged


def test_weekly_trend_counts_the_days_of_partial_weeks(dataset) -> None:
    db = dataset.db
    days = sorted({s.day for s in dataset.rows if not s.voided})
    sunday = next(d for d in days if d.weekday() == 6)
    weeks = A.trend(db, A.Scope.everything(), A.Filters(since=sunday, until=days[-1]), "week")
    assert weeks[0].first_day == weeks[0].last_day == sunday and weeks[0].days == 1
    assert weeks[0].period_start == sunday - dt.timedelta(days=6)  # still the Monday of its week
    assert all(p.days == 7 for p in weeks[1:-1])
    assert weeks[-1].last_day == days[-1] and weeks[-1].days == days[-1].weekday() + 1
    daily = A.trend(db, A.Scope.everything(), A.Filters(since=sunday, until=days[-1]), "day")
    assert sum(p.figures.responses for p in weeks) == sum(p.figures.responses for p in daily)
    assert {p.days for p in daily} == {1}


def test_problem_charts_count_axes_are_whole_numbers() -> None:
    ageing = charts.ageing(["0–7 天", "8–14 天"], [2, 1], "zh")
    assert ageing.layout.yaxis.tickformat == ",d" and ageing.layout.yaxis.dtick == 1
    by = {"环境": {"new": 1, "closed": 1}, "治安": {"assigned": 1}}
    states = ("new", "assigned", "in_progress", "resolved", "closed")
    fig = charts.category_states(by, states, {s: s for s in states}, "zh")
    assert fig.layout.yaxis.tickformat == ",d" and fig.layout.yaxis.dtick == 1 and fig.layout.yaxis.range[1] >= 2


def test_level_distribution_follows_the_questionnaire_and_lists_levels_in_scale_order() -> None:
    # Labels are built from the survey definition, so their order is the questionnaire's: z before a.
    labels = {("z_first", ""): "第一题", ("m", "row2"): "第二题 · 甲", ("m", "row1"): "第二题 · 乙",
              ("a_last", ""): "第三题"}
    counts = [QuestionCounts(q, r, {5: 3, 4: 2, 3: 1, 2: 1, 1: 1})
              for q, r in (("a_last", ""), ("m", "row1"), ("m", "row2"), ("z_first", ""))]
    fig = charts.level_distribution(counts, labels, LEVELS, "zh")
    assert list(fig.data[0].y) == ["第一题", "第二题 · 甲", "第二题 · 乙", "第三题"]
    shown = sorted((tr for tr in fig.data if tr.showlegend is not False), key=lambda tr: tr.legendrank)
    assert [tr.name for tr in shown] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    colours = {tr.name: tr.marker.color for tr in fig.data}
    assert colours == {LEVELS[k]: charts.LEVEL_COLOURS[k] for k in LEVELS}


def test_ranked_bars_keep_the_n_text_at_the_bar_base_away_from_the_whisker() -> None:
    units = [RankedUnit(UnitFigures(i, f"C{i}", f"第{i}社区", 3, False, False, _figures(30, 30 - i)), i)
             for i in (1, 2)]
    bar = charts.ranked_bars(units, "zh").data[0]
    assert bar.textposition == "inside" and bar.insidetextanchor == "start"
    assert bar.text[0].endswith("(n=30)") and "(n=30)" in bar.hovertext[0]
