"""Strings of manage.py copy-db: what it did, and why it refused or stopped."""

STRINGS: dict[str, tuple[str, str]] = {
    "pgcopy.started": (
        "正在把 {source} 复制到 {target}……",
        "Copying {source} to {target}…",
    ),
    "pgcopy.restarted": (
        "目标库是一次未完成的复制：已清空，重新开始复制。",
        "The target was left by a copy that did not finish: emptied, starting again.",
    ),
    "pgcopy.table": (
        "  {table}：{rows} 行，抽查 {sampled} 行逐字段一致",
        "  {table}: {rows} rows, {sampled} sampled rows equal field by field",
    ),
    "pgcopy.done": (
        "复制完成：{tables} 张表，共 {rows} 行；每张表行数一致，抽查的 {sampled} 行逐字段一致，"
        "stats --json 的结果一致，编号序列已调到现有编号之后。现在可以用 MINYI_DB={target} 启动应用。",
        "Copy finished: {tables} tables, {rows} rows; every table has the same number of rows, the {sampled} "
        "sampled rows are equal field by field, stats --json gives the same figures, and every id sequence is past "
        "the ids in its table. Start the app with MINYI_DB={target}.",
    ),
    "pgcopy.same": (
        "源库和目标库是同一个数据库（{target}）：请指定另一个空数据库作为目标。未做任何改动。",
        "The source and the target are the same database ({target}): give another, empty database as the target. "
        "Nothing was changed.",
    ),
    "pgcopy.source_missing": (
        "源数据库文件 {source} 不存在。请检查路径；未做任何改动。",
        "The source database file {source} does not exist. Check the path; nothing was changed.",
    ),
    "pgcopy.not_minyi": (
        "{source} 不是 Minyi 数据库（没有 Minyi 的迁移记录），无法复制。未做任何改动。",
        "{source} is not a Minyi database (it has no Minyi migration record), so there is nothing to copy. "
        "Nothing was changed.",
    ),
    "pgcopy.target_not_empty": (
        "目标库 {target} 不是空的（已有 {count} 张表，如 {tables}）。复制只写入空数据库：请新建一个空库"
        "（PostgreSQL）或指定一个新文件（DuckDB）。未做任何改动。",
        "The target {target} is not empty (it holds {count} tables, e.g. {tables}). A copy only fills an empty "
        "database: create an empty one (PostgreSQL) or name a new file (DuckDB). Nothing was changed.",
    ),
    "pgcopy.failed": (
        "复制在 {table} 处中断：{reason}。目标库保留“复制未完成”标记，应用不会在其上启动；排除原因后重新运行同一命令即可从头复制。",
        "The copy stopped at {table}: {reason}. The target keeps its copy-in-progress mark, so the app will not "
        "start on it; fix the cause and run the same command again to copy it from the start.",
    ),
    "pgcopy.mismatch": (
        "复制后的核对未通过（{table}）：{what}。目标库保留“复制未完成”标记，应用不会在其上启动。",
        "The check after the copy failed ({table}): {what}. The target keeps its copy-in-progress mark, so the app "
        "will not start on it.",
    ),
}
