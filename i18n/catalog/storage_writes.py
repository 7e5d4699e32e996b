"""Strings shown when a save could not be completed: a concurrent change of the same record, or storage unavailable."""

STRINGS: dict[str, tuple[str, str]] = {
    "storage.writer.conflict": (
        "另一位同事刚好同时修改了这条记录，暂未保存。您填写的内容仍在页面上，请查看最新状态后再保存一次。",
        "Someone else changed this record at the same moment, so it was not saved. What you entered is still on the "
        "page; check the latest state and save again.",
    ),
    "storage.writer.unavailable": (
        "系统暂时无法保存，本次内容未保存。您填写的内容仍在页面上，请稍后再保存一次；如多次失败请联系管理员。",
        "The system cannot save right now; nothing was saved. What you entered is still on the page; save again "
        "shortly, and tell an administrator if it keeps failing.",
    ),
}
