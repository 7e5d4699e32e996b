"""The demo command: fill the database with a deterministic synthetic district."""

from __future__ import annotations

import argparse
import sys

from cli.common import CliError, open_db
from demo import DemoDataPresent, load_demo


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="load a synthetic district (~6 towns, ~40 communities, ~300 grids) with demo accounts"
    )
    p.add_argument("--households", type=int, default=None,
                   help="number of households (default 3000, or one per 3 responses when --responses is larger)")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same district")
    p.add_argument("--responses", type=int, default=None, help="satisfaction responses (default ~3 per household; up to 1,000,000)")
    p.add_argument("--force", action="store_true", help="load even though the database holds non-demo data")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    if args.households is None:  # visits and problems come from households: scale them with the responses
        args.households = max(3000, (args.responses or 0) // 3)
    if args.households < 1 or (args.responses is not None and not 0 <= args.responses <= 1_000_000):
        raise CliError("cli.demo_bad_size")
    db = open_db()
    try:
        summary = load_demo(
            db, households=args.households, seed=args.seed, responses=args.responses, force=args.force,
            progress=lambda message: print(message, file=sys.stderr, flush=True),
        )
    except DemoDataPresent:
        raise CliError("cli.demo_refused") from None
    for line in summary.lines():
        print(line)
    db.close()
    return 0
