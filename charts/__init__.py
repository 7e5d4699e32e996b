"""Plotly figures with Chinese labels and one colour per satisfaction level.

Plotly reads HTML in every string it draws, so each stored text (unit, question, grade and category names) goes in
through ui.markup.chart_text; catalogue text and numbers are the only markup-free strings used as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from analytics.ranking import RankedUnit
from analytics.views import questionnaire_order
from i18n import t
from storage.analytics import QuestionCounts, TrendPoint
from ui.markup import chart_text

# One colour per level, the same in every chart: 5 非常满意 … 1 非常不满意.
LEVEL_COLOURS = {5: "#1a7f37", 4: "#7cc47f", 3: "#c9c9c9", 2: "#f08c4a", 1: "#c8161d"}
ACCENT = "#c8161d"
MUTED = "#b0b0b0"
FONT = dict(family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif", size=15)


# Date ticks in the reader's language: 11月1日 / Nov 1; the hover shows the full date.
DATE_TICKS = {"zh": "%-m月%-d日", "en": "%b %-d"}
DATE_HOVER = "%Y-%m-%d"


def _count_axis(largest: float, headroom: float = 1.1) -> dict:
    """Axis settings for counts: from zero, whole-number ticks only, at a step of 1, 2 or 5 × 10^k chosen for
    about six ticks (so never 0.2 or 18.3, and never two ticks that round to the same label)."""
    top = max(1, largest) * headroom
    step = 1
    while step * 6 < top:
        for factor in (2, 2.5, 2):  # 1 → 2 → 5 → 10 → 20 …
            step = int(step * factor)
            if step * 6 >= top:
                break
    return dict(tickformat=",d", rangemode="tozero", tick0=0, dtick=step, range=[0, top])


def _date_axis(days: Sequence[dt.date], lang: str) -> dict:
    """A date axis labelled per language; with few days, one tick per day (never two ticks on one day)."""
    axis: dict = dict(type="date", tickformat=DATE_TICKS.get(lang, DATE_TICKS["zh"]), hoverformat=DATE_HOVER)
    if len(days) <= 14:
        axis.update(tickmode="array", tickvals=list(days), ticktext=[_day_label(d, lang) for d in days])
    return axis


def _day_label(day: dt.date, lang: str) -> str:
    return f"{day.month}月{day.day}日" if lang != "en" else f"{day:%b} {day.day}"


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
        name = direct_label.format(name=chart_text(u.row.unit_name)) if u.row.direct else chart_text(u.row.unit_name)
        names.append(f"{u.rank}. {name}" if u.ranked else name)
        values.append(f.rate.value * 100)
        low.append((f.rate.value - f.rate.low) * 100)
        high.append((f.rate.high - f.rate.value) * 100)
        colours.append(LEVEL_COLOURS[5] if u.ranked else MUTED)
        texts.append(f"{f.rate.value * 100:.1f}% (n={f.responses})" if u.ranked
                     else t("chart.unranked", lang, n=f.responses))
    fig = go.Figure(go.Bar(
        y=names, x=values, orientation="h", marker_color=colours, text=texts,
        # The rate and n sit at the base of the bar, away from the interval whisker at its end.
        textposition="inside", insidetextanchor="start",
        error_x=dict(type="data", symmetric=False, array=high, arrayminus=low, color="#555555"),
        customdata=[u.row.unit_id for u in rows], hovertext=texts,
        hovertemplate="%{y}: %{hovertext}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=t("chart.rate_pct", lang), range=[0, 100])
    return _layout(fig, height=max(260, 36 * len(rows) + 80))


# The legend lists the five levels in scale order, 非常满意 first, whatever order the bars are drawn in.
_LEGEND_RANK = {5: 1, 4: 2, 3: 3, 2: 4, 1: 5}


def level_distribution(counts: Sequence[QuestionCounts], labels: dict[tuple[str, str], str],
                       level_names: dict[int, str], lang: str) -> go.Figure:
    """A diverging stacked bar per question: dissatisfied levels to the left of zero, satisfied to the right,
    the middle level split across it; shares in percent of that question's answers."""
    fig = go.Figure()
    rows = questionnaire_order([q for q in counts if q.n and set(q.counts) <= set(LEVEL_COLOURS)], labels)
    names = [chart_text(labels.get((q.question_id, q.row_id), q.row_id or q.question_id)) for q in rows]
    order = (3, 2, 1, 4, 5)  # left side drawn outward from the centre, then the right side
    level_names = {level: chart_text(name) for level, name in level_names.items()}
    for level in order:
        share = [q.counts.get(level, 0) / q.n * 100 for q in rows]
        if level == 3:
            fig.add_bar(y=names, x=[-s / 2 for s in share], orientation="h", marker_color=LEVEL_COLOURS[3],
                        name=level_names[3], legendgroup="3", customdata=share, legendrank=_LEGEND_RANK[3],
                        hovertemplate="%{y}<br>" + level_names[3] + ": %{customdata:.1f}%<extra></extra>")
            fig.add_bar(y=names, x=[s / 2 for s in share], orientation="h", marker_color=LEVEL_COLOURS[3],
                        name=level_names[3], legendgroup="3", showlegend=False, customdata=share,
                        hovertemplate="%{y}<br>" + level_names[3] + ": %{customdata:.1f}%<extra></extra>")
            continue
        sign = -1 if level < 3 else 1
        fig.add_bar(y=names, x=[sign * s for s in share], orientation="h", marker_color=LEVEL_COLOURS[level],
                    name=level_names[level], customdata=share, legendrank=_LEGEND_RANK[level],
                    hovertemplate="%{y}<br>" + level_names[level] + ": %{customdata:.1f}%<extra></extra>")
    fig.update_layout(barmode="relative", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=t("chart.share_pct", lang), range=[-100, 100])
    return _layout(fig, height=max(300, 34 * len(rows) + 110))


