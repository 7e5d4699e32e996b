"""deploy/haproxy.cfg, unchanged, in front of two processes started by deploy/start-processes.sh on one PostgreSQL:
each browser stays on one process by its cookie (not by its address: both browsers here come from 127.0.0.1),
the fill page works through the proxy (websocket included), and the script stops its processes cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, pick, settle
from tests.deploy.conftest import read

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def _consecutive_free_ports(count: int) -> int:
    """A first port such that it and the ``count - 1`` after it are free now."""
    for _ in range(50):
        base = free_port()
        if base + count > 65535:
            continue
        free = True
        for port in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    free = False
                    break
        if free:
            return base
    raise RuntimeError("no run of free ports")


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _serving(url: str) -> bool:
    try:
        return read(url + "/healthz", timeout=2)[0] == 200
    except OSError:
        return False


@pytest.fixture
def fill_link(district) -> str:
    from storage import orgs
    from storage.db import open_database
    from tests.sharing.sharing_fixtures import make_link, publish

    db = open_database(district.url, migrate=False)
    try:
        survey_id = publish(db)
        return make_link(db, survey_id, orgs.get_unit_by_code(db, "T1C1G1").id)[0]
    finally:
        db.close()


def test_haproxy_keeps_each_browser_on_its_process_and_serves_the_fill_page(district, fill_link, tmp_path, browser):
    if not Path(HAPROXY).exists():
        pytest.fail("haproxy not found: scripts/test.sh installs Debian's haproxy")
    base = _consecutive_free_ports(2)
    proxy_port = free_port()
    proxy = f"http://127.0.0.1:{proxy_port}"
    logs = tmp_path / "logs"
    env = {**os.environ, **district.env(), "MINYI_BASE_PORT": str(base), "MINYI_LOG_DIR": str(logs),
           "MINYI_PUBLIC_URL": proxy, "MINYI_SECRET": "deploy-test-secret"}
    processes = subprocess.Popen(["bash", "deploy/start-processes.sh", "2"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    haproxy = None
    try:
        apps = [f"http://127.0.0.1:{base}", f"http://127.0.0.1:{base + 1}"]
        _wait(lambda: all(_serving(u) for u in apps) or processes.poll() is not None, 120, "two app processes")
        assert processes.poll() is None, (logs / "start-processes.log").read_text()
        haproxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")], cwd=ROOT,
            env={**os.environ, "MINYI_PROXY_BIND": f"127.0.0.1:{proxy_port}", "MINYI_APP_1": f"127.0.0.1:{base}",
                 "MINYI_APP_2": f"127.0.0.1:{base + 1}", "MINYI_APP_3": "127.0.0.1:1", "MINYI_APP_4": "127.0.0.1:1"},
            stdout=open(tmp_path / "haproxy.log", "w"), stderr=subprocess.STDOUT)
        seen: set[str] = set()

        def both_nodes_up() -> bool:  # cookie-less requests are spread over the processes the checks found up
            try:
                status, _, headers = read(proxy + "/healthz", timeout=2)
            except OSError:
                return False
            if status == 200:
                seen.add(headers.get("x-minyi-node", ""))
            return {"app1", "app2"} <= seen
        _wait(both_nodes_up, 30, "HAProxy to find both processes up")

        def resident(context) -> tuple[set[str], object]:
            nodes: set[str] = set()
            page = context.new_page()
            page.on("response", lambda r: nodes.add(r.headers.get("x-minyi-node", "?"))
                    if r.url.startswith(proxy) else None)
            page.goto(f"{proxy}/fill?t={fill_link}")
            settle(page)
            page.get_by_text("全题型测评").first.wait_for()
            return nodes, page

        first_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        first_nodes, page = resident(first_context)
        cookie = {c["name"]: c for c in first_context.cookies()}["minyi_node"]
        assert cookie["httpOnly"] is True
        radios = page.locator('[data-testid="stRadio"]')
        pick(radios.nth(0), "满意")
        pick(radios.nth(2), "非常满意")
        pick(radios.nth(3), "基本满意")
        page.locator("textarea").fill("经代理提交")
        page.get_by_role("button", name="提交").click()
        page.get_by_text("提交成功，感谢您的参与！").wait_for(timeout=20000)
        page.reload()  # a reload keeps the process too
        settle(page)
        assert len(first_nodes) == 1 and first_nodes <= {"app1", "app2"}, first_nodes
        assert cookie["value"] in first_nodes

        # a second phone from the same address gets the other process, and stays there
        second_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        second_nodes, second = resident(second_context)
        second.reload()
        settle(second)
        assert len(second_nodes) == 1 and second_nodes != first_nodes, (first_nodes, second_nodes)
        first_context.close()
        second_context.close()
    finally:
        if haproxy is not None:
            haproxy.terminate()
            haproxy.wait(10)
        # the script's clean stop: SIGTERM to it stops both processes and removes the pid files
        processes.send_signal(signal.SIGTERM)
        processes.wait(60)
    assert processes.returncode == 0
    assert not any(_serving(f"http://127.0.0.1:{p}") for p in (base, base + 1))
    assert sorted(p.name for p in logs.glob("*.pid")) == []
    assert {f"app-{base}.log", f"app-{base + 1}.log", "start-processes.log"} <= {p.name for p in logs.iterdir()}

    from storage.db import open_database

    db = open_database(district.url, migrate=False)
    try:
        assert db.query("SELECT count(*) FROM responses WHERE link_token = ?", [fill_link]).single_value() == 1
        assert db.query("SELECT value_text FROM answers WHERE question_id = 'comment'").single_value() == "经代理提交"
    finally:
        db.close()
