"""Per-household visit status (campaign coverage, return-visit flags), derived from visits, problems and responses
and brought up to date right after every transaction that changes them.

Why a derived table: the coverage and worklist figures need, per household, the visits in a campaign's window,
the latest visit response and the open problems. Computed from the raw rows on every dashboard refresh that is a
pass over all visits joined to their responses and problems (~270 ms at 333k households / 380k visits); read from
these tables it is a grouped scan of one narrow table (~30 ms). There is one definition of "covered" and "needs a
return visit": the SQL below, which builds the rows for given households or for all of them. Nothing reads the
raw rows for these figures, so the lists and the counts cannot disagree.

How they stay current: a write that changes a visit, a problem, a visit's response, a household's grid or a
campaign records what it changed in ``visit_status_dirty`` inside its own transaction (``touch``,
``invalidate_all``: appends, which never conflict). After it commits, ``settle`` rebuilds those
rows in a transaction of its own, one at a time across every process on the database (a lock held across
processes on PostgreSQL) and from a snapshot that includes the commit.
So concurrent writers never conflict on the derived rows and never leave duplicates, a campaign created while a
visit is being saved still counts it, and rows left by a stopped process are settled when the database is next
opened. Readers may see the status of a just-committed write a few milliseconds late. The price is paid on the
write: saving a visit takes ~45-50 ms instead of ~17-20 ms at 1M responses / 380k visits (``bench/dashboard.py``).

- ``campaign_households``: per campaign and household with at least one visit in the campaign's window: attempts,
  covered (a visit with one of the campaign's covering outcomes), the day of the first covering visit, the latest
  visit and its outcome.
- ``household_flags``: per household with visits or problems: open problems (count, earliest due date, highest
  urgency), whether the latest visit response was dissatisfied / a follow-up was asked for with no return visit
  since, and the times the due dates are counted from.

Both carry the household's grid and active flag so the dashboards group by grid without joining 333k households.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from storage import campaigns as campaign_store  # a module import: campaigns calls invalidate_all (a cycle)

from storage.db import Database

if TYPE_CHECKING:
    from storage.campaigns import Campaign
    from storage.db import Tx

_KEY = "visit_status"
_FULL_ABOVE = 20_000  # more households changed at once than this: one full rebuild is cheaper than an id list
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
         -- rn = 1: each household's latest visit overall and its latest visit with a satisfaction answer
         vx AS (SELECT v.household_id, v.visited_at, v.follow_up, v.is_return_visit, r.sat_n, r.sat_ok,
                       row_number() OVER (PARTITION BY v.household_id, r.sat_n IS NOT NULL
                                          ORDER BY v.visited_at DESC, v.id DESC) AS rn
                FROM vv v LEFT JOIN vr r ON r.id = v.response_id),
         hs AS (SELECT household_id, max(visited_at) AS last_at,
                       max(visited_at) FILTER (WHERE sat_n IS NOT NULL) AS lr_at,
                       bool_or(sat_ok < sat_n) FILTER (WHERE sat_n IS NOT NULL AND rn = 1) AS dis,
                       max(visited_at) FILTER (WHERE follow_up) AS lf_at,
                       max(visited_at) FILTER (WHERE is_return_visit) AS lrv_at
                FROM vx GROUP BY 1),
         ids AS (SELECT household_id FROM op UNION SELECT household_id FROM hs)
    SELECT ids.household_id, h.grid_id, h.active, coalesce(op.n_open, 0), op.due, op.urg,
           coalesce(hs.dis AND (hs.lrv_at IS NULL OR hs.lrv_at <= hs.lr_at), FALSE),
           coalesce(hs.lf_at IS NOT NULL AND (hs.lrv_at IS NULL OR hs.lrv_at <= hs.lf_at), FALSE),
           hs.lr_at, hs.lf_at, hs.last_at
    FROM ids JOIN households h ON h.id = ids.household_id
         LEFT JOIN op ON op.household_id = ids.household_id LEFT JOIN hs ON hs.household_id = ids.household_id"""

# A visit counts for a campaign inside its window [start, end); it covers the household with a covering outcome.
_CAMPAIGNS = """INSERT INTO campaign_households
    WITH c AS (SELECT unnest(?::BIGINT[]) AS id, unnest(?::TIMESTAMP[]) AS s, unnest(?::TIMESTAMP[]) AS e),
         co AS (SELECT unnest(?::BIGINT[]) AS id, unnest(?::VARCHAR[]) AS o),
         vv AS (SELECT v.id, v.household_id, v.visited_at, v.outcome FROM visits v WHERE TRUE {visits}),
         cv AS (SELECT c.id AS campaign_id, vv.*, co.id IS NOT NULL AS covering,
                       row_number() OVER (PARTITION BY c.id, vv.household_id ORDER BY vv.visited_at DESC, vv.id DESC) AS rn
                FROM c JOIN vv ON vv.visited_at >= c.s AND vv.visited_at < c.e
                     LEFT JOIN co ON co.id = c.id AND co.o = vv.outcome)
    SELECT cv.campaign_id, cv.household_id, h.grid_id, h.active, count(*), bool_or(cv.covering),
           min(CAST(cv.visited_at AS DATE)) FILTER (WHERE cv.covering),
           max(cv.visited_at), max(cv.outcome) FILTER (WHERE cv.rn = 1)
    FROM cv JOIN households h ON h.id = cv.household_id
    GROUP BY cv.campaign_id, cv.household_id, h.grid_id, h.active"""


