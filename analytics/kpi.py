"""KPI values with their change against the previous period."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delta:
    """A KPI now and in the previous period; ``change`` is None when either side has no data."""

    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


def delta(current: float | None, previous: float | None) -> Delta:
    return Delta(current, previous)


def format_change(d: Delta, percent_points: bool = False, digits: int = 1) -> str | None:
    """The change as text for st.metric ("+1.2 pp", "-3"), None when unknown."""
    if d.change is None:
        return None
    value = d.change * 100 if percent_points else d.change
    text = f"{value:+.{digits}f}"
    return text + (" pp" if percent_points else "")
