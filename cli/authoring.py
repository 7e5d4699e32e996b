"""Authoring commands: import-survey (YAML or XLSForm), export-survey, import-responses (paper questionnaires)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from auth.principal import Principal
from cli.common import CliError, open_db
from i18n import t
from services import authoring, paper_import
from storage.db import Database
from surveys import SurveyDefinitionError
from surveys.errors import ImportIssue

# The CLI acts as the installation's administrator over the whole org tree.
CLI_PRINCIPAL = Principal(0, "cli", "cli", "admin", 0, "/", 0, "")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("import-survey", help="import a survey from YAML or an XLSForm .xlsx as a new draft")
    p.add_argument("file")
    p.add_argument("--publish", action="store_true", help="publish version 1 right away (if it has no errors)")
    p.set_defaults(func=cmd_import_survey)
    e = subparsers.add_parser("export-survey", help="export a survey's current version as YAML")
    e.add_argument("id")
    e.add_argument("-o", "--output", help="file to write (default: print)")
    e.add_argument("--version", type=int, default=None)
    e.set_defaults(func=cmd_export_survey)
    r = subparsers.add_parser("import-responses", help="import paper questionnaires typed into CSV/XLSX")
    r.add_argument("survey")
    r.add_argument("file")
    r.add_argument("--dry-run", action="store_true", help="check every row and store nothing")
    r.set_defaults(func=cmd_import_responses)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CliError("authoring.cli.unreadable", file=path, detail=exc.strerror or str(exc)) from None


def _print_report(report: list[ImportIssue], lang: str, stream: TextIO = sys.stdout) -> None:
    for issue in report:
        where = t("authoring.report.where", lang, row=issue.row, column=issue.column)
        print(f"{where}  {issue.message(lang)}", file=stream)


def cmd_import_survey(args: argparse.Namespace) -> int:
    content = _read(args.file)
    db: Database = open_db()
    name = Path(args.file).name
    try:
        if authoring.is_xlsform(name, content):
            outcome = authoring.import_xlsform(db, CLI_PRINCIPAL, content, filename=name, publish_now=args.publish)
        else:  # bytes: strict UTF-8 and the size bound are the import's own checks
            outcome = authoring.import_yaml(db, CLI_PRINCIPAL, content, filename=name, publish_now=args.publish)
    except SurveyDefinitionError as exc:
        print(exc.message(args.lang), file=sys.stderr)
        raise CliError("authoring.cli.import_failed", file=name) from None
    except authoring.UnreadableWorkbook as exc:
        _print_report(exc.issues, args.lang, sys.stderr)
        raise CliError("authoring.cli.import_failed", file=name) from None
    print(outcome.survey_id)
    if outcome.report:
        print(t("authoring.report.title", args.lang, n=len(outcome.report)))
        _print_report(outcome.report, args.lang)
    if outcome.definition_errors:
        print(t("authoring.cli.draft_has_errors", args.lang), file=sys.stderr)
        for message in outcome.definition_errors:
            print(message, file=sys.stderr)
        return 3 if args.publish else 0
    if outcome.version is not None:
        print(t("authoring.cli.published", args.lang, id=outcome.survey_id, version=outcome.version))
    else:
        print(t("authoring.cli.draft_saved", args.lang, id=outcome.survey_id))
    return 0


def cmd_export_survey(args: argparse.Namespace) -> int:
    db = open_db()
    try:
        text = authoring.export_yaml(db, args.id, args.version)
    except authoring.AuthoringError as exc:
        raise CliError(exc.key, **exc.params) from None
    except SurveyDefinitionError as exc:
        print(exc.message(args.lang), file=sys.stderr)
        raise CliError("authoring.cli.draft_has_errors") from None
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(t("authoring.cli.exported", args.lang, file=args.output))
    else:
        sys.stdout.write(text)
    return 0


def cmd_import_responses(args: argparse.Namespace) -> int:
    content = _read(args.file)
    db = open_db()
    name = Path(args.file).name
    try:
        plan = paper_import.plan_import(db, CLI_PRINCIPAL, args.survey, content, name)
    except paper_import.PaperImportError as exc:
        raise CliError("authoring.cli.paper_failed", reason=exc.issue.message(args.lang)) from None
    _print_report(plan.warnings, args.lang)
    if not plan.ok:
        _print_report(plan.errors, args.lang, sys.stderr)
        print(t("authoring.paper.rejected", args.lang, bad=len(plan.bad_rows) or 1, total=plan.rows_total), file=sys.stderr)
        return 4
    if args.dry_run:
        print(t("authoring.paper.dry_run_ok", args.lang, n=len(plan.responses)))
        return 0
    result = paper_import.run_import(db, CLI_PRINCIPAL, plan, name)
    print(t("authoring.paper.stored", args.lang, created=result.created, skipped=result.already_stored))
    return 0
