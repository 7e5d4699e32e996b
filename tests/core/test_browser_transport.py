"""A real browser records every request of a resident's fill page and a leader's dashboard: all local, compressed, cached right."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

import demo
import settings
from storage import links, orgs
from storage.db import Scope
from tests.conftest import READY, prepared_db, sign_in, start_app, stop_app
from transport.compression import MINIMUM_SIZE

pytestmark = pytest.mark.browser

YEAR = "max-age=31536000"


@dataclass
class Seen:
    """Every request a page made and every response it got, with the response headers."""

    requests: list[tuple[str, str]] = field(default_factory=list)  # (resource type, url)
    responses: list[tuple[int, str, str, dict[str, str]]] = field(default_factory=list)  # (status, type, url, headers)
    failed: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("request", lambda r: self.requests.append((r.resource_type, r.url)))
        page.on("response", lambda r: self.responses.append((r.status, r.request.resource_type, r.url, r.all_headers())))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))


def _check(seen: Seen, base: str) -> None:
    """What every page load must show: nothing from another host, no error status, assets compressed and cached."""
    here = urlsplit(base).netloc
    foreign = [url for _, url in seen.requests if url.startswith(("http", "ws")) and urlsplit(url).netloc != here]
    assert foreign == []
    assert [(s, u) for s, _, u, _ in seen.responses if s >= 400] == []
    assert seen.failed == []
    scripts = [(u, h) for s, kind, u, h in seen.responses if kind in ("script", "stylesheet") and s == 200]
    assert len(scripts) > 20  # Streamlit's frontend really was loaded here
    # all compressed, but for a few files so small that an encoding's framing would outweigh the gain
    plain = [(u, h) for u, h in scripts if h.get("content-encoding") not in ("br", "gzip")]
    assert [u for u, h in plain if int(h.get("content-length", MINIMUM_SIZE)) >= MINIMUM_SIZE] == []
    assert len(plain) < len(scripts) / 3
    hashed = [(u, h) for s, _, u, h in seen.responses if urlsplit(u).path.startswith("/static/") and s == 200]
    assert hashed
    assert [u for u, h in hashed if "immutable" not in h.get("cache-control", "") or YEAR not in h["cache-control"]] == []
    shells = [h for s, kind, u, h in seen.responses if kind == "document" and s == 200 and "<" not in u]
    assert shells
    for headers in shells:  # the HTML shell is revalidated on every load, never kept
        assert headers.get("cache-control") in ("no-cache", "no-store"), headers
        assert headers.get("content-encoding") in ("br", "gzip")


def _prepare(tmp_path) -> str:
    db = prepared_db(tmp_path)
    demo.load_demo(db, households=300, seed=3, responses=300, today=dt.date.today())
    unit = orgs.roots(db)[0]
    for _ in range(3):
        unit = orgs.children(db, unit.id, Scope.everything())[0]
    from sharing.tokens import new_token

    token = new_token()
    links.create_links(db, "qunzhong_manyidu", unit.id, "open", [token], settings.now())
    db.close()
    return token


def test_fill_page_and_dashboard_load_only_local_compressed_assets(tmp_path, browser) -> None:
    token = _prepare(tmp_path)
    app = start_app(tmp_path)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        resident = Seen()
        resident.watch(page)
        page.goto(f"{app.url}/fill?t={token}")
        page.locator('[data-testid="stRadio"]').first.wait_for()
        page.wait_for_selector(READY)
        page.wait_for_timeout(1500)  # anything asked for after the first question is counted too
        _check(resident, app.url)
        # Fonts are the heaviest things a page can ask for (366 KB of icons, 166 KB of Latin
        # letters): a resident's page draws with the phone's own fonts and shows no icons.
        assert [u for kind, u in resident.requests if kind == "font" or u.endswith((".woff2", ".woff", ".ttf"))] == []
        icon = page.evaluate("[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
        assert icon and all(h.startswith(("data:", app.url)) for h in icon), icon
        context.close()

        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        leader = Seen()
        leader.watch(page)
        sign_in(page, app.url, "leader", demo.DEMO_PASSWORD)
        page.goto(app.url + "/dashboard")
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
        page.wait_for_selector(READY)
        page.wait_for_timeout(1500)
        _check(leader, app.url)
        plotly = [h for s, _, u, h in leader.responses if "/PlotlyChart." in u and s == 200]
        assert plotly and plotly[0].get("content-encoding") == "br"  # 4.7 MB raw, ~1.1 MB sent
        # the sidebar's page_link icons still come from the bundled font, fetched when first drawn
        assert page.locator('[data-testid="stSidebar"] [data-testid="stIconMaterial"]').count() > 0
        context.close()
    finally:
        stop_app(app)
