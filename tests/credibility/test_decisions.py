"""Flags are stored once, confirmed (rows voided through the ordinary void path, audited) or dismissed, within scope."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics import credibility as C
from storage import analytics as A
from storage import audit
from storage import credibility as store
from storage.db import Scope

AT = dt.datetime(2026, 12, 1, 9, 0)
EVERYTHING = Scope.everything()


@pytest.fixture(scope="module")
def stored(planted):
    new = C.check(planted.db, EVERYTHING, AT)
    assert new > 0
    return planted


def _flag(db, kind, rows):
    return next(f for f in store.list_flags(db, EVERYTHING, "open") if f.kind == kind and set(rows) <= set(f.row_ids))


def _raw(db, channel=None, excluding=()):
    """The headline figures recomputed from the raw rows: responses, satisfied items, items (not voided)."""
    sql = "SELECT count(*), sum(sat_ok), sum(sat_n) FROM responses WHERE voided_at IS NULL"
    params: list = []
    if channel:
        sql += " AND channel = ?"
        params.append(channel)
    if excluding:
        sql += " AND id NOT IN (SELECT unnest(?::BIGINT[]))"
        params.append(list(excluding))
    n, ok, items = db.query(sql, params).first()
    return int(n), int(ok), int(items)


def _shown(db, channel=None):
    f = A.figures(db, EVERYTHING, A.Filters(channel=channel))
    return f.responses, f.rate.k, f.rate.n


def test_running_the_check_again_raises_nothing_twice(stored):
    before = len(store.list_flags(stored.db, EVERYTHING))
    assert C.check(stored.db, EVERYTHING, AT + dt.timedelta(hours=1)) == 0
    assert len(store.list_flags(stored.db, EVERYTHING)) == before


def test_confirming_a_response_flag_changes_the_figures_exactly_as_voiding_its_rows(stored):
    db = stored.db
    flag = _flag(db, "response_straight_lining", stored.straight_lined)
    expected = _raw(db, excluding=flag.row_ids)
    assert _shown(db) == _raw(db) != expected
    admin = db.query("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").single_value()
    voided = store.confirm_flag(db, EVERYTHING, flag.id, actor_id=admin, reason="同一人代填", at=AT)
    assert voided == len(flag.row_ids)
    assert _shown(db) == expected == _raw(db)
    kept = db.query("SELECT void_reason FROM responses WHERE id IN (SELECT unnest(?::BIGINT[]))",
                    [list(flag.row_ids)]).rows
    assert len(kept) == len(flag.row_ids)  # voided, not removed
    assert all(f"flag {flag.id}" in r[0] and f"user {admin}" in r[0] and "同一人代填" in r[0] for r in kept)
    decided = store.get_flag(db, EVERYTHING, flag.id)
    assert (decided.state, decided.decided_by, decided.decision_reason) == ("confirmed", admin, "同一人代填")
    entry = audit.recent(db, EVERYTHING, action_prefix="credibility.")[0]
    assert entry.action == "credibility.confirm" and entry.target == f"flag:{flag.id}"
    assert entry.detail["voided_responses"] == voided
    with pytest.raises(ValueError):
        store.confirm_flag(db, EVERYTHING, flag.id, actor_id=admin, reason="again", at=AT)


def test_confirming_a_visit_flag_voids_the_visits_form_responses(stored):
    db = stored.db
    flag = _flag(db, "visit_backdated", stored.backdated_visits)
    forms = [r[0] for r in db.query("SELECT response_id FROM visits WHERE id IN (SELECT unnest(?::BIGINT[]))",
                                    [list(flag.row_ids)]).rows]
    expected = _raw(db, "visit", excluding=forms)
    assert _shown(db, "visit") != expected
    admin = db.query("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").single_value()
    assert store.confirm_flag(db, EVERYTHING, flag.id, actor_id=admin, reason="补录不实", at=AT) == len(forms)
    assert _shown(db, "visit") == expected == _raw(db, "visit")


def test_dismissing_a_flag_keeps_its_rows_and_records_why(stored):
    db = stored.db
    flag = _flag(db, "response_identical_texts", stored.copied_texts)
    before = _raw(db)
    admin = db.query("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").single_value()
    assert store.dismiss_flag(db, EVERYTHING, flag.id, actor_id=admin, reason="社区统一宣传语", at=AT)
    assert _raw(db) == before
    assert store.get_flag(db, EVERYTHING, flag.id).state == "dismissed"
    assert audit.recent(db, EVERYTHING, action_prefix="credibility.")[0].action == "credibility.dismiss"
    assert not store.dismiss_flag(db, EVERYTHING, flag.id, actor_id=admin, reason="again", at=AT)
    assert C.check(db, EVERYTHING, AT) == 0  # a dismissed flag is not raised again


def test_a_town_sees_and_decides_only_its_own_flags(stored):
    db = stored.db
    towns = db.query("SELECT id, path FROM org_units WHERE level = 2 ORDER BY id").rows
    gap_path = db.query("SELECT path FROM org_units WHERE id = ?", [stored.gap_grid]).single_value()
    own = next(Scope(p) for _, p in towns if gap_path.startswith(p))
    other = next(Scope(p) for _, p in towns if not gap_path.startswith(p))
    flag = next(f for f in store.list_flags(db, EVERYTHING, "open") if f.org_unit_id == stored.gap_grid)
    assert flag.id in {f.id for f in store.list_flags(db, own)}
    assert flag.id not in {f.id for f in store.list_flags(db, other)}
    assert store.flag_rows(db, other, flag.id) == [] and store.get_flag(db, other, flag.id) is None
    with pytest.raises(LookupError):
        store.confirm_flag(db, other, flag.id, actor_id=1, reason="越权", at=AT)
    assert not store.dismiss_flag(db, other, flag.id, actor_id=1, reason="越权", at=AT)
    assert store.get_flag(db, EVERYTHING, flag.id).state == "open"
    assert len(store.flag_rows(db, own, flag.id)) == flag.n_rows


def test_the_figures_without_open_flags_equal_a_recount_without_their_rows(stored):
    db = stored.db
    both = C.with_and_without_open_flags(db, EVERYTHING)
    open_rows = set()
    for f in store.list_flags(db, EVERYTHING, "open"):
        if f.row_kind == "response":
            open_rows |= set(f.row_ids)
        else:
            open_rows |= {r[0] for r in db.query("SELECT response_id FROM visits WHERE response_id IS NOT NULL AND id IN "
                                                 "(SELECT unnest(?::BIGINT[]))", [list(f.row_ids)]).rows}
    n, ok, items = _raw(db, excluding=open_rows)
    assert (both.responses_without, both.rate_without.k, both.rate_without.n) == (n, ok, items)
    assert (both.stored.responses, both.stored.rate.k, both.stored.rate.n) == _raw(db)
    assert both.responses_without < both.stored.responses
