"""AppTest per field-work page: each runs for its roles without an exception and shows what it should."""

from __future__ import annotations

import datetime as dt

from storage import problems as problem_store
from storage import visits as visit_store
from storage import worklists
from storage.db import Scope
from tests.conftest import page_test


def _texts(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "text", "success", "error", "info", "warning", "subheader", "title"):
        parts += [str(m.value) for m in getattr(at, kind)]
    return "\n".join(parts)


def _prefix(at) -> str:
    key = next(iter(at.session_state["minyi.visits.client_keys"].values()))
    return f"visits.f.{key[:8]}"


def _pick(at, key: str, startswith: str):
    box = at.selectbox(key=key)
    index = next(i for i, label in enumerate(box.options) if label.startswith(startswith))
    return box.select_index(index)


def test_visit_page_shows_only_own_grid_and_records_a_met_visit_with_a_problem(app_world):
    w = app_world
    at = page_test("pages/visits.py", w.cadre1).run()
    assert not at.exception
    options = at.selectbox(key="visits.household").options
    assert sorted(o.split(" · ")[0] for o in options) == ["H101", "H102", "H103"]
    _pick(at, "visits.household", "H101").run()
    assert not at.exception
    prefix = _prefix(at)
    at.radio(key=f"{prefix}.work_satisfaction").set_value(2)
    at.radio(key=f"{prefix}.follow_up_needed").set_value("no")
    at.number_input(key=f"{prefix}.np").set_value(1).run()
    at.text_area(key=f"{prefix}.p0.text").set_value("楼道垃圾无人清理")
    at.button(key=f"{prefix}.save").click().run()
    assert not at.exception, at.exception
    assert "走访记录已保存" in _texts(at)
    problems = problem_store.list_problems(w.db, Scope.everything())
    assert [(p.household_code, p.category, p.description, p.state) for p in problems] == [
        ("H101", "环境卫生", "楼道垃圾无人清理", "new")]
    made_up = [i.code for i in worklists.make_up_visits(w.db, Scope.everything(), w.campaign_id)]
    assert "H101" not in made_up
    assert [i.code for i in worklists.return_visits(w.db, Scope.everything(), w.campaign_id)] == ["H101"]


def test_problems_ticked_in_the_visit_form_go_on_the_problem_list_without_typing_them_twice(app_world):
    """The form's categories and details become one problem-list item per category; the form's follow-up and
    note answers are the visit's, so the page does not ask them again."""
    w = app_world
    at = page_test("pages/visits.py", w.cadre1).run()
    _pick(at, "visits.household", "H102").run()
    prefix = _prefix(at)
    assert not [c for c in at.checkbox if c.key == f"{prefix}.follow"]  # asked once, in the form
    at.radio(key=f"{prefix}.work_satisfaction").set_value(3)
    at.pills(key=f"{prefix}.problem_categories").set_value(["environment", "public_security"]).run()
    at.text_area(key=f"{prefix}.problem_details").set_value("楼道堆物，夜间路灯不亮")
    at.selectbox(key=f"{prefix}.fp.治安").set_value("urgent")
    at.radio(key=f"{prefix}.follow_up_needed").set_value("yes")
    at.text_area(key=f"{prefix}.notes").set_value("晚上再来")
    at.number_input(key=f"{prefix}.np").set_value(1).run()
    at.text_area(key=f"{prefix}.p0.text").set_value("想了解养老补贴")
    at.button(key=f"{prefix}.save").click().run()
    assert not at.exception, at.exception
    assert "走访记录已保存" in _texts(at)
    problems = problem_store.list_problems(w.db, Scope.everything())
    assert sorted((p.category, p.description, p.urgency) for p in problems) == [
        ("治安", "楼道堆物，夜间路灯不亮", "urgent"), ("环境卫生", "想了解养老补贴", "normal"),
        ("环境卫生", "楼道堆物，夜间路灯不亮", "normal")]
    assert w.db.query("SELECT follow_up, note FROM visits").rows == [(True, "晚上再来")]


def test_visit_page_keeps_entries_and_explains_when_the_form_is_incomplete(app_world):
    at = page_test("pages/visits.py", app_world.cadre1).run()
    _pick(at, "visits.household", "H102").run()
    prefix = _prefix(at)
    at.radio(key=f"{prefix}.follow_up_needed").set_value("yes")
    at.button(key=f"{prefix}.save").click().run()
    assert not at.exception
    assert at.radio(key=f"{prefix}.follow_up_needed").value == "yes"  # nothing entered is lost
    assert len(at.error) >= 1
    assert app_world.db.query("SELECT count(*) FROM visits").single_value() == 0


