"""Storage calls refuse ids of another subtree before anything else (issue 20 item 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldwork.registry import HouseholdRecord
from storage import households
from storage import visits as visit_store
from storage.db import Scope


def test_a_household_import_cannot_put_households_in_a_grid_outside_the_importers_area(world):
    town1 = world.tree.unit("T1").scope
    foreign_grid = world.tree.unit("T2C1G1")
    before = world.db.query("SELECT count(*) FROM households").single_value()
    with pytest.raises(households.GridsOutOfScope) as refused:
        households.upsert_households(world.db, town1, [
            HouseholdRecord(row=2, code="HX1", head_name="外来", phone=None, address="x", grid_id=foreign_grid.id,
                            members=1, tags=())])
    assert refused.value.codes == ["HX1"]
    assert world.db.query("SELECT count(*) FROM households").single_value() == before
    # an existing household of town 1 may not be moved into town 2 either
    with pytest.raises(households.HouseholdsOutOfScope):
        households.upsert_households(world.db, town1, [
            HouseholdRecord(row=2, code="H101", head_name="张三明", phone=None, address="x", grid_id=foreign_grid.id,
                            members=1, tags=())])
    grid = world.db.query("SELECT g.code FROM households h JOIN org_units g ON g.id = h.grid_id WHERE h.code = 'H101'")
    assert grid.single_value() == "T1C1G1"


def test_a_known_visit_key_from_another_area_reveals_nothing(world):
    at = dt.datetime(2026, 11, 10, 10, 0)
    town2_cadre = Scope(world.tree.unit("T2C1G1").path)
    saved = visit_store.record_visit(world.db, town2_cadre, visit_store.NewVisit(
        "key-town2", world.hh["H301"], 1, at, "not_home"))
    # a cadre of town 1 replays that key (with one of their own households): refused, no ids handed back
    with pytest.raises(visit_store.VisitRefused):
        visit_store.record_visit(world.db, world.cadre1.scope, visit_store.NewVisit(
            "key-town2", world.hh["H101"], world.cadre1.user_id, at, "not_home"))
    with pytest.raises(visit_store.VisitRefused):
        visit_store.record_visit(world.db, world.cadre1.scope, visit_store.NewVisit(
            "key-town2", world.hh["H301"], world.cadre1.user_id, at, "not_home"))
    # the owner's own retry still answers with the stored visit
    again = visit_store.record_visit(world.db, town2_cadre, visit_store.NewVisit(
        "key-town2", world.hh["H301"], 1, at, "not_home"))
    assert (again.visit_id, again.created) == (saved.visit_id, False)
