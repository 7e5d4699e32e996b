"""Share links: creating, reading, revoking and counting them, claiming a token in a submit transaction, and the burst
limit's per-address counters."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database, Scope, Tx, engine_errors, is_race

MODES = ("open", "single_use")


@dataclass(frozen=True)
class ShareLink:
    token: str
    survey_id: str
    org_unit_id: int
    mode: str
    batch_id: str | None
    label: str | None
    expires_at: datetime | None
    response_cap: int | None
    rate_limit_per_minute: int | None
    revoked_at: datetime | None
    used_at: datetime | None
    claimed: int
    created_at: datetime
    unit_code: str
    unit_name: str
    unit_path: str
    survey_title: str
    survey_open: bool  # status open, a current version, and inside the schedule at read time


@dataclass(frozen=True)
class LinkSummary:
    """One open link, or one single-use batch, with its counts."""

    token: str  # the open link's token, or the batch's first token
    batch_id: str | None
    mode: str
    unit_code: str
    unit_name: str
    label: str | None
    expires_at: datetime | None
    response_cap: int | None
    revoked: bool
    tokens: int
    used: int  # single-use tokens already answered
    opened: int
    answered: int
    created_at: datetime


_SELECT = """SELECT l.token, l.survey_id, l.org_unit_id, l.mode, l.batch_id, l.label, l.expires_at, l.response_cap,
    l.rate_limit_per_minute, l.revoked_at, l.used_at, l.claimed, l.created_at, o.code, o.name, o.path, s.title,
    (s.status = 'open' AND s.current_version IS NOT NULL AND (s.opens_at IS NULL OR s.opens_at <= ?)
     AND (s.closes_at IS NULL OR ? < s.closes_at)) AS survey_open
    FROM share_links l JOIN org_units o ON o.id = l.org_unit_id JOIN surveys s ON s.id = l.survey_id"""


def create_links(
    db: Database,
    survey_id: str,
    org_unit_id: int,
    mode: str,
    tokens: Sequence[str],
    at: datetime,
    *,
    batch_id: str | None = None,
    label: str | None = None,
    expires_at: datetime | None = None,
    response_cap: int | None = None,
    rate_limit_per_minute: int | None = None,
    created_by: int | None = None,
) -> None:
    """Store one open link or a single-use batch (all tokens in one transaction).

    tokens: from sharing.tokens; batch_id groups a single-use batch.
    """
    if mode not in MODES:
        raise ValueError(f"unknown link mode {mode!r}")
    if not tokens:
        raise ValueError("no tokens")
    rows: list = []
    for token in tokens:
        rows.extend([token, survey_id, org_unit_id, mode, batch_id, label, expires_at, response_cap,
                     rate_limit_per_minute, created_by, at])
    values = ", ".join("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" for _ in tokens)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO share_links (token, survey_id, org_unit_id, mode, batch_id, label, expires_at, response_cap,"
            f" rate_limit_per_minute, created_by, created_at) VALUES {values}",
            rows,
        )


def get_link(db: Database | Tx, token: str, at: datetime) -> ShareLink | None:
    """The link with this token (the token itself is the resident's credential,
    so this public lookup takes no Scope); survey_open is evaluated at ``at``."""
    row = db.query(_SELECT + " WHERE l.token = ?", [at, at, token]).first()
    return ShareLink(*row) if row else None


def links_in_batch(db: Database, batch_id: str, scope: Scope, at: datetime) -> list[ShareLink]:
    """Every token of a single-use batch inside ``scope``, in token order."""
    rows = db.query(_SELECT + " WHERE l.batch_id = ? AND o.path LIKE ? ORDER BY l.token", [at, at, batch_id, scope.like]).rows
    return [ShareLink(*r) for r in rows]


def get_link_in_scope(db: Database, token: str, scope: Scope, at: datetime) -> ShareLink | None:
    row = db.query(_SELECT + " WHERE l.token = ? AND o.path LIKE ?", [at, at, token, scope.like]).first()
    return ShareLink(*row) if row else None


def list_links(db: Database, survey_id: str, scope: Scope) -> list[LinkSummary]:
    """Open links and single-use batches of a survey inside ``scope``, newest first, with their counts."""
    rows = db.query(
        """WITH opens AS (SELECT token, count(*) AS n FROM share_link_opens GROUP BY token),
                answered AS (SELECT link_token AS token, count(*) AS n FROM responses
                             WHERE link_token IS NOT NULL AND voided_at IS NULL AND survey_id = ? GROUP BY link_token)
           SELECT min(l.token), l.batch_id, l.mode, o.code, o.name, any_value(l.label), max(l.expires_at),
                  max(l.response_cap), bool_and(l.revoked_at IS NOT NULL), count(*), count(l.used_at),
                  coalesce(sum(op.n), 0), coalesce(sum(an.n), 0), min(l.created_at)
           FROM share_links l JOIN org_units o ON o.id = l.org_unit_id
           LEFT JOIN opens op ON op.token = l.token LEFT JOIN answered an ON an.token = l.token
           WHERE l.survey_id = ? AND o.path LIKE ?
           GROUP BY coalesce(l.batch_id, l.token), l.batch_id, l.mode, o.code, o.name
           ORDER BY min(l.created_at) DESC, min(l.token)""",
        [survey_id, survey_id, scope.like],
    ).rows
    return [LinkSummary(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), int(r[9]), int(r[10]),
                        int(r[11]), int(r[12]), r[13]) for r in rows]


def revoke(db: Database, token_or_batch: str, scope: Scope, at: datetime) -> int:
    """Revoke one link, or every token of a batch, inside ``scope``; returns how many."""
    with db.transaction() as tx:
        tokens = [r[0] for r in tx.query(
            """SELECT l.token FROM share_links l JOIN org_units o ON o.id = l.org_unit_id
               WHERE (l.token = ? OR l.batch_id = ?) AND o.path LIKE ? AND l.revoked_at IS NULL""",
            [token_or_batch, token_or_batch, scope.like],
        ).rows]
        if tokens:
            placeholders = ", ".join("?" for _ in tokens)
            tx.execute(f"UPDATE share_links SET revoked_at = ? WHERE token IN ({placeholders})", [at, *tokens])
    return len(tokens)


def record_open(db: Database, token: str, at: datetime) -> None:
    """Count one resident session that saw the form (append-only: never conflicts)."""
    record_opens(db, [(token, at)])


def record_opens(db: Database, opens: Sequence[tuple[str, datetime]]) -> None:
    """Count several opens (token, time) in one multi-row INSERT."""
    if not opens:
        return
    values = ", ".join("(?, ?)" for _ in opens)
    db.execute(f"INSERT INTO share_link_opens (token, opened_at) VALUES {values}",
               [value for pair in opens for value in pair])


@dataclass(frozen=True)
class SubmitFacts:
    """The few columns the submit transaction re-checks (lighter than ShareLink)."""

    survey_id: str
    org_unit_id: int
    mode: str
    revoked_at: datetime | None
    expires_at: datetime | None
    used_at: datetime | None
    response_cap: int | None
    claimed: int
    survey_open: bool


def submit_facts_tx(tx: Tx, token: str, at: datetime) -> SubmitFacts | None:
    row = tx.query(
        """SELECT l.survey_id, l.org_unit_id, l.mode, l.revoked_at, l.expires_at, l.used_at, l.response_cap, l.claimed,
               (s.status = 'open' AND s.current_version IS NOT NULL AND (s.opens_at IS NULL OR s.opens_at <= ?)
                AND (s.closes_at IS NULL OR ? < s.closes_at))
           FROM share_links l JOIN surveys s ON s.id = l.survey_id WHERE l.token = ?""",
        [at, at, token],
    ).first()
    return SubmitFacts(*row) if row else None


def answered_count(db: Database | Tx, token: str) -> int:
    return int(db.query("SELECT count(*) FROM responses WHERE link_token = ? AND voided_at IS NULL", [token]).single_value())


def existing_response_id(tx: Database | Tx, client_key: str) -> int | None:
    value = tx.query("SELECT id FROM responses WHERE client_key = ?", [client_key]).single_value()
    return int(value) if value is not None else None


class ClaimConflict(Exception):
    """Another transaction is claiming the same link right now (a write-write conflict on DuckDB, a serialization
    failure on PostgreSQL)."""


def claim_tx(tx: Tx, token: str, at: datetime, single_use: bool, response_cap: int | None) -> bool:
    """Claim the right to store one response under this link, in the submit
    transaction: single use only while used_at is NULL, capped only while
    claimed < cap. Returns False when refused (used, or cap reached).

    The row UPDATE is what makes racing submissions conflict, so exactly one
    of N racers for a single-use token succeeds. The loser's conflict (DuckDB's
    write-write conflict; PostgreSQL's serialization failure once the winner
    has committed, under REPEATABLE READ) is raised here as ClaimConflict; the
    transaction is then aborted and must be rolled back.
    """
    conditions = ["token = ?"]
    if single_use:
        conditions.append("used_at IS NULL")
    if response_cap is not None:
        conditions.append("claimed < response_cap")
    assignment = "claimed = claimed + 1" + (", used_at = ?" if single_use else "")
    params: list = ([at] if single_use else []) + [token]
    sql = f"UPDATE share_links SET {assignment} WHERE {' AND '.join(conditions)} RETURNING token"
    try:
        return tx.query(sql, params).first() is not None
    except engine_errors() as exc:
        if not is_race(exc):
            raise
        raise ClaimConflict(str(exc)) from exc


@dataclass(frozen=True)
class BrowserRepeats:
    """How many of a link's responses came again from a browser that had already answered it."""

    token: str
    responses: int  # not voided
    browsers: int  # distinct per-browser ids among them
    repeats: int  # responses from a browser id beyond its first
    unmarked: int  # responses stored without a browser id (before ids were kept, or a paper import)


