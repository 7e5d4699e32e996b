"""Importing paper questionnaires typed into CSV/XLSX: match columns, check every row, then store all rows or none."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from auth.principal import Principal
from services import uploads
from services.survey_catalog import survey_version
from storage import audit, orgs
from storage.db import Database
from storage.responses import NewResponse, write_response_tx
from settings import now
from surveys import Survey, answer_rows, validate_answers, visible_questions
from surveys import constants as c
from surveys.errors import ImportIssue
from surveys.model import (
    MatrixQuestion,
    MultiChoiceQuestion,
    NoteQuestion,
    NpsQuestion,
    Question,
    RatingQuestion,
    SingleChoiceQuestion,
)
from surveys.scoring import satisfaction_summary

UNIT_COLUMNS = ("unit", "unit_code", "单位编码", "单位", "组织编码")
TIME_COLUMNS = ("submitted_at", "submitted", "提交时间", "填写时间", "时间")
MULTI_SEPARATORS = re.compile(r"[,，;；、|]+")
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
# How a clerk writes a date: 2026-11-3, 2026/11/3, 2026.11.3, 2026年11月3日 (optionally followed by a time).
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:\s*T?\s*(\d{1,2})\s*[:点时]\s*(\d{1,2})"
                     r"\s*分?(?:\s*:?\s*(\d{1,2})\s*秒?)?)?")
# A question number a clerk copies from the paper form: "1. ", "1、", "(1)", "第1题", "Q1:" …
NUMBERING_RE = re.compile(r"^(?:第?\s*\d+\s*(?:[.、:)\]]|题)|\(\d+\)|\[\d+\]|q\d+\s*[.、:)]?|[一二三四五六七八九十]+\s*[、.])\s*")


class PaperImportError(Exception):
    """The file as a whole cannot be imported (unreadable, no rows, survey not published); `issue` says why."""

    def __init__(self, issue: ImportIssue) -> None:
        super().__init__(issue.code)
        self.issue = issue


@dataclass(frozen=True)
class Column:
    """What one file column holds: a question (and matrix row), the unit code, the submitted time, or nothing."""

    header: str
    kind: str  # "question" | "unit" | "time" | "ignored"
    question_id: str | None = None
    row_id: str | None = None


@dataclass
class ImportPlan:
    """A checked file: the responses it would store, every problem by row and column, and column-level warnings."""

    survey_id: str
    version: int
    columns: list[Column]
    rows_total: int
    responses: list[NewResponse] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> list[int]:
        return sorted({issue.row for issue in self.errors if issue.row > 1})


# --- reading the file ----------------------------------------------------------


def read_table(content: bytes, filename: str,
               heartbeat: Callable[[], None] | None = None) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Headers and (sheet row number, cells) of a CSV (UTF-8 or GBK) or the first sheet of an .xlsx.
    The file is bounded before it is parsed and while its rows stream in; raises uploads.UploadRefused past a bound."""
    bounds = uploads.check_table(content, filename)
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # not a workbook: openpyxl raises many types
            raise PaperImportError(ImportIssue(0, "", "paper_unreadable", {"detail": type(exc).__name__})) from None
        try:
            # the stored dimension is ignored: some tools write "A1", a hostile file A1:XFD1048576
            raw_rows = [list(r) for r in uploads.xlsx_rows(book.worksheets[0], bounds, heartbeat)]
        except (uploads.UploadRefused, uploads.Cancelled):
            raise
        except Exception as exc:  # a damaged sheet inside a readable zip
            raise PaperImportError(ImportIssue(0, "", "paper_unreadable", {"detail": type(exc).__name__})) from None
        finally:
            book.close()
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise PaperImportError(ImportIssue(0, "", "paper_unreadable", {"detail": "encoding"}))
        try:
            raw_rows = [list(r) for r in uploads.bounded_rows(csv.reader(io.StringIO(text)), bounds, heartbeat)]
        except csv.Error as exc:
            raise PaperImportError(ImportIssue(0, "", "paper_unreadable", {"detail": str(exc)})) from None
    if not raw_rows:
        raise PaperImportError(ImportIssue(0, "", "paper_no_rows", {}))
    headers = [_cell_text(h) for h in raw_rows[0]]
    rows = [(n, r) for n, r in enumerate(raw_rows[1:], start=2) if any(_cell_text(v) for v in r)]
    if not rows:
        raise PaperImportError(ImportIssue(0, "", "paper_no_rows", {}))
    return headers, rows


def _plain(text: str) -> str:
    """Full-width letters, digits and punctuation as ASCII (NFKC): ３５ → 35, （ → (."""
    return unicodedata.normalize("NFKC", text).strip()


def _header_key(text: str) -> str:
    """A header or label compared loosely: full-width folded, no spaces, no question number, no trailing ?:*."""
    key = re.sub(r"\s+", "", _plain(text)).lower()
    key = NUMBERING_RE.sub("", key)
    return re.sub(r"(?:\(必填\)|\*|[?？:：。.])+$", "", key).lstrip("*")


