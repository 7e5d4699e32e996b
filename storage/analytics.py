"""Dashboard figures in SQL: the one implementation of each response and visit figure, read from the rollups plus
the live tail (the problem figures are computed in analytics.problem_table, which explains why).

Every function takes a Scope and filters in SQL. Base figures come from the
per-response summary columns (sat_n, sat_ok, sat_index_sum, nps_score) of
``responses``; per-question figures from ``answers``. Both are read through
the rollups of migration m0300 plus the responses not folded yet (the tail)
minus responses voided since the last fold, so every figure is exact and live
while the heavy scans happen once, in ``refresh_rollups``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from storage.db import Database, Scope, Tx
from surveys import constants as c
from surveys.scoring import NpsScore, Rate, nps, satisfaction_index, satisfaction_rate



# --- filters -----------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the leader narrowed the view to; None means "all"."""

    survey_id: str | None = None
    survey_version: int | None = None
    campaign_id: int | None = None
    since: dt.date | None = None  # inclusive
    until: dt.date | None = None  # inclusive
    channel: str | None = None
    unit_path: str | None = None  # a unit's materialized path: its subtree only

    def with_period(self, since: dt.date | None, until: dt.date | None) -> "Filters":
        return replace(self, since=since, until=until)


@dataclass
class _Where:
    """SQL conditions and their parameters, built in order."""

    parts: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, sql: str, *params: Any) -> None:
        self.parts.append(sql)
        self.params.extend(params)

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "TRUE"


def _unit_conditions(where: _Where, scope: Scope, f: Filters, unit_alias: str = "o") -> None:
    where.add(f"{unit_alias}.path LIKE ?", scope.like)
    if f.unit_path:
        where.add(f"{unit_alias}.path LIKE ?", f.unit_path + "%")
    if f.campaign_id is not None:
        where.add(
            f"""EXISTS (SELECT 1 FROM campaign_units cu JOIN org_units co ON co.id = cu.org_unit_id
                WHERE cu.campaign_id = ? AND starts_with({unit_alias}.path, co.path))""",
            f.campaign_id,
        )


def _campaign_period(db: Database | Tx, f: Filters) -> tuple[dt.date | None, dt.date | None]:
    """The period filter narrowed to the campaign's dates when a campaign is chosen."""
    since, until = f.since, f.until
    if f.campaign_id is not None:
        row = db.query("SELECT starts_on, ends_on FROM campaigns WHERE id = ?", [f.campaign_id]).first()
        if row is None:
            return dt.date(1, 1, 2), dt.date(1, 1, 1)  # an unknown campaign matches nothing
        since = max(since, row[0]) if since else row[0]
        until = min(until, row[1]) if until else row[1]
    return since, until


def _response_conditions(db: Database | Tx, where: _Where, scope: Scope, f: Filters, alias: str = "s",
                         with_period: bool = True) -> None:
    _unit_conditions(where, scope, f)
    if f.survey_id:
        where.add(f"{alias}.survey_id = ?", f.survey_id)
    if f.survey_version is not None:
        where.add(f"{alias}.survey_version = ?", f.survey_version)
    if f.channel:
        where.add(f"{alias}.channel = ?", f.channel)
    if with_period:
        since, until = _campaign_period(db, f)
        if since:
            where.add(f"{alias}.day >= ?", since)
        if until:
            where.add(f"{alias}.day <= ?", until)


# --- rollups -----------------------------------------------------------------


@dataclass(frozen=True)
class RollupState:
    last_id: int  # responses with id <= last_id are folded (0: read everything raw)
    refreshed_at: dt.datetime | None


def rollup_state(db: Database | Tx) -> RollupState:
    """The fold watermark, or 0 when the rollup no longer matches the rows under it
    (responses deleted below the watermark): then every figure is read raw, still exact."""
    row = db.query("SELECT last_id, folded_count, folded_id_sum, refreshed_at FROM rollup_state WHERE name = 'responses'").first()
    if row is None:
        return RollupState(0, None)
    last_id, count, id_sum, refreshed_at = row
    actual_count, actual_sum = db.query(
        "SELECT count(*), coalesce(sum(id), 0) FROM responses WHERE id <= ?", [last_id]).first()
    if count != actual_count or int(id_sum) != int(actual_sum):
        return RollupState(0, refreshed_at)
    return RollupState(int(last_id), refreshed_at)


