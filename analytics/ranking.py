"""Ranking units by satisfaction with a minimum sample, and the red and black lists for supervision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.analytics import UnitFigures


@dataclass(frozen=True)
class RankedUnit:
    """A drill-down row with its rank; rank is None when the unit has fewer responses than the minimum sample."""

    row: UnitFigures
    rank: int | None

    @property
    def ranked(self) -> bool:
        return self.rank is not None


def rank_units(rows: Sequence[UnitFigures], min_sample: int) -> list[RankedUnit]:
    """Child units ranked by satisfaction rate (ties: index, then more responses, then code); units below
    ``min_sample`` responses and a parent's direct responses follow, unranked, by code."""
    eligible = [r for r in rows if not r.direct and r.figures.responses >= min_sample and r.figures.rate.value is not None]
    eligible.sort(key=lambda r: (-(r.figures.rate.value or 0.0), -(r.figures.index or 0.0),
                                 -r.figures.responses, r.unit_code))
    ranked: list[RankedUnit] = []
    previous_key = None
    rank = 0
    for position, row in enumerate(eligible, start=1):
        key = (row.figures.rate.value, row.figures.index)
        if key != previous_key:
            rank = position  # equal figures share a rank (1, 2, 2, 4)
            previous_key = key
        ranked.append(RankedUnit(row, rank))
    rest = sorted((r for r in rows if r not in eligible), key=lambda r: (r.direct, r.unit_code))
    return ranked + [RankedUnit(r, None) for r in rest]


def red_black_lists(ranked: Sequence[RankedUnit], size: int = 3) -> tuple[list[RankedUnit], list[RankedUnit]]:
    """(red list: the best ranked units, black list: the worst, worst first); never the same unit on both."""
    eligible = [r for r in ranked if r.ranked]
    take = min(size, len(eligible) // 2)
    if take == 0:
        return [], []
    return eligible[:take], list(reversed(eligible[-take:]))