def _date_of(text: str) -> dt.datetime | None:
    """A date (and optional time) written the ways a clerk types one; None if it is not one."""
    match = DATE_RE.fullmatch(_plain(text))
    if match is None:
        return None
    parts = [int(p) if p else 0 for p in match.groups()]
    try:
        return dt.datetime(*parts)  # type: ignore[misc]
    except ValueError:
        return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# --- matching columns ----------------------------------------------------------


def match_columns(survey: Survey, headers: list[str]) -> tuple[list[Column], list[ImportIssue]]:
    """Each header matched to a question by id or label (a matrix row by 'qid.row', row label or 'label - row label')."""
    by_key: dict[str, tuple[str, str | None]] = {}
    for question in survey.questions:
        if isinstance(question, NoteQuestion):
            continue
        if isinstance(question, MatrixQuestion):
            for row in question.rows:
                for key in (f"{question.id}.{row.id}", f"{question.id}:{row.id}", f"{question.label} - {row.label}",
                            f"{question.label}-{row.label}", row.label, row.id):
                    by_key.setdefault(key, (question.id, row.id))
        else:
            by_key.setdefault(question.id, (question.id, None))
            by_key.setdefault(question.label, (question.id, None))
    loose: dict[str, tuple[str, str | None] | None] = {}
    for text, target in by_key.items():
        loose_key = _header_key(text)
        if loose_key:
            loose[loose_key] = target if loose.get(loose_key, target) == target else None  # None: ambiguous
    unit_keys = {_header_key(k) for k in UNIT_COLUMNS}
    time_keys = {_header_key(k) for k in TIME_COLUMNS}
    columns: list[Column] = []
    warnings: list[ImportIssue] = []
    taken: dict[tuple[str, str | None], str] = {}
    for header in headers:
        key = header.strip()
        target = by_key.get(key) or loose.get(_header_key(key))
        if key.lower() in UNIT_COLUMNS or (target is None and _header_key(key) in unit_keys):
            columns.append(Column(header, "unit"))
        elif key.lower() in TIME_COLUMNS or (target is None and _header_key(key) in time_keys):
            columns.append(Column(header, "time"))
        elif target is not None:
            if target in taken:
                warnings.append(ImportIssue(1, header, "paper_duplicate_column", {"question": target[0], "column": [taken[target], header]}))
                columns.append(Column(header, "ignored"))
                continue
            taken[target] = header
            columns.append(Column(header, "question", target[0], target[1]))
        else:
            if key:
                warnings.append(ImportIssue(1, header, "paper_unknown_column", {"column": header}))
            columns.append(Column(header, "ignored"))
    return columns, warnings


# --- cell values ---------------------------------------------------------------


def _choice_value(question: Question, text: str) -> Any:
    """A choice / scale value from its value or its label; the text unchanged if neither (validation reports it)."""
    choices = question.scale if isinstance(question, (RatingQuestion, MatrixQuestion)) else getattr(question, "choices", ())
    for choice in choices:
        if text == str(choice.value):
            return choice.value
    for choice in choices:
        if text == choice.label:
            return choice.value
    loose = re.sub(r"\s+", "", _plain(text)).casefold()  # ５, "满意 ", full-width letters
    for choice in choices:
        if loose in (re.sub(r"\s+", "", _plain(str(choice.value))).casefold(), re.sub(r"\s+", "", _plain(choice.label)).casefold()):
            return choice.value
    return text


def _cell_answer(question: Question, value: Any) -> Any:
    text = _cell_text(value)
    if not text:
        return None
    if isinstance(question, SingleChoiceQuestion):
        return _choice_value(question, text)
    if isinstance(question, MultiChoiceQuestion):
        return [_choice_value(question, part.strip()) for part in MULTI_SEPARATORS.split(text) if part.strip()]
    if isinstance(question, (RatingQuestion, MatrixQuestion)):
        return _choice_value(question, text)
    if isinstance(question, NpsQuestion) or question.type == c.NUMBER:
        number = _plain(text)  # ３５ → 35; 3,500 → 3500
        return number.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", number) else number
    if question.type == c.DATE:
        if isinstance(value, (dt.date, dt.datetime)):
            return value.date() if isinstance(value, dt.datetime) else value
        parsed = _date_of(text)
        return parsed.date() if parsed is not None else text
    return text


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    text = _cell_text(value)
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return _date_of(text)


def client_key(survey_id: str, cells: list[str], occurrence: int) -> str:
    """Deterministic per (survey, row content, n-th identical row): re-importing a file stores nothing twice,
    while two identical paper ballots in one file stay two responses."""
    digest = hashlib.sha256(json.dumps([survey_id, cells, occurrence], ensure_ascii=False).encode()).hexdigest()
    return f"import-{digest[:40]}"


# --- planning and storing ------------------------------------------------------


