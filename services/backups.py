"""Online backups of the DuckDB database: on a schedule in the running app and on demand, rotated, and restored.

One backup at a time per database (a lock; the scheduler thread and the admin page share it). A backup is written
to a hidden ``.partial`` name in the backup folder and renamed only once complete, so the folder only ever holds
whole backups; a failed one leaves the previous ones in place, is logged with its reason and kept in
``backup_runs`` for the admin page. Rotation deletes the oldest complete backups beyond MINYI_BACKUP_KEEP, never the
one just taken. Restoring (``manage.py restore``, app stopped) sets the current database aside under a new name
before the backup is copied in, and puts it back if anything fails.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import settings as settings_module
from settings import now
from storage import backups as backup_store
from storage import migrations
from storage.db import Database, DatabaseTooNew, NotADatabase, StorageError, open_database

if TYPE_CHECKING:
    from auth.principal import Principal

log = logging.getLogger("minyi.backups")

NAME = re.compile(r"^minyi-(\d{8}-\d{6})(?:-(\d+))?\.duckdb$")
PARTIAL_SUFFIX = ".partial"
MIME = "application/octet-stream"


class BackupRefused(StorageError):
    """A restore that would not bring a usable backup back (the same file as the database, …)."""

    code = "backup.same_file"


@dataclass(frozen=True)
class BackupFile:
    name: str
    path: Path
    taken_at: dt.datetime
    size: int


@dataclass(frozen=True)
class BackupOutcome:
    ok: bool
    file: BackupFile | None = None
    error: str | None = None  # why it failed (logged and kept in backup_runs)
    skipped: str | None = None  # "running" (another backup is under way) or "not_duckdb" (nothing to do here)
    removed: tuple[str, ...] = ()  # older backups deleted by the rotation


def backup_source(db: Database) -> Path | None:
    """The DuckDB file behind ``db``, or None when there is none to copy (an in-memory database, a server URL such
    as PostgreSQL's, which is backed up with its own tools). The one place that decides whether backups run."""
    path = str(getattr(db, "path", "") or "")
    if not path or path == ":memory:" or "://" in path:
        return None
    return Path(path)


def list_backups(folder: Path) -> list[BackupFile]:
    """The complete backups in ``folder``, newest first (partial files and anything else are not backups)."""
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = NAME.match(entry.name)
        if not match or not entry.is_file():
            continue
        try:
            size = entry.stat().st_size
        except OSError:
            continue  # rotated away meanwhile
        taken = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
        found.append(BackupFile(entry.name, entry, taken, size))
    return sorted(found, key=lambda b: (b.taken_at, _sequence(b.name)), reverse=True)


def _sequence(name: str) -> int:
    match = NAME.match(name)
    return int(match.group(2) or 1) if match else 0


def rotate(folder: Path, keep: int) -> list[str]:
    """Delete the oldest complete backups beyond the newest ``keep``, and partial files a stopped backup left (call
    only while holding the backup lock). Returns the names deleted."""
    removed = []
    for old in list_backups(folder)[max(1, keep):]:
        try:
            old.path.unlink()
            removed.append(old.name)
        except OSError as exc:
            log.warning("could not delete the old backup %s: %s", old.path, exc)
    for entry in folder.glob(f".minyi-*{PARTIAL_SUFFIX}*"):
        try:
            entry.unlink()
        except OSError:
            pass
    return removed


def find_backup(folder: Path, name: str) -> BackupFile | None:
    """The backup called ``name`` in ``folder`` (only a name listed there: never a path from elsewhere)."""
    return next((b for b in list_backups(folder) if b.name == name), None)


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _lock_for(source: Path) -> threading.Lock:
    key = str(source.resolve())
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def is_running(db: Database) -> bool:
    """Whether a backup of ``db`` is under way in this process."""
    source = backup_source(db)
    return source is not None and _lock_for(source).locked()


def _new_path(folder: Path, at: dt.datetime) -> Path:
    """A name after every backup kept: a second backup in the same second gets the next number (the newest is never
    rotated away, so a number is never used twice)."""
    base = f"minyi-{at:%Y%m%d-%H%M%S}"
    taken = [_sequence(b.name) for b in list_backups(folder) if b.name.startswith(base + ".") or
             b.name.startswith(base + "-")]
    n = max(taken, default=0) + 1
    return folder / (f"{base}.duckdb" if n == 1 else f"{base}-{n}.duckdb")


def _private_files() -> None:
    """From now on this process creates files 0600 and folders 0700, as it does once it opens a database
    (storage/db.py): a backup holds every resident's answers. Never loosened, so no other thread is affected."""
    os.umask(os.umask(0o077) | 0o077)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove %s: %s", path, exc)


def take_backup(db: Database, cfg: settings_module.Settings | None = None, *, origin: str = "manual",
                actor_id: int | None = None) -> BackupOutcome:
    """Back ``db`` up now into the backup folder, then rotate. Returns at once with ``skipped="running"`` when a
    backup of the same database is already under way, and ``skipped="not_duckdb"`` (logged) when there is no DuckDB
    file to copy. Residents keep submitting meanwhile: the copy reads one snapshot and writes another file."""
    cfg = cfg or settings_module.load()
    source = backup_source(db)
    if source is None:
        log.info("backup skipped: %s is not a DuckDB file (back PostgreSQL up with pg_dump)", db.path)
        return BackupOutcome(False, skipped="not_duckdb")
    lock = _lock_for(source)
    if not lock.acquire(blocking=False):
        return BackupOutcome(False, skipped="running")
    try:
        return _backup(db, cfg, source, origin, actor_id)
    finally:
        lock.release()


def _backup(db: Database, cfg: settings_module.Settings, source: Path, origin: str,
            actor_id: int | None) -> BackupOutcome:
    started = now()
    folder = cfg.backup_folder
    partial: Path | None = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = _new_path(folder, started)
        partial = folder / f".{final.name}{PARTIAL_SUFFIX}"
        _remove(partial, Path(f"{partial}.wal"))
        _private_files()
        backup_store.copy_into(db, partial, {
            "taken_at": started.isoformat(timespec="seconds"), "source": source.name, "origin": origin})
        os.chmod(partial, 0o600)
        _fsync(partial)
        os.replace(partial, final)  # whole or not at all: the folder never shows a half-written backup
        _remove(Path(f"{partial}.wal"))
        size = final.stat().st_size
    except Exception as exc:  # noqa: BLE001 - every failure is reported, never raised into the scheduler
        error = f"{type(exc).__name__}: {exc}"
        log.error("backup of %s into %s failed; the previous backups are kept: %s", source, folder, error,
                  exc_info=exc)
        if partial is not None:
            _remove(partial, Path(f"{partial}.wal"))
        _record(db, started, origin, actor_id, None, None, False, error)
        return BackupOutcome(False, error=error)
    removed = tuple(rotate(folder, cfg.backup_keep))
    log.info("backup of %s written to %s (%d bytes)%s", source, final, size,
             f"; deleted {', '.join(removed)}" if removed else "")
    _record(db, started, origin, actor_id, final.name, size, True, None)
    return BackupOutcome(True, BackupFile(final.name, final, started.replace(microsecond=0), size), removed=removed)


def _record(db: Database, started: dt.datetime, origin: str, actor_id: int | None, file_name: str | None,
            size: int | None, ok: bool, error: str | None) -> None:
    try:
        backup_store.record_run(db, started_at=started, finished_at=now(), origin=origin, actor_id=actor_id,
                                file_name=file_name, size=size, ok=ok, error=error)
    except Exception as exc:  # noqa: BLE001 - the outcome itself is logged either way
        log.warning("could not record the backup run: %s", exc)


def is_due(cfg: settings_module.Settings, at: dt.datetime) -> bool:
    """Whether the schedule wants a backup at ``at``: MINYI_BACKUP_EVERY_HOURS since the newest one (at once when
    there is none); never when the schedule is off (0)."""
    if cfg.backup_every_hours <= 0:
        return False
    newest = next(iter(list_backups(cfg.backup_folder)), None)
    return newest is None or at - newest.taken_at >= dt.timedelta(hours=cfg.backup_every_hours)


@dataclass
class _Request:
    actor_id: int | None
    done: threading.Event = field(default_factory=threading.Event)


class BackupScheduler(threading.Thread):
    """The app's one backup thread: every ``check_every`` seconds it backs up when one is due (is_due), and at once
    when an admin asks (request_now). Backups run one after the other in this thread, never two at a time; the first
    scheduled check waits ``first_delay`` seconds so a start is not slowed by a backup, and a scheduled backup that
    failed is tried again after ``retry_after`` seconds (an admin's request runs at once all the same)."""

    def __init__(self, db: Database, cfg: settings_module.Settings, *, check_every: float = 60.0,
                 first_delay: float = 300.0, retry_after: float = 1800.0) -> None:
        super().__init__(name="minyi-backup-scheduler", daemon=True)
        self.db = db
        self.cfg = cfg
        self.check_every = check_every
        self.first_delay = first_delay
        self.stopped = threading.Event()
        self._wake = threading.Event()
        self._requests: list[_Request] = []
        self._guard = threading.Lock()
        self.last_outcome: BackupOutcome | None = None
        self.retry_after = retry_after
        self._retry_at = 0.0  # monotonic time before which a failed scheduled backup is not tried again
        # A daemon thread still inside DuckDB at interpreter exit aborts the process: stop it first.
        atexit.register(self.stop, wait=True)

    def request_now(self, actor_id: int | None) -> bool:
        """Ask for a backup now (the admin page); False when one is already running or asked for."""
        with self._guard:
            if self._requests or is_running(self.db):
                return False
            self._requests.append(_Request(actor_id))
        self._wake.set()
        return True

    @property
    def busy(self) -> bool:
        """A backup is running or asked for."""
        with self._guard:
            return bool(self._requests) or is_running(self.db)

    def run(self) -> None:
        next_check = self.first_delay
        while not self.stopped.is_set():
            self._wake.wait(next_check)
            self._wake.clear()
            if self.stopped.is_set() or getattr(self.db, "_closed", False):
                return
            with self._guard:
                request = self._requests[0] if self._requests else None
            try:
                if request is not None:
                    self.last_outcome = take_backup(self.db, self.cfg, origin="manual", actor_id=request.actor_id)
                elif is_due(self.cfg, now()) and time.monotonic() >= self._retry_at:
                    self.last_outcome = take_backup(self.db, self.cfg, origin="schedule")
                    if self.last_outcome.error is not None:  # a full disk stays full for a while: no run a minute
                        self._retry_at = time.monotonic() + self.retry_after
            except Exception:  # noqa: BLE001 - take_backup reports its own failures; anything else is retried
                log.exception("the backup scheduler failed; trying again at the next check")
            finally:
                if request is not None:
                    with self._guard:
                        self._requests.remove(request)
                    request.done.set()
            next_check = self.check_every

    def stop(self, wait: bool = False) -> None:
        self.stopped.set()
        self._wake.set()
        if wait and self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=600)  # a backup under way finishes (or fails) first


