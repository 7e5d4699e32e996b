"""Load benchmark of the fill page: residents answer the 群众满意度测评 template through a real share link over websockets.

Starts the app exactly as the README does (`streamlit run server.py`, via
tests/conftest.start_app) on a fresh database with one open link, then plays
SESSIONS residents, CONCURRENCY at a time. Each resident is one websocket
session speaking Streamlit's protocol like a browser: open /fill?t=TOKEN,
answer the screen and press the forward button (Next, then Submit on the
last screen; this 14-question template is one screen), and wait for the
thank-you. All answers of a screen travel with the button press, as they do
in a browser for widgets that do not rerun on change.

Prints submissions/s, p50/p95 submit latency (Submit press -> thank-you
rendered), p50/p95 whole-session time, server CPU ms per submission, server
RSS over the run, and checks stored responses == acknowledged thank-yous
after stopping the app (DuckDB lets one process hold the file).

With --kill, every resident writes a mark of its own into the free-text
question, the app is killed with SIGKILL once half the sessions are done,
started again on the same database, and the rest are played against it;
afterwards each acknowledged resident's mark is looked up among the stored
answers: acknowledged = stored, and the residents whose submit was in flight
at the kill (their page died with the process) are counted apart.

    /work/venv/bin/python bench/load_fill.py --sessions 2000 --concurrency 50
    /work/venv/bin/python bench/load_fill.py --sessions 1000 --concurrency 50 --kill

With --light the same number of residents then answer a second open link on
the light path (/lite, light/routes.py) over plain HTTP — one GET for the
form, one form POST to submit, keep-alive connections as a phone's browser
would hold — against the same server, and its figures are printed beside the
websocket ones.

With --db postgresql://… (any database on the server: each run gets a scratch
database there, dropped afterwards) the residents answer on DuckDB, then on
PostgreSQL with each count of --processes (default 1,2) app processes, each
resident on process i mod N as HAProxy's round robin places new browsers;
the figures are printed side by side with each count's ratio to one process,
the CPU of the app processes, of PostgreSQL's server processes and of this
client per submission, and how idle the machine was (another load on the
machine shows as a lower ceiling, not as app cost). --kill --db kills one
PostgreSQL-backed process instead.

    /work/venv/bin/python bench/load_fill.py --db "$MINYI_TEST_PG" --sessions 1500 --concurrency 50
    /work/venv/bin/python bench/load_fill.py --db "$MINYI_TEST_PG" --sessions 1000 --kill
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import websocket  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

SURVEY = "qunzhong_manyidu"
WIDGET_TYPES = ("radio", "button", "text_area", "text_input", "button_group", "number_input", "date_input")
THANKS = "提交成功"
SUGGESTIONS = ["", "", "路灯坏了好久，希望尽快修。", "垃圾清运及时，点赞👍", "<b>楼道</b>堆物较多", "无"]


@dataclass
class Widget:
    kind: str
    id: str
    options: tuple[str, ...] = ()  # a radio's formatted option strings (its wire value)


@dataclass
class RunResult:
    widgets: dict[str, Widget] = field(default_factory=dict)  # user key -> widget
    alerts: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _user_key(widget_id: str) -> str:
    # Streamlit widget ids are "$$ID-<hash>-<user key>"
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 else widget_id


def rerun(ws: websocket.WebSocket, token: str, states: list[WidgetState]) -> RunResult:
    """Send one rerun (as the browser does on load or on a button press) and read until the script finished."""
    msg = BackMsg()
    msg.rerun_script.query_string = f"t={token}"
    msg.rerun_script.page_name = "fill"
    msg.rerun_script.widget_states.widgets.extend(states)
    result = RunResult()
    started = time.perf_counter()
    ws.send_binary(msg.SerializeToString())
    while True:
        frame = ws.recv()
        fwd = ForwardMsg()
        fwd.ParseFromString(frame)
        kind = fwd.WhichOneof("type")
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            etype = element.WhichOneof("type")
            if etype in WIDGET_TYPES:
                widget = getattr(element, etype)
                options = tuple(widget.options) if etype == "radio" else ()
                result.widgets[_user_key(widget.id)] = Widget(etype, widget.id, options)
            elif etype == "alert":
                result.alerts.append(element.alert.body)
        elif kind == "script_finished":
            result.seconds = time.perf_counter() - started
            return result


def answers_for(page: RunResult, rng: random.Random, mark: str | None = None) -> tuple[list[WidgetState], str | None]:
    """Widget states for one page's answers, plus the forward button's id; ``mark`` is written as the free text."""
    states: list[WidgetState] = []
    forward = None
    for key, widget in page.widgets.items():
        if widget.kind == "radio":
            if key.endswith(".overall"):
                index = rng.randint(0, 2)  # satisfied: the dissatisfaction follow-up stays hidden
            elif key.endswith(".reported_problem"):
                index = 1  # "no": the handling question stays hidden
            else:
                index = rng.randrange(len(widget.options))
            # Streamlit 1.67 sends a radio's value as its formatted option string
            states.append(WidgetState(id=widget.id, string_value=widget.options[index]))
        elif widget.kind == "text_area":
            states.append(WidgetState(id=widget.id, string_value=mark or rng.choice(SUGGESTIONS)))
        elif widget.kind == "button" and key == "fill.forward":
            forward = widget.id
    return states, forward


@dataclass
class Outcome:
    acknowledged: bool
    submit_seconds: float
    session_seconds: float
    error: str | None = None
    runs: int = 0
    mark: str | None = None
    server: int = 0  # which start of the app served it (0, then 1 after a --kill restart)


def resident(ws_url: str, token: str, rng: random.Random, mark: str | None = None) -> Outcome:
    started = time.perf_counter()
    ws = websocket.create_connection(ws_url, subprotocols=["streamlit"], timeout=60)
    try:
        page = rerun(ws, token, [])
        for runs in range(2, 12):  # at most 10 screens
            states, forward = answers_for(page, rng, mark)
            if forward is None:
                return Outcome(False, 0.0, time.perf_counter() - started, "no forward button")
            trigger = WidgetState(id=forward, trigger_value=True)
            page = rerun(ws, token, [*states, trigger])
            if any(THANKS in alert for alert in page.alerts):
                return Outcome(True, page.seconds, time.perf_counter() - started, runs=runs)
            if page.alerts and not page.widgets.get("fill.forward"):
                return Outcome(False, page.seconds, time.perf_counter() - started, page.alerts[0])
        return Outcome(False, 0.0, time.perf_counter() - started, "no thank-you after 10 pages")
    finally:
        ws.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# Every simulated resident comes from 127.0.0.1: the bench's links lift the per-address burst limit (on by
# default, 120 a minute) that would otherwise refuse all but the first 120 submissions a minute.
BENCH_BURST_LIMIT = 1_000_000


def prepare_database(data_dir: Path, base_url: str, target: str | None = None) -> str:
    """A fresh database (``target``: a postgresql:// URL, else the DuckDB file in ``data_dir``) with templates, one
    community and one open link; returns the token."""
    import os

    target = target or str(data_dir / "minyi.duckdb")
    os.environ["MINYI_DB"] = target
    os.environ["MINYI_PUBLIC_URL"] = base_url
    if target.startswith("postgres"):
        os.environ["MINYI_DATA_DIR"] = str(data_dir)
    import settings
    from services import share_links
    from services.startup import prepare
    from storage import orgs
    from storage.db import Scope, open_database

    db = open_database(target)
    prepare(db, settings.load())
    orgs.create_unit(db, "BENCH", "压测社区", 3)
    created = share_links.create(db, survey_id=SURVEY, unit_code="BENCH", scope=Scope.everything(),
                              rate_limit_per_minute=BENCH_BURST_LIMIT)
    db.close()
    return created.tokens[0]


def scratch_postgres(server_url: str) -> str:
    """A new, empty database on the PostgreSQL server of ``server_url`` (whose own database is left alone)."""
    import psycopg

    name = f"minyi_bench_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.split("?", 1)[0].rsplit("/", 1)[0] + "/" + name


def drop_postgres(server_url: str, url: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def start_processes(data_dir: Path, target: str, count: int) -> list:
    """``count`` app processes (as the README starts the app) on one database, each logging in a folder of its own;
    on PostgreSQL they share ``data_dir`` for the key and setup code, as processes on one machine do."""
    from tests.conftest import start_app, stop_app

    if count == 1 and not target.startswith("postgres"):
        return [start_app(data_dir)]
    apps = []
    try:
        for i in range(count):
            folder = data_dir / f"p{i + 1}"
            folder.mkdir(exist_ok=True)
            apps.append(start_app(folder, {"MINYI_DB": target, "MINYI_DATA_DIR": str(data_dir)}))
    except BaseException:
        for app in apps:
            stop_app(app)
        raise
    return apps


# --- the light path over plain HTTP (--light) -------------------------------------------------------------

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_RADIO = re.compile(r'<input type="radio" name="([^"]+)" value="([^"]*)"')
_TEXTAREA = re.compile(r'<textarea id="[^"]*" name="([^"]+)"')


def light_answers(form_html: str, rng: random.Random) -> list[tuple[str, str]]:
    """The form's hidden fields plus an answer to every radio group and text box, as a resident gives them."""
    fields = _HIDDEN.findall(form_html)
    groups: dict[str, list[str]] = {}
    for name, value in _RADIO.findall(form_html):
        groups.setdefault(name, []).append(value)
    for name, values in groups.items():
        if name == "a.overall":
            value = rng.choice(("5", "4", "3"))  # satisfied: the dissatisfaction follow-up stays hidden
        elif name == "a.reported_problem":
            value = values[1]  # "no": the handling question stays hidden
        else:
            value = rng.choice(values)
        fields.append((name, value))
    fields.extend((name, rng.choice(SUGGESTIONS)) for name in _TEXTAREA.findall(form_html))
    fields.append(("go", "submit"))
    return fields


def light_resident(conn: http.client.HTTPConnection, token: str, rng: random.Random) -> Outcome:
    """One resident on the light path: GET the form, POST the answers, expect the thank-you."""
    from urllib.parse import urlencode

    started = time.perf_counter()
    conn.request("GET", f"/lite?t={token}")
    response = conn.getresponse()
    page = response.read().decode()
    if response.status != 200 or 'name="k"' not in page:
        return Outcome(False, 0.0, time.perf_counter() - started, f"form: HTTP {response.status}")
    body = urlencode(light_answers(page, rng)).encode()
    posted = time.perf_counter()
    conn.request("POST", f"/lite?t={token}", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    reply = response.read().decode()
    done = time.perf_counter()
    if response.status == 200 and THANKS in reply:
        return Outcome(True, done - posted, done - started, runs=2)
    alert = re.search(r'role="(?:alert|status)">([^<]*)<', reply)
    return Outcome(False, done - posted, done - started, f"HTTP {response.status}: {alert.group(1) if alert else ''}")


@dataclass
class LightRun:
    outcomes: list[Outcome]
    warm: list[Outcome]
    wall: float
    cpu: float
    client_cpu: float = 0.0  # this bench process (the residents' side)
    database_cpu: float = 0.0  # PostgreSQL's server processes for the run's database
    idle: float = 0.0  # the whole machine's idle CPU seconds over the run


def run_light(base_url: str, token: str, server: psutil.Process, sessions: int, concurrency: int, warmup: int,
              seed: int) -> LightRun:
    """``sessions`` residents on the light path, ``concurrency`` at a time, each thread on its own connection."""
    host = base_url.split("//", 1)[1]
    warm_conn = http.client.HTTPConnection(host, timeout=60)
    warm_rng = random.Random(seed)
    warm = [light_resident(warm_conn, token, warm_rng) for _ in range(warmup)]
    warm_conn.close()
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    next_index = [0]

    def worker(worker_seed: int) -> None:
        rng = random.Random(worker_seed)
        conn = http.client.HTTPConnection(host, timeout=60)
        while True:
            with lock:
                if next_index[0] >= sessions:
                    break
                next_index[0] += 1
            try:
                outcome = light_resident(conn, token, rng)
            except Exception as exc:  # a failed session is reported, not fatal; reconnect
                outcome = Outcome(False, 0.0, 0.0, f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(host, timeout=60)
            with lock:
                outcomes.append(outcome)
        conn.close()

    cpu_before = sum(server.cpu_times()[:2])
    wall_start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(seed + 1000 + i,)) for i in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return LightRun(outcomes, warm, time.perf_counter() - wall_start, sum(server.cpu_times()[:2]) - cpu_before)


def new_open_link(data_dir: Path) -> str:
    """A second open link to the benchmark survey (before the app holds the file)."""
    from services import share_links
    from storage.db import Scope, open_database

    db = open_database(data_dir / "minyi.duckdb")
    try:
        return share_links.create(db, survey_id=SURVEY, unit_code="BENCH", scope=Scope.everything(),
                              rate_limit_per_minute=BENCH_BURST_LIMIT).tokens[0]
    finally:
        db.close()


def print_beside(ws: dict[str, str], light: dict[str, str]) -> None:
    """The websocket and light-path figures in two columns."""
    print(f"{'':26s}{'websocket (Streamlit)':>24s}{'light path (HTTP)':>22s}")
    for key in ws:
        print(f"{key:26s}{ws[key]:>24s}{light.get(key, ''):>22s}")


def figures(outcomes: list[Outcome], warm: list[Outcome], wall: float, cpu: float, stored: int) -> dict[str, str]:
    acks = sum(o.acknowledged for o in outcomes)
    acknowledged = acks + sum(o.acknowledged for o in warm)
    submit = [o.submit_seconds for o in outcomes if o.acknowledged] or [float("nan")]
    return {
        "submissions/s": f"{acks / wall:.1f}",
        "submit p50 / p95 ms": f"{statistics.median(submit) * 1000:.0f} / {percentile(submit, 0.95) * 1000:.0f}",
        "server CPU ms/submission": f"{cpu / max(1, acks) * 1000:.1f}",  # the app processes
        "acknowledged / stored": f"{acknowledged} / {stored}",
        "lost": f"{acknowledged - stored}",
        "failed sessions": f"{sum(1 for o in outcomes if o.error)}",
    }


def stored_responses(target: Path | str, token: str) -> int:
    """Responses stored under ``token`` in ``target`` (a data folder holding minyi.duckdb, or a postgresql:// URL)."""
    from storage.db import open_database

    db = open_database(_target(target), migrate=False)
    try:
        return int(db.query("SELECT count(*) FROM responses WHERE link_token = ?", [token]).single_value())
    finally:
        db.close()


def stored_marks(target: Path | str, token: str) -> list[str]:
    """The residents' marks found among the stored free-text answers of the link (one per stored response)."""
    from storage.db import open_database

    db = open_database(_target(target), migrate=False)
    try:
        return [r[0] for r in db.query(
            """SELECT a.value_text FROM answers a JOIN responses r ON r.id = a.response_id
               WHERE r.link_token = ? AND a.value_text LIKE 'bench-mark-%'""", [token]).rows]
    finally:
        db.close()


def _target(target: Path | str) -> str:
    return str(target) if str(target).startswith("postgres") else str(Path(target) / "minyi.duckdb")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000, help="residents in total")
    parser.add_argument("--concurrency", type=int, default=50, help="residents answering at the same time")
    parser.add_argument("--warmup", type=int, default=50, help="sessions run before measuring")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kill", action="store_true",
                        help="kill -9 the app half-way, restart it on the same database and check every "
                             "acknowledged resident's answers are stored")
    parser.add_argument("--light", action="store_true", help="then the same residents on the light path (/lite)")
    parser.add_argument("--db", metavar="postgresql://…",
                        help="a PostgreSQL server (its URL, any database on it): each run gets a scratch database "
                             "there, dropped afterwards; the figures are printed beside DuckDB's")
    parser.add_argument("--processes", default="1", metavar="N[,N…]",
                        help="app processes sharing the database, residents spread over them in turn as HAProxy "
                             "does; several counts are run one after the other (default 1; with --db: 1,2)")
    parser.add_argument("--no-duckdb", action="store_true", help="with --db: skip the DuckDB run printed beside")
    args = parser.parse_args(argv)
    if args.db and args.processes == "1" and not args.kill:
        args.processes = "1,2"
    if args.kill:
        return kill_run(args)
    if args.db or args.processes != "1":
        return engines_run(args)

    from tests.conftest import start_app, stop_app

    data_dir = Path(tempfile.mkdtemp(prefix="minyi-bench-"))
    token = prepare_database(data_dir, "http://127.0.0.1")
    light_token = new_open_link(data_dir) if args.light else None
    light = None
    app = start_app(data_dir)
    server = psutil.Process(app.process.pid)
    ws_url = app.url.replace("http://", "ws://") + "/_stcore/stream"
    print(f"app {app.url} pid {server.pid}; link token {token}; data {data_dir}")
    try:
        warm_rng = random.Random(args.seed)
        warm = [resident(ws_url, token, warm_rng) for _ in range(args.warmup)]
        rss_start = server.memory_info().rss
        outcomes: list[Outcome] = []
        rss_samples: list[tuple[int, int]] = [(0, rss_start)]
        lock = threading.Lock()
        next_index = [0]

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            while True:
                with lock:
                    if next_index[0] >= args.sessions:
                        return
                    next_index[0] += 1
                try:
                    outcome = resident(ws_url, token, rng)
                except Exception as exc:  # a failed session is reported, not fatal
                    outcome = Outcome(False, 0.0, 0.0, f"{type(exc).__name__}: {exc}")
                with lock:
                    outcomes.append(outcome)
                    done = len(outcomes)
                if done % 250 == 0:
                    rss_samples.append((done, server.memory_info().rss))

        cpu_before = sum(server.cpu_times()[:2])
        wall_start = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(args.seed + i,)) for i in range(args.concurrency)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - wall_start
        cpu = sum(server.cpu_times()[:2]) - cpu_before
        rss_end = server.memory_info().rss
        if light_token is not None:
            light = run_light(app.url, light_token, server, args.sessions, args.concurrency, args.warmup, args.seed)
    finally:
        stop_app(app)
    acknowledged = sum(o.acknowledged for o in outcomes) + sum(o.acknowledged for o in warm)
    stored = stored_responses(data_dir, token)
    measured_acks = sum(o.acknowledged for o in outcomes)
    submit = [o.submit_seconds for o in outcomes if o.acknowledged]
    session = [o.session_seconds for o in outcomes if o.acknowledged]
    errors = [o.error for o in outcomes if o.error]
    mib = 1024 * 1024
    print(f"sessions {len(outcomes)} (+{args.warmup} warm-up), concurrency {args.concurrency}, wall {wall:.1f} s")
    print(f"submissions/s          {measured_acks / wall:.1f}")
    print(f"submit latency p50/p95 {statistics.median(submit) * 1000:.0f} / {percentile(submit, 0.95) * 1000:.0f} ms")
    print(f"session time  p50/p95  {statistics.median(session) * 1000:.0f} / {percentile(session, 0.95) * 1000:.0f} ms"
          f" ({statistics.median(o.runs for o in outcomes if o.acknowledged):.0f} script runs per resident)")
    print(f"server CPU per submission {cpu / max(1, measured_acks) * 1000:.1f} ms")
    print("server RSS (MiB) by sessions done: " + ", ".join(f"{n}:{rss / mib:.0f}" for n, rss in rss_samples)
          + f", end:{rss_end / mib:.0f}")
    print(f"acknowledged {acknowledged}, stored {stored}, lost {acknowledged - stored}")
    if errors:
        print(f"failed sessions {len(errors)}; first: {errors[0]}")
    ok = stored == acknowledged and not errors
    if light is not None and light_token is not None:
        light_stored = stored_responses(data_dir, light_token)
        light_errors = [o.error for o in light.outcomes if o.error]
        print()
        print_beside(figures(outcomes, warm, wall, cpu, stored),
                     figures(light.outcomes, light.warm, light.wall, light.cpu, light_stored))
        if light_errors:
            print(f"light path: first failure: {light_errors[0]}")
        ok = ok and not light_errors and light_stored == sum(o.acknowledged for o in light.outcomes + light.warm)
    return 0 if ok else 1


