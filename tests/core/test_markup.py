"""ui.markup: stored text made inert for Streamlit markdown (plain) and Plotly (chart_text), and shown as typed."""

from __future__ import annotations

import html
import random
import string

import pytest

from tests.core.stored_text import HOSTILE, live_markup, resolved, shown
from ui.markup import chart_text, plain, plain_values

HOSTILE_TEXTS = [
    HOSTILE,
    "![](/logout)",
    "[点这里](javascript:alert(1)) <img src=x onerror=alert(1)> <a href='http://evil.example'>x</a>",
    "www.evil.example/path and WWW.EVIL.EXAMPLE",
    "联系 a@evil.example 或 mailto:b@evil.example",
    ":material/home: :smile: :red-background[x] :blue-badge[x] :rainbow[x] :small[x]",
    "$$x^2$$ and \\(x\\) and $ 5 and $10",
    "# 标题\n\n- 列表\n1. 有序\n> 引用\n| a | b |\n|---|---|\n```code```",
    "&lt;b&gt; &#60;b&#62; &amp; \\*already escaped\\*",
    "**粗** _斜_ ~~删~~ `码` [^1] <https://evil.example> [ref]: http://evil.example",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_plain_leaves_no_markup_and_shows_the_text_as_typed(text):
    source = plain(text)
    assert not live_markup(source)
    assert shown(source) == text


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_plain_escapes_every_ascii_punctuation_character(text):
    source = plain(text).replace("\u2060", "")
    unescaped = [ch for i, ch in enumerate(source) if ch in string.punctuation
                 and not (i and source[i - 1] == "\\") and not (ch == "\\" and i + 1 < len(source)
                                                               and source[i + 1] in string.punctuation)]
    assert not unescaped, unescaped


def test_plain_breaks_the_patterns_streamlit_rewrites_after_escapes_are_read():
    # GFM's bare-URL and e-mail autolinks and Streamlit's icons work on the text once escapes are read, so a
    # backslash alone left these live (the browser showed links and an icon); each must be broken in the text.
    for text, pattern in (("https://evil.example", "https://"), ("www.evil.example", "www."),
                          ("a@evil.example", "a@evil"), (":material/home:", ":material/"), (":smile:", ":smile:")):
        assert pattern not in resolved(plain(text)), text


def test_plain_shows_random_text_as_typed():
    rng = random.Random(20)
    alphabet = string.printable + "民意网格：，。（）\u3000"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert shown(plain(text)) == text
        assert not live_markup(plain(text))


def test_plain_values_escapes_texts_and_keeps_numbers_for_their_format_specs():
    params = plain_values({"name": "[x](/logout)", "n": 1234, "rate": 0.5})
    assert shown(params["name"]) == "[x](/logout)" and not live_markup(params["name"])
    assert "{n:,} {rate:.0%}".format(**params) == "1,234 50%"


@pytest.mark.parametrize("text", [HOSTILE, "<a href='http://evil.example'>x</a><br>&amp;", "$x$", "a & b < c > d"])
def test_chart_text_draws_as_typed_and_carries_no_tag(text):
    drawn = chart_text(text)
    assert "<" not in drawn and ">" not in drawn and "$" not in drawn
    assert html.unescape(drawn) == text
