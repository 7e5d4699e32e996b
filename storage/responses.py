"""Writing responses with their answers, once per client key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from storage import visit_status
from storage.db import Database, Scope, Tx

CHANNELS = ("link", "visit", "import")


class AnswerValue(Protocol):
    """One stored answer item, by value (surveys.answers.AnswerRow fits)."""

    question_id: str
    row_id: str
    value_num: float | None
    value_text: str | None


@dataclass(frozen=True)
class NewResponse:
    client_key: str  # created by the client when the form is first shown
    survey_id: str
    survey_version: int
    org_unit_id: int
    channel: str
    submitted_at: datetime
    answers: Sequence[AnswerValue] = field(default_factory=tuple)
    sat_n: int = 0
    sat_ok: int = 0
    sat_index_sum: float = 0.0
    nps_score: int | None = None
    household_id: int | None = None
    visit_id: int | None = None
    link_token: str | None = None
    started_at: datetime | None = None
    duration_seconds: float | None = None
    submitted_by: int | None = None
    browser_id: str | None = None  # services.drafts.browser_id of the resident's browser (link responses)


@dataclass(frozen=True)
class WriteResult:
    response_id: int
    created: bool  # False when the client key was already stored


_COLUMNS = """client_key, survey_id, survey_version, org_unit_id, household_id, visit_id,
    channel, link_token, submitted_at, started_at, duration_seconds, submitted_by,
    sat_n, sat_ok, sat_index_sum, nps_score, browser_id"""
_PLACEHOLDERS = "(" + ", ".join("?" for _ in range(17)) + ")"

# INSERT ... SELECT ... WHERE NOT EXISTS measured ~1.3x faster here than
# INSERT ... ON CONFLICT DO NOTHING; the UNIQUE constraint on client_key still
# settles a race between two transactions (the loser's commit fails).
_INSERT_ONE = f"""INSERT INTO responses ({_COLUMNS})
    SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
    WHERE NOT EXISTS (SELECT 1 FROM responses WHERE client_key = ?)
    RETURNING id"""

_INSERT_MANY = f"""INSERT INTO responses ({_COLUMNS}) VALUES {{values}}
    ON CONFLICT (client_key) DO NOTHING
    RETURNING id, client_key"""

# Answers go in as one statement with five list parameters: parameter binding
# and planning cost per placeholder, so five lists beat 5 x N placeholders
# (~1.3x per response measured here). unnest of array parameters is standard
# in PostgreSQL too.
_INSERT_ANSWERS = """INSERT INTO answers (response_id, question_id, row_id, value_num, value_text)
    SELECT unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[]), unnest(?::VARCHAR[])"""


def _response_params(r: NewResponse) -> list:
    return [r.client_key, r.survey_id, r.survey_version, r.org_unit_id, r.household_id, r.visit_id,
            r.channel, r.link_token, r.submitted_at, r.started_at, r.duration_seconds, r.submitted_by,
            r.sat_n, r.sat_ok, r.sat_index_sum, r.nps_score, r.browser_id]


def _insert_answers(tx: Tx, items: Sequence[tuple[int, AnswerValue]]) -> None:
    """Insert (response id, answer) pairs with one statement."""
    if not items:
        return
    tx.execute(
        _INSERT_ANSWERS,
        [[rid for rid, _ in items], [a.question_id for _, a in items], [a.row_id for _, a in items],
         [None if a.value_num is None else float(a.value_num) for _, a in items],
         [a.value_text for _, a in items]],
    )


def write_response_tx(tx: Tx, response: NewResponse) -> WriteResult:
    """Insert a response and its answers inside the caller's transaction.

    A second write with the same client key stores nothing and returns the
    first response's id, so a double tap or a retry is one response.
    """
    if response.channel not in CHANNELS:
        raise ValueError(f"unknown channel {response.channel!r}")
    new_id = tx.query(_INSERT_ONE, [*_response_params(response), response.client_key]).single_value()
    if new_id is None:
        existing = tx.query("SELECT id FROM responses WHERE client_key = ?", [response.client_key]).single_value()
        return WriteResult(int(existing), False)
    _insert_answers(tx, [(int(new_id), a) for a in response.answers])
    return WriteResult(int(new_id), True)


def write_response(db: Database, response: NewResponse) -> WriteResult:
    """Store one response with its answers in one transaction (idempotent by client key)."""
    with db.transaction() as tx:
        return write_response_tx(tx, response)


def response_exists(db: Database, client_key: str) -> bool:
    return db.query("SELECT 1 FROM responses WHERE client_key = ?", [client_key]).first() is not None


def count_responses(db: Database, scope: Scope, survey_id: str | None = None) -> int:
    sql = "SELECT count(*) FROM responses r JOIN org_units o ON o.id = r.org_unit_id WHERE o.path LIKE ? AND r.voided_at IS NULL"
    params: list = [scope.like]
    if survey_id:
        sql += " AND r.survey_id = ?"
        params.append(survey_id)
    return int(db.query(sql, params).single_value())


def answers_of(db: Database, response_id: int, scope: Scope) -> list[tuple[str, str, float | None, str | None]]:
    """The stored answer items of one response inside ``scope``."""
    return db.query(
        """SELECT a.question_id, a.row_id, a.value_num, a.value_text FROM answers a
           JOIN responses r ON r.id = a.response_id JOIN org_units o ON o.id = r.org_unit_id
           WHERE a.response_id = ? AND o.path LIKE ? ORDER BY a.question_id, a.row_id, a.value_text""",
        [response_id, scope.like],
    ).rows


def void_response(db: Database, response_id: int, reason: str, scope: Scope, at: datetime) -> bool:
    """Mark a response void (kept, excluded from figures). False if out of scope."""
    with db.transaction() as tx:
        ok = tx.query(
            "SELECT 1 FROM responses r JOIN org_units o ON o.id = r.org_unit_id WHERE r.id = ? AND o.path LIKE ?",
            [response_id, scope.like],
        ).first()
        if not ok:
            return False
        tx.execute("UPDATE responses SET voided_at = ?, void_reason = ? WHERE id = ?", [at, reason, response_id])
        homes = tx.query("""SELECT household_id FROM responses WHERE id = ?
                            UNION SELECT household_id FROM visits WHERE response_id = ?""", [response_id, response_id])
        visit_status.touch(tx, [r[0] for r in homes.rows])
    return True


def write_responses_tx(tx: Tx, responses: Sequence[NewResponse]) -> list[WriteResult]:
    """Insert several responses (distinct client keys) and their answers in the
    caller's transaction with two multi-row INSERTs: the group commit of the
    share-link writer (one transaction for many residents costs ~2.5 ms of
    CPU per response instead of ~12 ms each). Results are in input order; a
    client key already stored is returned with created=False."""
    if not responses:
        return []
    for r in responses:
        if r.channel not in CHANNELS:
            raise ValueError(f"unknown channel {r.channel!r}")
    values = ", ".join(_PLACEHOLDERS for _ in responses)
    params: list = []
    for r in responses:
        params.extend(_response_params(r))
    created = {key: int(new_id) for new_id, key in tx.query(_INSERT_MANY.format(values=values), params).rows}
    missing = [r.client_key for r in responses if r.client_key not in created]
    existing: dict[str, int] = {}
    if missing:
        marks = ", ".join("?" for _ in missing)
        existing = {key: int(i) for key, i in tx.query(
            f"SELECT client_key, id FROM responses WHERE client_key IN ({marks})", missing).rows}
    _insert_answers(tx, [(created[r.client_key], a) for r in responses if r.client_key in created for a in r.answers])
    return [WriteResult(created[r.client_key], True) if r.client_key in created
            else WriteResult(existing[r.client_key], False) for r in responses]
