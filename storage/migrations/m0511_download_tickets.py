"""Download tickets: personal-data exports are fetched once, by the user who prepared them, through /download.

Streamlit's download button keeps its bytes in the media file manager and serves them at /media/<id> to anyone
holding the URL, signed in or not. An export is kept here instead, under the hash of a random ticket, for a few
minutes; the /download route hands it only to the same signed-in user and deletes it as it does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("""CREATE TABLE download_tickets (
        ticket_hash VARCHAR PRIMARY KEY,
        user_id BIGINT NOT NULL,
        filename VARCHAR NOT NULL,
        mime VARCHAR NOT NULL,
        data BLOB NOT NULL,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL
    )""")
