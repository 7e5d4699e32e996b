"""Household registry and org tree import: encodings, headers, every bad-row reason, idempotence, all-or-nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from fieldwork import registry
from services import fieldwork as fw
from storage import households
from storage.db import Scope

# The way district registries really come: spaces in headers, a required marker, full-width digits, tags with 、
HEADER = " 户 编号 ,*户主姓名,联系电话 ,家庭住址,所属网格, 家庭人口 ,标签"
ROWS = [
    "ＨＨ０１,张三明,１３８ １２３４ ５６７８,幸福路1号,T1C1G1,３,低保户、独居老人",
    "HH02,李四,0571-88123456,幸福路2号,T1C1G2,2,退役军人；残疾人",
    "HH03,王五,+86 139 0000 1111,幸福路3号,T2C1G1,1,",
]


def _csv(rows: list[str], header: str = HEADER) -> str:
    return header + "\r\n" + "\r\n".join(rows) + "\r\n"


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _lookup(db) -> registry.GridLookup:
    return registry.GridLookup.of(households.grids(db, Scope.everything()))


EXPECTED = [
    ("HH01", "张三明", "13812345678", "T1C1G1", 3, ("低保户", "独居老人")),
    ("HH02", "李四", "0571-88123456", "T1C1G2", 2, ("退役军人", "残疾人")),
    ("HH03", "王五", "13900001111", "T2C1G1", 1, ()),
]


@pytest.mark.parametrize("encoding,expected_name", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gbk"),
])
def test_csv_in_every_encoding_reads_the_same(db, tree, encoding, expected_name):
    data = _csv(ROWS).encode(encoding)
    parse = registry.parse_households(data, "名册.csv", _lookup(db))
    codes = {g.id: g.code for g in households.grids(db, Scope.everything())}
    assert parse.encoding == expected_name
    assert parse.errors == []
    assert [(r.code, r.head_name, r.phone, codes[r.grid_id], r.members, r.tags) for r in parse.records] == EXPECTED


def test_gb18030_only_characters_are_detected(db, tree):
    data = _csv(["HH09,𠀀明,13812345678,x,T1C1G1,1,"]).encode("gb18030")  # outside GBK
    parse = registry.parse_households(data, "a.csv", _lookup(db))
    assert parse.encoding == "gb18030" and parse.records[0].head_name == "𠀀明"


def test_xlsx_with_numbers_as_numbers(db, tree):
    data = _xlsx([["户号", "户主", "手机", "住址", "网格编码", "人口", "标签"],
                  ["HH01", "张三明", 13812345678, "幸福路1号", "T1C1G1", 3.0, "低保户,独居老人"],
                  [None, None, None, None, None, None, None],
                  ["HH02", "李四", "0571-88123456", "幸福路2号", "T1C1G2", 2, "退役军人 残疾人"]])
    parse = registry.parse_households(data, "名册.xlsx", _lookup(db))
    assert parse.encoding == "xlsx" and parse.errors == []
    assert [(r.row, r.code, r.phone, r.members, r.tags) for r in parse.records] == [
        (2, "HH01", "13812345678", 3, ("低保户", "独居老人")), (4, "HH02", "0571-88123456", 2, ("退役军人", "残疾人"))]


def test_grid_by_unique_name_and_every_bad_row_reason(db, tree):
    rows = [
        "G1,甲,13812345678,a,第1街道1社区,1,",  # a community, not a grid: unknown
        ",乙,13812345678,a,T1C1G1,1,",  # missing code
        "G3,,13812345678,a,T1C1G1,1,",  # missing name
        "G4,丁,13812345678,a,,1,",  # missing grid
        "G5,戊,13812345678,a,T9C9G9,1,",  # unknown grid
        "G6,己,13812345678,a,1社区第1网格,1,",  # name shared by four grids
        "G7,庚,1381234,a,T1C1G1,1,",  # malformed phone
        "G8,辛,13812345678,a,T1C1G1,0,",  # bad member count
        "G9,壬,13812345678,a,T1C1G1,两口,",  # bad member count
        "G10,癸,13812345678,a,T1C1G1,2,",
        "G10,子,13812345678,a,T1C1G1,2,",  # duplicate code in file
    ]
    parse = registry.parse_households(_csv(rows).encode("gbk"), "a.csv", _lookup(db))
    assert [(e.row, e.code) for e in parse.errors] == [
        (2, "unknown_grid"), (3, "missing_code"), (4, "missing_name"), (5, "missing_grid"), (6, "unknown_grid"),
        (7, "ambiguous_grid"), (8, "bad_phone"), (9, "bad_members"), (10, "bad_members"), (12, "duplicate_code")]
    assert parse.errors[-1].value == "G10 (11)"
    assert [r.code for r in parse.records] == ["G10"]


def test_unique_grid_name_resolves(db, tree):
    from storage import orgs
    orgs.create_unit(db, "T1C1G9", "幸福网格", 4, tree.unit("T1C1").id)
    parse = registry.parse_households(_csv(["G1,甲,,a,幸福网格,1,"]).encode(), "a.csv", _lookup(db))
    assert parse.errors == [] and parse.records[0].phone is None


def test_missing_columns_and_unreadable_files(db, tree):
    with pytest.raises(registry.RegistryFileError) as err:
        registry.parse_households("姓名,电话\n张三,13812345678\n".encode(), "a.csv", _lookup(db))
    assert err.value.code == "registry.err.missing_columns" and "code" in err.value.params["columns"]
    with pytest.raises(registry.RegistryFileError) as err:
        registry.parse_households(b"", "a.csv", _lookup(db))
    assert err.value.code == "registry.err.empty"
    with pytest.raises(registry.RegistryFileError) as err:
        registry.parse_households(b"PK\x03\x04garbage", "a.xlsx", _lookup(db))
    assert err.value.code == "registry.err.bad_xlsx"


def test_reimport_updates_by_code_and_is_idempotent(db, tree):
    data = _csv(ROWS).encode("gbk")
    check = fw.check_households(db, Scope.everything(), data, "a.csv")
    first = fw.import_households(db, Scope.everything(), check)
    again = fw.import_households(db, Scope.everything(), fw.check_households(db, Scope.everything(), data, "a.csv"))
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    changed = _csv([ROWS[0].replace("张三明", "张三民").replace("低保户、独居老人", "重点关注"), ROWS[1]]).encode()
    third = fw.import_households(db, Scope.everything(), fw.check_households(db, Scope.everything(), changed, "b.csv"))
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 1)
    assert db.query("SELECT count(*) FROM households").single_value() == 3
    assert db.query("SELECT head_name FROM households WHERE code = 'HH01'").single_value() == "张三民"
    assert [r[0] for r in db.query("SELECT t.tag FROM household_tags t JOIN households h ON h.id = t.household_id"
                                   " WHERE h.code = 'HH01'").rows] == ["重点关注"]


def _snapshot(db) -> list:
    return db.query("SELECT code, head_name, phone, grid_id, members FROM households ORDER BY code").rows + \
        db.query("SELECT household_id, tag FROM household_tags ORDER BY 1, 2").rows


def test_bad_rows_block_the_import_and_a_failed_import_changes_nothing(db, tree, monkeypatch):
    fw.import_households(db, Scope.everything(), fw.check_households(db, Scope.everything(), _csv(ROWS).encode(), "a"))
    before = _snapshot(db)
    bad = _csv([ROWS[0].replace("张三明", "张三丰"), "HH04,新户,123,x,T1C1G1,1,"]).encode()
    check = fw.check_households(db, Scope.everything(), bad, "b.csv")
    assert fw.import_households(db, Scope.everything(), check) is None
    assert _snapshot(db) == before
    # a failure half-way through the set-based merge rolls everything back
    good = fw.check_households(db, Scope.everything(), _csv([ROWS[0].replace("张三明", "张三丰"),
                                                             "HH05,新户,,x,T1C1G1,1,独居老人"]).encode(), "c.csv")
    calls = []

    def boom(fraction: float) -> None:
        calls.append(fraction)
        if fraction >= 0.75:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        fw.import_households(db, Scope.everything(), good, progress=boom)
    assert calls[-1] == 0.75 and _snapshot(db) == before


def test_an_importer_cannot_overwrite_households_outside_their_area(db, tree):
    fw.import_households(db, Scope.everything(), fw.check_households(db, Scope.everything(), _csv(ROWS).encode(), "a"))
    town1 = tree.unit("T1").scope
    data = _csv(["HH03,冒名,13812345678,x,T1C1G1,1,"]).encode()  # HH03 lives in T2
    check = fw.check_households(db, town1, data, "b.csv")
    assert [(e.row, e.code) for e in check.errors] == [(2, "code_elsewhere")]
    with pytest.raises(households.HouseholdsOutOfScope):
        households.upsert_households(db, town1, check.parse.records)
    assert db.query("SELECT head_name FROM households WHERE code = 'HH03'").single_value() == "王五"
    # grids outside the importer's area are unknown to them
    check = fw.check_households(db, town1, _csv(["HH09,甲,,x,T2C1G1,1,"]).encode(), "c.csv")
    assert [(e.row, e.code) for e in check.errors] == [(2, "unknown_grid")]


def test_org_tree_import_in_any_order_with_errors(db):
    data = ("编码,名称,上级编码,层级\n"
            "G1,一网格,C1,网格\nD1,清河区,,区\nT1,东风街道,D1,2\nC1,幸福社区,T1,社区\n"
            "X1,坏层级,T1,4\nX2,无上级,ZZ,\nT1,重复,D1,2\n").encode("gbk")
    parse = registry.parse_units(data, "org.csv", households.unit_levels(db))
    assert [(e.row, e.code) for e in parse.errors] == [(6, "bad_level"), (7, "unknown_parent"), (8, "duplicate_code")]
    assert [(r.code, r.level) for r in parse.records] == [("D1", 1), ("T1", 2), ("C1", 3), ("G1", 4)]
    counts = households.import_units(db, parse.records, Scope.everything())
    assert (counts.inserted, counts.updated) == (4, 0)
    paths = dict(db.query("SELECT code, path FROM org_units").rows)
    assert paths["G1"].startswith(paths["C1"]) and paths["C1"].startswith(paths["T1"])
    again = households.import_units(db, registry.parse_units(data, "org.csv", households.unit_levels(db)).records,
                                    Scope.everything())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


def test_phone_rules():
    assert registry.normalise_phone("138-1234-5678") == "13812345678"
    assert registry.normalise_phone("(010)12345678") == "010-12345678"
    assert registry.normalise_phone("12812345678") is None
    assert registry.normalise_phone("88123456") is None  # landline without area code
