"""No admin reaches past their subtree: the audit log, problem categories and surveys (issue 20 item 5)."""

from __future__ import annotations

import pytest

from services import authoring
from services.survey_catalog import install_templates
from storage import audit
from storage import problems as problem_store
from storage import surveys as survey_store
from storage.db import Scope
from tests.conftest import page_test


@pytest.fixture
def staff(db, tree, principal_factory):
    return {
        "district": principal_factory("admin_d", "admin", tree.district),
        "t1": principal_factory("admin_t1", "admin", tree.towns[0]),
        "t2": principal_factory("admin_t2", "admin", tree.towns[1]),
        "leader_t1": principal_factory("leader_t1", "leader", tree.towns[0]),
        "leader_c1": principal_factory("leader_c1", "leader", tree.unit("T1C1")),
    }


def _log(db, who, action):
    audit.record(db, action, actor_id=who.user_id, actor_name=who.username)


def test_a_town_admin_reads_only_the_audit_log_of_their_town(db, staff):
    _log(db, staff["district"], "x.district")
    _log(db, staff["t1"], "x.town1")
    _log(db, staff["t2"], "x.town2")
    audit.record(db, "auth.login_failed", actor_name="nobody_known")  # no unit: the top of the tree only
    audit.record(db, "auth.login_failed", actor_name="admin_t2")  # a failure for a known user is their unit's
    seen = lambda who: {e.action + ":" + (e.actor_name or "") for e in audit.recent(db, staff[who].scope)}  # noqa: E731
    assert seen("t1") == {"x.town1:admin_t1"}
    assert seen("t2") == {"x.town2:admin_t2", "auth.login_failed:admin_t2"}
    assert seen("district") == {"x.district:admin_d", "x.town1:admin_t1", "x.town2:admin_t2",
                                "auth.login_failed:nobody_known", "auth.login_failed:admin_t2"}


def test_the_audit_page_shows_a_town_admin_only_their_town(app_world):
    w = app_world
    from tests.conftest import make_principal

    town2_admin = make_principal(w.db, "admin_t2", "admin", w.tree.unit("T2"))
    audit.record(w.db, "x.secret_of_district", actor_id=w.admin.user_id, actor_name=w.admin.username)
    audit.record(w.db, "x.town2_work", actor_id=town2_admin.user_id, actor_name=town2_admin.username)
    at = page_test("pages/audit.py", town2_admin).run()
    assert not at.exception
    shown = at.dataframe[0].value.to_string()
    assert "x.town2_work" in shown and "x.secret_of_district" not in shown


def test_problem_categories_are_inherited_down_the_tree_and_overridable(db, tree, staff):
    default = problem_store.problem_categories(db, staff["t2"].scope)
    problem_store.set_problem_categories(db, staff["t1"].scope, ["物业管理", "噪音扰民"])
    # the town's own list, inherited by its communities and grids, not by the other town or the district
    assert problem_store.problem_categories(db, staff["t1"].scope) == ["物业管理", "噪音扰民"]
    assert problem_store.problem_categories(db, Scope(tree.unit("T1C1G1").path)) == ["物业管理", "噪音扰民"]
    assert problem_store.problem_categories(db, staff["t2"].scope) == default
    assert problem_store.problem_categories(db, staff["district"].scope) == default
    # the district's list reaches every town without a list of its own
    problem_store.set_problem_categories(db, staff["district"].scope, ["区级类别"])
    assert problem_store.problem_categories(db, Scope(tree.unit("T2C2G2").path)) == ["区级类别"]
    assert problem_store.problem_categories(db, staff["t1"].scope) == ["物业管理", "噪音扰民"]
    # a community overrides its town; clearing the override inherits again
    problem_store.set_problem_categories(db, staff["leader_c1"].scope, ["社区类别"])
    assert problem_store.problem_categories(db, Scope(tree.unit("T1C1G2").path)) == ["社区类别"]
    problem_store.set_problem_categories(db, staff["leader_c1"].scope, [])
    assert problem_store.problem_categories(db, Scope(tree.unit("T1C1G2").path)) == ["物业管理", "噪音扰民"]


