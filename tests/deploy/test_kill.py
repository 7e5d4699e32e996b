"""An app process on PostgreSQL killed with SIGKILL in the middle of residents' submissions loses no response it
acknowledged, and stores none twice (bench/load_fill.py --kill, at test scale)."""

from __future__ import annotations

import os

import pytest

from bench.load_fill import kill_check

pytestmark = pytest.mark.postgres


def test_sigkill_during_submissions_loses_no_acknowledged_response(fresh_target, tmp_path, monkeypatch):
    for name in ("MINYI_DB", "MINYI_PUBLIC_URL", "MINYI_DATA_DIR"):  # kill_check sets them, as the bench does
        monkeypatch.setenv(name, os.environ.get(name, ""))
    report = kill_check(tmp_path, fresh_target, sessions=120, concurrency=12, seed=3)
    assert len(report.acknowledged) >= 60  # residents were thanked before the kill and after the restart
    assert not report.lost, sorted(report.lost)
    assert len(report.stored) == len(set(report.stored))  # none stored twice
    assert report.ok
