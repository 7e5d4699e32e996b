"""Fixtures for field-work tests: a district with households, a campaign and staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from auth.principal import Principal
from tests.conftest import Tree, build_tree, make_principal
from fieldwork import registry
from storage import campaigns, households
from storage.db import Database, Scope

CAMPAIGN_START = dt.date(2026, 11, 1)
CAMPAIGN_END = dt.date(2026, 12, 31)


@dataclass
class World:
    db: Database
    tree: Tree
    campaign_id: int
    cadre1: Principal  # grid T1C1G1
    cadre2: Principal  # grid T1C1G2
    leader: Principal  # town T1
    admin: Principal  # district
    hh: dict[str, int]  # code -> id


def registry_csv(rows: list[tuple], header: str = "户编号,户主姓名,联系电话,地址,所属网格,家庭人口,标签") -> str:
    return header + "\n" + "\n".join(",".join(str(c) for c in r) for r in rows) + "\n"


def live_window() -> tuple[dt.date, dt.date]:
    """A window holding both the fixed November 2026 dates the tests use and today (for pages that save now())."""
    today = dt.date.today()
    return min(CAMPAIGN_START, today - dt.timedelta(days=30)), max(CAMPAIGN_END, today + dt.timedelta(days=30))


def seed_world(db: Database, tree: Tree | None = None,
               window: tuple[dt.date, dt.date] = (CAMPAIGN_START, CAMPAIGN_END)) -> World:
    tree = tree or build_tree(db)
    rows = [
        ("H101", "张三明", "13812345678", "幸福路1号", "T1C1G1", 3, "低保户"),
        ("H102", "李四", "13900001111", "幸福路2号", "T1C1G1", 2, ""),
        ("H103", "王小五", "", "幸福路3号", "T1C1G1", 1, "独居老人"),
        ("H201", "赵六", "13700002222", "和平路1号", "T1C1G2", 4, ""),
        ("H301", "孙七", "13600003333", "光明路1号", "T2C1G1", 2, ""),
    ]
    data = registry_csv(rows).encode("utf-8")
    parse = registry.parse_households(data, "r.csv", registry.GridLookup.of(households.grids(db, Scope.everything())))
    assert parse.ok, parse.errors
    households.upsert_households(db, Scope.everything(), parse.records)
    cid = campaigns.create_campaign(db, Scope.everything(), name="2026年冬季大走访", unit_ids=[tree.district.id],
                                    starts_on=window[0], ends_on=window[1])
    hh = {r[0]: int(r[1]) for r in db.query("SELECT code, id FROM households").rows}
    return World(db, tree, cid,
                 make_principal(db, "cadre1", "cadre", tree.unit("T1C1G1")),
                 make_principal(db, "cadre2", "cadre", tree.unit("T1C1G2")),
                 make_principal(db, "leader1", "leader", tree.unit("T1")),
                 make_principal(db, "admin1", "admin", tree.district), hh)


@pytest.fixture
def world(db: Database, tree: Tree) -> World:
    return seed_world(db, tree)


@pytest.fixture
def app_world(app_db: Database) -> World:
    """The same district in the file database that AppTest page runs open."""
    return seed_world(app_db, window=live_window())
