"""Every upload path refuses a hostile workbook (zip bomb, far row, wide header) or an oversized CSV before parsing it,
with a clear message, and creates nothing; files inside the bounds still import."""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path

import pytest

from fieldwork import registry
from i18n import t
from services import authoring, evaluation, paper_import, uploads
from services import fieldwork as fw
from storage.db import Scope
from tests.conftest import ROOT, build_tree, make_principal
from tests.uploads import bombs

PAPER_YAML = "id: paper\ntitle: 纸质\nquestions:\n  - {id: overall, type: rating, label: 总体}\n"


@functools.lru_cache(maxsize=1)
def bomb() -> bytes:
    """1.7 MB that unpacks to 400 MB (built once: deflating 400 MB takes seconds)."""
    return bombs.zip_bomb(400, sheets=("survey",))


@pytest.fixture
def paths(db):
    """Every upload path, as a function of (bytes, filename); the XLSForm path is the survey import."""
    tree = build_tree(db)
    admin = make_principal(db, "admin1", "admin", tree.district)
    authoring.import_yaml(db, admin, PAPER_YAML, publish_now=True)
    return db, {
        "households": lambda data, name: fw.check_households(db, Scope.everything(), data, name),
        "org tree": lambda data, name: registry.parse_units(data, name, {}),
        "visit sheet": lambda data, name: fw.read_visit_sheet(db, Scope.everything(), data, name, categories=["环境"],
                                                              today=dt.date(2026, 12, 1), window=None),
        "paper responses": lambda data, name: paper_import.plan_import(db, admin, "paper", data, name),
        "evaluation subjects": lambda data, name: evaluation.subject_names_from_table(data, name),
        "xlsform": lambda data, name: authoring.import_xlsform(db, admin, data, filename=name),
    }


PATHS = ["households", "org tree", "visit sheet", "paper responses", "evaluation subjects", "xlsform"]


def _surveys(db) -> int:
    return db.query("SELECT count(*) FROM surveys").single_value()


@pytest.mark.parametrize("path", PATHS)
def test_a_zip_bomb_is_refused_from_the_zip_directory_on_every_path(paths, path):
    db, run = paths
    before = _surveys(db)
    with pytest.raises(uploads.UploadRefused) as refused:
        run[path](bomb(), "名册.xlsx")
    assert refused.value.code in ("upload.err.zip_ratio", "upload.err.unpacked_too_big")
    message = t(refused.value.code, **refused.value.params)
    assert "未读取" in message and "{" not in message
    assert "was not read" in t(refused.value.code, "en", **refused.value.params)
    assert _surveys(db) == before


@pytest.mark.parametrize("path", PATHS)
def test_a_sheet_that_jumps_to_the_last_row_is_refused_while_streaming(paths, path):
    db, run = paths
    before = _surveys(db)
    if path == "xlsform":
        with pytest.raises(authoring.UnreadableWorkbook) as unreadable:
            run[path](bombs.far_row_sheet(), "form.xlsx")
        assert [i.code for i in unreadable.value.issues] == ["sheet_too_large"]
        assert "20000" in unreadable.value.issues[0].message("zh")
    else:
        with pytest.raises(uploads.UploadRefused) as refused:
            run[path](bombs.far_row_sheet(), "名册.xlsx")
        assert refused.value.code == "upload.err.too_many_rows"
    assert _surveys(db) == before


@pytest.mark.parametrize("path", PATHS)
def test_a_header_wider_than_the_bound_is_refused(paths, path):
    db, run = paths
    if path == "xlsform":
        with pytest.raises(authoring.UnreadableWorkbook) as unreadable:
            run[path](bombs.wide_sheet(), "form.xlsx")
        assert [i.code for i in unreadable.value.issues] == ["sheet_too_large"]
    else:
        with pytest.raises(uploads.UploadRefused) as refused:
            run[path](bombs.wide_sheet(), "名册.xlsx")
        assert refused.value.code == "upload.err.too_many_columns"


def test_a_stored_dimension_of_the_whole_sheet_is_ignored(paths):
    """The sheet claims A1:XFD1048576; read-only openpyxl would pad every row to 16,384 cells and add a million
    blank rows. Its one real row is read."""
    _, run = paths
    table = registry.read_table(bombs.huge_dimension_sheet(), "a.xlsx")
    assert [cells[0] for _, cells in table.rows] == ["H1"]
    assert run["evaluation subjects"](bombs.huge_dimension_sheet(), "a.xlsx") == ["户编号", "H1"]  # no 姓名 header


