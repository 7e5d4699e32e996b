"""Benchmark: each dashboard view's queries at district scale vs the pandas way, and writer latency under live dashboards.

The default scale is the issue's "1M responses / 20M answers": 1.25M survey responses (~16.6 answers each after
skip logic) plus the demo's visit forms give ~1.56M responses and ~20.8M answers.

Builds (or reuses) bench/out/dashboard_1250k_416kh.duckdb with the demo generator (one household per 3 responses,
as `demo` does, so visits and problems scale with the responses), folds the rollups, then per view
prints the median of --runs timings for our storage functions and for the same figures computed the way a
typical Streamlit app does (load the rows into pandas, group by), with the ratio; then runs --dashboards
threads refreshing the overview every --refresh seconds next to writer threads submitting --rate responses/s
(one transaction each, ~20 answers) and the rollup refresher, and prints write p50/p99.

    python bench/dashboard.py [--runs 7] [--responses 1250000] [--households 416666] [--seconds 30]
    python bench/dashboard.py --db postgresql://user@host/minyi_bench [--responses 1250000]

With --db, the same on PostgreSQL: the database named is filled with the same demo district (by COPY) when it
holds no responses yet, and reused when it does; the writing part runs on a copy of it (CREATE DATABASE ...
TEMPLATE), dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import demo  # noqa: E402
import settings  # noqa: E402
from analytics import problem_table, views, words  # noqa: E402
from analytics.live import RollupRefresher  # noqa: E402
from services.survey_catalog import survey_version  # noqa: E402
from storage import analytics as A  # noqa: E402
from storage import campaigns, orgs, worklists  # noqa: E402
from storage import responses as response_store  # noqa: E402
from storage.db import Database, Scope, engine_errors, open_database  # noqa: E402
from storage.dialects import is_url, redacted  # noqa: E402
from surveys import answer_rows, satisfaction_summary, validate_answers  # noqa: E402

OUT = ROOT / "bench" / "out"
SURVEY = "qunzhong_manyidu"


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    fn()  # warm-up: first-touch of the file pages is not what a live dashboard pays
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def _load(db: Database, args: argparse.Namespace) -> None:
    began = time.perf_counter()
    summary = demo.load_demo(db, households=args.households, seed=1, responses=args.responses,
                             progress=lambda m: print(f"  {time.perf_counter() - began:6.1f}s {m}", flush=True))
    print(f"built in {summary.seconds:.1f}s: {summary.counts}")


def open_bench_db(args: argparse.Namespace) -> Database:
    if args.db:
        db = open_database(args.db)
        if db.query("SELECT count(*) FROM responses").single_value():
            print(f"reusing {redacted(args.db)}")
        else:
            _load(db, args)
        return db
    size = "1m" if args.responses == 1_000_000 else f"{args.responses // 1000}k"
    path = OUT / f"dashboard_{size}_{args.households // 1000}kh.duckdb"
    OUT.mkdir(parents=True, exist_ok=True)
    if path.exists():
        print(f"reusing {path}")
        return open_database(path)
    tmp = path.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    db = open_database(tmp)
    _load(db, args)
    db.close()
    tmp.rename(path)
    return open_database(path)


# --- the pandas way: load the rows, group by ---------------------------------------------------------


def _frame(db: Database, sql: str) -> pd.DataFrame:
    with db.transaction() as tx:
        return tx.dialect.frame(tx, sql)


def pandas_overview(db: Database, f: A.Filters, today: dt.date) -> dict:
    r = _frame(db, "SELECT org_unit_id, submitted_at, survey_id, channel, sat_n, sat_ok, sat_index_sum, nps_score,"
                   " voided_at FROM responses")
    r = r[r["voided_at"].isna()]
    r["day"] = r["submitted_at"].dt.date
    if f.survey_id:
        r = r[r["survey_id"] == f.survey_id]
    inside = r[(r["day"] >= f.since) & (r["day"] <= f.until)] if f.since else r
    n = inside["sat_n"].sum()
    prev_len = (f.until - f.since).days + 1 if f.since else 0
    prev = r[(r["day"] >= f.since - dt.timedelta(days=prev_len)) & (r["day"] < f.since)] if f.since else r
    return {"responses": len(inside), "k": int(inside["sat_ok"].sum()), "n": int(n),
            "index": inside["sat_index_sum"].sum() / n, "today": int((r["day"] == today).sum()),
            "prev_k": int(prev["sat_ok"].sum())}


def pandas_drill(db: Database, f: A.Filters, parent: orgs.OrgUnit) -> dict:
    r = _frame(db, "SELECT org_unit_id, submitted_at, survey_id, sat_n, sat_ok, sat_index_sum, voided_at FROM responses")
    units = _frame(db, "SELECT id, parent_id, path FROM org_units")
    r = r[r["voided_at"].isna()]
    if f.since:
        day = r["submitted_at"].dt.date
        r = r[(day >= f.since) & (day <= f.until)]
    kids = units[units["parent_id"] == parent.id]
    units["kid"] = None
    for kid_id, kid_path in zip(kids["id"], kids["path"]):
        units.loc[units["path"].str.startswith(kid_path), "kid"] = kid_id
    merged = r.merge(units[["id", "kid"]], left_on="org_unit_id", right_on="id").dropna(subset=["kid"])
    g = merged.groupby("kid")[["sat_ok", "sat_n", "sat_index_sum"]].sum()
    return {int(k): (int(v.sat_ok), int(v.sat_n)) for k, v in g.iterrows()}


def pandas_trends(db: Database, f: A.Filters) -> dict:
    r = _frame(db, "SELECT id, submitted_at, survey_id, sat_n, sat_ok, voided_at FROM responses")
    r = r[r["voided_at"].isna() & (r["survey_id"] == f.survey_id)]
    r["day"] = r["submitted_at"].dt.date
    if f.since:
        r = r[(r["day"] >= f.since) & (r["day"] <= f.until)]
    daily = r.groupby("day")[["sat_ok", "sat_n"]].sum()
    r["week"] = r["submitted_at"].dt.to_period("W").dt.start_time.dt.date
    weekly = r.groupby("week")[["sat_ok", "sat_n"]].sum()
    a = _frame(db, "SELECT response_id, question_id, row_id, value_num FROM answers WHERE value_num IS NOT NULL")
    a = a[a["response_id"].isin(r["id"])]
    dist = a.groupby(["question_id", "row_id", "value_num"]).size()
    return {"days": len(daily), "weeks": len(weekly), "answers": int(dist.sum())}


def pandas_visits(db: Database, campaign, level: int) -> dict:
    """The visits view's figures (coverage, make-up and return-visit counts, coverage per unit, burn-up) the pandas
    way: load visits, households, visit responses and problems, then group by."""
    v = _frame(db, "SELECT id, household_id, visited_at, outcome, response_id, follow_up, is_return_visit FROM visits")
    h = _frame(db, "SELECT h.id, o.path FROM households h JOIN org_units o ON o.id = h.grid_id WHERE h.active")
    r = _frame(db, "SELECT id AS response_id, sat_n, sat_ok FROM responses WHERE channel = 'visit' AND voided_at IS NULL")
    p = _frame(db, "SELECT household_id FROM problems WHERE state <> 'closed' AND household_id IS NOT NULL")
    unit_paths = [row[0] for row in db.query("SELECT path FROM org_units WHERE list_contains(?, id)",
                                             [list(campaign.unit_ids)]).rows]
    h = h[h["path"].str.startswith(tuple(unit_paths))]
    start, end = campaign.window()
    w = v[(v["visited_at"] >= start) & (v["visited_at"] < end)]
    first = w[w["outcome"].isin(campaign.covering_outcomes)].groupby("household_id")["visited_at"].min()
    h["covered"] = h["id"].isin(first.index)
    h["attempted"] = h["id"].isin(w["household_id"]) & ~h["covered"]
    answered = v.merge(r, on="response_id").sort_values(["visited_at", "id"]).groupby("household_id").last()
    last_return = v[v["is_return_visit"]].groupby("household_id")["visited_at"].max()
    last_follow = v[v["follow_up"]].groupby("household_id")["visited_at"].max()
    flags = pd.DataFrame(index=h["id"].values)
    flags["lr"] = answered["visited_at"]
    flags["dis"] = answered["sat_ok"] < answered["sat_n"]
    flags["lrv"] = last_return
    flags["lf"] = last_follow
    no_return_since = lambda at: flags["lrv"].isna() | (flags["lrv"] <= at)  # noqa: E731
    dissatisfied = flags["dis"].fillna(False).astype(bool) & no_return_since(flags["lr"])
    follow = flags["lf"].notna() & no_return_since(flags["lf"])
    returns = flags.index.isin(p["household_id"]) | dissatisfied.values | follow.values
    h["unit"] = h["path"].str.split("/").str[level]
    per_unit = h.groupby("unit")[["covered", "attempted"]].sum()
    burn = first[first.index.isin(h["id"])].dt.date.value_counts().sort_index().cumsum()
    return {"households": len(h), "covered": int(h["covered"].sum()), "attempted": int(h["attempted"].sum()),
            "make_up": int((~h["covered"]).sum()), "return_visits": int(returns.sum()), "units": len(per_unit),
            "burn": int(burn.iloc[-1]) if len(burn) else 0}


def pandas_problems(db: Database, f: A.Filters, today: dt.date, parent: orgs.OrgUnit) -> dict:
    """The problems view's figures the pandas way: all-time summary and resolution ratings, the period's
    category x state; as of now, whatever the period, ageing of the ones in hand and in hand / overdue per child."""
    p = _frame(db, "SELECT org_unit_id, category, state, raised_at, due_on, closed_at, resolution_satisfaction FROM problems")
    units = _frame(db, "SELECT id, parent_id, path FROM org_units")
    p = p.merge(units, left_on="org_unit_id", right_on="id")  # scope: the caller's subtree by path
    p = p[p["path"].str.startswith(parent.path)]
    is_open = p["state"].isin(["new", "assigned", "in_progress"])
    by_state = p.groupby("state").size()
    overdue_all = int((is_open & (p["due_on"] < pd.Timestamp(today))).sum())
    closed = p[p["state"] == "closed"]
    median_days = ((closed["closed_at"] - closed["raised_at"]).dt.total_seconds() / 86400).median()
    rated = p["resolution_satisfaction"].dropna()
    day = p["raised_at"].dt.date
    period = p[(day >= f.since) & (day <= f.until)] if f.since else p
    kids = units[units["parent_id"] == parent.id]
    kid_of = {}
    for kid_id, kid_path in zip(kids["id"], kids["path"]):
        for unit_id in units.loc[units["path"].str.startswith(kid_path), "id"]:
            kid_of[unit_id] = kid_id
    by = period.groupby(["category", "state"]).size()
    open_ = p[is_open].copy()  # stock: every problem in hand now
    ages = (pd.Timestamp(today) - open_["raised_at"].dt.normalize()).dt.days
    buckets = pd.cut(ages, [-10**6, 3, 7, 15, 30, 10**6]).value_counts()
    open_["kid"] = open_["org_unit_id"].map(kid_of)
    per_kid = open_.groupby("kid").agg(open=("state", "size"), overdue=("due_on", lambda d: (d < pd.Timestamp(today)).sum()))
    return {"cells": len(by), "buckets": int(buckets.sum()), "overdue": overdue_all, "states": len(by_state),
            "median": median_days, "rated": int((rated >= 3).sum()), "rated_n": len(rated), "kids": len(per_kid),
            "open": int((p["state"] != "closed").sum()), "open_period_overdue": int(per_kid["overdue"].sum())}


def pandas_voices(db: Database) -> dict:
    a = _frame(db, "SELECT a.value_text FROM answers a JOIN responses r ON r.id = a.response_id"
                   " WHERE a.question_id = 'suggestions' AND r.voided_at IS NULL")
    counts = a["value_text"].value_counts()
    return {"distinct": len(counts)}


def assert_same_problems(figures: problem_table.ProblemFigures, check: dict) -> None:
    got = (figures.summary.overdue, figures.summary.open, figures.resolution.rate.n, figures.resolution.rate.k,
           sum(n for *_, n in figures.ageing), sum(u.overdue for u in figures.overdue_by_unit),
           sum(len(states) for states in figures.by_category_state.values()), figures.summary.median_days_to_close)
    want = (check["overdue"], check["open"], check["rated_n"], check["rated"], check["buckets"],
            check["open_period_overdue"], check["cells"], round(check["median"], 2))
    assert got == want, ("pandas and problem_table disagree", got, want)


def problem_changes(db: Database, f: A.Filters, today: dt.date, root: orgs.OrgUnit, count: int) -> None:
    """A leader's refresh right after a cadre changed a problem: the kept problems are patched with the changed
    row, then the figures computed; compared with the pandas way on the same changed data."""
    from storage import problems

    cadre = db.query("SELECT min(id) FROM users").single_value()
    ids = [r[0] for r in db.query("SELECT id FROM problems WHERE state = 'new' ORDER BY hash(CAST(id AS VARCHAR)), id"
                                  " LIMIT ?",
                                  [count]).rows]
    views.problems_view(db, Scope.everything(), f, root.id, today)
    times = []
    for pid in ids:
        problems.transition(db, Scope.everything(), pid, "assign", actor_id=cadre, assignee_user_id=cadre)
        began = time.perf_counter()
        figures = views.problems_view(db, Scope.everything(), f, root.id, today)
        times.append((time.perf_counter() - began) * 1000)
    theirs, check = median_ms(lambda: pandas_problems(db, f, today, root), max(5, count // 6))
    assert_same_problems(figures, check)
    mine = statistics.median(times)
    print(f"{'problems, refresh after a problem changed (median of ' + str(len(ids)) + ')':<66}{mine:>10.1f}"
          f"{theirs:>12.1f}{theirs / mine:>7.1f}x")


def visit_saves(db: Database, campaign_id: int, count: int) -> None:
    """A cadre saving a met visit with its form and one problem: the visit status (storage.visit_status) is
    brought up to date right after each commit; printed with and without that refresh."""
    from storage import visit_status, visits
    from storage.problems import NewProblem

    homes = [r[0] for r in db.query("SELECT id FROM households WHERE active ORDER BY hash(CAST(id AS VARCHAR)), id"
                                    " LIMIT ?",
                                    [2 * count]).rows]
    cadre = db.query("SELECT min(id) FROM users").single_value()

    def save(home: int) -> float:
        form = response_store.NewResponse(str(uuid.uuid4()), "ruhu_zoufang", 1, 0, "visit", settings.now(),
                                          sat_n=1, sat_ok=0)
        visit = visits.NewVisit(str(uuid.uuid4()), home, cadre, settings.now(), "met", campaign_id=campaign_id,
                                response=form, problems=[NewProblem(str(uuid.uuid4()), "环境卫生", "楼道堆物")])
        began = time.perf_counter()
        visits.record_visit(db, Scope.everything(), visit)
        return (time.perf_counter() - began) * 1000

    with_status = [save(h) for h in homes[:count]]
    touch = visit_status.touch
    visit_status.touch = lambda tx, ids: None  # type: ignore[assignment]  # only to show what the refresh costs
    try:
        without = [save(h) for h in homes[count:]]
    finally:
        visit_status.touch = touch
    print(f"\nvisit saves (form + one problem), median of {count}: {statistics.median(with_status):.1f} ms with the"
          f" visit status refresh, {statistics.median(without):.1f} ms without it")


# --- writer starvation -----------------------------------------------------------------------------------


def writer_starvation(db: Database, args: argparse.Namespace, today: dt.date, dashboards: int) -> None:
    survey, version = survey_version(db, SURVEY)
    grids = orgs.list_units(db, Scope.everything(), level=4)
    rng = random.Random(5)
    prepared = []
    for _ in range(2000):
        raw = {"overall": rng.randint(3, 5), **{q: rng.randint(1, 5) for q in (
            "env_sanitation", "public_security", "service_efficiency", "dispute_resolution", "practical_deeds",
            "cadre_conduct")}, "livelihood": {r: rng.randint(1, 5) for r in (
                "elderly_care", "medical_care", "education", "employment", "culture_sports")},
            "reported_problem": "yes", "handling_result": rng.randint(1, 5), "recommend": rng.randint(0, 10),
            "residence_years": "gt10", "age_group": "a45_59", "suggestions": "希望多组织文体活动"}
        clean = validate_answers(survey, raw).clean
        prepared.append((clean, answer_rows(survey, clean), satisfaction_summary(survey, clean), raw))
    stop = threading.Event()
    latencies: list[float] = []
    refreshes: list[float] = []
    lock = threading.Lock()
    root = orgs.roots(db)[0]
    f = A.Filters(since=today - dt.timedelta(days=29), until=today)

    def dashboard(offset: float) -> None:
        stop.wait(offset)  # leaders do not refresh in lockstep: each session's timer starts when its page opened
        while not stop.is_set():
            began = time.perf_counter()
            views.overview_view(db, Scope.everything(), f, today)
            views.drill_view(db, Scope.everything(), f, root, 30)
            with lock:
                refreshes.append((time.perf_counter() - began) * 1000)
            stop.wait(args.refresh)

    group = tokens = None
    if args.via == "group":  # the fill page's path: validate, then the process's group-commit writer
        from services import submissions
        from sharing.tokens import new_token
        from storage import links

        tokens = [new_token() for _ in grids[:50]]
        for token, grid in zip(tokens, grids):
            links.create_links(db, SURVEY, grid.id, "open", [token], settings.now())
        group = submissions.GroupWriter(db)

    def writer(index: int, per_second: float) -> None:
        r = random.Random(index)
        next_at = time.perf_counter()
        while not stop.is_set():
            clean, rows, score, raw = prepared[r.randrange(len(prepared))]
            grid = grids[r.randrange(len(grids))]
            began = time.perf_counter()
            if group is not None:
                result = submissions.submit(db, token=tokens[r.randrange(len(tokens))], survey=survey, version=version,
                                            raw=raw, client_key=str(uuid.uuid4()), started_at=None,
                                            at=settings.now(), writer=group)
                assert result.status == "stored", result
            else:
                response_store.write_response(db, response_store.NewResponse(
                    client_key=str(uuid.uuid4()), survey_id=SURVEY, survey_version=version, org_unit_id=grid.id,
                    channel="link", submitted_at=settings.now(), answers=rows, sat_n=score.sat_n,
                    sat_ok=score.sat_ok, sat_index_sum=score.sat_index_sum, nps_score=score.nps))
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
            next_at += 1 / per_second
            stop.wait(max(0.0, next_at - time.perf_counter()))

    refresher = RollupRefresher(db, every=3.0)
    threads = [threading.Thread(target=dashboard, args=(i * args.refresh / max(1, dashboards),), daemon=True)
               for i in range(dashboards)]
    writers = 5
    threads += [threading.Thread(target=writer, args=(i, args.rate / writers), daemon=True) for i in range(writers)]
    if dashboards and not args.no_refresher:
        refresher.start()
    for th in threads:
        th.start()
    time.sleep(args.seconds)
    stop.set()
    for th in threads:
        th.join(timeout=30)
    if refresher.is_alive():
        refresher.stop(wait=True)
    if group is not None:
        group.close()
    lat = sorted(latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    what = (f"{dashboards} dashboards refreshing every {args.refresh:g}s"
            f" + {'no' if args.no_refresher else 'the'} rollup refresher every 3s"
            if dashboards else "baseline, no dashboards and no refresher")
    via = "services.submissions group writer" if args.via == "group" else "storage.responses.write_response"
    print(f"\nwriters ({via}): {args.rate:g} submissions/s for {args.seconds:g}s, {what}")
    print(f"  writes: {len(lat)} ({len(lat) / args.seconds:.1f}/s)  p50 {p(0.5):.1f} ms  p99 {p(0.99):.1f} ms"
          f"  max {lat[-1]:.1f} ms   (target p99 <= 50 ms)")
    if refreshes:
        print(f"  dashboard refreshes: {len(refreshes)}  median {statistics.median(refreshes):.1f} ms")
        print(f"  last rollup fold: {refresher.last_result}")


def scratch_copy(target: str) -> tuple[str, Callable[[], None]]:
    """A copy of the bench database to write on, and how to remove it: a file copy, or CREATE DATABASE ... TEMPLATE
    (the source must have no other session, so the caller closes it first)."""
    if not is_url(target):
        path = Path(target)
        scratch = path.with_suffix(".scratch.duckdb")
        shutil.copyfile(path, scratch)
        return str(scratch), lambda: scratch.unlink(missing_ok=True)
    import psycopg

    parts = urlsplit(target)
    source = parts.path.lstrip("/")
    name = f"{source}_scratch"
    admin = urlunsplit(parts._replace(path="/postgres"))

    def run(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return urlunsplit(parts._replace(path="/" + name)), lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--responses", type=int, default=1_250_000, help="survey responses (visit forms come on top)")
    parser.add_argument("--households", type=int, default=None, help="default: one per 3 responses, as `demo` does")
    parser.add_argument("--dashboards", type=int, default=10)
    parser.add_argument("--refresh", type=float, default=5.0, help="seconds between one dashboard's refreshes")
    parser.add_argument("--rate", type=float, default=50.0, help="submissions per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--views", default="", help="only the views whose name contains one of these comma-separated words")
    parser.add_argument("--no-refresher", action="store_true", help="dashboards without the rollup refresher")
    parser.add_argument("--skip-writers", action="store_true")
    parser.add_argument("--via", choices=("direct", "group"), default="direct",
                        help="writers call write_response (one transaction each) or submit through the fill page's"
                             " group-commit writer")
    parser.add_argument("--threads", type=int, default=None, help="SET threads after opening (default: storage.db's)")
    parser.add_argument("--db", default="", help="a postgresql:// URL of an empty (or earlier bench) database:"
                                                   " run on PostgreSQL instead of the DuckDB bench file")
    args = parser.parse_args()
    if args.households is None:
        args.households = max(3000, args.responses // 3)
    db = open_bench_db(args)
    if db.file is not None or db.path == ":memory:":  # DuckDB: its thread count matters to every figure
        if args.threads:
            db.execute(f"SET threads = {int(args.threads)}")
        threads = db.query("SELECT current_setting('threads')").single_value()
        print(f"engine: DuckDB, threads {threads}")
    else:
        print(f"engine: PostgreSQL {db.query('SHOW server_version').single_value()}, {redacted(db.path)}")
    counts = db.query("SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM answers)").first()
    print(f"responses {counts[0]:,}, answers {counts[1]:,}")
    began = time.perf_counter()
    fold = A.refresh_rollups(db, settle=False)
    print(f"rollup fold: {fold} in {time.perf_counter() - began:.1f}s")
    today = settings.now().date()
    everything = Scope.everything()
    root = orgs.roots(db)[0]
    town = orgs.children(db, root.id, everything)[0]
    f = A.Filters(since=today - dt.timedelta(days=29), until=today)
    fs = A.Filters(survey_id=SURVEY, since=f.since, until=f.until)
    texts_cache: dict = {}

    def voices() -> object:
        texts = A.answer_texts(db, everything, f, ["suggestions"]) + A.problem_texts(db, everything, f)
        texts_cache["w"] = words.word_counts(texts)
        return texts_cache["w"]

    def visits() -> object:  # what pages/dashboard_visits.py reads: the summary, the burn-up, coverage per unit
        summary = views.visit_summary(db, everything, None, today, group_level=root.level + 1)
        return (summary, A.coverage_burnup(db, everything, summary.campaign_id))

    def overview_first() -> object:  # the problem figures it shows are kept between refreshes: time them too
        views.forget_cached()
        return views.overview_view(db, everything, f, today)

    def problems_first() -> object:  # the first computation for these filters: the problems are kept in memory
        views.forget_cached()
        return views.problems_view(db, everything, f, root.id, today)

    def problems_cold() -> object:  # a process's first problem figures: the problems are loaded into memory
        problem_table.forget()
        return problems_first()

    ours: dict[str, Callable[[], object]] = {
        "overview (KPIs + deltas + visits + problems)": overview_first,
        "drill-down (district -> towns)": lambda: views.drill_view(db, everything, f, root, 30),
        "drill-down (town -> communities)": lambda: views.drill_view(db, everything, f, town, 30),
        "trends (daily or weekly + per question)": lambda: (A.trend(db, everything, fs, "day"),
                                                            A.question_counts(db, everything, fs)),
        "visits (summary + burn-up + per unit)": visits,
        "problems, first open (summary, category x state, ageing, overdue)": problems_first,
        "problems, live refresh (no problem changed)": lambda: views.problems_view(db, everything, f, root.id, today),
        "voices (texts + word counts)": voices,
    }
    theirs: dict[str, Callable[[], object]] = {
        "overview (KPIs + deltas + visits + problems)": lambda: pandas_overview(db, f, today),
        "drill-down (district -> towns)": lambda: pandas_drill(db, f, root),
        "drill-down (town -> communities)": lambda: pandas_drill(db, f, town),
        "trends (daily or weekly + per question)": lambda: pandas_trends(db, fs),
        "visits (summary + burn-up + per unit)": lambda: pandas_visits(db, campaign, root.level + 1),
        "problems, first open (summary, category x state, ageing, overdue)": lambda: pandas_problems(db, f, today, root),
        "problems, live refresh (no problem changed)": lambda: pandas_problems(db, f, today, root),
        "voices (texts + word counts)": lambda: pandas_voices(db),
    }
    campaign = campaigns.current_campaign(db, everything, today)
    campaign_id = campaign.id
    wl, _ = median_ms(lambda: worklists.worklist_counts(db, everything, campaign_id), args.runs)
    cov, _ = median_ms(lambda: worklists.coverage(db, everything, campaign_id), args.runs)
    print(f"storage.worklists inside the overview and visits views: worklist_counts {wl:.1f} ms,"
          f" coverage {cov:.1f} ms")
    if not args.views or "problems" in args.views:
        cold, _ = median_ms(problems_cold, args.runs)
        print(f"problems kept in memory (analytics.problem_table): loading them, once per process, {cold:.1f} ms")
    print(f"\n{'view':<66}{'ours ms':>10}{'pandas ms':>12}{'ratio':>8}")
    for name, fn in ours.items():
        if args.views and not any(word in name for word in args.views.split(",")):
            continue
        try:
            mine, result = median_ms(fn, args.runs)
        except engine_errors() as exc:  # one view's SQL failing on an engine: say so, time the others
            print(f"{name:<66}{'failed':>10}  {str(exc).splitlines()[0]}", flush=True)
            continue
        if args.skip_pandas:
            print(f"{name:<66}{mine:>10.1f}")
            continue
        other, _ = median_ms(theirs[name], max(5, args.runs // 2))
        print(f"{name:<66}{mine:>10.1f}{other:>12.1f}{other / mine:>7.1f}x", flush=True)
        if name.startswith("overview"):
            check = pandas_overview(db, f, today)
            fig = result.overview.figures
            assert (fig.rate.k, fig.rate.n, fig.responses) == (check["k"], check["n"], check["responses"]), \
                "pandas and SQL disagree"
        if name.startswith("problems"):
            assert_same_problems(result, pandas_problems(db, f, today, root))
        if name.startswith("visits"):
            check = pandas_visits(db, campaign, root.level + 1)
            v = result[0]
            assert (v.households, v.covered, v.attempted, v.make_up, v.return_visits, result[1][-1][1]) == (
                check["households"], check["covered"], check["attempted"], check["make_up"], check["return_visits"],
                check["burn"]), ("pandas and SQL disagree", v, check)
    # What follows writes: do it on a scratch copy, so the reused database stays the same from run to run.
    db.close()
    scratch, drop = scratch_copy(db.path)
    db = open_database(scratch)
    try:
        if not args.views or "problems" in args.views:
            problem_changes(db, f, today, root, args.runs * 3)
        visit_saves(db, campaign.id, args.runs * 5)
        if not args.skip_writers:
            writer_starvation(db, args, today, 0)
            writer_starvation(db, args, today, args.dashboards)
    finally:
        db.close()
        drop()


if __name__ == "__main__":
    main()
