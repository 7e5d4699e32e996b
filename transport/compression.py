"""ASGI middleware that compresses the app's HTTP responses (brotli or gzip), caching the bytes of immutable assets.

Streamlit 1.67 serves its frontend (~26 MB of JavaScript, CSS and fonts under
/static/) uncompressed on purpose: its own gzip middleware skips /static/ and
the root document because recompressing on every request costs CPU
(streamlit/web/server/starlette/starlette_gzip_middleware.py). On a resident's
weak 4G link that made the fill page 2.7 MB. Those assets are content-hashed
and already sent with ``Cache-Control: public, immutable, max-age=31536000``,
so their compressed bytes never change: this middleware compresses each one
once, the first time it is asked for (in a worker thread, one compression per
asset however many ask at once), and keeps the result in memory. Everything
else that is compressible (the HTML shell, sign-in pages, JSON) is small and
compressed per response.

It is the only place that compresses: ``Accept-Encoding`` is taken off the
request before it reaches Streamlit, so the inner gzip middleware never runs
and nothing is compressed twice or decompressed here.

It also rewrites Streamlit's HTML shell (index.html, served for every page
path such as /fill) in one place, so that a page load asks only for what the
page shows and gets no 404: see ``_shell_head`` and ``FONT_PRELOAD``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from pathlib import Path

import anyio.to_thread
import brotli
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Types worth compressing; fonts (woff2), images and archives are compressed already.
COMPRESSIBLE = re.compile(
    rb"^(text/|application/(javascript|json|xml|manifest\+json|wasm)|image/svg\+xml|font/(ttf|otf)|application/x-font)",
    re.IGNORECASE,
)
# The shell preloads Streamlit's text font; the theme uses the phone's fonts instead (.streamlit/config.toml),
# and a font the page does use is still fetched on demand through its CSS @font-face.
FONT_PRELOAD = re.compile(rb'<link\s+rel="preload"[^>]*\sas="font"[^>]*/?>\s*', re.IGNORECASE)
# Frontend chunks the fill page needs as soon as its first screen arrives. The frontend asks for
# each only when the first element of its kind comes over the websocket: a waterfall of two or
# three round trips after the connection (~1 s of a 5 s load at 150 ms latency, bench/fill_weight.py).
# Named in the shell (modulepreload) they arrive with the frontend's own code: ~35 KB, most of
# which staff pages use too. Names without their content hash, matched in Streamlit's static
# folder at start; tests/core/test_compression.py fails when an upgrade renames one.
FILL_CHUNKS = (
    "Button", "Radio", "TextArea", "Html", "purify.es", "WidgetLabel", "WidgetLabelHelpIcon",
    "WidgetLabelHelpIconInline", "useBasicWidgetState", "useFormValidation", "useField", "useFormReset",
    "useSlot", "useUpdateUiValue", "useTextInputAutoExpand", "InputInstructions", "inputUtils",
    "requiredField", "ErrorOutline.esm", "styled-components",
)
MINIMUM_SIZE = 512  # below this the encoding's own framing eats the gain
BUFFER_LIMIT = 16 * 1024 * 1024  # larger bodies (none of the app's assets) pass through as they come
CACHE_LIMIT = 64 * 1024 * 1024  # compressed bytes kept for immutable assets (all of Streamlit's: ~15 MB)
# Brotli's densest level (11) costs ~2 s of CPU per MB here, level 9 a tenth of that for ~10%
# more bytes (Plotly's bundle: 1.06 MB against 1.18 MB). A large asset is sent at level 9 the
# first time it is asked for, and recompressed at 11 in the background for everyone after.
DENSE_INLINE_BELOW = 256 * 1024


# A response header by which a route says its HTML body is a copy of Streamlit's shell to patch (then dropped).
SHELL_HEADER = b"x-minyi-shell"


def choose_coding(accept_encoding: str) -> str:
    """The coding to send for a request's Accept-Encoding header: brotli, else gzip, else none."""
    offered: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        match = re.search(r"q=([0-9.]+)", params)
        if match:
            try:
                q = float(match.group(1))
            except ValueError:
                q = 0.0
        if name:
            offered[name.strip().lower()] = q
    for coding in ("br", "gzip"):
        if offered.get(coding, offered.get("*", 0.0)) > 0:
            return coding
    return "identity"