def play(ws_urls: list[str], token: str, servers: list[psutil.Process], sessions: int, concurrency: int,
         warmup: int, seed: int, database_cpu: Callable[[], float] = lambda: 0.0) -> LightRun:
    """``sessions`` residents over websockets, ``concurrency`` at a time, resident i on process i mod N (what
    HAProxy's round robin does with new browsers), after ``warmup`` residents spread the same way."""
    warm_rng = random.Random(seed)
    warm = [resident(ws_urls[i % len(ws_urls)], token, warm_rng) for i in range(warmup)]
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    next_index = [0]

    def worker(worker_seed: int) -> None:
        rng = random.Random(worker_seed)
        while True:
            with lock:
                if next_index[0] >= sessions:
                    return
                index = next_index[0]
                next_index[0] += 1
            try:
                outcome = resident(ws_urls[index % len(ws_urls)], token, rng)
            except Exception as exc:  # a failed session is reported, not fatal
                outcome = Outcome(False, 0.0, 0.0, f"{type(exc).__name__}: {exc}")
            with lock:
                outcomes.append(outcome)

    def cpu() -> float:
        return sum(sum(p.cpu_times()[:2]) for p in servers)

    cpu_before, client_before, database_before = cpu(), _own_cpu(), database_cpu()
    idle_before = psutil.cpu_times().idle
    wall_start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(seed + i,)) for i in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    run = LightRun(outcomes, warm, time.perf_counter() - wall_start, cpu() - cpu_before)
    run.client_cpu = _own_cpu() - client_before
    run.database_cpu = database_cpu() - database_before
    run.idle = psutil.cpu_times().idle - idle_before
    return run


