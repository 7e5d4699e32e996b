"""The problem figures, computed from the problems kept in memory as columns and patched from the problem events.

Why not SQL like the response figures: responses are append-only and fold into rollups, so their figures read a
few thousand pre-aggregated rows. Problems change state, so nothing folds, and every figure needs every problem;
at 35k problems one DuckDB statement costs ~15 ms here, of which ~9 ms is planning and starting the operators
(measured with an empty table). Kept in memory (about 50 bytes a problem), each change costs one small query
for the changed rows and the figures for any filter take ~2 ms of numpy.

Freshness: ``storage.problems.change_stamp`` changes with every problem write (each adds an event), every problem
added or removed, and every unit renamed or moved. The stamp and the rows it admits are read in one snapshot,
taken when the figures are asked for, and the figures are kept under that stamp (analytics.views). When events
or problems were removed (clearing demo data) or an event committed below the last id seen, the counts and id
sums disagree and everything is loaded again.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analytics.filters import previous_period
from fieldwork.problems import IN_HAND_STATES, STATES
from storage import orgs
from storage import problems as store
from storage.analytics import Filters
from storage.db import Database, Scope
from surveys import constants as c
from surveys.scoring import Rate, satisfaction_rate

AGEING_BUCKETS = ((0, 3), (4, 7), (8, 15), (16, 30), (31, None))  # days in hand, inclusive bounds
_EPOCH = dt.date(1970, 1, 1)
_STATE_CODE = {state: i for i, state in enumerate(STATES)}
_IN_HAND = np.array([s in IN_HAND_STATES for s in STATES], dtype=bool)  # by state code


@dataclass(frozen=True)
class UnitProblems:
    unit_id: int
    unit_code: str
    unit_name: str
    open: int
    overdue: int


@dataclass(frozen=True)
class ResolutionSatisfaction:
    rate: Rate  # share of confirmed resolutions rated at or above the satisfied level
    mean: float | None  # mean rating 1-5


@dataclass(frozen=True)
class RaisedProblems:
    """The problems raised in one period (both ends inclusive, None = open) and what has become of them by now:
    the leader's "of what came in, how much was dealt with, and how fast". Cohort figures: a period's resolved
    rate can still rise after it ends, so an older period has had longer to close its problems."""

    since: dt.date | None
    until: dt.date | None
    raised: int
    resolved: int  # of those raised, resolved or closed now
    closed: int  # of those raised, closed now (with a close time)
    median_days_to_close: float | None  # of those closed: days from raised to closed

    @property
    def resolved_rate(self) -> float | None:
        return self.resolved / self.raised if self.raised else None


@dataclass(frozen=True)
class ProblemFigures:
    """Stock figures are as of now whatever the period (what is in hand cannot depend on when it was raised, or the
    oldest problems would drop out); flow figures count the problems raised in the period."""

    summary: store.ProblemSummary  # stock: every problem's state now, open and overdue now (its resolved, total and
    # median are all time, for the list: the dashboards show ``period``'s instead)
    period: RaisedProblems  # flow: raised in the period, resolved rate and median days to close among them
    previous: RaisedProblems | None  # the same over the previous period (analytics.filters.previous_period)
    resolution: ResolutionSatisfaction  # all time: the table keeps a rating but not when it was given
    by_category_state: dict[str, dict[str, int]]  # flow: raised in the period, by their state now
    ageing: list[tuple[int, int | None, int]]  # stock: in hand now, by days since raised: (from, to or None, count)
    overdue_by_unit: list[UnitProblems]  # stock: in hand / overdue now, per child of parent_id


@dataclass(frozen=True)
class _Columns:
    """One immutable version of the problems: numpy columns sorted by id, and the units they refer to."""

    stamp: store.ChangeStamp
    ids: np.ndarray  # int64
    unit_ids: np.ndarray  # int64
    category: np.ndarray  # int32 code into categories
    categories: tuple[str, ...]
    state: np.ndarray  # int8 code into fieldwork.problems.STATES
    raised_day: np.ndarray  # int32 days since 1970-01-01
    due_day: np.ndarray  # int32
    close_days: np.ndarray  # float64, NaN unless closed
    rating: np.ndarray  # int16, 0 when not rated
    rated: np.ndarray  # bool
    units: tuple[orgs.OrgUnit, ...]  # every unit, by id
    unit_index: np.ndarray  # per problem, its unit's position in units (len(units) when the unit is unknown)


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _codes(column: pa.ChunkedArray, known: dict[str, int]) -> np.ndarray:
    """Each value's code in ``known`` (new values are added): Arrow's dictionary encoding hashes the strings."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    values = encoded.dictionary.to_pylist()
    for value in values:
        known.setdefault(value, len(known))
    mapping = np.array([known[value] for value in values] or [0], dtype=np.int32)
    return mapping[encoded.indices.to_numpy(zero_copy_only=False)]


