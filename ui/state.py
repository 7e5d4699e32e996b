"""Every session-state key the app uses, named once."""

USER = "minyi.user"  # auth.principal.Principal of the signed-in staff member
LANG = "minyi.lang"  # "zh" | "en"
USER_CHECKED_AT = "minyi.user_checked_at"  # monotonic time the cookie session was last re-checked
