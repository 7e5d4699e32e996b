"""Strings about several app processes sharing one PostgreSQL database."""

STRINGS: dict[str, tuple[str, str]] = {
    "pgmp.secret_from_file": (
        "注意：数据库是 PostgreSQL 服务器，但未设置 MINYI_SECRET。登录 Cookie 目前用本机文件 {file} 中的密钥签名，"
        "本机上的各个进程共用这个文件；如果在其他服务器上也运行应用进程，请在每台服务器上把 MINYI_SECRET 设成同一个值，"
        "否则在一台服务器上的登录会被其他服务器拒绝。",
        "Note: the database is a PostgreSQL server and MINYI_SECRET is not set. Sign-in cookies are signed with the "
        "key in {file} on this machine, which every process here shares; if app processes run on other machines "
        "too, set MINYI_SECRET to the same value on every machine, or a sign-in made on one machine is refused on "
        "the others.",
    ),
}
