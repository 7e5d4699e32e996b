"""Download tickets that name a file instead of holding its bytes: a backup is served from the backup folder.

A backup of a district is hundreds of megabytes; copying it into the database for one download would double it and
put it into the next backup. The ticket keeps the file's path (``data`` stays empty); /download serves the file
once to the ticket's user and leaves the file where it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("ALTER TABLE download_tickets ADD COLUMN file_path VARCHAR")
