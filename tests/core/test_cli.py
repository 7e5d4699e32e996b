"""The command line: init, users, units, surveys, demo refusal and the locked-database message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from storage.db import open_database

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str, stdin: str = "", db_name: str = "cli.duckdb") -> subprocess.CompletedProcess:
    env = {**os.environ, "MINYI_DB": str(tmp_path / db_name), "MINYI_SECRET": "s"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_init_creates_database_folder_and_prints_setup_code(tmp_path):
    out = run(tmp_path, "init", db_name="sub/dir/m.duckdb")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "sub/dir/m.duckdb").exists()
    code = (tmp_path / "sub/dir/setup-code.txt").read_text().strip()
    assert code in out.stdout


def test_user_add_and_list_and_unit_list_json(tmp_path):
    assert run(tmp_path, "unit", "add", "D01", "清河区").returncode == 0
    assert run(tmp_path, "unit", "add", "D01-T1", "河东街道", "--parent", "D01").returncode == 0
    added = run(tmp_path, "user", "add", "root", "--role", "admin", "--unit", "D01", "--name", "管理员", stdin="root-pass-2026\n")
    assert added.returncode == 0, added.stderr
    assert not (tmp_path / "setup-code.txt").exists()  # the first admin burns the setup code
    users = json.loads(run(tmp_path, "user", "list", "--json").stdout)
    assert [(u["username"], u["role"], u["unit"]) for u in users] == [("root", "admin", "清河区")]
    units = json.loads(run(tmp_path, "unit", "list", "--json").stdout)
    assert [(u["code"], u["level"], u["parent_id"] is None) for u in units] == [("D01", "district", True), ("D01-T1", "town", False)]


def test_user_add_rejects_weak_password_and_unknown_unit(tmp_path):
    run(tmp_path, "unit", "add", "D01", "清河区")
    weak = run(tmp_path, "user", "add", "a", "--role", "cadre", "--unit", "D01", stdin="123\n")
    assert weak.returncode == 1 and "密码至少需要 8 个字符" in weak.stderr
    unknown = run(tmp_path, "--lang", "en", "user", "add", "a", "--role", "cadre", "--unit", "NOPE", stdin="long-enough-1\n")
    assert unknown.returncode == 1 and "No org unit with code NOPE" in unknown.stderr


def test_survey_list_json_shows_the_templates(tmp_path):
    surveys = json.loads(run(tmp_path, "survey", "list", "--json").stdout)
    by_id = {s["id"]: s for s in surveys}
    assert by_id["qunzhong_manyidu"]["status"] == "open" and by_id["qunzhong_manyidu"]["current_version"] == 1
    assert by_id["ruhu_zoufang"]["kind"] == "visit"


def test_demo_is_deterministic_and_refuses_real_data(tmp_path):
    first = run(tmp_path, "demo", "--households", "200", "--seed", "3", db_name="a.duckdb")
    second = run(tmp_path, "demo", "--households", "200", "--seed", "3", db_name="b.duckdb")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    units = json.loads(run(tmp_path, "unit", "list", "--json", db_name="a.duckdb").stdout)
    levels = [u["level"] for u in units]
    assert levels.count("district") == 1 and 4 <= levels.count("town") <= 8 and levels.count("grid") >= 100

    run(tmp_path, "unit", "add", "REAL", "真实区", db_name="c.duckdb")
    run(tmp_path, "user", "add", "real", "--role", "admin", "--unit", "REAL", stdin="real-pass-2026\n", db_name="c.duckdb")
    refused = run(tmp_path, "demo", "--households", "50", db_name="c.duckdb")
    assert refused.returncode == 1 and "--force" in refused.stderr


def test_cli_says_the_app_holds_the_lock(tmp_path):
    db = open_database(tmp_path / "cli.duckdb")
    try:
        out = run(tmp_path, "user", "list")
    finally:
        db.close()
    assert out.returncode == 2
    assert "请先停止应用" in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_refuses_a_file_that_is_not_duckdb(tmp_path):
    (tmp_path / "cli.duckdb").write_text("name,phone\n张三,138\n", encoding="utf-8")
    out = run(tmp_path, "init")
    assert out.returncode == 2 and "不是 DuckDB 数据库" in out.stderr
    assert (tmp_path / "cli.duckdb").read_text(encoding="utf-8") == "name,phone\n张三,138\n"


def test_output_into_a_pipe_closed_early_ends_quietly(tmp_path):
    """`manage.py unit list | head -1`: the reader leaves after one line; no BrokenPipeError traceback, exit 141."""
    from storage import orgs

    db = open_database(tmp_path / "cli.duckdb")
    district = orgs.create_unit(db, "D01", "清河区", 1)
    for i in range(3000):  # far more than a pipe buffer holds, so the writer is still writing when head leaves
        orgs.create_unit(db, f"D01-T{i:04d}", f"第{i}街道（用于测试管道提前关闭的较长单位名称）", 2, district.id)
    db.close()
    env = {**os.environ, "MINYI_DB": str(tmp_path / "cli.duckdb"), "MINYI_SECRET": "s"}
    writer = subprocess.Popen([sys.executable, "manage.py", "unit", "list"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader = subprocess.run([sys.executable, "-c", "import sys; print(sys.stdin.readline(), end='')"],
                            stdin=writer.stdout, capture_output=True, text=True, timeout=120)
    writer.stdout.close()  # the reader has gone: nobody holds the pipe's read end any more
    stderr = writer.stderr.read().decode()
    writer.stderr.close()
    assert writer.wait(timeout=120) == 141, stderr
    assert reader.stdout.startswith("D01")
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
