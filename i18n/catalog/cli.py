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