def plan_import(db: Database, principal: Principal, survey_id: str, content: bytes, filename: str,
                progress: Callable[[float], None] | None = None) -> ImportPlan:
    """Check a file against the survey's current version without storing anything (the dry run); ``progress``
    hears the fraction of rows checked (an ImportJob's cancel takes effect there)."""
    step = progress or (lambda _fraction: None)
    loaded = survey_version(db, survey_id)
    if loaded is None:
        raise PaperImportError(ImportIssue(0, "", "paper_not_published", {"id": survey_id}))
    survey, version = loaded
    headers, rows = read_table(content, filename, lambda: step(0.0))
    uploads.check_rows(len(rows), replace(uploads.TABLE_CSV, max_rows=uploads.PAPER_ROWS))
    columns, warnings = match_columns(survey, headers)
    plan = ImportPlan(survey_id, version, columns, len(rows), warnings=warnings)
    if not any(col.kind == "unit" for col in columns):
        plan.errors.append(ImportIssue(1, "", "paper_no_unit_column", {}))
        return plan
    column_of: dict[str, str] = {}
    for col in columns:
        if col.kind == "question" and col.question_id is not None:
            column_of.setdefault(col.question_id, col.header)
    seen: Counter[str] = Counter()
    units: dict[str, Any] = {}
    anonymous = survey.kind == c.KIND_EVALUATION
    for index, (number, cells) in enumerate(rows):
        if index % 500 == 0:
            step(index / len(rows))
        cells = list(cells) + [None] * (len(columns) - len(cells))
        row_issues: list[ImportIssue] = []
        raw: dict[str, Any] = {}
        shown: dict[str, str] = {}
        unit = None
        submitted_at = None
        for col, value in zip(columns, cells):
            if col.kind == "unit":
                code = _plain(_cell_text(value))
                if not code:
                    row_issues.append(ImportIssue(number, col.header, "paper_missing_unit", {}))
                    continue
                if code not in units:
                    units[code] = orgs.get_unit_by_code(db, code)
                unit = units[code]
                if unit is None:
                    row_issues.append(ImportIssue(number, col.header, "paper_unknown_unit", {"value": code}))
                elif not principal.can_see(unit.path):
                    row_issues.append(ImportIssue(number, col.header, "paper_unit_out_of_scope", {"value": code}))
                    unit = None
            elif col.kind == "time" and _cell_text(value):
                submitted_at = _parse_time(value)
                if submitted_at is None:
                    row_issues.append(ImportIssue(number, col.header, "paper_bad_time", {"value": _cell_text(value)}))
            elif col.kind == "question" and col.question_id is not None:
                question = survey.question(col.question_id)
                answer = _cell_answer(question, value)
                if answer is None:
                    continue
                shown[col.question_id] = _cell_text(value)
                if col.row_id is not None:
                    raw.setdefault(col.question_id, {})[col.row_id] = answer
                else:
                    raw[col.question_id] = answer
        check = validate_answers(survey, raw)
        visible = {q.id for q in visible_questions(survey, check.clean)}
        for qid, errors in check.errors.items():
            for error in errors:
                row_issues.append(ImportIssue(number, column_of.get(qid, qid), error.code, dict(error.params)))
        for qid in raw:
            if qid not in visible:
                row_issues.append(ImportIssue(number, column_of.get(qid, qid), "paper_hidden_answer", {"value": shown.get(qid, "")}))
        if row_issues or unit is None:
            plan.errors.extend(row_issues)
            continue
        canonical = [_cell_text(v) for v in cells]
        key_base = json.dumps(canonical, ensure_ascii=False)
        seen[key_base] += 1
        score = satisfaction_summary(survey, check.clean)
        plan.responses.append(NewResponse(
            client_key=client_key(survey_id, canonical, seen[key_base]),
            survey_id=survey_id, survey_version=version, org_unit_id=unit.id, channel="import",
            submitted_at=submitted_at or now(), answers=tuple(answer_rows(survey, check.clean)),
            sat_n=score.sat_n, sat_ok=score.sat_ok, sat_index_sum=score.sat_index_sum, nps_score=score.nps,
            submitted_by=None if anonymous else (principal.user_id or None),
        ))
        if len(plan.preview) < 20:
            plan.preview.append({"row": number, "unit": unit.code, **shown})
    return plan


@dataclass(frozen=True)
class ImportResult:
    """What a real import stored: new responses, and rows already stored by an earlier import of the same file."""

    created: int
    already_stored: int


def run_import(db: Database, principal: Principal, plan: ImportPlan, filename: str = "") -> ImportResult:
    """Store every planned response in ONE transaction (all or nothing); refuses a plan with errors."""
    if not plan.ok:
        raise ValueError("an import plan with errors cannot be stored")
    created = 0
    with db.transaction() as tx:
        for response in plan.responses:
            created += write_response_tx(tx, response).created
        audit.record(tx, "responses.import", actor_id=principal.user_id or None, actor_name=principal.username,
                     target=plan.survey_id, detail={"file": filename, "rows": plan.rows_total, "created": created,
                                                    "version": plan.version})
    return ImportResult(created, len(plan.responses) - created)
