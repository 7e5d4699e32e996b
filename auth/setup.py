"""First start: a one-time setup code that lets the newcomer create the first admin."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from storage import users
from storage.db import Database

META_KEY = "setup_code_sha256"
CODE_FILE = "setup-code.txt"


def needs_setup(db: Database) -> bool:
    return users.count_users(db, "admin") == 0


def ensure_setup_code(db: Database, data_dir: Path) -> str | None:
    """While no admin exists, make sure a one-time setup code exists: written
    to ``data_dir/setup-code.txt`` (mode 0600) and returned so the caller can
    print it. Returns None once an admin exists."""
    if not needs_setup(db):
        return None
    file = data_dir / CODE_FILE
    if file.exists() and users.get_meta(db, META_KEY):
        code = file.read_text(encoding="utf-8").strip()
        if hmac.compare_digest(hashlib.sha256(code.encode()).hexdigest(), users.get_meta(db, META_KEY) or ""):
            return code
    code = "-".join(secrets.token_hex(3) for _ in range(3))
    users.set_meta(db, META_KEY, hashlib.sha256(code.encode()).hexdigest())
    data_dir.mkdir(parents=True, exist_ok=True)
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
    return hmac.compare_digest(hashlib.sha256(code.strip().encode()).hexdigest(), stored)


def finish_setup(db: Database, data_dir: Path) -> None:
    """Burn the setup code once the first admin exists."""
    users.delete_meta(db, META_KEY)
    file = data_dir / CODE_FILE
    if file.exists():
        file.unlink()
