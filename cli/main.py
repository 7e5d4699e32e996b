"""Builds the argument parser from every command module in cli/ and runs the chosen command."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import cli
from cli.common import CliError
from i18n import t
from services.uploads import UploadRefused
from storage.db import StorageError

_SKIP = {"main", "common"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python manage.py", description="Minyi (民意) administration commands.")
    parser.add_argument("--lang", choices=("zh", "en"), default=None, help="language of messages (default: MINYI_LANG or zh)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda i: i.name):
        if info.name in _SKIP:
            continue
        module = importlib.import_module(f"cli.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from cli.common import lang as default_lang

    args.lang = args.lang or default_lang()
    try:
        return int(args.func(args) or 0)
    except StorageError as exc:
        print(t(exc.code, args.lang, detail=exc.detail, **exc.params), file=sys.stderr)
        return 2
    except CliError as exc:
        print(exc.message(args.lang), file=sys.stderr)
        return exc.exit_code
    except UploadRefused as exc:  # any import command: the file is past its bounds, nothing was read or written
        print(t(exc.code, args.lang, **exc.params), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


SIGPIPE_EXIT = 141  # 128 + SIGPIPE: what a shell reports for a program stopped by a closed pipe


def run(argv: list[str]) -> int:
    """``main`` for the command line: when the reader of stdout goes away (``manage.py unit list | head``), stop
    quietly with 141 instead of a BrokenPipeError traceback (the approach in Python's signal documentation)."""
    try:
        code = main(argv)
        sys.stdout.flush()  # a closed pipe shows here at the latest, not in the interpreter's own flush at exit
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's flush at exit must not fail again
        return SIGPIPE_EXIT
