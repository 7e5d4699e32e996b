"""Printable sheet of a single-use batch: a PDF with one QR code per household card, the unit's name under each."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from sharing.qr import qr_matrix
from sharing.tokens import display

# STSong-Light is one of the CID fonts every PDF reader provides (Adobe's
# Asian font packs): the PDF names it and the reader renders it, so no font
# file is installed or embedded and Chinese prints on any machine.
CJK_FONT = "STSong-Light"
COLUMNS, ROWS = 3, 4
MARGIN = 28.0
HEADER = 34.0
QR_SIZE = 118.0


@dataclass(frozen=True)
class SheetCard:
    url: str
    token: str


def _register_font() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _fit(text: str, size: float, width: float) -> str:
    """Shorten ``text`` with an ellipsis until it fits ``width`` points."""
    if pdfmetrics.stringWidth(text, CJK_FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", CJK_FONT, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_qr(pdf: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """Vector QR: one rectangle per run of dark modules in a row (crisp at any print size)."""
    matrix = qr_matrix(url)
    modules = len(matrix)
    cell = size / modules
    path = pdf.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < modules:
            if row[c]:
                start = c
                while c < modules and row[c]:
                    c += 1
                path.rect(x + start * cell, y + size - (r + 1) * cell, (c - start) * cell, cell)
            else:
                c += 1
    pdf.drawPath(path, stroke=0, fill=1)


def batch_sheet_pdf(cards: Sequence[SheetCard], *, unit_name: str, survey_title: str, instruction: str,
                    page_label: str = "{page}/{pages}") -> bytes:
    """A4 pages of COLUMNS x ROWS cards: QR code, unit name, survey title and the
    typeable code under each; dashed cut lines between cards.

    instruction: one translated line printed on every card ("scan to answer").
    page_label: a template with {page} and {pages}.
    """
    _register_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(survey_title)
    width, height = A4
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(cards) // per_page))
    cell_w = (width - 2 * MARGIN) / COLUMNS
    cell_h = (height - 2 * MARGIN - HEADER) / ROWS
    for page in range(pages):
        pdf.setFont(CJK_FONT, 12)
        pdf.drawString(MARGIN, height - MARGIN - 14, _fit(f"{survey_title} · {unit_name}", 12, width - 2 * MARGIN - 60))
        pdf.drawRightString(width - MARGIN, height - MARGIN - 14, page_label.format(page=page + 1, pages=pages))
        pdf.setDash(3, 3)
        pdf.setLineWidth(0.4)
        top = height - MARGIN - HEADER
        for col in range(1, COLUMNS):
            pdf.line(MARGIN + col * cell_w, MARGIN, MARGIN + col * cell_w, top)
        for row in range(0, ROWS + 1):
            pdf.line(MARGIN, top - row * cell_h, width - MARGIN, top - row * cell_h)
        pdf.setDash()
        for index, card in enumerate(cards[page * per_page:(page + 1) * per_page]):
            col, row = index % COLUMNS, index // COLUMNS
            x0 = MARGIN + col * cell_w
            y_top = top - row * cell_h
            centre = x0 + cell_w / 2
            _draw_qr(pdf, card.url, centre - QR_SIZE / 2, y_top - 10 - QR_SIZE, QR_SIZE)
            pdf.setFont(CJK_FONT, 11)
            pdf.drawCentredString(centre, y_top - QR_SIZE - 26, _fit(unit_name, 11, cell_w - 12))
            pdf.setFont(CJK_FONT, 8.5)
            pdf.drawCentredString(centre, y_top - QR_SIZE - 39, _fit(instruction, 8.5, cell_w - 12))
            pdf.setFont("Courier-Bold", 12)
            pdf.drawCentredString(centre, y_top - QR_SIZE - 54, display(card.token))
        pdf.showPage()
    pdf.save()
    return out.getvalue()
