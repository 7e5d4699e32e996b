"""Page weight benchmark: bytes and time of cold loads in Chromium, fast and on weak 4G, for residents and leaders.

Starts the app as the README does (tests/conftest.start_app) on a fresh
database with a small demo district (one open share link on a grid), unless
--url names a running app (then --token and the leader's password are needed
for the fill page and the dashboard). Each load is a new browser context
(empty cache, no cookies) at 390x844, driven through Debian Chromium with
Playwright; the weak profile is CDP `Network.emulateNetworkConditions` at
150 ms latency, 1.6 Mbit/s down, 750 kbit/s up.

Measured per load, medians of --runs:
  - fill: from navigation start until the first question is visible
    (`[data-testid="stRadio"]`), the bytes on the wire (HTTP responses as
    transferred, headers included, plus websocket frames received) and the
    number of HTTP responses;
  - light (with --light-url): the same for a plain-HTML page at that URL,
    until --light-selector is visible (the light path of issue 11);
  - dashboard: a leader's first open: from pressing the sign-in button (the
    sign-in page is plain HTML, so nothing of the app is cached yet; the form
    leads to /dashboard) until a Plotly chart is drawn.
Bytes count the responses finished by then (and 200 ms after). The server is
warmed first by one unmeasured load of each page (it compresses each asset
once) and --settle seconds.
Each load also lists any request to another host and any 4xx/5xx response.

    .venv/bin/python bench/fill_weight.py --runs 5
    .venv/bin/python bench/fill_weight.py --light-url '{url}/PATH?t={token}'   # the light path's route

--light-url may name the app's base URL and the link's token as {url} and {token}.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_QUESTION = '[data-testid="stRadio"]'
DASHBOARD_READY = '[data-testid="stPlotlyChart"] .main-svg'
PROFILES = {
    "fast": None,
    "weak": {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8},
}
VIEWPORT = {"width": 390, "height": 844}


@dataclass
class Load:
    seconds: float
    http_bytes: int
    ws_bytes: int
    responses: int
    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    listing: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.http_bytes + self.ws_bytes


class Recorder:
    """Counts what one page receives, from Chromium's own network events (CDP)."""

    def __init__(self, page, origin: str) -> None:
        self.origin = origin
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.http_bytes = 0
        self.ws_bytes = 0
        self.responses = 0
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self._urls: dict[str, str] = {}
        self._headers: dict[str, dict] = {}
        self.listing: list[tuple[int, str, str]] = []  # (bytes, url, content-encoding) per response
        self.cdp.on("Network.requestWillBeSent", self._request)
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.webSocketFrameReceived", self._frame)

    def throttle(self, conditions: dict | None) -> None:
        if conditions:
            self.cdp.send("Network.emulateNetworkConditions", conditions)

    def _request(self, event: dict) -> None:
        url = event["request"]["url"]
        self._urls[event["requestId"]] = url
        if url.startswith(("http:", "https:", "ws:", "wss:")) and _origin(url) != self.origin:
            self.foreign.append(url)

    def _response(self, event: dict) -> None:
        self._headers[event["requestId"]] = {k.lower(): v for k, v in event["response"]["headers"].items()}
        if event["response"]["status"] >= 400:
            self.failed.append(f"{event['response']['status']} {event['response']['url']}")

    def _finished(self, event: dict) -> None:
        self.http_bytes += int(event.get("encodedDataLength", 0))
        self.responses += 1
        headers = self._headers.get(event["requestId"], {})
        self.listing.append((int(event.get("encodedDataLength", 0)), self._urls.get(event["requestId"], "?"),
                             headers.get("content-encoding", "-")))

    def _frame(self, event: dict) -> None:
        data = event["response"]["payloadData"]
        self.ws_bytes += len(base64.b64decode(data)) if event["response"].get("opcode") == 2 else len(data.encode())

    def snapshot(self, seconds: float) -> Load:
        return Load(seconds, self.http_bytes, self.ws_bytes, self.responses, list(self.foreign), list(self.failed),
                    sorted(self.listing, reverse=True))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme in ('https', 'wss') else 80)}"


