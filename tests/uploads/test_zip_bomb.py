"""The zip bomb fed to every upload path (the services behind each page's uploader, and the CLI commands) in its
own process: each refuses it, the process's memory stays under 300 MB, and a resident submitting meanwhile is
stored every time."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

PATHS = ["households", "org tree", "visit sheet", "paper responses", "evaluation subjects", "xlsform"]
CLI = ["cli import-households", "cli import-units", "cli import-survey", "cli import-responses"]


def test_a_400_mb_zip_bomb_is_refused_everywhere_in_bounded_memory_while_residents_are_served(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "uploads" / "bomb_run.py"), str(tmp_path), "400"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bomb_bytes"] < 3 * 1024 * 1024  # a small file: the 400 MB are in the zip
    for path in PATHS:
        assert result["answered"][path] in ("upload.err.zip_ratio", "upload.err.unpacked_too_big"), path
    for command in CLI:
        code, message = result["answered"][command].split(": ", 1)
        assert code == "1" and "未读取" in message, command
    assert result["peak_rss_mb"] < 300
    assert result["submits"] > 0 and result["submits_stored"] == result["submits"] == result["stored"]
