"""Offering an export of personal data: prepared on request, handed out through the authenticated /download route."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from auth.principal import Principal
from reports.routes import download_url
from storage import downloads
from ui import state
from ui.links import route_link
from ui.resources import database
from ui.session import t


def ticket_link(principal: Principal, filename: str, mime: str, data: bytes) -> str:
    """A single-use /download link to ``data`` for ``principal`` alone (never st.download_button: its bytes are
    served from /media to anyone holding the URL)."""
    return download_url(downloads.issue_ticket(database(), principal.user_id, filename, mime, data))


def offer(key: str, label: str, principal: Principal, filename: str, mime: str, build: Callable[[], bytes]) -> None:
    """A button that builds the file (``build`` audits the export) and then a link that fetches it once."""
    links = st.session_state.setdefault(state.DOWNLOAD_LINKS, {})
    if st.button(f"{label} · {t('download.prepare')}", key=f"{key}.prepare"):
        links[key] = ticket_link(principal, filename, mime, build())
    if key in links:
        st.caption(t("download.ready"))
        route_link(label, links[key])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