def test_a_town_admin_cannot_close_publish_or_edit_a_district_or_another_towns_survey(db, tree, staff):
    install_templates(db)
    t1, t2 = staff["t1"], staff["t2"]
    t2_survey = authoring.create_survey(db, t2, authoring.blank_definition("t2_only", "二街道问卷"))
    for target in ("qunzhong_manyidu", t2_survey):
        assert not authoring.can_edit(db, t1, target)
        for attempt in (lambda: authoring.set_status(db, t1, target, "closed"),
                        lambda: authoring.publish(db, t1, target),
                        lambda: authoring.save_draft(db, t1, target, authoring.blank_definition(target, "改")),
                        lambda: authoring.schedule(db, t1, target, None, None)):
            with pytest.raises(authoring.AuthoringError) as refused:
                attempt()
            assert refused.value.key == "authoring.err.forbidden"
    assert survey_store.get_survey(db, "qunzhong_manyidu").status == "open"
    # the district (the root owns the built-in surveys) still manages them
    authoring.set_status(db, staff["district"], "qunzhong_manyidu", "closed")
    assert survey_store.get_survey(db, "qunzhong_manyidu").status == "closed"
    assert "qunzhong_manyidu" not in [r.id for r in authoring.editable_surveys(db, t1)]
    assert "qunzhong_manyidu" in [r.id for r in authoring.editable_surveys(db, staff["district"])]


def test_staff_see_only_the_surveys_of_their_subtree_and_above(db, tree, staff):
    install_templates(db)
    t1_survey = authoring.create_survey(db, staff["t1"], authoring.blank_definition("t1_only", "一街道问卷"))
    c1_survey = authoring.create_survey(db, staff["leader_c1"], authoring.blank_definition("c1_only", "社区问卷"))
    t2_survey = authoring.create_survey(db, staff["t2"], authoring.blank_definition("t2_only", "二街道问卷"))
    visible = lambda who: {r.id for r in survey_store.list_surveys(db, staff[who].scope)}  # noqa: E731
    assert {t1_survey, c1_survey, "qunzhong_manyidu"} <= visible("leader_t1") and t2_survey not in visible("leader_t1")
    # a community leader sees the town's and district's surveys above, not the other town's
    assert {t1_survey, c1_survey, "qunzhong_manyidu"} <= visible("leader_c1") and t2_survey not in visible("leader_c1")
    assert {t1_survey, c1_survey, t2_survey} <= visible("district")


def test_the_survey_list_page_hides_another_towns_surveys(app_world):
    w = app_world
    from tests.conftest import make_principal

    town2_admin = make_principal(w.db, "admin_t2", "admin", w.tree.unit("T2"))
    authoring.create_survey(w.db, town2_admin, authoring.blank_definition("t2_secret", "二街道内部问卷"))
    at = page_test("pages/survey_list.py", w.leader).run()
    assert not at.exception
    assert "t2_secret" not in at.dataframe[0].value.to_string()
    assert "qunzhong_manyidu" in at.dataframe[0].value.to_string()


def test_a_town_admin_cannot_copy_another_towns_survey(db, tree, staff):
    install_templates(db)
    t2_survey = authoring.create_survey(db, staff["t2"], authoring.blank_definition("t2_only", "二街道内部问卷"))
    with pytest.raises(authoring.AuthoringError) as refused:
        authoring.duplicate(db, staff["t1"], t2_survey, "stolen", "照抄")
    assert refused.value.key == "authoring.err.forbidden" and not survey_store.survey_exists(db, "stolen")
    # a survey from above (the district's built-in ones) may be copied into the town's own
    copy = authoring.duplicate(db, staff["t1"], "qunzhong_manyidu", "t1_copy", "一街道满意度")
    assert authoring.can_edit(db, staff["t1"], copy)


def test_no_share_link_for_another_towns_survey(db, tree, staff):
    from services import share_links

    t2_survey = authoring.create_survey(db, staff["t2"], authoring.blank_definition("t2_only", "二街道内部问卷"))
    draft = authoring.working_definition(db, t2_survey)
    draft["pages"][0]["questions"].append({"id": "q1", "type": "rating", "label": "满意吗"})
    authoring.save_draft(db, staff["t2"], t2_survey, draft)
    authoring.publish(db, staff["t2"], t2_survey)
    authoring.set_status(db, staff["t2"], t2_survey, "open")
    with pytest.raises(share_links.LinkRequestError) as refused:
        share_links.create(db, survey_id=t2_survey, unit_code="T1C1G1", scope=staff["t1"].scope)
    assert refused.value.key == "links.error.unknown_survey"
    assert share_links.create(db, survey_id=t2_survey, unit_code="T2C1G1", scope=staff["t2"].scope).tokens
