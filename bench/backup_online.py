"""Benchmark: an online backup of a large database while residents keep submitting.

Builds the demo district (``--responses``, default 400,000: a ~140 MB file) in a scratch folder, or copies
``--db``, then has ``--residents`` threads submit through the fill page's group-commit writer before, during and
after services.backups.take_backup. Prints the backup's time and size, submissions/s and latency (p50 / p95 / max)
before and during the backup, stored = acknowledged, and whether the backup is one snapshot (every bench response
in it has all its answers, no answer without its response).

    python bench/backup_online.py [--responses 400000] [--residents 4] [--db PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

import settings  # noqa: E402
from services import backups, submissions  # noqa: E402
from storage import orgs  # noqa: E402
from storage.db import open_database  # noqa: E402
from tests.sharing.sharing_fixtures import make_link, publish  # noqa: E402

ANSWERS = {"overall": 4, "services": {"water": 5, "power": 3}, "comment": "ok"}


def _figures(latencies: list[float], seconds: float) -> str:
    if not latencies:
        return "0 submissions"
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"{len(latencies)} submissions, {len(latencies) / seconds:.0f}/s, p50 {statistics.median(ordered) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=400_000)
    parser.add_argument("--residents", type=int, default=4)
    parser.add_argument("--db", help="copy this database instead of building the demo district")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="minyi-bench-backup-"))
    path = scratch / "minyi.duckdb"
    try:
        if args.db:
            shutil.copyfile(args.db, path)
        else:
            subprocess.run([sys.executable, "manage.py", "demo", "--responses", str(args.responses), "--seed", "1"],
                           cwd=ROOT, env={**os.environ, "MINYI_DB": str(path)}, check=True, capture_output=True)
        db = open_database(path)
        cfg = dataclasses.replace(settings.load({"MINYI_DB": str(path)}), backup_keep=2)
        unit = orgs.create_unit(db, "BENCH", "基准网格", 4)
        survey_id = publish(db)
        token = make_link(db, survey_id, unit.id)[0]
        opened = submissions.open_link(db, token, settings.now())
        writer = submissions.GroupWriter(db)
        stop = threading.Event()
        acked: list[tuple[float, float, str]] = []  # (acknowledged at, latency, client key)

        def resident(i: int) -> None:
            k = 0
            while not stop.is_set():
                key = f"bench-{i}-{k}"
                began = time.perf_counter()
                result = submissions.submit(db, token=token, survey=opened.survey, version=opened.version,
                                            raw=ANSWERS, client_key=key, started_at=None, at=settings.now(),
                                            writer=writer)
                if result.status == "stored":
                    acked.append((time.perf_counter(), time.perf_counter() - began, key))
                k += 1
                time.sleep(0.01)  # a resident's pause between submissions

        threads = [threading.Thread(target=resident, args=(i,), daemon=True) for i in range(args.residents)]
        for th in threads:
            th.start()
        quiet_from = time.perf_counter()
        time.sleep(3)
        began = time.perf_counter()
        outcome = backups.take_backup(db, cfg, origin="cli")
        ended = time.perf_counter()
        time.sleep(1)
        stop.set()
        for th in threads:
            th.join(30)
        writer.close()
        stored = {r[0] for r in db.query("SELECT client_key FROM responses WHERE link_token = ?", [token]).rows}
        db.close()
        if not outcome.ok:
            print("backup failed:", outcome.error)
            return
        copy = duckdb.connect(str(outcome.file.path), read_only=True)
        torn = copy.execute(
            """SELECT count(*) FROM (SELECT r.id, count(a.response_id) AS n FROM responses r
                                     LEFT JOIN answers a ON a.response_id = r.id
                                     WHERE r.link_token = ? GROUP BY r.id) WHERE n <> 4""", [token]).fetchone()[0]
        orphans = copy.execute(
            "SELECT count(*) FROM answers WHERE response_id NOT IN (SELECT id FROM responses)").fetchone()[0]
        in_backup = copy.execute("SELECT count(*) FROM responses WHERE link_token = ?", [token]).fetchone()[0]
        total = copy.execute("SELECT count(*) FROM responses").fetchone()[0]
        copy.close()
        before = [lat for at, lat, _ in acked if quiet_from <= at < began]
        during = [lat for at, lat, _ in acked if began <= at <= ended]
        keys = {key for _, _, key in acked}
        print(f"database {path.stat().st_size / 1_048_576:.0f} MB, {total:,} responses in the backup")
        print(f"backup: {ended - began:.2f} s, {outcome.file.size / 1_048_576:.0f} MB, {args.residents} residents "
              "submitting")
        print(f"  before the backup: {_figures(before, began - quiet_from)}")
        print(f"  during the backup: {_figures(during, ended - began)}")
        print(f"stored = acknowledged: {len(keys & stored)} of {len(keys)} ({len(keys - stored)} lost)")
        print(f"snapshot: {in_backup} bench responses in the backup, {torn} without all their answers, "
              f"{orphans} answers without their response")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
