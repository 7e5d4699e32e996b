"""deploy/start-processes.sh refuses what cannot work before starting anything."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import ROOT


def _run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "deploy/start-processes.sh", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "MINYI_LOG_DIR": str(tmp_path / "logs"), **env}, timeout=30)


def test_several_processes_on_a_duckdb_file_are_refused_with_the_way_out(tmp_path):
    done = _run(tmp_path, "2", MINYI_DB=str(tmp_path / "minyi.duckdb"))
    assert done.returncode == 2
    assert "postgresql://" in done.stderr and "DuckDB 只允许一个进程打开数据库文件" in done.stderr
    assert not (tmp_path / "logs").exists() and not (tmp_path / "minyi.duckdb").exists()  # nothing started


def test_a_count_that_is_not_a_number_gets_the_usage(tmp_path):
    done = _run(tmp_path, "two")
    assert done.returncode == 2 and "usage: deploy/start-processes.sh N" in done.stderr


def test_stop_with_nothing_running_says_so(tmp_path):
    done = _run(tmp_path, "stop")
    assert done.returncode == 1 and "nothing running" in done.stderr