def load_once(browser, url: str, selector: str, profile: dict | None, signed_in: tuple[str, str] | None = None) -> Load:
    """One cold load of ``url`` in a fresh context until ``selector`` is visible.

    With ``signed_in`` (username, password) the load starts at pressing the
    sign-in form's button, with the form set to lead to ``url``: the sign-in
    page is plain HTML, so the app's assets are still uncached then."""
    context = browser.new_context(viewport=VIEWPORT, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        if signed_in is not None:
            page.goto(base + "/login")
            page.fill("#username", signed_in[0])
            page.fill("#password", signed_in[1])
            page.eval_on_selector('input[name="next"]', "(e, path) => { e.value = path }", urlsplit(url).path)
        recorder = Recorder(page, _origin(url))
        recorder.throttle(profile)
        started = time.perf_counter()
        if signed_in is not None:
            page.click("button[type=submit]", no_wait_after=True)
        else:
            page.goto(url, wait_until="commit", timeout=120_000)
        page.locator(selector).first.wait_for(state="visible", timeout=120_000)
        seconds = time.perf_counter() - started
        page.wait_for_timeout(200)  # let the responses in flight finish so their bytes are counted
        return recorder.snapshot(seconds)
    finally:
        context.close()


def prepare(data_dir: Path) -> str:
    """A demo district with one open link on a grid; returns the link's token."""
    os.environ["MINYI_DB"] = str(data_dir / "minyi.duckdb")
    import demo
    import settings
    from sharing.tokens import new_token
    from storage import links, orgs
    from storage.db import Scope
    from tests.conftest import prepared_db

    db = prepared_db(data_dir)
    try:
        demo.load_demo(db, households=300, seed=5, responses=2000, today=dt.date.today())
        district = orgs.roots(db)[0]
        unit = district
        for _ in range(3):
            unit = orgs.children(db, unit.id, Scope.everything())[0]
        token = new_token()
        links.create_links(db, "qunzhong_manyidu", unit.id, "open", [token], settings.now())
        return token
    finally:
        db.close()


def summary(name: str, loads: list[Load]) -> str:
    kb = statistics.median(x.total for x in loads) / 1024
    http_kb = statistics.median(x.http_bytes for x in loads) / 1024
    ws_kb = statistics.median(x.ws_bytes for x in loads) / 1024
    secs = statistics.median(x.seconds for x in loads)
    responses = statistics.median(x.responses for x in loads)
    foreign = sorted({u for x in loads for u in x.foreign})
    failed = sorted({u for x in loads for u in x.failed})
    line = (f"{name:<16} {kb:8.0f} KB ({http_kb:.0f} HTTP + {ws_kb:.0f} websocket) {responses:4.0f} responses"
            f" {secs:6.2f} s   [times: {', '.join(f'{x.seconds:.2f}' for x in loads)}]")
    if foreign:
        line += "\n    other hosts: " + ", ".join(foreign)
    if failed:
        line += "\n    errors: " + ", ".join(failed)
    return line


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="a running app (default: start one on a fresh demo database)")
    parser.add_argument("--token", help="an open share link's token on --url")
    parser.add_argument("--leader", default="leader")
    parser.add_argument("--password", help="the leader's password (default: the demo password)")
    parser.add_argument("--light-url", help="also measure this plain-HTML fill page (the light path); {url} and"
                                            " {token} stand for the app's base URL and the link's token")
    parser.add_argument("--light-selector", default="form input:not([type=hidden])", help="what shows the first question there")
    parser.add_argument("--profiles", default="fast,weak")
    parser.add_argument("--only", default="fill,light,dashboard", help="which of fill, light, dashboard")
    parser.add_argument("--settle", type=float, default=20.0,
                        help="seconds to wait after the warm-up loads: the server recompresses large assets"
                             " (Plotly's bundle) at brotli's densest level in the background")
    parser.add_argument("--list", type=int, default=0, help="print the N largest responses of each page's first load")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    import demo
    from tests.conftest import CHROMIUM_ARGS, start_app, stop_app

    app = None
    if args.url:
        url, token = args.url.rstrip("/"), args.token
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="minyi-weight-"))
        token = prepare(data_dir)
        app = start_app(data_dir)
        url = app.url
    password = args.password or demo.DEMO_PASSWORD
    only = set(args.only.split(","))
    print(f"app {url}; {args.runs} cold loads each at {VIEWPORT['width']}x{VIEWPORT['height']}; medians")
    status = 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("MINYI_CHROMIUM", "/usr/bin/chromium"),
                                        args=CHROMIUM_ARGS)

            targets = []
            if "fill" in only and token:
                targets.append(("fill", f"{url}/fill?t={token}", FIRST_QUESTION, None))
            if "light" in only and args.light_url:
                targets.append(("light", args.light_url.format(url=url, token=token), args.light_selector, None))
            if "dashboard" in only:
                targets.append(("dashboard", f"{url}/dashboard", DASHBOARD_READY, (args.leader, password)))
            # One unmeasured load of each first: the server compresses each asset once and keeps it.
            for _name, target, selector, before in targets:
                load_once(browser, target, selector, None, before)
            time.sleep(args.settle)
            for profile in args.profiles.split(","):
                print(f"-- {profile}" + (f" {PROFILES[profile]}" if PROFILES[profile] else " (no throttling)"))
                for name, target, selector, before in targets:
                    loads = [load_once(browser, target, selector, PROFILES[profile], before) for _ in range(args.runs)]
                    print(summary(name, loads), flush=True)
                    for size, response_url, coding in loads[0].listing[:args.list]:
                        print(f"    {size / 1024:8.1f} KB  {coding:<8} {response_url}")
                    if any(x.foreign or x.failed for x in loads):
                        status = 1
            browser.close()
    finally:
        if app is not None:
            stop_app(app)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
