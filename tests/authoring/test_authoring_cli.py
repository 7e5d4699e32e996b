"""CLI: import-survey (YAML, XLSForm), export-survey, import-responses with --dry-run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from surveys import load_survey_text
from tests.authoring.xlsform_fixtures import BILINGUAL_CHOICES, BILINGUAL_SETTINGS, BILINGUAL_SURVEY, xlsx

ROOT = Path(__file__).resolve().parents[2]

SURVEY = """id: cli_demo
title: 命令行问卷
questions:
  - id: overall
    type: rating
    label: 总体评价
    required: true
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MINYI_DB": str(tmp_path / "cli.duckdb"), "MINYI_SECRET": "s", "MINYI_LANG": "zh"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_import_export_and_paper_responses(tmp_path):
    assert run(tmp_path, "unit", "add", "D01", "清河区").returncode == 0
    (tmp_path / "s.yaml").write_text(SURVEY, encoding="utf-8")
    out = run(tmp_path, "import-survey", str(tmp_path / "s.yaml"), "--publish")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "cli_demo" and "已发布 cli_demo 第 1 版" in out.stdout

    exported = run(tmp_path, "export-survey", "cli_demo", "-o", str(tmp_path / "out.yaml"))
    assert exported.returncode == 0, exported.stderr
    assert load_survey_text((tmp_path / "out.yaml").read_text(encoding="utf-8")) == load_survey_text(SURVEY)
    printed = run(tmp_path, "export-survey", "cli_demo")
    assert printed.stdout == (tmp_path / "out.yaml").read_text(encoding="utf-8")
    missing = run(tmp_path, "--lang", "en", "export-survey", "nope")
    assert missing.returncode == 1 and "No survey nope" in missing.stderr

    (tmp_path / "paper.csv").write_text("单位编码,总体评价\nD01,满意\nD01,5\n", encoding="utf-8")
    dry = run(tmp_path, "import-responses", "cli_demo", str(tmp_path / "paper.csv"), "--dry-run")
    assert dry.returncode == 0 and "2 份答卷可以导入" in dry.stdout
    real = run(tmp_path, "import-responses", "cli_demo", str(tmp_path / "paper.csv"))
    assert real.returncode == 0 and "已导入 2 份答卷；0 份" in real.stdout
    again = run(tmp_path, "--lang", "en", "import-responses", "cli_demo", str(tmp_path / "paper.csv"))
    assert again.returncode == 0 and "Imported 0 responses; 2 were already stored" in again.stdout

    (tmp_path / "bad.csv").write_text("unit,overall\nXX,5\nD01,9\n", encoding="utf-8")
    bad = run(tmp_path, "--lang", "en", "import-responses", "cli_demo", str(tmp_path / "bad.csv"))
    assert bad.returncode == 4
    assert "row 2 [unit]  unit code 'XX' does not exist." in bad.stderr
    assert "row 3 [overall]" in bad.stderr and "nothing was imported" in bad.stderr


def test_import_xlsform_prints_id_and_report(tmp_path):
    (tmp_path / "kobo.xlsx").write_bytes(xlsx(BILINGUAL_SURVEY, BILINGUAL_CHOICES, BILINGUAL_SETTINGS))
    out = run(tmp_path, "--lang", "en", "import-survey", str(tmp_path / "kobo.xlsx"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "community_service" and lines[1] == "Import report (12 items):"
    assert "row 17 [type]  type 'geopoint' is not supported; this row was not imported." in out.stdout
    assert "Imported as a draft: community_service" in out.stdout
    (tmp_path / "broken.yaml").write_text("id: x\ntitle: [", encoding="utf-8")
    broken = run(tmp_path, "--lang", "en", "import-survey", str(tmp_path / "broken.yaml"))
    assert broken.returncode == 1 and "YAML syntax error" in broken.stderr
    (tmp_path / "scan.xlsx").write_bytes(b"%PDF-1.4 a scanned form, not a workbook")
    scan = run(tmp_path, "--lang", "en", "import-survey", str(tmp_path / "scan.xlsx"))
    assert scan.returncode == 1 and "not a valid .xlsx workbook" in scan.stderr
    listed = run(tmp_path, "survey", "list", "--json")
    assert "scan" not in listed.stdout  # nothing was created
