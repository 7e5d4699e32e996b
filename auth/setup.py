"""First start: a one-time setup code that lets the newcomer create the first admin, claimed exactly once."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from auth.passwords import hash_password
from storage import audit, orgs, users
from storage.db import Database, engine_errors, is_race

META_KEY = "setup_code_sha256"
CODE_FILE = "setup-code.txt"


class SetupTaken(Exception):
    """The setup code was claimed by another request (or is gone): the first admin exists or is being created."""


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def needs_setup(db: Database) -> bool:
    return users.count_users(db, "admin") == 0


def ensure_setup_code(db: Database, data_dir: Path) -> str | None:
    """While no admin exists, make sure a one-time setup code exists: written
    to ``data_dir/setup-code.txt`` (mode 0600) and returned so the caller can
    print it. Returns None once an admin exists. Processes starting together on one database take turns (a lock
    the database holds), so they all find and print the same code."""
    with db.dialect.exclusive_wait(db, "setup-code"):
        return _ensure_setup_code(db, data_dir)


def _ensure_setup_code(db: Database, data_dir: Path) -> str | None:
    if not needs_setup(db):
        return None
    file = data_dir / CODE_FILE
    if file.exists() and users.get_meta(db, META_KEY):
        code = file.read_text(encoding="utf-8").strip()
        if hmac.compare_digest(_digest(code), users.get_meta(db, META_KEY) or ""):
            return code
    code = "-".join(secrets.token_hex(3) for _ in range(3))
    users.set_meta(db, META_KEY, _digest(code))
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if file.exists():
        file.unlink()
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(code + "\n")
    return code


def check_setup_code(db: Database, code: str) -> bool:
    stored = users.get_meta(db, META_KEY)
    if not stored or not needs_setup(db):
        return False
    return hmac.compare_digest(_digest(code), stored)


def create_first_admin(
    db: Database, code: str, unit_code: str, unit_name: str, username: str, display_name: str, password: str,
    data_dir: Path, ip: str | None = None,
) -> int:
    """Claim the setup code and create the root unit (unless it exists) and the first admin, in one transaction:
    of concurrent requests with the right code exactly one succeeds and the others raise SetupTaken; a failure
    after the claim (a taken username) rolls the claim back, so the code still works. Returns the admin's id."""
    password_hash = hash_password(password)  # outside the transaction: ~50 ms
    try:
        with db.transaction() as tx:
            if not users.claim_meta(tx, META_KEY, _digest(code)):
                raise SetupTaken()
            unit = orgs.get_unit_by_code(tx, unit_code) or orgs.create_unit(tx, unit_code, unit_name, 1)
            user_id = users.create_user(tx, username, display_name or username, "admin", unit.id, password_hash)
    except engine_errors() as exc:
        if not is_race(exc):
            raise
        raise SetupTaken() from exc  # lost the race on the claim (a write conflict, or the admin created meanwhile)
    audit.record(db, "user.create", actor_name="setup", target=username, detail={"role": "admin", "unit": unit.id})
    audit.record(db, "setup.done", actor_name=username, ip=ip)
    file = data_dir / CODE_FILE
    if file.exists():
        file.unlink()
    return user_id


def finish_setup(db: Database, data_dir: Path) -> None:
    """Burn the setup code (the CLI's path: an admin was added without the setup page)."""
    users.delete_meta(db, META_KEY)
    file = data_dir / CODE_FILE
    if file.exists():
        file.unlink()
