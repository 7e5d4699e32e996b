"""Strings of the resident's fill page and the survey form renderer."""

STRINGS: dict[str, tuple[str, str]] = {
    "fill.nav_title": ("填写问卷", "Answer a survey"),
    "fill.lang_other": ("English", "中文"),
    "fill.progress": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "fill.next": ("下一页", "Next"),
    "fill.back": ("上一页", "Back"),
    "fill.submit": ("提交", "Submit"),
    "fill.fix_errors": ("还有题目需要补充或修改，请查看标红的提示。", "Some answers need attention; see the messages in red."),
    "fill.thanks_title": ("提交成功，感谢您的参与！", "Thank you! Your answers have been submitted."),
    "fill.thanks_body": (
        "您的意见已如实记录，将作为改进工作的重要依据。可以关闭本页面了。",
        "Your views have been recorded and will guide the work. You may close this page now.",
    ),
    "fill.enter_code": ("请输入问卷卡片上的编码", "Enter the code printed on your survey card"),
    "fill.enter_code_button": ("打开问卷", "Open the survey"),
    "fill.no_code": (
        "请扫描社区发放的二维码，或输入卡片上的 10 位编码。",
        "Scan the QR code your community shared, or type the 10-character code from your card.",
    ),
    "fill.state.unknown": (
        "这个链接无效或编码有误，请检查后重试，或联系发放链接的社区（村）工作人员。",
        "This link is not valid or the code is mistyped. Check it, or ask the community staff who shared it.",
    ),
    "fill.state.revoked": (
        "这个链接已被收回，不再接受填写。如有疑问请联系社区（村）工作人员。",
        "This link has been withdrawn and no longer accepts answers. Ask the community staff if in doubt.",
    ),
    "fill.state.expired": ("这个链接已过有效期，测评已结束。感谢您的关注！", "This link has expired; the survey has ended. Thank you for your interest!"),
    "fill.state.capped": (
        "本链接收到的答卷已达到上限，暂不再接受填写。感谢您的关注！",
        "This link has received as many answers as it accepts. Thank you for your interest!",
    ),
    "fill.state.closed": ("本次测评目前未开放或已结束。感谢您的关注！", "This survey is not open at the moment or has ended. Thank you for your interest!"),
    "fill.state.used": (
        "这个编码已经提交过答卷，每个编码只能使用一次。感谢您的参与！",
        "This code has already been used to answer; each code is accepted once. Thank you for taking part!",
    ),
    "fill.state.answered_here": (
        "您已经填写过本问卷，感谢您的参与！",
        "You have already answered this survey. Thank you for taking part!",
    ),
    "fill.rate_limited": (
        "提交过于频繁，请稍等一分钟后再点“提交”，您的回答已保留。",
        "Too many submissions from this network; wait a minute and press Submit again. Your answers are kept.",
    ),
    "fill.unavailable": (
        "系统繁忙，暂时无法提交。您的回答已保留，请稍后再点“提交”。",
        "The service is busy and could not take your answers. They are kept; press Submit again shortly.",
    ),
    "fill.storage_error": ("系统暂时无法打开问卷，请稍后再试。", "The survey cannot be opened right now; please try again later."),
    "fill.draft_resumed": (
        "已为您恢复上次未提交的回答，可以接着填写。",
        "Your unsubmitted answers from last time are back; carry on where you left off.",
    ),
    "fill.draft_outdated": (
        "问卷在您上次填写后已更新，请重新作答。",
        "The survey has changed since you last answered; please answer it again.",
    ),
    # the reusable survey form (ui/survey_form.py)
    "form.text_limit": ("最多 {limit} 字", "Up to {limit} characters"),
    "form.required_spoken": ("（必答）", " (required)"),
    "form.max_choices_reached": (
        "最多选择 {max_choices} 项，请先取消一项再选。",
        "Choose at most {max_choices}; unselect one first.",
    ),
}
