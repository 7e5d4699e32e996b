"""Helpers shared by CLI commands: opening the database, messages, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

import settings as settings_module
from i18n import t
from storage.db import Database, open_database


class CliError(Exception):
    """A user-facing CLI failure: an i18n key with parameters and an exit code."""

    def __init__(self, key: str, exit_code: int = 1, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        self.exit_code = exit_code

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


def lang() -> str:
    return settings_module.load().lang


def open_db(prepare: bool = True) -> Database:
    """Open (create/upgrade) the database named by MINYI_DB. The app must not be
    running: DuckDB lets one process hold the file (DatabaseLocked says so)."""
    cfg = settings_module.load()
    db = open_database(cfg.db_path)
    if prepare:
        from services.startup import prepare as prepare_db

        report = prepare_db(db, cfg)
        for error in report.template_errors:
            print(error.message(lang()), file=sys.stderr)
    return db


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def read_password(prompt: str) -> str:
    """A password from stdin when piped, else from an interactive prompt (not echoed)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass(prompt)
    second = getpass.getpass(prompt)
    if first != second:
        raise CliError("auth.password_mismatch")
    return first
