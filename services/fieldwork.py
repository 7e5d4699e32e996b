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
) -> tuple[registry.SheetParse, dict[str, int], list[str]]:
    """A filled visit sheet checked against the households the importer may visit: (parse, code -> id, headers).
    Raises registry.RegistryFileError for an unusable file."""
    table = registry.read_table(data, filename)
    columns = registry.map_headers(table.headers, registry.VISIT_SHEET_HEADERS, ("code", "outcome"))
    index = columns["code"]
    codes = [cells[index].replace(" ", "") for _, cells in table.rows if len(cells) > index]
    households = household_store.household_ids_by_code(db, scope, codes)
    sheet = registry.parse_visit_sheet(data, filename, households, categories=categories, today=today, window=window)
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


def categories(db: Database) -> list[str]:
    return problem_store.problem_categories(db)

