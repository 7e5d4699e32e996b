"""Benchmark: manage.py copy-db's copy of a demo district, DuckDB → TARGET → a new DuckDB file: rows/s and peak memory.

    python bench/copy_db.py [--responses 100000] [--target postgresql://…empty database] [--chunk-rows 50000]

Builds a demo district (``--responses`` satisfaction responses, ~16 answers each) in a temporary DuckDB file, copies it
into ``--target`` (default: a second temporary DuckDB file) and from there into a new DuckDB file, as copy-db does
(mark, migrate, every table in key order in chunks, row counts and sampled rows checked, sequences), and prints the
seconds and rows/s of each direction and of its largest tables, and the process's peak resident memory after each
direction (the figure that must not grow with the size of the answers table). The stats --json comparison that
copy-db runs last is not timed here.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import copy  # noqa: E402
from storage.db import open_database  # noqa: E402


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def one_copy(source: str, target: str, chunk_rows: int) -> None:
    src = copy.open_source(source)
    dst, _ = copy.open_target(target)
    began = time.perf_counter()
    last = [began]
    big: list[str] = []

    def progress(done: copy.TableCopy) -> None:
        now = time.perf_counter()
        if done.target_rows >= 50_000:
            big.append(f"    {done.name:<16} {done.target_rows:>10,} rows {now - last[0]:>6.1f} s "
                       f"{done.target_rows / max(now - last[0], 1e-9):>9,.0f} rows/s")
        last[0] = now

    try:
        copy.begin(dst, source)
        copied = copy.copy_all(src, dst, chunk_rows=chunk_rows, progress=progress)
        copy.finish(dst)
    finally:
        dst.close()
        src.close()
    seconds = time.perf_counter() - began
    rows = sum(c.target_rows for c in copied)
    print(f"{copy.shown(source)} -> {copy.shown(target)}")
    print(f"  {len(copied)} tables, {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s); "
          f"peak memory so far {peak_mb()} MB")
    print("\n".join(big))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--target", default=None, help="an empty PostgreSQL database (default: a DuckDB file)")
    parser.add_argument("--chunk-rows", type=int, default=copy.CHUNK_ROWS)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="minyi-bench-copy-"))
    source = str(folder / "source.duckdb")
    began = time.perf_counter()
    # in a process of its own, so the peak memory printed below is the copy's alone
    subprocess.run([sys.executable, "manage.py", "demo", "--responses", str(args.responses), "--seed", "1"],
                   cwd=ROOT, env={**os.environ, "MINYI_DB": source, "MINYI_SECRET": "bench"}, check=True,
                   capture_output=True)
    db = open_database(source)
    answers = db.query("SELECT count(*) FROM answers").single_value()
    db.close()
    print(f"demo district: {args.responses:,} responses, {answers:,} answers ({time.perf_counter() - began:.0f} s)")
    middle = args.target or str(folder / "middle.duckdb")
    one_copy(source, middle, args.chunk_rows)
    one_copy(middle, str(folder / "back.duckdb"), args.chunk_rows)


if __name__ == "__main__":
    main()
