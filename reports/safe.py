"""Neutralising spreadsheet formulas in exported user text (CSV/Excel injection)."""

from __future__ import annotations

import unicodedata
from typing import Any

# A cell whose text starts with one of these is run as a formula by Excel,
# WPS and LibreOffice; tab and carriage return smuggle them past some checks.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _visible_start(text: str) -> str:
    """The text as a spreadsheet may read its start: NFKC (full-width ＝ ＋ － ＠ are = + - @ to WPS and to
    Excel's IME input) and without the leading invisible format characters (zero-width space, BOM, joiners,
    soft hyphen: Unicode category Cf) that hide a formula from a plain prefix check."""
    head = unicodedata.normalize("NFKC", text[:64])
    index = 0
    while index < len(head) and unicodedata.category(head[index]) == "Cf":
        index += 1
    return head[index:]


def safe_cell(value: Any) -> Any:
    """``value`` ready to write into a CSV/Excel cell: strings that a
    spreadsheet would evaluate get a leading apostrophe; numbers, dates and
    None pass through unchanged (a negative number is a number, not text)."""
    if isinstance(value, str) and (value.startswith(FORMULA_PREFIXES)
                                   or _visible_start(value).startswith(FORMULA_PREFIXES)):
        return "'" + value
    return value


def safe_row(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [safe_cell(v) for v in values]
