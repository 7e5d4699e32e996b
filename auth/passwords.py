"""Password hashing with argon2id (memory-hard) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8

# argon2-cffi's defaults are RFC 9106's low-memory profile: 64 MiB, 3 passes.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def policy_problem(password: str, username: str = "") -> str | None:
    """The i18n key of what is wrong with a new password, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "auth.password_too_short"
    if username and password.strip().lower() == username.strip().lower():
        return "auth.password_is_username"
    if len(set(password)) < 4:
        return "auth.password_too_simple"
    return None


# A dummy hash verified when the username is unknown, so that a failed sign-in
# takes the same time whether or not the account exists.
DUMMY_HASH = hash_password("minyi-timing-equaliser")
