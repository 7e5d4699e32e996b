"""The per-link, per-client-address burst limit on submissions: on by default, each link may set its own (counted by
services/limits.py, in the database)."""

from __future__ import annotations


def effective_limit(link_limit: int | None, default_per_minute: int) -> int:
    """Submissions per minute one address may send to a link: the link's own
    limit when its creator set one (higher for a big meeting, lower for a
    small group), else the deployment default (MINYI_LINK_BURST_PER_MINUTE).

    Why a default of 120: a community meeting of a few hundred residents who
    answer together on one carrier address spreads its submits over the two
    minutes the survey takes, well under 120 in any minute; the measured
    ballot-stuffing run sent 607 in 20 seconds (~1,800 a minute)."""
    return link_limit if link_limit is not None and link_limit > 0 else default_per_minute

