"""Share-link commands: `link create SURVEY --unit CODE [--single-use N] [--expires DATE] [--cap N] [--qr DIR]`."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from cli.common import CliError, open_db, print_json
from i18n import t
from services import share_links
from sharing.qr import qr_png, qr_svg
from storage.db import Scope


def register(subparsers: argparse._SubParsersAction) -> None:
    link = subparsers.add_parser("link", help="share links: open links or single-use codes with QR images")
    actions = link.add_subparsers(dest="link_command", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="create links for an open survey and a unit; prints the URL(s)")
    create.add_argument("survey", help="survey id, e.g. qunzhong_manyidu")
    create.add_argument("--unit", required=True, help="code of the org unit the answers count for")
    create.add_argument("--single-use", type=int, metavar="N", help="create N single-use codes instead of one open link")
    create.add_argument("--expires", metavar="DATE", help="last day the link accepts answers (YYYY-MM-DD)")
    create.add_argument("--cap", type=int, metavar="N", help="accept at most N responses through the link")
    create.add_argument("--rate-limit", type=int, metavar="N",
                        help="at most N submissions a minute per client address (default: MINYI_LINK_BURST_PER_MINUTE)")
    create.add_argument("--label", help="a note shown in the link list")
    create.add_argument("--qr", metavar="DIR", help="write a PNG and an SVG QR code per link into DIR")
    create.add_argument("--sheet", metavar="FILE", help="write the printable PDF sheet of a single-use batch")
    create.add_argument("--json", action="store_true", help="print tokens and URLs as JSON")
    create.set_defaults(func=cmd_link_create)


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError("links.error.bad_date", value=text) from None


def cmd_link_create(args: argparse.Namespace) -> int:
    expires_on = _date(args.expires)
    db = open_db()
    try:
        try:
            created = share_links.create(
                db, survey_id=args.survey, unit_code=args.unit, scope=Scope.everything(),
                single_use=args.single_use, expires_on=expires_on, response_cap=args.cap,
                rate_limit_per_minute=args.rate_limit, label=args.label, actor_name="cli",
            )
        except share_links.LinkRequestError as exc:
            raise CliError(exc.key, **exc.params) from None
        if args.json:
            print_json([{"token": token, "url": url} for token, url in zip(created.tokens, created.urls)])
        else:
            for url in created.urls:
                print(url)
        if args.qr:
            folder = Path(args.qr)
            folder.mkdir(parents=True, exist_ok=True)
            for token, url in zip(created.tokens, created.urls):
                (folder / f"{token}.png").write_bytes(qr_png(url))
                (folder / f"{token}.svg").write_bytes(qr_svg(url))
            print(t("links.cli.qr_written", args.lang, dir=str(folder), count=len(created.tokens)))
        if args.sheet and created.batch_id:
            pdf = share_links.batch_sheet(db, created.batch_id, Scope.everything(),
                                          instruction=t("links.sheet_instruction", args.lang),
                                          page_label=t("links.sheet_page", args.lang))
            Path(args.sheet).write_bytes(pdf or b"")
            print(t("links.cli.sheet_written", args.lang, file=args.sheet))
    finally:
        db.close()
    return 0