_schedulers_guard = threading.Lock()
_schedulers: dict[str, BackupScheduler] = {}
_told: dict[str, bool] = {}  # databases already logged as having no file to back up


def scheduler(db: Database, cfg: settings_module.Settings | None = None, **options: float) -> BackupScheduler | None:
    """This process's backup thread for ``db``, started on first use (the app's start, services/startup.py; the
    admin page finds the same one). None, logged, when ``db`` has no DuckDB file to back up."""
    source = backup_source(db)
    if source is None:
        with _schedulers_guard:
            told, _told[str(db.path)] = str(db.path) in _told, True
        if not told:  # once per database: the admin page asks on every run
            log.warning("no backup schedule: %s is not a DuckDB file (back PostgreSQL up with pg_dump)", db.path)
        return None
    key = str(source.resolve())
    with _schedulers_guard:
        found = _schedulers.get(key)
        if found is None or not found.is_alive() or found.db is not db:
            if found is not None:
                found.stop()
            found = _schedulers[key] = BackupScheduler(db, cfg or settings_module.load(), **options)
            found.start()
        return found


def _aside_name(target: Path) -> Path:
    """A name for the current database beside it that no earlier restore has used."""
    base = f"{target.name}.before-restore-{now():%Y%m%d-%H%M%S}"
    candidate, n = target.with_name(base), 1
    while candidate.exists() or Path(f"{candidate}.wal").exists():
        n += 1
        candidate = target.with_name(f"{base}-{n}")
    return candidate


