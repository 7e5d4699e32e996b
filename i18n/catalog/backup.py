"""Strings of the backups page and the backup and restore commands."""

STRINGS: dict[str, tuple[str, str]] = {
    "backup.nav": ("数据备份", "Backups"),
    "backup.title": ("数据备份", "Backups"),
    "backup.forbidden_scope": (
        "只有最上级单位的管理员可以管理备份：一份备份包含全部单位的全部数据。",
        "Only an administrator of the top unit can manage backups: a backup holds every unit's data."),
    "backup.not_duckdb": (
        "此数据库不是 DuckDB 文件，应用不在这里备份（PostgreSQL 请用 pg_dump / pg_restore，见 README）。",
        "This database is not a DuckDB file, so the app does not back it up here (for PostgreSQL use pg_dump / "
        "pg_restore, see the README)."),
    "backup.settings": (
        "备份目录：{folder} · 每 {hours} 小时自动备份一次 · 保留最近 {keep} 份",
        "Backup folder: {folder} · automatic backup every {hours} hours · the last {keep} are kept"),
    "backup.schedule_off": (
        "备份目录：{folder} · 未开启自动备份（MINYI_BACKUP_EVERY_HOURS=0）· 保留最近 {keep} 份",
        "Backup folder: {folder} · no automatic backups (MINYI_BACKUP_EVERY_HOURS=0) · the last {keep} are kept"),
    "backup.online_note": (
        "备份在应用运行时进行，群众照常填写和提交，不受影响；每份备份是同一时刻的完整数据。",
        "Backups run while the app serves: residents keep answering and submitting, and each backup is the whole "
        "database at one moment."),
    "backup.start": ("立即备份", "Back up now"),
    "backup.started": ("备份已开始。", "The backup has started."),
    "backup.already_running": ("已有一份备份正在进行，请等它完成后再试。",
                               "A backup is already running; try again once it has finished."),
    "backup.running": ("正在备份……", "Backing up…"),
    "backup.last_failed": ("最近一次备份失败（{when}）：{error}。之前的备份都还在。",
                           "The last backup failed ({when}): {error}. The earlier backups are all still there."),
    "backup.none": ("还没有备份。", "No backups yet."),
    "backup.list": ("备份记录", "Backups"),
    "backup.col.time": ("时间", "Time"),
    "backup.col.file": ("文件", "File"),
    "backup.col.size": ("大小", "Size"),
    "backup.col.status": ("状态", "Status"),
    "backup.col.origin": ("方式", "Started by"),
    "backup.col.error": ("失败原因", "Why it failed"),
    "backup.status.ok": ("成功", "OK"),
    "backup.status.failed": ("失败", "Failed"),
    "backup.status.rotated": ("成功（已按保留份数删除）", "OK (deleted by rotation)"),
    "backup.origin.schedule": ("定时", "Schedule"),
    "backup.origin.manual": ("手动", "On demand"),
    "backup.origin.cli": ("命令行", "Command line"),
    "backup.origin.unknown": ("—", "—"),
    "backup.download_title": ("下载备份", "Download a backup"),
    "backup.download_pick": ("选择备份", "Backup"),
    "backup.download": ("下载备份文件", "Download the backup file"),
    "backup.download_note": (
        "备份包含全部群众的回答和住户个人信息，请妥善保管。下载记入审计日志。",
        "A backup holds every resident's answers and the households' personal data: keep it safe. Downloads are "
        "recorded in the audit log."),
    "backup.download_gone": ("该备份已不存在（可能已按保留份数删除）。",
                             "That backup no longer exists (it may have been deleted by rotation)."),
    "backup.restore_hint": (
        "恢复备份：先停止应用，再运行 python manage.py restore 备份文件。当前数据库会改名保留，不会删除。",
        "To restore a backup: stop the app, then run python manage.py restore BACKUP_FILE. The current database is "
        "renamed and kept, never deleted."),
    "backup.not_a_backup": (
        "文件 {path} 不是 Minyi 备份（不存在、不是 DuckDB 数据库，或不是 Minyi 备份生成的）。未做任何更改。",
        "{path} is not a Minyi backup (missing, not a DuckDB database, or not written by a Minyi backup). Nothing "
        "was changed."),
    "backup.same_file": ("文件 {path} 就是当前数据库本身，不能用来恢复。未做任何更改。",
                         "{path} is the current database itself and cannot be restored over itself. Nothing was "
                         "changed."),
    "backup.no_database": ("数据库 {path} 不存在，没有可备份的内容。", "There is no database at {path} to back up."),
    "backup.cli_failed": ("备份失败：{error}。之前的备份都还在。",
                          "The backup failed: {error}. The earlier backups are all still there."),
    "backup.cli_done": ("已备份到 {path}（{size} 字节）。", "Backed up to {path} ({size} bytes)."),
    "backup.cli_rotated": ("已删除较早的备份 {name}（按 MINYI_BACKUP_KEEP 保留份数）。",
                           "Deleted the older backup {name} (MINYI_BACKUP_KEEP)."),
    "backup.cli_restored": ("已将 {taken_at} 的备份恢复为 {path}：{responses} 份回答，{households} 户住户。",
                            "Restored the backup of {taken_at} as {path}: {responses} responses, {households} "
                            "households."),
    "backup.cli_aside": ("原来的数据库已改名保留为 {path}；确认无误后可自行删除。",
                         "The previous database is kept as {path}; delete it once you are satisfied."),
}