_NPS_N = "CASE WHEN nps_score IS NULL THEN 0 ELSE 1 END"
_NPS_PROMOTER = f"CASE WHEN nps_score >= {c.NPS_PROMOTER_MIN} THEN 1 ELSE 0 END"
_NPS_DETRACTOR = f"CASE WHEN nps_score <= {c.NPS_DETRACTOR_MAX} THEN 1 ELSE 0 END"

_SOURCE_COLUMNS = ("org_unit_id, day, survey_id, survey_version, channel, responses, sat_n, sat_ok, sat_index_sum,"
                   " nps_n, nps_promoters, nps_detractors")


def _response_source(state: RollupState) -> tuple[str, list[Any]]:
    """Rows (unit, day, survey, version, channel, sums) that add up to the live figures:
    the rollup, plus the unfolded tail, minus folded responses voided since the last fold."""
    raw = f"""SELECT org_unit_id, CAST(submitted_at AS DATE) AS day, survey_id, survey_version, channel,
        {{w}} AS responses, {{w}} * sat_n AS sat_n, {{w}} * sat_ok AS sat_ok, {{w}} * sat_index_sum AS sat_index_sum,
        {{w}} * ({_NPS_N}) AS nps_n, {{w}} * ({_NPS_PROMOTER}) AS nps_promoters,
        {{w}} * ({_NPS_DETRACTOR}) AS nps_detractors
        FROM responses"""
    if state.last_id == 0:
        return raw.format(w=1) + " WHERE voided_at IS NULL", []
    sql = (
        f"SELECT {_SOURCE_COLUMNS} FROM response_rollup"
        f" UNION ALL {raw.format(w=1)} WHERE id > ? AND voided_at IS NULL"
        f" UNION ALL {raw.format(w=-1)} WHERE id <= ? AND voided_at IS NOT NULL"
        " AND id NOT IN (SELECT response_id FROM rollup_voided)"
    )
    return sql, [state.last_id, state.last_id]


def _pending_void_ids(db: Database | Tx, state: RollupState) -> list[int]:
    if state.last_id == 0:
        return []
    return [r[0] for r in db.query(
        """SELECT id FROM responses WHERE id <= ? AND voided_at IS NOT NULL
           AND id NOT IN (SELECT response_id FROM rollup_voided)""", [state.last_id]).rows]


ANSWER_VALUES = range(c.NPS_MIN, c.NPS_MAX + 1)  # the whole values the answer rollup counts: scale points, NPS
_COUNT_COLUMNS = ", ".join(f"n{k}" for k in ANSWER_VALUES)


def _value_counts(weight: str) -> str:
    return ", ".join(f"{weight} * count(*) FILTER (WHERE a.value_num = {k}) AS n{k}" for k in ANSWER_VALUES)


def _answer_source(db: Database | Tx, state: RollupState) -> tuple[str, list[Any]]:
    """Per-question value counts, live: the answer rollup + the tail - pending voids."""
    keys = "r.org_unit_id, CAST(r.submitted_at AS DATE), r.survey_id, r.survey_version, r.channel, a.question_id, a.row_id"
    named = keys.replace("CAST(r.submitted_at AS DATE)", "CAST(r.submitted_at AS DATE) AS day")
    raw = f"""SELECT {named}, {{counts}} FROM answers a JOIN responses r ON r.id = a.response_id
        WHERE a.value_num IN ({", ".join(str(k) for k in ANSWER_VALUES)}) AND {{cond}} GROUP BY {keys}"""
    if state.last_id == 0:
        return raw.format(counts=_value_counts("1"), cond="r.voided_at IS NULL"), []
    sql = (f"SELECT org_unit_id, day, survey_id, survey_version, channel, question_id, row_id, {_COUNT_COLUMNS}"
           " FROM answer_rollup UNION ALL "
           + raw.format(counts=_value_counts("1"), cond="a.response_id > ? AND r.id > ? AND r.voided_at IS NULL"))
    params: list[Any] = [state.last_id, state.last_id]
    pending = _pending_void_ids(db, state)
    if pending:
        marks = ", ".join("?" for _ in pending)
        sql += " UNION ALL " + raw.format(counts=_value_counts("-1"),
                                          cond=f"a.response_id IN ({marks}) AND r.id IN ({marks})")
        params += pending + pending
    return sql, params