@pytest.mark.parametrize("path", ["households", "org tree", "visit sheet", "paper responses", "evaluation subjects"])
def test_a_csv_larger_than_its_bound_is_refused_before_it_is_decoded(paths, path, monkeypatch):
    _, run = paths
    monkeypatch.setattr(uploads, "HOUSEHOLDS_CSV", uploads.Bounds("table", max_bytes=1000, max_rows=10, max_columns=20))
    monkeypatch.setattr(uploads, "TABLE_CSV", uploads.Bounds("table", max_bytes=1000, max_rows=10, max_columns=20,
                                                             max_cells=100))
    big = ("户编号,户主姓名,所属网格,走访结果,编码,名称,单位编码\n" + "H1,甲,G1,见面,C1,名,U1\n" * 100).encode()
    with pytest.raises(uploads.UploadRefused) as refused:
        run[path](big, "名册.csv")
    assert refused.value.code == "upload.err.too_big"
    assert t("upload.err.too_big", **refused.value.params).startswith("文件过大（")


def test_csv_rows_and_cells_are_counted_as_they_stream(paths, monkeypatch):
    _, run = paths
    monkeypatch.setattr(uploads, "TABLE_CSV", uploads.Bounds("table", max_bytes=10**6, max_rows=5, max_columns=20,
                                                             max_cells=10**6))
    monkeypatch.setattr(uploads, "HOUSEHOLDS_CSV", uploads.Bounds("table", max_bytes=10**6, max_rows=5, max_columns=20))
    rows = ("编码,名称\n" + "C1,名\n" * 6).encode()
    with pytest.raises(uploads.UploadRefused) as refused:
        run["org tree"](rows, "org.csv")
    assert (refused.value.code, refused.value.params) == ("upload.err.too_many_rows", {"limit": 5})
    households = ("户编号,户主姓名,所属网格\n" + "".join(f"H{i},甲,T1C1G1\n" for i in range(6))).encode()
    with pytest.raises(uploads.UploadRefused):
        run["households"](households, "r.csv")
    assert run["org tree"](("编码,名称\n" + "C1,名\n" * 5).encode(), "org.csv").total_rows == 5


def test_a_workbook_inside_the_bounds_still_imports(paths):
    """The bounds refuse bombs, not registries: a real workbook of 2,000 rows is read."""
    _, run = paths
    table = registry.read_table(bombs.zip_bomb(1), "a.xlsx")
    assert len(table.rows) > 2000 and table.headers[:3] == ["户编号", "户主姓名", "所属网格"]


def test_streamlit_accepts_no_upload_larger_than_the_largest_bound():
    import tomllib

    config = tomllib.loads((Path(ROOT) / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == uploads.MAX_UPLOAD_MB
    assert uploads.MAX_UPLOAD_MB * uploads.MIB >= max(uploads.HOUSEHOLDS_CSV.max_bytes, uploads.TABLE_XLSX.max_bytes)


def test_a_filled_visit_sheet_is_read_once(paths, monkeypatch):
    """It was read twice (once for the codes, once to check the rows): twice the time and memory of a big sheet."""
    db, run = paths
    reads: list[str] = []
    real = registry.read_table

    def counting(data, filename="", limit=None, progress=None):
        reads.append(filename)
        return real(data, filename, limit, progress)

    monkeypatch.setattr(registry, "read_table", counting)
    sheet, _, headers = run["visit sheet"]("户编号,走访结果\nH1,见面\n".encode(), "s.csv")
    assert reads == ["s.csv"] and headers == ["户编号", "走访结果"] and sheet.total_rows == 1


def test_shared_strings_are_bounded_on_their_own(paths):
    """openpyxl loads the shared strings into memory when it opens the workbook, before any row is streamed."""
    import io
    import zipfile

    _, run = paths
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:  # unique strings: a low ratio
        z.writestr("xl/sharedStrings.xml", b"<sst>" + os.urandom(17 * 1024 * 1024).hex().encode() + b"</sst>")
    assert len(out.getvalue()) < uploads.TABLE_XLSX.max_bytes
    with pytest.raises(uploads.UploadRefused) as refused:
        run["org tree"](out.getvalue(), "o.xlsx")
    assert refused.value.code == "upload.err.unpacked_too_big" and refused.value.params["limit"] == "32"