def test_visit_page_masks_nothing_for_own_cadre_and_refuses_leaders(app_world):
    at = page_test("pages/visits.py", app_world.cadre1).run()
    assert any("张三明" in o for o in at.selectbox(key="visits.household").options)
    at = page_test("pages/visits.py", app_world.leader).run()
    assert not at.exception
    assert "无权访问" in _texts(at)


def _met_visit_with_problem(w, code: str = "H101", key: str = "k1") -> int:
    result = visit_store.record_visit(w.db, w.cadre1.scope, visit_store.NewVisit(
        key, w.hh[code], w.cadre1.user_id, dt.datetime(2026, 11, 20, 10), "met", campaign_id=w.campaign_id,
        problems=[problem_store.NewProblem(key + "/p", "治安", "门禁损坏")]))
    return result.problem_ids[0]


def test_worklists_page_lists_both_worklists_masked_for_leaders(app_world):
    w = app_world
    _met_visit_with_problem(w)
    at = page_test("pages/worklists.py", w.leader).run()
    assert not at.exception
    tabs = [tab.label for tab in at.tabs]
    assert tabs == ["补课访（3）", "回头访（1）"]  # T1 holds H101-H103, H201; H101 is covered
    frame = at.dataframe[0].value
    assert sorted(frame["户编号"]) == ["H102", "H103", "H201"]
    assert "李*" in list(frame["户主姓名"])  # a leader sees names masked
    at = page_test("pages/worklists.py", w.cadre1).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert sorted(frame["户编号"]) == ["H102", "H103"] and "李四" in list(frame["户主姓名"])
    assert list(at.dataframe[1].value["户编号"]) == ["H101"]


def test_problems_page_cadre_takes_starts_and_resolves(app_world):
    w = app_world
    pid = _met_visit_with_problem(w)
    at = page_test("pages/problems.py", w.cadre1).run()
    assert not at.exception
    assert list(at.dataframe[0].value["#"]) == [pid]
    at.button(key=f"problems.take.{pid}").click().run()
    assert problem_store.get_problem(w.db, Scope.everything(), pid).state == "assigned"
    at.button(key=f"problems.do.start.{pid}").click().run()
    at.button(key=f"problems.do.resolve.{pid}").click().run()
    assert not at.exception
    assert problem_store.get_problem(w.db, Scope.everything(), pid).state == "resolved"
    at.button(key=f"problems.do.reopen.{pid}").click().run()  # no reason given: refused
    assert "必须填写原因" in _texts(at)
    assert problem_store.get_problem(w.db, Scope.everything(), pid).state == "resolved"
    # another grid's cadre does not see it
    other = page_test("pages/problems.py", w.cadre2).run()
    assert not other.exception and not other.dataframe


def test_problems_page_leader_bulk_assigns_and_overdue_stands_out(app_world):
    w = app_world
    pid = _met_visit_with_problem(w)
    old = visit_store.record_visit(w.db, w.cadre2.scope, visit_store.NewVisit(
        "old", w.hh["H201"], w.cadre2.user_id, dt.datetime(2026, 10, 1, 10), "met",
        problems=[problem_store.NewProblem("old/p", "住房", "屋顶漏雨")])).problem_ids[0]
    at = page_test("pages/problems.py", w.leader).run()
    assert not at.exception
    frame = at.dataframe[0].value
    flags = dict(zip(frame["#"], frame["⚠ 逾期"]))
    late = "⚠" if dt.date.today() > dt.date(2026, 12, 11) else ""
    assert flags == {old: "⚠", pid: late}  # due 2026-10-22 (15 working days) has passed; 2026-12-11 not before then
    box = at.multiselect(key="problems.bulk")
    box.select(next(o for o in box.options if o.endswith("门禁损坏"))).run()
    at.selectbox(key="problems.bulk_user").select_index(1).run()
    at.button(key="problems.bulk_go").click().run()
    assert not at.exception
    assert problem_store.get_problem(w.db, Scope.everything(), pid).state == "assigned"


def test_households_page_imports_with_dry_run_and_masks_for_leaders(app_world):
    w = app_world
    at = page_test("pages/households.py", w.admin).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert sorted(frame["户编号"]) == ["H101", "H102", "H103", "H201", "H301"]
    assert "张三明" in list(frame["户主姓名"])  # admins see names
    at = page_test("pages/households.py", w.leader).run()
    frame = at.dataframe[0].value
    assert sorted(frame["户编号"]) == ["H101", "H102", "H103", "H201"]
    assert "张*明" in list(frame["户主姓名"]) and "138****5678" in list(frame["联系电话"])
    at = page_test("pages/households.py", w.cadre1).run()
    assert "无权访问" in _texts(at)


