"""The share-link submit use case: validate, score, claim the link and store the response in one transaction."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from services.survey_catalog import survey_version
from sharing.states import LinkFacts, LinkState, evaluate
from storage import links as link_store
from storage.db import Database
from storage.responses import NewResponse, write_response_tx
from surveys import AnswerError, Survey, answer_rows, satisfaction_summary, validate_answers

# A capped link or a single-use token is claimed by a row UPDATE; concurrent
# submissions on the same row conflict and retry until the winner committed.
CLAIM_ATTEMPTS = 10


@dataclass(frozen=True)
class OpenedLink:
    """What the fill page needs after resolving a token."""

    state: LinkState
    link: link_store.ShareLink | None = None
    survey: Survey | None = None
    version: int | None = None


@dataclass(frozen=True)
class SubmitResult:
    status: str  # 'stored' | 'duplicate' | 'invalid' | 'refused'
    response_id: int | None = None
    errors: Mapping[str, list[AnswerError]] = field(default_factory=dict)
    state: LinkState = LinkState.OK

    @property
    def accepted(self) -> bool:
        """Stored now or earlier under the same client key: show the thank-you."""
        return self.status in ("stored", "duplicate")


def facts_of(link: link_store.ShareLink | None) -> LinkFacts | None:
    if link is None:
        return None
    return LinkFacts(link.mode, link.revoked_at, link.expires_at, link.used_at, link.response_cap, link.claimed,
                     link.survey_open)


def open_link(db: Database, token: str | None, at: datetime) -> OpenedLink:
    """Resolve a (normalized) token to its state, link and the survey version to show."""
    if token is None:
        return OpenedLink(LinkState.UNKNOWN)
    link = link_store.get_link(db, token, at)
    state = evaluate(facts_of(link), at)
    if link is None or state is not LinkState.OK:
        return OpenedLink(state, link)
    loaded = survey_version(db, link.survey_id)
    if loaded is None:
        return OpenedLink(LinkState.CLOSED, link)
    survey, version = loaded
    return OpenedLink(LinkState.OK, link, survey, version)


def submit(
    db: Database,
    *,
    token: str,
    survey: Survey,
    version: int,
    raw: Mapping[str, Any],
    client_key: str,
    started_at: datetime | None,
    at: datetime,
) -> SubmitResult:
    """Validate and store one resident's response to a share link.

    Idempotent by ``client_key`` (a retry or double tap returns 'duplicate'
    with the first response's id). The link's state is re-checked, and a
    single-use token or a cap is claimed, inside the same transaction as the
    insert, so a raced token is accepted exactly once and a cap never
    overshoots. Answers to hidden questions are dropped by validation.
    """
    check = validate_answers(survey, raw)
    if not check.ok:
        return SubmitResult("invalid", errors=check.errors)
    score = satisfaction_summary(survey, check.clean)
    duration = (at - started_at).total_seconds() if started_at is not None else None
    response = NewResponse(
        client_key=client_key, survey_id=survey.id, survey_version=version, org_unit_id=0, channel="link",
        submitted_at=at, answers=answer_rows(survey, check.clean), sat_n=score.sat_n, sat_ok=score.sat_ok,
        sat_index_sum=score.sat_index_sum, nps_score=score.nps, link_token=token, started_at=started_at,
        duration_seconds=duration,
    )
    for attempt in range(CLAIM_ATTEMPTS):
        try:
            return _store(db, response, token, at)
        except (link_store.ClaimConflict, duckdb.TransactionException, duckdb.ConstraintException):
            # Another transaction holds the link row or the same client key right
            # now. Try again: once it commits, this attempt finds the client key
            # stored (a double tap), the token used, or the cap reached.
            pass
        time.sleep(0.005 * (attempt + 1))
    existing = link_store.existing_response_id(db, client_key)
    if existing is not None:
        return SubmitResult("duplicate", existing)
    link = link_store.get_link(db, token, at)
    state = evaluate(facts_of(link), at)
    return SubmitResult("refused", state=state if state is not LinkState.OK else LinkState.CAPPED)


def _store(db: Database, response: NewResponse, token: str, at: datetime) -> SubmitResult:
    with db.transaction() as tx:
        existing = link_store.existing_response_id(tx, response.client_key)
        if existing is not None:
            return SubmitResult("duplicate", existing)
        link = link_store.get_link(tx, token, at)
        state = evaluate(facts_of(link), at)
        if link is None or state is not LinkState.OK:
            return SubmitResult("refused", state=state)
        if link.survey_id != response.survey_id:
            return SubmitResult("refused", state=LinkState.UNKNOWN)
        single_use = link.mode == "single_use"
        if (single_use or link.response_cap is not None) and not link_store.claim_tx(
            tx, token, at, single_use, link.response_cap
        ):
            return SubmitResult("refused", state=LinkState.USED if single_use else LinkState.CAPPED)
        written = write_response_tx(tx, _for_unit(response, link.org_unit_id))
        return SubmitResult("stored" if written.created else "duplicate", written.response_id)


def _for_unit(response: NewResponse, org_unit_id: int) -> NewResponse:
    from dataclasses import replace

    return replace(response, org_unit_id=org_unit_id)