@dataclass(frozen=True)
class RestoreOutcome:
    target: Path
    aside: Path | None  # the database that was there before, renamed (None when there was none)
    taken_at: str
    counts: dict[str, int]


def restore(backup: Path, cfg: settings_module.Settings | None = None) -> RestoreOutcome:
    """Bring ``backup`` back as the database MINYI_DB names (the app must be stopped).

    Refuses, changing nothing, a file that is not a Minyi backup (NotABackup), one from a newer Minyi
    (DatabaseTooNew), the database file itself (BackupRefused) and a database the app holds (DatabaseLocked). The
    current database (and its WAL) is renamed aside to ``<name>.before-restore-<time>`` first and put back if the
    copy or its first open fails; after a success it stays there for the admin to delete. Every sign-in session in
    the restored database is ended, so a session signed out after the backup cannot come back with it."""
    cfg = cfg or settings_module.load()
    target = cfg.db_path
    backup = backup.resolve()
    if target.exists() and backup == target.resolve():
        raise BackupRefused(str(backup), path=str(backup))
    marker = backup_store.read_marker(backup)
    known = {m.name for m in migrations.known()}
    unknown = [name for name in marker["applied_migrations"].split(",") if name and name not in known]
    if unknown:
        raise DatabaseTooNew(", ".join(unknown), migrations=", ".join(unknown))
    if target.exists():
        try:  # the app holding the file refuses here, before anything moves
            open_database(target, migrate=False).close()
        except (NotADatabase, DatabaseTooNew):
            pass  # a broken or newer current database is set aside like any other
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    wal = Path(f"{target}.wal")
    aside = _aside_name(target) if target.exists() or wal.exists() else None
    if aside is not None:
        if target.exists():
            os.replace(target, aside)
        if wal.exists():  # never replayed onto the backup: it belongs to the database set aside
            os.replace(wal, Path(f"{aside}.wal"))
    partial = target.with_name(f".{target.name}.restoring")
    try:
        _private_files()
        shutil.copyfile(backup, partial)
        os.chmod(partial, 0o600)
        _fsync(partial)
        if partial.stat().st_size != backup.stat().st_size:
            raise OSError(f"the copy of {backup} is incomplete")
        os.replace(partial, target)
        db = open_database(target)  # upgrades an older backup, moves id sequences past the rows
        try:
            backup_store.drop_marker(db)
            backup_store.end_sessions(db, now())  # everyone signs in again: no session revoked since comes back
            counts = backup_store.row_counts(db)
        finally:
            db.close()
    except BaseException:
        _remove(partial, target, wal)
        if aside is not None:
            if aside.exists():
                os.replace(aside, target)
            if Path(f"{aside}.wal").exists():
                os.replace(Path(f"{aside}.wal"), wal)
        raise
    log.info("restored %s into %s (the previous database is kept as %s)", backup, target, aside)
    return RestoreOutcome(target, aside, marker.get("taken_at", ""), counts)


