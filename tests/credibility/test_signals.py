"""Planted patterns in the demo district are each flagged with their reason; the honest district produces few flags."""

from __future__ import annotations

import pytest

from analytics import credibility as C
from i18n import t
from storage.db import Scope


@pytest.fixture(scope="module")
def planted_flags(planted):
    return C.run_signals(C.load(planted.db, Scope.everything()))


def flags_holding(flags, kind, row_ids):
    """The flags of ``kind`` whose rows include every one of ``row_ids``."""
    return [f for f in flags if f.kind == kind and set(row_ids) <= set(f.row_ids)]


def test_a_fabricated_burst_of_visits_is_flagged_for_its_pace_and_its_identical_forms(planted, planted_flags):
    pace = flags_holding(planted_flags, "visit_pace", planted.burst_visits)
    assert len(pace) == 1
    assert pace[0].org_unit_id == planted.grid_of["burst"]
    assert pace[0].params["visits"] >= 12 and pace[0].params["minutes"] <= 30
    reason = t(pace[0].reason, "zh", **pace[0].params)
    assert f"{pace[0].params['visits']} 次走访" in reason and "分钟内" in reason
    same = flags_holding(planted_flags, "visit_identical_forms", planted.burst_visits)
    assert len(same) == 1 and same[0].params["same"] >= 12
    assert "写了相同的记录：已走访，群众满意" in t(same[0].reason, "zh", **same[0].params)


def test_visits_typed_in_just_before_the_deadline_are_flagged_as_back_dated(planted, planted_flags):
    late = flags_holding(planted_flags, "visit_backdated", planted.backdated_visits)
    assert len(late) == 1
    assert set(late[0].row_ids) == set(planted.backdated_visits)
    assert late[0].params["typed"] == "2026-12-29"
    assert "补录了 14 次走访" in t(late[0].reason, "zh", **late[0].params)


def test_straight_lined_answers_on_one_link_are_flagged_against_the_district_rate(planted, planted_flags):
    straight = flags_holding(planted_flags, "response_straight_lining", planted.straight_lined)
    assert len(straight) == 1
    assert set(straight[0].row_ids) == set(planted.straight_lined)
    assert float(straight[0].params["p"]) < 1e-4
    assert "12 份评分全部相同" in t(straight[0].reason, "zh", **straight[0].params)


def test_a_short_burst_from_one_browser_is_flagged_as_a_burst_too_fast_and_one_browser(planted, planted_flags):
    for kind in ("response_link_burst", "response_too_fast", "response_same_browser"):
        found = flags_holding(planted_flags, kind, planted.fast_burst)
        assert len(found) == 1, kind
        assert set(found[0].row_ids) == set(planted.fast_burst), kind
        assert found[0].org_unit_id == planted.grid_of["fast"]
    fast = flags_holding(planted_flags, "response_too_fast", planted.fast_burst)[0]
    assert "40 份答卷用时过短" in t(fast.reason, "zh", **fast.params)


def test_the_same_free_text_copied_into_one_grid_is_flagged(planted, planted_flags):
    copied = flags_holding(planted_flags, "response_identical_texts", planted.copied_texts)
    assert len(copied) == 1 and copied[0].params["copies"] == 6


def test_a_grid_whose_visits_are_far_rosier_than_its_residents_is_flagged_with_both_n_and_an_interval(
        planted, planted_flags):
    gap = [f for f in planted_flags if f.kind == "gap_visit_vs_link" and f.org_unit_id == planted.gap_grid]
    assert len(gap) == 1
    params = gap[0].params
    assert params["visit_n"] >= 30 and params["link_n"] >= 30
    assert float(params["low"].rstrip("%")) / 100 > 0.10
    assert set(planted.gap_visit_responses) == set(gap[0].row_ids)
    reason = t(gap[0].reason, "zh", **params)
    assert "95% 区间" in reason and f"n = {params['link_n']}" in reason
    cadre = [f for f in planted_flags if f.kind == "visit_cadre_distribution" and f.org_unit_id == planted.gap_grid]
    assert len(cadre) == 1 and float(cadre[0].params["p"]) < 0.001


def test_the_gap_figure_recomputes_from_the_raw_rows(planted):
    data = C.load(planted.db, Scope.everything())
    gap = next(g for g in C.gaps(data) if g.unit_id == planted.gap_grid)
    rows = planted.db.query("""SELECT channel, count(*), sum(sat_n), sum(sat_ok) FROM responses
                               WHERE org_unit_id = ? AND voided_at IS NULL AND sat_n > 0 GROUP BY 1""",
                            [planted.gap_grid]).rows
    raw = {r[0]: (r[1], r[2], r[3]) for r in rows}
    assert (gap.link.responses, gap.link.items, gap.link.satisfied) == raw["link"]
    assert (gap.visit.responses, gap.visit.items, gap.visit.satisfied) == raw["visit"]
    assert gap.low < gap.difference < gap.high


def test_the_honest_demo_district_produces_few_flags(honest_db):
    data = C.load(honest_db, Scope.everything())
    flags = C.run_signals(data)
    flagged = {(f.row_kind, i) for f in flags for i in f.row_ids}
    rows = len(data.visits) + len(data.link_responses)
    assert len(flagged) / rows < 0.01, [(f.kind, f.params) for f in flags]
    assert len(flags) <= 5, [(f.kind, f.params) for f in flags]


@pytest.mark.parametrize("signal", C.SIGNALS, ids=lambda s: s.kind)
def test_every_signal_explains_itself_in_both_languages_with_its_settings(signal):
    settings = signal.settings()
    for lang in ("zh", "en"):
        text = signal.explain(settings, lang)
        assert not text.startswith("cred.") and "{" not in text
    first = next(iter(signal.defaults))
    changed = signal.settings({first: 987})
    assert "987" in signal.explain(changed, "zh")


def test_a_setting_changes_what_is_flagged(planted):
    data = C.load(planted.db, Scope.everything())
    pace = C.VisitPace()
    assert flags_holding(pace.compute(data, pace.settings()), "visit_pace", planted.burst_visits)
    assert not flags_holding(pace.compute(data, pace.settings({"max_visits": 40})), "visit_pace",
                             planted.burst_visits)