def _own_cpu() -> float:
    """CPU seconds of this bench process: the simulated residents' side (websocket frames, protobuf)."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def postgres_backends_cpu(database: str) -> Callable[[], float]:
    """A function giving the CPU seconds so far of the PostgreSQL server processes serving ``database`` (their
    process titles name it), so the server's share of each submission is printed too."""
    def total() -> float:
        seconds = 0.0
        for proc in psutil.process_iter(["cmdline"]):
            line = " ".join(proc.info["cmdline"] or ())
            if line.startswith("postgres:") and f" {database} " in f"{line} ":
                try:
                    seconds += sum(proc.cpu_times()[:2])
                except psutil.Error:
                    pass
        return seconds
    return total


def engines_run(args: argparse.Namespace) -> int:
    """--db / --processes: the same residents against DuckDB (one process) and against PostgreSQL with 1, 2 …
    processes, each on a fresh database; the figures side by side, and each count's throughput against one's."""
    from tests.conftest import stop_app

    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    runs: list[tuple[str, str | None, int]] = []
    if not args.db or not args.no_duckdb:
        runs.append(("DuckDB, 1 process", None, 1))
    if args.db:
        runs += [(f"PostgreSQL, {n} process{'es' if n > 1 else ''}", args.db, n) for n in counts]
    elif counts != [1]:
        print("several processes need a shared PostgreSQL (--db postgresql://…): DuckDB lets one process open its file")
        return 2
    columns: dict[str, dict[str, str]] = {}
    rates: dict[str, float] = {}
    ok = True
    for title, server, count in runs:
        data_dir = Path(tempfile.mkdtemp(prefix="minyi-bench-"))
        target = scratch_postgres(server) if server else None
        try:
            token = prepare_database(data_dir, "http://127.0.0.1", target)
            apps = start_processes(data_dir, target or str(data_dir / "minyi.duckdb"), count)
            try:
                servers = [psutil.Process(a.process.pid) for a in apps]
                urls = [a.url.replace("http://", "ws://") + "/_stcore/stream" for a in apps]
                database_cpu = postgres_backends_cpu(target.rsplit("/", 1)[1]) if target else (lambda: 0.0)
                run = play(urls, token, servers, args.sessions, args.concurrency, args.warmup, args.seed, database_cpu)
            finally:
                for app in apps:
                    stop_app(app)
            stored = stored_responses(target or data_dir, token)
        finally:
            if target is not None:
                drop_postgres(server, target)
        columns[title] = figures(run.outcomes, run.warm, run.wall, run.cpu, stored)
        acks = max(1, sum(o.acknowledged for o in run.outcomes))
        columns[title]["PostgreSQL CPU ms/subm."] = f"{run.database_cpu / acks * 1000:.1f}" if target else "-"
        columns[title]["bench client CPU ms/subm."] = f"{run.client_cpu / acks * 1000:.1f}"
        columns[title]["all CPU / wall (cores)"] = f"{(run.cpu + run.database_cpu + run.client_cpu) / run.wall:.2f}"
        columns[title]["machine idle (cores)"] = f"{run.idle / run.wall:.2f}"  # others' work shows as neither
        used = run.cpu + run.database_cpu + run.client_cpu
        columns[title]["submissions per CPU s"] = f"{acks / max(used, 1e-9):.1f}"  # what each core gives
        rates[title] = sum(o.acknowledged for o in run.outcomes) / run.wall
        acknowledged = sum(o.acknowledged for o in run.outcomes + run.warm)
        ok = ok and stored == acknowledged and not any(o.error for o in run.outcomes)
        print(f"{title}: {columns[title]['submissions/s']} submissions/s, p50/p95 "
              f"{columns[title]['submit p50 / p95 ms']} ms, stored {stored} of {acknowledged} acknowledged", flush=True)
    print(f"\n{args.sessions} residents (+{args.warmup} warm-up), {args.concurrency} at a time, on {os.cpu_count()} cores")
    width = max(len(t) for t in columns) + 2
    print(f"{'':26s}" + "".join(f"{t:>{width}s}" for t in columns))
    for key in next(iter(columns.values())):
        print(f"{key:26s}" + "".join(f"{c[key]:>{width}s}" for c in columns.values()))
    one = next((t for t in rates if t.startswith("PostgreSQL, 1 ")), None)
    for title, rate in rates.items():
        if one and title.startswith("PostgreSQL") and title != one:
            print(f"{title}: {rate / rates[one]:.2f}x one PostgreSQL process")
    return 0 if ok else 1


