"""Authoring service: drafts, publishing immutable versions, status, duplicate, permissions, YAML round-trip, version changes."""

from __future__ import annotations

import pytest

from services import authoring
from services.survey_catalog import survey_version
from storage import audit
from storage.db import Scope
from storage import surveys as survey_store
from storage.responses import NewResponse, write_response
from settings import now
from surveys import dump_survey_yaml, load_survey_text, load_templates

SIMPLE = """
id: demo_survey
title: 示例问卷
questions:
  - id: overall
    type: rating
    label: 总体评价
    required: true
  - id: why
    type: text
    label: 不满意的原因
    show_if: {question: overall, op: le, value: 2}
"""


@pytest.fixture
def admin(tree, principal_factory):
    return principal_factory("admin1", "admin", tree.district)


def test_draft_publish_and_new_version_keep_old_version_and_response_versions(db, tree, admin):
    outcome = authoring.import_yaml(db, admin, SIMPLE)
    sid = outcome.survey_id
    assert (sid, outcome.version) == ("demo_survey", None)
    assert survey_store.get_survey(db, sid).current_version is None
    assert authoring.publish(db, admin, sid) == 1
    assert not authoring.has_draft(db, sid)
    v1_json = survey_store.version_definition_json(db, sid, 1)
    authoring.set_status(db, admin, sid, "open")
    write_response(db, NewResponse("k1", sid, 1, tree.grids[0].id, "link", now()))

    # Editing a published survey starts a draft of version 2; version 1 is untouched.
    working = authoring.working_definition(db, sid)
    working["questions"][0]["label"] = "您对社区工作的总体评价"
    working["questions"].append({"id": "age", "type": "number", "label": "年龄", "integer": True})
    authoring.save_draft(db, admin, sid, working)
    assert authoring.has_draft(db, sid)
    assert survey_version(db, sid)[1] == 1  # residents still answer version 1
    assert authoring.publish(db, admin, sid) == 2
    assert survey_store.version_definition_json(db, sid, 1) == v1_json
    write_response(db, NewResponse("k2", sid, 2, tree.grids[0].id, "link", now()))
    assert db.query("SELECT client_key, survey_version FROM responses ORDER BY client_key").rows == [("k1", 1), ("k2", 2)]
    old, new = survey_version(db, sid, 1)[0], survey_version(db, sid, 2)[0]
    assert authoring.version_changes(old, new) == {"overall": "label_changed", "why": "unchanged", "age": "added"}
    assert authoring.question_history(db, sid) == {"overall": [(2, "label_changed")], "age": [(2, "added")]}
    actions = [e.action for e in audit.recent(db, Scope.everything(), action_prefix="survey.")]
    assert actions.count("survey.publish") == 2


def test_version_changes_classifies_each_kind_of_change():
    old = load_survey_text(SIMPLE)
    new = load_survey_text(SIMPLE.replace("type: text", "type: number").replace("required: true", "required: false"))
    assert authoring.version_changes(old, new) == {"overall": "settings_changed", "why": "type_changed"}
    scale = SIMPLE.replace("    required: true\n", "    required: true\n    scale: [{value: 1, label: 差}, {value: 2, label: 好}]\n", 1)
    assert authoring.version_changes(old, load_survey_text(scale))["overall"] == "choices_changed"
    assert authoring.version_changes(old, load_survey_text(SIMPLE.replace("  - id: why", "  - id: why2").replace(
        "label: 不满意的原因", "label: 原因"))) == {"overall": "unchanged", "why": "removed", "why2": "added"}


def test_publish_refuses_a_broken_draft_and_open_needs_a_version(db, tree, admin):
    sid = authoring.create_survey(db, admin, authoring.blank_definition("draft_one", "草稿"))
    with pytest.raises(authoring.AuthoringError) as opened:
        authoring.set_status(db, admin, sid, "open")
    assert opened.value.key == "authoring.err.open_unpublished"
    broken = authoring.working_definition(db, sid)
    broken["pages"][0]["questions"].append({"id": "q1", "type": "single_choice", "label": "无选项"})
    authoring.save_draft(db, admin, sid, broken)
    from surveys import SurveyDefinitionError

    with pytest.raises(SurveyDefinitionError) as exc:
        authoring.publish(db, admin, sid)
    assert exc.value.codes == ["missing_choices"]
    assert survey_store.list_versions(db, sid) == []


