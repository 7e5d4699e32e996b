"""The dashboard filter model: period presets, the previous period for deltas, and the filter summary line."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from storage.analytics import Filters

PERIOD_PRESETS = ("7d", "30d", "90d", "all", "custom")
_PRESET_DAYS = {"7d": 7, "30d": 30, "90d": 90}


def period_range(preset: str, today: dt.date, since: dt.date | None = None,
                 until: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    """(since, until), both inclusive, for a preset; "custom" passes the given dates through."""
    if preset in _PRESET_DAYS:
        return today - dt.timedelta(days=_PRESET_DAYS[preset] - 1), today
    if preset == "custom":
        if since and until and since > until:
            since, until = until, since
        return since, until
    return None, None


def previous_period(f: Filters, today: dt.date) -> Filters | None:
    """The same filters over the equally long period just before, or None when the period is open-ended."""
    if f.since is None:
        return None
    until = f.until or today
    length = (until - f.since).days + 1
    if length <= 0:
        return None
    return replace(f, since=f.since - dt.timedelta(days=length), until=f.since - dt.timedelta(days=1))