def browser_repeats(db: Database, survey_id: str, scope: Scope) -> dict[str, BrowserRepeats]:
    """Per open link of ``survey_id`` inside ``scope``: responses, distinct browsers and repeats.

    A browser that clears its cookies counts as a new browser: repeats are a
    floor, shown beside the burst limit that bounds the rest."""
    rows = db.query(
        """SELECT r.link_token, count(*), count(DISTINCT r.browser_id),
                  count(r.browser_id) - count(DISTINCT r.browser_id), count(*) - count(r.browser_id)
           FROM responses r JOIN share_links l ON l.token = r.link_token JOIN org_units o ON o.id = l.org_unit_id
           WHERE r.survey_id = ? AND l.mode = 'open' AND r.voided_at IS NULL AND o.path LIKE ?
           GROUP BY r.link_token""",
        [survey_id, scope.like],
    ).rows
    return {r[0]: BrowserRepeats(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}


# --- the burst limit's counters (services/limits.py) ---------------------------------------------------------------

# On DuckDB one process holds the database, so this lock serialises every counter update and two submits from one
# address never meet on its row; the retry is the guarantee should they still (a write-write conflict, or a duplicate
# key for two first inserts). On PostgreSQL each update is one autocommit statement whose ON CONFLICT ... DO UPDATE
# waits for a concurrent writer of the same row (another process) and then counts on top of it.
_BURST_LOCK = threading.Lock()
_BURST_RETRIES = 8


def count_bursts(db: Database, counts: Sequence[tuple[str, str, int, datetime]], window_seconds: float
                 ) -> dict[tuple[str, str], int]:
    """Count submissions per (link token, address): each of ``counts`` is (token, address, how many, at), the keys
    distinct. Returns for each key how many that address has sent to that link in its current window, these
    included. A window starts at the address's first submission and lasts ``window_seconds``; the first one after
    it ends starts a new window with these. One multi-row UPSERT for all the keys.

    No Scope: the token and the resident's own address are the key; nothing but a count is returned."""
    if not counts:
        return {}
    values = ", ".join("(?, ?, ?, ?)" for _ in counts)
    # rows locked in key order: two processes counting overlapping keys wait for each other instead of deadlocking
    params: list[object] = [v for token, address, n, at in sorted(counts) for v in (token, address, at, n)]
    # every key's window ends window_seconds after its start: compare with each row's own time (excluded.window_start)
    sql = (f"INSERT INTO link_submit_bursts AS b (token, address, window_start, hits) VALUES {values}"
           " ON CONFLICT (token, address) DO UPDATE SET"
           " hits = CASE WHEN b.window_start <= excluded.window_start - ? * INTERVAL '1 second'"
           " THEN excluded.hits ELSE b.hits + excluded.hits END,"
           " window_start = CASE WHEN b.window_start <= excluded.window_start - ? * INTERVAL '1 second'"
           " THEN excluded.window_start ELSE b.window_start END"
           " RETURNING token, address, hits")
    with _BURST_LOCK:
        for attempt in range(_BURST_RETRIES):
            try:
                rows = db.query(sql, [*params, float(window_seconds), float(window_seconds)]).rows
                return {(str(token), str(address)): int(hits) for token, address, hits in rows}
            except engine_errors() as exc:
                if not is_race(exc) or attempt == _BURST_RETRIES - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def purge_bursts(db: Database, at: datetime, window_seconds: float) -> int:
    """Delete every burst counter whose window ended before ``at``; returns how many."""
    with _BURST_LOCK:
        return len(db.query("DELETE FROM link_submit_bursts WHERE window_start <= ? RETURNING 1",
                            [at - timedelta(seconds=window_seconds)]))
