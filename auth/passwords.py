"""Password hashing with argon2id (memory-hard) and the password policy."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8

# Common passwords of Chinese users that the general list (zxcvbn's 30,000 most common passwords, from leaked
# password sets) lacks, and this application's own obvious choices; compared in lower case.
LOCAL_COMMON = frozenset({
    "woaini1314", "woaini520", "woaini521", "woaini123", "5201314520", "1314520520", "wodemima", "mima1234",
    "mima123456", "zhongguo", "zhongguo123", "a1234567", "a12345678", "qwer1234", "1234qwer", "asdf1234",
    "1qaz2wsx3edc", "qweasdzxc", "123qweasd", "abcd1234", "aa112233", "admin888", "admin666", "admin1234",
    "admin12345", "admin@123", "admin123456", "root1234", "minyi123", "minyi1234", "minyi2026", "demo1234",
    "test1234", "password1", "p@ssw0rd", "passw0rd", "88888888", "66666666", "11223344", "147258369",
    "159357258", "123654789", "987654321", "12341234",
})


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | LOCAL_COMMON


def is_common(password: str) -> bool:
    """Whether ``password`` is among the most common passwords (case-insensitive)."""
    return password.strip().lower() in _common()

# argon2-cffi's defaults are RFC 9106's low-memory profile: 64 MiB, 3 passes.
_hasher = PasswordHasher()
# Each hash or check holds 64 MiB for ~50 ms: bounding how many run at once keeps a burst of sign-in attempts
# (a thread each in the server's pool) from taking gigabytes, at the price of queueing them.
_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


def hash_password(password: str) -> str:
    with _SLOTS:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _SLOTS:
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
    if is_common(password):
        return "accounts.password_common"
    return None


# A dummy hash verified when the username is unknown, so that a failed sign-in
# takes the same time whether or not the account exists.
DUMMY_HASH = hash_password("minyi-timing-equaliser")
