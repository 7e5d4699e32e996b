"""Plotly figures with Chinese labels and one colour per satisfaction level."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from analytics.ranking import RankedUnit
from i18n import t
from storage.analytics import QuestionCounts, TrendPoint

# One colour per level, the same in every chart: 5 非常满意 … 1 非常不满意.
LEVEL_COLOURS = {5: "#1a7f37", 4: "#7cc47f", 3: "#c9c9c9", 2: "#f08c4a", 1: "#c8161d"}
ACCENT = "#c8161d"
MUTED = "#b0b0b0"
FONT = dict(family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif", size=15)


def _layout(fig: go.Figure, height: int = 420) -> go.Figure:
    fig.update_layout(font=FONT, height=height, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), plot_bgcolor="white")
    fig.update_xaxes(gridcolor="#eeeeee")
    fig.update_yaxes(gridcolor="#eeeeee")
    return fig


def ranked_bars(units: Sequence[RankedUnit], lang: str, direct_label: str = "{name}") -> go.Figure:
    """Horizontal bars of satisfaction rate with 95% intervals, best on top; unranked units grey with their n."""
    rows = [u for u in units if u.row.figures.rate.value is not None]
    names, values, low, high, colours, texts = [], [], [], [], [], []
    for u in rows:
        f = u.row.figures
        name = direct_label.format(name=u.row.unit_name) if u.row.direct else u.row.unit_name
        names.append(f"{u.rank}. {name}" if u.ranked else name)
        values.append(f.rate.value * 100)
        low.append((f.rate.value - f.rate.low) * 100)
        high.append((f.rate.high - f.rate.value) * 100)
        colours.append(LEVEL_COLOURS[5] if u.ranked else MUTED)
        texts.append(f"{f.rate.value * 100:.1f}% (n={f.responses})" if u.ranked
                     else t("chart.unranked", lang, n=f.responses))
    fig = go.Figure(go.Bar(
        y=names, x=values, orientation="h", marker_color=colours, text=texts, textposition="auto",
        error_x=dict(type="data", symmetric=False, array=high, arrayminus=low, color="#555555"),
        customdata=[u.row.unit_id for u in rows], hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=t("chart.rate_pct", lang), range=[0, 100])
    return _layout(fig, height=max(260, 36 * len(rows) + 80))


def level_distribution(counts: Sequence[QuestionCounts], labels: dict[tuple[str, str], str],
                       level_names: dict[int, str], lang: str) -> go.Figure:
    """A diverging stacked bar per question: dissatisfied levels to the left of zero, satisfied to the right,
    the middle level split across it; shares in percent of that question's answers."""
    fig = go.Figure()
    rows = [q for q in counts if q.n and set(q.counts) <= set(LEVEL_COLOURS)]
    names = [labels.get((q.question_id, q.row_id), q.row_id or q.question_id) for q in rows]
    order = (3, 2, 1, 4, 5)  # left side drawn outward from the centre, then the right side
    for level in order:
        share = [q.counts.get(level, 0) / q.n * 100 for q in rows]
        if level == 3:
            fig.add_bar(y=names, x=[-s / 2 for s in share], orientation="h", marker_color=LEVEL_COLOURS[3],
                        name=level_names[3], legendgroup="3", customdata=share,
                        hovertemplate="%{y}<br>" + level_names[3] + ": %{customdata:.1f}%<extra></extra>")
            fig.add_bar(y=names, x=[s / 2 for s in share], orientation="h", marker_color=LEVEL_COLOURS[3],
                        name=level_names[3], legendgroup="3", showlegend=False, customdata=share,
                        hovertemplate="%{y}<br>" + level_names[3] + ": %{customdata:.1f}%<extra></extra>")
            continue
        sign = -1 if level < 3 else 1
        fig.add_bar(y=names, x=[sign * s for s in share], orientation="h", marker_color=LEVEL_COLOURS[level],
                    name=level_names[level], customdata=share,
                    hovertemplate="%{y}<br>" + level_names[level] + ": %{customdata:.1f}%<extra></extra>")
    fig.update_layout(barmode="relative")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=t("chart.share_pct", lang), range=[-100, 100])
    return _layout(fig, height=max(300, 34 * len(rows) + 110))