def compress(body: bytes, coding: str, effort: str = "cached") -> bytes:
    """``body`` in ``coding``. Deterministic (no timestamps): equal inputs give equal bytes.

    ``effort``: "cached" for a body compressed once and kept (brotli's densest level when
    small, see DENSE_INLINE_BELOW), "dense" for the densest whatever the size, "quick" for a
    body compressed on every response (a 5 KB page: ~0.03 ms instead of ~1 ms)."""
    if coding == "br":
        if effort == "quick":
            return brotli.compress(body, quality=4)
        dense = effort == "dense" or len(body) < DENSE_INLINE_BELOW
        return brotli.compress(body, quality=11 if dense else 9)
    if coding == "gzip":
        return gzip.compress(body, compresslevel=6 if effort == "quick" else 9, mtime=0)
    return body


class AssetCache:
    """Compressed bodies of immutable responses, each computed once (in a worker thread).

    A large brotli body is first compressed at the quicker level and then, in the
    background, at the densest, which replaces it (see DENSE_INLINE_BELOW)."""

    def __init__(self, limit: int = CACHE_LIMIT) -> None:
        self.limit = limit
        self.size = 0
        self.compressions = 0  # how many times a body was actually compressed (tests read it)
        self._done: dict[tuple, bytes] = {}
        self._running: dict[tuple, asyncio.Future] = {}
        self._densifying: set[asyncio.Task] = set()

    async def get(self, key: tuple, body: bytes, coding: str) -> bytes:
        key = (*key, coding)
        if key in self._done:
            return self._done[key]
        if key in self._running:
            return await asyncio.shield(self._running[key])
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            self.compressions += 1
            data = await anyio.to_thread.run_sync(compress, body, coding)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters see it, nobody else logs it
            raise
        finally:
            del self._running[key]
        if self._store(key, data) and coding == "br" and len(body) >= DENSE_INLINE_BELOW:
            task = asyncio.create_task(self._densify(key, body))
            self._densifying.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(self._densifying.discard)
        future.set_result(data)
        return data

    def _store(self, key: tuple, data: bytes) -> bool:
        old = len(self._done.get(key, b""))
        if self.size - old + len(data) > self.limit:
            return False
        self._done[key] = data
        self.size += len(data) - old
        return True

    async def _densify(self, key: tuple, body: bytes) -> None:
        self.compressions += 1
        self._store(key, await anyio.to_thread.run_sync(compress, body, "br", "dense"))

    async def settled(self) -> None:
        """Wait for the background recompressions (tests)."""
        while self._densifying:
            await asyncio.gather(*self._densifying)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def host_config() -> dict:
    """What Streamlit's /_stcore/host-config answers (streamlit/web/server/starlette/starlette_routes.py)."""
    from streamlit import config

    allowed = list(config.get_option("client.allowedOrigins"))
    if config.get_option("global.developmentMode") and "http://localhost" not in allowed:
        allowed.append("http://localhost")
    return {"allowedOrigins": allowed, "useExternalAuthToken": False, "enableCustomParentMessages": False,
            "enforceDownloadInNewTab": False, "metricsUrl": "", "blockErrorDialogs": False,
            "resourceCrossOriginMode": None}


