"""Share-link counters: responses claimed under a cap or single use, and page opens.

``share_links.claimed`` is incremented in the submit transaction only for
links with a cap or a single-use token: the UPDATE makes two racing
submissions conflict (DuckDB write-write conflict), so a cap is never
overshot. Open links without a cap never touch their row, so a QR code sent
to a whole community does not serialise every answer on one row.
``share_link_opens`` is append-only (one row per resident session that saw
the form), so counting opens never conflicts either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("ALTER TABLE share_links ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0")
    tx.execute("""CREATE TABLE share_link_opens (
        token VARCHAR NOT NULL,
        opened_at TIMESTAMP NOT NULL
    )""")
