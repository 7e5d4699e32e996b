"""Visit campaigns (大走访): name, scope units, window, visit form, coverage target and covering outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from fieldwork import rules
from settings import now
from storage import visit_status
from storage.db import Database, Scope, Tx


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    visit_survey_id: str
    coverage_target: float
    covering_outcomes: tuple[str, ...]
    unit_ids: tuple[int, ...]

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the campaign's visits as timestamps (the deadline day counts in full)."""
        return (dt.datetime.combine(self.starts_on, dt.time()),
                dt.datetime.combine(self.ends_on + dt.timedelta(days=1), dt.time()))


_SELECT = """SELECT c.id, c.name, c.starts_on, c.ends_on, c.visit_survey_id, c.coverage_target, c.covering_outcomes,
    coalesce((SELECT array_agg(cu.org_unit_id ORDER BY cu.org_unit_id) FROM campaign_units cu WHERE cu.campaign_id = c.id), ARRAY[]::BIGINT[])
    FROM campaigns c"""
# A campaign is visible to a caller when one of its units lies inside the caller's subtree or above it.
_VISIBLE = """EXISTS (SELECT 1 FROM campaign_units cu JOIN org_units o ON o.id = cu.org_unit_id
    WHERE cu.campaign_id = c.id AND (o.path LIKE ? OR starts_with(?, o.path)))"""


def _campaign(row: tuple) -> Campaign:
    return Campaign(int(row[0]), row[1], row[2], row[3], row[4], float(row[5]), rules.parse_outcomes(row[6]),
                    tuple(int(u) for u in row[7]))


def create_campaign(
    db: Database,
    scope: Scope,
    *,
    name: str,
    unit_ids: Sequence[int],
    starts_on: dt.date,
    ends_on: dt.date,
    visit_survey_id: str = "ruhu_zoufang",
    coverage_target: float = 1.0,
    covering_outcomes: Sequence[str] = rules.DEFAULT_COVERING_OUTCOMES,
    created_by: int | None = None,
) -> int:
    """Create a campaign over ``unit_ids`` (each must lie inside ``scope``); returns its id."""
    if not name.strip() or not unit_ids or ends_on < starts_on:
        raise ValueError("campaigns.err.invalid")
    outcomes = [o for o in covering_outcomes if o in rules.OUTCOMES] or list(rules.DEFAULT_COVERING_OUTCOMES)
    with db.transaction() as tx:
        inside = tx.query("SELECT count(*) FROM org_units WHERE list_contains(?, id) AND path LIKE ?",
                          [list(unit_ids), scope.like]).single_value()
        if int(inside) != len(set(unit_ids)):
            raise ValueError("auth.forbidden")
        campaign_id = int(tx.query(
            "INSERT INTO campaigns (name, starts_on, ends_on, visit_survey_id, coverage_target, covering_outcomes,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [name.strip(), starts_on, ends_on, visit_survey_id, coverage_target, ",".join(outcomes), created_by, now()],
        ).single_value())
        for unit_id in sorted(set(unit_ids)):
            tx.execute("INSERT INTO campaign_units (campaign_id, org_unit_id) VALUES (?, ?)", [campaign_id, unit_id])
        visit_status.invalidate_all(tx)  # its rows come from the visits already in its window
    return campaign_id


def get_campaign(db: Database | Tx, campaign_id: int) -> Campaign | None:
    row = db.query(_SELECT + " WHERE c.id = ?", [campaign_id]).first()
    return _campaign(row) if row else None


def all_campaigns(db: Database | Tx) -> list[Campaign]:
    """Every campaign, oldest first (for the derived visit status, which is kept for all of them)."""
    return [_campaign(r) for r in db.query(_SELECT + " ORDER BY c.id").rows]


def list_campaigns(db: Database, scope: Scope) -> list[Campaign]:
    """Campaigns that reach into ``scope``, the latest deadline first."""
    rows = db.query(_SELECT + f" WHERE {_VISIBLE} ORDER BY c.ends_on DESC, c.id DESC", [scope.like, scope.path]).rows
    return [_campaign(r) for r in rows]


def current_campaign(db: Database, scope: Scope, today: dt.date) -> Campaign | None:
    """The running campaign for ``scope`` (window covers today), else the latest one."""
    found = list_campaigns(db, scope)
    running = [c for c in found if c.starts_on <= today <= c.ends_on]
    return (running or found or [None])[0]
