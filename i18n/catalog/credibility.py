"""Strings of the credibility checks: each signal's explanation and flag reason, and the credibility page."""

STRINGS: dict[str, tuple[str, str]] = {
    # --- the signals, explained in words (settings filled in)
    "cred.signal.visit_pace": ("走访节奏过快", "Visits too fast"),
    "cred.explain.visit_pace": (
        "同一干部在任意 {window_minutes} 分钟内见到群众、填写走访表的走访超过 {max_visits} 户：入户走访很难这么快（无人在家的敲门不计）。",
        "One cadre recorded more than {max_visits} visits with a filled-in form within {window_minutes} minutes: "
        "door-to-door visits cannot go that fast (knocks where nobody was home do not count)."),
    "cred.reason.visit_pace": (
        "干部{cadre} 在 {minutes} 分钟内记录了 {visits} 次走访（{households} 户，自 {start} 起）",
        "Cadre {cadre} recorded {visits} visits ({households} households) in {minutes} minutes from {start}"),
    "cred.signal.visit_hours": ("非正常时段走访", "Visits at odd hours"),
    "cred.explain.visit_hours": (
        "同一干部有 {min_visits} 次以上走访记录在 {earliest_hour} 点前或 {latest_hour} 点后。",
        "One cadre has {min_visits} or more visits recorded before {earliest_hour}:00 or after {latest_hour}:00."),
    "cred.reason.visit_hours": (
        "干部{cadre} 有 {visits} 次走访记录在 {earliest_hour} 点前或 {latest_hour} 点后",
        "Cadre {cadre} has {visits} visits recorded before {earliest_hour}:00 or after {latest_hour}:00"),
    "cred.signal.visit_backdated": ("截止前集中补录", "Back-dated burst before the deadline"),
    "cred.explain.visit_backdated": (
        "活动截止前 {days_before_deadline} 天内，同一干部补录（录入时间比走访时间晚 {min_lag_hours} 小时以上，含纸质表导入）"
        "的走访达到 {min_visits} 次。",
        "Within {days_before_deadline} days of the campaign's deadline one cadre typed in {min_visits} or more visits "
        "dated {min_lag_hours} hours or more before they were entered (sheet imports included)."),
    "cred.reason.visit_backdated": (
        "干部{cadre} 于 {typed} 起补录了 {visits} 次走访，走访日期为 {first} 至 {last}",
        "Cadre {cadre} typed in {visits} visits dated {first} to {last}, from {typed}"),
    "cred.signal.visit_identical_forms": ("走访记录雷同", "Identical visit notes"),
    "cred.explain.visit_identical_forms": (
        "同一干部在 {min_households} 户以上的走访表里写了一字不差的文字记录，且远多于其他干部写同样文字的比例"
        "（二项检验 p < {alpha}）。只勾选项相同并不算：简短的选择题本来就常常相同。",
        "One cadre wrote word for word the same notes on the visit forms of {min_households} or more households, far "
        "more often than other cadres write them (binomial test, p < {alpha}). Alike choices alone do not count: "
        "short multiple-choice forms are often alike honestly."),
    "cred.reason.visit_identical_forms": (
        "干部{cadre}的 {n} 份走访表中有 {same} 户写了相同的记录：{text}（其他干部 {baseline}，p = {p}）",
        "{cadre} wrote the same notes on {same} of {n} visit forms: {text} (other cadres: {baseline}, p = {p})"),
    "cred.signal.visit_cadre_distribution": ("干部记录与群众评价不符", "Cadre's records unlike the residents'"),
    "cred.explain.visit_cadre_distribution": (
        "同一干部在一个网格记录的满意率与该网格群众通过链接给出的满意率相差 {min_gap:.0%} 以上且差异显著"
        "（按答卷聚类的检验，p < {alpha}，双方各至少 {min_responses} 份）。",
        "A cadre's satisfaction rate recorded in a grid differs by {min_gap:.0%} or more, and significantly, from "
        "the rate the grid's residents give through links (a test clustered by response, p < {alpha}, at least "
        "{min_responses} responses each)."),
    "cred.reason.visit_cadre_distribution": (
        "干部{cadre} 记录满意率 {rate}（n = {n}），本网格群众 {grid_rate}（n = {grid_n}），p = {p}",
        "Cadre {cadre} recorded {rate} satisfied (n = {n}); the grid's residents {grid_rate} (n = {grid_n}); "
        "p = {p}"),
    "cred.signal.response_too_fast": ("答题过快", "Answered too fast"),
    "cred.explain.response_too_fast": (
        "同一链接在一个单位有 {min_responses} 份以上答卷的用时少于每题 {seconds_per_question} 秒（仅限记录了开始时间的答卷）。",
        "{min_responses} or more responses to one link in a unit took less than {seconds_per_question} seconds per "
        "question (only responses whose start time was stored)."),
    "cred.reason.response_too_fast": (
        "{responses} 份答卷用时过短（中位 {median_seconds} 秒）",
        "{responses} responses were completed too fast (median {median_seconds} s)"),
    "cred.signal.response_straight_lining": ("评分题全部相同", "Straight-lining"),
    "cred.explain.response_straight_lining": (
        "答卷的 {min_items} 道以上评分题全部选同一档，且同一链接中这样的答卷至少 {min_responses} 份、占 {min_share:.0%} 以上，"
        "远多于全区比例（二项检验 p < {alpha}）。",
        "Responses giving the same level to every one of {min_items} or more ratings: at least {min_responses} and "
        "{min_share:.0%} of one link's responses, far more than across the district (binomial test, p < {alpha})."),
    "cred.reason.response_straight_lining": (
        "{n} 份答卷中 {same} 份评分全部相同（全区 {baseline}，p = {p}）",
        "{same} of {n} responses gave every rating the same level (district: {baseline}, p = {p})"),
    "cred.signal.response_link_burst": ("同一链接短时集中提交", "Burst on one link"),
    "cred.explain.response_link_burst": (
        "同一链接在任意 {window_minutes} 分钟内收到超过 {max_responses} 份答卷。（未记录提交地址，无法按地址统计。）",
        "One link received more than {max_responses} responses within {window_minutes} minutes. (Client addresses "
        "are not stored, so bursts per address cannot be counted.)"),
    "cred.reason.response_link_burst": (
        "{minutes} 分钟内收到 {responses} 份答卷（自 {start} 起）",
        "{responses} responses within {minutes} minutes from {start}"),
    "cred.signal.response_same_browser": ("同一浏览器多次提交", "Many responses from one browser"),
    "cred.explain.response_same_browser": (
        "同一浏览器对同一链接提交了超过 {max_per_browser} 份答卷（清除了“已填写”记录后重复填写）。需要答卷记录浏览器编号。",
        "One browser submitted more than {max_per_browser} responses to one link (the 'already answered' cookie "
        "cleared in between). Needs the per-browser id stored on responses."),
    "cred.reason.response_same_browser": (
        "同一浏览器提交了 {responses} 份答卷", "One browser submitted {responses} responses"),
    "cred.signal.response_identical_texts": ("意见文字雷同", "Identical free texts"),
    "cred.explain.response_identical_texts": (
        "同一单位有 {min_count} 份以上答卷填写了一字不差、至少 {min_length} 字的意见，远多于这段文字在其他单位出现的频率"
        "（泊松检验 p < {alpha}）。",
        "{min_count} or more responses of one unit wrote the same text of at least {min_length} characters word "
        "for word, far more often than it appears elsewhere (Poisson test, p < {alpha})."),
    "cred.reason.response_identical_texts": (
        "{copies} 份答卷写了相同的文字：{text}（p = {p}）", "{copies} responses wrote the same text: {text} (p = {p})"),
    "cred.signal.gap_visit_vs_link": ("走访满意率远高于群众评价", "Visits far rosier than residents"),
    "cred.explain.gap_visit_vs_link": (
        "一个网格或社区走访记录的满意率比群众通过链接匿名给出的满意率高出 {min_gap:.0%} 以上（差值 95% 区间的下限，"
        "双方各至少 {min_responses} 份）。",
        "In a grid or community the satisfaction recorded on visits exceeds what residents give anonymously "
        "through links by more than {min_gap:.0%} (the lower end of the difference's 95% interval, at least "
        "{min_responses} responses each)."),
    "cred.reason.gap_visit_vs_link": (
        "走访满意率 {visit_rate}（n = {visit_n}），群众链接 {link_rate}（n = {link_n}），差 {gap}（95% 区间 {low} 至 {high}）",
        "Visits {visit_rate} satisfied (n = {visit_n}), residents' links {link_rate} (n = {link_n}): {gap} "
        "(95% interval {low} to {high})"),
    # --- the page
    "nav.credibility": ("数据可信度", "Data credibility"),
    "cred.title": ("数据可信度核查", "Data credibility"),
    "cred.intro": (
        "以下提示只是疑点，不会自动删除任何数据。核实后由管理员确认（相关记录作废并留痕，不再计入任何统计）或驳回。",
        "These flags are only suspicions; nothing is removed automatically. After checking, an admin confirms a flag "
        "(its rows are voided with the reason, audited, and leave every figure) or dismisses it."),
    "cred.rate_stored": ("满意率（全部记录）", "Satisfaction (all rows)"),
    "cred.rate_without": ("满意率（不含待核实提示的记录）", "Satisfaction (without rows of open flags)"),
    "cred.rate_n": ("满意度题项 n = {n}", "Satisfaction items n = {n}"),
    "cred.run": ("重新核查", "Check now"),
    "cred.ran": ("核查完成，新增 {n} 条提示。", "Check done: {n} new flags."),
    "cred.signals": ("核查规则与参数", "What each check looks for, and its settings"),
    "cred.settings_note": (
        "参数已填好默认值，可按本地情况调整后点“重新核查”；已有的提示不受影响。",
        "The settings start at their defaults; adjust them to local conditions, then press Check now. Flags already "
        "raised stay as they are."),
    "cred.state": ("状态", "State"),
    "cred.state.open": ("待核实", "Open"),
    "cred.state.confirmed": ("已确认", "Confirmed"),
    "cred.state.dismissed": ("已驳回", "Dismissed"),
    "cred.col.id": ("编号", "No."),
    "cred.col.unit": ("单位", "Unit"),
    "cred.col.signal": ("疑点", "Signal"),
    "cred.col.reason": ("原因", "Reason"),
    "cred.col.rows": ("记录数", "Rows"),
    "cred.col.detected": ("发现时间", "Found"),
    "cred.col.decision": ("处理意见", "Decision"),
    "cred.none": ("当前范围内没有提示。", "No flags in your area."),
    "cred.pick": ("查看提示", "Open a flag"),
    "cred.rows": ("相关记录", "Rows behind the flag"),
    "cred.decision_reason": ("处理理由（必填）", "Reason (required)"),
    "cred.confirm": ("确认并作废这些记录", "Confirm and void these rows"),
    "cred.dismiss": ("驳回", "Dismiss"),
    "cred.need_reason": ("请填写处理理由。", "Please give a reason."),
    "cred.confirmed": ("已确认，作废 {n} 份答卷。", "Confirmed: {n} responses voided."),
    "cred.dismissed": ("已驳回。", "Dismissed."),
    "cred.decided": ("这条提示已处理，不能再次处理。", "This flag has already been decided."),
    "cred.admin_only": ("只有管理员可以确认或驳回提示。", "Only an admin can confirm or dismiss a flag."),
    "cred.gaps": ("走访与群众评价对比", "Visits against residents"),
    "cred.gap.unit": ("单位", "Unit"),
    "cred.gap.link": ("群众链接满意率", "Residents (links)"),
    "cred.gap.link_n": ("链接答卷数", "Link n"),
    "cred.gap.visit": ("走访满意率", "Visits"),
    "cred.gap.visit_n": ("走访答卷数", "Visit n"),
    "cred.gap.diff": ("差值（走访−群众）", "Difference (visits − residents)"),
    "cred.gap.interval": ("95% 区间", "95% interval"),
    "cred.visit_coverage_note": (
        "确认走访类提示时作废的是这些走访的走访表答卷（满意度不再计入）；走访本身仍计入覆盖率。",
        "Confirming a visit flag voids those visits' form responses (their satisfaction leaves the figures); the "
        "visits themselves still count toward coverage."),
}
