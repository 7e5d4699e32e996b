"""First start: templates installed (bad ones skipped and reported), and a broken database explained, not crashed."""

from __future__ import annotations

import shutil

import settings
from services import startup
from storage import surveys as survey_store
from surveys import TEMPLATES_DIR, load_templates
from tests.conftest import page_test


def test_bad_template_is_skipped_and_reported_good_ones_installed(db, tmp_path, monkeypatch):
    shutil.copy(TEMPLATES_DIR / "qunzhong_manyidu.yaml", tmp_path / "good.yaml")
    (tmp_path / "broken.yaml").write_text("id: broken\ntitle: 坏模板\nquestions:\n  - id: q1\n    type: ratng\n    label: x\n", encoding="utf-8")
    monkeypatch.setattr(startup, "load_templates", lambda: load_templates(tmp_path))
    report = startup.prepare(db, settings.load({"MINYI_DB": str(tmp_path / "x.duckdb")}))
    assert report.installed_templates == ["qunzhong_manyidu"]
    assert [(e.file, e.question, e.code) for e in report.template_errors] == [("broken.yaml", "q1", "unknown_type")]
    assert survey_store.get_survey(db, "broken") is None
    assert "ratng" in report.template_errors[0].message("zh")


def test_templates_are_installed_once_and_never_overwritten(db, tmp_path):
    cfg = settings.load({"MINYI_DB": str(tmp_path / "x.duckdb")})
    first = startup.prepare(db, cfg)
    assert set(first.installed_templates) >= {"qunzhong_manyidu", "ruhu_zoufang"}
    assert startup.prepare(db, cfg).installed_templates == []
    assert survey_store.get_survey(db, "qunzhong_manyidu").versions == 1


def test_app_on_a_file_that_is_not_duckdb_explains_itself(tmp_path, monkeypatch):
    bogus = tmp_path / "minyi.duckdb"
    bogus.write_text("户编号,户主姓名\n", encoding="utf-8")
    monkeypatch.setenv("MINYI_DB", str(bogus))
    at = page_test("app.py").run()
    assert not at.exception
    assert at.error[0].value == "数据库无法打开"
    assert "不是 DuckDB 数据库" in at.text[0].value
    assert bogus.read_text(encoding="utf-8") == "户编号,户主姓名\n"


def test_router_serves_the_home_page_to_visitors(app_db):
    at = page_test("app.py").run()
    assert not at.exception
    assert at.title[0].value == "民意"