def _campaign_params(campaigns: Iterable[Campaign]) -> list[list[Any]]:
    """The campaigns' windows as three parallel lists, and their covering outcomes as (campaign, outcome) pairs."""
    ids, starts, ends, outcome_ids, outcomes = [], [], [], [], []
    for c in campaigns:
        start, end = c.window()
        ids.append(c.id)
        starts.append(start)
        ends.append(end)
        for outcome in sorted(set(c.covering_outcomes)):
            outcome_ids.append(c.id)
            outcomes.append(outcome)
    return [ids, starts, ends, outcome_ids, outcomes]


def _build(tx: Tx, household_ids: list[int] | None) -> None:
    """Rebuild the rows of ``household_ids`` (None: every household) for every campaign."""
    campaigns = campaign_store.all_campaigns(tx)
    if household_ids is None:
        tx.execute("DELETE FROM household_flags")
        tx.execute("DELETE FROM campaign_households")
        tx.execute(_FLAGS.format(problems="", visits=""))
        if campaigns:
            tx.execute(_CAMPAIGNS.format(visits=""), _campaign_params(campaigns))
        return
    if not household_ids:
        return
    tx.execute(f"DELETE FROM household_flags WHERE household_id IN {_IDS}", [household_ids])
    tx.execute(f"DELETE FROM campaign_households WHERE household_id IN {_IDS}", [household_ids])
    tx.execute(_FLAGS.format(problems=f"AND p.household_id IN {_IDS}", visits=f"AND v.household_id IN {_IDS}"),
               [household_ids, household_ids])
    if campaigns:
        tx.execute(_CAMPAIGNS.format(visits=f"AND v.household_id IN {_IDS}"), [*_campaign_params(campaigns), household_ids])


def _mark(tx: Tx, sql: str, params: list[Any]) -> None:
    tx.execute(sql, params)
    tx.after_commit(_KEY, settle)


def touch(tx: Tx, household_ids: Iterable[int | None]) -> None:
    """Record that this transaction changed these households' visits, problems or visit responses."""
    ids = sorted({int(h) for h in household_ids if h is not None})
    if ids:
        _mark(tx, "INSERT INTO visit_status_dirty (household_id) SELECT unnest(?::BIGINT[])", [ids])


def counts_changed(tx: Tx) -> None:
    """Record that this transaction changed what the coverage counts read besides the status rows (households
    added or moved): no row to rebuild, but ``generation`` moves on after it commits."""
    _mark(tx, "INSERT INTO visit_status_dirty (everything) VALUES (FALSE)", [])


def invalidate_all(tx: Tx) -> None:
    """Record that every household's status must be rebuilt (bulk loads and clears, a new campaign: its rows come
    from the visits already in its window, as a campaign may be created after them)."""
    _mark(tx, "INSERT INTO visit_status_dirty (everything) VALUES (TRUE)", [])


def rebuild(tx: Tx) -> None:
    """Rebuild every household's status inside ``tx`` (settle does this for invalidate_all)."""
    _build(tx, None)


_log = logging.getLogger(__name__)
# One settle per Database at a time in this process, before the lock across processes: the threads waiting behind
# it then hold no pooled connection, so the one settling always gets one (a pool of N connections with N threads
# waiting for the advisory lock on them would leave the holder none for its transaction).
_local: weakref.WeakKeyDictionary[Database, threading.Lock] = weakref.WeakKeyDictionary()
_local_guard = threading.Lock()


def _local_lock(db: Database) -> threading.Lock:
    with _local_guard:
        return _local.setdefault(db, threading.Lock())


def generation(db: Database | Tx) -> int:
    """A number that moves on after every settle that committed changes, in any process on this database: coverage
    figures computed at the same number are still current (each write that changes them records a mark: touch,
    counts_changed, invalidate_all). Read it before computing what is filed under it."""
    return int(db.query("SELECT n FROM visit_status_generation").single_value() or 0)


def settle(db: Database) -> None:
    """Bring the status rows up to date with everything recorded as changed and committed: one refresh at a time
    across every process on the database (db.dialect.exclusive_wait), each from a snapshot taken once the lock is
    held, so it includes every write whose own settle is waiting behind it."""
    try:
        with _local_lock(db), db.dialect.exclusive_wait(db, _KEY), db.transaction() as tx:
            marks = tx.query("SELECT seq, household_id, everything FROM visit_status_dirty").rows
            if not marks:
                return
            homes = sorted({int(m[1]) for m in marks if m[1] is not None})
            if any(m[2] for m in marks) or len(homes) > _FULL_ABOVE:
                _build(tx, None)  # every household (~1 s at 333k)
            else:
                _build(tx, homes)
            tx.execute("DELETE FROM visit_status_dirty WHERE list_contains(?, seq)", [[m[0] for m in marks]])
            # in the same transaction: a figure filed under the new number saw the new rows
            tx.execute("UPDATE visit_status_generation SET n = n + 1")
    except Exception:  # the write itself is committed; its marks stay and the next settle retries them
        _log.exception("visit status refresh failed; it is retried on the next write or start")