def test_campaigns_page_shows_coverage_and_creates_a_campaign(app_world):
    w = app_world
    _met_visit_with_problem(w)
    at = page_test("pages/campaigns.py", w.admin).run()
    assert not at.exception
    assert "20.0%" in _texts(at)  # 1 of 5 households covered
    at.text_input(key="campaigns.name").set_value("春季回访")
    at.button[0].click().run()
    assert not at.exception
    names = [r[0] for r in w.db.query("SELECT name FROM campaigns ORDER BY id").rows]
    assert names == ["2026年冬季大走访", "春季回访"]


def test_exports_of_personal_data_are_audited(app_world):
    w = app_world
    at = page_test("pages/households.py", w.leader).run()
    at.button(key="households.export.prepare").click().run()
    assert not at.exception
    at = page_test("pages/worklists.py", w.cadre1).run()
    at.button(key="worklists.export_make_up.prepare").click().run()
    assert not at.exception
    rows = w.db.query("SELECT actor_name, action, detail FROM audit_log WHERE action LIKE 'export.%' ORDER BY id").rows
    assert [(r[0], r[1]) for r in rows] == [("leader1", "export.households"), ("cadre1", "export.worklist")]
    assert '"rows": 4' in rows[0][2] and '"list": "make_up"' in rows[1][2] and '"rows": 3' in rows[1][2]


def test_pages_in_english(app_world):
    for page, who in [("pages/visits.py", app_world.cadre1), ("pages/worklists.py", app_world.leader),
                      ("pages/problems.py", app_world.leader), ("pages/households.py", app_world.admin),
                      ("pages/campaigns.py", app_world.admin)]:
        at = page_test(page, who, lang="en").run()
        assert not at.exception, page
        assert at.title[0].value in {"Door-to-door visits", "Make-up and return visits", "Problem list", "Households",
                                     "Visit campaigns"}


def test_visit_page_author_corrects_within_24_hours(app_world):
    w = app_world
    from settings import now
    vid = visit_store.record_visit(w.db, w.cadre1.scope, visit_store.NewVisit(
        "c1", w.hh["H102"], w.cadre1.user_id, now(), "not_home", campaign_id=w.campaign_id)).visit_id
    at = page_test("pages/visits.py", w.cadre1, hh=str(w.hh["H102"])).run()
    assert not at.exception
    at.selectbox(key=f"visits.fix_outcome.{vid}").set_value("refused")
    at.button(key=f"visits.fix_go.{vid}").click().run()
    assert not at.exception
    assert visit_store.get_visit(w.db, Scope.everything(), vid).outcome == "refused"
    assert [e.action for e in visit_store.visit_history(w.db, Scope.everything(), vid)] == ["correct"]


def test_admin_configures_problem_categories(app_world):
    w = app_world
    at = page_test("pages/campaigns.py", w.admin).run()
    assert at.text_area(key="campaigns.categories").value.splitlines()[0] == "环境卫生"
    at.text_area(key="campaigns.categories").set_value("物业管理\n 噪音扰民 \n\n物业管理")
    at.button[1].click().run()
    assert not at.exception
    assert problem_store.problem_categories(w.db, w.admin.scope) == ["物业管理", "噪音扰民"]
    visit = page_test("pages/visits.py", w.cadre1).run()
    _pick(visit, "visits.household", "H101").run()
    visit.number_input(key=f"{_prefix(visit)}.np").set_value(1).run()
    assert visit.selectbox(key=f"{_prefix(visit)}.p0.cat").options == ["物业管理", "噪音扰民"]


def test_visit_form_problem_details_past_the_limit_are_refused_with_the_input_kept(app_world, monkeypatch):
    from services import fieldwork as fw

    monkeypatch.setattr(fw, "PROBLEM_TEXT_MAX", 10)  # the template's own question allows up to the real limit
    w = app_world
    at = page_test("pages/visits.py", w.cadre1).run()
    _pick(at, "visits.household", "H102").run()
    prefix = _prefix(at)
    at.radio(key=f"{prefix}.work_satisfaction").set_value(3)
    at.pills(key=f"{prefix}.problem_categories").set_value(["environment"]).run()
    details = "楼道堆物，夜间路灯不亮，已经半个月"
    at.text_area(key=f"{prefix}.problem_details").set_value(details)
    at.radio(key=f"{prefix}.follow_up_needed").set_value("no")
    at.button(key=f"{prefix}.save").click().run()
    assert not at.exception, at.exception
    assert f"问题的具体内容有 {len(details)} 个字，最多 10 个字，请删减后再保存。" in [e.value for e in at.error]
    assert at.text_area(key=f"{prefix}.problem_details").value == details  # nothing entered is lost
    assert w.db.query("SELECT count(*) FROM visits").single_value() == 0
    assert problem_store.list_problems(w.db, Scope.everything()) == []
