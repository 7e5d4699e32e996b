"""Strings of the light fill path (plain HTML for old browsers and weak links) and the 简洁版 / 完整版 switch."""

STRINGS: dict[str, tuple[str, str]] = {
    "light.switch_to_light": ("简洁版", "Simple version"),
    "light.switch_to_full": ("完整版", "Full version"),
    "light.switch_lang": ("English", "中文"),
    "light.required_mark": ("必答", "required"),
    "light.choose_up_to": ("最多选 {n} 项", "Choose up to {n}"),
    "light.choose_at_least": ("至少选 {n} 项", "Choose at least {n}"),
    "light.number_range": ("请填写 {low} 至 {high} 之间的数字", "A number from {low} to {high}"),
    "light.date_format": ("格式：年-月-日，如 2026-05-01", "Format: year-month-day, e.g. 2026-05-01"),
    "light.more_questions": (
        "根据您的回答，本页新增了题目，请作答后再继续。",
        "Your answers brought up more questions on this page; please answer them, then continue.",
    ),
    "light.version_changed": (
        "问卷刚刚更新过，请检查您的回答后再提交。",
        "The survey was just updated; please check your answers and submit again.",
    ),
    "light.bad_form": (
        "无法识别提交的内容，请重新打开链接填写。",
        "The submitted form was not recognised; please open the link again.",
    ),
    "light.incomplete_form": (
        "提交的内容不完整，请重新打开链接填写。",
        "The submitted form is incomplete; please open the link again.",
    ),
    "light.too_large": (
        "提交的内容过长，未能接收。请返回上一页，缩短填写的文字后再提交。",
        "The submission is too long and was not accepted. Go back, shorten your text and submit again.",
    ),
    "light.wrong_type": (
        "提交方式不正确，请在问卷页面上点“提交”。",
        "This is not how the form is sent; please use the Submit button on the survey page.",
    ),
    "light.bad_encoding": (
        "提交的文字无法识别（编码错误），请重新打开链接填写。",
        "The submitted text could not be read (bad encoding); please open the link again.",
    ),
    "light.cross_site": (
        "请直接在问卷页面上作答，不接受来自其他网站的提交。",
        "Please answer on the survey page itself; submissions from other sites are not accepted.",
    ),
    "light.open_again": ("重新打开问卷", "Open the survey again"),
}
