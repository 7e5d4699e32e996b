"""Sign-in with growing delays, account creation, password changes and (de)activation; every attempt audited."""

from __future__ import annotations

from dataclasses import dataclass

from auth import throttle
from auth.passwords import DUMMY_HASH, hash_password, needs_rehash, policy_problem, verify_password
from auth.principal import Principal
from storage import audit, users
from storage.db import Database


@dataclass(frozen=True)
class SignInResult:
    principal: Principal | None
    error: str | None = None  # i18n key
    retry_after: int = 0  # seconds to wait before the next attempt is checked (error "accounts.throttled")


def sign_in(db: Database, username: str, password: str, ip: str | None = None) -> SignInResult:
    """Check a username and password, throttled by username and address (auth.throttle): while a wait is due
    the password is not even checked. The message never says which of the two was wrong."""
    username = username.strip()
    wait = throttle.wait_seconds(db, username, ip)
    if wait:
        audit.record(db, "auth.login_throttled", actor_name=username, ip=ip, detail={"wait_seconds": wait})
        return SignInResult(None, "accounts.throttled", wait)
    found = users.password_hash_of(db, username)
    ok = verify_password(found[1] if found else DUMMY_HASH, password) and found is not None
    if not ok:
        counts = throttle.record_failure(db, username, ip)
        audit.record(db, "auth.login_failed", actor_name=username, ip=ip, detail={"failures": max(counts.values())})
        return SignInResult(None, "auth.bad_credentials")
    user_id, stored = found
    if needs_rehash(stored):
        users.set_password_hash(db, user_id, hash_password(password))
    throttle.record_success(db, username, ip)
    user = users.get_user(db, user_id)
    assert user is not None
    audit.record(db, "auth.login", actor_id=user.id, actor_name=user.username, ip=ip)
    return SignInResult(Principal.from_user(user))


class Throttled(Exception):
    """Too many wrong passwords from this address for this username: wait ``seconds`` before the next check."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def check_new_account(username: str, password: str) -> None:
    """Raise ValueError(i18n key) when ``username`` is not a valid username or ``password`` breaks the policy."""
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise ValueError("auth.bad_username")
    problem = policy_problem(password, username)
    if problem:
        raise ValueError(problem)


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
    check_new_account(username, password)
    if users.get_user_by_username(db, username) is not None:
        raise ValueError("auth.username_taken")
    user_id = users.create_user(db, username, display_name.strip() or username, role, org_unit_id, hash_password(password))
    audit.record(
        db, "user.create", actor_id=actor.user_id if actor else None, actor_name=actor.username if actor else "cli",
        target=username, detail={"role": role, "unit": org_unit_id},
    )
    return user_id


def change_password(
    db: Database, principal: Principal, old: str, new: str, *, keep_token_hash: str | None = None,
    ip: str | None = None,
) -> str | None:
    """Change the signed-in user's password and end all their other sessions (every one but the session whose
    token hashes to ``keep_token_hash``, the one making the change); returns an i18n error key or None. A wrong
    current password counts on the sign-in throttle (per username and address ``ip``), so a stolen session cannot
    guess the password faster than the sign-in form; while a wait is due this raises Throttled, unchecked."""
    wait = throttle.wait_seconds(db, principal.username, ip)
    if wait:
        audit.record(db, "auth.password_change_throttled", actor_id=principal.user_id, actor_name=principal.username,
                     ip=ip, detail={"wait_seconds": wait})
        raise Throttled(wait)
    found = users.password_hash_of(db, principal.username)
    if found is None or not verify_password(found[1], old):
        counts = throttle.record_failure(db, principal.username, ip)
        audit.record(db, "auth.password_change_failed", actor_id=principal.user_id, actor_name=principal.username,
                     ip=ip, detail={"failures": max(counts.values())})
        return "auth.old_password_wrong"
    problem = policy_problem(new, principal.username)
    if problem:
        return problem
    new_hash = hash_password(new)
    with db.transaction() as tx:
        users.set_password_hash(tx, principal.user_id, new_hash)
        users.revoke_user_sessions(tx, principal.user_id, keep_token_hash=keep_token_hash)
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
    new_hash = hash_password(new)
    with db.transaction() as tx:
        users.set_password_hash(tx, user_id, new_hash)
        users.revoke_user_sessions(tx, user_id)
    audit.record(db, "user.password_reset", actor_id=actor.user_id, actor_name=actor.username, target=target.username)
    return None


def set_account_active(db: Database, actor: Principal, user_id: int, active: bool) -> str | None:
    """An admin enables or disables a user of their subtree (never themselves); disabling ends every session of
    that user in the same transaction. Returns an i18n error key or None."""
    target = users.get_user(db, user_id)
    if target is None or not actor.is_admin or not actor.can_see(target.unit_path) or target.id == actor.user_id:
        return "auth.forbidden"
    with db.transaction() as tx:
        users.set_active(tx, user_id, active)
        if not active:
            users.revoke_user_sessions(tx, user_id)
    audit.record(db, "user.set_active", actor_id=actor.user_id, actor_name=actor.username, target=target.username,
                 detail={"active": active})
    return None