def may_manage(principal: "Principal | None") -> bool:
    """Backups are the whole database: only an admin of a top unit (the whole tree) may see, take or fetch them."""
    return principal is not None and principal.is_admin and principal.scope.is_top


@dataclass(frozen=True)
class BackupRow:
    """One line of the admin page's list: a backup attempt, or a backup file no attempt here recorded."""

    at: dt.datetime
    file_name: str | None
    size: int | None
    status: str  # ok, failed, rotated (taken, since deleted by the rotation)
    origin: str | None
    error: str | None


def backup_rows(db: Database, cfg: settings_module.Settings, limit: int = 50) -> list[BackupRow]:
    """The recorded attempts (newest first) with whether their file is still kept, plus the backup files in the
    folder that no attempt recorded (taken before a restore, or copied in)."""
    files = {b.name: b for b in list_backups(cfg.backup_folder)}
    rows, named = [], set()
    for run in backup_store.recent_runs(db, limit):
        if not run.ok:
            rows.append(BackupRow(run.started_at, None, None, "failed", run.origin, run.error))
            continue
        named.add(run.file_name)
        kept = files.get(run.file_name or "")
        rows.append(BackupRow(run.started_at, run.file_name, kept.size if kept else run.bytes,
                              "ok" if kept else "rotated", run.origin, None))
    rows += [BackupRow(b.taken_at, b.name, b.size, "ok", None, None) for b in files.values() if b.name not in named]
    return sorted(rows, key=lambda r: r.at, reverse=True)[:limit]


def issue_download(db: Database, principal: "Principal", cfg: settings_module.Settings, name: str) -> str | None:
    """A single-use /download ticket for the backup ``name`` for ``principal`` alone (None when it is not kept);
    PermissionError unless may_manage."""
    if not may_manage(principal):
        raise PermissionError("backups are for administrators of the top unit")
    found = find_backup(cfg.backup_folder, name)
    if found is None:
        return None
    from storage import downloads

    return downloads.issue_file_ticket(db, principal.user_id, found.name, MIME, str(found.path))
