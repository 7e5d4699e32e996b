"""Accounts: users, their sign-in sessions, the sign-in failure counters and the setup code's claim."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from settings import now
from storage.db import Database, Scope, Tx, engine_errors, is_race

ROLES = ("admin", "leader", "cadre")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    org_unit_id: int
    unit_path: str
    unit_level: int
    unit_name: str
    active: bool
    is_demo: bool

    @property
    def scope(self) -> Scope:
        return Scope(self.unit_path)


_SELECT = """SELECT u.id, u.username, u.display_name, u.role, u.org_unit_id,
    o.path, o.level, o.name, u.active, u.is_demo
    FROM users u JOIN org_units o ON o.id = u.org_unit_id"""


def create_user(
    db: Database | Tx,
    username: str,
    display_name: str,
    role: str,
    org_unit_id: int,
    password_hash: str,
    *,
    is_demo: bool = False,
) -> int:
    """Insert a user; raises ValueError for an unknown role or unit or a taken username."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if db.query("SELECT 1 FROM org_units WHERE id = ?", [org_unit_id]).first() is None:
        raise ValueError(f"unknown org unit {org_unit_id}")
    if db.query("SELECT 1 FROM users WHERE username = ?", [username]).first() is not None:
        raise ValueError(f"username {username!r} is taken")
    return int(
        db.query(
            "INSERT INTO users (username, display_name, role, org_unit_id, password_hash, is_demo, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [username, display_name, role, org_unit_id, password_hash, is_demo, now()],
        ).single_value()
    )


def get_user(db: Database | Tx, user_id: int) -> User | None:
    row = db.query(_SELECT + " WHERE u.id = ?", [user_id]).first()
    return User(*row) if row else None


def get_user_by_username(db: Database | Tx, username: str) -> User | None:
    row = db.query(_SELECT + " WHERE u.username = ?", [username]).first()
    return User(*row) if row else None


def password_hash_of(db: Database, username: str) -> tuple[int, str] | None:
    """(user id, stored hash) of an active user, for verification only."""
    row = db.query("SELECT id, password_hash FROM users WHERE username = ? AND active", [username]).first()
    return (int(row[0]), str(row[1])) if row else None


def set_password_hash(db: Database | Tx, user_id: int, password_hash: str) -> None:
    db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])


def set_active(db: Database | Tx, user_id: int, active: bool) -> None:
    db.execute("UPDATE users SET active = ? WHERE id = ?", [active, user_id])


def list_users(db: Database, scope: Scope) -> list[User]:
    """Users whose unit lies inside ``scope``."""
    return [User(*r) for r in db.query(_SELECT + " WHERE o.path LIKE ? ORDER BY u.role, u.username", [scope.like]).rows]


def count_users(db: Database, role: str | None = None) -> int:
    if role is None:
        return int(db.query("SELECT count(*) FROM users").single_value())
    return int(db.query("SELECT count(*) FROM users WHERE role = ? AND active", [role]).single_value())


# --- sign-in throttling ---------------------------------------------------

# On DuckDB one process holds the database (its file lock), so this lock serialises every counter update; the retry
# below is the guarantee should two transactions still meet on a row (DuckDB reports a write-write conflict or,
# for two first inserts of one key, a duplicate key, instead of waiting). On PostgreSQL several processes share the
# counters: each update is one autocommit statement, and its ON CONFLICT ... DO UPDATE waits for a concurrent
# writer of the same key and then adds to its count, so no failure is lost across processes either.
_THROTTLE_LOCK = threading.Lock()
_CONFLICT_RETRIES = 8


def throttle_state(db: Database, keys: Sequence[str], forget_before: datetime) -> dict[str, tuple[int, datetime]]:
    """(failures, last failure) of each of ``keys`` that failed since ``forget_before``; older counters count as none."""
    if not keys:
        return {}
    marks = ", ".join("?" for _ in keys)
    rows = db.query(
        f"SELECT key, failures, last_failure_at FROM login_throttle WHERE key IN ({marks}) AND last_failure_at >= ?",
        [*keys, forget_before],
    ).rows
    return {str(k): (int(n), at) for k, n, at in rows}


