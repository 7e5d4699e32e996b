"""QR codes (segno) for share links, as PNG or SVG bytes."""

from __future__ import annotations

import io

import segno


def link_url(base_url: str, token: str) -> str:
    """The public address of a link: {base}/fill?t={token}."""
    return f"{base_url.rstrip('/')}/fill?t={token}"


def _code(url: str) -> segno.QRCode:
    # Error level M survives a crease or a smudge on a door hanger; boosting
    # is off so the symbol size is predictable for print layouts.
    return segno.make_qr(url, error="m", boost_error=False)


def qr_png(url: str, scale: int = 8, border: int = 4) -> bytes:
    """A PNG of the QR code for ``url``."""
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def qr_svg(url: str, scale: int = 8, border: int = 4) -> bytes:
    """An SVG of the QR code for ``url``."""
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=scale, border=border, xmldecl=True, svgns=True)
    return out.getvalue()


def qr_matrix(url: str) -> list[list[bool]]:
    """The module matrix (True = dark, no border), for drawing and for tests."""
    return [[bool(cell) for cell in row] for row in _code(url).matrix]