def test_schedule_duplicate_archive(db, tree, admin):
    sid = authoring.import_yaml(db, admin, SIMPLE, publish_now=True).survey_id
    import datetime as dt

    with pytest.raises(authoring.AuthoringError):
        authoring.schedule(db, admin, sid, dt.datetime(2026, 5, 2), dt.datetime(2026, 5, 1))
    authoring.schedule(db, admin, sid, dt.datetime(2026, 5, 1, 8), dt.datetime(2026, 5, 31, 18))
    row = survey_store.get_survey(db, sid)
    assert (row.opens_at, row.closes_at) == (dt.datetime(2026, 5, 1, 8), dt.datetime(2026, 5, 31, 18))
    copy_id = authoring.duplicate(db, admin, sid, "demo_copy", "示例副本")
    copy = authoring.check_definition(authoring.working_definition(db, copy_id))
    assert (copy.id, copy.title, copy.question_ids()) == ("demo_copy", "示例副本", ["overall", "why"])
    assert survey_store.get_survey(db, copy_id).current_version is None
    authoring.archive(db, admin, sid)
    assert survey_store.get_survey(db, sid).status == "archived"
    assert sid not in [r.id for r in survey_store.list_surveys(db, Scope.everything())]


def test_leaders_edit_only_surveys_owned_in_their_scope(db, tree, principal_factory):
    leader = principal_factory("leader_t1", "leader", tree.towns[0])
    other = principal_factory("leader_t2", "leader", tree.towns[1])
    own = authoring.create_survey(db, leader, authoring.blank_definition("t1_survey", "街道问卷"))
    assert authoring.can_edit(db, leader, own) and not authoring.can_edit(db, other, own)
    assert not authoring.can_edit(db, leader, "qunzhong_manyidu_missing")
    with pytest.raises(authoring.AuthoringError) as exc:
        authoring.save_draft(db, other, own, authoring.blank_definition(own, "改"))
    assert exc.value.key == "authoring.err.forbidden"
    assert [r.id for r in authoring.editable_surveys(db, leader)] == [own]
    assert authoring.editable_surveys(db, other) == []


@pytest.mark.parametrize("template_id", sorted(load_templates().surveys))
def test_yaml_export_import_round_trip_is_exact(db, tree, admin, template_id):
    template = load_templates().surveys[template_id]
    text = dump_survey_yaml(template)
    first = authoring.import_yaml(db, admin, text, publish_now=True)
    exported = authoring.export_yaml(db, first.survey_id)
    assert exported == text
    assert load_survey_text(exported) == template
    # Importing again finds the id taken: a new survey with a free id, reported.
    second = authoring.import_yaml(db, admin, exported)
    assert second.survey_id == f"{template_id}_2"
    assert [(i.code, dict(i.params)) for i in second.report] == [("id_taken", {"wanted": template_id, "used": f"{template_id}_2"})]


def test_date_bounds_survive_storage_and_round_trip(db, tree, admin):
    text = """id: dated
title: 日期
questions:
  - id: d
    type: date
    label: 日期
    min: 2024-01-01
    max: 2024-12-31
  - id: n
    type: note
    label: 说明
    show_if: {question: d, op: ge, value: 2024-06-01}
"""
    sid = authoring.import_yaml(db, admin, text, publish_now=True).survey_id
    assert load_survey_text(authoring.export_yaml(db, sid)) == load_survey_text(text)


def test_discard_draft_returns_to_the_published_version(db, tree, admin):
    sid = authoring.import_yaml(db, admin, SIMPLE, publish_now=True).survey_id
    working = authoring.working_definition(db, sid)
    working["title"] = "改过的标题"
    authoring.save_draft(db, admin, sid, working)
    authoring.discard_draft(db, admin, sid)
    assert not authoring.has_draft(db, sid)
    assert authoring.working_definition(db, sid)["title"] == "示例问卷"
    with pytest.raises(authoring.AuthoringError):
        authoring.publish(db, admin, sid)  # nothing to publish
    never = authoring.create_survey(db, admin, authoring.blank_definition("never", "未发布"))
    with pytest.raises(authoring.AuthoringError) as exc:
        authoring.discard_draft(db, admin, never)
    assert exc.value.key == "authoring.err.never_published"


@pytest.mark.postgres
def test_two_processes_starting_at_once_install_each_template_once(fresh_target):
    """Several app processes start together on one PostgreSQL (deploy/): each installs the built-in templates on
    start. The one that loses the race for a template leaves it to the winner instead of failing its start."""
    import threading

    from services.survey_catalog import install_templates
    from storage.db import open_database

    processes = [open_database(fresh_target) for _ in range(3)]
    barrier = threading.Barrier(len(processes))
    failures: list[BaseException] = []
    installed: list[list[str]] = []

    def start(db) -> None:
        barrier.wait()
        try:
            installed.append(install_templates(db))
        except BaseException as exc:  # what would stop that process from starting
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(db,)) for db in processes]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    try:
        assert failures == []
        names = sorted(name for one in installed for name in one)
        assert names == sorted(set(names)) and len(names) >= 4  # each template installed by exactly one process
        rows = processes[0].query("SELECT s.id, s.status, s.current_version, count(v.version) FROM surveys s"
                                  " JOIN survey_versions v ON v.survey_id = s.id GROUP BY s.id, s.status,"
                                  " s.current_version ORDER BY s.id").rows
        assert [(sid, status, version, n) for sid, status, version, n in rows] == [
            (sid, "open", 1, 1) for sid in sorted(set(names))]
    finally:
        for db in processes:
            db.close()
