"""Benchmark: responses/s for one-response transactions (20 answers each) with 1 and 4 threads.

Each response is written as the app writes it: storage.responses.write_response,
one transaction with a single multi-row INSERT for its answers, on a cursor of
the shared connection. For comparison it also times the same work with
executemany for the answers (the slower shape the notes measured).

    python bench/storage_write.py [--responses 2000] [--db PATH | --db postgresql://…]

Prints responses/s and the median / p95 latency per configuration; then, for scale, the floor of this machine
(one-row autocommitted inserts into a 2-column and a 20-column table: no response can be cheaper than the wide
one), and the resident path: open-link submissions through services.submissions' group-commit writer with 16
residents submitting at once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage import orgs, responses  # noqa: E402
from storage.db import Database, open_database  # noqa: E402
from surveys import AnswerRow  # noqa: E402

ANSWERS = 20


def make_response(unit_id: int) -> responses.NewResponse:
    answers = [AnswerRow(f"q{i:02d}", "", float(1 + i % 5), None) for i in range(ANSWERS - 2)]
    answers += [AnswerRow("reasons", "", None, "environment"), AnswerRow("comment", "", None, "路灯坏了很久没人修")]
    return responses.NewResponse(
        client_key=str(uuid.uuid4()), survey_id="qunzhong_manyidu", survey_version=1, org_unit_id=unit_id,
        channel="link", submitted_at=datetime.now(), answers=answers, sat_n=18, sat_ok=12, sat_index_sum=1200.0,
    )


def write_executemany(db: Database, r: responses.NewResponse) -> None:
    with db.transaction() as tx:
        rid = tx.query(
            "INSERT INTO responses (client_key, survey_id, survey_version, org_unit_id, channel, submitted_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [r.client_key, r.survey_id, r.survey_version, r.org_unit_id, r.channel, r.submitted_at],
        ).single_value()
        tx.executemany(
            "INSERT INTO answers (response_id, question_id, row_id, value_num, value_text) VALUES (?, ?, ?, ?, ?)",
            [(rid, a.question_id, a.row_id, a.value_num, a.value_text) for a in r.answers],
        )


def floor(db: Database, columns: int, total: int) -> tuple[float, list[float]]:
    """One-row autocommitted inserts into a fresh table of ``columns`` INTEGER columns."""
    table = f"_floor_{columns}_{uuid.uuid4().hex[:6]}"
    db.execute(f"CREATE TABLE {table} ({', '.join(f'c{i} INTEGER' for i in range(columns))})")
    sql = f"INSERT INTO {table} VALUES ({', '.join('?' * columns)})"
    row = list(range(columns))
    try:
        with db.cursor() as cur:
            return run_loop(total, 1, lambda: cur.execute(sql, row))
    finally:
        db.execute(f"DROP TABLE {table}")


def run_loop(total: int, threads: int, step) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        mine = []
        for _ in range(total // threads):
            began = time.perf_counter()
            step()
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(latencies) / (time.perf_counter() - began), latencies


def group_writer(db: Database, unit_id: int, total: int, threads: int) -> tuple[float, list[float]]:
    """Open-link submissions as the fill page stores them: each resident thread hands its response to the
    process's group-commit writer and waits for the commit."""
    from services.submissions import GroupWriter
    from services.survey_catalog import install_templates
    from sharing.tokens import new_token
    from storage import links

    install_templates(db)
    token = new_token()
    links.create_links(db, "qunzhong_manyidu", unit_id, "open", [token], datetime.now())
    writer = GroupWriter(db)
    try:
        def step() -> None:
            result = writer.store(token, make_response(unit_id), datetime.now())
            assert result.status == "stored", result
        step()  # warm-up
        return run_loop(total, threads, step)
    finally:
        writer.close()


def run(db: Database, unit_id: int, total: int, threads: int, writer) -> tuple[float, list[float]]:
    return run_loop(total, threads, lambda: writer(db, make_response(unit_id)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=2000)
    parser.add_argument("--db", default=None,
                        help="a DuckDB file or a postgresql:// URL of an empty database (default: a temporary file)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="minyi-bench-"))
    db = open_database(args.db or folder / "bench.duckdb")
    print(f"engine: {db.engine}")
    unit = orgs.create_unit(db, f"B{uuid.uuid4().hex[:6]}", "基准网格", 1)
    def show(name: str, rate: float, lat: list[float]) -> None:
        lat.sort()
        print(f"{name:<40} {rate:>8.0f} {statistics.median(lat) * 1000:>10.2f} {lat[int(len(lat) * 0.95) - 1] * 1000:>8.2f}")

    print(f"{'configuration':<40} {'resp/s':>8} {'median ms':>10} {'p95 ms':>8}")
    configs = [
        ("multi-row insert, 1 thread", 1, responses.write_response),
        ("multi-row insert, 4 threads", 4, responses.write_response),
        ("executemany (for comparison), 1 thread", 1, write_executemany),
    ]
    for name, threads, writer in configs:
        run(db, unit.id, 100, threads, writer)  # warm-up
        show(name, *run(db, unit.id, args.responses, threads, writer))

    print("\nfor scale: this machine's floor, one-row autocommitted inserts")
    for columns in (2, 20):
        floor(db, columns, 100)
        show(f"  into a {columns}-column table", *floor(db, columns, args.responses))
    print("\nthe resident path (open links): group-commit writer")
    show("  16 residents submitting at once", *group_writer(db, unit.id, args.responses, 16))
    stored = db.query("SELECT count(*) FROM responses").single_value()
    print(f"stored responses: {stored} (answers: {db.query('SELECT count(*) FROM answers').single_value()})")
    db.close()


if __name__ == "__main__":
    main()
