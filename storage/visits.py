"""Visits: one cadre at one household at one time, saved atomically with its form response, problems and
confirmations; author corrections within 24 h, later amendments as events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from fieldwork import rules
from settings import now
from storage import problems as problem_store
from storage import visit_status
from storage.db import Database, Scope, Tx
from storage.responses import NewResponse, write_response_tx


class VisitRefused(ValueError):
    """A visit that may not be saved or changed; ``code`` is an i18n key."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Confirmation:
    """On a return visit: the resident's satisfaction (1–5) with a resolved problem."""

    problem_id: int
    satisfaction: int
    note: str | None = None


@dataclass(frozen=True)
class NewVisit:
    client_key: str  # created when the form is first shown: a retry is the same visit
    household_id: int
    cadre_id: int
    visited_at: dt.datetime
    outcome: str
    campaign_id: int | None = None
    follow_up: bool = False
    is_return_visit: bool = False
    note: str | None = None
    response: NewResponse | None = None  # the visit form; household/visit ids are filled in here
    problems: Sequence[problem_store.NewProblem] = field(default_factory=tuple)
    confirmations: Sequence[Confirmation] = field(default_factory=tuple)


@dataclass(frozen=True)
class VisitResult:
    visit_id: int
    created: bool  # False when the client key was already stored
    response_id: int | None
    problem_ids: tuple[int, ...]


@dataclass(frozen=True)
class Visit:
    id: int
    household_id: int
    household_code: str
    org_unit_id: int
    cadre_id: int
    cadre_name: str | None
    campaign_id: int | None
    visited_at: dt.datetime
    outcome: str
    response_id: int | None
    follow_up: bool
    is_return_visit: bool
    note: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class VisitEvent:
    occurred_at: dt.datetime
    actor_id: int | None
    action: str
    before_value: str | None
    after_value: str | None
    note: str | None


