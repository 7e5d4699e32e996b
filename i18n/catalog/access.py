"""Strings of the authenticated downloads and the per-unit settings (issue 20, access)."""

STRINGS: dict[str, tuple[str, str]] = {
    "download.title": ("下载文件", "Download"),
    "download.sign_in": ("请先登录。导出文件只提供给准备它的工作人员本人。",
                         "Please sign in. An export is handed only to the staff member who prepared it."),
    "download.gone": ("下载链接已失效（每个链接只能使用一次，5 分钟内有效）。请回到页面重新生成。",
                      "This download link has expired or was already used (each link works once, for 5 minutes). "
                      "Prepare the file again on its page."),
    "download.unavailable": ("数据库暂时无法使用，请稍后重试。", "The database is unavailable; please try again shortly."),
    "download.prepare": ("生成下载文件", "Prepare the file"),
    "download.ready": ("文件已生成，链接仅限本人使用一次，5 分钟内有效：", "Ready: the link works once, for you only, for 5 minutes:"),
    "households.err.grid_elsewhere": ("以下住户的所属网格不在您的管辖范围内，已全部取消导入：{codes}",
                                      "These households name a grid outside your area; nothing was imported: {codes}"),
}
