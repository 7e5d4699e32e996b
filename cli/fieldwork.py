"""Field-work commands: import-units FILE, import-households FILE [--dry-run] (progress bar on stderr)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cli.common import CliError, open_db, print_json
from fieldwork import registry
from i18n import t
from services import fieldwork as fw
from storage import audit
from storage import households as household_store
from storage.db import Scope

MAX_ERRORS_SHOWN = 200


def register(subparsers: argparse._SubParsersAction) -> None:
    u = subparsers.add_parser("import-units", help="import the org tree (编码/名称/上级编码/层级) from CSV or .xlsx")
    u.add_argument("file")
    u.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    u.add_argument("--json", action="store_true", help="print the result as JSON")
    u.set_defaults(func=cmd_import_units)
    h = subparsers.add_parser("import-households", help="import the household registry from CSV (UTF-8/GBK) or .xlsx")
    h.add_argument("file")
    h.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    h.add_argument("--skip-bad-rows", action="store_true", help="import the good rows even when some rows are bad")
    h.add_argument("--json", action="store_true", help="print the result as JSON")
    h.set_defaults(func=cmd_import_households)


class ProgressBar:
    """A one-line text progress bar on stderr (redrawn in place on a terminal, a few lines otherwise)."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label = label
        self.width = width
        self.shown = -1
        self.tty = sys.stderr.isatty()

    def __call__(self, fraction: float) -> None:
        percent = int(max(0.0, min(fraction, 1.0)) * 100)
        step = percent if self.tty else percent // 25 * 25
        if step == self.shown:
            return
        self.shown = step
        filled = int(self.width * percent / 100)
        line = f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}%"
        sys.stderr.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and percent >= 100:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _read(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CliError("fieldwork.cli.file_missing", path=path)
    return file.read_bytes()


def _report_errors(errors: list[registry.RowError], lang: str) -> list[dict]:
    rows = [{"row": e.row, "reason": t(f"registry.err.{e.code}", lang), "code": e.code, "value": e.value}
            for e in errors]
    for r in rows[:MAX_ERRORS_SHOWN]:
        print(f"{t('registry.row', lang)} {r['row']}: {r['reason']}" + (f"（{r['value']}）" if r["value"] else ""),
              file=sys.stderr)
    if len(rows) > MAX_ERRORS_SHOWN:
        print(f"… +{len(rows) - MAX_ERRORS_SHOWN}", file=sys.stderr)
    return rows


def cmd_import_households(args: argparse.Namespace) -> int:
    data = _read(args.file)
    db = open_db()
    started = time.perf_counter()
    try:
        check = fw.check_households(db, Scope.everything(), data, args.file, progress=ProgressBar(t("fieldwork.cli.checking", args.lang)))
    except registry.RegistryFileError as exc:
        raise CliError(exc.code, **exc.params) from None
    bad = len({e.row for e in check.errors})
    summary = t("registry.summary", args.lang, total=check.parse.total_rows, good=check.parse.total_rows - bad, bad=bad,
                encoding=check.parse.encoding)
    print(summary, file=sys.stderr)
    errors = _report_errors(check.errors, args.lang)
    result: dict = {"rows": check.parse.total_rows, "bad_rows": bad, "encoding": check.parse.encoding, "errors": errors}
    if args.dry_run:
        print(t("fieldwork.cli.dry_run", args.lang), file=sys.stderr)
        if args.json:
            print_json(result)
        return 1 if check.errors else 0
    if check.errors and not args.skip_bad_rows:
        raise CliError("fieldwork.cli.bad_rows", n=bad)
    try:
        counts = fw.import_households(db, Scope.everything(), check, skip_bad_rows=True,
                                      progress=ProgressBar(t("fieldwork.cli.writing", args.lang)))
    except household_store.HouseholdsOutOfScope as exc:  # cannot happen at the whole-tree scope; kept for safety
        raise CliError("households.err.codes_elsewhere", codes=", ".join(exc.codes)) from None
    assert counts is not None
    audit.record(db, "households.import", actor_name="cli", target=args.file, detail=counts.__dict__)
    result.update(counts.__dict__, seconds=round(time.perf_counter() - started, 2))
    if args.json:
        print_json(result)
    else:
        print(t("households.imported", args.lang, inserted=counts.inserted, updated=counts.updated,
                unchanged=counts.unchanged))
    return 0


def cmd_import_units(args: argparse.Namespace) -> int:
    data = _read(args.file)
    db = open_db()
    try:
        parse = registry.parse_units(data, args.file, household_store.unit_levels(db))
    except registry.RegistryFileError as exc:
        raise CliError(exc.code, **exc.params) from None
    errors = _report_errors(parse.errors, args.lang)
    result: dict = {"rows": parse.total_rows, "bad_rows": len({e.row for e in parse.errors}), "errors": errors}
    if args.dry_run or parse.errors:
        if args.json:
            print_json(result)
        if parse.errors:
            raise CliError("fieldwork.cli.bad_rows", n=result["bad_rows"])
        print(t("fieldwork.cli.dry_run", args.lang), file=sys.stderr)
        return 0
    counts = household_store.import_units(db, parse.records, Scope.everything())
    audit.record(db, "units.import", actor_name="cli", target=args.file, detail=counts.__dict__)
    result.update(counts.__dict__)
    if args.json:
        print_json(result)
    else:
        print(t("households.units_imported", args.lang, inserted=counts.inserted, updated=counts.updated,
                unchanged=counts.unchanged))
    return 0
