"""The field-work commands: import-units and import-households (dry run, bad rows, progress on stderr, re-import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from storage.db import open_database

ROOT = Path(__file__).resolve().parents[2]

UNITS = "编码,名称,上级编码,层级\nD1,清河区,,区\nT1,东风街道,D1,街道\nC1,幸福社区,T1,社区\nG1,幸福一网格,C1,网格\nG2,幸福二网格,C1,网格\n"
GOOD = "户编号 ,户主姓名,联系电话,地址,所属网格,家庭人口,标签\nH1,张三,１３８１２３４５６７８,a,G1,2,低保户\nH2,李四,,b,幸福二网格,1,\n"


def run(target: str, *args: str) -> subprocess.CompletedProcess:
    """manage.py on ``target`` (fresh_target: a DuckDB file, or a database on the PostgreSQL test cluster)."""
    env = {**os.environ, "MINYI_DB": target, "MINYI_SECRET": "s"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def _households(target: str) -> list[tuple]:
    db = open_database(target)
    try:
        return db.query("SELECT code, head_name, phone FROM households ORDER BY code").rows
    finally:
        db.close()


def test_import_units_then_households_dry_run_bad_rows_and_reimport(tmp_path, fresh_target):
    (tmp_path / "org.csv").write_bytes(UNITS.encode("gbk"))
    (tmp_path / "hh.csv").write_bytes(GOOD.encode("gbk"))
    (tmp_path / "bad.csv").write_bytes((GOOD + "H3,王五,12345,c,G9,2,\n").encode("utf-8-sig"))
    out = run(fresh_target, "import-units", str(tmp_path / "org.csv"))
    assert out.returncode == 0, out.stderr
    assert "新增 5 个" in out.stdout

    dry = run(fresh_target, "import-households", str(tmp_path / "bad.csv"), "--dry-run", "--json")
    assert dry.returncode == 1
    report = json.loads(dry.stdout)
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(4, "unknown_grid"), (4, "bad_phone")]
    assert "行号 4" in dry.stderr and "100%" in dry.stderr
    assert _households(fresh_target) == []

    refused = run(fresh_target, "import-households", str(tmp_path / "bad.csv"))
    assert refused.returncode == 1 and "--skip-bad-rows" in refused.stderr
    assert _households(fresh_target) == []

    first = run(fresh_target, "import-households", str(tmp_path / "hh.csv"), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["inserted"] == 2
    again = run(fresh_target, "--lang", "en", "import-households", str(tmp_path / "bad.csv"), "--skip-bad-rows")
    assert again.returncode == 0, again.stderr
    assert "0 new, 0 updated, 2 unchanged" in again.stdout
    assert _households(fresh_target) == [("H1", "张三", "13812345678"), ("H2", "李四", None)]


def test_missing_file_and_missing_columns(tmp_path, fresh_target):
    out = run(fresh_target, "import-households", str(tmp_path / "nope.csv"))
    assert out.returncode == 1 and "找不到文件" in out.stderr
    (tmp_path / "x.csv").write_text("姓名,电话\n张三,1\n", encoding="utf-8")
    out = run(fresh_target, "import-households", str(tmp_path / "x.csv"))
    assert out.returncode == 1 and "缺少必需的列" in out.stderr
