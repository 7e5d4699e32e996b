"""The copy-db command: a whole Minyi database copied to another engine (DuckDB ↔ PostgreSQL), then checked."""

from __future__ import annotations

import argparse

from cli.stats import stats_document
from i18n import t
from storage import copy
from storage.db import engine_errors


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "copy-db", help="copy a Minyi database into an empty one on the other engine (DuckDB file <-> postgresql:// "
                        "URL) and check the copy; the app must not serve the target meanwhile")
    p.add_argument("source", help="the database to copy: a DuckDB file or a postgresql:// URL")
    p.add_argument("target", help="an empty PostgreSQL database (postgresql:// URL) or a new DuckDB file")
    p.add_argument("--chunk-rows", type=int, default=copy.CHUNK_ROWS,
                   help=f"rows read and written at a time (default {copy.CHUNK_ROWS}; bounds the memory used)")
    p.set_defaults(func=cmd_copy_db)


def cmd_copy_db(args: argparse.Namespace) -> int:
    lang = args.lang
    source, target = args.source, args.target
    copy.check_distinct(source, target)
    src = copy.open_source(source)
    try:
        dst, restarted = copy.open_target(target)
        try:
            print(t("pgcopy.started", lang, source=copy.shown(source), target=copy.shown(target)), flush=True)
            if restarted:
                print(t("pgcopy.restarted", lang), flush=True)
            copy.begin(dst, source)

            def progress(done: copy.TableCopy) -> None:
                print(t("pgcopy.table", lang, table=done.name, rows=f"{done.target_rows:,}", sampled=done.sampled),
                      flush=True)

            copied = copy.copy_all(src, dst, chunk_rows=max(1, args.chunk_rows), progress=progress)
            try:
                differences = list(copy.iter_differences(stats_document(src), stats_document(dst)))
            except engine_errors() as exc:  # the figures cannot be computed on one side: the check did not pass
                raise copy.CopyFailed(str(exc), table="stats --json", reason=copy.first_line(exc)) from exc
            if differences:
                raise copy.CopyMismatch(differences[0], table="stats --json", what="; ".join(differences[:3]))
            copy.finish(dst)
        finally:
            dst.close()
    finally:
        src.close()
    print(t("pgcopy.done", lang, tables=len(copied), rows=f"{sum(c.target_rows for c in copied):,}",
            sampled=sum(c.sampled for c in copied), target=copy.shown(target)))
    return 0
