"""The append-only audit log: sign-ins, exports of personal data, administrative changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from settings import now
from storage.db import Database, Scope, Tx


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    target: str | None
    detail: dict[str, Any]
    ip: str | None


def record(
    db: Database | Tx,
    action: str,
    *,
    actor_id: int | None = None,
    actor_name: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry. ``action`` is a dotted code such as ``auth.login``.

    The entry is kept with the acting user's unit (or, with no ``actor_id``, the unit of the user named
    ``actor_name``, e.g. a failed sign-in), so each admin reads the log of their own subtree."""
    db.execute(
        """INSERT INTO audit_log (occurred_at, actor_id, actor_name, action, target, detail, ip, org_unit_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, coalesce((SELECT org_unit_id FROM users WHERE id = ?),
                                                 (SELECT org_unit_id FROM users
                                                  WHERE CAST(? AS BIGINT) IS NULL AND username = ?)))""",
        [now(), actor_id, actor_name, action, target, json.dumps(detail or {}, ensure_ascii=False, default=str), ip,
         actor_id, actor_id, actor_name],
    )


def recent(db: Database, scope: Scope, limit: int = 200, action_prefix: str | None = None) -> list[AuditEntry]:
    """The latest entries of units inside ``scope``, newest first; entries of no unit (e.g. a failed sign-in
    with an unknown username) only for the top of the tree."""
    sql = """SELECT a.id, a.occurred_at, a.actor_id, a.actor_name, a.action, a.target, a.detail, a.ip
             FROM audit_log a LEFT JOIN org_units o ON o.id = a.org_unit_id
             WHERE (o.path LIKE ? OR (? AND a.org_unit_id IS NULL))"""
    params: list[Any] = [scope.like, scope.is_top]
    if action_prefix:
        sql += " AND a.action LIKE ?"
        params.append(action_prefix + "%")
    sql += " ORDER BY a.id DESC LIMIT ?"
    params.append(limit)
    return [
        AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}"), r[7])
        for r in db.query(sql, params).rows
    ]
