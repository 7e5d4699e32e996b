"""Drop ``login_failures``, the hard per-username lock that m0520's throttle counters replaced; nothing reads or
writes it any more."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("DROP TABLE IF EXISTS login_failures")