def _text_source(db: Database | Tx, state: RollupState) -> tuple[str, list[Any]]:
    """Distinct text answers with counts, live: the text rollup + the tail - pending voids."""
    keys = "r.org_unit_id, CAST(r.submitted_at AS DATE), r.survey_id, r.survey_version, r.channel, a.question_id, a.value_text"
    named = keys.replace("CAST(r.submitted_at AS DATE)", "CAST(r.submitted_at AS DATE) AS day")
    raw = f"""SELECT {named}, {{w}} * count(*) AS answers FROM answers a JOIN responses r ON r.id = a.response_id
        WHERE a.value_text IS NOT NULL AND a.value_text <> '' AND {{cond}} GROUP BY {keys}"""
    if state.last_id == 0:
        return raw.format(w=1, cond="r.voided_at IS NULL"), []
    sql = ("SELECT org_unit_id, day, survey_id, survey_version, channel, question_id, value_text, answers"
           " FROM text_rollup UNION ALL "
           + raw.format(w=1, cond="a.response_id > ? AND r.id > ? AND r.voided_at IS NULL"))
    params: list[Any] = [state.last_id, state.last_id]
    pending = _pending_void_ids(db, state)
    if pending:
        marks = ", ".join("?" for _ in pending)
        sql += " UNION ALL " + raw.format(w=-1, cond=f"a.response_id IN ({marks}) AND r.id IN ({marks})")
        params += pending + pending
    return sql, params


@dataclass(frozen=True)
class RefreshResult:
    folded: int  # responses newly folded
    voided: int  # folded responses subtracted because they were voided
    rebuilt: bool
    last_id: int
    held_elsewhere: bool = False  # another process (or thread) was folding: nothing done here


BIG_FOLD = 10_000  # responses folded at once past which the rollups' planner statistics are renewed
FOLD_LOCK = "rollup-fold"  # one folder at a time, across every process on the database (db.dialect.exclusive)


def refresh_rollups(db: Database, *, settle: bool = True) -> RefreshResult:
    """Fold new responses into the rollups in one short transaction.

    settle: fold only ids that were already visible at the previous refresh, so
    a writer that drew an id from the sequence but had not committed yet is not
    skipped for ever (its row appears later below the new watermark). Pass
    False when no other writer can be running (CLI, bench, tests).

    One folder at a time: when another process (another app process, the CLI) holds the fold lock, nothing is done
    here and the figures keep reading the rollup as it is plus the unfolded tail, exact as always; two folds at
    once would only scan the same rows twice and lose to each other at commit.
    """
    with db.dialect.exclusive(db, FOLD_LOCK) as mine:
        if not mine:
            return RefreshResult(0, 0, False, rollup_state(db).last_id, held_elsewhere=True)
        return _fold(db, settle)


