"""Credibility signals over visits and residents' responses: each a small class that computes flags and explains itself.

The shape is datasette's facets: every signal has ``kind``, ``defaults`` (its settings) and the same two methods,
``compute(data, settings) -> list[NewFlag]`` (pure: it reads only the frames in ``CredibilityData``) and
``explain(settings, lang) -> str`` (what it looks for, in words, with the settings filled in). Where "far from" is a
judgement, a signal uses a test with its p-value and n rather than a fixed gap; the baseline is the district (the
caller's scope) itself, so an honest district produces few flags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from i18n import t
from storage import credibility as store
from storage.credibility import NewFlag
from storage.db import Database, Scope


# --- statistics (no scipy in the runtime) --------------------------------------------------------------------

def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exact (summed in log space) above the expectation; for k <= n·p, where
    nothing is surprising, only its lower bound 0.5 (k is then at most the median)."""
    if k <= 0:
        return 1.0
    if p <= 0:
        return 0.0
    if p >= 1 or k <= n * p:
        return 1.0 if p >= 1 else 0.5
    log_p, log_q = math.log(p), math.log1p(-p)
    # Above the mode the terms only fall: sum from k until they are negligible (e^-40 of the first).
    term = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q
    first, total, i = term, 1.0, k
    while i < n:
        term += math.log((n - i) / (i + 1)) + log_p - log_q
        i += 1
        if term < first - 40:
            break
        total += math.exp(term - first)
    return min(1.0, math.exp(first) * total)


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    below = sum(math.exp(i * math.log(mu) - mu - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class ClusteredRate:
    """Satisfied items among answered items (the dashboards' rate) with a variance that treats each response as
    one cluster, so a form with twelve ratings is not counted as twelve independent residents."""

    responses: int
    items: int
    satisfied: int
    variance: float

    @property
    def rate(self) -> float | None:
        return self.satisfied / self.items if self.items else None

    @classmethod
    def of(cls, responses: int, sat_n: float, sat_ok: float, ok2: float, n2: float, okn: float) -> "ClusteredRate":
        if responses < 2 or sat_n <= 0:
            return cls(int(responses), int(sat_n), int(sat_ok), math.inf)
        p = sat_ok / sat_n
        residual = max(ok2 - 2 * p * okn + p * p * n2, 0.0)
        clustered = responses / (responses - 1) * residual / (sat_n * sat_n)
        # Floor: one Bernoulli trial per response at the rate shrunk by one success and one failure (Agresti-Caffo),
        # so 100 % of 40 visit forms is not a rate known without error.
        shrunk = (p * responses + 1) / (responses + 2)
        return cls(int(responses), int(sat_n), int(sat_ok), max(clustered, shrunk * (1 - shrunk) / (responses + 2)))


def difference(a: ClusteredRate, b: ClusteredRate, z: float = 1.96) -> tuple[float, float, float, float]:
    """a − b with its 95% interval and the two-sided p-value of 'no difference'."""
    d = (a.rate or 0.0) - (b.rate or 0.0)
    se = math.sqrt(a.variance + b.variance)
    if not math.isfinite(se):
        return d, -math.inf, math.inf, 1.0
    if se == 0:
        return d, d, d, 0.0 if d else 1.0
    return d, d - z * se, d + z * se, 2 * normal_sf(abs(d) / se)


def _p(value: float) -> str:
    return f"{value:.1e}" if value < 0.001 else f"{value:.3f}"


# --- the data the signals read ---------------------------------------------------------------------------------

@dataclass
class CredibilityData:
    """What every signal reads, loaded once per check for one scope (storage/credibility.py holds the SQL)."""

    units: pd.DataFrame
    visits: pd.DataFrame
    link_responses: pd.DataFrame
    rating_spread: pd.DataFrame
    texts: pd.DataFrame
    by_channel: pd.DataFrame
    questions_per_survey: dict[tuple[str, int], int]
    response_ids_of: Any = None  # callable(unit_path, channel) -> list[int], for flags naming a unit's rows
    has_browser_id: bool = False
    _paths: dict[int, str] = field(default_factory=dict)

    def path_of(self, unit_id: int) -> str:
        if not self._paths:
            self._paths = dict(zip(self.units["id"].astype(int), self.units["path"]))
        return self._paths.get(int(unit_id), "")


def _survey_questions(db: Database, survey_ids: Sequence[str]) -> tuple[dict, dict, dict]:
    """Per survey: rating item question ids, free-text question ids; per (survey, version): questions asked."""
    from services.survey_catalog import survey_version
    from surveys.model import MatrixQuestion, NoteQuestion, RatingQuestion, TextQuestion

    ratings: dict[str, list[str]] = {}
    texts: dict[str, list[str]] = {}
    counts: dict[tuple[str, int], int] = {}
    for survey_id in survey_ids:
        loaded = survey_version(db, survey_id)
        if loaded is None:
            continue
        survey, version = loaded
        questions = survey.questions
        ratings[survey_id] = [q.id for q in questions if isinstance(q, (RatingQuestion, MatrixQuestion))]
        texts[survey_id] = [q.id for q in questions if isinstance(q, TextQuestion)]
        asked = sum(len(q.rows) if isinstance(q, MatrixQuestion) else 1 for q in questions
                    if not isinstance(q, NoteQuestion))
        for v in range(1, version + 1):
            counts[(survey_id, v)] = asked
    return ratings, texts, counts


def load(db: Database, scope: Scope, settings: Mapping[str, Mapping[str, Any]] | None = None) -> CredibilityData:
    """Read everything the signals need inside ``scope``."""
    text_settings = {**IdenticalTexts.defaults, **((settings or {}).get(IdenticalTexts.kind) or {})}
    links = store.link_response_rows(db, scope)
    survey_ids = sorted(set(links["survey_id"])) if len(links) else []
    ratings, texts, counts = _survey_questions(db, survey_ids)
    _, visit_texts, _ = _survey_questions(db, store.visit_survey_ids(db, scope))
    return CredibilityData(
        units=store.unit_tree(db, scope), visits=store.visit_rows(db, scope, visit_texts), link_responses=links,
        rating_spread=store.rating_spread(db, scope, ratings),
        texts=store.repeated_texts(db, scope, texts, int(text_settings["min_length"]), int(text_settings["min_count"])),
        by_channel=store.satisfaction_by_channel(db, scope), questions_per_survey=counts,
        response_ids_of=lambda path, channel: store.response_ids_by_channel(db, scope, path, channel),
        has_browser_id=store.browser_column(db) is not None)


# --- signals -----------------------------------------------------------------------------------------------------

class Signal:
    """One kind of suspicious pattern. Subclasses set kind, row_kind, defaults and implement compute."""

    kind: ClassVar[str]
    row_kind: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]

    def settings(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {**self.defaults, **(overrides or {})}

    def compute(self, data: CredibilityData, settings: Mapping[str, Any]) -> list[NewFlag]:
        raise NotImplementedError

    def explain(self, settings: Mapping[str, Any], lang: str = "zh") -> str:
        return t(f"cred.explain.{self.kind}", lang, **settings)

    def flag(self, unit_id: int, row_ids: Sequence[int], **params: Any) -> NewFlag:
        return NewFlag(self.kind, int(unit_id), self.row_kind, tuple(sorted(int(i) for i in row_ids)),
                       f"cred.reason.{self.kind}", params)


def _bursts(frame: pd.DataFrame, by: list[str], time_column: str, window_seconds: int, limit: int) -> list[pd.DataFrame]:
    """Runs of rows of one group (``by``) where more than ``limit`` fall inside one window of ``window_seconds``:
    every row of such a window, overlapping windows merged. One sorted pass over all groups at once."""
    if len(frame) <= limit:
        return []
    ordered = frame.sort_values([*by, time_column])
    group = ordered.groupby(by, sort=False).ngroup().to_numpy().astype(np.int64)
    seconds = ordered[time_column].to_numpy(dtype="datetime64[s]").astype(np.int64)
    key = group * 10**11 + (seconds - seconds.min())  # groups apart by far more than any window
    ends = np.searchsorted(key, key + window_seconds, side="left")
    starts = np.flatnonzero(ends - np.arange(len(key)) > limit)
    if not len(starts):
        return []
    marked = np.zeros(len(key) + 1, np.int64)
    np.add.at(marked, starts, 1)
    np.add.at(marked, ends[starts], -1)
    inside = np.flatnonzero(np.cumsum(marked)[:-1] > 0)
    breaks = np.flatnonzero((np.diff(inside) != 1) | (np.diff(group[inside]) != 0)) + 1
    return [ordered.iloc[run] for run in np.split(inside, breaks)]


def _cadre(rows: pd.DataFrame) -> dict[str, Any]:
    return {"cadre_id": int(rows["cadre_id"].iloc[0]), "cadre": str(rows["cadre"].iloc[0])}


def _mode_unit(units: pd.Series) -> int:
    return int(units.value_counts().index[0])


class VisitPace(Signal):
    kind, row_kind = "visit_pace", "visit"
    defaults = {"window_minutes": 30, "max_visits": 10}

    def compute(self, data, s):
        v = data.visits[data.visits["response_id"].notna()]  # a door nobody opened takes a minute: count met visits
        out = []
        for burst in _bursts(v, ["cadre_id"], "visited_at", int(s["window_minutes"]) * 60, int(s["max_visits"])):
            minutes = (burst["visited_at"].max() - burst["visited_at"].min()).total_seconds() / 60
            out.append(self.flag(_mode_unit(burst["org_unit_id"]), burst["id"], **_cadre(burst), visits=len(burst),
                                 households=int(burst["household_id"].nunique()), minutes=round(minutes),
                                 start=str(burst["visited_at"].min()), **s))
        return out


class VisitHours(Signal):
    kind, row_kind = "visit_hours", "visit"
    defaults = {"earliest_hour": 7, "latest_hour": 21, "min_visits": 3}

    def compute(self, data, s):
        v = data.visits
        hour = v["visited_at"].dt.hour
        odd = v[(hour < int(s["earliest_hour"])) | (hour >= int(s["latest_hour"]))]
        return [self.flag(_mode_unit(rows["org_unit_id"]), rows["id"], **_cadre(rows), visits=len(rows), **s)
                for cadre, rows in odd.groupby("cadre_id") if len(rows) >= int(s["min_visits"])]


class BackdatedBurst(Signal):
    kind, row_kind = "visit_backdated", "visit"
    defaults = {"min_lag_hours": 24, "days_before_deadline": 3, "min_visits": 10}

    def compute(self, data, s):
        v = data.visits[data.visits["campaign_ends_on"].notna()]
        lag = (v["created_at"] - v["visited_at"]).dt.total_seconds() / 3600
        deadline = pd.to_datetime(v["campaign_ends_on"])
        typed = v["created_at"].dt.normalize()
        near = (typed >= deadline - pd.Timedelta(days=int(s["days_before_deadline"]))) & \
               (typed <= deadline + pd.Timedelta(days=1))
        late = v[(lag >= float(s["min_lag_hours"])) & near]
        return [self.flag(_mode_unit(rows["org_unit_id"]), rows["id"], **_cadre(rows), visits=len(rows),
                          first=str(rows["visited_at"].min().date()), last=str(rows["visited_at"].max().date()),
                          typed=str(rows["created_at"].min().date()), **s)
                for cadre, rows in late.groupby("cadre_id") if len(rows) >= int(s["min_visits"])]


class IdenticalVisitForms(Signal):
    """The same free-text notes on many households' visit forms by one cadre: short forms of choices are often
    alike honestly, a note copied word for word into a dozen homes is not."""

    kind, row_kind = "visit_identical_forms", "visit"
    defaults = {"min_households": 10, "alpha": 1e-6}

    def compute(self, data, s):
        v = data.visits[data.visits["notes"].notna()]
        if v.empty:
            return []
        v = v.assign(note=pd.factorize(v["notes"])[0])  # integer codes: grouping 470k strings costs seconds
        total = len(v)
        per_text = v.groupby("note").size()
        per_cadre = v.groupby("cadre_id").size()
        same = v.drop_duplicates(["cadre_id", "note", "household_id"]).groupby(["cadre_id", "note"]).size()
        candidates = same[same >= int(s["min_households"])]
        if candidates.empty:
            return []
        visits = v.groupby(["cadre_id", "note"]).size()
        out = []
        for (cadre, code), k in candidates.items():
            n, others = int(per_cadre[cadre]), total - int(per_cadre[cadre])
            p0 = (per_text[code] - visits[(cadre, code)]) / others if others else 0.0
            p0 = min(max(p0, 1 / max(others, 1)), 1.0)  # a note nobody else wrote: not probability 0
            p = binomial_sf(int(k), n, p0)
            if p < float(s["alpha"]):
                rows = v[(v["cadre_id"] == cadre) & (v["note"] == code)]
                text = rows["notes"].iloc[0]
                k = int(k)
                out.append(self.flag(_mode_unit(rows["org_unit_id"]), rows["id"], **_cadre(rows), same=k, n=n,
                                     text=str(text)[:40], baseline=f"{p0:.1%}", p=_p(p), **s))
        return out


class CadreVsResidents(Signal):
    """A cadre's visit satisfaction in a grid against what the grid's residents say through links."""

    kind, row_kind = "visit_cadre_distribution", "visit"
    defaults = {"alpha": 0.001, "min_gap": 0.10, "min_responses": 20}

    def compute(self, data, s):
        v = data.visits[data.visits["sat_n"].fillna(0) > 0].copy()
        if v.empty:
            return []
        link = data.by_channel[data.by_channel["channel"] == "link"].set_index("org_unit_id")
        v["ok2"], v["n2"], v["okn"] = v["sat_ok"] ** 2, v["sat_n"] ** 2, v["sat_ok"] * v["sat_n"]
        out = []
        for (cadre, grid), rows in v.groupby(["cadre_id", "org_unit_id"]):
            if grid not in link.index or len(rows) < int(s["min_responses"]):
                continue
            g = link.loc[grid]
            if int(g["responses"]) < int(s["min_responses"]):
                continue
            mine = ClusteredRate.of(len(rows), rows["sat_n"].sum(), rows["sat_ok"].sum(), rows["ok2"].sum(),
                                    rows["n2"].sum(), rows["okn"].sum())
            theirs = ClusteredRate.of(int(g["responses"]), g["sat_n"], g["sat_ok"], g["ok2"], g["n2"], g["okn"])
            d, low, high, p = difference(mine, theirs)
            if p < float(s["alpha"]) and abs(d) >= float(s["min_gap"]):
                out.append(self.flag(grid, rows["id"], **_cadre(rows), n=mine.responses,
                                     rate=f"{mine.rate:.1%}", grid_n=theirs.responses, grid_rate=f"{theirs.rate:.1%}",
                                     p=_p(p), **s))
        return out


class TooFast(Signal):
    kind, row_kind = "response_too_fast", "response"
    defaults = {"seconds_per_question": 2, "min_responses": 5}

    def compute(self, data, s):
        r = data.link_responses[data.link_responses["duration_seconds"].notna()]
        if r.empty:
            return []
        asked = pd.Series(data.questions_per_survey, dtype="float64")
        asked.index = asked.index.set_names(["survey_id", "survey_version"])
        per_row = pd.MultiIndex.from_arrays([r["survey_id"], r["survey_version"].astype(int)])
        limit = asked.reindex(per_row).fillna(0).to_numpy() * float(s["seconds_per_question"])
        fast = r[r["duration_seconds"].to_numpy() < limit]
        out = []
        for _, rows in fast.groupby([fast["link_token"].fillna(""), fast["org_unit_id"]]):
            if len(rows) >= int(s["min_responses"]):
                out.append(self.flag(_mode_unit(rows["org_unit_id"]), rows["id"], responses=len(rows),
                                     median_seconds=round(float(rows["duration_seconds"].median())), **s))
        return out


class StraightLining(Signal):
    kind, row_kind = "response_straight_lining", "response"
    defaults = {"min_items": 6, "min_responses": 5, "min_share": 0.3, "alpha": 1e-6}

    def compute(self, data, s):
        spread = data.rating_spread[data.rating_spread["items"] >= int(s["min_items"])]
        if spread.empty:
            return []
        r = data.link_responses.merge(spread, on="id")
        r["straight"] = r["all_same"].astype(bool)
        p0 = float(r["straight"].mean())
        counts = r.groupby([r["link_token"].fillna(""), r["org_unit_id"]])["straight"].agg(["sum", "size"])
        suspects = counts[(counts["sum"] >= int(s["min_responses"])) &
                          (counts["sum"] >= float(s["min_share"]) * counts["size"])]
        r = r.assign(_link=r["link_token"].fillna("")).merge(
            suspects.reset_index().rename(columns={"link_token": "_link"})[["_link", "org_unit_id"]],
            on=["_link", "org_unit_id"])
        out = []
        for _, rows in r.groupby(["_link", "org_unit_id"]):
            k, n = int(rows["straight"].sum()), len(rows)
            if k < int(s["min_responses"]) or k / n < float(s["min_share"]):
                continue
            p = binomial_sf(k, n, max(p0, 1e-6))
            if p < float(s["alpha"]):
                out.append(self.flag(_mode_unit(rows["org_unit_id"]), rows.loc[rows["straight"], "id"], same=k, n=n,
                                     baseline=f"{p0:.1%}", p=_p(p), **s))
        return out


class LinkBurst(Signal):
    kind, row_kind = "response_link_burst", "response"
    defaults = {"window_minutes": 10, "max_responses": 30}

    def compute(self, data, s):
        r = data.link_responses.assign(_link=data.link_responses["link_token"].fillna(""))
        out = []
        for burst in _bursts(r, ["_link", "org_unit_id"], "submitted_at", int(s["window_minutes"]) * 60,
                             int(s["max_responses"])):
            minutes = (burst["submitted_at"].max() - burst["submitted_at"].min()).total_seconds() / 60
            out.append(self.flag(_mode_unit(burst["org_unit_id"]), burst["id"], responses=len(burst),
                                 minutes=round(minutes), start=str(burst["submitted_at"].min()), **s))
        return out


class SameBrowser(Signal):
    """Many responses from one browser: reads the per-browser id the fill page stores, when the database has it."""

    kind, row_kind = "response_same_browser", "response"
    defaults = {"max_per_browser": 3}

    def compute(self, data, s):
        r = data.link_responses[data.link_responses["browser_id"].notna()]
        out = []
        for (_, _browser), rows in r.groupby([r["link_token"].fillna(""), "browser_id"]):
            if len(rows) > int(s["max_per_browser"]):
                out.append(self.flag(_mode_unit(rows["org_unit_id"]), rows["id"], responses=len(rows), **s))
        return out


class IdenticalTexts(Signal):
    kind, row_kind = "response_identical_texts", "response"
    defaults = {"min_length": 8, "min_count": 3, "alpha": 1e-6}

    def compute(self, data, s):
        tx = data.texts
        if tx.empty:
            return []
        per_unit = data.link_responses.groupby("org_unit_id").size()
        total = max(int(per_unit.sum()), 1)
        out = []
        for row in tx.itertuples():
            n_unit = int(per_unit.get(row.org_unit_id, 0))
            elsewhere = int(row.everywhere) - int(row.copies)
            # the copies expected in this unit if the text were as common here as in the rest of the scope
            mu = max(elsewhere, 1) / max(total - n_unit, 1) * n_unit
            p = poisson_sf(int(row.copies), mu)
            if p < float(s["alpha"]):
                out.append(self.flag(row.org_unit_id, row.ids, copies=int(row.copies), text=row.text[:40],
                                     p=_p(p), **s))
        return out


@dataclass(frozen=True)
class Gap:
    """Per unit: residents' link satisfaction against visit satisfaction, with both n and the difference's interval."""

    unit_id: int
    level: int
    link: ClusteredRate
    visit: ClusteredRate
    difference: float
    low: float
    high: float
    p: float


def gaps(data: CredibilityData, levels: Sequence[int] = (3, 4)) -> list[Gap]:
    """The gap for every grid and community inside the scope that has both link and visit responses."""
    units = data.units.set_index("id")
    ch = data.by_channel.merge(units[["path"]], left_on="org_unit_id", right_index=True)
    parts = ch["path"].str.strip("/").str.split("/")
    measures = ["responses", "sat_n", "sat_ok", "ok2", "n2", "okn"]
    rolled = []
    for level in levels:  # a path's level-th component is the unit's ancestor at that level (or itself)
        at_level = ch[parts.str.len() >= level].copy()
        at_level["unit"] = parts[parts.str.len() >= level].str[level - 1].astype(int)
        rolled.append(at_level.groupby(["unit", "channel"])[measures].sum())
    if not rolled:
        return []
    sums = pd.concat(rolled)
    out = []
    for unit_id in sorted({u for u, _ in sums.index}):
        if (unit_id, "link") not in sums.index or (unit_id, "visit") not in sums.index or unit_id not in units.index:
            continue
        link = ClusteredRate.of(*(float(x) for x in sums.loc[(unit_id, "link")]))
        visit = ClusteredRate.of(*(float(x) for x in sums.loc[(unit_id, "visit")]))
        d, low, high, p = difference(visit, link)
        out.append(Gap(int(unit_id), int(units.loc[unit_id, "level"]), link, visit, d, low, high, p))
    return out


class SatisfactionGap(Signal):
    kind, row_kind = "gap_visit_vs_link", "response"
    defaults = {"min_responses": 20, "min_gap": 0.10}

    def compute(self, data, s):
        out = []
        for g in gaps(data):
            if min(g.link.responses, g.visit.responses) < int(s["min_responses"]) or g.low <= float(s["min_gap"]):
                continue
            ids = data.response_ids_of(data.path_of(g.unit_id), "visit") if data.response_ids_of else []
            out.append(self.flag(g.unit_id, ids, visit_n=g.visit.responses, visit_rate=f"{g.visit.rate:.1%}",
                                 link_n=g.link.responses, link_rate=f"{g.link.rate:.1%}",
                                 gap=f"{g.difference:+.1%}", low=f"{g.low:+.1%}", high=f"{g.high:+.1%}",
                                 p=_p(g.p), **s))
        return out


SIGNALS: tuple[Signal, ...] = (VisitPace(), VisitHours(), BackdatedBurst(), IdenticalVisitForms(), CadreVsResidents(),
                               TooFast(), StraightLining(), LinkBurst(), SameBrowser(), IdenticalTexts(),
                               SatisfactionGap())


def run_signals(data: CredibilityData, settings: Mapping[str, Mapping[str, Any]] | None = None) -> list[NewFlag]:
    """Every signal's flags with its defaults overridden by ``settings`` (kind -> {name: value})."""
    flags: list[NewFlag] = []
    for signal in SIGNALS:
        flags.extend(signal.compute(data, signal.settings((settings or {}).get(signal.kind))))
    return flags


def check(db: Database, scope: Scope, at, settings: Mapping[str, Mapping[str, Any]] | None = None) -> int:
    """Run every signal inside ``scope`` and store the new flags; returns how many are new."""
    return store.raise_flags(db, scope, run_signals(load(db, scope, settings), settings), at)


def unit_gaps(db: Database, scope: Scope) -> list[Gap]:
    """The visit/link satisfaction gap of every grid and community inside ``scope`` (for the credibility page)."""
    empty = pd.DataFrame()
    data = CredibilityData(units=store.unit_tree(db, scope), visits=empty, link_responses=empty,
                           rating_spread=empty, texts=empty, by_channel=store.satisfaction_by_channel(db, scope),
                           questions_per_survey={})
    return gaps(data)


def reason_text(flag: store.StoredFlag | NewFlag, lang: str = "zh") -> str:
    """A flag's reason in words."""
    return t(flag.reason, lang, **flag.params)


def flags_by_unit(db: Database, scope: Scope, lang: str = "zh") -> list[dict[str, Any]]:
    """Every flag inside ``scope`` grouped by unit, as plain data (``stats --json``, reports)."""
    units: dict[str, dict[str, Any]] = {}
    for f in store.list_flags(db, scope):
        unit = units.setdefault(f.unit_code, {"unit": f.unit_code, "name": f.unit_name, "open": 0, "confirmed": 0,
                                              "dismissed": 0, "flags": []})
        unit[f.state] += 1
        unit["flags"].append({"id": f.id, "kind": f.kind, "state": f.state, "rows": f.n_rows, "row_kind": f.row_kind,
                              "reason": reason_text(f, lang), "detected_at": f.detected_at.isoformat(),
                              "decision_reason": f.decision_reason})
    return list(units.values())


@dataclass(frozen=True)
class WithAndWithout:
    """The headline satisfaction figures of a scope as stored, and without the rows behind open flags."""

    stored: Any  # storage.analytics.Figures
    responses_without: int
    rate_without: Any  # surveys.scoring.Rate


def with_and_without_open_flags(db: Database, scope: Scope) -> WithAndWithout:
    """The satisfaction rate with and without the not-yet-decided flagged rows (confirmed ones are already voided)."""
    from storage import analytics as A
    from surveys.scoring import satisfaction_rate

    stored = A.figures(db, scope, A.Filters())
    responses, items, satisfied = store.open_flag_sums(db, scope)
    return WithAndWithout(stored, stored.responses - responses,
                          satisfaction_rate(stored.rate.k - satisfied, stored.rate.n - items))
