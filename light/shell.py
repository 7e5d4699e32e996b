"""The browser check in front of the Streamlit fill page: /fill serves Streamlit's HTML shell with a shim that
sends a browser lacking what Streamlit 1.67's frontend needs (or running no JavaScript) to the light path.

What the frontend needs was found by experiment (Playwright + Chromium, one
feature deleted per run in an init script, then: does the first question
show, and does a full answer submit?). The fill page broke without any of:
globalThis, Object.entries, Object.fromEntries, Object.hasOwn (renders, but a
tap throws and nothing submits), String.prototype.replaceAll,
Array.prototype.includes, Array.prototype.toSorted (ES2023: renders, taps do
nothing), queueMicrotask (the same), TextDecoder, AbortController,
URLSearchParams, matchMedia, Proxy, Reflect, WeakMap.
It still worked without AbortSignal.timeout, structuredClone,
requestAnimationFrame, Array.prototype.at, Promise.allSettled, ResizeObserver,
IntersectionObserver, crypto.randomUUID, Intl.Segmenter, Object.groupBy,
Set.prototype.union, Array.prototype.findLast, localStorage and more
(tests/sharing/test_browser_light.py keeps one of each side honest).
The bundle's syntax goes up to ES2022 class static blocks (`static{…}`), which
deleting an API cannot simulate: the shim compiles a sample with
``new Function`` and sends the browser away on a SyntaxError (a Content
Security Policy that forbids eval raises another error: then the syntax test
is skipped rather than failing every browser). A browser without ES modules
runs the ``nomodule`` copy; one without JavaScript follows the ``<noscript>``
refresh. The shim is ES3, so the oldest webview can run it.

Printed share links and QR codes (/fill?t=CODE) keep working: the path is
unchanged, only its HTML gains the shim, and capable browsers get the
Streamlit page exactly as before.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import streamlit
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from light.routes import PATH as LIGHT_PATH
from sharing.tokens import normalize
from transport.compression import SHELL_HEADER

# Each entry is a JavaScript expression that is undefined (or not a function / object) in a browser the
# Streamlit frontend cannot run in; see the module docstring for how the list was measured.
REQUIRED = (
    "window.globalThis", "Object.entries", "Object.fromEntries", "Object.hasOwn", "String.prototype.replaceAll",
    "Array.prototype.includes", "Array.prototype.toSorted", "window.queueMicrotask", "window.WeakMap",
    "window.TextDecoder", "window.AbortController", "window.URLSearchParams", "window.matchMedia", "window.Proxy",
    "window.Reflect", "window.WebSocket", "window.Promise", "window.fetch",
)
# The newest syntax the bundle uses (class static blocks, logical assignment, optional chaining).
SYNTAX_SAMPLE = "class A{static{}};var b={};b.c??=1;return b?.c"

# The syntax is tried in a script of its own, not with new Function: the security policy refuses eval
# (auth/security_headers.py). A browser that cannot parse it skips that script, so the flag stays unset.
_SHIM = (
    "<script>window.__minyiSyntax=(function(){" + SYNTAX_SAMPLE + "})()</script>"
    "<script>(function(){var w=window,l=w.location,go=function(){l.replace(\"" + LIGHT_PATH + "\"+l.search)};"
    "if(w.__minyiSyntax!==1){go();return}"
    "var need=[" + ",".join(REQUIRED) + "];"
    "for(var i=0;i<need.length;i++){var k=typeof need[i];if(k!==\"function\"&&k!==\"object\"||need[i]===null){go();return}}"
    "})()</script>"
    "<script nomodule>location.replace(\"" + LIGHT_PATH + "\"+location.search)</script>"
)


@lru_cache(maxsize=1)
def _streamlit_index() -> str:
    return (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")


def shell_html(index_html: str, token: str | None, lang: str | None) -> str:
    """``index_html`` with the browser check placed first in its <head> (before any of Streamlit's scripts)."""
    params = {"t": token} if token else {}
    if lang in ("zh", "en"):
        params["lang"] = lang
    target = LIGHT_PATH + ("?" + urlencode(params) if params else "")
    noscript = f'<noscript><meta http-equiv="refresh" content="0; url={html.escape(target, quote=True)}"></noscript>'
    head = index_html.find("<head>")
    if head < 0:
        return noscript + _SHIM + index_html
    cut = head + len("<head>")
    return index_html[:cut] + noscript + _SHIM + index_html[cut:]


def fill_shell(request: Request) -> HTMLResponse:
    """GET /fill: Streamlit's own shell (as its static handler would serve it) with the browser check."""
    token = normalize(request.query_params.get("t"))
    body = shell_html(_streamlit_index(), token, request.query_params.get("lang"))
    # Marked as Streamlit's shell, so the transport middleware patches this copy as it patches the original
    # (base URL and host config inline: no 404s under /fill/, no font preload).
    return HTMLResponse(body, headers={"Cache-Control": "no-cache", SHELL_HEADER.decode(): "1"})


ROUTES = [Route("/fill", fill_shell, methods=["GET"])]
