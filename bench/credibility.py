"""Benchmark: computing every credibility signal for the whole district at the dashboard bench's scale, and the
false-flag rate on the honest demo data.

Reuses (or builds) the database of bench/dashboard.py (1.25M survey responses plus the demo's visit forms). Prints
the median of --runs timings of loading the rows the signals read (storage/credibility.py), of each signal, and of
the whole check; then the flags the honest demo district raises and the share of its visits and link responses
they hold (every one of them a false flag: the demo plants nothing).

    python bench/credibility.py [--runs 3] [--responses 1250000] [--households 416666]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analytics import credibility as C  # noqa: E402
from dashboard import open_bench_db  # noqa: E402
from storage.db import Scope  # noqa: E402


def timed(fn, runs):
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--responses", type=int, default=1_250_000)
    parser.add_argument("--households", type=int, default=416_666)
    args = parser.parse_args()
    db = open_bench_db(args)
    scope = Scope.everything()
    load_ms, data = timed(lambda: C.load(db, scope), args.runs)
    print(f"rows read: {len(data.visits):,} visits, {len(data.link_responses):,} link responses, "
          f"{len(data.rating_spread):,} rating spreads, {len(data.texts):,} repeated texts")
    print(f"load the rows the signals read: {load_ms:8.0f} ms")
    flags = []
    for signal in C.SIGNALS:
        ms, found = timed(lambda: signal.compute(data, signal.settings()), args.runs)
        flags.extend(found)
        print(f"  {signal.kind:28s} {ms:8.0f} ms  {len(found):5d} flags")
    total_ms, _ = timed(lambda: C.run_signals(C.load(db, scope)), args.runs)
    print(f"every signal for the whole district (load + compute): {total_ms:.0f} ms (target <= 2000 ms)")
    kinds = collections.Counter(f.kind for f in flags)
    flagged = {(f.row_kind, i) for f in flags for i in f.row_ids}
    rows = len(data.visits) + len(data.link_responses)
    print(f"honest demo: {len(flags)} flags {dict(kinds)}; false-flag rate {len(flagged) / max(rows, 1):.3%} of "
          f"{rows:,} visits and link responses ({len(flagged):,} rows)")
    db.close()


if __name__ == "__main__":
    main()
