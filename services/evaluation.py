"""Democratic evaluation results from stored answers, and their Excel result sheet."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from auth.principal import Principal
from i18n import t
from reports.safe import safe_cell
from services.survey_catalog import survey_version
from storage import audit
from storage import evaluation as evaluation_store
from storage.db import Database, Scope
from surveys import Survey
from surveys.evaluation import (
    GradeRules,
    SubjectResult,
    comment_question_ids,
    evaluate_subjects,
    evaluation_question,
    grade_label,
)


@dataclass(frozen=True)
class EvaluationReport:
    """The results of one evaluation survey inside a scope."""

    survey: Survey
    version: int
    ballots: int
    results: list[SubjectResult]


def evaluation_results(
    db: Database, survey_id: str, scope: Scope, rules: GradeRules | None = None, version: int | None = None
) -> EvaluationReport | None:
    """Per-subject votes, rates, result grade and rank from the stored answers (None if the survey is unpublished).

    Subjects are those of the chosen version (default: current); votes are counted over responses to
    ``version`` when given, else over every version (subject row ids are stable across versions).
    """
    loaded = survey_version(db, survey_id, version)
    if loaded is None:
        return None
    survey, number = loaded
    question = evaluation_question(survey)
    counts = evaluation_store.grade_counts(db, survey_id, question.id, scope, version)
    comment_ids = comment_question_ids(survey)
    texts = evaluation_store.comments(db, survey_id, list(comment_ids.values()), scope, version)
    by_subject = {row_id: texts.get(qid, []) for row_id, qid in comment_ids.items()}
    results = evaluate_subjects(survey, counts, rules, by_subject)
    return EvaluationReport(survey, number, evaluation_store.ballots(db, survey_id, scope, version), results)


def result_sheet(report: EvaluationReport, lang: str) -> list[list[object]]:
    """The result table: header row then one row per subject (votes and rates per grade, result, score, rank)."""
    scale = evaluation_question(report.survey).scale
    header: list[object] = [t("evaluation.col.rank", lang), t("evaluation.col.subject", lang)]
    for grade in scale:
        label = grade_label(scale, int(grade.value), lang)
        header += [t("evaluation.col.votes", lang, grade=label), t("evaluation.col.rate", lang, grade=label)]
    header += [t("evaluation.col.total", lang), t("evaluation.col.score", lang), t("evaluation.col.result", lang)]
    rows: list[list[object]] = [header]
    for r in report.results:
        row: list[object] = [r.rank, r.name]  # None (no votes, unranked) shows as an empty cell
        for grade in scale:
            value = int(grade.value)
            rate = r.rates.get(value)
            row += [r.votes.get(value, 0), round(rate * 100, 1) if rate is not None else None]
        row += [r.total, round(r.score, 2) if r.score is not None else None,
                grade_label(scale, r.result, lang) if r.result is not None else t("evaluation.no_votes", lang)]
        rows.append(row)
    return rows


def export_xlsx(db: Database, principal: Principal, report: EvaluationReport, lang: str) -> bytes:
    """The result sheet (and comments sheet) as .xlsx; every cell through safe_cell; the export is audited."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(t("evaluation.sheet.results", lang)[:31])
    sheet.write_row(0, 0, [safe_cell(report.survey.title), safe_cell(t("evaluation.ballots", lang, n=report.ballots))])
    for i, row in enumerate(result_sheet(report, lang), start=2):
        sheet.write_row(i, 0, [safe_cell(v) if v is not None else "" for v in row])
    comments = book.add_worksheet(t("evaluation.sheet.comments", lang)[:31])
    comments.write_row(0, 0, [safe_cell(t("evaluation.col.subject", lang)), safe_cell(t("evaluation.col.comment", lang))])
    line = 1
    for r in report.results:
        for text in r.comments:
            comments.write_row(line, 0, [safe_cell(r.name), safe_cell(text)])
            line += 1
    book.close()
    audit.record(db, "evaluation.export", actor_id=principal.user_id or None, actor_name=principal.username,
                 target=report.survey.id, detail={"version": report.version, "subjects": len(report.results),
                                                  "scope": principal.unit_path})
    return buffer.getvalue()


SUBJECT_HEADERS = ("姓名", "名称", "部门", "单位", "评议对象", "党员姓名", "部门名称", "name", "subject", "department")


def subject_names_from_table(content: bytes, filename: str,
                             progress: Callable[[float], None] | None = None) -> list[str]:
    """Subject names from the first column of a CSV/XLSX list; a header cell such as 姓名 / 部门 is skipped.
    Raises paper_import.PaperImportError for an unreadable or empty file. ``progress(0.0)`` is called as a
    heartbeat while rows stream in (a cancelled import job stops there)."""
    from services.paper_import import read_table

    headers, rows = read_table(content, filename, (lambda: progress(0.0)) if progress is not None else None)
    first = [headers[0]] if headers and headers[0].strip().lower() not in SUBJECT_HEADERS else []
    names = first + [str(cells[0]).strip() for _, cells in rows if cells and cells[0] is not None and str(cells[0]).strip()]
    return [name for name in names if name]