def _fold(db: Database, settle: bool) -> RefreshResult:
    with db.transaction() as tx:
        state = tx.query("SELECT last_id, seen_id, folded_count, folded_id_sum FROM rollup_state"
                         " WHERE name = 'responses'").first()
        last_id, seen_id, count, id_sum = int(state[0]), int(state[1]), int(state[2]), int(state[3])
        actual = tx.query("SELECT count(*), coalesce(sum(id), 0) FROM responses WHERE id <= ?", [last_id]).first()
        rebuilt = False
        if int(actual[0]) != count or int(actual[1]) != id_sum:
            for table in ("response_rollup", "answer_rollup", "text_rollup", "rollup_voided"):
                tx.execute(f"DELETE FROM {table}")
            last_id, count, id_sum, rebuilt = 0, 0, 0, True
        max_id = int(tx.query("SELECT coalesce(max(id), 0) FROM responses").single_value())
        upto = max(last_id, min(seen_id, max_id) if settle and not rebuilt else max_id)
        raw = f"""SELECT id, org_unit_id, CAST(submitted_at AS DATE) AS day, survey_id, survey_version, channel,
            sat_n, sat_ok, sat_index_sum, {_NPS_N} AS nps_n, {_NPS_PROMOTER} AS nps_promoters,
            {_NPS_DETRACTOR} AS nps_detractors FROM responses"""
        tx.execute(f"""CREATE TEMP TABLE _fold AS
            SELECT *, 1 AS w FROM ({raw} WHERE id > ? AND id <= ?) AS folded
            UNION ALL
            SELECT *, -1 AS w FROM ({raw} WHERE id <= ? AND voided_at IS NOT NULL
                AND id NOT IN (SELECT response_id FROM rollup_voided)) AS voided""", [last_id, upto, upto])
        try:
            folded = int(tx.query("SELECT count(*) FROM _fold WHERE w = 1").single_value())
            voided = int(tx.query("SELECT count(*) FROM _fold WHERE w = -1").single_value())
            if folded or voided:
                tx.execute("""INSERT INTO response_rollup AS r
                    SELECT org_unit_id, day, survey_id, survey_version, channel, sum(w), sum(w * sat_n), sum(w * sat_ok),
                        sum(w * sat_index_sum), sum(w * nps_n), sum(w * nps_promoters), sum(w * nps_detractors)
                    FROM _fold GROUP BY org_unit_id, day, survey_id, survey_version, channel ORDER BY day
                    ON CONFLICT (org_unit_id, day, survey_id, survey_version, channel) DO UPDATE SET
                        responses = r.responses + excluded.responses,
                        sat_n = r.sat_n + excluded.sat_n, sat_ok = r.sat_ok + excluded.sat_ok,
                        sat_index_sum = r.sat_index_sum + excluded.sat_index_sum, nps_n = r.nps_n + excluded.nps_n,
                        nps_promoters = r.nps_promoters + excluded.nps_promoters,
                        nps_detractors = r.nps_detractors + excluded.nps_detractors""")
                void_ids: list[int] = []
                if voided:
                    void_ids = [r[0] for r in tx.query("SELECT id FROM _fold WHERE w = -1").rows]
                    tx.execute("INSERT INTO rollup_voided SELECT id FROM _fold WHERE w = -1")

                def answer_delta(columns: str, measures: str, condition: str) -> tuple[str, list[Any]]:
                    """The weighted answers of the folded (w = 1) and newly voided (w = -1) responses."""
                    parts, params = [], []
                    select = f"""SELECT f.org_unit_id, f.day, f.survey_id, f.survey_version, f.channel, {columns},
                        {measures} FROM answers a JOIN _fold f ON f.id = a.response_id WHERE {condition}"""
                    if folded:
                        parts.append(select + " AND f.w = 1 AND a.response_id > ? AND a.response_id <= ?")
                        params += [last_id, upto]
                    if void_ids:
                        marks = ", ".join("?" for _ in void_ids)
                        parts.append(select + f" AND f.w = -1 AND a.response_id IN ({marks})")
                        params += void_ids
                    return " UNION ALL ".join(parts), params

                values = ", ".join(str(k) for k in ANSWER_VALUES)
                counts = ", ".join(f"f.w * CASE WHEN a.value_num = {k} THEN 1 ELSE 0 END AS n{k}" for k in ANSWER_VALUES)
                sql, params = answer_delta("a.question_id, a.row_id", counts, f"a.value_num IN ({values})")
                sums = ", ".join(f"sum(n{k})" for k in ANSWER_VALUES)
                updates = ", ".join(f"n{k} = r.n{k} + excluded.n{k}" for k in ANSWER_VALUES)
                tx.execute(f"""INSERT INTO answer_rollup AS r
                    SELECT org_unit_id, day, survey_id, survey_version, channel, question_id, row_id, {sums}
                    FROM ({sql}) AS delta
                    GROUP BY org_unit_id, day, survey_id, survey_version, channel, question_id, row_id ORDER BY day
                    ON CONFLICT (org_unit_id, day, survey_id, survey_version, channel, question_id, row_id)
                    DO UPDATE SET {updates}""", params)
                sql, params = answer_delta("a.question_id, a.value_text", "f.w AS w",
                                           "a.value_text IS NOT NULL AND a.value_text <> ''")
                tx.execute(f"""INSERT INTO text_rollup AS r
                    SELECT org_unit_id, day, survey_id, survey_version, channel, question_id, value_text, sum(w)
                    FROM ({sql}) AS delta
                    GROUP BY org_unit_id, day, survey_id, survey_version, channel, question_id, value_text ORDER BY day
                    ON CONFLICT (org_unit_id, day, survey_id, survey_version, channel, question_id, value_text)
                    DO UPDATE SET answers = r.answers + excluded.answers""", params)
            moved = tx.query("SELECT count(*), coalesce(sum(id), 0) FROM _fold WHERE w = 1").first()
            if rebuilt or folded >= BIG_FOLD:
                tx.dialect.analyze(tx, ("response_rollup", "answer_rollup", "text_rollup"))
        finally:
            tx.execute("DROP TABLE IF EXISTS _fold")
        tx.execute(
            """UPDATE rollup_state SET last_id = ?, seen_id = ?, folded_count = ?, folded_id_sum = ?, refreshed_at = ?
               WHERE name = 'responses'""",
            [upto, max_id, count + int(moved[0]), id_sum + int(moved[1]), dt.datetime.now()],
        )
    return RefreshResult(folded, voided, rebuilt, upto)


