"""The stats command: the dashboard overview and one drill-down level, as JSON, from the same functions."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

import settings as settings_module
from analytics.credibility import flags_by_unit
from analytics.views import drill_parent, drill_view, overview_view, stats_json
from cli.common import CliError, open_db, print_json
from storage import analytics, campaigns, orgs
from storage.db import Database, Scope
from storage.orgs import OrgUnit


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("stats", help="headline figures (as on the dashboard) and one drill-down level")
    p.add_argument("--json", action="store_true", help="print JSON (the only format)")
    p.add_argument("--unit", help="org unit code (default: the whole tree)")
    p.add_argument("--survey", help="survey id")
    p.add_argument("--version", type=int, help="survey version")
    p.add_argument("--campaign", type=int, help="campaign id")
    p.add_argument("--since", help="first day, YYYY-MM-DD")
    p.add_argument("--until", help="last day, YYYY-MM-DD")
    p.add_argument("--channel", choices=("link", "visit", "import"))
    p.set_defaults(func=cmd_stats)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError("stats.bad_date", value=value) from None


def cmd_stats(args: argparse.Namespace) -> int:
    since, until = _date(args.since), _date(args.until)
    db = open_db()
    try:
        unit = None
        if args.unit:
            unit = orgs.get_unit_by_code(db, args.unit)
            if unit is None:
                raise CliError("stats.unknown_unit", code=args.unit)
        if args.campaign is not None and campaigns.get_campaign(db, args.campaign) is None:
            raise CliError("stats.unknown_campaign", id=args.campaign)
        data = stats_document(db, unit, analytics.Filters(
            survey_id=args.survey, survey_version=args.version, campaign_id=args.campaign, since=since, until=until,
            channel=args.channel))
    finally:
        db.close()
    print_json(data)
    return 0


def stats(db: Database, scope: Scope, unit: OrgUnit | None, root_id: int | None, f: analytics.Filters,
          today: dt.date, min_sample: int) -> dict:
    """The JSON data for ``unit`` (None: the root) — the dashboard's overview and drill-down functions."""
    if unit is not None:
        f = dataclasses.replace(f, unit_path=unit.path)
    if root_id is None:
        return {"responses": 0, "units": []}
    ov = overview_view(db, scope, f, today)
    parent = drill_parent(db, scope, f, root_id)
    return stats_json(ov, drill_view(db, scope, f, parent, min_sample))


def stats_document(db: Database, unit: OrgUnit | None = None, filters: analytics.Filters | None = None) -> dict:
    """What ``stats --json`` prints for ``unit`` (None: the whole tree) under ``filters`` (also how copy-db checks
    that a copy gives the same figures as its source)."""
    root = orgs.roots(db)
    # The CLI holds the database alone (DuckDB's file lock), so folding without settling is safe.
    analytics.refresh_rollups(db, settle=False)
    data = stats(db, Scope.everything(), unit, root[0].id if root else None, filters or analytics.Filters(),
                 settings_module.now().date(), settings_module.load().min_sample)
    # the credibility flags stored for the unit's subtree (run by the credibility page), per unit
    data["credibility_flags"] = flags_by_unit(db, Scope(unit.path) if unit else Scope.everything(),
                                              settings_module.load().lang)
    return data