def trend(points: Sequence[TrendPoint], lang: str) -> go.Figure:
    """Responses as bars (right axis) and the satisfaction rate as a line drawn over them (left axis).

    The rate sits on the overlaying axis so Plotly draws it above the bars. A week only partly inside the
    filtered period (a first week starting on its Sunday, the current week) is drawn hatched, with its day count
    in the tick label and the hover, so its smaller bar does not read as a dip."""
    x = [p.period_start for p in points]
    weekly = any(p.first_day is not None for p in points)
    counts = [p.figures.responses for p in points]
    rates = [p.figures.rate.value * 100 if p.figures.rate.value is not None else None for p in points]
    spans = [_span(p, lang) for p in points]
    partial = [weekly and p.days < 7 for p in points]
    fig = go.Figure()
    fig.add_bar(x=x, y=counts, name=t("chart.responses", lang), marker_color="#9ecae1", opacity=0.75,
                marker_pattern_shape=["/" if p else "" for p in partial], customdata=spans,
                hovertemplate="%{customdata}<br>" + t("chart.responses", lang) + ": %{y:,d}<extra></extra>",
                yaxis="y", legendrank=2)
    fig.add_scatter(x=x, y=rates, name=t("chart.rate_pct", lang), mode="lines+markers", yaxis="y2",
                    line=dict(color=ACCENT, width=3), marker=dict(size=8, line=dict(color="white", width=1.5)),
                    customdata=spans, legendrank=1, connectgaps=False,
                    hovertemplate="%{customdata}<br>" + t("chart.rate_pct", lang) + ": %{y:.1f}<extra></extra>")
    xaxis = _date_axis(x, lang)
    if weekly and "ticktext" in xaxis:
        xaxis["ticktext"] = [_week_label(p, lang) for p in points]
    # The bars keep to the lower part of the plot and the rate (0-100) runs above them, so neither hides the other.
    count_axis = _count_axis(max(counts, default=0), headroom=1.8)
    fig = _layout(fig, 380)
    fig.update_layout(
        xaxis=xaxis,
        yaxis=dict(title=t("chart.responses", lang), side="right", showgrid=False, **count_axis),
        yaxis2=dict(title=t("chart.rate_pct", lang), side="left", overlaying="y", showgrid=True,
                    gridcolor="#eeeeee", range=[0, 105]),
    )
    return fig


def _span(p: TrendPoint, lang: str) -> str:
    """The hover's period: a day, or a week's days inside the period with how many of its 7 they are."""
    if p.first_day is None:
        return p.period_start.isoformat()
    text = f"{p.first_day.isoformat()} – {p.last_day.isoformat()}"
    return text if p.days == 7 else f"{text} ({t('chart.partial_week', lang, days=p.days)})"


def _week_label(p: TrendPoint, lang: str) -> str:
    label = t("chart.week_of", lang, day=_day_label(p.period_start, lang))
    return label if p.days == 7 else f"{label}<br>{t('chart.partial_week', lang, days=p.days)}"


def nps_bar(promoters: int, passives: int, detractors: int, lang: str) -> go.Figure:
    fig = go.Figure()
    for key, value, colour in (("detractor", detractors, LEVEL_COLOURS[1]), ("passive", passives, LEVEL_COLOURS[3]),
                               ("promoter", promoters, LEVEL_COLOURS[5])):
        fig.add_bar(y=[""], x=[value], orientation="h", name=t(f"chart.nps.{key}", lang), marker_color=colour,
                    text=[value], textposition="inside")
    fig.update_layout(barmode="stack")
    fig = _layout(fig, 170)
    fig.update_xaxes(**_count_axis(promoters + passives + detractors, headroom=1.0))
    return fig


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
    fig = _layout(fig, 380)
    fig.update_yaxes(title=t("chart.covered", lang),
                     **_count_axis(max([goal, *(p[1] for p in points)])))
    return fig


def ageing(labels: Sequence[str], counts: Sequence[int], lang: str) -> go.Figure:
    colours = [LEVEL_COLOURS[4], LEVEL_COLOURS[3], "#f5c04a", LEVEL_COLOURS[2], LEVEL_COLOURS[1]]
    fig = go.Figure(go.Bar(x=list(labels), y=list(counts), marker_color=colours[: len(labels)], text=list(counts)))
    fig.update_xaxes(title=t("chart.days_open", lang))
    fig = _layout(fig, 320)
    fig.update_yaxes(title=t("chart.problems", lang), **_count_axis(max(counts, default=0)))
    return fig


def category_states(by: dict[str, dict[str, int]], states: Sequence[str], state_names: dict[str, str],
                    lang: str) -> go.Figure:
    colours = {"new": LEVEL_COLOURS[1], "assigned": LEVEL_COLOURS[2], "in_progress": "#f5c04a",
               "resolved": LEVEL_COLOURS[4], "closed": LEVEL_COLOURS[5]}
    categories = sorted(by, key=lambda c: -sum(by[c].values()))
    shown = [chart_text(c) for c in categories]
    fig = go.Figure()
    for state in states:
        fig.add_bar(x=shown, y=[by[c].get(state, 0) for c in categories], name=chart_text(state_names[state]),
                    marker_color=colours.get(state, MUTED))
    fig.update_layout(barmode="stack")
    fig = _layout(fig, 360)
    fig.update_yaxes(title=t("chart.problems", lang),
                     **_count_axis(max((sum(by[c].get(s, 0) for s in states) for c in categories), default=0)))
    return fig
