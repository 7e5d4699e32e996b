"""The problem list (问题清单): problems raised on visits, their state changes as events, filters and summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from fieldwork import problems as workflow
from fieldwork import rules
from settings import now
from storage import visit_status
from storage.db import Database, Scope, Tx


@dataclass(frozen=True)
class NewProblem:
    client_key: str
    category: str
    description: str
    urgency: str = "normal"


@dataclass(frozen=True)
class Problem:
    id: int
    household_id: int | None
    household_code: str | None
    head_name: str | None
    org_unit_id: int
    unit_name: str
    unit_path: str
    visit_id: int | None
    category: str
    description: str
    urgency: str
    state: str
    assignee_user_id: int | None
    assignee_name: str | None
    assignee_unit_id: int | None
    assignee_unit_name: str | None
    raised_at: dt.datetime
    due_on: dt.date
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution_satisfaction: int | None

    def overdue(self, today: dt.date) -> bool:
        return workflow.is_overdue(self.state, self.due_on, today)


@dataclass(frozen=True)
class ProblemEvent:
    occurred_at: dt.datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None


@dataclass(frozen=True)
class ProblemSummary:
    by_state: dict[str, int]
    open: int
    overdue: int
    resolved: int
    total: int
    median_days_to_close: float | None


_SELECT = """SELECT p.id, p.household_id, h.code, h.head_name, p.org_unit_id, o.name, o.path, p.visit_id, p.category,
    p.description, p.urgency, p.state, NULLIF(p.assignee_user_id, 0), u.display_name, NULLIF(p.assignee_unit_id, 0),
    au.name, p.raised_at, p.due_on, p.resolved_at, p.closed_at, p.resolution_satisfaction
    FROM problems p JOIN org_units o ON o.id = p.org_unit_id
    LEFT JOIN households h ON h.id = p.household_id
    LEFT JOIN users u ON u.id = p.assignee_user_id
    LEFT JOIN org_units au ON au.id = p.assignee_unit_id"""


def _visible(scope: Scope, viewer_id: int | None) -> tuple[str, list]:
    """Problems of units in ``scope``, plus those assigned to ``viewer_id`` (a cadre sees what is assigned to them)."""
    if viewer_id is None:
        return "o.path LIKE ?", [scope.like]
    return "(o.path LIKE ? OR p.assignee_user_id = ?)", [scope.like, viewer_id]


def insert_problems_tx(
    tx: Tx,
    problems: Sequence[NewProblem],
    *,
    household_id: int | None,
    org_unit_id: int,
    visit_id: int | None,
    response_id: int | None,
    actor_id: int | None,
    raised_at: dt.datetime,
    holidays: frozenset[dt.date] | None = None,
) -> list[int]:
    """Insert problems (state new, due in 15 working days) with their 'create' event; idempotent by client key."""
    ids = []
    due = rules.due_on(raised_at, holidays)
    for p in problems:
        if p.urgency not in rules.URGENCIES:
            raise ValueError(f"unknown urgency {p.urgency!r}")
        existing = tx.query("SELECT id FROM problems WHERE client_key = ?", [p.client_key]).single_value()
        if existing is not None:
            ids.append(int(existing))
            continue
        pid = int(tx.query(
            """INSERT INTO problems (client_key, household_id, org_unit_id, visit_id, response_id, category, description,
                   urgency, state, raised_at, due_on, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?) RETURNING id""",
            [p.client_key, household_id, org_unit_id, visit_id, response_id, p.category, p.description.strip(),
             p.urgency, raised_at, due, actor_id],
        ).single_value())
        _event(tx, pid, raised_at, actor_id, "create", None, "new", None)
        ids.append(pid)
    visit_status.touch(tx, [household_id] if ids else [])
    return ids


def _event(tx: Tx, problem_id: int, at: dt.datetime, actor_id: int | None, action: str,
           from_state: str | None, to_state: str | None, note: str | None) -> None:
    tx.execute(
        """INSERT INTO problem_events (problem_id, occurred_at, actor_id, action, from_state, to_state, note)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [problem_id, at, actor_id, action, from_state, to_state, note],
    )


