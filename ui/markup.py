"""Stored text made inert for Streamlit markdown and Plotly: always shown literally, never as markup, link or image."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped one is never markup:
# no emphasis, link, image, raw HTML, heading, list, table, `:red[…]` directive, `$…$` formula, `&…;` entity.
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit's markdown also rewrites some patterns in the text after escapes are resolved (GFM's bare-URL and
# e-mail autolinks and `:material/icon:` icons), which a backslash cannot stop (measured in Chromium:
# `https\://x\.y` still became a link). An invisible word joiner (U+2060) inside each pattern breaks it: after
# every colon (so `https:` never meets `//`, nor `:` a `material/` or an emoji shortcode), before every `@` and between
# `www` and its dot.
_JOINER = "\u2060"
_BREAK_AFTER = re.compile(r"(:)")
_BREAK_BEFORE = re.compile(r"(?=@)|(?<=www)(?=\.)", re.IGNORECASE)


def plain(text: object) -> str:
    """``text`` (a name, title, label or answer someone typed or a file carried) as markdown that Streamlit
    shows exactly as written: for st.markdown, st.write, st.caption, st.title/header/subheader, st.info/warning/
    error/success, st.toast, st.table cells, metric labels and values, and every widget label, tooltip and radio,
    pills, segmented-control or select-slider option. Not for what Streamlit shows as plain text and so would show
    the backslashes of: selectbox and multiselect options, st.text, st.code, st.dataframe headers and cells."""
    value = _BREAK_BEFORE.sub(_JOINER, str(text))
    value = _BREAK_AFTER.sub(r"\1" + _JOINER, value)
    return _ASCII_PUNCTUATION.sub(r"\\\1", value)


def chart_text(text: object) -> str:
    """``text`` as Plotly text (axis categories, hover, legend and title) shown exactly as written: Plotly reads
    a subset of HTML (`<a href>`, `<b>`, `<br>`, entities) in every string it draws, so `&`, `<`, `>` become
    entities; `$` too, so a string that starts and ends with one is never typeset as a formula."""
    return html.escape(str(text), quote=False).replace("$", "&#36;")


def plain_values(params: Mapping[str, object]) -> dict[str, object]:
    """A message's parameters with every text value made :func:`plain` (numbers keep their format specs), for
    ``t(key, **plain_values(params))`` going into markdown."""
    return {key: plain(value) if isinstance(value, str) else value for key, value in params.items()}
