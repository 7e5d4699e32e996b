"""Tokens, link states, QR images, the printable sheet and the `link create` CLI (the burst limit: test_burst_limit.py)."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import segno
from PIL import Image

from sharing import tokens
from sharing.qr import link_url, qr_matrix, qr_png, qr_svg
from sharing.sheet import SheetCard, batch_sheet_pdf
from sharing.states import LinkFacts, LinkState, evaluate

ROOT = Path(__file__).resolve().parents[2]


def test_tokens_are_short_unambiguous_and_distinct():
    batch = tokens.new_tokens(2000)
    assert len(set(batch)) == 2000
    for token in batch:
        assert len(token) == 10
        assert not set(token) & set("0o1liI")
    # entropy: 10 symbols of 31 is just under 50 bits
    assert math.isclose(10 * math.log2(len(tokens.ALPHABET)), 49.54, abs_tol=0.01)
    assert len(set(tokens.ALPHABET)) == 31


def test_normalize_accepts_typed_variants_and_rejects_anything_else():
    assert tokens.normalize(" ABCDE-fghjk ") == "abcdefghjk"
    assert tokens.normalize("abcde fghjk") == "abcdefghjk"
    assert tokens.normalize("abcdefghj0") is None  # 0 is not in the alphabet
    assert tokens.normalize("abcdefghj") is None
    assert tokens.normalize('abcde"><script>') is None
    assert tokens.normalize(None) is None
    assert tokens.display("abcdefghjk") == "abcde-fghjk"


def _facts(**changes) -> LinkFacts:
    base = dict(mode="open", revoked_at=None, expires_at=None, used_at=None, response_cap=None, claimed=0,
                survey_open=True)
    base.update(changes)
    return LinkFacts(**base)


def test_link_states():
    at = datetime(2026, 5, 1, 12, 0)
    assert evaluate(None, at) is LinkState.UNKNOWN
    assert evaluate(_facts(), at) is LinkState.OK
    assert evaluate(_facts(revoked_at=at, survey_open=False), at) is LinkState.REVOKED
    assert evaluate(_facts(survey_open=False), at) is LinkState.CLOSED
    assert evaluate(_facts(expires_at=at), at) is LinkState.EXPIRED
    assert evaluate(_facts(expires_at=at + timedelta(seconds=1)), at) is LinkState.OK
    assert evaluate(_facts(mode="single_use", used_at=at), at) is LinkState.USED
    assert evaluate(_facts(response_cap=3, claimed=3), at) is LinkState.CAPPED
    assert evaluate(_facts(response_cap=3, claimed=2), at) is LinkState.OK


def test_qr_png_and_svg_carry_the_link_url():
    url = link_url("https://minyi.example.cn/", "abcdefghjk")
    assert url == "https://minyi.example.cn/fill?t=abcdefghjk"
    png = qr_png(url, scale=5, border=4)
    image = Image.open(io.BytesIO(png))
    modules = len(qr_matrix(url))
    assert image.size == ((modules + 8) * 5, (modules + 8) * 5)
    # the PNG's pixels are exactly the module matrix of a QR code made independently for the URL
    expected = segno.make_qr(url, error="m", boost_error=False)
    pixels = image.convert("L")
    for r in range(modules):
        for c in range(modules):
            dark = pixels.getpixel(((c + 4) * 5 + 2, (r + 4) * 5 + 2)) < 128
            assert dark == bool(expected.matrix[r][c])
    svg = qr_svg(url).decode()
    assert svg.startswith("<?xml") and "<svg" in svg and 'xmlns="http://www.w3.org/2000/svg"' in svg


def test_sheet_has_twelve_cards_per_a4_page():
    cards = [SheetCard(link_url("http://x", t), t) for t in tokens.new_tokens(13)]
    pdf = batch_sheet_pdf(cards, unit_name="幸福社区第一网格", survey_title="群众满意度测评",
                          instruction="扫码参与测评", page_label="{page}/{pages}")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 2
    assert b"STSong-Light" in pdf


def test_cli_link_create_prints_urls_and_writes_qr(tmp_path):
    env = {"MINYI_DB": str(tmp_path / "db.duckdb"), "MINYI_PUBLIC_URL": "https://minyi.example.cn", "PATH": "/usr/bin",
           "MINYI_LANG": "zh"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)

    assert run("unit", "add", "G7", "第七网格").returncode == 0
    result = run("link", "create", "qunzhong_manyidu", "--unit", "G7", "--single-use", "3", "--cap", "5",
                 "--qr", str(tmp_path / "qr"))
    assert result.returncode == 0, result.stderr
    urls = result.stdout.splitlines()[:3]
    assert all(re.fullmatch(r"https://minyi\.example\.cn/fill\?t=[2-9a-hjkmnp-z]{10}", u) for u in urls)
    assert sorted(p.name for p in (tmp_path / "qr").iterdir()) == sorted(
        [u[-10:] + ".png" for u in urls] + [u[-10:] + ".svg" for u in urls])
    bad = run("link", "create", "qunzhong_manyidu", "--unit", "NOPE")
    assert bad.returncode == 1 and "不存在或不在您的管辖范围内" in bad.stderr
