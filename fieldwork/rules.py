"""Field-work vocabularies: visit outcomes, problem categories, urgencies, household tags, working days."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable

# Stored values (English codes) -> Chinese words cadres write on paper sheets.
OUTCOMES: dict[str, str] = {"met": "见面", "not_home": "不在家", "refused": "拒访", "vacant": "空置", "moved": "已搬离"}
OUTCOME_BY_WORD: dict[str, str] = {**{zh: code for code, zh in OUTCOMES.items()}, **{c: c for c in OUTCOMES},
                                   "见到": "met", "已见面": "met", "入户": "met", "搬离": "moved", "空房": "vacant"}
DEFAULT_COVERING_OUTCOMES: tuple[str, ...] = ("met",)

# Stored as the Chinese word (the list a district configures is in Chinese; the demo uses the same words).
DEFAULT_PROBLEM_CATEGORIES: tuple[str, ...] = ("环境卫生", "道路交通", "社会保障", "医疗卫生", "治安", "就业", "住房", "其他")
URGENCIES: dict[str, str] = {"low": "一般", "normal": "较急", "high": "紧急", "urgent": "特急"}
URGENCY_RANK: dict[str, int] = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
URGENCY_BY_WORD: dict[str, str] = {**{zh: code for code, zh in URGENCIES.items()}, **{c: c for c in URGENCIES},
                                   "低": "low", "普通": "normal", "中": "normal", "高": "high", "急": "high"}

DUE_WORKING_DAYS = 15  # the national 好差评 rule for a dissatisfied rating
CORRECTION_HOURS = 24  # a visit's author may correct it this long after saving


def parse_outcomes(text: str | None) -> tuple[str, ...]:
    """The campaign's covering outcomes from its comma list ('met,vacant'); unknown words are dropped."""
    if not text:
        return DEFAULT_COVERING_OUTCOMES
    found = []
    for part in text.replace("，", ",").split(","):
        code = OUTCOME_BY_WORD.get(part.strip())
        if code and code not in found:
            found.append(code)
    return tuple(found) or DEFAULT_COVERING_OUTCOMES


def add_working_days(day: dt.date, days: int, holidays: Iterable[dt.date] = ()) -> dt.date:
    """The date ``days`` working days (Mon–Fri, not in ``holidays``) after ``day``."""
    off = set(holidays)
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            days -= 1
    return day


def due_on(raised_at: dt.datetime | dt.date, holidays: Iterable[dt.date] | None = None) -> dt.date:
    """A problem's default due date: DUE_WORKING_DAYS working days after it was raised
    (holidays: the given set, else MINYI_HOLIDAYS)."""
    day = raised_at.date() if isinstance(raised_at, dt.datetime) else raised_at
    return add_working_days(day, DUE_WORKING_DAYS, configured_holidays() if holidays is None else holidays)


def configured_holidays() -> frozenset[dt.date]:
    """Public holidays from MINYI_HOLIDAYS (ISO dates separated by commas or spaces); none by default."""
    return parse_holidays(os.environ.get("MINYI_HOLIDAYS"))


def parse_holidays(text: str | None) -> frozenset[dt.date]:
    """Holidays from a comma/space separated list of ISO dates (MINYI_HOLIDAYS); bad items are ignored."""
    found = set()
    for part in (text or "").replace(",", " ").split():
        try:
            found.add(dt.date.fromisoformat(part))
        except ValueError:
            continue
    return frozenset(found)


DEFAULT_HOUSEHOLD_TAGS = ("低保户", "独居老人", "残疾人", "退役军人", "留守儿童", "重点关注")


def tag_choices(in_use: Iterable[str], configured: str | None = None) -> list[str]:
    """Household tags offered as filters: the configured list (MINYI_HOUSEHOLD_TAGS,
    separated by commas or 、; default DEFAULT_HOUSEHOLD_TAGS) first, in its order,
    then any other tag the registry brought in, sorted."""
    text = os.environ.get("MINYI_HOUSEHOLD_TAGS") if configured is None else configured
    listed = [tag.strip() for tag in re.split(r"[,，、;；]", text) if tag.strip()] if text else list(DEFAULT_HOUSEHOLD_TAGS)
    return listed + sorted(set(in_use) - set(listed))
