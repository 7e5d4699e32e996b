"""The org-tree import, the survey file import and the builder's subject list run off the script thread: each page
shows progress and a cancel while they run, a cancel writes nothing, and a finished one shows its result."""

from __future__ import annotations

import time

import pytest

from fieldwork import registry
from services import uploads
from storage import households as household_store
from storage.db import Scope
from tests.conftest import build_tree, make_principal, page_test

CSV = "text/csv"
UNITS = "编码,名称,上级编码,层级\nT9,新镇,D01,2\nT9C1,新社区,T9,3\n"


def _slow(*args, progress=None, **kwargs):  # as a huge file: still working when the page first answers
    for i in range(3000):
        progress(min(i / 3000, 0.4))
        time.sleep(0.01)
    raise AssertionError("the cancel did not stop the work")


@pytest.fixture
def admin(app_db):
    tree = build_tree(app_db)
    return app_db, tree, make_principal(app_db, "admin1", "admin", tree.district)


@pytest.fixture
def short_wait(monkeypatch):
    """The page stops waiting for a job after 0.2 s (not 5 s), so a slow one shows its progress at once."""
    from ui import import_job

    monkeypatch.setattr(import_job, "WAIT_SECONDS", 0.2)


def _cancel_and_see_it(at, slot: str) -> None:
    assert not at.exception, at.exception
    assert at.get("progress") and "正在处理" in at.get("progress")[0].proto.text
    at.button(key=f"{slot}.cancel").click().run()
    assert at.session_state["minyi.import.jobs"][slot][1].wait(30)
    at.run()
    assert not at.exception, at.exception
    assert any("导入已取消，未写入任何数据" in i.value for i in at.info)


def test_an_org_tree_import_cancelled_midway_writes_nothing(db):
    tree = build_tree(db)
    parse = registry.parse_units(UNITS.encode(), "units.csv", household_store.unit_levels(db))
    before = db.query("SELECT count(*) FROM org_units").single_value()
    holder: list[uploads.ImportJob] = []

    def work(progress):
        def step(fraction):
            if fraction >= 0.5:  # the first unit is inserted inside the transaction: cancel now
                holder[0].cancel()
            progress(fraction)
        return household_store.import_units(db, parse.records, Scope.everything(), progress=step)

    job = uploads.ImportJob(work)
    holder.append(job)
    job.start().wait(30)
    assert job.done and job.cancelled
    assert db.query("SELECT count(*) FROM org_units").single_value() == before


def test_org_tree_page_shows_progress_and_cancels_a_long_check(admin, short_wait, monkeypatch):
    db, _, user = admin
    monkeypatch.setattr(registry, "parse_units", _slow)
    at = page_test("pages/households.py", user)
    at.run()
    at.file_uploader(key="households.units_upload").set_value(("units.csv", UNITS.encode(), CSV)).run()
    _cancel_and_see_it(at, "households.units.check")


def test_org_tree_page_imports_through_the_job(admin):
    db, _, user = admin
    at = page_test("pages/households.py", user)
    at.run()
    at.file_uploader(key="households.units_upload").set_value(("units.csv", UNITS.encode(), CSV)).run()
    at.button(key="households.units_go").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["组织架构导入完成：新增 2 个，更名 0 个，未变 0 个。"]
    assert db.query("SELECT count(*) FROM org_units WHERE code IN ('T9', 'T9C1')").single_value() == 2
    at.run()  # a rerun neither imports again nor fails
    assert not at.exception, at.exception
    assert db.query("SELECT count(*) FROM org_units WHERE code IN ('T9', 'T9C1')").single_value() == 2


def test_survey_import_page_shows_progress_and_a_cancel_creates_no_survey(admin, short_wait, monkeypatch):
    db, _, user = admin
    from services import authoring

    monkeypatch.setattr(authoring, "import_yaml", _slow)
    before = db.query("SELECT count(*) FROM surveys").single_value()
    at = page_test("pages/survey_import.py", user)
    at.run()
    at.file_uploader(key="import.survey.file").set_value(("问卷.yaml", b"id: x\ntitle: X\n", "application/x-yaml")).run()
    at.button(key="import.survey.button").click().run()
    _cancel_and_see_it(at, "import.survey")
    assert db.query("SELECT count(*) FROM surveys").single_value() == before


def test_a_survey_import_cancelled_before_it_writes_creates_nothing(db):
    from services import authoring

    build_tree(db)
    before = db.query("SELECT count(*) FROM surveys").single_value()
    job = uploads.ImportJob(lambda progress: authoring.import_yaml(
        db, None, b"id: y\ntitle: Y\nquestions:\n  - {id: q, type: rating, label: Q}\n", progress=progress))
    job.cancel()
    job.start().wait(30)
    assert job.cancelled
    assert db.query("SELECT count(*) FROM surveys").single_value() == before


def test_builder_subject_list_shows_progress_and_cancels(admin, short_wait, monkeypatch):
    _, _, user = admin
    from services import evaluation

    monkeypatch.setattr(evaluation, "subject_names_from_table", _slow)
    at = page_test("pages/builder.py", user)
    at.run()
    at.selectbox(key="builder.new.kind").set_value("evaluation").run()
    at.file_uploader(key="builder.new.subjects_file").set_value(("名单.csv", "姓名\n张三\n李四\n".encode(), CSV)).run()
    _cancel_and_see_it(at, "builder.subjects")


def test_builder_subject_list_is_read_through_the_job(admin):
    _, _, user = admin
    at = page_test("pages/builder.py", user)
    at.run()
    at.selectbox(key="builder.new.kind").set_value("evaluation").run()
    at.file_uploader(key="builder.new.subjects_file").set_value(("名单.csv", "姓名\n张三\n李四\n".encode(), CSV)).run()
    assert not at.exception, at.exception
    assert "已读取 2 个评议对象。" in [c.value for c in at.caption]
