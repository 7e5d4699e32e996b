"""Field-work use cases shared by pages and the CLI: registry imports, building visits from the form or a paper sheet."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fieldwork import registry
from storage import households as household_store
from storage import problems as problem_store
from storage import visits as visit_store
from storage.db import Database, Scope
from storage.responses import NewResponse
from surveys import AnswerError, Survey, answer_rows, satisfaction_summary, validate_answers

VISIT_SATISFACTION_QUESTION = "work_satisfaction"
VISIT_FOLLOW_UP_QUESTION = "follow_up_needed"
VISIT_NOTES_QUESTION = "notes"
VISIT_PROBLEM_CATEGORIES_QUESTION = "problem_categories"
VISIT_PROBLEM_DETAILS_QUESTION = "problem_details"


@dataclass(frozen=True)
class FormFacts:
    """What the visit form's own questions already say about the visit, so the visit page does not ask again:
    the follow-up flag, the note and the problems raised (one problem-list item per category ticked, described
    by the form's details). ``asks_*`` is False when the form has no such question (the page asks instead)."""

    asks_follow_up: bool
    follow_up: bool
    asks_note: bool
    note: str | None
    problem_categories: tuple[str, ...]
    problem_details: str


def form_facts(survey: Survey, raw: Mapping[str, Any], categories: Sequence[str]) -> FormFacts:
    """Read the well-known questions of a visit form from its (raw) answers; a ticked category is named as on the
    configured problem list when its label or value is one, else by its label."""
    known = {q.id: q for q in survey.questions}
    ticked: list[str] = []
    question = known.get(VISIT_PROBLEM_CATEGORIES_QUESTION)
    answer = raw.get(VISIT_PROBLEM_CATEGORIES_QUESTION)
    if question is not None and answer:
        labels = {str(ch.value): ch.label for ch in getattr(question, "choices", ())}
        for value in answer if isinstance(answer, (list, tuple)) else [answer]:
            label = labels.get(str(value), str(value))
            name = next((c for c in categories if c in (label, str(value))), label)
            if name not in ticked:
                ticked.append(name)
    note = raw.get(VISIT_NOTES_QUESTION)
    return FormFacts(
        asks_follow_up=VISIT_FOLLOW_UP_QUESTION in known,
        follow_up=str(raw.get(VISIT_FOLLOW_UP_QUESTION)) == "yes",
        asks_note=VISIT_NOTES_QUESTION in known,
        note=(str(note).strip() or None) if note else None,
        problem_categories=tuple(ticked),
        problem_details=str(raw.get(VISIT_PROBLEM_DETAILS_QUESTION) or "").strip(),
    )


# The longest problem description (the visit page's own problem boxes allow as much).
PROBLEM_TEXT_MAX = 1000


class ProblemTextTooLong(ValueError):
    """The visit form's problem details are longer than a problem description may be; nothing is cut."""

    code = "visits.problem_too_long"

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.params = {"length": length, "max_length": PROBLEM_TEXT_MAX}


def form_problems(facts: FormFacts, urgencies: Mapping[str, str], client_key: str) -> list[problem_store.NewProblem]:
    """One problem-list item per category the form ticked, described by the form's details, or by the category
    itself when the form left them blank (keys stable per category: saving the same visit twice raises each once).
    Details longer than PROBLEM_TEXT_MAX raise ProblemTextTooLong (refused, never silently cut)."""
    if facts.problem_categories and len(facts.problem_details) > PROBLEM_TEXT_MAX:
        raise ProblemTextTooLong(len(facts.problem_details))
    return [problem_store.NewProblem(f"{client_key}/form:{category}", category,
                                     facts.problem_details or category, urgencies.get(category, "normal"))
            for category in facts.problem_categories]


@dataclass(frozen=True)
class HouseholdCheck:
    """A parsed registry plus the rows the database refuses (codes owned outside the importer's area)."""

    parse: registry.HouseholdParse
    errors: list[registry.RowError]

    @property
    def good(self) -> Any:
        """The rows to write (an Arrow table): the parse's good rows less those refused here."""
        return self.parse.without_rows({e.row for e in self.errors})


def check_households(db: Database, scope: Scope, data: bytes, filename: str,
                     progress: Callable[[float], None] | None = None) -> HouseholdCheck:
    """The dry run: read and check every row (raises registry.RegistryFileError for an unusable file)."""
    lookup = registry.GridLookup.of(household_store.grids(db, scope))
    parse = registry.parse_households(data, filename, lookup, progress)
    errors = list(parse.errors)
    elsewhere = set(household_store.codes_elsewhere(db, scope, parse.table.column("code")))
    if elsewhere:
        for row, code in zip(parse.table.column("row").to_pylist(), parse.table.column("code").to_pylist()):
            if code in elsewhere:
                errors.append(registry.RowError(row, "code_elsewhere", code))
        errors.sort(key=lambda e: e.row)
    return HouseholdCheck(parse, errors)


def import_households(db: Database, scope: Scope, check: HouseholdCheck, *, skip_bad_rows: bool = False,
                      progress: Callable[[float], None] | None = None) -> household_store.ImportCounts | None:
    """Write a checked registry in one transaction; None (nothing written) when it has bad rows and
    ``skip_bad_rows`` is off."""
    if check.errors and not skip_bad_rows:
        return None
    return household_store.upsert_households(db, scope, check.good, replace_tags=True, progress=progress)


def visit_response(
    survey: Survey,
    version: int,
    raw: Mapping[str, Any],
    *,
    client_key: str,
    submitted_by: int,
    submitted_at: dt.datetime,
    started_at: dt.datetime | None = None,
    channel: str = "visit",
) -> tuple[NewResponse | None, dict[str, list[AnswerError]]]:
    """Validate the visit form; the response to store (household, visit and unit are filled when saved)."""
    check = validate_answers(survey, raw)
    if not check.ok:
        return None, dict(check.errors)
    score = satisfaction_summary(survey, check.clean)
    response = NewResponse(
        client_key=client_key, survey_id=survey.id, survey_version=version, org_unit_id=0, channel=channel,
        submitted_at=submitted_at, answers=answer_rows(survey, check.clean), sat_n=score.sat_n, sat_ok=score.sat_ok,
        sat_index_sum=score.sat_index_sum, nps_score=score.nps, started_at=started_at,
        duration_seconds=(submitted_at - started_at).total_seconds() if started_at else None,
        submitted_by=submitted_by,
    )
    return response, {}


def read_visit_sheet(
    db: Database,
    scope: Scope,
    data: bytes,
    filename: str,
    *,
    categories: Sequence[str],
    today: dt.date,
    window: tuple[dt.date, dt.date] | None,
    progress: Callable[[float], None] | None = None,
) -> tuple[registry.SheetParse, dict[str, int], list[str]]:
    """A filled visit sheet checked against the households the importer may visit: (parse, code -> id, headers).
    Raises registry.RegistryFileError for an unusable file."""
    table = registry.read_table(data, filename, progress=progress)
    columns = registry.map_headers(table.headers, registry.VISIT_SHEET_HEADERS, ("code", "outcome"))
    index = columns["code"]
    codes = [cells[index].replace(" ", "") for _, cells in table.rows if len(cells) > index]
    households = household_store.household_ids_by_code(db, scope, codes)
    sheet = registry.parse_visit_table(table, households, categories=categories, today=today, window=window)
    return sheet, households, table.headers


def sheet_key(campaign_id: int | None, visit: registry.SheetVisit) -> str:
    """The same filled row always gives the same key, so re-importing a sheet never duplicates a visit."""
    text = "|".join(str(x) for x in (campaign_id, visit.household_code, visit.visited_on, visit.outcome,
                                      visit.satisfaction, visit.category, visit.description, visit.follow_up, visit.note))
    return "sheet:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def sheet_visits(
    sheet: registry.SheetParse,
    households: Mapping[str, int],
    *,
    cadre_id: int,
    campaign_id: int | None,
    survey: Survey | None,
    version: int | None,
    is_return_visit: bool = False,
) -> list[visit_store.NewVisit]:
    """NewVisits for the good rows of a filled sheet (the satisfaction word answers the form's rating)."""
    out = []
    for v in sheet.visits:
        key = sheet_key(campaign_id, v)
        at = dt.datetime.combine(v.visited_on, dt.time(12, 0))
        response = None
        if v.outcome == "met" and survey is not None and version is not None and v.satisfaction is not None:
            raw = {VISIT_SATISFACTION_QUESTION: v.satisfaction,
                   VISIT_FOLLOW_UP_QUESTION: "yes" if v.follow_up else "no", VISIT_NOTES_QUESTION: v.note}
            known = {q.id for q in survey.questions}
            raw = {k: val for k, val in raw.items() if k in known and val is not None}
            response, errors = visit_response(survey, version, raw, client_key=key + "/form", submitted_by=cadre_id,
                                              submitted_at=at, channel="import")
            if errors:
                response = None
        problems: Sequence[problem_store.NewProblem] = ()
        if v.category and v.description and v.outcome == "met":
            problems = (problem_store.NewProblem(key + "/p0", v.category, v.description, v.urgency),)
        out.append(visit_store.NewVisit(
            client_key=key, household_id=households[v.household_code], cadre_id=cadre_id, visited_at=at,
            outcome=v.outcome, campaign_id=campaign_id, follow_up=v.follow_up, is_return_visit=is_return_visit,
            note=v.note, response=response, problems=problems,
        ))
    return out


def categories(db: Database, scope: Scope) -> list[str]:
    """The problem categories in force for the unit at the top of ``scope`` (inherited down the tree)."""
    return problem_store.problem_categories(db, scope)

