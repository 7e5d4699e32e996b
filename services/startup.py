"""What happens when the app or the CLI opens the database: migrate, install templates, setup code."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import settings as settings_module
from auth import setup
from services.survey_catalog import install_templates
from i18n import t
from storage.db import Database, StorageError, shared_database
from surveys import DefinitionError, load_templates

log = logging.getLogger("minyi")


@dataclass
class StartupReport:
    installed_templates: list[str] = field(default_factory=list)
    template_errors: list[DefinitionError] = field(default_factory=list)
    setup_code: str | None = None


def prepare(db: Database, cfg: settings_module.Settings) -> StartupReport:
    """Idempotent first-start work on an opened (already migrated) database."""
    load = load_templates()
    report = StartupReport(install_templates(db, load), list(load.errors))
    report.setup_code = setup.ensure_setup_code(db, cfg.data_dir)
    return report


def start_app(cfg: settings_module.Settings | None = None) -> StartupReport:
    """Open the shared database for the server process and print what a
    newcomer needs (the one-time setup code) to the terminal."""
    cfg = cfg or settings_module.load()
    try:
        db = shared_database(cfg.db_path)
    except StorageError as exc:
        # Keep serving: every page shows this message instead of a traceback.
        message = t(exc.code, cfg.lang, detail=exc.detail, **exc.params)
        log.error("%s", message)
        print("\n" + message + "\n", flush=True)
        return StartupReport()
    settings_module.cookie_secret(cfg)
    if db.engine != "duckdb" and not cfg.secret:
        # a server database invites app processes on several machines: each would make a cookie key of its own
        message = t("pgmp.secret_from_file", cfg.lang, file=str(cfg.data_dir / "secret.key"))
        log.warning("%s", t("pgmp.secret_from_file", "en", file=str(cfg.data_dir / "secret.key")))
        print("\n" + message + "\n", flush=True)
    report = prepare(db, cfg)
    from services import backups

    backups.scheduler(db, cfg)  # the process's one backup thread (MINYI_BACKUP_EVERY_HOURS)
    for error in report.template_errors:
        log.warning("survey template skipped: %s", error.message("en"))
    if report.setup_code:
        banner = (
            "\n" + "=" * 68
            + "\n  Minyi first start: no administrator yet."
            + f"\n  Open {cfg.public_base_url}/setup and enter the one-time setup code:\n\n      {report.setup_code}\n"
            + f"\n  (also saved in {cfg.data_dir / setup.CODE_FILE})"
            + "\n  首次启动：请打开 /setup 页面，输入上面的一次性设置码创建管理员。\n"
            + "=" * 68 + "\n"
        )
        print(banner, flush=True)
    return report
