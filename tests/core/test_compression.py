"""The compression middleware: what a browser on a weak link receives for assets, the HTML shell and everything else."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from transport.compression import (
    BUFFER_LIMIT,
    DENSE_INLINE_BELOW,
    AssetCache,
    CompressionMiddleware,
    choose_coding,
    compress,
    host_config,
)

ASSET = ("export function render(){return 'minyi';}\n" * 400).encode()
# above DENSE_INLINE_BELOW, and varied enough that brotli's levels differ
LARGE = "".join(f"function f{i}(a){{return a*{i * 7919 % 1000}+'{hex(i * 2654435761 % 2**32)}';}}\n"
                for i in range(8000)).encode()
IMMUTABLE = "public, immutable, max-age=31536000"
SHELL = (b'<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <link rel="shortcut icon" href="./favicon.png" />\n'
         b'    <link\n      rel="preload"\n      href="./static/media/SourceSansVF-Upright.ttf.x.woff2"\n'
         b'      as="font"\n      type="font/woff2"\n      crossorigin\n    />\n    <title>Streamlit</title>\n'
         b'  </head>\n  <body>' + b"<!-- filler -->" * 100 + b"</body>\n</html>\n")


def _client(tmp_path: Path, cache: AssetCache, inner_gzip: bool = False) -> TestClient:
    shell = tmp_path / "index.html"
    shell.write_bytes(SHELL)

    def asset(_request):
        return Response(ASSET, media_type="text/javascript", headers={"Cache-Control": IMMUTABLE, "ETag": '"abc"'})

    def page(_request):
        return Response(SHELL, media_type="text/html", headers={"Cache-Control": "no-cache", "ETag": '"file"',
                                                                  "Last-Modified": "Fri, 04 Dec 2026 18:50:41 GMT"})

    def font(_request):
        return Response(b"\x00" * 4000, media_type="font/woff2", headers={"Cache-Control": IMMUTABLE})

    def missing(_request):
        return PlainTextResponse("not here " * 200, status_code=404)

    def big(_request):
        chunk = b"a" * (1024 * 1024)
        return StreamingResponse(iter([chunk] * (BUFFER_LIMIT // len(chunk) + 2)), media_type="text/csv")

    def login(_request):
        return Response("<form>登录</form>" * 100, media_type="text/html; charset=utf-8")

    def large(_request):
        return Response(LARGE, media_type="text/javascript", headers={"Cache-Control": IMMUTABLE})

    routes = [Route("/static/js/index.abc.js", asset), Route("/static/js/Plotly.abc.js", large), Route("/fill", page), Route("/static/media/f.woff2", font),
              Route("/missing", missing), Route("/export.csv", big), Route("/login", login)]
    # Streamlit's own gzip sits inside, as in st.App; it must never see an Accept-Encoding.
    inner = [Middleware(GZipMiddleware, minimum_size=10)] if inner_gzip else []
    app = Starlette(routes=routes, middleware=[Middleware(CompressionMiddleware, cache=cache, shell=shell, base_url=""),
                                                *inner])
    return TestClient(app)


def _raw(client: TestClient, path: str, accept: str, method: str = "GET"):
    """A response with its body exactly as sent (httpx would decode it)."""
    with client.stream(method, path, headers={"Accept-Encoding": accept}) as response:
        raw = b"".join(response.iter_raw())
    return response, raw


@pytest.mark.parametrize(("accept", "coding"), [
    ("gzip, deflate, br, zstd", "br"),
    ("gzip, deflate", "gzip"),
    ("br;q=0, gzip", "gzip"),
    ("identity", "identity"),
    ("", "identity"),
    ("*", "br"),
])
def test_choose_coding(accept, coding):
    assert choose_coding(accept) == coding


def test_immutable_asset_is_compressed_once_and_served_from_the_cache(tmp_path):
    cache = AssetCache()
    client = _client(tmp_path, cache)
    bodies = []
    for _ in range(3):
        response, raw = _raw(client, "/static/js/index.abc.js", "gzip, deflate, br")
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "br"
        assert response.headers["cache-control"] == IMMUTABLE
        assert "accept-encoding" in response.headers["vary"].lower()
        assert response.headers["etag"] == 'W/"abc"'  # compressed bytes differ from the file: a weak validator
        assert int(response.headers["content-length"]) == len(raw) < len(ASSET) / 10
        bodies.append(brotli.decompress(raw))
    assert bodies == [ASSET] * 3
    assert cache.compressions == 1

    response, raw = _raw(client, "/static/js/index.abc.js", "gzip")
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == ASSET
    assert cache.compressions == 2  # one per coding, then cached too
    _raw(client, "/static/js/index.abc.js", "gzip")
    assert cache.compressions == 2


def test_client_without_compression_gets_the_plain_bytes(tmp_path):
    response, raw = _raw(_client(tmp_path, AssetCache()), "/static/js/index.abc.js", "identity")
    assert "content-encoding" not in response.headers
    assert raw == ASSET
    assert response.headers["etag"] == '"abc"'


def test_head_keeps_the_length_and_sends_no_body(tmp_path):
    response, raw = _raw(_client(tmp_path, AssetCache()), "/static/js/index.abc.js", "br", method="HEAD")
    assert response.status_code == 200
    assert raw == b""
    assert response.headers["content-length"] == str(len(ASSET))


def test_inner_gzip_never_runs_so_nothing_is_compressed_twice(tmp_path):
    response, raw = _raw(_client(tmp_path, AssetCache(), inner_gzip=True), "/login", "gzip, br")
    assert response.headers["content-encoding"] == "br"
    assert response.headers["cache-control"] == "no-cache"  # a page that says nothing is not kept either
    assert brotli.decompress(raw).decode() == "<form>登录</form>" * 100


def test_html_shell_learns_the_server_base_and_loses_the_font_preload(tmp_path):
    cache = AssetCache()
    client = _client(tmp_path, cache)
    response, raw = _raw(client, "/fill", "br")
    html = brotli.decompress(raw)
    assert response.headers["cache-control"] == "no-cache"  # the shell is revalidated on every load
    assert "etag" not in response.headers and "last-modified" not in response.headers  # ...and sent again, never a 304
    assert b"BACKEND_BASE_URL:location.origin+\"/\"" in html
    # the frontend connects at once when it knows the host config /_stcore/host-config would give
    assert b"HOST_CONFIG:" + json.dumps(host_config()).encode() in html
    assert html.index(b"BACKEND_BASE_URL") < html.index(b"</head>")
    assert b"SourceSansVF" not in html and b'as="font"' not in html
    assert b"<title>Streamlit</title>" in html and b"<!-- filler -->" * 100 in html
    _, plain = _raw(client, "/fill", "identity")
    assert plain == html  # the same page whichever the coding


def test_fonts_errors_and_large_streams_pass_through_unchanged(tmp_path):
    client = _client(tmp_path, AssetCache())
    response, raw = _raw(client, "/static/media/f.woff2", "br")
    assert "content-encoding" not in response.headers and raw == b"\x00" * 4000
    response, raw = _raw(client, "/missing", "br")
    assert response.status_code == 404 and "content-encoding" not in response.headers
    response, raw = _raw(client, "/export.csv", "br")
    assert "content-encoding" not in response.headers
    assert len(raw) == (BUFFER_LIMIT // (1024 * 1024) + 2) * 1024 * 1024


def test_cache_stops_growing_at_its_limit(tmp_path):
    cache = AssetCache(limit=10)
    client = _client(tmp_path, cache)
    for _ in range(2):
        response, raw = _raw(client, "/static/js/index.abc.js", "br")
        assert brotli.decompress(raw) == ASSET
    assert cache.size == 0 and cache.compressions == 2  # over the limit: compressed per response, kept nowhere


def test_large_asset_is_sent_at_once_then_recompressed_densest_in_the_background(tmp_path):
    assert len(LARGE) > DENSE_INLINE_BELOW
    cache = AssetCache()
    with _client(tmp_path, cache) as client:  # one event loop for the client's life, as in a server
        _, first = _raw(client, "/static/js/Plotly.abc.js", "br")
        assert first == compress(LARGE, "br")  # level 9: it is large
        client.portal.call(cache.settled)
        _, later = _raw(client, "/static/js/Plotly.abc.js", "br")
    assert later == compress(LARGE, "br", "dense")
    assert len(later) < len(first) and brotli.decompress(later) == LARGE
    assert cache.compressions == 2


def test_the_fill_page_chunks_are_preloaded_by_the_installed_streamlit_shell():
    """Each name in FILL_CHUNKS is a file of the Streamlit installed here, and the real shell preloads it."""
    from transport.compression import FILL_CHUNKS

    middleware = CompressionMiddleware(lambda *_: None)
    files = middleware.fill_chunk_files()
    found = {stem for stem in FILL_CHUNKS for name in files if name.startswith(stem + ".")}
    assert found == set(FILL_CHUNKS)  # a Streamlit upgrade renamed a chunk: update FILL_CHUNKS
    shell = middleware._patched_shell({"root_path": ""})
    for name in files:
        assert shell.count(f'href="./static/js/{name}"'.encode()) == 1, name  # preloaded once, even if Streamlit does
