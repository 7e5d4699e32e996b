"""Sign-in throttling: growing delays per (username, address), per address and per username, never a hard lock.

A stranger who types wrong passwords for someone else's username slows down their own attempts and, beyond a
bound, everyone's attempts for that username from addresses it has never signed in from — but never the owner's
from an address they signed in from before, and never for longer than a minute. Counters are updated in one
atomic statement (storage.users.count_failure), so concurrent guesses are all counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from settings import now
from storage import users
from storage.db import Database

FORGET_AFTER = timedelta(hours=24)  # a counter idle this long starts again
KNOWN_ADDRESS_DAYS = 30  # an address the user signed in from within this many days is theirs


@dataclass(frozen=True)
class Schedule:
    """``free`` failures cost nothing; from then on each failure doubles the wait, starting at one second, up to
    ``cap_seconds``."""

    free: int
    cap_seconds: int

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return float(min(self.cap_seconds, 2 ** min(failures - self.free, 30)))


PAIR = Schedule(free=5, cap_seconds=15 * 60)  # one username from one address: the owner mistyping, or a guesser
ADDRESS = Schedule(free=20, cap_seconds=15 * 60)  # one address trying many usernames
USERNAME = Schedule(free=10, cap_seconds=60)  # one username from many addresses: slows, never locks


def _address(address: str | None) -> str:
    return address or "unknown"


def _keys(username: str, address: str | None) -> dict[str, Schedule]:
    where = _address(address)
    return {f"p:{where}|{username}": PAIR, f"a:{where}": ADDRESS, f"u:{username}": USERNAME}


def _username_bound_applies(db: Database, username: str, address: str | None) -> bool:
    since = now() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return not users.is_known_address(db, username, _address(address), since)


def wait_seconds(db: Database, username: str, address: str | None) -> int:
    """How long this address must wait before its next attempt for ``username`` is checked (0: go ahead)."""
    keys = _keys(username, address)
    at = now()
    state = users.throttle_state(db, list(keys), at - FORGET_AFTER)
    wait = 0.0
    for key, (failures, last) in state.items():
        if key.startswith("u:") and not _username_bound_applies(db, username, address):
            continue
        ready: datetime = last + timedelta(seconds=keys[key].delay(failures))
        wait = max(wait, (ready - at).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


def record_failure(db: Database, username: str, address: str | None) -> dict[str, int]:
    """Count a failed sign-in on all three counters; returns the new counts by key."""
    return users.count_failure(db, list(_keys(username, address)), now() - FORGET_AFTER)


def record_success(db: Database, username: str, address: str | None) -> None:
    """The owner got in from here: forget this pair's failures and remember the address as theirs."""
    where = _address(address)
    users.clear_throttle(db, f"p:{where}|{username}")
    users.remember_address(db, username, where)
