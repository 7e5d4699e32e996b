"""`stats --json` lists the stored credibility flags per unit of the unit's subtree."""

from __future__ import annotations

import datetime as dt
import json

from analytics import credibility as C
from storage.db import Scope
from tests.credibility.conftest import demo_database, plant_patterns


def test_stats_json_lists_flags_per_unit(tmp_path, monkeypatch, capsys):
    from cli.main import main

    path = tmp_path / "cli.duckdb"
    db = demo_database(path)
    planted = plant_patterns(db)
    assert C.check(db, Scope.everything(), dt.datetime(2026, 12, 1)) > 0
    gap_unit = db.query("SELECT code, path FROM org_units WHERE id = ?", [planted.gap_grid]).first()
    town = db.query("SELECT code FROM org_units WHERE level = 2 AND ? LIKE path || '%'", [gap_unit[1]]).single_value()
    other = db.query("SELECT code FROM org_units WHERE level = 2 AND NOT ? LIKE path || '%' ORDER BY code LIMIT 1",
                     [gap_unit[1]]).single_value()
    stored = {f.unit_code: f for f in C.store.list_flags(db, Scope.everything())}
    db.close()
    monkeypatch.setenv("MINYI_DB", str(path))
    assert main(["stats", "--json"]) == 0
    units = {u["unit"]: u for u in json.loads(capsys.readouterr().out)["credibility_flags"]}
    assert set(units) == set(stored)
    gap = units[gap_unit[0]]
    assert gap["open"] >= 2 and {"gap_visit_vs_link", "visit_cadre_distribution"} <= {f["kind"] for f in gap["flags"]}
    assert any("95% 区间" in f["reason"] for f in gap["flags"])
    assert main(["stats", "--json", "--unit", town]) == 0
    assert gap_unit[0] in {u["unit"] for u in json.loads(capsys.readouterr().out)["credibility_flags"]}
    assert main(["stats", "--json", "--unit", other]) == 0
    assert gap_unit[0] not in {u["unit"] for u in json.loads(capsys.readouterr().out)["credibility_flags"]}
