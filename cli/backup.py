"""Backup commands: take a backup (for cron while the app is stopped) and restore one into MINYI_DB."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import settings as settings_module
from cli.common import CliError
from i18n import t
from services import backups
from storage.db import open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("backup", help="back the database up now into the backup folder (app stopped; the "
                                             "running app backs up by itself)")
    p.add_argument("--dir", help="backup folder (default: MINYI_BACKUP_DIR, else backups/ beside the database)")
    p.set_defaults(func=cmd_backup)
    r = subparsers.add_parser("restore", help="bring a backup back as the database MINYI_DB names (app stopped); "
                                              "the current database is kept aside under a new name")
    r.add_argument("backup", help="the backup file (minyi-YYYYMMDD-HHMMSS.duckdb)")
    r.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    cfg = settings_module.load()
    if args.dir:
        cfg = dataclasses.replace(cfg, backup_dir=Path(args.dir).resolve())
    if not cfg.db_path.exists():
        raise CliError("backup.no_database", path=str(cfg.db_path))
    db = open_database(cfg.db_path)  # DatabaseLocked while the app runs: it takes its own backups
    try:
        outcome = backups.take_backup(db, cfg, origin="cli")
    finally:
        db.close()
    if not outcome.ok:
        raise CliError("backup.cli_failed", error=outcome.error or outcome.skipped or "")
    assert outcome.file is not None
    print(t("backup.cli_done", args.lang, path=str(outcome.file.path), size=outcome.file.size))
    for name in outcome.removed:
        print(t("backup.cli_rotated", args.lang, name=name))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    outcome = backups.restore(Path(args.backup))
    print(t("backup.cli_restored", args.lang, path=str(outcome.target), taken_at=outcome.taken_at,
            responses=outcome.counts.get("responses", 0), households=outcome.counts.get("households", 0)))
    if outcome.aside is not None:
        print(t("backup.cli_aside", args.lang, path=str(outcome.aside)))
    return 0