def _shell_head(prefix: str, host: dict | None = None) -> bytes:
    """What the HTML shell gets at the top of its <head>: one inline script and one inline style.

    - ``BACKEND_BASE_URL``: where the server is, so the frontend opened at /fill does not
      probe /fill/_stcore/health and /fill/_stcore/host-config first (two 404s).
    - ``HOST_CONFIG``: the answer /_stcore/host-config would give. With both set, the
      frontend opens its websocket at once and checks health in the background, instead
      of waiting a round trip for health and host-config first.
    - The frontend asks for the Material Symbols icon font at start-up
      (``document.fonts.load``) whether or not the page shows an icon: 366 KB on every
      page. Declining that one request leaves the font to its CSS @font-face, which the
      browser fetches on the first page that draws an icon (the staff menu), not on the
      resident's fill page (which shows none, ui/icons.py).
    - The "skip to main content" link is drawn before the theme's font (the phone's own,
      .streamlit/config.toml) reaches the frontend, in Streamlit's Source Sans: 166 KB
      for one off-screen line. It gets the theme's stack from the start.
    """
    # JSON-encoded, then with "<" escaped: the prefix comes from configuration, but a
    # "</script>" in it must still not end the script early.
    path = json.dumps(prefix.rstrip("/") + "/").replace("<", "\\u003c")
    settings = json.dumps(host if host is not None else host_config()).replace("<", "\\u003c")
    script = (
        f"window.__streamlit=Object.assign({{HOST_CONFIG:{settings}}},window.__streamlit,"
        f"{{BACKEND_BASE_URL:location.origin+{path}}});"
        "(function(f){if(!f||!f.load)return;var load=f.load;"
        "f.load=function(font){return /Material Symbols/.test(String(font))?Promise.resolve([]):load.apply(f,arguments)}"
        "})(document.fonts);"
    )
    style = '[data-testid="stSkipToContent"]{font-family:system-ui,-apple-system,sans-serif}'
    return f"<script>{script}</script><style>{style}</style>".encode()


class CompressionMiddleware:
    """Compress compressible 200 responses for clients that accept it; cache immutable assets' compressed bytes."""

    def __init__(self, app: ASGIApp, cache: AssetCache | None = None, shell: Path | None = None,
                 base_url: str | None = None) -> None:
        self.app = app
        self.cache = cache if cache is not None else AssetCache()
        self._shell_path = shell
        self._base_url = base_url
        self._shell: bytes | None = None
        self._shells: dict[str, bytes] = {}

    def _original_shell(self) -> bytes:
        if self._shell is None:
            self._shell = self._shell_location().read_bytes()
        return self._shell

    def fill_chunk_files(self) -> list[str]:
        """The file names of FILL_CHUNKS in this Streamlit's static/js folder (content hash included)."""
        folder = self._shell_location().parent / "static" / "js"
        names = sorted(p.name for p in folder.glob("*.js")) if folder.is_dir() else []
        return [n for stem in FILL_CHUNKS for n in names if re.fullmatch(re.escape(stem) + r"\.[A-Za-z0-9_-]{8}\.js", n)]

    def _shell_location(self) -> Path:
        if self._shell_path is None:
            from streamlit import file_util

            self._shell_path = Path(file_util.get_static_dir()) / "index.html"
        return self._shell_path

    def _prefix(self, scope: Scope) -> str:
        base = self._base_url
        if base is None:
            from streamlit import config

            base = config.get_option("server.baseUrlPath") or ""
        return scope.get("root_path", "").rstrip("/") + ("/" + base.strip("/") if base.strip("/") else "")

    def _patched_shell(self, scope: Scope) -> bytes:
        prefix = self._prefix(scope)
        if prefix not in self._shells:
            self._shells[prefix] = self._patch(self._original_shell(), prefix)
        return self._shells[prefix]

    def _patch(self, shell: bytes, prefix: str) -> bytes:
        """``shell`` (Streamlit's index.html, or a route's copy of it marked with SHELL_HEADER) patched."""
        original = self._original_shell()
        head = shell.find(b"<head>")
        at = head + len(b"<head>") if head >= 0 else 0
        patched = shell[:at] + _shell_head(prefix) + shell[at:]
        end = patched.rfind(b"</head>")
        end = end if end >= 0 else len(patched)
        preloads = b"".join(b'<link rel="modulepreload" crossorigin href="./static/js/%s">' % name.encode()
                            for name in self.fill_chunk_files() if name.encode() not in original)
        return FONT_PRELOAD.sub(b"", patched[:end] + preloads + patched[end:])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers", ()))
        accept = (_header(headers, b"accept-encoding") or b"").decode("latin-1")
        inner_scope = dict(scope)
        # Streamlit's own gzip never runs: this is the one place that compresses (see the module docstring).
        inner_scope["headers"] = [(k, v) for k, v in headers if k.lower() != b"accept-encoding"]
        coding = choose_coding(accept) if scope.get("method") in ("GET", "HEAD") else "identity"
        responder = _Responder(self, scope, send, coding)
        await self.app(inner_scope, receive, responder.send)
        await responder.finish()


