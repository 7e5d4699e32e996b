"""Dashboard exports: the Excel report of the current view and the raw responses as CSV/Excel; each one audited."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from analytics.views import DrillView, OverviewView, questionnaire_order
from auth.principal import Principal
from i18n import t
from reports.safe import safe_cell, safe_row
from settings import now
from storage import audit
from storage.analytics import QuestionCounts, RawResponse, TrendPoint
from storage.db import Database
from surveys import MatrixQuestion, MultiChoiceQuestion, NoteQuestion, Survey
from surveys.constants import KIND_EVALUATION

RAW_LIMIT = 200_000  # responses per raw export; more is a sign the filters are too wide for a spreadsheet


def _record(db: Database, principal: Principal, action: str, filters: str, rows: int) -> None:
    audit.record(db, action, actor_id=principal.user_id, actor_name=principal.username, target=principal.unit_path,
                 detail={"filters": filters, "rows": rows})


# Number formats: values are written whole (a spreadsheet can compute with them) and shown rounded.
PERCENT = "0.0%"
DECIMAL = "0.0"
INTEGER = "#,##0"


@dataclass(frozen=True)
class Num:
    """A number cell with its display format."""

    value: float | int | None
    format: str = DECIMAL


def _pct(value: float | None) -> Num:
    """A share (0-1) shown as a percentage with one decimal."""
    return Num(value, PERCENT)


def _dec(value: float | None) -> Num:
    return Num(value, DECIMAL)


def _int(value: int | None) -> Num:
    return Num(value, INTEGER)


_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, fallback: str = "Sheet") -> str:
    """``title`` as an Excel sheet name: without []:*?/\\, no leading or trailing apostrophe, at most 31 characters."""
    name = _SHEET_NAME_FORBIDDEN.sub(" ", title).strip().strip("'").strip()[:31].strip()
    return name or fallback


class _Book:
    """An XlsxWriter workbook in memory with the house formats; every cell goes through safe_cell."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "strings_to_formulas": False,
                                                      "strings_to_urls": False})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.head = self.book.add_format({"bold": True, "bg_color": "#f2f2f2", "border": 1, "text_wrap": True})
        self.note = self.book.add_format({"italic": True, "font_color": "#555555"})
        self.numbers: dict[str, Any] = {}

    def number_format(self, pattern: str) -> Any:
        if pattern not in self.numbers:
            self.numbers[pattern] = self.book.add_format({"num_format": pattern})
        return self.numbers[pattern]

    def sheet(self, name: str, title: str, filters_line: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
              widths: Sequence[int] | None = None) -> None:
        ws = self.book.add_worksheet(sheet_name(name))
        ws.write_string(0, 0, str(safe_cell(title)), self.title)
        ws.write_string(1, 0, str(safe_cell(filters_line)), self.note)
        for col, text in enumerate(header):
            ws.write(3, col, safe_cell(text), self.head)
        for r, row in enumerate(rows, start=4):
            for col, value in enumerate(row):
                if isinstance(value, Num):
                    if value.value is None:
                        ws.write_blank(r, col, None)
                    else:
                        ws.write_number(r, col, value.value, self.number_format(value.format))
                    continue
                value = safe_cell(value)
                if isinstance(value, str):
                    ws.write_string(r, col, value)
                else:
                    ws.write(r, col, value)
        for col, width in enumerate(widths or [18] * len(header)):
            ws.set_column(col, col, width)
        ws.freeze_panes(4, 0)

    def bytes(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def view_report(db: Database, principal: Principal, filters_line: str, ov: OverviewView, drill: DrillView,
                trend: Sequence[TrendPoint], questions: Sequence[QuestionCounts], labels: dict[tuple[str, str], str],
                level_names: dict[int, str], lang: str) -> bytes:
    """The current dashboard view as an Excel workbook: one sheet per section, the filters at the top of each."""
    head = f"{t('dash.filters_line', lang, text=filters_line)} · {t('report.generated', lang)} {now():%Y-%m-%d %H:%M}" \
           f" · {t('report.by', lang)} {principal.display_name}"
    book = _Book()
    fig = ov.overview.figures
    p = ov.problems
    v = ov.visits
    overview_rows: list[list[Any]] = [
        [t("dash.responses", lang), fig.responses],
        [t("dash.rate", lang) + " (%)", _pct(fig.rate.value)],
        [t("dash.col.low", lang) + " (%)", _pct(fig.rate.low) if fig.rate.n else None],
        [t("dash.col.high", lang) + " (%)", _pct(fig.rate.high) if fig.rate.n else None],
        [t("dash.col.n", lang), fig.rate.n],
        [t("dash.index", lang), _dec(fig.index)],
        [t("dash.nps", lang), _dec(fig.nps.value)],
        [t("dash.responses_today", lang), ov.overview.responses_today],
        [t("dash.responses_7d", lang), ov.overview.responses_7_days],
        [t("dash.responses_total", lang), ov.overview.responses_all_time],
    ]
    if v is not None:
        overview_rows += [[t("dash.coverage", lang) + " (%)", _pct(v.coverage)],
                          [t("dash.pace", lang), _dec(v.pace_needed(ov.today))],
                          [t("dash.make_up", lang), v.make_up], [t("dash.return_visits", lang), v.return_visits]]
        if v.newly_covered is not None:
            overview_rows.append([t("dash.newly_covered", lang), v.newly_covered])
    # open and overdue as of now; raised, resolved rate and median days of the problems raised in the period
    overview_rows += [[t("dash.problems_open", lang), p.open], [t("dash.problems_overdue", lang), p.overdue],
                      [t("dash.problems_raised", lang), ov.raised.raised],
                      [t("dash.resolved_rate", lang) + " (%)", _pct(ov.raised.resolved_rate)],
                      [t("dash.median_days", lang), _dec(ov.raised.median_days_to_close)],
                      [t("dash.resolution_sat", lang) + " (%)", _pct(ov.resolution.rate.value)]]
    book.sheet(t("report.sheet.overview", lang), t("report.title", lang), head,
               [t("report.col.figure", lang), t("report.col.value", lang)], overview_rows, [28, 16])
    drill_rows = [[u.rank if u.ranked else t("dash.unranked", lang), u.row.unit_code,
                   t("dash.direct", lang, name=u.row.unit_name) if u.row.direct else u.row.unit_name,
                   u.row.figures.responses, _pct(u.row.figures.rate.value), u.row.figures.rate.n,
                   _pct(u.row.figures.rate.low) if u.row.figures.rate.n else None,
                   _pct(u.row.figures.rate.high) if u.row.figures.rate.n else None, _dec(u.row.figures.index),
                   _dec(u.row.figures.nps.value)] for u in drill.ranked]
    book.sheet(t("report.sheet.drill", lang), t("dash.drill_level", lang, name=drill.parent.name), head,
               [t(k, lang) for k in ("dash.col.rank", "dash.col.code", "dash.col.unit", "dash.col.responses",
                                     "dash.col.rate", "dash.col.n", "dash.col.low", "dash.col.high", "dash.col.index",
                                     "dash.col.nps")], drill_rows, [8, 14, 24, 12, 12, 12, 12, 12, 12, 12])
    book.sheet(t("report.sheet.trend", lang), t("dash.trends", lang), head,
               [t("dash.period_start", lang), t("dash.col.responses", lang), t("dash.col.rate", lang),
                t("dash.col.n", lang), t("dash.col.index", lang)],
               [[p.period_start.isoformat(), p.figures.responses, _pct(p.figures.rate.value), p.figures.rate.n,
                 _dec(p.figures.index)] for p in trend])
    if questions:
        levels = sorted(level_names, reverse=True)
        rows = [[labels[(q.question_id, q.row_id)], q.n, *[q.counts.get(level, 0) for level in levels]]
                for q in questionnaire_order(questions, labels) if (q.question_id, q.row_id) in labels]
        book.sheet(t("report.sheet.questions", lang), t("dash.questions", lang), head,
                   [t("report.col.question", lang), "n", *[level_names[x] for x in levels]], rows, [48] + [12] * 6)
    data = book.bytes()
    _record(db, principal, "export.dashboard_report", filters_line, len(drill_rows))
    return data


def _answer_columns(survey: Survey, lang: str) -> list[tuple[str, str, str]]:
    """(question id, row id, header label) per exported column, in survey order."""
    columns = []
    for q in survey.questions:
        if isinstance(q, NoteQuestion):
            continue
        if isinstance(q, MatrixQuestion):
            columns += [(q.id, row.id, f"{q.label} · {row.label}") for row in q.rows]
        else:
            columns.append((q.id, "", q.label))
    return columns


def _choice_labels(survey: Survey) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for q in survey.questions:
        choices = getattr(q, "choices", None) or ()
        if choices:
            out[q.id] = {str(c.value): c.label for c in choices}
    return out


def _raw_table(survey: Survey, responses: Sequence[RawResponse], lang: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of a raw export. A 民主评议 ballot never leaves with anything that links it to a voter:
    no response id, unit, channel or time, and the ballots in a random order (README: results never link a
    grade to a voter)."""
    columns = _answer_columns(survey, lang)
    labels = _choice_labels(survey)
    multi = {q.id for q in survey.questions if isinstance(q, MultiChoiceQuestion)}
    ballots = survey.kind == KIND_EVALUATION
    heads = ("report.col.survey", "report.col.version") if ballots else (
        "report.col.response_id", "report.col.survey", "report.col.version", "report.col.unit_code", "report.col.unit",
        "report.col.channel", "report.col.submitted_at")
    header = [t(k, lang) for k in heads] + [label for _, _, label in columns]
    if ballots:
        responses = list(responses)
        secrets.SystemRandom().shuffle(responses)
    rows = []
    for r in responses:
        row: list[Any] = [r.survey_id, r.survey_version] if ballots else [
            r.id, r.survey_id, r.survey_version, r.unit_code, r.unit_name, t(f"dash.channel.{r.channel}", lang),
            r.submitted_at.strftime("%Y-%m-%d %H:%M:%S")]
        for qid, row_id, _ in columns:
            values = r.answers.get((qid, row_id), [])
            shown = [labels.get(qid, {}).get(str(v), v) for v in values]
            if not shown:
                row.append(None)
            elif qid in multi or len(shown) > 1:
                row.append("；".join(str(v) for v in shown))
            else:
                row.append(shown[0])
        rows.append(safe_row(row))
    return header, rows


def raw_responses_csv(db: Database, principal: Principal, survey: Survey, responses: Sequence[RawResponse],
                      filters_line: str, lang: str) -> bytes:
    """Raw responses as UTF-8 CSV (with BOM, so Excel and WPS read the Chinese), question labels as headers."""
    header, rows = _raw_table(survey, responses, lang)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(header))
    writer.writerows(rows)
    _record(db, principal, "export.responses_csv", filters_line, len(rows))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def raw_responses_xlsx(db: Database, principal: Principal, survey: Survey, responses: Sequence[RawResponse],
                       filters_line: str, lang: str) -> bytes:
    header, rows = _raw_table(survey, responses, lang)
    book = _Book()
    book.sheet(sheet_name(survey.title, survey.id), survey.title, t("dash.filters_line", lang, text=filters_line),
               header, rows)
    data = book.bytes()
    _record(db, principal, "export.responses_xlsx", filters_line, len(rows))
    return data
