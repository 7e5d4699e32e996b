"""Strings of sign-in throttling, the sign-out page, setup races and the password list (issue 20, items 9-10)."""

STRINGS: dict[str, tuple[str, str]] = {
    "accounts.throttled": (
        "登录尝试过于频繁，请在 {seconds} 秒后再试。",
        "Too many sign-in attempts; try again in {seconds} seconds.",
    ),
    "accounts.password_throttled": (
        "当前密码输错次数过多，请在 {seconds} 秒后再试（已填写的内容已保留）。",
        "Too many wrong current passwords; try again in {seconds} seconds (what you typed is kept).",
    ),
    "accounts.unavailable": (
        "系统繁忙，暂时无法登录，请稍后再试。",
        "The service is busy and cannot sign you in right now; please try again shortly.",
    ),
    "accounts.password_common": (
        "这是最常见的密码之一，很容易被猜中，请换一个。",
        "This is one of the most common passwords and easy to guess; choose another.",
    ),
    "accounts.sign_out_title": ("民意 · 退出登录", "Minyi · Sign out"),
    "accounts.sign_out_question": ("确定要退出登录吗？", "Sign out of Minyi on this browser?"),
    "accounts.sign_out_submit": ("退出登录", "Sign out"),
    "accounts.setup_taken": (
        "设置码已被使用，管理员已经创建，请直接登录。",
        "The setup code has been used and the administrator exists; please sign in.",
    ),
    "accounts.sessions_ended": (
        "您在其他设备或浏览器上的登录已全部退出。",
        "Your sign-ins on other devices and browsers have been ended.",
    ),
}