# --- headline figures ----------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The satisfaction figures of one set of responses; every figure carries its n."""

    responses: int
    rate: Rate
    index: float | None
    nps: NpsScore


def _figures(responses: Any, sat_n: Any, sat_ok: Any, index_sum: Any, nps_n: Any, prom: Any, det: Any) -> Figures:
    n = int(sat_n or 0)
    return Figures(
        responses=int(responses or 0),
        rate=satisfaction_rate(int(sat_ok or 0), n),
        index=satisfaction_index(float(index_sum or 0.0), n),
        nps=nps(int(prom or 0), int(det or 0), int(nps_n or 0)),
    )


_SUMS = ("sum(s.responses), sum(s.sat_n), sum(s.sat_ok), sum(s.sat_index_sum), sum(s.nps_n),"
         " sum(s.nps_promoters), sum(s.nps_detractors)")


@dataclass(frozen=True)
class Overview:
    figures: Figures  # inside the filters (period included)
    responses_today: int  # the other filters, today only
    responses_7_days: int  # the other filters, the last 7 days including today
    responses_all_time: int  # the other filters, any date
    previous: Figures | None = None  # the other filters over the ``previous`` period, when asked for


def _period_case(since: dt.date | None, until: dt.date | None) -> _Where:
    where = _Where()
    if since:
        where.add("s.day >= ?", since)
    if until:
        where.add("s.day <= ?", until)
    return where


def overview(db: Database, scope: Scope, f: Filters, today: dt.date,
             previous: tuple[dt.date, dt.date] | None = None) -> Overview:
    """The headline satisfaction figures and response volumes (and those of a ``previous`` period), in one scan."""
    state = rollup_state(db)
    source, params = _response_source(state)
    where = _Where()
    _response_conditions(db, where, scope, f, with_period=False)
    columns: list[str] = []
    column_params: list[Any] = []
    periods = [_period_case(*_campaign_period(db, f))]
    if previous is not None:
        periods.append(_period_case(*previous))
    for period in periods:
        p = period.sql()
        for measure in ("responses", "sat_n", "sat_ok", "sat_index_sum", "nps_n", "nps_promoters", "nps_detractors"):
            columns.append(f"sum(CASE WHEN {p} THEN s.{measure} END)")
            column_params += period.params
    row = db.query(
        f"""SELECT {", ".join(columns)}, sum(CASE WHEN s.day = ? THEN s.responses END),
                   sum(CASE WHEN s.day > ? AND s.day <= ? THEN s.responses END), sum(s.responses)
            FROM ({source}) s JOIN org_units o ON o.id = s.org_unit_id WHERE {where.sql()}""",
        column_params + [today, today - dt.timedelta(days=7), today] + params + where.params,
    ).first()
    n = len(periods) * 7
    return Overview(_figures(*row[:7]), int(row[n] or 0), int(row[n + 1] or 0), int(row[n + 2] or 0),
                    _figures(*row[7:14]) if previous is not None else None)


def figures(db: Database, scope: Scope, f: Filters) -> Figures:
    """The satisfaction figures inside the filters."""
    state = rollup_state(db)
    source, params = _response_source(state)
    where = _Where()
    _response_conditions(db, where, scope, f)
    row = db.query(f"SELECT {_SUMS} FROM ({source}) s JOIN org_units o ON o.id = s.org_unit_id WHERE {where.sql()}",
                   params + where.params).first()
    return _figures(*row)


@dataclass(frozen=True)
class UnitFigures:
    """One row of a drill-down: a child unit (or the parent's own direct responses) and its figures."""

    unit_id: int
    unit_code: str
    unit_name: str
    level: int
    has_children: bool
    direct: bool  # True for the parent's own responses (attributed to it, not to a child)
    figures: Figures


