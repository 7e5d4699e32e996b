"""Security headers on every response: no framing by other sites, a content security policy, no MIME sniffing.

A pure ASGI middleware (server.py puts it outermost), so it covers Streamlit's own routes, static files and
media as well as the sign-in routes, and the websocket handshake's accept. The policy is what Streamlit's
frontend needs and no more (checked in a real browser: tests/core/test_security_headers.py):
- scripts only from this server; Streamlit's bundle and Plotly need no inline script or eval. ``st.html`` with
  JavaScript (the language cookie, ui/session.py) is allowed one inline script through 'unsafe-inline': the
  frontend inserts it at run time, which no nonce can cover, and the app never renders user text as HTML;
- styles inline as well (Streamlit's styling library injects <style> elements, the sign-in pages carry one);
- images from this server, data: and blob: URIs (Plotly and downloads use them);
- connections only back to this server, by HTTP or websocket;
- framing only by this server itself (Streamlit's components live in same-origin iframes), never by others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "font-src 'self' data:; "
    "media-src 'self' data: blob:; "
    "connect-src 'self'{websocket}; "
    "worker-src 'self' blob:; "
    "frame-src 'self' blob: data:; "
    "frame-ancestors 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'"
)


def _websocket_sources(scope: Scope) -> str:
    """This server's own websocket origin, spelled out: CSP 'self' covers ws:/wss: of the same host only in
    browsers implementing CSP level 3."""
    for name, value in scope.get("headers") or ():
        if name == b"host":
            host = value.decode("latin-1")
            if host and all(c.isalnum() or c in ".-:[]" for c in host):
                return f" ws://{host} wss://{host}"
    return ""


def headers_for(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The security headers for a response to ``scope``."""
    return [
        (b"content-security-policy", _POLICY.format(websocket=_websocket_sources(scope)).encode("latin-1")),
        (b"x-frame-options", b"SAMEORIGIN"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]


class SecurityHeadersMiddleware:
    """Add ``headers_for(scope)`` to every HTTP response and websocket accept, replacing any header of the
    same name set further in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope)
        names = {name for name, _ in extra}
        start = "http.response.start" if scope["type"] == "http" else "websocket.accept"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == start:
                kept = [(n, v) for n, v in (message.get("headers") or ()) if n.lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