def list_problems(
    db: Database,
    scope: Scope,
    *,
    viewer_id: int | None = None,
    states: Sequence[str] | None = None,
    category: str | None = None,
    unit: Scope | None = None,
    overdue_on: dt.date | None = None,
    household_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Problem]:
    """Problems visible in ``scope`` (and assigned to ``viewer_id``), filtered; overdue first, then by due date.

    ``unit`` narrows to a subtree; ``overdue_on`` keeps only problems overdue on that day.
    """
    where, params = _visible(scope, viewer_id)
    if states:
        where += " AND list_contains(?, p.state)"
        params.append(list(states))
    if category:
        where += " AND p.category = ?"
        params.append(category)
    if unit is not None:
        where += " AND o.path LIKE ?"
        params.append(unit.like)
    if overdue_on is not None:
        where += " AND list_contains(?, p.state) AND p.due_on < ?"  # overdue: fieldwork.problems.is_overdue
        params += [list(workflow.IN_HAND_STATES), overdue_on]
    if household_id is not None:
        where += " AND p.household_id = ?"
        params.append(household_id)
    rows = db.query(
        _SELECT + f" WHERE {where} ORDER BY p.state = 'closed', p.due_on, p.id LIMIT ? OFFSET ?",
        params + [limit, offset],
    ).rows
    return [Problem(*r) for r in rows]


def get_problem(db: Database | Tx, scope: Scope, problem_id: int, *, viewer_id: int | None = None) -> Problem | None:
    where, params = _visible(scope, viewer_id)
    row = db.query(_SELECT + f" WHERE p.id = ? AND {where}", [problem_id, *params]).first()
    return Problem(*row) if row else None


def history(db: Database, scope: Scope, problem_id: int, *, viewer_id: int | None = None) -> list[ProblemEvent]:
    """Every event of a visible problem, oldest first."""
    if get_problem(db, scope, problem_id, viewer_id=viewer_id) is None:
        return []
    rows = db.query(
        """SELECT e.occurred_at, e.actor_id, u.display_name, e.action, e.from_state, e.to_state, e.note
           FROM problem_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.problem_id = ? ORDER BY e.id""",
        [problem_id],
    ).rows
    return [ProblemEvent(*r) for r in rows]


def _assignee_ok(tx: Tx, scope: Scope, user_id: int | None, unit_id: int | None) -> bool:
    if user_id is not None and not tx.query(
        "SELECT 1 FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id = ? AND u.active AND o.path LIKE ?",
        [user_id, scope.like],
    ).first():
        return False
    if unit_id is not None and not tx.query("SELECT 1 FROM org_units WHERE id = ? AND path LIKE ?",
                                            [unit_id, scope.like]).first():
        return False
    return user_id is not None or unit_id is not None


def transition_tx(
    tx: Tx,
    scope: Scope,
    problem_id: int,
    action: str,
    *,
    actor_id: int | None,
    at: dt.datetime,
    viewer_id: int | None = None,
    reason: str | None = None,
    assignee_user_id: int | None = None,
    assignee_unit_id: int | None = None,
    satisfaction: int | None = None,
    visit_id: int | None = None,
) -> workflow.Transition:
    """Apply one checked transition inside the caller's transaction; raises TransitionError when refused.

    A problem outside ``scope`` (and not assigned to ``viewer_id``) is 'not found'.
    """
    problem = get_problem(tx, scope, problem_id, viewer_id=viewer_id)
    if problem is None:
        raise workflow.TransitionError("problems.err.not_found")
    if action == "assign" and not _assignee_ok(tx, scope, assignee_user_id, assignee_unit_id):
        raise workflow.TransitionError("problems.err.assignee_required")
    step = workflow.plan_transition(
        problem.state, action, reason=reason, satisfaction=satisfaction, on_return_visit=visit_id is not None,
        has_assignee=assignee_user_id is not None or assignee_unit_id is not None,
    )
    if step.action == "assign":
        unit_id = assignee_unit_id
        if unit_id is None and assignee_user_id is not None:
            unit_id = tx.query("SELECT org_unit_id FROM users WHERE id = ?", [assignee_user_id]).single_value()
        tx.execute("UPDATE problems SET state = ?, assignee_user_id = ?, assignee_unit_id = ? WHERE id = ?",
                   [step.to_state, assignee_user_id, unit_id, problem_id])
    elif step.action == "resolve":
        tx.execute("UPDATE problems SET state = ?, resolved_at = ? WHERE id = ?", [step.to_state, at, problem_id])
    elif step.action == "close":
        tx.execute("UPDATE problems SET state = ?, closed_at = ?, resolution_satisfaction = ? WHERE id = ?",
                   [step.to_state, at, satisfaction, problem_id])
    elif step.action == "reopen":
        tx.execute("UPDATE problems SET state = ?, resolved_at = NULL, resolution_satisfaction = ? WHERE id = ?",
                   [step.to_state, satisfaction, problem_id])
    elif step.action == "reject":
        tx.execute("UPDATE problems SET state = ?, assignee_user_id = NULL, assignee_unit_id = NULL WHERE id = ?",
                   [step.to_state, problem_id])
    else:
        tx.execute("UPDATE problems SET state = ? WHERE id = ?", [step.to_state, problem_id])
    note = step.note
    if step.action == "assign":
        who = []
        if assignee_user_id is not None:
            who.append(str(tx.query("SELECT display_name FROM users WHERE id = ?", [assignee_user_id]).single_value()))
        if assignee_unit_id is not None:
            who.append(str(tx.query("SELECT name FROM org_units WHERE id = ?", [assignee_unit_id]).single_value()))
        note = "→ " + " / ".join(who) + (f"；{step.note}" if step.note else "")
    if visit_id is not None:
        note = (note or "") + f" [visit {visit_id}]"
    _event(tx, problem_id, at, actor_id, step.action, step.from_state, step.to_state, note)
    if "closed" in (step.from_state, step.to_state):  # only closing (or undoing it) changes a household's flags
        visit_status.touch(tx, [problem.household_id])
    return step


