"""Benchmark: load the demo district with many responses into a fresh file database; prints seconds and peak RSS."""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import demo  # noqa: E402
from storage import open_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "bench.duckdb")
        began = time.perf_counter()
        summary = demo.load_demo(
            db, households=args.households, seed=args.seed, responses=args.responses,
            progress=lambda msg: print(f"{time.perf_counter() - began:7.1f}s  {msg}", flush=True),
        )
        db.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {summary.seconds:.1f}s, peak RSS {peak_mb:,.0f} MB")
    for table, n in summary.counts.items():
        print(f"  {table}: {n:,}")


if __name__ == "__main__":
    main()