def drill_down(db: Database, scope: Scope, f: Filters, parent_id: int) -> list[UnitFigures]:
    """The figures of each child unit of ``parent_id`` (each summing its whole subtree),
    plus a row for responses attributed to the parent itself when there are any."""
    state = rollup_state(db)
    source, params = _response_source(state)
    where = _Where()
    _response_conditions(db, where, scope, f)
    rows = db.query(
        f"""WITH kids AS (
                SELECT id, code, name, level, path, FALSE AS direct FROM org_units WHERE parent_id = ? AND path LIKE ?
                UNION ALL
                SELECT id, code, name, level, path, TRUE FROM org_units WHERE id = ? AND path LIKE ?),
            unit_map AS (
                SELECT o.id AS unit_id, k.id AS kid_id FROM org_units o JOIN kids k
                    ON (NOT k.direct AND starts_with(o.path, k.path)) OR (k.direct AND o.id = k.id)),
            sums (kid_id, responses, sat_n, sat_ok, sat_index_sum, nps_n, nps_promoters, nps_detractors) AS (
                SELECT m.kid_id, {_SUMS} FROM ({source}) s JOIN org_units o ON o.id = s.org_unit_id
                JOIN unit_map m ON m.unit_id = s.org_unit_id WHERE {where.sql()} GROUP BY m.kid_id)
            SELECT k.id, k.code, k.name, k.level, k.direct,
                   EXISTS (SELECT 1 FROM org_units ch WHERE ch.parent_id = k.id) AND NOT k.direct,
                   sums.responses, sums.sat_n, sums.sat_ok, sums.sat_index_sum, sums.nps_n, sums.nps_promoters,
                   sums.nps_detractors
            FROM kids k LEFT JOIN sums ON sums.kid_id = k.id
            WHERE NOT k.direct OR sums.kid_id IS NOT NULL
            ORDER BY k.direct, k.code""",
        [parent_id, scope.like, parent_id, scope.like] + params + where.params,
    ).rows
    return [UnitFigures(r[0], r[1], r[2], r[3], bool(r[5]), bool(r[4]), _figures(*r[6:13])) for r in rows]


@dataclass(frozen=True)
class TrendPoint:
    period_start: dt.date  # the day, or the Monday of the week
    figures: Figures
    # The days of the period inside the filtered range (a week clipped to it); None: the whole period.
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    @property
    def days(self) -> int:
        """Days of the period inside the filtered range: 1 a day; under 7 for a partial first or last week."""
        if self.first_day is None or self.last_day is None:
            return 1
        return (self.last_day - self.first_day).days + 1


def trend(db: Database, scope: Scope, f: Filters, grain: str = "day") -> list[TrendPoint]:
    """Satisfaction and volume per day or per ISO week (Monday first), oldest first."""
    if grain not in ("day", "week"):
        raise ValueError(f"unknown grain {grain!r}")
    state = rollup_state(db)
    source, params = _response_source(state)
    where = _Where()
    _response_conditions(db, where, scope, f)
    bucket = "s.day" if grain == "day" else "CAST(date_trunc('week', s.day) AS DATE)"
    rows = db.query(
        f"""SELECT {bucket} AS bucket, min(s.day), max(s.day), {_SUMS} FROM ({source}) s
            JOIN org_units o ON o.id = s.org_unit_id
            WHERE {where.sql()} GROUP BY bucket HAVING sum(s.responses) <> 0 ORDER BY bucket""",
        params + where.params,
    ).rows
    if grain == "day" or not rows:
        return [TrendPoint(r[0], _figures(*r[3:])) for r in rows]
    # A week is clipped to the filtered period; with an open end, to the first / last day with responses, so a
    # week in which the period starts on a Sunday counts one day, not seven (the chart marks it as partial).
    since, until = _campaign_period(db, f)
    first = max(since, rows[0][0]) if since else rows[0][1]
    last = min(until, rows[-1][0] + dt.timedelta(days=6)) if until else rows[-1][2]
    points = []
    for r in rows:
        start, end = max(r[0], first), min(r[0] + dt.timedelta(days=6), last)
        points.append(TrendPoint(r[0], _figures(*r[3:]), start, max(start, end)))
    return points


@dataclass(frozen=True)
class QuestionCounts:
    """How often each whole value 0-10 (scale point, NPS) was given to one question (one matrix row when row_id is set)."""

    question_id: str
    row_id: str
    counts: dict[int, int]

    @property
    def n(self) -> int:
        return sum(self.counts.values())


