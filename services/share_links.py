"""Creating share links for a survey and a unit (page and CLI), with their URLs, QR images and print sheet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import settings as settings_module
from sharing.qr import link_url
from sharing.sheet import SheetCard, batch_sheet_pdf
from sharing.tokens import new_token, new_tokens
from storage import audit, orgs
from storage import links as link_store
from storage import surveys as survey_store
from storage.db import Database, Scope

MAX_BATCH = 5000


class LinkRequestError(ValueError):
    """A request the caller must fix; ``key`` is an i18n key, ``params`` its placeholders."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class CreatedLinks:
    mode: str
    tokens: list[str]
    batch_id: str | None
    urls: list[str]


def expiry_of(day: dt.date | None) -> dt.datetime | None:
    """A link that 'expires on' a day accepts answers until the end of that day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time()) if day else None


def create(
    db: Database,
    *,
    survey_id: str,
    unit_code: str,
    scope: Scope,
    single_use: int | None = None,
    expires_on: dt.date | None = None,
    response_cap: int | None = None,
    rate_limit_per_minute: int | None = None,
    label: str | None = None,
    created_by: int | None = None,
    actor_name: str | None = None,
    base_url: str | None = None,
) -> CreatedLinks:
    """Create one open link (single_use None) or a batch of ``single_use`` tokens
    for an open survey and a unit inside ``scope``."""
    at = settings_module.now()
    survey = survey_store.get_survey(db, survey_id)
    if survey is None or not survey_store.visible_within(db, scope, survey_id):  # another branch's survey: unknown here
        raise LinkRequestError("links.error.unknown_survey", survey=survey_id)
    if not survey.is_open(at):
        raise LinkRequestError("links.error.survey_not_open", survey=survey_id)
    unit = orgs.get_unit_by_code(db, unit_code)
    if unit is None or not scope.covers(unit.path):
        raise LinkRequestError("links.error.unit_out_of_scope", unit=unit_code)
    if single_use is not None and not 1 <= single_use <= MAX_BATCH:
        raise LinkRequestError("links.error.batch_size", max=MAX_BATCH)
    if response_cap is not None and response_cap < 1:
        raise LinkRequestError("links.error.cap")
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise LinkRequestError("links.error.rate")
    if expires_on is not None and expiry_of(expires_on) <= at:
        raise LinkRequestError("links.error.expired_date")
    mode = "single_use" if single_use else "open"
    tokens = new_tokens(single_use) if single_use else [new_token()]
    batch_id = new_token() if single_use else None
    link_store.create_links(
        db, survey_id, unit.id, mode, tokens, at, batch_id=batch_id, label=(label or "").strip()[:100] or None,
        expires_at=expiry_of(expires_on), response_cap=response_cap, rate_limit_per_minute=rate_limit_per_minute,
        created_by=created_by,
    )
    audit.record(db, "links.create", actor_id=created_by, actor_name=actor_name, target=survey_id,
                 detail={"unit": unit_code, "mode": mode, "count": len(tokens), "batch": batch_id})
    base = base_url or settings_module.load().public_base_url
    return CreatedLinks(mode, tokens, batch_id, [link_url(base, token) for token in tokens])


def batch_sheet(db: Database, batch_id: str, scope: Scope, *, instruction: str, page_label: str,
                base_url: str | None = None) -> bytes | None:
    """The printable PDF of a single-use batch inside ``scope`` (None if none)."""
    links = link_store.links_in_batch(db, batch_id, scope, settings_module.now())
    if not links:
        return None
    base = base_url or settings_module.load().public_base_url
    cards = [SheetCard(link_url(base, link.token), link.token) for link in links if link.revoked_at is None]
    return batch_sheet_pdf(cards, unit_name=links[0].unit_name, survey_title=links[0].survey_title,
                           instruction=instruction, page_label=page_label)
