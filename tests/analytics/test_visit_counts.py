"""The visits view's one-pass counts (storage.worklists.campaign_counts) against the raw rows, whole and per town."""

from __future__ import annotations

import datetime as dt

import demo
from storage import analytics as A
from storage import campaigns, orgs, worklists
from storage import responses as response_store
from storage.db import Database, Scope

TODAY = dt.date(2026, 11, 20)


def _expected(db: Database, scope: Scope, campaign: campaigns.Campaign) -> tuple[int, int, int, int, int]:
    """households, covered, attempted, make-up, return visits, recomputed in Python from the raw tables."""
    start, end = campaign.window()
    unit_paths = [r[0] for r in db.query("SELECT path FROM org_units WHERE list_contains(?, id)",
                                         [list(campaign.unit_ids)]).rows]
    homes: set[int] = set()
    for hid, path in db.query("SELECT h.id, g.path FROM households h JOIN org_units g ON g.id = h.grid_id"
                              " WHERE h.active").rows:
        if path.startswith(scope.path) and any(path.startswith(p) for p in unit_paths):
            homes.add(int(hid))
    responses = {int(r[0]): (r[1], r[2]) for r in db.query(
        "SELECT id, sat_n, sat_ok FROM responses WHERE voided_at IS NULL").rows}
    visits: dict[int, list[tuple]] = {}
    for vid, hid, at, outcome, rid, follow, is_return in db.query(
            "SELECT id, household_id, visited_at, outcome, response_id, follow_up, is_return_visit FROM visits").rows:
        visits.setdefault(int(hid), []).append((at, int(vid), outcome, rid, follow, is_return))
    open_problems = {int(r[0]) for r in db.query(
        "SELECT household_id FROM problems WHERE state <> 'closed' AND household_id IS NOT NULL").rows}
    covered = attempted = returns = 0
    for hid in homes:
        mine = visits.get(hid, [])
        in_window = [v for v in mine if start <= v[0] < end]
        if any(v[2] in campaign.covering_outcomes for v in in_window):
            covered += 1
        elif in_window:
            attempted += 1
        last_return = max((v[0] for v in mine if v[5]), default=None)
        with_response = sorted((v[0], v[1], responses[v[3]]) for v in mine if v[3] in responses)
        dissatisfied = bool(with_response) and with_response[-1][2][1] < with_response[-1][2][0] and (
            last_return is None or last_return <= with_response[-1][0])
        last_follow = max((v[0] for v in mine if v[4]), default=None)
        follow = last_follow is not None and (last_return is None or last_return <= last_follow)
        if hid in open_problems or dissatisfied or follow:
            returns += 1
    return len(homes), covered, attempted, len(homes) - covered, returns


def _first_covered(db: Database, scope: Scope, campaign: campaigns.Campaign) -> list[dt.date]:
    """Per active household in scope and campaign that the campaign covered, the day of its first covering visit in
    the window, recomputed from the raw visits."""
    start, end = campaign.window()
    unit_paths = [r[0] for r in db.query("SELECT path FROM org_units WHERE list_contains(?, id)",
                                         [list(campaign.unit_ids)]).rows]
    homes = {int(hid) for hid, path in db.query(
        "SELECT h.id, g.path FROM households h JOIN org_units g ON g.id = h.grid_id WHERE h.active").rows
        if path.startswith(scope.path) and any(path.startswith(p) for p in unit_paths)}
    first: dict[int, dt.datetime] = {}
    for hid, at, outcome in db.query("SELECT household_id, visited_at, outcome FROM visits").rows:
        if int(hid) in homes and start <= at < end and outcome in campaign.covering_outcomes:
            first[int(hid)] = min(at, first.get(int(hid), at))
    return [at.date() for at in first.values()]


def test_campaign_counts_match_raw_rows_and_the_lists(db):
    demo.load_demo(db, households=600, seed=4, responses=500, today=TODAY)
    root = orgs.roots(db)[0]
    campaign = campaigns.current_campaign(db, Scope.everything(), TODAY)
    assert campaign is not None
    # Void a few visit responses and close nothing: the dissatisfied rule must skip voided answers.
    for (rid,) in db.query("SELECT response_id FROM visits WHERE response_id IS NOT NULL ORDER BY id LIMIT 40").rows:
        assert response_store.void_response(db, rid, "录入错误", Scope.everything(), dt.datetime(2026, 11, 1, 10))
    towns = orgs.children(db, root.id, Scope.everything())
    for scope in [Scope.everything(), Scope(towns[0].path), Scope(towns[1].path)]:
        total, counts = worklists.campaign_counts(db, scope, campaign.id)
        got = (total.households, total.covered, total.attempted, counts.make_up, counts.return_visits)
        assert got == _expected(db, scope, campaign)
        assert got[0] > 0 and got[3] > 0 and got[4] > 0
        # the same figures as the functions the worklist pages read
        assert total == worklists.coverage(db, scope, campaign.id)[0]
        assert counts.make_up == len(worklists.make_up_visits(db, scope, campaign.id))
        assert counts.return_visits == len(worklists.return_visits(db, scope, campaign.id))
        burnup = A.coverage_burnup(db, scope, campaign.id)
        assert burnup[-1][1] == got[1] and [n for _, n in burnup] == sorted(n for _, n in burnup)
        # the visits view reads the totals and the per-unit rows in one statement: the same figures
        level = (towns[0].level if scope.path == "/" else towns[0].level + 1)
        one_total, one_counts, by_unit = worklists.campaign_counts_by_unit(db, scope, campaign.id, level)
        assert (one_total, one_counts) == (total, counts)
        assert by_unit == worklists.coverage(db, scope, campaign.id, group_level=level) and len(by_unit) > 1
        assert sum(r.households for r in by_unit) == total.households
        # households newly covered per period (the overview's delta), from the same read
        days = _first_covered(db, scope, campaign)
        periods = [(TODAY - dt.timedelta(days=6), TODAY), (TODAY - dt.timedelta(days=13), TODAY - dt.timedelta(days=7)),
                   (None, None)]
        with_new, with_counts = worklists.campaign_counts(db, scope, campaign.id, periods)
        assert with_new.newly_covered == tuple(
            sum(1 for d in days if (lo is None or d >= lo) and (hi is None or d <= hi)) for lo, hi in periods)
        assert with_new.newly_covered[0] > 0 and with_new.newly_covered[2] == total.covered == len(days)
        assert (with_new.households, with_new.covered, with_counts) == (total.households, total.covered, counts)
