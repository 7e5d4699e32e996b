"""Sign-in throttling: failure counters per (username, address), per address and per username, and the
addresses a user has signed in from.

They replace ``login_failures`` (a hard per-username lock that any stranger could trigger), which m0570 drops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx

STATEMENTS = [
    # key: 'p:<address>|<username>', 'a:<address>' or 'u:<username>' (storage/users.py builds them)
    """CREATE TABLE login_throttle (
        key VARCHAR PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE login_known_addresses (
        username VARCHAR NOT NULL,
        address VARCHAR NOT NULL,
        last_success_at TIMESTAMP NOT NULL,
        PRIMARY KEY (username, address)
    )""",
]


def up(tx: "Tx") -> None:
    for statement in STATEMENTS:
        tx.execute(statement)
