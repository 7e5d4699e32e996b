"""Benchmark: import a 600,000-household registry (GBK CSV, as districts export it) into a fresh database.

Prints the seconds for each phase (read + check, write), the total, rows/s, and a re-import of the
same file (every row known: the update path). Target: the first import in <= 30 s on a 2-core machine.

    python bench/import_households.py [--households 600000] [--db PATH | --db postgresql://…]

Without ``--db`` a temporary DuckDB file is used; ``--db`` names a DuckDB file or an empty PostgreSQL database
(the bench builds its own org tree there and refuses a database that already has units). One run per call: for a
median, call it several times, each on a fresh database.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services import fieldwork as fw  # noqa: E402
from storage import open_database  # noqa: E402
from storage import orgs  # noqa: E402
from storage.db import Scope  # noqa: E402

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建国志海燕雪梅凤珍德文庆"
STREETS = ("人民路", "解放路", "中山路", "建设路", "文化路", "胜利路", "和平街", "新华街", "学府路", "滨河路")
TAGS = ("低保户", "独居老人", "残疾人", "退役军人", "留守儿童", "重点关注")


def build_tree(db, towns: int, communities: int, grids: int) -> list[str]:
    """District → towns → communities → grids; returns the grid codes."""
    district = orgs.create_unit(db, "BD", "基准区", 1)
    codes = []
    with db.transaction() as tx:
        for ti in range(towns):
            town = orgs.create_unit(tx, f"BT{ti:02d}", f"第{ti + 1}街道", 2, district.id)
            for ci in range(communities):
                comm = orgs.create_unit(tx, f"BT{ti:02d}C{ci:02d}", f"{ti + 1}街道{ci + 1}社区", 3, town.id)
                for gi in range(grids):
                    code = f"BT{ti:02d}C{ci:02d}G{gi:02d}"
                    orgs.create_unit(tx, code, f"{ti + 1}-{ci + 1}社区第{gi + 1}网格", 4, comm.id)
                    codes.append(code)
    return codes


def registry_csv(n: int, grid_codes: list[str], seed: int) -> bytes:
    """A realistic registry: messy headers, a few full-width digits, tags joined with 、."""
    rng = random.Random(seed)
    lines = [" 户编号 ,户主姓名,联系电话,家庭住址,所属网格,家庭人口,标签"]
    for i in range(n):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.9 else ""
        address = f"{rng.choice(STREETS)}{rng.randrange(1, 300)}号{rng.randrange(1, 30)}栋{rng.randrange(101, 2400)}室"
        members = str(rng.randrange(1, 7))
        if rng.random() < 0.02:
            members = members.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        tags = "、".join(rng.sample(TAGS, k=rng.choice((0, 0, 0, 1, 1, 2))))
        lines.append(f"HH{i:08d},{name},{phone},{address},{grid_codes[i % len(grid_codes)]},{members},{tags}")
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=600_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=None,
                        help="a DuckDB file or a postgresql:// URL of an empty database (default: a temporary file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(args.db or Path(folder) / "bench.duckdb")
        if orgs.count_units(db):
            db.close()
            sys.exit("import_households: the database already has org units; give an empty one")
        print(f"engine: {db.engine}", flush=True)
        grid_codes = build_tree(db, 8, 20, 8)
        data = registry_csv(args.households, grid_codes, args.seed)
        print(f"registry: {args.households:,} rows, {len(data) / 2**20:.1f} MiB GBK, {len(grid_codes)} grids", flush=True)
        for label in ("first import", "re-import (all known)"):
            began = time.perf_counter()
            check = fw.check_households(db, Scope.everything(), data, "registry.csv")
            checked = time.perf_counter()
            assert not check.errors, check.errors[:5]
            counts = fw.import_households(db, Scope.everything(), check)
            done = time.perf_counter()
            total = done - began
            print(f"{label}: read+check {checked - began:.1f} s, write {done - checked:.1f} s, "
                  f"total {total:.1f} s, {args.households / total:,.0f} rows/s  ({counts})", flush=True)
        n = db.query("SELECT count(*) FROM households").single_value()
        tags = db.query("SELECT count(*) FROM household_tags").single_value()
        print(f"households in the database: {n:,}; tags: {tags:,}")
        db.close()


if __name__ == "__main__":
    main()