def question_counts(db: Database, scope: Scope, f: Filters) -> list[QuestionCounts]:
    """Per question (and matrix row) the count of each whole answer value 0-10: scale points and NPS.
    Narrow ``f`` to one survey: question ids are only meaningful within a survey."""
    state = rollup_state(db)
    source, params = _answer_source(db, state)
    where = _Where()
    _response_conditions(db, where, scope, f)
    sums = ", ".join(f"sum(s.n{k})" for k in ANSWER_VALUES)
    rows = db.query(
        f"""SELECT s.question_id, s.row_id, {sums} FROM ({source}) s
            JOIN org_units o ON o.id = s.org_unit_id WHERE {where.sql()}
            GROUP BY s.question_id, s.row_id ORDER BY s.question_id, s.row_id""",
        params + where.params,
    ).rows
    out = []
    for qid, row_id, *counts in rows:
        by_value = {k: int(n) for k, n in zip(ANSWER_VALUES, counts) if n}
        if by_value:
            out.append(QuestionCounts(qid, row_id, by_value))
    return out


@dataclass(frozen=True)
class SurveyVolume:
    survey_id: str
    title: str
    survey_version: int
    responses: int


def surveys_answered(db: Database, scope: Scope) -> list[SurveyVolume]:
    """The surveys (and versions) with responses inside ``scope``, most answered first: the filter's choices."""
    state = rollup_state(db)
    source, params = _response_source(state)
    rows = db.query(
        f"""SELECT s.survey_id, coalesce(min(sv.title), s.survey_id), s.survey_version, sum(s.responses)
            FROM ({source}) s JOIN org_units o ON o.id = s.org_unit_id LEFT JOIN surveys sv ON sv.id = s.survey_id
            WHERE o.path LIKE ? GROUP BY s.survey_id, s.survey_version HAVING sum(s.responses) > 0
            ORDER BY sum(s.responses) DESC, s.survey_id, s.survey_version""",
        params + [scope.like],
    ).rows
    return [SurveyVolume(r[0], r[1], int(r[2]), int(r[3])) for r in rows]


# --- campaigns and visits ----------------------------------------------------------


def coverage_burnup(db: Database, scope: Scope, campaign_id: int) -> list[tuple[dt.date, int]]:
    """Per day of the campaign with a new covered household, how many are covered so far: the same households,
    window and covering outcomes as storage.worklists.coverage (it is computed there, from the same CTEs)."""
    from storage import worklists

    return worklists.coverage_burnup(db, scope, campaign_id)


def _problem_where(scope: Scope, f: Filters) -> _Where:
    where = _Where()
    _unit_conditions(where, scope, replace(f, campaign_id=None))
    if f.since:
        where.add("CAST(p.raised_at AS DATE) >= ?", f.since)
    if f.until:
        where.add("CAST(p.raised_at AS DATE) <= ?", f.until)
    return where


# --- what residents say -----------------------------------------------------------------


@dataclass(frozen=True)
class TextCount:
    text: str
    count: int


