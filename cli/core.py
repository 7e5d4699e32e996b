"""Core commands: init, user add/list, unit list, survey list."""

from __future__ import annotations

import argparse

import settings as settings_module
from auth import accounts, setup
from cli.common import CliError, open_db, print_json, read_password
from i18n import t
from storage import orgs, users
from storage import surveys as survey_store
from storage.db import Scope


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("init", help="create or upgrade the database and install the built-in surveys")
    p.set_defaults(func=cmd_init)

    user = subparsers.add_parser("user", help="manage staff accounts").add_subparsers(dest="user_command", metavar="ACTION")
    user.required = True
    add = user.add_parser("add", help="add a user; the password is read from stdin or prompted")
    add.add_argument("username")
    add.add_argument("--role", choices=users.ROLES, required=True)
    add.add_argument("--unit", required=True, help="org unit code the user belongs to")
    add.add_argument("--name", default="", help="display name (default: the username)")
    add.set_defaults(func=cmd_user_add)
    ls = user.add_parser("list", help="list users")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_user_list)

    unit = subparsers.add_parser("unit", help="org units").add_subparsers(dest="unit_command", metavar="ACTION")
    unit.required = True
    ul = unit.add_parser("list", help="list org units (ids, codes, names, levels)")
    ul.add_argument("--json", action="store_true")
    ul.set_defaults(func=cmd_unit_list)
    ua = unit.add_parser("add", help="add an org unit (a root when --parent is omitted)")
    ua.add_argument("code")
    ua.add_argument("name")
    ua.add_argument("--parent", help="parent unit code")
    ua.set_defaults(func=cmd_unit_add)

    survey = subparsers.add_parser("survey", help="surveys").add_subparsers(dest="survey_command", metavar="ACTION")
    survey.required = True
    sl = survey.add_parser("list", help="list surveys (ids, titles, kinds, status, versions)")
    sl.add_argument("--json", action="store_true")
    sl.set_defaults(func=cmd_survey_list)


def cmd_init(args: argparse.Namespace) -> int:
    cfg = settings_module.load()
    db = open_db()
    settings_module.cookie_secret(cfg)
    print(f"{t('cli.init_done', args.lang, path=str(cfg.db_path))}")
    code = setup.ensure_setup_code(db, cfg.data_dir)
    if code:
        print(t("cli.setup_hint", args.lang, code=code))
    db.close()
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    db = open_db()
    unit = orgs.get_unit_by_code(db, args.unit)
    if unit is None:
        raise CliError("cli.unknown_unit", code=args.unit)
    password = read_password(t("auth.password", args.lang) + ": ")
    try:
        accounts.create_account(db, args.username, args.name, args.role, unit.id, password)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.role == "admin":
        setup.finish_setup(db, settings_module.load().data_dir)
    print(t("users.created", args.lang, username=args.username))
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    db = open_db()
    rows = users.list_users(db, Scope.everything())
    data = [{"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
             "unit_id": u.org_unit_id, "unit": u.unit_name, "active": u.active} for u in rows]
    if args.json:
        print_json(data)
    else:
        for d in data:
            print(f"{d['id']:>5}  {d['username']:<20} {d['role']:<7} {d['unit']}{'' if d['active'] else '  (inactive)'}")
    return 0


def cmd_unit_list(args: argparse.Namespace) -> int:
    db = open_db()
    levels = {lv.level: lv.code for lv in orgs.levels(db)}
    data = [{"id": u.id, "code": u.code, "name": u.name, "level": levels.get(u.level, u.level),
             "level_number": u.level, "parent_id": u.parent_id} for u in orgs.list_units(db, Scope.everything())]
    if args.json:
        print_json(data)
    else:
        for d in data:
            print(f"{'  ' * (d['level_number'] - 1)}{d['code']}  {d['name']}  ({d['level']})")
    return 0


def cmd_unit_add(args: argparse.Namespace) -> int:
    db = open_db()
    if orgs.get_unit_by_code(db, args.code) is not None:
        raise CliError("units.code_taken", code=args.code)
    parent = None
    if args.parent:
        parent = orgs.get_unit_by_code(db, args.parent)
        if parent is None:
            raise CliError("cli.unknown_unit", code=args.parent)
        if parent.level >= max(lv.level for lv in orgs.levels(db)):
            raise CliError("units.leaf")
    unit = orgs.create_unit(db, args.code, args.name, parent.level + 1 if parent else 1, parent.id if parent else None)
    print(t("units.created", args.lang, name=unit.name))
    return 0


def cmd_survey_list(args: argparse.Namespace) -> int:
    db = open_db()
    data = [{"id": s.id, "title": s.title, "kind": s.kind, "status": s.status,
             "current_version": s.current_version, "versions": s.versions}
            for s in survey_store.list_surveys(db, Scope.everything(), include_archived=True)]
    if args.json:
        print_json(data)
    else:
        for d in data:
            print(f"{d['id']:<24} v{d['current_version'] or '-':<3} {d['status']:<8} {d['kind']:<12} {d['title']}")
    return 0
