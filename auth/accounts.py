"""Sign-in with back-off and lockout, account creation and password changes; every attempt audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth.passwords import DUMMY_HASH, hash_password, needs_rehash, policy_problem, verify_password
from auth.principal import Principal
from storage import audit, users
from storage.db import Database

MAX_FAILURES = 5
LOCK_MINUTES = 15
WINDOW_MINUTES = 15


@dataclass(frozen=True)
class SignInResult:
    principal: Principal | None
    error: str | None = None  # i18n key
    locked_until: datetime | None = None


def sign_in(db: Database, username: str, password: str, ip: str | None = None) -> SignInResult:
    """Check a username and password; lock the username for LOCK_MINUTES after
    MAX_FAILURES failures within WINDOW_MINUTES. The message never says which
    of the two was wrong."""
    username = username.strip()
    until = users.locked_until(db, username)
    if until is not None:
        audit.record(db, "auth.login_locked", actor_name=username, ip=ip)
        return SignInResult(None, "auth.locked", until)
    found = users.password_hash_of(db, username)
    ok = verify_password(found[1] if found else DUMMY_HASH, password) and found is not None
    if not ok:
        failures, until = users.record_failure(
            db, username, max_failures=MAX_FAILURES, lock_minutes=LOCK_MINUTES, window_minutes=WINDOW_MINUTES
        )
        audit.record(db, "auth.login_failed", actor_name=username, ip=ip, detail={"failures": failures})
        if until is not None:
            return SignInResult(None, "auth.locked", until)
        return SignInResult(None, "auth.bad_credentials")
    user_id, stored = found
    if needs_rehash(stored):
        users.set_password_hash(db, user_id, hash_password(password))
    users.clear_failures(db, username)
    user = users.get_user(db, user_id)
    assert user is not None
    audit.record(db, "auth.login", actor_id=user.id, actor_name=user.username, ip=ip)
    return SignInResult(Principal.from_user(user))


def create_account(
    db: Database,
    username: str,
    display_name: str,
    role: str,
    org_unit_id: int,
    password: str,
    *,
    actor: Principal | None = None,
) -> int:
    """Create a user after checking the password policy; raises ValueError(i18n key)."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise ValueError("auth.bad_username")
    problem = policy_problem(password, username)
    if problem:
        raise ValueError(problem)
    if users.get_user_by_username(db, username) is not None:
        raise ValueError("auth.username_taken")
    user_id = users.create_user(db, username, display_name.strip() or username, role, org_unit_id, hash_password(password))
    audit.record(
        db, "user.create", actor_id=actor.user_id if actor else None, actor_name=actor.username if actor else "cli",
        target=username, detail={"role": role, "unit": org_unit_id},
    )
    return user_id


def change_password(db: Database, principal: Principal, old: str, new: str) -> str | None:
    """Change the signed-in user's password; returns an i18n error key or None."""
    found = users.password_hash_of(db, principal.username)
    if found is None or not verify_password(found[1], old):
        return "auth.old_password_wrong"
    problem = policy_problem(new, principal.username)
    if problem:
        return problem
    users.set_password_hash(db, principal.user_id, hash_password(new))
    audit.record(db, "auth.password_changed", actor_id=principal.user_id, actor_name=principal.username)
    return None


def reset_password(db: Database, actor: Principal, user_id: int, new: str) -> str | None:
    """An admin sets another user's password and ends that user's sessions."""
    target = users.get_user(db, user_id)
    if target is None or not actor.is_admin or not actor.can_see(target.unit_path):
        return "auth.forbidden"
    problem = policy_problem(new, target.username)
    if problem:
        return problem
    users.set_password_hash(db, user_id, hash_password(new))
    users.revoke_user_sessions(db, user_id)
    audit.record(db, "user.password_reset", actor_id=actor.user_id, actor_name=actor.username, target=target.username)
    return None