def record_visit_tx(tx: Tx, scope: Scope, visit: NewVisit, holidays: frozenset[dt.date] | None = None) -> VisitResult:
    """Save a visit with its form response, problems and confirmations inside the caller's transaction."""
    if visit.outcome not in rules.OUTCOMES:
        raise VisitRefused("visits.err.outcome")
    # Scope first: a client key of a visit outside ``scope`` (or of another household) must hand back nothing.
    home = tx.query(
        """SELECT h.grid_id FROM households h JOIN org_units g ON g.id = h.grid_id
           WHERE h.id = ? AND h.active AND g.path LIKE ?""",
        [visit.household_id, scope.like],
    ).first()
    if home is None:
        raise VisitRefused("visits.err.household")
    existing = tx.query(
        """SELECT v.id, v.response_id, v.household_id = ? AND o.path LIKE ? FROM visits v
           JOIN org_units o ON o.id = v.org_unit_id WHERE v.client_key = ?""",
        [visit.household_id, scope.like, visit.client_key],
    ).first()
    if existing is not None:
        if not existing[2]:
            raise VisitRefused("visits.err.household")
        pids = tx.query("SELECT id FROM problems WHERE visit_id = ? ORDER BY id", [existing[0]]).rows
        return VisitResult(int(existing[0]), False, existing[1], tuple(int(r[0]) for r in pids))
    grid_id = int(home[0])
    if visit.outcome != "met" and (visit.response is not None or visit.problems or visit.confirmations):
        raise VisitRefused("visits.err.not_met")
    visit_id = int(tx.query("SELECT nextval('visits_id_seq')").single_value())
    response_id = None
    if visit.response is not None:
        response = dataclasses.replace(visit.response, household_id=visit.household_id, visit_id=visit_id,
                                       org_unit_id=grid_id, channel=visit.response.channel or "visit")
        response_id = write_response_tx(tx, response).response_id
    stamp = now()
    tx.execute(
        """INSERT INTO visits (id, client_key, campaign_id, household_id, org_unit_id, cadre_id, visited_at, outcome,
               response_id, follow_up, is_return_visit, note, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [visit_id, visit.client_key, visit.campaign_id, visit.household_id, grid_id, visit.cadre_id, visit.visited_at,
         visit.outcome, response_id, visit.follow_up, visit.is_return_visit, (visit.note or "").strip() or None,
         stamp, stamp],
    )
    problem_ids = problem_store.insert_problems_tx(
        tx, visit.problems, household_id=visit.household_id, org_unit_id=grid_id, visit_id=visit_id,
        response_id=response_id, actor_id=visit.cadre_id, raised_at=visit.visited_at, holidays=holidays,
    )
    visit_status.touch(tx, [visit.household_id])
    if visit.confirmations and not visit.is_return_visit:
        raise VisitRefused("visits.err.confirm_needs_return")
    for c in visit.confirmations:
        owner = tx.query("SELECT household_id FROM problems WHERE id = ?", [c.problem_id]).single_value()
        if owner != visit.household_id:
            raise VisitRefused("visits.err.confirmation")
        problem_store.transition_tx(tx, scope, c.problem_id, "confirm", actor_id=visit.cadre_id, at=visit.visited_at,
                                    reason=c.note, satisfaction=c.satisfaction, visit_id=visit_id)
    return VisitResult(visit_id, True, response_id, tuple(problem_ids))


def record_visit(db: Database, scope: Scope, visit: NewVisit, holidays: frozenset[dt.date] | None = None) -> VisitResult:
    """Save one visit atomically and idempotently (by client key): everything or nothing. A save that loses a race
    with a concurrent save (the same visit from a second tab, a confirmation of the same problem) runs again and
    finds the winner's rows (WriteConflict if that never settles; StorageUnavailable when nothing can be written).

    Refuses (VisitRefused / TransitionError) a household outside ``scope``, an
    unknown outcome, answers or problems on a visit where nobody was met, and a
    confirmation of a problem that is not the household's or not resolved.
    """
    return db.in_transaction(lambda tx: record_visit_tx(tx, scope, visit, holidays), what=f"visit {visit.client_key}")


def record_visits(db: Database, scope: Scope, visits: Sequence[NewVisit],
                  holidays: frozenset[dt.date] | None = None) -> list[VisitResult]:
    """Save many visits (a filled paper sheet) in ONE transaction: all or none."""
    return db.in_transaction(lambda tx: [record_visit_tx(tx, scope, v, holidays) for v in visits], what="visit sheet")


_SELECT = """SELECT v.id, v.household_id, h.code, v.org_unit_id, v.cadre_id, u.display_name, v.campaign_id, v.visited_at,
    v.outcome, v.response_id, v.follow_up, v.is_return_visit, v.note, v.created_at
    FROM visits v JOIN org_units o ON o.id = v.org_unit_id JOIN households h ON h.id = v.household_id
    LEFT JOIN users u ON u.id = v.cadre_id"""


def get_visit(db: Database | Tx, scope: Scope, visit_id: int) -> Visit | None:
    row = db.query(_SELECT + " WHERE v.id = ? AND o.path LIKE ?", [visit_id, scope.like]).first()
    return Visit(*row) if row else None


def visits_of_household(db: Database, scope: Scope, household_id: int) -> list[Visit]:
    """A household's visits (inside ``scope``), latest first."""
    rows = db.query(_SELECT + " WHERE v.household_id = ? AND o.path LIKE ? ORDER BY v.visited_at DESC, v.id DESC",
                    [household_id, scope.like]).rows
    return [Visit(*r) for r in rows]


def recent_visits(db: Database, scope: Scope, *, cadre_id: int | None = None, limit: int = 50) -> list[Visit]:
    sql = _SELECT + " WHERE o.path LIKE ?"
    params: list = [scope.like]
    if cadre_id is not None:
        sql += " AND v.cadre_id = ?"
        params.append(cadre_id)
    rows = db.query(sql + " ORDER BY v.created_at DESC, v.id DESC LIMIT ?", params + [limit]).rows
    return [Visit(*r) for r in rows]


_CORRECTABLE = ("outcome", "follow_up", "note", "visited_at")


def correct_visit(
    db: Database,
    scope: Scope,
    visit_id: int,
    *,
    actor_id: int,
    changes: dict[str, object],
    at: dt.datetime | None = None,
) -> None:
    """The author's correction within 24 hours of saving: the row changes, and a 'correct' event keeps the old values.

    Anyone else, or later, is refused (visits.err.correction_closed): use amend_visit.
    A correction may not take a visit with answers or problems away from 'met'.
    """
    stamp = at or now()
    db.in_transaction(lambda tx: _correct_tx(tx, scope, visit_id, actor_id, changes, stamp), what=f"visit {visit_id}")


def _correct_tx(tx: Tx, scope: Scope, visit_id: int, actor_id: int, changes: dict[str, object],
                stamp: dt.datetime) -> None:
    """One correction inside a transaction (run again from the start when a concurrent one got to the row first)."""
    visit = get_visit(tx, scope, visit_id)
    if visit is None:
        raise VisitRefused("visits.err.not_found")
    if visit.cadre_id != actor_id or stamp - visit.created_at > dt.timedelta(hours=rules.CORRECTION_HOURS):
        raise VisitRefused("visits.err.correction_closed")
    fields = {k: v for k, v in changes.items() if k in _CORRECTABLE}
    if "outcome" in fields and fields["outcome"] not in rules.OUTCOMES:
        raise VisitRefused("visits.err.outcome")
    if fields.get("outcome", "met") != "met" and (
        visit.response_id is not None
        or tx.query("SELECT 1 FROM problems WHERE visit_id = ?", [visit_id]).first()
    ):
        raise VisitRefused("visits.err.not_met")
    if not fields:
        return
    before = {k: getattr(visit, k) for k in fields}
    sets = ", ".join(f"{k} = ?" for k in fields)
    tx.execute(f"UPDATE visits SET {sets}, updated_at = ? WHERE id = ?", [*fields.values(), stamp, visit_id])
    visit_status.touch(tx, [visit.household_id])
    tx.execute(
        """INSERT INTO visit_events (visit_id, occurred_at, actor_id, action, before_value, after_value)
           VALUES (?, ?, ?, 'correct', ?, ?)""",
        [visit_id, stamp, actor_id, json.dumps(before, ensure_ascii=False, default=str),
         json.dumps(fields, ensure_ascii=False, default=str)],
    )


def amend_visit(db: Database, scope: Scope, visit_id: int, *, actor_id: int, note: str,
                at: dt.datetime | None = None) -> None:
    """A later change: appended as an 'amend' event with its note; the saved visit itself stays as it was."""
    if not note.strip():
        raise VisitRefused("visits.err.note_required")
    def amend(tx: Tx) -> None:
        if get_visit(tx, scope, visit_id) is None:
            raise VisitRefused("visits.err.not_found")
        tx.execute("INSERT INTO visit_events (visit_id, occurred_at, actor_id, action, note) VALUES (?, ?, ?, 'amend', ?)",
                   [visit_id, at or now(), actor_id, note.strip()])

    db.in_transaction(amend, what=f"visit {visit_id} amendment")


def visit_history(db: Database, scope: Scope, visit_id: int) -> list[VisitEvent]:
    if get_visit(db, scope, visit_id) is None:
        return []
    rows = db.query("""SELECT occurred_at, actor_id, action, before_value, after_value, note FROM visit_events
                       WHERE visit_id = ? ORDER BY id""", [visit_id]).rows
    return [VisitEvent(*r) for r in rows]