class _Responder:
    """Holds one response's start and body until it knows whether to compress it."""

    def __init__(self, middleware: CompressionMiddleware, scope: Scope, send: Send, coding: str) -> None:
        self.middleware = middleware
        self.scope = scope
        self._send = send
        self.coding = coding
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.passing = False  # sending the response through unchanged
        self.done = False

    async def send(self, message: Message) -> None:
        if self.passing:
            await self._send(message)
            return
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            content_type = _header(headers, b"content-type") or b""
            compressible = (message["status"] == 200 and COMPRESSIBLE.match(content_type) is not None
                            and _header(headers, b"content-encoding") is None
                            and _header(headers, b"content-range") is None)
            if not compressible:
                self.passing = True
                await self._send(message)
                return
            self.start = message
            return
        if message["type"] == "http.response.body" and self.start is not None:
            self.chunks.append(message.get("body", b""))
            self.buffered += len(self.chunks[-1])
            if self.buffered > BUFFER_LIMIT and message.get("more_body", False):
                await self._flush_unchanged(more_body=True)
                return
            if not message.get("more_body", False):
                await self._respond(b"".join(self.chunks))
            return
        await self._send(message)

    async def _flush_unchanged(self, more_body: bool) -> None:
        assert self.start is not None
        self.passing = True
        await self._send(self.start)
        await self._send({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more_body})

    async def _respond(self, body: bytes) -> None:
        assert self.start is not None
        start = self.start
        headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() not in (b"content-length", b"vary")]
        vary = _header(list(start.get("headers", ())), b"vary")
        cache_control = (_header(headers, b"cache-control") or b"").lower()
        middleware = self.middleware
        is_head = self.scope.get("method") == "HEAD"
        # A route that serves its own copy of the shell (light/shell.py's browser check in front of /fill)
        # marks it, so it gets the same patch; its copy differs per request, so it is not cached.
        marked = _header(headers, SHELL_HEADER) is not None
        headers = [(k, v) for k, v in headers if k.lower() != SHELL_HEADER]
        if not is_head and marked:
            body = middleware._patch(body, middleware._prefix(self.scope))
            key: tuple | None = None
            headers = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"last-modified")]
        elif not is_head and body == middleware._original_shell():
            body = middleware._patched_shell(self.scope)
            key = ("shell", self.scope.get("root_path", ""))
            # The file's validators do not describe the patched page (a new patch, same index.html):
            # without them the ~2.5 KB shell is simply sent again, never a stale 304.
            headers = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"last-modified")]
        elif b"immutable" in cache_control:
            # Content-hashed: the path names the bytes. The length guards a body that is not the whole file.
            key = ("asset", self.scope.get("path", ""), self.scope.get("query_string", b""), len(body))
        else:
            key = None
        coding = self.coding if len(body) >= MINIMUM_SIZE and not is_head else "identity"
        if coding != "identity":
            if key is not None:
                body = await middleware.cache.get(key, body, coding)
            elif len(body) > 64 * 1024:
                body = await anyio.to_thread.run_sync(compress, body, coding, "quick")
            else:
                body = compress(body, coding, "quick")
            headers.append((b"content-encoding", coding.encode()))
            headers = [(k, _weak(v) if k.lower() == b"etag" else v) for k, v in headers]
        headers.append((b"vary", (vary + b", Accept-Encoding") if vary else b"Accept-Encoding"))
        if not cache_control and (_header(headers, b"content-type") or b"").lower().startswith(b"text/html"):
            # A page (sign-in, the light path) that says nothing about caching is revalidated on
            # every load like Streamlit's shell: its forms carry one-time tokens.
            headers.append((b"cache-control", b"no-cache"))
        if not is_head:
            headers.append((b"content-length", str(len(body)).encode()))
        else:
            length = _header(list(start.get("headers", ())), b"content-length")
            if length is not None:
                headers.append((b"content-length", length))
        await self._send({**start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})
        self.done = True

    async def finish(self) -> None:
        """After the app returned: a held start that never got its last body part is sent as it was."""
        if self.start is not None and not self.passing and not self.done:
            await self._flush_unchanged(more_body=False)


def _weak(etag: bytes) -> bytes:
    """A compressed body is not byte-equal to the original: its validator becomes weak (as nginx does)."""
    return etag if etag.startswith(b"W/") else b"W/" + etag
