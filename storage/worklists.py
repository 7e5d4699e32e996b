"""Coverage and the two worklists (补课访 make-up, 回头访 return visits): the one implementation every page,
dashboard and ``stats --json`` reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fieldwork import rules
from storage.campaigns import Campaign, get_campaign
from storage.db import Database, Scope, Tx


@dataclass(frozen=True)
class CoverageRow:
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    households: int
    covered: int
    attempted: int


@dataclass(frozen=True)
class WorklistHousehold:
    """The household and grid columns every worklist row starts with."""

    household_id: int
    code: str
    head_name: str
    phone: str | None
    address: str | None
    grid_id: int
    grid_code: str
    grid_name: str
    grid_path: str


@dataclass(frozen=True)
class MakeUpItem(WorklistHousehold):
    attempts: int
    last_attempt_at: dt.datetime | None
    last_outcome: str | None


@dataclass(frozen=True)
class ReturnItem(WorklistHousehold):
    open_problems: int
    dissatisfied: bool
    follow_up: bool
    due_on: dt.date
    urgency: str
    last_visit_at: dt.datetime | None


@dataclass(frozen=True)
class WorklistCounts:
    make_up: int
    return_visits: int


class UnknownCampaign(LookupError):
    """No campaign with that id."""


def _need_campaign(db: Database | Tx, campaign_id: int) -> Campaign:
    campaign = get_campaign(db, campaign_id)
    if campaign is None:
        raise UnknownCampaign(campaign_id)
    return campaign


_HH_COLUMNS = "hh.id, hh.code, hh.head_name, hh.phone, hh.address, hh.grid_id, hh.grid_code, hh.grid_name, hh.grid_path"


def _households_cte(scope: Scope, campaign: Campaign | None) -> tuple[str, list[Any]]:
    """CTEs ``cu`` (the campaign's unit paths), ``cg`` (the grids in scope ∩ campaign scope) and ``hh`` (their
    active households).

    The scope conditions depend only on the grid, so they are decided once per grid (a few hundred rows) and
    the households are reached by grid id, not by a path test per household (3x faster at 333k households).
    A campaign without units reaches nothing."""
    hh = """hh AS (SELECT h.id, h.code, h.head_name, h.phone, h.address, h.grid_id, g.code AS grid_code,
                     g.name AS grid_name, g.path AS grid_path
                 FROM households h JOIN cg g ON g.id = h.grid_id WHERE h.active)"""
    if campaign is None:
        return f"cg AS (SELECT g.id, g.code, g.name, g.path FROM org_units g WHERE g.path LIKE ?), {hh}", [scope.like]
    return (
        f"""cu AS (SELECT o.path FROM campaign_units c JOIN org_units o ON o.id = c.org_unit_id WHERE c.campaign_id = ?),
           cg AS (SELECT g.id, g.code, g.name, g.path FROM org_units g
                  WHERE g.path LIKE ? AND EXISTS (SELECT 1 FROM cu WHERE starts_with(g.path, cu.path))),
           {hh}""",
        [campaign.id, scope.like],
    )


# A visit counts for a campaign inside its window (params: start, end); it covers the household with one of the
# campaign's covering outcomes (param: the outcome list). Shared by every query that decides "covered".
_IN_WINDOW = "v.visited_at >= ? AND v.visited_at < ?"
_COVERING = "list_contains(?, v.outcome)"


def campaign_status_sql(scope: Scope, campaign: Campaign) -> tuple[str, list[Any]]:
    """``WITH cu, hh, vs`` where vs has per household: attempts, covered, last_at, last_outcome in the window."""
    cte, params = _households_cte(scope, campaign)
    start, end = campaign.window()
    sql = f"""WITH {cte},
        vs AS (SELECT v.household_id, count(*) AS attempts, bool_or({_COVERING}) AS covered,
                      max(v.visited_at) AS last_at, arg_max(v.outcome, v.visited_at) AS last_outcome
               FROM visits v
               WHERE {_IN_WINDOW} AND v.household_id IN (SELECT id FROM hh)
               GROUP BY v.household_id)"""
    return sql, params + [list(campaign.covering_outcomes), start, end]


def coverage(db: Database, scope: Scope, campaign_id: int, group_level: int | None = None) -> list[CoverageRow]:
    """Households in scope ∩ campaign scope, how many are covered (a visit in the window with a covering
    outcome) and how many only attempted (visits, none covering).

    ``group_level`` groups by the ancestor unit at that level (every unit of that level that reaches into
    both scopes gets a row, with zeros when empty); None gives one total row with unit fields None.
    """
    campaign = _need_campaign(db, campaign_id)
    base, params = campaign_status_sql(scope, campaign)
    counts = """count(*) AS households, count(*) FILTER (WHERE vs.covered) AS covered,
                count(*) FILTER (WHERE vs.household_id IS NOT NULL AND NOT vs.covered) AS attempted"""
    if group_level is None:
        row = db.query(f"{base} SELECT {counts} FROM hh LEFT JOIN vs ON vs.household_id = hh.id", params).first()
        assert row is not None
        return [CoverageRow(None, None, None, int(row[0]), int(row[1]), int(row[2]))]
    sql = f"""{base},
        agg AS (SELECT TRY_CAST(NULLIF(split_part(hh.grid_path, '/', ? + 1), '') AS BIGINT) AS unit_id, {counts}
                FROM hh LEFT JOIN vs ON vs.household_id = hh.id GROUP BY 1),
        units AS (SELECT u.id, u.code, u.name, u.path FROM org_units u
                  WHERE u.level = ? AND (u.path LIKE ? OR starts_with(?, u.path))
                    AND EXISTS (SELECT 1 FROM cu WHERE starts_with(u.path, cu.path) OR starts_with(cu.path, u.path)))
        SELECT u.id, u.code, u.name, coalesce(agg.households, 0), coalesce(agg.covered, 0), coalesce(agg.attempted, 0)
        FROM units u LEFT JOIN agg ON agg.unit_id = u.id ORDER BY u.path"""
    rows = db.query(sql, params + [group_level, group_level, scope.like, scope.path]).rows
    return [CoverageRow(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]


def coverage_burnup(db: Database, scope: Scope, campaign_id: int) -> list[tuple[dt.date, int]]:
    """Per day with a newly covered household, how many households are covered so far (counted at each one's
    first covering visit in the window); [] for an unknown campaign."""
    campaign = get_campaign(db, campaign_id)
    if campaign is None:
        return []
    cte, params = _households_cte(scope, campaign)
    start, end = campaign.window()
    rows = db.query(
        f"""WITH {cte},
           first_cover AS (SELECT v.household_id, min(CAST(v.visited_at AS DATE)) AS day FROM visits v
                  WHERE {_IN_WINDOW} AND {_COVERING} AND v.household_id IN (SELECT id FROM hh) GROUP BY v.household_id)
           SELECT day, sum(count(*)) OVER (ORDER BY day) FROM first_cover GROUP BY day ORDER BY day""",
        params + [start, end, list(campaign.covering_outcomes)],
    ).rows
    return [(r[0], int(r[1])) for r in rows]


def make_up_visits(
    db: Database,
    scope: Scope,
    campaign_id: int,
    *,
    limit: int | None = None,
    offset: int = 0,
    search: str | None = None,
) -> list[MakeUpItem]:
    """Households in scope ∩ campaign scope with no covering visit yet, oldest attempt first.

    Households never attempted have the oldest claim of all and come first;
    then attempted ones by their latest attempt, earliest first; ties by grid and code.
    """
    campaign = _need_campaign(db, campaign_id)
    base, params = campaign_status_sql(scope, campaign)
    sql = f"""{base}
        SELECT {_HH_COLUMNS}, coalesce(vs.attempts, 0), vs.last_at, vs.last_outcome
        FROM hh LEFT JOIN vs ON vs.household_id = hh.id
        WHERE NOT coalesce(vs.covered, FALSE)"""
    if search:
        sql += " AND (hh.code ILIKE ? OR hh.head_name ILIKE ? OR hh.address ILIKE ?)"
        params += [f"%{search}%"] * 3
    sql += " ORDER BY vs.last_at ASC NULLS FIRST, hh.grid_code, hh.code"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [MakeUpItem(*r[:9], int(r[9]), r[10], r[11]) for r in db.query(sql, params).rows]


def make_up_count(db: Database, scope: Scope, campaign_id: int) -> int:
    campaign = _need_campaign(db, campaign_id)
    base, params = campaign_status_sql(scope, campaign)
    return int(db.query(f"{base} SELECT count(*) FROM hh LEFT JOIN vs ON vs.household_id = hh.id"
                        " WHERE NOT coalesce(vs.covered, FALSE)", params).single_value())


_COUNT = "count(*)"
_RETURN_COLUMNS = """id, code, head_name, phone, address, grid_id, grid_code, grid_name, grid_path,
    n_open, dissatisfied, follow, due, urg, lr_at, lf_at, last_at"""


def _return_ctes(campaign: Campaign | None = None) -> tuple[str, list[Any]]:
    """CTEs after ``hh``: ``flagged`` = hh's columns plus n_open, due, urg, dissatisfied, follow, lr_at, lf_at,
    last_at and ``needs_return`` (an open problem, a dissatisfied latest visit response or a follow-up flag with no
    return visit since). The one definition of the return-visit worklist: the list and the counts read it.

    With ``campaign``, flagged also has w_attempts and w_covered: campaign_status_sql's attempts and covered from
    the same pass over the visits (NULL for a household without visits in the window), for campaign_counts."""
    window, params = "", []
    if campaign is not None:
        start, end = campaign.window()
        window = f"""count(*) FILTER (WHERE {_IN_WINDOW}) AS w_attempts,
                      bool_or({_COVERING}) FILTER (WHERE {_IN_WINDOW}) AS w_covered,"""
        params = [start, end, list(campaign.covering_outcomes), start, end]
    return f"""op AS (SELECT p.household_id, count(*) AS n_open, min(p.due_on) AS due,
                      min(CASE p.urgency WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END) AS urg
               FROM problems p WHERE p.state <> 'closed' AND p.household_id IN (SELECT id FROM hh)
               GROUP BY p.household_id),
        hs AS (SELECT v.household_id, {window} max(v.visited_at) AS last_at,
                      max(v.visited_at) FILTER (WHERE r.sat_n IS NOT NULL) AS lr_at,
                      arg_max(r.sat_ok < r.sat_n, (v.visited_at, v.id)) FILTER (WHERE r.sat_n IS NOT NULL) AS dis,
                      max(v.visited_at) FILTER (WHERE v.follow_up) AS lf_at,
                      max(v.visited_at) FILTER (WHERE v.is_return_visit) AS lrv_at
               FROM visits v LEFT JOIN responses r ON r.id = v.response_id AND r.voided_at IS NULL
               WHERE v.household_id IN (SELECT id FROM hh)
               GROUP BY v.household_id),
        flagged AS (SELECT *, (n_open > 0 OR dissatisfied OR follow) AS needs_return FROM (
                    SELECT hh.*, coalesce(op.n_open, 0) AS n_open, op.due, op.urg,
                      coalesce(hs.dis AND (hs.lrv_at IS NULL OR hs.lrv_at <= hs.lr_at), FALSE) AS dissatisfied,
                      coalesce(hs.lf_at IS NOT NULL AND (hs.lrv_at IS NULL OR hs.lrv_at <= hs.lf_at), FALSE) AS follow,
                      hs.lr_at, hs.lf_at, hs.last_at{", hs.w_attempts, hs.w_covered" if window else ""}
                    FROM hh LEFT JOIN op ON op.household_id = hh.id LEFT JOIN hs ON hs.household_id = hh.id))""", params


def _return_rows(db: Database, scope: Scope, campaign: Campaign | None, search: str | None,
                 count_only: bool = False) -> list[tuple]:
    cte, params = _households_cte(scope, campaign)
    returns, more = _return_ctes()
    params += more
    sql = f"""WITH {cte}, {returns}
        SELECT {_COUNT if count_only else _RETURN_COLUMNS}
        FROM flagged WHERE needs_return"""
    if search:
        sql += " AND (code ILIKE ? OR head_name ILIKE ? OR address ILIKE ?)"
        params += [f"%{search}%"] * 3
    return db.query(sql, params).rows


_URGENCY_BY_RANK = {rank: code for code, rank in rules.URGENCY_RANK.items()}


def return_visits(
    db: Database,
    scope: Scope,
    campaign_id: int | None,
    *,
    limit: int | None = None,
    offset: int = 0,
    search: str | None = None,
    holidays: frozenset[dt.date] | None = None,
) -> list[ReturnItem]:
    """Households in scope (∩ the campaign's scope when given) that need a return visit: an open problem
    (state not closed), a dissatisfied answer (an item below 基本满意) on their latest visit response, or a
    follow-up flag, where no return visit has been made since that visit. Ordered by due date (the
    earliest open problem's, else the flagging visit's date + 15 working days), then urgency, then code.
    """
    campaign = _need_campaign(db, campaign_id) if campaign_id is not None else None
    items = []
    for r in _return_rows(db, scope, campaign, search):
        (hid, code, name, phone, address, grid_id, grid_code, grid_name, grid_path,
         n_open, dissatisfied, follow, due, urg, lr_at, lf_at, last_at) = r
        dues = [due] if due is not None else []
        if dissatisfied and lr_at is not None:
            dues.append(rules.due_on(lr_at, holidays))
        if follow and lf_at is not None:
            dues.append(rules.due_on(lf_at, holidays))
        due_day = min(dues) if dues else rules.due_on(last_at or dt.date.today(), holidays)
        urgency = _URGENCY_BY_RANK.get(urg if urg is not None else 2, "normal")
        items.append(ReturnItem(int(hid), code, name, phone, address, int(grid_id), grid_code, grid_name, grid_path,
                                int(n_open), bool(dissatisfied), bool(follow), due_day, urgency, last_at))
    items.sort(key=lambda i: (i.due_on, rules.URGENCY_RANK[i.urgency], i.code))
    end = None if limit is None else offset + limit
    return items[offset:end]


def worklist_counts(db: Database, scope: Scope, campaign_id: int) -> WorklistCounts:
    """How many households are on each worklist (make-up in the campaign, return visits in its scope)."""
    return campaign_counts(db, scope, campaign_id)[1]


def campaign_counts(db: Database, scope: Scope, campaign_id: int) -> tuple[CoverageRow, WorklistCounts]:
    """coverage()'s total row and worklist_counts() in one query and one pass over the visits (the dashboards'
    visits view): _return_ctes' ``flagged`` with the window columns, counted as coverage and make_up_count count
    campaign_status_sql's ``vs`` (tests/fieldwork and tests/analytics check the figures against each other)."""
    campaign = _need_campaign(db, campaign_id)
    cte, params = _households_cte(scope, campaign)
    returns, more = _return_ctes(campaign)
    row = db.query(f"""WITH {cte}, {returns}
        SELECT count(*), count(*) FILTER (WHERE w_covered), count(*) FILTER (WHERE w_attempts > 0 AND NOT w_covered),
               count(*) FILTER (WHERE NOT coalesce(w_covered, FALSE)), count(*) FILTER (WHERE needs_return)
        FROM flagged""", params + more).first()
    assert row is not None
    return (CoverageRow(None, None, None, int(row[0]), int(row[1]), int(row[2])),
            WorklistCounts(int(row[3]), int(row[4])))


def household_statuses(db: Database, scope: Scope, campaign_id: int, household_ids: list[int]) -> dict[int, str]:
    """'covered' / 'attempted' / 'unvisited' in the campaign for each of ``household_ids`` in scope."""
    campaign = _need_campaign(db, campaign_id)
    base, params = campaign_status_sql(scope, campaign)
    rows = db.query(f"""{base} SELECT hh.id, CASE WHEN vs.covered THEN 'covered' WHEN vs.household_id IS NOT NULL
                        THEN 'attempted' ELSE 'unvisited' END FROM hh LEFT JOIN vs ON vs.household_id = hh.id
                        WHERE list_contains(?, hh.id)""", params + [household_ids]).rows
    return {int(r[0]): r[1] for r in rows}