def transition(db: Database, scope: Scope, problem_id: int, action: str, *, actor_id: int | None,
               at: dt.datetime | None = None, **kwargs: object) -> workflow.Transition:
    """One transition in its own transaction (see transition_tx). Two at the same moment on the same problem: the
    loser runs again against the winner's state, so it is applied after it or refused as that state requires."""
    stamp = at or now()
    return db.in_transaction(
        lambda tx: transition_tx(tx, scope, problem_id, action, actor_id=actor_id, at=stamp, **kwargs),  # type: ignore[arg-type]
        what=f"problem {problem_id} {action}")


def assign_many(
    db: Database,
    scope: Scope,
    problem_ids: Sequence[int],
    *,
    actor_id: int | None,
    assignee_user_id: int | None = None,
    assignee_unit_id: int | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Assign several problems in ONE transaction: all or none (any refusal raises TransitionError)."""
    stamp = at or now()

    def assign(tx: Tx) -> None:
        for pid in problem_ids:
            transition_tx(tx, scope, pid, "assign", actor_id=actor_id, at=stamp, reason=note,
                          assignee_user_id=assignee_user_id, assignee_unit_id=assignee_unit_id)

    db.in_transaction(assign, what=f"assigning {len(problem_ids)} problems")
    return len(problem_ids)


@dataclass(frozen=True)
class ChangeStamp:
    """What changes when any problem, or any unit's name or place, changes (see change_stamp)."""

    events: int
    last_event: int
    event_id_sum: int
    problems: int
    last_problem: int
    problem_id_sum: int
    units: int
    units_hash: int


def change_stamp(db: Database | Tx) -> ChangeStamp:
    """Every problem write adds an event, clearing demo data removes problems with their events, and the units (a
    few hundred rows) are hashed: a stamp that changes with any of them, read in ~1-2 ms. The sums of the ids
    tell a late commit below the last id seen, or a removal, from new rows (see changed_figure_columns)."""
    row = db.query("""SELECT * FROM (SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0) FROM problem_events) e,
                                    (SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0) FROM problems) p,
                                    (SELECT count(*), coalesce(bit_xor(hash(concat_ws('/', id, code, name, path))), 0)
                                     FROM org_units) u
                   """).first()
    return ChangeStamp(*(int(v) for v in row))


# The columns the problem figures need, one row per problem: days are counted from 1970-01-01, close_days is set
# only for closed problems (days from raised to closed, fractional). analytics.problem_table keeps these in memory
# and patches them from problem_events: every write to problems must add an event in the same transaction.
_FIGURE_COLUMNS = """SELECT id, org_unit_id, category, state,
    date_diff('day', DATE '1970-01-01', CAST(raised_at AS DATE)) AS raised_day,
    date_diff('day', DATE '1970-01-01', due_on) AS due_day,
    CASE WHEN state = 'closed' AND closed_at IS NOT NULL THEN epoch(closed_at - raised_at) / 86400.0 END AS close_days,
    resolution_satisfaction AS rating FROM problems"""


_FIGURE_SCHEMA = pa.schema([("id", pa.int64()), ("org_unit_id", pa.int64()), ("category", pa.string()),
                            ("state", pa.string()), ("raised_day", pa.int64()), ("due_day", pa.int64()),
                            ("close_days", pa.float64()), ("rating", pa.int16())])


def figure_columns(db: Database) -> tuple[ChangeStamp, pa.Table]:
    """Every problem's figure columns (in no particular order) and the stamp they are at: one snapshot."""
    with db.transaction() as tx:
        return change_stamp(tx), tx.dialect.arrow(tx, _FIGURE_COLUMNS).cast(_FIGURE_SCHEMA)


@dataclass(frozen=True)
class FigureChanges:
    """What changed in the problems since a stamp, read in one snapshot (see changed_figure_columns)."""

    stamp: ChangeStamp  # the snapshot's
    events: tuple[int, int]  # count and id sum of the events after the old stamp's last one, up to this one's
    rows: pa.Table  # the figure columns of the problems with such an event, or with an id past the old stamp's


def changed_figure_columns(db: Database, since: ChangeStamp) -> FigureChanges | None:
    """The problems changed since ``since``, None when nothing did. The caller checks the stamps' differences
    against ``events``: events committed out of id order, or removed, make them disagree (then reload all).
    A few rows: fetched as tuples, which costs less here than Arrow's set-up."""
    with db.transaction() as tx:
        stamp = change_stamp(tx)
        if stamp == since:
            return None
        events = tx.query("SELECT count(*), coalesce(sum(id), 0) FROM problem_events WHERE id > ? AND id <= ?",
                          [since.last_event, stamp.last_event]).first()
        rows = tx.query(_FIGURE_COLUMNS + """ WHERE id IN (SELECT problem_id FROM problem_events WHERE id > ? AND id <= ?)
                                              OR (id > ? AND id <= ?)""",
                        [since.last_event, stamp.last_event, since.last_problem, stamp.last_problem]).rows
    columns = [pa.array([row[i] for row in rows], type=field.type) for i, field in enumerate(_FIGURE_SCHEMA)]
    return FigureChanges(stamp, (int(events[0]), int(events[1])), pa.Table.from_arrays(columns, schema=_FIGURE_SCHEMA))


def categories_in_use(db: Database, scope: Scope) -> list[str]:
    rows = db.query("""SELECT DISTINCT p.category FROM problems p JOIN org_units o ON o.id = p.org_unit_id
                       WHERE o.path LIKE ? ORDER BY 1""", [scope.like]).rows
    return [r[0] for r in rows]


def _unit_chain(scope: Scope) -> list[int]:
    """The unit ids of ``scope``'s path, root first (the unit at the top of the scope last)."""
    return [int(part) for part in scope.path.strip("/").split("/") if part]


def problem_categories(db: Database | Tx, scope: Scope) -> list[str]:
    """The category list in force for the unit at the top of ``scope``: its own, else the nearest ancestor's,
    else the default (a unit's list is inherited down the tree until a unit below sets its own)."""
    if _unit_chain(scope):
        # the units on the scope's path are those whose own path starts it; the deepest has the longest path
        value = db.query(
            """SELECT c.categories FROM unit_problem_categories c JOIN org_units o ON o.id = c.org_unit_id
               WHERE starts_with(?, o.path) ORDER BY length(o.path) DESC LIMIT 1""",
            [scope.path],
        ).single_value()
        found = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        if found:
            return found
    return list(rules.DEFAULT_PROBLEM_CATEGORIES)


def set_problem_categories(db: Database, scope: Scope, categories: Sequence[str]) -> list[str]:
    """Replace the category list of the unit at the top of ``scope`` (blank and repeated names dropped); an empty
    list drops the unit's own list, so it inherits again. Returns the list now in force there."""
    chain = _unit_chain(scope)
    if not chain:
        raise PermissionError("problem categories belong to a unit")
    clean: list[str] = []
    for name in categories:
        name = name.strip()[:20]
        if name and name not in clean:
            clean.append(name)
    with db.transaction() as tx:
        tx.execute("DELETE FROM unit_problem_categories WHERE org_unit_id = ?", [chain[-1]])
        if clean:
            tx.execute("INSERT INTO unit_problem_categories (org_unit_id, categories, updated_at) VALUES (?, ?, ?)",
                       [chain[-1], "\n".join(clean), now()])
    return problem_categories(db, scope)


def assignable_users(db: Database, scope: Scope) -> list[tuple[int, str, str]]:
    """(id, display name, unit name) of active cadres and leaders inside ``scope``."""
    rows = db.query(
        """SELECT u.id, u.display_name, o.name FROM users u JOIN org_units o ON o.id = u.org_unit_id
           WHERE u.active AND u.role IN ('cadre', 'leader') AND o.path LIKE ? ORDER BY o.path, u.display_name""",
        [scope.like],
    ).rows
    return [(int(r[0]), r[1], r[2]) for r in rows]
