"""A small dataset with known answers for the dashboard tests, and plain-Python recomputation of every figure."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.survey_catalog import install_templates, survey_version
from storage import responses as response_store
from storage.db import Database
from surveys import answer_rows, satisfaction_summary, validate_answers

SURVEY = "qunzhong_manyidu"
TODAY = dt.date(2026, 11, 20)
RATINGS = ("env_sanitation", "public_security", "service_efficiency", "dispute_resolution", "practical_deeds",
           "cadre_conduct")
MATRIX_ROWS = ("elderly_care", "medical_care", "education", "employment", "culture_sports")
SUGGESTIONS = ("希望小区加装电梯", "路灯经常不亮，晚上出行不方便", "垃圾清运不及时，夏天有异味", "停车位太少",
               "=HYPERLINK(\"http://x\")", "感谢网格员的耐心帮助")


@dataclass
class Stored:
    """One response as inserted: what a test recomputes figures from."""

    id: int
    unit_id: int
    unit_path: str
    day: dt.date
    channel: str
    version: int
    clean: dict[str, Any]
    voided: bool = False


@dataclass
class Dataset:
    db: Database
    tree: Any
    rows: list[Stored] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def add(self, unit, day: dt.date, channel: str = "link", clean: dict[str, Any] | None = None,
            version: int = 1) -> Stored:
        survey, _ = survey_version(self.db, SURVEY, version)
        clean = clean if clean is not None else random_answers(self.rng)
        check = validate_answers(survey, clean)
        assert check.ok, check.errors
        score = satisfaction_summary(survey, check.clean)
        at = dt.datetime.combine(day, dt.time(10 + self.rng.randrange(0, 10), self.rng.randrange(0, 60)))
        result = response_store.write_response(self.db, response_store.NewResponse(
            client_key=str(uuid.uuid4()), survey_id=SURVEY, survey_version=version, org_unit_id=unit.id,
            channel=channel, submitted_at=at, answers=answer_rows(survey, check.clean), sat_n=score.sat_n,
            sat_ok=score.sat_ok, sat_index_sum=score.sat_index_sum, nps_score=score.nps))
        stored = Stored(result.response_id, unit.id, unit.path, day, channel, version, dict(check.clean))
        self.rows.append(stored)
        return stored

    def void(self, stored: Stored) -> None:
        from storage.db import Scope

        assert response_store.void_response(self.db, stored.id, "test", Scope.everything(), dt.datetime(2026, 11, 20))
        stored.voided = True


def random_answers(rng: random.Random) -> dict[str, Any]:
    """A plausible response: hidden questions only when shown, optional ones sometimes skipped."""
    overall = rng.choice([1, 2, 3, 3, 4, 4, 5, 5, 5])
    answers: dict[str, Any] = {"overall": overall}
    if overall <= 2:
        answers["dissatisfied_reasons"] = rng.sample(["slow_response", "attitude", "environment"], rng.randint(1, 2))
    for qid in RATINGS:
        answers[qid] = rng.choice([1, 2, 3, 3, 4, 4, 4, 5, 5])
    rows = {r: rng.randint(1, 5) for r in MATRIX_ROWS if rng.random() < 0.7}  # some rows skipped
    if rows:
        answers["livelihood"] = rows
    if rng.random() < 0.5:
        answers["reported_problem"] = rng.choice(["yes", "no"])
        if answers["reported_problem"] == "yes":
            answers["handling_result"] = rng.randint(1, 5)
    if rng.random() < 0.8:
        answers["recommend"] = rng.randint(0, 10)
    if rng.random() < 0.3:
        answers["suggestions"] = rng.choice(SUGGESTIONS)
    return answers


@pytest.fixture
def dataset(db: Database, tree) -> Dataset:
    """~240 responses over 20 days in the eight grids (T2C2G2 gets only 2), some voided, three channels."""
    install_templates(db)
    data = Dataset(db, tree)
    weights = {"T1C1G1": 40, "T1C1G2": 35, "T1C2G1": 45, "T1C2G2": 30, "T2C1G1": 40, "T2C1G2": 25, "T2C2G1": 30,
               "T2C2G2": 2}
    for code, count in weights.items():
        for _ in range(count):
            day = TODAY - dt.timedelta(days=data.rng.randrange(0, 20))
            data.add(tree.unit(code), day, data.rng.choice(["link", "link", "visit", "import"]))
    data.add(tree.unit("T1"), TODAY, "link")  # a response attributed to a town itself, not to a grid
    for stored in data.rng.sample(data.rows, 9):
        data.void(stored)
    return data


# --- independent recomputation (plain Python over the inserted rows) ------------------------------


def items(clean: dict[str, Any]) -> list[int]:
    """The satisfaction items of one response: the counted ratings (hidden ones only when answered) and matrix rows."""
    values = [clean["overall"]] + [clean[q] for q in RATINGS]
    if "handling_result" in clean:
        values.append(clean["handling_result"])
    values += list(clean.get("livelihood", {}).values())
    return values


@dataclass
class Expected:
    responses: int
    k: int
    n: int
    index: float | None
    nps_promoters: int
    nps_detractors: int
    nps_n: int

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None


def expected(rows: Iterable[Stored], keep: Callable[[Stored], bool] = lambda s: True) -> Expected:
    chosen = [s for s in rows if not s.voided and keep(s)]
    values = [v for s in chosen for v in items(s.clean)]
    nps_values = [s.clean["recommend"] for s in chosen if "recommend" in s.clean]
    return Expected(
        responses=len(chosen), k=sum(1 for v in values if v >= 3), n=len(values),
        index=sum((v - 1) / 4 * 100 for v in values) / len(values) if values else None,
        nps_promoters=sum(1 for v in nps_values if v >= 9), nps_detractors=sum(1 for v in nps_values if v <= 6),
        nps_n=len(nps_values),
    )


def wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.96
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def assert_figures(fig, exp: Expected) -> None:
    """Compare storage.analytics.Figures with the recomputation exactly (floats to 1e-9)."""
    assert fig.responses == exp.responses
    assert (fig.rate.k, fig.rate.n) == (exp.k, exp.n)
    if exp.n:
        assert fig.rate.value == pytest.approx(exp.rate, abs=1e-12)
        low, high = wilson(exp.k, exp.n)
        assert fig.rate.low == pytest.approx(max(0.0, low), abs=1e-12)
        assert fig.rate.high == pytest.approx(min(1.0, high), abs=1e-12)
        assert fig.index == pytest.approx(exp.index, abs=1e-9)
    else:
        assert fig.rate.value is None and fig.index is None
    assert (fig.nps.promoters, fig.nps.detractors, fig.nps.n) == (exp.nps_promoters, exp.nps_detractors, exp.nps_n)
