"""Strings printed by the command line."""

STRINGS: dict[str, tuple[str, str]] = {
    "cli.init_done": ("数据库已就绪：{path}", "Database ready: {path}"),
    "cli.setup_hint": (
        "尚无管理员。可启动应用后打开 /setup 并输入一次性设置码 {code}，或运行：python manage.py user add admin --role admin --unit <区编码>",
        "No administrator yet. Start the app and open /setup with the one-time code {code}, or run: "
        "python manage.py user add admin --role admin --unit <district code>",
    ),
    "cli.unknown_unit": ("找不到编码为 {code} 的组织。可用 python manage.py unit list 查看。", "No org unit with code {code}; see python manage.py unit list."),
    "cli.unknown_survey": ("找不到问卷 {id}。可用 python manage.py survey list 查看。", "No survey {id}; see python manage.py survey list."),
}
STRINGS.update({
    "cli.demo_refused": (
        "数据库中已有非演示数据（真实的组织、账号、住户或答卷），为避免混淆已拒绝加载演示数据。如确需加载，请加 --force，或用 MINYI_DB 指定一个新的数据库文件。",
        "The database holds non-demo data (real units, accounts, households or responses), so the demo was not loaded. "
        "Add --force to load it anyway, or point MINYI_DB at a new database file.",
    ),
    "cli.demo_bad_size": ("--households 需大于 0，--responses 需在 0 到 1,000,000 之间。", "--households must be > 0 and --responses between 0 and 1,000,000."),
})