def count_failure(db: Database, keys: Sequence[str], forget_before: datetime) -> dict[str, int]:
    """Add one failed sign-in to each of ``keys`` in one atomic statement and return the new counts; a counter
    whose last failure is before ``forget_before`` starts again at 1."""
    at = now()
    values = ", ".join("(?, 1, ?)" for _ in keys)
    params: list[object] = [p for key in keys for p in (key, at)]
    sql = (
        f"INSERT INTO login_throttle AS t (key, failures, last_failure_at) VALUES {values} "
        "ON CONFLICT (key) DO UPDATE SET "
        "failures = CASE WHEN t.last_failure_at < ? THEN 1 ELSE t.failures + 1 END, "
        "last_failure_at = excluded.last_failure_at RETURNING key, failures"
    )
    with _THROTTLE_LOCK:
        for attempt in range(_CONFLICT_RETRIES):
            try:
                rows = db.query(sql, [*params, forget_before]).rows
                return {str(k): int(n) for k, n in rows}
            except engine_errors() as exc:
                if not is_race(exc) or attempt == _CONFLICT_RETRIES - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def clear_throttle(db: Database, key: str) -> None:
    with _THROTTLE_LOCK:
        db.execute("DELETE FROM login_throttle WHERE key = ?", [key])


def remember_address(db: Database, username: str, address: str) -> None:
    """Note that ``username`` signed in from ``address`` (their own address, for the per-username bound)."""
    with _THROTTLE_LOCK:
        db.execute(
            "INSERT INTO login_known_addresses AS k (username, address, last_success_at) VALUES (?, ?, ?) "
            "ON CONFLICT (username, address) DO UPDATE SET last_success_at = excluded.last_success_at",
            [username, address, now()],
        )


def is_known_address(db: Database, username: str, address: str, since: datetime) -> bool:
    """Whether ``username`` signed in successfully from ``address`` since ``since``."""
    return db.query(
        "SELECT 1 FROM login_known_addresses WHERE username = ? AND address = ? AND last_success_at >= ?",
        [username, address, since],
    ).first() is not None


# --- sessions -------------------------------------------------------------


def create_session(db: Database, token_hash: str, user_id: int, hours: int) -> datetime:
    at = now()
    expires = at + timedelta(hours=hours)
    db.execute(
        "INSERT INTO user_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        [token_hash, user_id, at, expires],
    )
    return expires


def session_user(db: Database, token_hash: str) -> User | None:
    """The active user of a live (unexpired, unrevoked) session."""
    row = db.query(
        _SELECT.replace("FROM users u", "FROM user_sessions s JOIN users u ON u.id = s.user_id")
        + " WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.active",
        [token_hash, now()],
    ).first()
    return User(*row) if row else None


def revoke_session(db: Database, token_hash: str) -> None:
    db.execute("UPDATE user_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", [now(), token_hash])


def revoke_user_sessions(db: Database | Tx, user_id: int, *, keep_token_hash: str | None = None) -> None:
    """End every live session of ``user_id``, except the one whose token hashes to ``keep_token_hash``."""
    db.execute(
        "UPDATE user_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND token_hash IS DISTINCT FROM ?",
        [now(), user_id, keep_token_hash],
    )


# --- installation facts ---------------------------------------------------


def get_meta(db: Database | Tx, key: str) -> str | None:
    return db.query("SELECT value FROM app_meta WHERE key = ?", [key]).single_value()


def set_meta(db: Database | Tx, key: str, value: str) -> None:
    db.execute("DELETE FROM app_meta WHERE key = ?", [key])
    db.execute("INSERT INTO app_meta (key, value, updated_at) VALUES (?, ?, ?)", [key, value, now()])


def delete_meta(db: Database | Tx, key: str) -> None:
    db.execute("DELETE FROM app_meta WHERE key = ?", [key])


def claim_meta(tx: Tx, key: str, value: str) -> bool:
    """Delete ``key`` if it holds ``value``, and say whether this transaction did: of concurrent claimers one
    wins; the others see no row or fail on DuckDB's write conflict, and their transaction rolls back."""
    return tx.query("DELETE FROM app_meta WHERE key = ? AND value = ? RETURNING key", [key, value]).first() is not None
