"""Strings about the database engine: a MINYI_DB that cannot be used, and a copy between engines."""

STRINGS: dict[str, tuple[str, str]] = {
    "storage.pg.scheme": (
        "MINYI_DB 的值 {url} 无法识别：请填写 DuckDB 数据库文件的路径，或以 postgresql:// 开头的 PostgreSQL 地址。未创建任何文件。",
        "MINYI_DB is {url}, which Minyi cannot use: give the path of a DuckDB file or a postgresql:// URL. "
        "Nothing was created.",
    ),
    "storage.pg.unreachable": (
        "无法连接 PostgreSQL 服务器 {url}：{reason}。请检查主机、端口以及服务器是否正在运行。未做任何改动。",
        "Cannot reach the PostgreSQL server at {url}: {reason}. Check the host, the port and that the server is "
        "running. Nothing was changed.",
    ),
    "storage.pg.refused": (
        "PostgreSQL 服务器拒绝了连接 {url}：{reason}。请检查用户名、密码和数据库名。未做任何改动。",
        "The PostgreSQL server refused {url}: {reason}. Check the user name, the password and the database name. "
        "Nothing was changed.",
    ),
    "storage.pg.too_old": (
        "{url} 上的 PostgreSQL 版本为 {version}，Minyi 需要 15 或更高版本。未做任何改动。",
        "The PostgreSQL server at {url} is version {version}; Minyi needs 15 or newer. Nothing was changed.",
    ),
    "storage.pg.foreign": (
        "数据库 {url} 中已有其他应用的数据表（如 {tables}）。请为 Minyi 新建一个空数据库；未做任何改动。",
        "The database {url} already holds another application's tables ({tables}). Create an empty database for "
        "Minyi; nothing was changed.",
    ),
    "storage.copy.incomplete": (
        "数据库 {target} 是一次尚未完成的复制（manage.py copy-db）的目标，不能启动。请重新运行复制命令完成它。",
        "The database {target} is the target of a copy (manage.py copy-db) that did not finish, so Minyi will not "
        "start on it. Run the copy again to finish it.",
    ),
}
