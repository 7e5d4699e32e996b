"""Accounts: users, their sign-in sessions and the per-username failure counter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from settings import now
from storage.db import Database, Scope, Tx

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


# --- lockout -------------------------------------------------------------


def locked_until(db: Database, username: str) -> datetime | None:
    """When the username's lockout ends, if it is locked now."""
    row = db.query("SELECT locked_until FROM login_failures WHERE username = ?", [username]).first()
    if row and row[0] is not None and row[0] > now():
        return row[0]
    return None


def record_failure(db: Database, username: str, *, max_failures: int, lock_minutes: int, window_minutes: int) -> tuple[int, datetime | None]:
    """Count a failed sign-in; lock the username once ``max_failures`` happen
    within ``window_minutes``. Returns (failures in window, locked_until)."""
    at = now()
    with db.transaction() as tx:
        row = tx.query("SELECT failures, last_failure_at FROM login_failures WHERE username = ?", [username]).first()
        failures = 1
        if row and row[1] >= at - timedelta(minutes=window_minutes):
            failures = int(row[0]) + 1
        until = at + timedelta(minutes=lock_minutes) if failures >= max_failures else None
        tx.execute("DELETE FROM login_failures WHERE username = ?", [username])
        tx.execute(
            "INSERT INTO login_failures (username, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?)",
            [username, 0 if until else failures, at, until],
        )
    return failures, until


def clear_failures(db: Database, username: str) -> None:
    db.execute("DELETE FROM login_failures WHERE username = ?", [username])


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


def revoke_user_sessions(db: Database, user_id: int) -> None:
    db.execute("UPDATE user_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [now(), user_id])


# --- installation facts ---------------------------------------------------


def get_meta(db: Database | Tx, key: str) -> str | None:
    return db.query("SELECT value FROM app_meta WHERE key = ?", [key]).single_value()


def set_meta(db: Database | Tx, key: str, value: str) -> None:
    db.execute("DELETE FROM app_meta WHERE key = ?", [key])
    db.execute("INSERT INTO app_meta (key, value, updated_at) VALUES (?, ?, ?)", [key, value, now()])


def delete_meta(db: Database | Tx, key: str) -> None:
    db.execute("DELETE FROM app_meta WHERE key = ?", [key])