def _encode(raw: pa.Table, categories: tuple[str, ...]) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """Fetched columns to compact arrays sorted by id; new category names are added to ``categories``."""
    known = {name: i for i, name in enumerate(categories)}
    category = _codes(raw.column("category"), known)
    states = dict(_STATE_CODE)
    state = _codes(raw.column("state"), states).astype(np.int8)
    if len(states) != len(_STATE_CODE):
        raise ValueError(f"unknown problem state: {sorted(set(states) - set(_STATE_CODE))}")

    def numbers(name: str, dtype: type, missing: object = 0) -> np.ndarray:
        return pc.fill_null(raw.column(name), missing).to_numpy().astype(dtype)

    columns = {
        "ids": numbers("id", np.int64),
        "unit_ids": numbers("org_unit_id", np.int64),
        "category": category,
        "state": state,
        "raised_day": numbers("raised_day", np.int32),
        "due_day": numbers("due_day", np.int32),
        "close_days": numbers("close_days", np.float64, np.nan),
        "rating": numbers("rating", np.int16),
        "rated": pc.is_valid(raw.column("rating")).to_numpy(),
    }
    return _by_id(columns), tuple(known)


def _by_id(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns in id order (rows come unordered from a scan, and concurrent writers add ids out of order)."""
    ids = columns["ids"]
    if len(ids) < 2 or np.all(ids[:-1] < ids[1:]):
        return columns
    order = np.argsort(ids, kind="stable")
    return {name: column[order] for name, column in columns.items()}


def _unit_index(units: tuple[orgs.OrgUnit, ...], unit_ids: np.ndarray) -> np.ndarray:
    known = np.array([u.id for u in units], dtype=np.int64)
    pos = np.searchsorted(known, unit_ids)
    found = pos < len(known)
    found[found] = known[pos[found]] == unit_ids[found]
    return np.where(found, pos, len(known))


def _units(db: Database) -> tuple[orgs.OrgUnit, ...]:
    return tuple(sorted(orgs.list_units(db, Scope.everything()), key=lambda u: u.id))


def _load(db: Database) -> _Columns:
    stamp, rows = store.figure_columns(db)
    arrays, categories = _encode(rows, ())
    units = _units(db)
    return _Columns(stamp=stamp, categories=categories, units=units,
                    unit_index=_unit_index(units, arrays["unit_ids"]), **arrays)


def _patch(db: Database, old: _Columns) -> _Columns | None:
    """``old`` brought up to now: the problems changed since its stamp replaced or added, all read in one snapshot
    (``old`` itself when nothing changed); None when it cannot be patched and must be loaded again."""
    changes = store.changed_figure_columns(db, old.stamp)
    if changes is None:
        return old
    stamp = changes.stamp
    if stamp.last_event < old.stamp.last_event or stamp.last_problem < old.stamp.last_problem:
        return None
    if changes.events != (stamp.events - old.stamp.events, stamp.event_id_sum - old.stamp.event_id_sum):
        return None  # events were removed, or one committed with an id below the last one seen
    changed, categories = _encode(changes.rows, old.categories)
    units = old.units
    if (stamp.units, stamp.units_hash) != (old.stamp.units, old.stamp.units_hash):
        units = _units(db)
    changed["unit_index"] = _unit_index(units, changed["unit_ids"])
    pos = np.searchsorted(old.ids, changed["ids"])
    present = pos < len(old.ids)
    present[present] = old.ids[pos[present]] == changed["ids"][present]
    columns = {}
    for name, values in changed.items():
        column = getattr(old, name).copy()
        column[pos[present]] = values[present]
        columns[name] = np.concatenate([column, values[~present]])
    if (len(columns["ids"]), int(columns["ids"].sum())) != (stamp.problems, stamp.problem_id_sum):
        return None  # problems removed, or added without an event below the last id seen
    columns = _by_id(columns)
    if units is not old.units:
        columns["unit_index"] = _unit_index(units, columns["unit_ids"])
    return _Columns(stamp=stamp, categories=categories, units=units, **columns)


class ProblemTable:
    """The problems of one database, kept current by ``columns``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._columns: _Columns | None = None

    def columns(self, db: Database) -> _Columns:
        """The problems as of now: one snapshot read after the call began (~2 ms when nothing changed)."""
        with self._lock:
            old = self._columns
            self._columns = (_patch(db, old) if old is not None else None) or _load(db)
            return self._columns


_tables: weakref.WeakKeyDictionary[Database, ProblemTable] = weakref.WeakKeyDictionary()
_tables_lock = threading.Lock()


def forget() -> None:
    """Drop the kept problems of every database (the next figures load them again: benchmarks time a cold start)."""
    with _tables_lock:
        _tables.clear()


def current(db: Database) -> _Columns:
    """The kept problems of ``db``, brought up to now (the figures' input; ``.stamp`` says which version)."""
    with _tables_lock:
        table = _tables.setdefault(db, ProblemTable())
    return table.columns(db)


def problem_figures(db: Database, scope: Scope, f: Filters, parent_id: int | None, today: dt.date) -> ProblemFigures:
    """The problems of units in ``scope`` (and the unit filter). As of now, whatever the period: counts per state,
    open, overdue, the ageing of those in hand and open / overdue per child unit of ``parent_id``. Raised in the
    period (and in the previous one): how many, the share resolved by now and the median days to close of those
    closed; per category x state. All time: the residents' ratings of resolutions."""
    return figures(current(db), scope, f, parent_id, today)


def figures(cols: _Columns, scope: Scope, f: Filters, parent_id: int | None, today: dt.date) -> ProblemFigures:
    """The figures of ``problem_figures`` from one version of the columns."""
    def unit_in(path: str) -> bool:
        return scope.covers(path) and (f.unit_path is None or path.startswith(f.unit_path))

    # Per unit (a few hundred): in scope, and the child of parent_id it lies under; then per problem by index.
    units = cols.units
    parent = next((u for u in units if u.id == parent_id), None) if parent_id is not None else None
    kids = sorted((u for u in units if parent is not None and u.parent_id == parent.id and scope.covers(u.path)),
                  key=lambda u: u.code)
    kid_by_path = {kid.path: k for k, kid in enumerate(kids)}
    kid_of_unit = np.full(len(units) + 1, -1, dtype=np.int32)
    if kids:
        assert parent is not None
        for i, unit in enumerate(units):  # the path below the parent starts with the child's part of the path
            if unit.path.startswith(parent.path) and len(unit.path) > len(parent.path):
                kid_of_unit[i] = kid_by_path.get(parent.path + unit.path[len(parent.path):].split("/", 1)[0] + "/", -1)
    in_scope: np.ndarray | slice = np.array([unit_in(u.path) for u in units] + [False], dtype=bool)[cols.unit_index]
    if in_scope.all():  # type: ignore[union-attr]
        in_scope = slice(None)  # the whole district: no copies

    state = cols.state[in_scope]
    in_hand = _IN_HAND[state]
    late = cols.due_day[in_scope] < _day(today)
    by_code = np.bincount(state, minlength=len(STATES))
    by_state = {s: int(by_code[i]) for i, s in enumerate(STATES)}
    close_days = cols.close_days[in_scope]
    close_days = close_days[~np.isnan(close_days)]
    median = round(float(np.median(close_days)), 2) if len(close_days) else None
    total = int(len(state))
    summary = store.ProblemSummary(by_state, total - by_state["closed"], int((in_hand & late).sum()),
                                   by_state["resolved"] + by_state["closed"], total, median)

    rated = cols.rated[in_scope]
    ratings = cols.rating[in_scope][rated]
    n_rated = int(len(ratings))
    resolution = ResolutionSatisfaction(satisfaction_rate(int((ratings >= c.DEFAULT_SATISFIED_LEVEL).sum()), n_rated),
                                        float(ratings.sum()) / n_rated if n_rated else None)

    raised = cols.raised_day[in_scope]

    def raised_in(since: dt.date | None, until: dt.date | None) -> np.ndarray:
        mask = np.ones(total, dtype=bool)
        if since:
            mask &= raised >= _day(since)
        if until:
            mask &= raised <= _day(until)
        return mask

    def cohort(since: dt.date | None, until: dt.date | None, mask: np.ndarray) -> RaisedProblems:
        states = state[mask]
        closed = cols.close_days[in_scope][mask]
        closed = closed[~np.isnan(closed)]
        done = int(np.isin(states, [_STATE_CODE["resolved"], _STATE_CODE["closed"]]).sum())
        return RaisedProblems(since, until, int(mask.sum()), done, int(len(closed)),
                              round(float(np.median(closed)), 2) if len(closed) else None)

    in_period = raised_in(f.since, f.until)
    period = cohort(f.since, f.until, in_period)
    before = previous_period(f, today)
    previous = cohort(before.since, before.until, raised_in(before.since, before.until)) if before else None
    cells = np.bincount(cols.category[in_scope][in_period] * len(STATES) + state[in_period],
                        minlength=len(cols.categories) * len(STATES)).reshape(-1, len(STATES))
    by_category = {cols.categories[i]: {s: int(row[j]) for j, s in enumerate(STATES) if row[j]}
                   for i, row in enumerate(cells) if row.any()}

    held = in_hand  # stock: every problem in hand now, however long ago it was raised
    days = _day(today) - raised[held]
    highs = [high for _, high in AGEING_BUCKETS if high is not None]
    in_bucket = np.bincount(np.searchsorted(highs, days, side="left"), minlength=len(AGEING_BUCKETS))
    # A problem raised "after" today (a clock set wrong) counts as new: the first bucket.
    ageing = [(low, high, int(in_bucket[i])) for i, (low, high) in enumerate(AGEING_BUCKETS)]

    kid = kid_of_unit[cols.unit_index[in_scope][held]]
    under = kid >= 0
    open_per_kid = np.bincount(kid[under], minlength=len(kids))
    late_per_kid = np.bincount(kid[under & late[held]], minlength=len(kids))
    per_unit = [UnitProblems(u.id, u.code, u.name, int(open_per_kid[k]), int(late_per_kid[k])) for k, u in enumerate(kids)]
    per_unit.sort(key=lambda u: (-u.overdue, -u.open, u.unit_code))
    return ProblemFigures(summary, period, previous, resolution, {cat: by_category[cat] for cat in sorted(by_category)},
                          ageing, per_unit)