def _text_where(db: Database, scope: Scope, f: Filters) -> _Where:
    where = _Where()
    _unit_conditions(where, scope, f)
    where.add("r.voided_at IS NULL")
    if f.survey_id:
        where.add("r.survey_id = ?", f.survey_id)
    if f.survey_version is not None:
        where.add("r.survey_version = ?", f.survey_version)
    if f.channel:
        where.add("r.channel = ?", f.channel)
    since, until = _campaign_period(db, f)
    if since:
        where.add("r.submitted_at >= ?", dt.datetime.combine(since, dt.time()))
    if until:
        where.add("r.submitted_at < ?", dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    return where


def answer_texts(db: Database, scope: Scope, f: Filters, question_ids: Sequence[str], limit: int = 5000) -> list[TextCount]:
    """Distinct text answers to ``question_ids`` with how often each was given, most frequent first."""
    if not question_ids:
        return []
    source, params = _text_source(db, rollup_state(db))
    where = _Where()
    _response_conditions(db, where, scope, f)
    marks = ", ".join("?" for _ in question_ids)
    rows = db.query(
        f"""SELECT s.value_text, sum(s.answers) AS n FROM ({source}) s JOIN org_units o ON o.id = s.org_unit_id
            WHERE s.question_id IN ({marks}) AND {where.sql()}
            GROUP BY s.value_text HAVING sum(s.answers) > 0 ORDER BY n DESC, s.value_text LIMIT ?""",
        [*params, *question_ids, *where.params, limit],
    ).rows
    return [TextCount(r[0], int(r[1])) for r in rows]


def problem_texts(db: Database, scope: Scope, f: Filters, limit: int = 5000) -> list[TextCount]:
    """Distinct problem descriptions raised in the period with their counts."""
    where = _problem_where(scope, f)
    rows = db.query(
        f"""SELECT p.description, count(*) FROM problems p JOIN org_units o ON o.id = p.org_unit_id
            WHERE {where.sql()} GROUP BY p.description ORDER BY count(*) DESC, p.description LIMIT ?""",
        [*where.params, limit],
    ).rows
    return [TextCount(r[0], int(r[1])) for r in rows]


@dataclass(frozen=True)
class SaidText:
    source: str  # "answer" | "problem"
    unit_code: str
    unit_name: str
    day: dt.date
    text: str
    count: int  # how often this text was given in that unit that day
    parent_name: str = ""  # the unit's parent, so 第3网格 reads as 某社区 · 第3网格


def texts_containing(db: Database, scope: Scope, f: Filters, word: str, question_ids: Sequence[str],
                     limit: int = 200) -> list[SaidText]:
    """The text answers (to ``question_ids``) and problem descriptions containing ``word``, newest first."""
    pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    out: list[SaidText] = []
    if question_ids:
        source, params = _text_source(db, rollup_state(db))
        where = _Where()
        _response_conditions(db, where, scope, f)
        marks = ", ".join("?" for _ in question_ids)
        out += [SaidText("answer", r[0], r[1], r[2], r[3], int(r[4]), r[5] or "") for r in db.query(
            f"""SELECT o.code, o.name, s.day, s.value_text, sum(s.answers), min(po.name) FROM ({source}) s
                JOIN org_units o ON o.id = s.org_unit_id LEFT JOIN org_units po ON po.id = o.parent_id
                WHERE s.question_id IN ({marks}) AND s.value_text LIKE ? ESCAPE '\\' AND {where.sql()}
                GROUP BY o.code, o.name, s.day, s.value_text HAVING sum(s.answers) > 0
                ORDER BY s.day DESC, o.code, s.value_text LIMIT ?""",
            [*params, *question_ids, pattern, *where.params, limit]).rows]
    where = _problem_where(scope, f)
    out += [SaidText("problem", r[0], r[1], r[2], r[3], int(r[4]), r[5] or "") for r in db.query(
        f"""SELECT o.code, o.name, CAST(p.raised_at AS DATE) AS day, p.description, count(*), min(po.name)
            FROM problems p JOIN org_units o ON o.id = p.org_unit_id LEFT JOIN org_units po ON po.id = o.parent_id
            WHERE p.description LIKE ? ESCAPE '\\' AND {where.sql()}
            GROUP BY o.code, o.name, day, p.description ORDER BY day DESC, o.code, p.description LIMIT ?""",
        [pattern, *where.params, limit]).rows]
    return sorted(out, key=lambda s: s.day, reverse=True)[:limit]


# --- raw responses for export -----------------------------------------------------------


@dataclass(frozen=True)
class RawResponse:
    id: int
    survey_id: str
    survey_version: int
    unit_code: str
    unit_name: str
    channel: str
    submitted_at: dt.datetime
    answers: dict[tuple[str, str], list[Any]]  # (question_id, row_id) -> values (several for multi-choice)


def raw_responses(db: Database, scope: Scope, f: Filters, limit: int = 100_000) -> list[RawResponse]:
    """Non-voided responses inside the filters with their answers, oldest first, at most ``limit``."""
    where = _text_where(db, scope, f)
    heads = db.query(
        f"""SELECT r.id, r.survey_id, r.survey_version, o.code, o.name, r.channel, r.submitted_at
            FROM responses r JOIN org_units o ON o.id = r.org_unit_id WHERE {where.sql()}
            ORDER BY r.submitted_at, r.id LIMIT ?""",
        [*where.params, limit],
    ).rows
    if not heads:
        return []
    answers: dict[int, dict[tuple[str, str], list[Any]]] = {h[0]: {} for h in heads}
    ids = list(answers)
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        marks = ", ".join("?" for _ in chunk)
        for rid, qid, row_id, num, text in db.query(
            f"""SELECT response_id, question_id, row_id, value_num, value_text FROM answers
                WHERE response_id IN ({marks}) ORDER BY response_id, question_id, row_id, value_text""", chunk).rows:
            value = text if text is not None else (int(num) if num is not None and float(num).is_integer() else num)
            answers[rid].setdefault((qid, row_id), []).append(value)
    return [RawResponse(h[0], h[1], int(h[2]), h[3], h[4], h[5], h[6], answers[h[0]]) for h in heads]
