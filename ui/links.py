"""Same-tab links to the app's own HTTP routes (sign-in, sign-out): st.link_button always opens a new tab."""

from __future__ import annotations

import html

import streamlit as st

_STYLE = (
    "display:inline-block;padding:.45rem .9rem;border-radius:.5rem;text-decoration:none;font-weight:500;"
    "border:1px solid #c8161d;{colours}"
)


def route_link(label: str, href: str, *, primary: bool = False, where=None) -> None:
    """An anchor styled as a button. ``label`` and ``href`` are escaped; callers
    pass catalogue text and app paths only, never user text."""
    colours = "background:#c8161d;color:#fff;" if primary else "background:transparent;color:#c8161d;"
    markup = f'<a href="{html.escape(href, quote=True)}" style="{_STYLE.format(colours=colours)}">{html.escape(label)}</a>'
    (where or st).html(markup)
