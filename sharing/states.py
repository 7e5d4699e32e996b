"""Link states: whether a share link accepts a response now, and if not, why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class LinkState(str, Enum):
    """Each state has its own message for the resident (i18n key fill.state.<value>)."""

    OK = "ok"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    CAPPED = "capped"
    CLOSED = "closed"  # the survey is not open (closed, archived, outside its schedule)
    USED = "used"  # a single-use token that already has its response
    ANSWERED_HERE = "answered_here"  # an open link this browser already answered

    @property
    def message_key(self) -> str:
        return f"fill.state.{self.value}"


@dataclass(frozen=True)
class LinkFacts:
    """What the state depends on, read from the link row and its survey."""

    mode: str  # 'open' | 'single_use'
    revoked_at: datetime | None
    expires_at: datetime | None
    used_at: datetime | None
    response_cap: int | None
    claimed: int  # responses accepted under the cap / single use
    survey_open: bool


def evaluate(facts: LinkFacts | None, at: datetime) -> LinkState:
    """The state of a link at ``at``; order: the most permanent reason first."""
    if facts is None:
        return LinkState.UNKNOWN
    if facts.revoked_at is not None:
        return LinkState.REVOKED
    if not facts.survey_open:
        return LinkState.CLOSED
    if facts.expires_at is not None and at >= facts.expires_at:
        return LinkState.EXPIRED
    if facts.mode == "single_use" and facts.used_at is not None:
        return LinkState.USED
    if facts.response_cap is not None and facts.claimed >= facts.response_cap:
        return LinkState.CAPPED
    return LinkState.OK
