"""Masking of residents' names and phone numbers for staff outside the household's own grid."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """张*明 for three characters and more (every middle character starred), 张* for two."""
    if not name:
        return ""
    text = name.strip()
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def mask_phone(phone: str | None) -> str:
    """138****5678 for a mobile; landlines keep area code and last four digits."""
    if not phone:
        return ""
    text = phone.strip()
    digits = [ch for ch in text if ch.isdigit()]
    if len(digits) < 7:
        return "*" * len(text)
    if "-" in text:  # landline 0571-88123456 -> 0571-****3456
        area, _, number = text.partition("-")
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_household(name: str | None, phone: str | None, visible: bool) -> tuple[str, str]:
    """(name, phone) as this viewer may see them."""
    if visible:
        return name or "", phone or ""
    return mask_name(name), mask_phone(phone)
