"""SQL of the credibility checks: the rows the signals read, and the flags table (raise, list, confirm, dismiss)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from storage import audit
from storage import responses as response_store
from storage.db import Database, Scope

STATES = ("open", "confirmed", "dismissed")
# The per-browser id the fill page stores on link responses (issue: resume drafts); read only when the column exists.
BROWSER_COLUMNS = ("browser_id", "client_id", "draft_id")


# Whitespace as DuckDB's RE2 reads \s (ASCII only), spelled out so PostgreSQL's regex (whose \s follows the
# locale and may take U+3000) removes exactly the same characters.
_SPACES = "[\\t\\n\\f\\r ]+"


def _pairs(questions: dict[str, Sequence[str]]) -> tuple[list[str], list[str]]:
    """(survey ids, question ids), one pair per position: the two lists the SQL unnests side by side."""
    pairs = [(s, q) for s, qs in questions.items() for q in qs]
    return [s for s, _ in pairs], [q for _, q in pairs]


def _frame(db: Database, sql: str, params: Sequence[Any]) -> pd.DataFrame:
    with db.transaction() as tx:
        return tx.dialect.frame(tx, sql, params)


def browser_column(db: Database) -> str | None:
    """The name of the per-browser id column of ``responses`` if this database has one (it lands with the fill
    page's resume drafts), else None."""
    names = {r[0] for r in db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = 'responses'").rows}
    return next((c for c in BROWSER_COLUMNS if c in names), None)


def visit_rows(db: Database, scope: Scope, text_questions: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Every visit inside ``scope`` whose response (if any) is not voided: id, cadre (id, name), grid, household,
    when visited and when typed in, the campaign's last day, the visit form's satisfaction, and ``notes``: the
    form's free texts (of ``text_questions``, survey id -> question ids) joined, spaces removed (NULL if none)."""
    surveys, questions = _pairs(text_questions or {})
    return _frame(db, f"""
        WITH vv AS (SELECT v.id, v.cadre_id, v.org_unit_id, v.household_id, v.visited_at, v.created_at,
                           v.campaign_id, v.response_id
                    FROM visits v JOIN org_units o ON o.id = v.org_unit_id WHERE o.path LIKE ?),
             tq AS (SELECT unnest(?::VARCHAR[]) AS s, unnest(?::VARCHAR[]) AS q),
             vr AS (SELECT r.id, r.survey_id FROM responses r WHERE r.id IN (SELECT response_id FROM vv)),
             notes AS (SELECT a.response_id,
                              string_agg(regexp_replace(a.value_text, '{_SPACES}', '', 'g'), '|'
                                         ORDER BY a.question_id, a.row_id) AS notes
                       FROM answers a JOIN vr ON vr.id = a.response_id
                            JOIN tq ON tq.s = vr.survey_id AND tq.q = a.question_id
                       WHERE a.question_id IN (SELECT q FROM tq) AND a.value_text <> ''
                         AND a.response_id IN (SELECT id FROM vr) GROUP BY 1)
        SELECT vv.id, vv.cadre_id, coalesce(u.display_name, CAST(vv.cadre_id AS VARCHAR)) AS cadre, vv.org_unit_id,
               vv.household_id, vv.visited_at, vv.created_at, vv.response_id,
               c.ends_on AS campaign_ends_on, r.sat_n, r.sat_ok, notes.notes
        FROM vv LEFT JOIN campaigns c ON c.id = vv.campaign_id LEFT JOIN users u ON u.id = vv.cadre_id
             LEFT JOIN responses r ON r.id = vv.response_id
             LEFT JOIN notes ON notes.response_id = vv.response_id
        WHERE r.voided_at IS NULL""", [scope.like, surveys, questions])


def visit_survey_ids(db: Database, scope: Scope) -> list[str]:
    """The surveys of the visit forms inside ``scope``."""
    return [r[0] for r in db.query(
        """SELECT DISTINCT r.survey_id FROM responses r JOIN org_units o ON o.id = r.org_unit_id
           WHERE o.path LIKE ? AND r.channel = 'visit' AND r.visit_id IS NOT NULL ORDER BY 1""", [scope.like]).rows]


def link_response_rows(db: Database, scope: Scope) -> pd.DataFrame:
    """Residents' link responses inside ``scope`` that are not voided: id, unit, survey, link, when, how long the
    form was open, satisfaction counts, and the per-browser id when the database stores one (else NULL)."""
    browser = browser_column(db)
    browser_sql = f"r.{browser}" if browser else "CAST(NULL AS VARCHAR)"
    return _frame(db, f"""
        SELECT r.id, r.org_unit_id, r.survey_id, r.survey_version, r.link_token, r.submitted_at,
               r.duration_seconds, r.sat_n, r.sat_ok, {browser_sql} AS browser_id
        FROM responses r JOIN org_units o ON o.id = r.org_unit_id
        WHERE o.path LIKE ? AND r.voided_at IS NULL AND r.channel = 'link'""", [scope.like])


def rating_spread(db: Database, scope: Scope, rating_questions: dict[str, Sequence[str]]) -> pd.DataFrame:
    """Per link response inside ``scope``: how many rating items (of ``rating_questions``, survey id -> question
    ids) it answered and whether it gave every one of them the same value (``all_same``)."""
    frames = [_frame(db, """
        WITH lr AS (SELECT r.id FROM responses r JOIN org_units o ON o.id = r.org_unit_id
                    WHERE o.path LIKE ? AND r.voided_at IS NULL AND r.channel = 'link' AND r.survey_id = ?)
        SELECT a.response_id AS id, count(*) AS items, min(a.value_num) = max(a.value_num) AS all_same
        FROM answers a
        WHERE a.question_id IN (SELECT unnest(?::VARCHAR[])) AND a.value_num IS NOT NULL
          AND a.response_id IN (SELECT id FROM lr)
        GROUP BY 1""", [scope.like, survey_id, list(questions)])
        for survey_id, questions in rating_questions.items() if questions]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({"id": pd.Series(dtype="int64"), "items": pd.Series(dtype="int64"),
                             "all_same": pd.Series(dtype="bool")})
    return pd.concat(frames, ignore_index=True)


def repeated_texts(db: Database, scope: Scope, text_questions: dict[str, Sequence[str]], min_length: int,
                   min_count: int) -> pd.DataFrame:
    """Free texts (of ``text_questions``, survey id -> question ids) at least ``min_length`` characters long that
    ``min_count`` or more not-voided link responses of one unit inside ``scope`` gave word for word (spaces
    ignored), with how many responses in the whole scope gave it (``everywhere``)."""
    surveys, questions = _pairs(text_questions)
    if not surveys:
        return pd.DataFrame({"org_unit_id": [], "text": [], "ids": [], "copies": [], "everywhere": []})
    return _frame(db, f"""
        WITH tq AS (SELECT unnest(?::VARCHAR[]) AS s, unnest(?::VARCHAR[]) AS q),
             rr AS (SELECT r.id, r.org_unit_id, r.survey_id FROM responses r JOIN org_units o ON o.id = r.org_unit_id
                    WHERE o.path LIKE ? AND r.voided_at IS NULL AND r.channel = 'link'
                      AND r.survey_id IN (SELECT s FROM tq)),
             tt AS (SELECT rr.org_unit_id, regexp_replace(a.value_text, '{_SPACES}', '', 'g') AS text, rr.id
                    FROM answers a JOIN rr ON rr.id = a.response_id
                         JOIN tq ON tq.s = rr.survey_id AND tq.q = a.question_id
                    WHERE a.value_text IS NOT NULL)
        SELECT * FROM (
            SELECT org_unit_id, text, array_agg(DISTINCT id ORDER BY id) AS ids, count(DISTINCT id) AS copies,
                   sum(count(DISTINCT id)) OVER (PARTITION BY text) AS everywhere
            FROM tt WHERE length(text) >= ? GROUP BY 1, 2) AS grouped
        WHERE copies >= ?""",
                  [surveys, questions, scope.like, min_length, min_count])


def satisfaction_by_channel(db: Database, scope: Scope) -> pd.DataFrame:
    """Per unit inside ``scope`` and channel ('link' or 'visit'), over not-voided responses with satisfaction items:
    responses, items, satisfied items and the sums a response-clustered variance needs."""
    return _frame(db, """
        SELECT r.org_unit_id, r.channel, count(*) AS responses, sum(r.sat_n) AS sat_n, sum(r.sat_ok) AS sat_ok,
               sum(r.sat_ok * r.sat_ok) AS ok2, sum(r.sat_n * r.sat_n) AS n2, sum(r.sat_ok * r.sat_n) AS okn
        FROM responses r JOIN org_units o ON o.id = r.org_unit_id
        WHERE o.path LIKE ? AND r.voided_at IS NULL AND r.sat_n > 0 AND r.channel IN ('link', 'visit')
        GROUP BY 1, 2""", [scope.like])


def response_ids_by_channel(db: Database, scope: Scope, unit_path: str, channel: str) -> list[int]:
    """Ids of the not-voided responses of one channel with satisfaction items in the subtree ``unit_path``
    (only inside ``scope``)."""
    return [int(r[0]) for r in db.query(
        """SELECT r.id FROM responses r JOIN org_units o ON o.id = r.org_unit_id
           WHERE o.path LIKE ? AND o.path LIKE ? AND r.voided_at IS NULL AND r.sat_n > 0 AND r.channel = ?
           ORDER BY r.id""", [scope.like, unit_path + "%", channel]).rows]


def unit_tree(db: Database, scope: Scope) -> pd.DataFrame:
    """The units inside ``scope``: id, parent, level, path, code, name."""
    return _frame(db, "SELECT id, parent_id, level, path, code, name FROM org_units WHERE path LIKE ? ORDER BY path",
                  [scope.like])


# --- the flags table ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewFlag:
    kind: str
    org_unit_id: int
    row_kind: str  # 'visit' | 'response'
    row_ids: tuple[int, ...]
    reason: str  # catalogue key
    params: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        rows = ",".join(str(i) for i in sorted(self.row_ids))
        return hashlib.sha256(f"{self.kind}|{self.org_unit_id}|{self.row_kind}|{rows}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredFlag:
    id: int
    kind: str
    org_unit_id: int
    unit_code: str
    unit_name: str
    row_kind: str
    row_ids: tuple[int, ...]
    reason: str
    params: dict[str, Any]
    n_rows: int
    state: str
    detected_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None


_FLAG_COLUMNS = """f.id, f.kind, f.org_unit_id, o.code, o.name, f.row_kind, f.row_ids, f.reason, f.params, f.n_rows,
    f.state, f.detected_at, f.decided_by, f.decided_at, f.decision_reason"""


def _stored(row: tuple) -> StoredFlag:
    return StoredFlag(int(row[0]), row[1], int(row[2]), row[3], row[4], row[5], tuple(int(i) for i in row[6]),
                      row[7], json.loads(row[8]), int(row[9]), row[10], row[11], row[12], row[13], row[14])


def raise_flags(db: Database, scope: Scope, flags: Sequence[NewFlag], at: datetime) -> int:
    """Store the flags of units inside ``scope`` not stored before (by fingerprint, whatever their state); return
    how many are new. A flag of a unit outside ``scope`` is dropped."""
    if not flags:
        return 0
    with db.transaction() as tx:
        inside = {int(r[0]) for r in tx.query("SELECT id FROM org_units WHERE path LIKE ?", [scope.like]).rows}
        fresh = [f for f in flags if f.org_unit_id in inside]
        if not fresh:
            return 0
        known = {r[0] for r in tx.query("SELECT fingerprint FROM credibility_flags WHERE fingerprint IN "
                                        "(SELECT unnest(?::VARCHAR[]))", [[f.fingerprint for f in fresh]]).rows}
        rows, seen = [], set(known)
        for f in fresh:
            if f.fingerprint in seen:
                continue
            seen.add(f.fingerprint)
            rows.append([f.fingerprint, f.kind, f.org_unit_id, f.row_kind, list(f.row_ids), f.reason,
                         json.dumps(f.params, ensure_ascii=False, default=str), len(f.row_ids), at])
        if rows:
            tx.executemany("""INSERT INTO credibility_flags (fingerprint, kind, org_unit_id, row_kind, row_ids, reason,
                              params, n_rows, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
        return len(rows)


def list_flags(db: Database, scope: Scope, state: str | None = None) -> list[StoredFlag]:
    """The flags of units inside ``scope`` (optionally of one state), by unit path then newest first."""
    sql = f"""SELECT {_FLAG_COLUMNS} FROM credibility_flags f JOIN org_units o ON o.id = f.org_unit_id
              WHERE o.path LIKE ?"""
    params: list[Any] = [scope.like]
    if state:
        sql += " AND f.state = ?"
        params.append(state)
    return [_stored(r) for r in db.query(sql + " ORDER BY o.path, f.id DESC", params).rows]


def get_flag(db: Database, scope: Scope, flag_id: int) -> StoredFlag | None:
    """One flag, if its unit is inside ``scope``."""
    row = db.query(f"""SELECT {_FLAG_COLUMNS} FROM credibility_flags f JOIN org_units o ON o.id = f.org_unit_id
                       WHERE f.id = ? AND o.path LIKE ?""", [flag_id, scope.like]).first()
    return _stored(row) if row else None


def flag_rows(db: Database, scope: Scope, flag_id: int) -> list[dict[str, Any]]:
    """The rows behind a flag inside ``scope`` (nothing for a flag outside it), unmasked: the caller masks names
    and phones (fieldwork.masking) for viewers outside the household's grid."""
    flag = get_flag(db, scope, flag_id)
    if flag is None:
        return []
    if flag.row_kind == "visit":
        sql = """SELECT v.id, v.visited_at, v.created_at, v.outcome, u.display_name AS cadre, g.name AS grid,
                        v.org_unit_id AS grid_id, h.code AS household, h.head_name, h.phone, h.address, v.response_id
                 FROM visits v JOIN org_units g ON g.id = v.org_unit_id JOIN households h ON h.id = v.household_id
                      LEFT JOIN users u ON u.id = v.cadre_id
                 WHERE v.id IN (SELECT unnest(?::BIGINT[])) AND g.path LIKE ? ORDER BY v.visited_at, v.id"""
    else:
        sql = """SELECT r.id, r.submitted_at, r.started_at, r.duration_seconds, r.channel, r.link_token, g.name AS unit,
                        r.sat_n, r.sat_ok, r.voided_at, r.void_reason
                 FROM responses r JOIN org_units g ON g.id = r.org_unit_id
                 WHERE r.id IN (SELECT unnest(?::BIGINT[])) AND g.path LIKE ? ORDER BY r.submitted_at, r.id"""
    return db.query(sql, [list(flag.row_ids), scope.like]).dicts()


def _response_ids_of(db: Database, flag: StoredFlag) -> list[int]:
    if flag.row_kind == "response":
        return list(flag.row_ids)
    return [int(r[0]) for r in db.query(
        "SELECT response_id FROM visits WHERE id IN (SELECT unnest(?::BIGINT[])) AND response_id IS NOT NULL",
        [list(flag.row_ids)]).rows]


def _decide(db: Database, flag_id: int, state: str, actor_id: int, reason: str, at: datetime) -> None:
    db.execute("""UPDATE credibility_flags SET state = ?, decided_by = ?, decided_at = ?, decision_reason = ?
                  WHERE id = ?""", [state, actor_id, at, reason, flag_id])


def confirm_flag(db: Database, scope: Scope, flag_id: int, *, actor_id: int, reason: str, at: datetime) -> int:
    """Confirm an open flag inside ``scope``: void its responses (a visit flag: the visits' form responses) through
    the ordinary void path with the reason and the confirmer, mark the flag confirmed and audit it. Returns the
    number of responses voided; raises LookupError for a flag outside ``scope`` and ValueError for one decided."""
    flag = get_flag(db, scope, flag_id)
    if flag is None:
        raise LookupError(flag_id)
    if flag.state != "open":
        raise ValueError(flag.state)
    void_reason = f"credibility flag {flag.id} ({flag.kind}) confirmed by user {actor_id}: {reason}"
    voided = 0
    for response_id in _response_ids_of(db, flag):
        voided += int(response_store.void_response(db, response_id, void_reason, scope, at))
    _decide(db, flag.id, "confirmed", actor_id, reason, at)
    audit.record(db, "credibility.confirm", actor_id=actor_id, target=f"flag:{flag.id}",
                 detail={"kind": flag.kind, "unit": flag.unit_code, "row_kind": flag.row_kind,
                         "rows": list(flag.row_ids), "voided_responses": voided, "reason": reason})
    return voided


def dismiss_flag(db: Database, scope: Scope, flag_id: int, *, actor_id: int, reason: str, at: datetime) -> bool:
    """Dismiss an open flag inside ``scope`` with a reason (its rows stay as they are), audited. False if the flag
    is outside ``scope`` or already decided."""
    flag = get_flag(db, scope, flag_id)
    if flag is None or flag.state != "open":
        return False
    _decide(db, flag.id, "dismissed", actor_id, reason, at)
    audit.record(db, "credibility.dismiss", actor_id=actor_id, target=f"flag:{flag.id}",
                 detail={"kind": flag.kind, "unit": flag.unit_code, "reason": reason})
    return True


def open_flag_sums(db: Database, scope: Scope) -> tuple[int, int, int]:
    """(responses, satisfaction items, satisfied items) of the not-voided responses inside ``scope`` behind open
    flags (a visit flag: its visits' form responses), each response counted once however many flags hold it."""
    row = db.query("""
        WITH f AS (SELECT f.row_kind, unnest(f.row_ids) AS row_id FROM credibility_flags f
                   JOIN org_units o ON o.id = f.org_unit_id WHERE o.path LIKE ? AND f.state = 'open'),
             ids AS (SELECT row_id AS id FROM f WHERE row_kind = 'response'
                     UNION SELECT v.response_id FROM f JOIN visits v ON v.id = f.row_id
                     WHERE f.row_kind = 'visit' AND v.response_id IS NOT NULL)
        SELECT count(*), coalesce(sum(r.sat_n), 0), coalesce(sum(r.sat_ok), 0)
        FROM responses r JOIN org_units o ON o.id = r.org_unit_id
        WHERE r.id IN (SELECT id FROM ids) AND o.path LIKE ? AND r.voided_at IS NULL""",
                   [scope.like, scope.like]).first()
    return int(row[0]), int(row[1]), int(row[2])
