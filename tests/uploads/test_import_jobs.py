"""Long imports run off the script thread: progress, a cancel that writes nothing, one import at a time, a job whose
page went away stops, and the households page shows the progress and the cancel."""

from __future__ import annotations

import threading
import time

import pytest

from fieldwork import registry
from i18n import t
from services import fieldwork as fw
from services import uploads
from storage.db import Scope
from tests.conftest import build_tree, make_principal, page_test
from tests.fieldwork.conftest import registry_csv

ROWS = [(f"H{i}", "张三", "", "幸福路", "T1C1G1", 2, "") for i in range(50)]


def test_a_household_import_cancelled_midway_writes_nothing(db):
    build_tree(db)
    check = fw.check_households(db, Scope.everything(), registry_csv(ROWS).encode(), "r.csv")
    holder: list[uploads.ImportJob] = []

    def work(progress):
        def step(fraction):
            if fraction >= 0.5:  # the insert has run inside the transaction: cancel now
                holder[0].cancel()
            progress(fraction)
        return fw.import_households(db, Scope.everything(), check, progress=step)

    job = uploads.ImportJob(work)
    holder.append(job)
    job.start().wait(30)
    assert job.done and job.cancelled
    with pytest.raises(uploads.Cancelled):
        job.outcome()
    assert db.query("SELECT count(*) FROM households").single_value() == 0
    done = uploads.ImportJob(lambda progress: fw.import_households(db, Scope.everything(), check, progress=progress))
    done.start().wait(30)
    assert done.outcome().inserted == 50 and done.progress == 1.0


def test_imports_run_one_at_a_time_and_a_queued_one_says_so():
    release = threading.Event()
    first = uploads.ImportJob(lambda progress: release.wait(30) and "first").start()
    time.sleep(0.1)
    second = uploads.ImportJob(lambda progress: "second").start()
    assert not second.wait(0.3) and second.waiting
    release.set()
    assert first.wait(30) and second.wait(30)
    assert (first.outcome(), second.outcome()) == ("first", "second")


def test_a_job_whose_page_stopped_looking_stops_at_its_next_step(monkeypatch):
    monkeypatch.setattr(uploads, "ABANDON_SECONDS", 0.2)
    steps: list[float] = []

    def work(progress):
        for i in range(1000):
            progress(i / 1000)
            steps.append(i)
            time.sleep(0.01)
        return "finished"

    job = uploads.ImportJob(work).start()
    assert job.wait(30) and job.cancelled
    assert len(steps) < 1000


def test_the_work_s_own_error_is_raised_on_the_page_s_thread():
    def work(progress):
        raise registry.RegistryFileError("registry.err.empty")

    job = uploads.ImportJob(work).start()
    job.wait(30)
    with pytest.raises(registry.RegistryFileError):
        job.outcome()


def test_households_page_shows_progress_and_cancels_a_long_check(app_db, monkeypatch):
    from ui import import_job

    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    monkeypatch.setattr(import_job, "WAIT_SECONDS", 0.2)

    def slow_check(db, scope, data, filename, progress=None):  # as a 600,000-row registry: still checking
        for i in range(3000):
            progress(min(i / 3000, 0.4))
            time.sleep(0.01)
        raise AssertionError("the cancel did not stop the check")

    monkeypatch.setattr(fw, "check_households", slow_check)
    at = page_test("pages/households.py", admin)
    at.run()
    at.file_uploader(key="households.upload").set_value(("r.csv", registry_csv(ROWS).encode(), "text/csv")).run()
    assert not at.exception, at.exception
    assert at.get("progress") and "正在处理" in at.get("progress")[0].proto.text
    assert at.button(key="households.check.cancel")
    assert [h.value for h in at.subheader] == [t("households.list")]  # the rest of the page still renders meanwhile
    at.button(key="households.check.cancel").click().run()
    jobs = at.session_state["minyi.import.jobs"]
    assert jobs["households.check"][1].wait(30)
    at.run()
    assert not at.exception, at.exception
    assert any("导入已取消，未写入任何数据" in i.value for i in at.info)
    assert app_db.query("SELECT count(*) FROM households").single_value() == 0
