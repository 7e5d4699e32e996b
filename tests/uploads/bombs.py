"""Hostile workbooks built in the test: a zip bomb (a small .xlsx whose sheet XML unpacks to hundreds of MB), a
sheet claiming a huge dimension, a sheet that jumps to row 1,048,576, and a wide sheet."""

from __future__ import annotations

import io
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '{sheets}</Types>')
SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
              'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>')
WORKBOOK_SHEET = '<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
WORKBOOK_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                'Target="worksheets/sheet{n}.xml"/>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"
# Headers every table import knows (registry, org tree, visit sheet, paper responses, XLSForm survey sheet).
HEADER = ["户编号", "户主姓名", "所属网格", "走访结果", "编码", "名称", "单位编码", "type", "name", "label"]


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_row() -> str:
    return '<row r="1">' + "".join(_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADER)) + "</row>"


def workbook(sheet_bodies: dict[str, object], dimension: str = "", header: str | None = None) -> bytes:
    """An .xlsx whose sheets are written from ``sheet_bodies`` (name -> iterable of XML chunks after the header row)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        names = list(sheet_bodies)
        z.writestr("[Content_Types].xml", CONTENT_TYPES.format(
            sheets="".join(SHEET_TYPE.format(n=i + 1) for i in range(len(names)))))
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK.format(
            sheets="".join(WORKBOOK_SHEET.format(name=name, n=i + 1) for i, name in enumerate(names))))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(
            rels="".join(WORKBOOK_REL.format(n=i + 1) for i in range(len(names)))))
        for i, name in enumerate(names):
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as sheet:
                sheet.write(SHEET_HEAD.format(dimension=f'<dimension ref="{dimension}"/>' if dimension else "").encode())
                sheet.write((header or _header_row()).encode())
                for chunk in sheet_bodies[name]:  # type: ignore[attr-defined]
                    sheet.write(chunk.encode() if isinstance(chunk, str) else chunk)
                sheet.write(SHEET_TAIL.encode())
    return out.getvalue()


def zip_bomb(unpacked_mb: int = 400, sheets: tuple[str, ...] = ("survey",)) -> bytes:
    """A workbook of a few hundred KB whose sheet XML unpacks to ``unpacked_mb`` MB: the same data row, repeated
    (row numbers left out, as Excel allows), so every import path would otherwise read millions of rows."""
    row = ("<row>" + "".join(_cell("", "x" * 8) for _ in HEADER).replace(' r=""', "") + "</row>").encode()
    block = row * (1024 * 1024 // len(row))

    def body():
        for _ in range(unpacked_mb):
            yield block

    return workbook({name: body() for name in sheets})


def far_row_sheet() -> bytes:
    """Tiny: a header and one row numbered 1,048,576 (openpyxl yields every blank row in between)."""
    last = '<row r="1048576">' + _cell("A1048576", "H1") + "</row>"
    return workbook({"survey": [last]})


def huge_dimension_sheet() -> bytes:
    """Tiny: two rows, but the stored dimension claims A1:XFD1048576 (read-only openpyxl pads to it)."""
    return workbook({"survey": ['<row r="2">' + _cell("A2", "H1") + "</row>"]}, dimension="A1:XFD1048576")


def wide_sheet(columns: int = 5000) -> bytes:
    """Tiny: a header row with a value in every column up to ``columns``."""
    from openpyxl.utils import get_column_letter

    cells = "".join(_cell(f"{get_column_letter(i)}1", f"c{i}") for i in range(1, columns + 1))
    return workbook({"survey": []}, header=f'<row r="1">{cells}</row>')
