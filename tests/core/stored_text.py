"""Hostile stored text and the checks that a rendered AppTest page shows it literally, never as markup."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

# What a town leader's import or an admin's typing can put in any stored name, title or label.
HOSTILE = "![x](http://evil.example/a.png) [link](/logout) <b>x</b> :red[x] $x$ https://evil.example"
# Pieces of HOSTILE that Streamlit's markdown turns into an image, a link, HTML, colour or a formula.
LIVE_FRAGMENTS = ("![x](", "[link](/logout)", "<b>x</b>", ":red[x]", "$x$")
# Streamlit rewrites bare URLs, e-mail addresses and `:material/…:` in the text after escapes are resolved.
_AUTOLINK = re.compile(r"(?i)(https?://|www\.)\w|\w@\w+\.|:material/")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_JOINER = "\u2060"

# Proto fields whose text Streamlit renders as markdown, and the elements whose `options` it renders so
# (selectbox and multiselect options are plain text).
_MARKDOWN_FIELDS = {"label", "body", "help", "delta", "content", "caption", "captions"}
_MARKDOWN_OPTIONS = {"radio", "select_slider", "button_group"}
_PLAIN_ELEMENTS = {"text", "code", "json"}  # st.text, st.code, st.json: shown as typed


def resolved(source: str) -> str:
    """The text of markdown ``source`` once its backslash escapes are read (what the autolink pass sees)."""
    return _ESCAPE.sub(r"\1", source)


def shown(source: str) -> str:
    """What a reader sees of markdown ``source`` that holds no markup: escapes read, invisible joiners gone."""
    return resolved(source).replace(_JOINER, "")


def live_markup(source: str) -> list[str]:
    """The pieces of ``source`` that Streamlit would render as markup, link or image (none when inert)."""
    found = [fragment for fragment in LIVE_FRAGMENTS if fragment in source]
    found += [m.group(0) for m in _AUTOLINK.finditer(resolved(source))]
    return found


def _strings(message, element_type: str) -> Iterator[str]:
    for field, value in message.ListFields():
        repeated = isinstance(value, (list, tuple)) or type(value).__name__.startswith("Repeated")
        items = list(value) if repeated else [value]
        for item in items:
            if hasattr(item, "ListFields"):
                yield from _strings(item, element_type)
            elif isinstance(item, str) and (field.name in _MARKDOWN_FIELDS
                                            or (field.name == "options" and element_type in _MARKDOWN_OPTIONS)):
                yield item


def _nodes(node) -> Iterator:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def markdown_texts(at) -> list[str]:
    """Every string of the rendered page that Streamlit reads as markdown (labels, bodies, options, tooltips)."""
    texts: list[str] = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields") and getattr(node, "type", None) not in _PLAIN_ELEMENTS:
            texts.extend(_strings(proto, getattr(node, "type", "")))
        if getattr(node, "type", None) == "table":  # st.table renders its cells and headers as markdown
            frame = node.value
            texts.extend(str(v) for v in [*frame.columns, *frame.to_numpy().ravel()])
    return texts


def chart_texts(at) -> list[str]:
    """Every string in the page's Plotly figures (which Plotly reads as a subset of HTML)."""
    texts: list[str] = []

    def collect(value) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for node in _nodes(at._tree):
        if getattr(node, "type", None) == "plotly_chart":
            collect(json.loads(node.proto.spec))
    return texts


def chart_shown(text: str) -> str:
    """What Plotly draws of ``text`` that holds no tags: its entities read."""
    return html.unescape(text)
