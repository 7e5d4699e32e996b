"""The append-only audit log: sign-ins, exports of personal data, administrative changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from settings import now
from storage.db import Database, Tx


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
    """Append one entry. ``action`` is a dotted code such as ``auth.login``."""
    db.execute(
        "INSERT INTO audit_log (occurred_at, actor_id, actor_name, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [now(), actor_id, actor_name, action, target, json.dumps(detail or {}, ensure_ascii=False, default=str), ip],
    )


def recent(db: Database, limit: int = 200, action_prefix: str | None = None) -> list[AuditEntry]:
    sql = "SELECT id, occurred_at, actor_id, actor_name, action, target, detail, ip FROM audit_log"
    params: list[Any] = []
    if action_prefix:
        sql += " WHERE action LIKE ?"
        params.append(action_prefix + "%")
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return [
        AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}"), r[7])
        for r in db.query(sql, params).rows
    ]