def kill_run(args: argparse.Namespace) -> int:
    """--kill: residents answer, the app is SIGKILLed half-way and started again, residents go on (on a scratch
    PostgreSQL database with --db)."""

    data_dir = Path(tempfile.mkdtemp(prefix="minyi-bench-kill-"))
    target = scratch_postgres(args.db) if args.db else None
    try:
        report = kill_check(data_dir, target, args.sessions, args.concurrency, args.seed)
    finally:
        if target is not None:
            drop_postgres(args.db, target)
    return 0 if report.ok else 1


@dataclass
class KillReport:
    acknowledged: set[str]
    stored: list[str]  # every stored mark (a mark twice: a response stored twice)
    lost: set[str]
    unanswered: int
    ok: bool


def kill_check(data_dir: Path, target: str | None, sessions: int, concurrency: int, seed: int) -> KillReport:
    """Residents answer with marks of their own; the app is SIGKILLed once half are done and started again on the
    same database (a DuckDB file in ``data_dir``, or the PostgreSQL database ``target``); every acknowledged mark
    must be stored, once."""
    from tests.conftest import start_app, stop_app

    env = {"MINYI_DB": target, "MINYI_DATA_DIR": str(data_dir)} if target else None
    token = prepare_database(data_dir, "http://127.0.0.1", target)
    app = start_app(data_dir, env)
    print(f"app {app.url} pid {app.process.pid}; link token {token}; data {data_dir}")
    lock = threading.Lock()
    serving = threading.Event()
    serving.set()
    current = {"app": app, "start": 0}
    outcomes: list[Outcome] = []
    next_index = [0]
    kill_after = sessions // 2
    restart_seconds = [0.0]

    def kill_and_restart() -> None:
        serving.clear()
        victim = current["app"]
        os.kill(victim.process.pid, signal.SIGKILL)
        victim.process.wait()
        began = time.perf_counter()
        (data_dir / "server.log").rename(data_dir / "server-killed.log")
        current["app"] = start_app(data_dir, env)
        restart_seconds[0] = time.perf_counter() - began
        current["start"] = 1
        print(f"killed pid {victim.process.pid} (SIGKILL) after {kill_after} sessions; restarted as pid "
              f"{current['app'].process.pid} in {restart_seconds[0]:.1f} s")
        serving.set()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with lock:
                if next_index[0] >= sessions:
                    return
                index = next_index[0]
                next_index[0] += 1
            serving.wait()
            started_on = current["start"]
            url = current["app"].url.replace("http://", "ws://") + "/_stcore/stream"
            mark = f"bench-mark-{index:06d}"
            try:
                outcome = resident(url, token, rng, mark)
            except Exception as exc:  # the page died with the process: the resident saw no thank-you
                outcome = Outcome(False, 0.0, 0.0, f"{type(exc).__name__}: {exc}")
            outcome.mark, outcome.server = mark, started_on
            with lock:
                outcomes.append(outcome)
                due = len(outcomes) == kill_after
            if due:
                threading.Thread(target=kill_and_restart, daemon=True).start()

    wall_start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(seed + i,)) for i in range(concurrency)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        serving.wait(120)
    finally:
        stop_app(current["app"])
    wall = time.perf_counter() - wall_start
    marks = stored_marks(target or data_dir, token)
    stored = set(marks)
    acknowledged = {o.mark for o in outcomes if o.acknowledged}
    lost = acknowledged - stored
    unanswered = [o for o in outcomes if not o.acknowledged]
    in_flight_stored = {o.mark for o in unanswered} & stored
    print(f"sessions {len(outcomes)}, concurrency {concurrency}, wall {wall:.1f} s "
          f"(restart {restart_seconds[0]:.1f} s)")
    print(f"acknowledged before the kill {sum(o.acknowledged and o.server == 0 for o in outcomes)}, "
          f"after the restart {sum(o.acknowledged and o.server == 1 for o in outcomes)}")
    print(f"residents whose page died with the process {len(unanswered)} "
          f"(of them stored anyway: {len(in_flight_stored)}; no thank-you was shown, a second Submit would find it)")
    print(f"acknowledged {len(acknowledged)}, stored {len(acknowledged & stored)} of them, lost {len(lost)}")
    print(f"stored responses {len(marks)} ({len(marks) - len(stored)} stored twice)")
    ok = not lost and len(marks) == len(stored) and stored <= {o.mark for o in outcomes}
    print("acknowledged = stored" if ok and acknowledged == stored - in_flight_stored else "MISMATCH")
    return KillReport(acknowledged, marks, lost, len(unanswered), ok)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
