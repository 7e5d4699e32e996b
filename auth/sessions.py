"""Session cookies: a random token from `secrets`, signed, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from itsdangerous import BadSignature, Signer

from auth.principal import Principal
from storage import users
from storage.db import Database

COOKIE_NAME = "minyi_session"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, principal: Principal, secret: str, hours: int) -> str:
    """Create a session and return the cookie value to set (signed token)."""
    token = secrets.token_urlsafe(32)
    users.create_session(db, _hash(token), principal.user_id, hours)
    return Signer(secret, salt="minyi-session").sign(token).decode()


def _token(cookie: str | None, secret: str) -> str | None:
    if not cookie:
        return None
    try:
        return Signer(secret, salt="minyi-session").unsign(cookie).decode()
    except BadSignature:
        return None


def token_hash(cookie: str | None, secret: str) -> str | None:
    """The stored hash of a genuine cookie's token (how a session is named in storage), else None."""
    token = _token(cookie, secret)
    return _hash(token) if token is not None else None


def principal_from_cookie(db: Database, cookie: str | None, secret: str) -> Principal | None:
    """The principal of a valid session cookie; None when absent, forged, expired or revoked."""
    token = _token(cookie, secret)
    if token is None:
        return None
    user = users.session_user(db, _hash(token))
    return Principal.from_user(user) if user else None


def end_session(db: Database, cookie: str | None, secret: str) -> None:
    token = _token(cookie, secret)
    if token is not None:
        users.revoke_session(db, _hash(token))
