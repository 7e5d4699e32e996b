"""Coverage, the two worklists, the problem workflow, due dates, masking, visits and access — as unit tests."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics import problem_table
from fieldwork import problems as workflow
from fieldwork import rules
from fieldwork.masking import mask_name, mask_phone
from storage import campaigns, problems, visits, worklists
from storage.analytics import Filters
from storage.db import Scope
from storage.responses import NewResponse

ALL = Scope.everything()
D = dt.datetime


def _visit(w, code, at, outcome="met", *, who=None, key=None, **kw):
    who = who or (w.cadre1 if code.startswith("H1") else w.cadre2 if code.startswith("H2") else w.admin)
    return visits.record_visit(w.db, who.scope, visits.NewVisit(
        key or f"{code}-{at.isoformat()}", w.hh[code], who.user_id, at, outcome, campaign_id=w.campaign_id, **kw))


def _response(key, sat_n, sat_ok):
    return NewResponse(key, "ruhu_zoufang", 1, 0, "visit", D(2026, 11, 5), sat_n=sat_n, sat_ok=sat_ok)


# --- pure rules -------------------------------------------------------------------------

def test_masking():
    assert mask_name("张三明") == "张*明" and mask_name("李四") == "李*" and mask_name("欧阳娜娜") == "欧**娜"
    assert mask_phone("13812345678") == "138****5678" and mask_phone("0571-88123456") == "0571-****3456"
    assert mask_name("") == "" and mask_phone(None) == ""


def test_due_date_is_fifteen_working_days_skipping_weekends_and_holidays():
    assert rules.due_on(D(2026, 11, 20, 10)) == dt.date(2026, 12, 11)  # Fri + 3 weeks
    assert rules.due_on(dt.date(2026, 11, 21)) == dt.date(2026, 12, 11)  # Sat: counting starts Monday
    holidays = rules.parse_holidays("2026-12-01, 2026-12-02 bad")
    assert holidays == {dt.date(2026, 12, 1), dt.date(2026, 12, 2)}
    assert rules.due_on(D(2026, 11, 20), holidays) == dt.date(2026, 12, 15)


ALLOWED = [
    ("new", "assign", "assigned"), ("assigned", "assign", "assigned"), ("assigned", "start", "in_progress"),
    ("in_progress", "resolve", "resolved"), ("assigned", "reject", "new"), ("resolved", "reopen", "in_progress"),
]


@pytest.mark.parametrize("state,action,to", ALLOWED)
def test_allowed_transitions(state, action, to):
    step = workflow.plan_transition(state, action, reason="原因", has_assignee=True)
    assert (step.from_state, step.to_state) == (state, to)


@pytest.mark.parametrize("state", workflow.STATES)
@pytest.mark.parametrize("action", list(workflow.ACTIONS))
def test_every_other_transition_is_refused(state, action):
    if (state, action) in {(s, a) for s, a, _ in ALLOWED} or (state, action) == ("resolved", "confirm"):
        return
    with pytest.raises(workflow.TransitionError) as err:
        workflow.plan_transition(state, action, reason="x", has_assignee=True, satisfaction=5, on_return_visit=True)
    assert err.value.code == "problems.err.not_allowed"


def test_confirmation_rules():
    close = workflow.plan_transition("resolved", "confirm", satisfaction=3, on_return_visit=True)
    assert (close.action, close.to_state) == ("close", "closed") and "基本满意" in close.note
    back = workflow.plan_transition("resolved", "confirm", satisfaction=2, on_return_visit=True)
    assert (back.action, back.to_state) == ("reopen", "in_progress")
    for kwargs, code in [({"satisfaction": 5}, "problems.err.confirm_needs_visit"),
                         ({"on_return_visit": True}, "problems.err.satisfaction_required"),
                         ({"on_return_visit": True, "satisfaction": 7}, "problems.err.satisfaction_required")]:
        with pytest.raises(workflow.TransitionError) as err:
            workflow.plan_transition("resolved", "confirm", **kwargs)
        assert err.value.code == code
    for state, action in [("assigned", "reject"), ("resolved", "reopen")]:
        with pytest.raises(workflow.TransitionError) as err:
            workflow.plan_transition(state, action, reason="  ")
        assert err.value.code == "problems.err.reason_required"
    with pytest.raises(workflow.TransitionError) as err:
        workflow.plan_transition("new", "assign")
    assert err.value.code == "problems.err.assignee_required"


# --- coverage and worklists ------------------------------------------------------------------

def test_coverage_counts_covering_outcomes_in_the_window(world):
    w = world
    _visit(w, "H101", D(2026, 11, 3, 9), "not_home")
    _visit(w, "H101", D(2026, 11, 6, 9), "met")
    _visit(w, "H102", D(2026, 11, 4, 9), "refused")
    _visit(w, "H201", D(2026, 11, 5, 9), "vacant")
    _visit(w, "H301", D(2026, 10, 30, 9), "met")  # before the window: not coverage
    assert worklists.coverage(w.db, ALL, w.campaign_id) == [worklists.CoverageRow(None, None, None, 5, 1, 2)]
    by_town = worklists.coverage(w.db, ALL, w.campaign_id, group_level=2)
    assert [(r.unit_code, r.households, r.covered, r.attempted) for r in by_town] == [("T1", 4, 1, 2), ("T2", 1, 0, 0)]
    by_grid = worklists.coverage(w.db, w.leader.scope, w.campaign_id, group_level=4)
    assert [(r.unit_code, r.households, r.covered) for r in by_grid] == [
        ("T1C1G1", 3, 1), ("T1C1G2", 1, 0), ("T1C2G1", 0, 0), ("T1C2G2", 0, 0)]
    # a campaign that also counts vacant homes as covered
    cid = campaigns.create_campaign(w.db, ALL, name="b", unit_ids=[w.tree.unit("T1").id], starts_on=dt.date(2026, 11, 1),
                                    ends_on=dt.date(2026, 11, 30), covering_outcomes=["met", "vacant"])
    assert worklists.coverage(w.db, ALL, cid) == [worklists.CoverageRow(None, None, None, 4, 2, 1)]
    assert worklists.coverage(w.db, ALL, cid, group_level=1)[0].households == 4


def test_make_up_list_oldest_attempt_first_with_attempts(world):
    w = world
    _visit(w, "H101", D(2026, 11, 10, 9), "not_home")
    _visit(w, "H101", D(2026, 11, 12, 9), "refused")
    _visit(w, "H102", D(2026, 11, 8, 9), "not_home")
    _visit(w, "H201", D(2026, 11, 9, 9), "met")
    items = worklists.make_up_visits(w.db, ALL, w.campaign_id)
    assert [(i.code, i.attempts, i.last_outcome) for i in items] == [
        ("H103", 0, None), ("H301", 0, None), ("H102", 1, "not_home"), ("H101", 2, "refused")]
    assert [i.code for i in worklists.make_up_visits(w.db, ALL, w.campaign_id, limit=2, offset=1)] == ["H301", "H102"]
    assert [i.code for i in worklists.make_up_visits(w.db, w.cadre1.scope, w.campaign_id)] == ["H103", "H102", "H101"]
    assert worklists.worklist_counts(w.db, ALL, w.campaign_id).make_up == 4


def test_return_list_problem_dissatisfaction_follow_up_and_their_clearing(world):
    w = world
    _visit(w, "H101", D(2026, 11, 2, 9), problems=[problems.NewProblem("p1", "治安", "门禁坏", "urgent")])
    _visit(w, "H102", D(2026, 11, 3, 9), response=_response("r2", 2, 1))  # one item below 基本满意
    _visit(w, "H103", D(2026, 11, 3, 9), follow_up=True)
    _visit(w, "H201", D(2026, 11, 3, 9), response=_response("r4", 2, 2))  # satisfied
    _visit(w, "H301", D(2026, 11, 2, 9), problems=[problems.NewProblem("p5", "住房", "漏雨", "low")])
    items = worklists.return_visits(w.db, ALL, w.campaign_id)
    assert [(i.code, i.open_problems, i.dissatisfied, i.follow_up, i.due_on, i.urgency) for i in items] == [
        ("H101", 1, False, False, dt.date(2026, 11, 23), "urgent"),
        ("H301", 1, False, False, dt.date(2026, 11, 23), "low"),
        ("H102", 0, True, False, dt.date(2026, 11, 24), "normal"),
        ("H103", 0, False, True, dt.date(2026, 11, 24), "normal"),
    ]
    assert worklists.worklist_counts(w.db, ALL, w.campaign_id).return_visits == 4
    # a return visit clears dissatisfaction and follow-up; an open problem stays until closed
    _visit(w, "H102", D(2026, 11, 10, 9), is_return_visit=True)
    _visit(w, "H103", D(2026, 11, 10, 9), is_return_visit=True)
    _visit(w, "H101", D(2026, 11, 10, 9), is_return_visit=True)
    assert [i.code for i in worklists.return_visits(w.db, ALL, None)] == ["H101", "H301"]
    assert [i.code for i in worklists.return_visits(w.db, w.cadre1.scope, w.campaign_id)] == ["H101"]


def test_problem_lifecycle_to_closed_and_reopened_on_dissatisfaction(world):
    w = world
    pid = _visit(w, "H101", D(2026, 11, 2, 9), problems=[problems.NewProblem("p1", "治安", "门禁坏")]).problem_ids[0]
    assert problems.get_problem(w.db, ALL, pid).due_on == dt.date(2026, 11, 23)
    problems.transition(w.db, w.leader.scope, pid, "assign", actor_id=w.leader.user_id, assignee_user_id=w.cadre1.user_id)
    problems.transition(w.db, w.cadre1.scope, pid, "start", actor_id=w.cadre1.user_id)
    problems.transition(w.db, w.cadre1.scope, pid, "resolve", actor_id=w.cadre1.user_id)
    with pytest.raises(visits.VisitRefused):  # confirmation only on a return visit
        _visit(w, "H101", D(2026, 11, 20, 9), confirmations=[visits.Confirmation(pid, 5)])
    _visit(w, "H101", D(2026, 11, 20, 9), is_return_visit=True, confirmations=[visits.Confirmation(pid, 2)])
    assert problems.get_problem(w.db, ALL, pid).state == "in_progress"
    problems.transition(w.db, w.cadre1.scope, pid, "resolve", actor_id=w.cadre1.user_id)
    _visit(w, "H101", D(2026, 11, 25, 9), is_return_visit=True, confirmations=[visits.Confirmation(pid, 4)])
    p = problems.get_problem(w.db, ALL, pid)
    assert (p.state, p.resolution_satisfaction, p.closed_at) == ("closed", 4, D(2026, 11, 25, 9))
    assert [(e.action, e.from_state, e.to_state) for e in problems.history(w.db, ALL, pid)] == [
        ("create", None, "new"), ("assign", "new", "assigned"), ("start", "assigned", "in_progress"),
        ("resolve", "in_progress", "resolved"), ("reopen", "resolved", "in_progress"),
        ("resolve", "in_progress", "resolved"), ("close", "resolved", "closed")]
    assert worklists.return_visits(w.db, ALL, w.campaign_id) == []
    with pytest.raises(workflow.TransitionError):
        problems.transition(w.db, ALL, pid, "reopen", actor_id=None, reason="x")


def _summary(db, scope):
    return problem_table.problem_figures(db, scope, Filters(), None, dt.date(2026, 11, 28)).summary


def test_problem_summary(world):
    w = world
    a = _visit(w, "H101", D(2026, 11, 2, 9), problems=[problems.NewProblem("a", "治安", "x")]).problem_ids[0]
    _visit(w, "H102", D(2026, 11, 20, 9), problems=[problems.NewProblem("b", "治安", "y")])
    _visit(w, "H301", D(2026, 11, 2, 9), problems=[problems.NewProblem("c", "住房", "z")])
    problems.transition(w.db, ALL, a, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
    problems.transition(w.db, ALL, a, "start", actor_id=None)
    problems.transition(w.db, ALL, a, "resolve", actor_id=None)
    _visit(w, "H101", D(2026, 11, 5, 21), is_return_visit=True, confirmations=[visits.Confirmation(a, 5)])
    s = _summary(w.db, ALL)
    assert s.by_state == {"new": 2, "assigned": 0, "in_progress": 0, "resolved": 0, "closed": 1}
    assert (s.open, s.overdue, s.resolved, s.total, s.median_days_to_close) == (2, 1, 1, 3, 3.5)
    # the list's overdue filter agrees with the summary: in hand and past due (c, raised 2 Nov, due 23 Nov)
    late = problems.list_problems(w.db, ALL, overdue_on=dt.date(2026, 11, 28))
    assert [(p.household_code, p.category) for p in late] == [("H301", "住房")]
    s1 = _summary(w.db, w.leader.scope)
    assert (s1.total, s1.overdue) == (2, 0)


def test_bulk_assign_is_all_or_nothing(world):
    w = world
    a = _visit(w, "H101", D(2026, 11, 2, 9), problems=[problems.NewProblem("a", "治安", "x")]).problem_ids[0]
    c = _visit(w, "H301", D(2026, 11, 2, 9), problems=[problems.NewProblem("c", "住房", "z")]).problem_ids[0]
    with pytest.raises(workflow.TransitionError):  # c lies outside the leader's town
        problems.assign_many(w.db, w.leader.scope, [a, c], actor_id=w.leader.user_id, assignee_user_id=w.cadre1.user_id)
    assert problems.get_problem(w.db, ALL, a).state == "new"
    assert problems.assign_many(w.db, w.leader.scope, [a], actor_id=1, assignee_unit_id=w.tree.unit("T1C1G1").id) == 1
    with pytest.raises(workflow.TransitionError):  # an assignee outside the leader's area
        problems.transition(w.db, w.leader.scope, a, "assign", actor_id=None, assignee_user_id=w.admin.user_id)


# --- visits --------------------------------------------------------------------------------

def test_visit_is_idempotent_and_atomic(world):
    w = world
    first = _visit(w, "H101", D(2026, 11, 2, 9), key="same", response=_response("f", 1, 1),
                   problems=[problems.NewProblem("same/p", "治安", "x")])
    again = _visit(w, "H101", D(2026, 11, 2, 9), key="same", response=_response("f", 1, 1),
                   problems=[problems.NewProblem("same/p", "治安", "x")])
    assert (again.visit_id, again.created, again.problem_ids) == (first.visit_id, False, first.problem_ids)
    counts = [w.db.query(f"SELECT count(*) FROM {t}").single_value() for t in ("visits", "responses", "problems")]
    assert counts == [1, 1, 1]
    response = w.db.query("SELECT household_id, visit_id, org_unit_id FROM responses").first()
    assert response == (w.hh["H101"], first.visit_id, w.tree.unit("T1C1G1").id)
    with pytest.raises(visits.VisitRefused):  # problems on a not-home visit: nothing at all is stored
        _visit(w, "H102", D(2026, 11, 2, 9), "not_home", problems=[problems.NewProblem("q", "治安", "x")])
    assert w.db.query("SELECT count(*) FROM visits").single_value() == 1
    with pytest.raises(workflow.TransitionError):  # confirming an unresolved problem rolls the visit back
        _visit(w, "H101", D(2026, 11, 3, 9), key="bad", is_return_visit=True,
               confirmations=[visits.Confirmation(first.problem_ids[0], 5)])
    assert w.db.query("SELECT count(*) FROM visits WHERE client_key = 'bad'").single_value() == 0


def test_correction_within_24h_by_the_author_else_an_event(world):
    w = world
    vid = _visit(w, "H102", D(2026, 11, 2, 9), "not_home").visit_id
    created = w.db.query("SELECT created_at FROM visits WHERE id = ?", [vid]).single_value()
    with pytest.raises(visits.VisitRefused):
        visits.correct_visit(w.db, w.leader.scope, vid, actor_id=w.leader.user_id, changes={"outcome": "refused"}, at=created)
    visits.correct_visit(w.db, w.cadre1.scope, vid, actor_id=w.cadre1.user_id, changes={"outcome": "refused"},
                         at=created + dt.timedelta(hours=23))
    assert visits.get_visit(w.db, ALL, vid).outcome == "refused"
    with pytest.raises(visits.VisitRefused) as err:
        visits.correct_visit(w.db, w.cadre1.scope, vid, actor_id=w.cadre1.user_id, changes={"outcome": "met"},
                             at=created + dt.timedelta(hours=25))
    assert err.value.code == "visits.err.correction_closed"
    visits.amend_visit(w.db, w.cadre1.scope, vid, actor_id=w.cadre1.user_id, note="其实见到了老人")
    assert visits.get_visit(w.db, ALL, vid).outcome == "refused"
    assert [(e.action, e.note) for e in visits.visit_history(w.db, ALL, vid)] == [
        ("correct", None), ("amend", "其实见到了老人")]


# --- access ------------------------------------------------------------------------------------

def test_a_cadre_cannot_see_or_change_another_grids_households_visits_or_problems(world):
    from storage import households
    w = world
    other = w.hh["H201"]  # cadre2's grid
    pid = _visit(w, "H201", D(2026, 11, 2, 9), problems=[problems.NewProblem("o", "治安", "x")]).problem_ids[0]
    vid = w.db.query("SELECT id FROM visits").single_value()
    s = w.cadre1.scope
    assert households.get_household(w.db, s, other) is None
    assert "H201" not in [h.code for h in households.list_households(w.db, s)]
    assert households.household_ids_by_code(w.db, s, ["H201"]) == {}
    assert visits.get_visit(w.db, s, vid) is None and visits.visits_of_household(w.db, s, other) == []
    assert visits.visit_history(w.db, s, vid) == []
    with pytest.raises(visits.VisitRefused):
        _visit(w, "H201", D(2026, 11, 3, 9), who=w.cadre1)
    with pytest.raises(visits.VisitRefused):
        visits.amend_visit(w.db, s, vid, actor_id=w.cadre1.user_id, note="x")
    assert problems.get_problem(w.db, s, pid, viewer_id=w.cadre1.user_id) is None
    assert problems.list_problems(w.db, s, viewer_id=w.cadre1.user_id) == []
    assert problems.history(w.db, s, pid, viewer_id=w.cadre1.user_id) == []
    with pytest.raises(workflow.TransitionError) as err:
        problems.transition(w.db, s, pid, "assign", actor_id=w.cadre1.user_id, viewer_id=w.cadre1.user_id,
                            assignee_user_id=w.cadre1.user_id)
    assert err.value.code == "problems.err.not_found"
    assert worklists.make_up_visits(w.db, s, w.campaign_id, search="H201") == []
    assert [i.code for i in worklists.return_visits(w.db, s, None)] == []
    assert _summary(w.db, s).total == 0
    # once assigned to cadre1, cadre1 sees and works it
    problems.transition(w.db, ALL, pid, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
    assert problems.get_problem(w.db, s, pid, viewer_id=w.cadre1.user_id) is not None
    problems.transition(w.db, s, pid, "start", actor_id=w.cadre1.user_id, viewer_id=w.cadre1.user_id)


def test_tag_choices_put_the_configured_list_first_then_registry_tags():
    from fieldwork.rules import DEFAULT_HOUSEHOLD_TAGS, tag_choices

    assert tag_choices(["孤儿", "低保户"], configured="") == [*DEFAULT_HOUSEHOLD_TAGS, "孤儿"]
    assert tag_choices(["孤儿", "低保户"], configured="退役军人、低保户") == ["退役军人", "低保户", "孤儿"]


def test_the_visit_form_answers_give_the_visits_problems_follow_up_and_note():
    from services import fieldwork as fw
    from surveys import survey_from_dict

    form = survey_from_dict({"id": "v", "title": "走访", "kind": "visit", "questions": [
        {"id": "problem_categories", "type": "multi_choice", "label": "类别",
         "choices": [{"value": "environment", "label": "环境卫生"}, {"value": "noise", "label": "噪音扰民"}]},
        {"id": "follow_up_needed", "type": "single_choice", "label": "回头访",
         "choices": [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]},
        {"id": "notes", "type": "text", "label": "备注"}]})
    facts = fw.form_facts(form, {"problem_categories": ["noise", "environment"], "follow_up_needed": "yes",
                                 "notes": "  晚上再来 "}, ["环境卫生", "治安"])
    assert (facts.asks_follow_up, facts.follow_up, facts.asks_note, facts.note) == (True, True, True, "晚上再来")
    # named as on the configured list when it is there, else by the form's label; no details question here:
    made = fw.form_problems(facts, {"噪音扰民": "high"}, "k")
    assert [(p.category, p.description, p.urgency) for p in made] == [
        ("噪音扰民", "噪音扰民", "high"), ("环境卫生", "环境卫生", "normal")]  # never silently dropped
    assert [p.client_key for p in made] == ["k/form:噪音扰民", "k/form:环境卫生"]  # per visit and category: saved once
    bare = fw.form_facts(form, {}, [])
    assert (bare.problem_categories, bare.follow_up, bare.note) == ((), False, None)


def test_visit_form_problem_details_past_the_limit_are_refused_not_cut():
    from services import fieldwork as fw

    facts = fw.FormFacts(asks_follow_up=False, follow_up=False, asks_note=False, note=None,
                         problem_categories=("噪音扰民",), problem_details="吵" * (fw.PROBLEM_TEXT_MAX + 1))
    with pytest.raises(fw.ProblemTextTooLong) as refused:
        fw.form_problems(facts, {}, "k")
    assert refused.value.params == {"length": fw.PROBLEM_TEXT_MAX + 1, "max_length": fw.PROBLEM_TEXT_MAX}
    exact = fw.FormFacts(asks_follow_up=False, follow_up=False, asks_note=False, note=None,
                         problem_categories=("噪音扰民",), problem_details="吵" * fw.PROBLEM_TEXT_MAX)
    assert fw.form_problems(exact, {}, "k")[0].description == "吵" * fw.PROBLEM_TEXT_MAX
