"""Per-household visit status (campaign coverage, return-visit flags), derived from visits, problems and responses
and brought up to date inside every transaction that changes them.

Why a derived table: the coverage and worklist figures need, per household, the visits in a campaign's window,
the latest visit response and the open problems. Computed from the raw rows on every dashboard refresh that is a
pass over all visits joined to their responses and problems (~270 ms at 333k households / 380k visits); read from
these tables it is a grouped scan of one narrow table (~30 ms). There is one definition of "covered" and "needs a
return visit": the SQL below, which builds the rows for given households (``touch``: every write path that
changes a visit, a problem or a visit's response marks its households, and the rows are rebuilt just before the
transaction commits) or for all of them (``rebuild``: the migration, bulk demo loads, repairs). Nothing reads the
raw rows for these figures, so the lists and the counts cannot disagree. The price is paid on the write: saving a
visit takes ~45–50 ms instead of ~17–20 ms at 1M responses / 380k visits (``bench/dashboard.py`` prints it).

- ``campaign_households``: per campaign and household with at least one visit in the campaign's window: attempts,
  covered (a visit with one of the campaign's covering outcomes), the day of the first covering visit, the latest
  visit and its outcome.
- ``household_flags``: per household with visits or problems: open problems (count, earliest due date, highest
  urgency), whether the latest visit response was dissatisfied / a follow-up was asked for with no return visit
  since, and the times the due dates are counted from.

Both carry the household's grid and active flag so the dashboards group by grid without joining 333k households;
``sync_households`` brings those two columns up to date after a registry import.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from storage import campaigns as campaign_store  # module import: campaigns calls add_campaign (a cycle)

if TYPE_CHECKING:
    from storage.campaigns import Campaign
    from storage.db import Tx

_KEY = "visit_status"
_IDS = "(SELECT unnest(?::BIGINT[]))"

# A visit response counts while it is not voided; sat_ok < sat_n means an item below the "satisfied" level.
_FLAGS = """INSERT INTO household_flags
    WITH op AS (SELECT p.household_id, count(*) AS n_open, min(p.due_on) AS due,
                       min(CASE p.urgency WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END) AS urg
                FROM problems p WHERE p.state <> 'closed' AND p.household_id IS NOT NULL {problems} GROUP BY 1),
         vv AS (SELECT v.* FROM visits v WHERE TRUE {visits}),
         -- the visits' responses first (a semi-join: a LEFT JOIN would build its hash table on all responses)
         vr AS (SELECT r.id, r.sat_n, r.sat_ok FROM responses r
                WHERE r.voided_at IS NULL AND r.id IN (SELECT response_id FROM vv)),
         hs AS (SELECT v.household_id, max(v.visited_at) AS last_at,
                       max(v.visited_at) FILTER (WHERE r.sat_n IS NOT NULL) AS lr_at,
                       arg_max(r.sat_ok < r.sat_n, (v.visited_at, v.id)) FILTER (WHERE r.sat_n IS NOT NULL) AS dis,
                       max(v.visited_at) FILTER (WHERE v.follow_up) AS lf_at,
                       max(v.visited_at) FILTER (WHERE v.is_return_visit) AS lrv_at
                FROM vv v LEFT JOIN vr r ON r.id = v.response_id GROUP BY 1),
         ids AS (SELECT household_id FROM op UNION SELECT household_id FROM hs)
    SELECT ids.household_id, h.grid_id, h.active, coalesce(op.n_open, 0), op.due, op.urg,
           coalesce(hs.dis AND (hs.lrv_at IS NULL OR hs.lrv_at <= hs.lr_at), FALSE),
           coalesce(hs.lf_at IS NOT NULL AND (hs.lrv_at IS NULL OR hs.lrv_at <= hs.lf_at), FALSE),
           hs.lr_at, hs.lf_at, hs.last_at
    FROM ids JOIN households h ON h.id = ids.household_id
         LEFT JOIN op ON op.household_id = ids.household_id LEFT JOIN hs ON hs.household_id = ids.household_id"""

# A visit counts for a campaign inside its window [start, end); it covers the household with a covering outcome.
_CAMPAIGNS = """INSERT INTO campaign_households
    WITH c AS (SELECT unnest(?::STRUCT(id BIGINT, s TIMESTAMP, e TIMESTAMP, o VARCHAR[])[], recursive := true)),
         vv AS (SELECT v.id, v.household_id, v.visited_at, v.outcome FROM visits v WHERE TRUE {visits}),
         cv AS (SELECT c.id AS campaign_id, vv.* , list_contains(c.o, vv.outcome) AS covering
                FROM c JOIN vv ON vv.visited_at >= c.s AND vv.visited_at < c.e)
    SELECT cv.campaign_id, cv.household_id, h.grid_id, h.active, count(*), bool_or(cv.covering),
           min(CAST(cv.visited_at AS DATE)) FILTER (WHERE cv.covering),
           max(cv.visited_at), arg_max(cv.outcome, (cv.visited_at, cv.id))
    FROM cv JOIN households h ON h.id = cv.household_id
    GROUP BY cv.campaign_id, cv.household_id, h.grid_id, h.active"""


def _campaign_param(campaigns: Iterable[Campaign]) -> list[dict[str, Any]]:
    out = []
    for c in campaigns:
        start, end = c.window()
        out.append({"id": c.id, "s": start, "e": end, "o": list(c.covering_outcomes)})
    return out


def _build(tx: Tx, household_ids: list[int] | None, campaigns: list[Campaign] | None = None) -> None:
    """Rebuild the rows of ``household_ids`` (None: every household) for ``campaigns`` (None: all)."""
    if household_ids is None:
        tx.execute("DELETE FROM household_flags")
        tx.execute("DELETE FROM campaign_households")
        tx.execute(_FLAGS.format(problems="", visits=""))
        tx.execute(_CAMPAIGNS.format(visits=""), [_campaign_param(campaigns or campaign_store.all_campaigns(tx))])
        return
    if not household_ids:
        return
    tx.execute(f"DELETE FROM household_flags WHERE household_id IN {_IDS}", [household_ids])
    tx.execute(f"DELETE FROM campaign_households WHERE household_id IN {_IDS}", [household_ids])
    tx.execute(_FLAGS.format(problems=f"AND p.household_id IN {_IDS}", visits=f"AND v.household_id IN {_IDS}"),
               [household_ids, household_ids])
    chosen = campaigns if campaigns is not None else campaign_store.all_campaigns(tx)
    if chosen:
        tx.execute(_CAMPAIGNS.format(visits=f"AND v.household_id IN {_IDS}"), [_campaign_param(chosen), household_ids])


def _flush(tx: Tx) -> None:
    ids = tx.pending.pop(_KEY, set())
    _build(tx, sorted(ids))


def touch(tx: Tx, household_ids: Iterable[int | None]) -> None:
    """Mark households whose visits, problems or visit responses this transaction changed; their status rows are
    rebuilt once, just before it commits."""
    ids = {int(h) for h in household_ids if h is not None}
    if ids:
        tx.pending.setdefault(_KEY, set()).update(ids)
        tx.before_commit(_KEY, _flush)


def rebuild(tx: Tx) -> None:
    """Rebuild every household's status (after a bulk load, or to repair)."""
    tx.pending.pop(_KEY, None)
    _build(tx, None)


def add_campaign(tx: Tx, campaign: Campaign) -> None:
    """The rows of a new campaign, from the visits already in its window (a campaign may be created late)."""
    tx.execute("DELETE FROM campaign_households WHERE campaign_id = ?", [campaign.id])
    tx.execute(_CAMPAIGNS.format(visits=""), [_campaign_param([campaign])])


def sync_households(tx: Tx) -> None:
    """Copy each household's grid and active flag into its status rows (after a registry import moved some)."""
    for table in ("household_flags", "campaign_households"):
        tx.execute(f"""UPDATE {table} AS s SET grid_id = h.grid_id, active = h.active FROM households h
                       WHERE h.id = s.household_id AND (s.grid_id <> h.grid_id OR s.active <> h.active)""")