def trend(points: Sequence[TrendPoint], lang: str) -> go.Figure:
    """Responses as bars and the satisfaction rate as a line on a second axis."""
    x = [p.period_start for p in points]
    fig = go.Figure()
    fig.add_bar(x=x, y=[p.figures.responses for p in points], name=t("chart.responses", lang),
                marker_color="#9ecae1", yaxis="y2")
    fig.add_scatter(x=x, y=[p.figures.rate.value * 100 if p.figures.rate.value is not None else None for p in points],
                    name=t("chart.rate_pct", lang), mode="lines+markers", line=dict(color=ACCENT, width=3))
    fig.update_layout(yaxis=dict(title=t("chart.rate_pct", lang), side="left"),
                      yaxis2=dict(title=t("chart.responses", lang), overlaying="y", side="right", showgrid=False))
    fig.update_layout(yaxis=dict(layer="above traces"))
    return _layout(fig, 380)


def nps_bar(promoters: int, passives: int, detractors: int, lang: str) -> go.Figure:
    fig = go.Figure()
    for key, value, colour in (("detractor", detractors, LEVEL_COLOURS[1]), ("passive", passives, LEVEL_COLOURS[3]),
                               ("promoter", promoters, LEVEL_COLOURS[5])):
        fig.add_bar(y=[""], x=[value], orientation="h", name=t(f"chart.nps.{key}", lang), marker_color=colour,
                    text=[value], textposition="inside")
    fig.update_layout(barmode="stack")
    return _layout(fig, 170)


def burnup(points: Sequence[tuple[dt.date, int]], households: int, target: float, starts_on: dt.date,
           ends_on: dt.date, lang: str) -> go.Figure:
    """Covered households so far against the straight line from the start to the target at the deadline."""
    fig = go.Figure()
    goal = households * target
    fig.add_scatter(x=[starts_on, ends_on], y=[0, goal], mode="lines", name=t("chart.target_line", lang),
                    line=dict(color=MUTED, dash="dash"))
    fig.add_scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers",
                    name=t("chart.covered", lang), line=dict(color=ACCENT, width=3))
    fig.add_hline(y=goal, line=dict(color=LEVEL_COLOURS[5], dash="dot"), annotation_text=t("chart.target", lang))
    fig.update_yaxes(title=t("chart.covered", lang), rangemode="tozero")
    return _layout(fig, 380)


def ageing(labels: Sequence[str], counts: Sequence[int], lang: str) -> go.Figure:
    colours = [LEVEL_COLOURS[4], LEVEL_COLOURS[3], "#f5c04a", LEVEL_COLOURS[2], LEVEL_COLOURS[1]]
    fig = go.Figure(go.Bar(x=list(labels), y=list(counts), marker_color=colours[: len(labels)], text=list(counts)))
    fig.update_xaxes(title=t("chart.days_open", lang))
    fig.update_yaxes(title=t("chart.problems", lang))
    return _layout(fig, 320)


def category_states(by: dict[str, dict[str, int]], states: Sequence[str], state_names: dict[str, str],
                    lang: str) -> go.Figure:
    colours = {"new": LEVEL_COLOURS[1], "assigned": LEVEL_COLOURS[2], "in_progress": "#f5c04a",
               "resolved": LEVEL_COLOURS[4], "closed": LEVEL_COLOURS[5]}
    categories = sorted(by, key=lambda c: -sum(by[c].values()))
    fig = go.Figure()
    for state in states:
        fig.add_bar(x=categories, y=[by[c].get(state, 0) for c in categories], name=state_names[state],
                    marker_color=colours.get(state, MUTED))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title=t("chart.problems", lang))
    return _layout(fig, 360)
