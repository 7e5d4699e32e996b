"""Excel sheets for cadres who work on paper: worklists with blank visit columns, and plain exports."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from fieldwork import rules
from reports.safe import safe_row

VISIT_COLUMNS: tuple[str, ...] = ("走访日期", "走访结果", "满意度", "问题类别", "问题描述", "紧急程度", "需要回头访", "备注")


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, sheet: str = "Sheet1",
               choices: dict[str, Sequence[str]] | None = None) -> bytes:
    """One sheet: bold header, every cell through safe_cell, drop-down lists on the named columns."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    for col, name in enumerate(headers):
        ws.write_string(0, col, name, bold)
        ws.set_column(col, col, max(10, min(40, len(name) * 3)))
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(safe_row(list(row))):
            if value is None:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, col, value)
            else:
                ws.write_string(r, col, str(value))
    last = max(len(rows), 1) + 500
    for name, options in (choices or {}).items():
        if name in headers:
            col = list(headers).index(name)
            ws.data_validation(1, col, last, col, {"validate": "list", "source": list(options)})
    ws.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def visit_sheet(headers: Sequence[str], rows: Sequence[Sequence[Any]], categories: Sequence[str]) -> bytes:
    """A worklist with the blank columns a cadre fills at the door; re-importable by parse_visit_sheet."""
    full = list(headers) + list(VISIT_COLUMNS)
    padded = [list(r) + [None] * len(VISIT_COLUMNS) for r in rows]
    return xlsx_bytes(full, padded, sheet="走访表", choices={
        "走访结果": list(rules.OUTCOMES.values()),
        "满意度": ["非常满意", "满意", "基本满意", "不满意", "非常不满意"],
        "问题类别": list(categories),
        "紧急程度": list(rules.URGENCIES.values()),
        "需要回头访": ["是", "否"],
    })
