"""Reading registries as districts keep them: households, the org tree and filled visit sheets (CSV or .xlsx).

CSV may be UTF-8 (with or without BOM), GBK or GB18030; Chinese headers are
mapped to fields whatever their spacing; full-width digits and letters are
normalised (NFKC). Every bad row is reported with the row number the user sees
in Excel (the header is row 1) and a reason code (``registry.err.<code>``).
Nothing here touches the database: callers pass in the lookups they need.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fieldwork import rules
from services import uploads
from surveys.constants import CONTROL_CHARACTERS

Progress = Callable[[float], None] | None

HOUSEHOLD_HEADERS: dict[str, str] = {
    "户编号": "code", "户号": "code", "户籍编号": "code", "户代码": "code", "编号": "code", "code": "code",
    "户主姓名": "head_name", "户主": "head_name", "姓名": "head_name", "head_name": "head_name", "name": "head_name",
    "联系电话": "phone", "电话": "phone", "手机": "phone", "手机号": "phone", "手机号码": "phone", "联系方式": "phone",
    "phone": "phone",
    "地址": "address", "住址": "address", "家庭住址": "address", "详细地址": "address", "address": "address",
    "所属网格": "grid", "网格": "grid", "网格编码": "grid", "网格名称": "grid", "所在网格": "grid", "grid": "grid",
    "家庭人口": "members", "人口": "members", "家庭人数": "members", "人数": "members", "members": "members",
    "标签": "tags", "户标签": "tags", "人员类别": "tags", "tags": "tags",
}
HOUSEHOLD_REQUIRED: tuple[str, ...] = ("code", "head_name", "grid")

UNIT_HEADERS: dict[str, str] = {
    "编码": "code", "单位编码": "code", "组织编码": "code", "代码": "code", "code": "code",
    "名称": "name", "单位名称": "name", "组织名称": "name", "name": "name",
    "上级编码": "parent", "上级单位编码": "parent", "上级": "parent", "上级代码": "parent", "parent": "parent",
    "层级": "level", "级别": "level", "层次": "level", "level": "level",
}
UNIT_REQUIRED: tuple[str, ...] = ("code", "name")
LEVEL_WORDS: dict[str, int] = {"区": 1, "县": 1, "区县": 1, "district": 1, "镇": 2, "街道": 2, "乡": 2, "镇(街道)": 2,
                               "镇街": 2, "town": 2, "村": 3, "社区": 3, "村(社区)": 3, "村居": 3, "community": 3,
                               "网格": 4, "grid": 4}

VISIT_SHEET_HEADERS: dict[str, str] = {
    "户编号": "code", "户号": "code",
    "走访日期": "date", "日期": "date",
    "走访结果": "outcome", "结果": "outcome",
    "满意度": "satisfaction", "满意程度": "satisfaction",
    "问题类别": "category", "问题分类": "category",
    "问题描述": "description", "问题内容": "description",
    "紧急程度": "urgency",
    "需要回头访": "follow_up", "回头访": "follow_up", "是否回头访": "follow_up",
    "备注": "note", "走访备注": "note",
}
SATISFACTION_WORDS: dict[str, int] = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1,
                                      "5": 5, "4": 4, "3": 3, "2": 2, "1": 1}
YES_WORDS = {"是", "需要", "要", "yes", "y", "1", "√", "true"}
NO_WORDS = {"否", "不需要", "不", "no", "n", "0", "", "false", "×"}

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
_TAG_SPLIT = re.compile(r"[、,，;；/\s]+")
_SPACES = re.compile(r"\s+")
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_CONTROL = re.compile(CONTROL_CHARACTERS)
MAX_MEMBERS = 99
# Longest text each imported field may hold; a longer cell is a bad row (too_long), never cut.
MAX_HEAD_NAME = 64
MAX_ADDRESS = 200
MAX_UNIT_NAME = 100
MAX_DESCRIPTION = 1000
MAX_NOTE = 500


class RegistryFileError(ValueError):
    """The whole file cannot be read; ``code`` is an i18n key, ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it in Excel: header = row 1
    code: str  # registry.err.<code>
    value: str = ""


@dataclass(frozen=True)
class Table:
    """A sheet read into text cells, with the Excel row number of each data row."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str  # utf-8, utf-8-sig, gbk, gb18030 or xlsx


# --- reading ------------------------------------------------------------------


def clean_text(value: Any) -> str:
    """A cell as normalised text: NFKC (full-width digits and letters to ASCII), outer spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = int(value) if value.is_integer() else value
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def normalise_header(text: str) -> str:
    """A header as the alias tables spell it: NFKC, no spaces or required-markers (*), lower case."""
    return _SPACES.sub("", clean_text(text)).strip("*＊:：").lower()


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name of a CSV: UTF-8 (BOM or not), else GBK, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise RegistryFileError("registry.err.encoding") from None
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise RegistryFileError("registry.err.encoding")


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm"))


def read_table(data: bytes, filename: str = "", limit: int | None = None, progress: Progress = None) -> Table:
    """Read the first sheet of an .xlsx, or a CSV in any of the supported encodings
    (only the first ``limit`` data rows when given, for a preview). The file is bounded before it is parsed and
    while its rows stream in (services.uploads); raises UploadRefused past a bound. ``progress(0.0)`` is called as
    a heartbeat while rows stream in (a cancelled import stops there)."""
    heartbeat = (lambda: progress(0.0)) if progress is not None else None
    if not data:
        raise RegistryFileError("registry.err.empty")
    bounds = uploads.check_table(data, filename)
    if is_xlsx(data, filename):
        records, encoding = _xlsx_records(data, bounds, heartbeat), "xlsx"
    else:
        text, encoding = decode(data)
        sample = text[:4096]
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        records = uploads.bounded_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), bounds,
                                       heartbeat)
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, record in enumerate(records, start=1):
        if headers is None:
            if any(str(c).strip() for c in record if c is not None):
                headers = [clean_text(c) for c in record]
            continue
        cells = [clean_text(c) for c in record]
        if any(cells):
            rows.append((number, cells))
            if limit is not None and len(rows) >= limit:
                break
    if headers is None:
        raise RegistryFileError("registry.err.empty")
    return Table(headers, rows, encoding)


def _xlsx_records(data: bytes, bounds: uploads.Bounds,
                  heartbeat: Callable[[], None] | None = None) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise RegistryFileError("registry.err.bad_xlsx") from None
    try:
        yield from uploads.xlsx_rows(book.worksheets[0], bounds, heartbeat)
    except (uploads.UploadRefused, uploads.Cancelled):
        raise
    except Exception:  # a damaged sheet inside a readable zip
        raise RegistryFileError("registry.err.bad_xlsx") from None
    finally:
        book.close()


def _control_cell(cells: Sequence[str]) -> str | None:
    """The first cell holding a NUL or another control character, shown with it replaced by □; None if none."""
    for cell in cells:
        if _CONTROL.search(cell):
            return _CONTROL.sub("□", cell)[:40]
    return None


def map_headers(headers: Sequence[str], aliases: Mapping[str, str], required: Sequence[str]) -> dict[str, int]:
    """field -> column index; raises RegistryFileError naming the missing required columns."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = aliases.get(normalise_header(header))
        if name and name not in found:
            found[name] = index
    missing = [name for name in required if name not in found]
    if missing:
        raise RegistryFileError("registry.err.missing_columns", columns=", ".join(missing))
    return found


def _getter(columns: Mapping[str, int]) -> Callable[[list[str], str], str]:
    def get(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    return get


# --- fields ---------------------------------------------------------------------


def normalise_phone(text: str) -> str | None:
    """A valid phone in its stored form (mobile digits, landline 0571-88123456), else None."""
    digits = re.sub(r"[\s\-—–()（）.]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(digits):
        area = 3 if digits[1] in "12" else 4
        number = digits[area:]
        if 7 <= len(number) <= 8:
            return f"{digits[:area]}-{number}"
    return None


def split_tags(text: str) -> list[str]:
    """Tags from one cell, split on 、,，;；/ and spaces, without duplicates."""
    out: list[str] = []
    for tag in _TAG_SPLIT.split(text):
        if tag and tag not in out:
            out.append(tag[:32])
    return out


# --- households -------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    id: int
    code: str
    name: str


@dataclass
class GridLookup:
    """The grids an importer may put households into: by unit code, or by name when unique."""

    by_code: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, grids: Sequence[Grid]) -> "GridLookup":
        lookup = cls()
        for g in grids:
            lookup.by_code[clean_text(g.code)] = g.id
            lookup.by_name.setdefault(_SPACES.sub("", clean_text(g.name)), []).append(g.id)
        return lookup


class HouseholdRecord(NamedTuple):
    row: int
    code: str
    head_name: str
    phone: str | None
    address: str | None
    grid_id: int
    members: int | None
    tags: tuple[str, ...]


@dataclass
class HouseholdParse:
    """A household registry read and checked: the good rows (as an Arrow table, columns named like
    HouseholdRecord; tags still raw split pieces) and every bad row's reasons."""

    table: Any  # pyarrow.Table
    errors: list[RowError]
    encoding: str
    total_rows: int

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def records(self) -> list[HouseholdRecord]:
        """The good rows as records (tags cleaned, deduplicated); built on demand."""
        return [HouseholdRecord(r["row"], r["code"], r["head_name"], r["phone"], r["address"], r["grid_id"],
                                r["members"], tuple(split_tags(" ".join(r["tags"] or ()))))
                for r in self.table.to_pylist()]

    def without_rows(self, rows: set[int]) -> Any:
        """The good-rows table less the given Excel row numbers."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if not rows:
            return self.table
        return self.table.filter(pc.invert(pc.is_in(self.table.column("row"), value_set=pa.array(sorted(rows), pa.int64()))))


def _columns_fast(data: bytes, filename: str) -> tuple[list[str], dict[str, Any], int, str] | None:
    """CSV through pyarrow's C++ reader: (headers, column arrays, row count, encoding), or None when the
    file needs the careful reader (xlsx, blank lines that must keep their Excel row numbers, ragged rows)."""
    if is_xlsx(data, filename):
        return None
    import pyarrow as pa
    from pyarrow import csv as pacsv

    text, encoding = decode(data)
    if _BLANK_LINE.search(text):
        return None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    uploads.check_columns(first.count(delimiter) + 1, uploads.HOUSEHOLDS_CSV)
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(first.count(delimiter) + 1)},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows == 0:
        raise RegistryFileError("registry.err.empty")
    headers = [clean_text(v) for v in table.slice(0, 1).to_pylist()[0].values()]
    body = table.slice(1)
    uploads.check_rows(body.num_rows, uploads.HOUSEHOLDS_CSV)
    columns = {name: body.column(i).combine_chunks() for i, name in enumerate(headers)}
    return headers, columns, body.num_rows, encoding


def _columns_careful(data: bytes, filename: str, progress: Progress = None) -> tuple[list[str], dict[str, Any], list[int], str]:
    import pyarrow as pa

    table = read_table(data, filename, progress=progress)
    width = len(table.headers)
    cells = [(cells + [""] * width)[:width] for _, cells in table.rows]
    columns = {name: pa.array([row[i] for row in cells], pa.string()) for i, name in enumerate(table.headers)}
    return table.headers, columns, [number for number, _ in table.rows], table.encoding


def parse_households(data: bytes, filename: str, grids: GridLookup, progress: Progress = None) -> HouseholdParse:
    """Read and check a household registry; raises RegistryFileError when the file itself is unusable.

    Set-based (Arrow compute kernels over whole columns) so that 600,000 rows check in seconds; only
    bad rows become Python objects one by one.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    step = progress or (lambda _fraction: None)
    step(0.0)
    if not data:
        raise RegistryFileError("registry.err.empty")
    if uploads.check_table(data, filename, csv=uploads.HOUSEHOLDS_CSV) is uploads.HOUSEHOLDS_CSV:
        fast = _columns_fast(data, filename)
    else:
        fast = None
    if fast is not None:
        headers, raw, count, encoding = fast
        row_numbers = np.arange(2, count + 2, dtype=np.int64)
    else:
        headers, raw, numbers, encoding = _columns_careful(data, filename, step)
        row_numbers = np.array(numbers, dtype=np.int64)
    columns = map_headers(headers, HOUSEHOLD_HEADERS, HOUSEHOLD_REQUIRED)
    arrays = list(raw.values())
    step(0.3)
    if fast is not None and arrays:  # drop rows with every cell blank (",,,,"), as the careful reader does
        nonblank = None
        for arr in arrays:
            filled = pc.not_equal(pc.utf8_trim_whitespace(pc.fill_null(arr, "")), "")
            nonblank = filled if nonblank is None else pc.or_(nonblank, filled)
        keep = nonblank.to_numpy(zero_copy_only=False).astype(bool)
        if not keep.all():
            mask = pa.array(keep)
            arrays = [pc.filter(a, mask) for a in arrays]
            row_numbers = row_numbers[keep]
    n = len(row_numbers)

    def text(name: str) -> pa.Array:
        index = columns.get(name)
        if index is None:
            return pa.array([""] * n, pa.string())
        return pc.utf8_trim_whitespace(pc.utf8_normalize(pc.fill_null(arrays[index], ""), form="NFKC"))

    def flags(arr: pa.Array) -> np.ndarray:
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)

    def lookup(keys: pa.Array, table: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """(found, ids) of each key in ``table``."""
        if not table:
            return np.zeros(n, bool), np.zeros(n, np.int64)
        at = pc.index_in(keys, value_set=pa.array(list(table), pa.string()))
        found = flags(pc.is_valid(at))
        ids = np.array(list(table.values()), dtype=np.int64)[np.asarray(pc.fill_null(at, 0).to_numpy(zero_copy_only=False))]
        return found, ids

    code = pc.replace_substring(text("code"), " ", "")
    name, grid_text, phone_text = text("head_name"), text("grid"), text("phone")
    members_text, address, tags_text = text("members"), text("address"), text("tags")
    step(0.5)

    missing_code = flags(pc.equal(code, ""))
    position = np.asarray(pc.index_in(code, value_set=pc.unique(code)).to_numpy(zero_copy_only=False))
    _, first_positions = np.unique(position, return_index=True)
    first_of = first_positions[position]
    duplicate = (first_of != np.arange(n)) & ~missing_code
    missing_name = flags(pc.equal(name, ""))
    long_name = np.asarray(pc.utf8_length(name).to_numpy(zero_copy_only=False)) > MAX_HEAD_NAME
    long_address = np.asarray(pc.utf8_length(address).to_numpy(zero_copy_only=False)) > MAX_ADDRESS
    control = np.zeros(n, dtype=bool)
    control_column: dict[int, str] = {}  # row position -> header of the first cell with a control character
    for header, arr in zip(headers, arrays):
        hit = flags(pc.match_substring_regex(pc.fill_null(arr, ""), CONTROL_CHARACTERS))
        for i in np.flatnonzero(hit & ~control).tolist():
            control_column[i] = header
        control |= hit

    missing_grid = flags(pc.equal(grid_text, ""))
    by_code, code_ids = lookup(grid_text, grids.by_code)
    name_key = pc.replace_substring_regex(grid_text, r"\s+", "")
    by_name, name_ids = lookup(name_key, {k: v[0] for k, v in grids.by_name.items() if len(v) == 1})
    shared, _ = lookup(name_key, {k: 0 for k, v in grids.by_name.items() if len(v) > 1})
    grid_id = np.where(by_code, code_ids, name_ids)
    no_grid = ~by_code & ~by_name & ~missing_grid
    ambiguous = no_grid & shared
    unknown = no_grid & ~shared

    digits = pc.replace_substring_regex(phone_text, r"[\s\-—–()（）.]", "")
    plus = pc.starts_with(digits, "+86")
    digits = pc.if_else(plus, pc.utf8_slice_codeunits(digits, 3), digits)
    country = pc.and_(pc.and_(pc.invert(plus), pc.starts_with(digits, "86")), pc.equal(pc.utf8_length(digits), 13))
    digits = pc.if_else(country, pc.utf8_slice_codeunits(digits, 2), digits)
    mobile = flags(pc.match_substring_regex(digits, r"^1[3-9][0-9]{9}$"))
    landline = flags(pc.match_substring_regex(digits, r"^0[0-9]{9,11}$"))
    short_area = pc.is_in(pc.utf8_slice_codeunits(digits, 1, 2), value_set=pa.array(["1", "2"]))
    rest = pc.utf8_length(digits).to_numpy(zero_copy_only=False) - np.where(flags(short_area), 3, 4)
    landline = landline & (rest >= 7) & (rest <= 8)
    formatted = pc.if_else(
        short_area,
        pc.binary_join_element_wise(pc.utf8_slice_codeunits(digits, 0, 3), pc.utf8_slice_codeunits(digits, 3), "-"),
        pc.binary_join_element_wise(pc.utf8_slice_codeunits(digits, 0, 4), pc.utf8_slice_codeunits(digits, 4), "-"))
    bad_phone = flags(pc.not_equal(phone_text, "")) & ~mobile & ~landline
    phone = pc.if_else(pa.array(mobile), digits, pc.if_else(pa.array(landline), formatted, pa.scalar(None, pa.string())))

    has_members = flags(pc.not_equal(members_text, ""))
    members_ok = flags(pc.match_substring_regex(members_text, r"^[0-9]{1,6}(\.0+)?$")) & has_members
    members_num = pc.cast(pc.if_else(pa.array(members_ok), pc.replace_substring_regex(members_text, r"\.0+$", ""), "0"),
                          pa.int64()).to_numpy(zero_copy_only=False)
    bad_members = has_members & (~members_ok | (members_num < 1) | (members_num > MAX_MEMBERS))
    step(0.7)

    rules_in_order = [
        (missing_code, "missing_code", None), (duplicate, "duplicate_code", code),
        (missing_name, "missing_name", None), (missing_grid, "missing_grid", None),
        (unknown, "unknown_grid", grid_text), (ambiguous, "ambiguous_grid", grid_text),
        (bad_phone, "bad_phone", phone_text), (bad_members, "bad_members", members_text),
        (control, "control_char", None),
        (long_name, "too_long", None), (long_address, "too_long", None),
    ]
    found: list[tuple[int, int, str, str]] = []
    bad = np.zeros(n, dtype=bool)
    for order, (mask, reason, values) in enumerate(rules_in_order):
        bad |= mask
        for i in np.flatnonzero(mask).tolist():
            value = "" if values is None else str(values[i].as_py())
            if reason == "duplicate_code":
                value = f"{value} ({int(row_numbers[first_of[i]])})"
            elif reason == "control_char":
                value = control_column[i]
            elif reason == "too_long":
                field_name, text_of, limit = ("head_name", name, MAX_HEAD_NAME) if mask is long_name else (
                    "address", address, MAX_ADDRESS)
                value = f"{headers[columns[field_name]]}: {len(text_of[i].as_py())}/{limit}"
            found.append((int(row_numbers[i]), order, reason, value))
    found.sort()
    errors = [RowError(row, reason, value) for row, _, reason, value in found]

    good = pa.array(~bad)
    members_col = pa.array(np.where(has_members, members_num, 0)).cast(pa.int32())
    table = pa.table({
        "row": pa.array(row_numbers, pa.int64()),
        "code": code,
        "head_name": name,
        "phone": phone,
        "address": pc.if_else(pc.equal(address, ""), pa.scalar(None, pa.string()), address),
        "grid_id": pa.array(grid_id, pa.int64()),
        "members": pc.if_else(pc.equal(members_col, 0), pa.scalar(None, pa.int32()), members_col),
        "tags": pc.split_pattern_regex(tags_text, r"[、,，;；/\s]+"),
    }).filter(good)
    step(1.0)
    return HouseholdParse(table, errors, encoding, n)


# --- org tree ---------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRecord:
    row: int
    code: str
    name: str
    parent_code: str | None
    level: int


@dataclass
class UnitParse:
    records: list[UnitRecord]  # parents before children
    errors: list[RowError]
    encoding: str
    total_rows: int

    @property
    def ok(self) -> bool:
        return not self.errors


def _level(text: str) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    key = _SPACES.sub("", text).replace("（", "(").replace("）", ")").lower()
    return LEVEL_WORDS.get(key)


def parse_units(data: bytes, filename: str, existing: Mapping[str, int], max_level: int = 4,
                progress: Progress = None) -> UnitParse:
    """Read an org tree (编码/名称/上级编码/层级). ``existing`` maps codes already in the database to their level.

    Rows may come in any order; they are returned parents first. A row without
    上级编码 is a root. The level, when given, must be the parent's plus one.
    """
    table = read_table(data, filename, progress=progress)
    columns = map_headers(table.headers, UNIT_HEADERS, UNIT_REQUIRED)
    get = _getter(columns)
    errors: list[RowError] = []
    pending: dict[str, tuple[int, str, str | None, int | None]] = {}
    for number, cells in table.rows:
        code, name, parent = get(cells, "code").replace(" ", ""), get(cells, "name"), get(cells, "parent").replace(" ", "")
        level_text = get(cells, "level")
        level = _level(level_text)
        bad = False
        shown = _control_cell(cells)
        if shown is not None:
            errors.append(RowError(number, "control_char", shown)); bad = True
        if not code:
            errors.append(RowError(number, "missing_code")); bad = True
        elif code in pending:
            errors.append(RowError(number, "duplicate_code", f"{code} ({pending[code][0]})")); bad = True
        if not name:
            errors.append(RowError(number, "missing_name")); bad = True
        if level_text and (level is None or not 1 <= level <= max_level):
            errors.append(RowError(number, "bad_level", level_text)); bad = True
        if len(name) > MAX_UNIT_NAME:
            errors.append(RowError(number, "too_long", f"{len(name)}/{MAX_UNIT_NAME}")); bad = True
        if parent and parent == code:
            errors.append(RowError(number, "unknown_parent", parent)); bad = True
        if not bad:
            pending[code] = (number, name, parent or None, level)
    records: list[UnitRecord] = []
    levels: dict[str, int] = dict(existing)
    placed: set[str] = set()
    remaining = dict(pending)
    while remaining:
        progressed = False
        for code, (number, name, parent, level) in list(remaining.items()):
            if parent is not None and parent not in levels:
                if parent in remaining:
                    continue  # its parent comes later in the file
                errors.append(RowError(number, "unknown_parent", parent))
                del remaining[code]
                progressed = True
                continue
            expected = levels[parent] + 1 if parent is not None else (level or 1)
            if (level is not None and level != expected) or expected > max_level:
                errors.append(RowError(number, "bad_level", str(level or expected)))
                del remaining[code]
                progressed = True
                continue
            levels[code] = expected
            placed.add(code)
            records.append(UnitRecord(number, code, name, parent, expected))
            del remaining[code]
            progressed = True
        if not progressed:  # a cycle: every remaining row waits on another
            for code, (number, _, parent, _) in remaining.items():
                errors.append(RowError(number, "unknown_parent", parent or ""))
            break
    errors.sort(key=lambda e: e.row)
    return UnitParse(records, errors, table.encoding, len(table.rows))


# --- the filled paper visit sheet ---------------------------------------------------------


@dataclass(frozen=True)
class SheetVisit:
    row: int
    household_code: str
    visited_on: dt.date
    outcome: str
    satisfaction: int | None
    category: str | None
    description: str | None
    urgency: str
    follow_up: bool
    note: str | None


@dataclass
class SheetParse:
    visits: list[SheetVisit]
    errors: list[RowError]
    skipped: int  # rows left blank (no outcome): not visited yet
    total_rows: int

    @property
    def ok(self) -> bool:
        return not self.errors


def _date(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    text = text.split(" ")[0].split("T")[0]
    try:
        year, month, day = (int(p) for p in text.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_visit_sheet(
    data: bytes,
    filename: str,
    households: Mapping[str, int],
    *,
    categories: Sequence[str],
    today: dt.date,
    window: tuple[dt.date, dt.date] | None = None,
) -> SheetParse:
    """Read a filled 补课访/回头访 sheet. ``households`` maps the codes the importer may record visits for.

    Rows without a 走访结果 are skipped (not visited yet); every other row is
    checked (household, date not in the future and inside ``window``, outcome,
    satisfaction word, category from the configured list with a description).
    """
    return parse_visit_table(read_table(data, filename), households, categories=categories, today=today,
                             window=window)


def parse_visit_table(
    table: Table,
    households: Mapping[str, int],
    *,
    categories: Sequence[str],
    today: dt.date,
    window: tuple[dt.date, dt.date] | None = None,
) -> SheetParse:
    """parse_visit_sheet for a sheet already read (the file is read once)."""
    columns = map_headers(table.headers, VISIT_SHEET_HEADERS, ("code", "outcome"))
    get = _getter(columns)
    visits: list[SheetVisit] = []
    errors: list[RowError] = []
    skipped = 0
    for number, cells in table.rows:
        outcome_text = get(cells, "outcome")
        if not outcome_text:
            skipped += 1
            continue
        row_errors: list[RowError] = []
        shown = _control_cell(cells)
        if shown is not None:
            row_errors.append(RowError(number, "control_char", shown))
        code = get(cells, "code").replace(" ", "")
        if not code:
            row_errors.append(RowError(number, "missing_code"))
        elif code not in households:
            row_errors.append(RowError(number, "unknown_household", code))
        outcome = rules.OUTCOME_BY_WORD.get(outcome_text.replace(" ", ""))
        if outcome is None:
            row_errors.append(RowError(number, "bad_outcome", outcome_text))
        date_text = get(cells, "date")
        visited_on = _date(date_text) if date_text else today
        if visited_on is None:
            row_errors.append(RowError(number, "bad_date", date_text))
        elif visited_on > today or (window and not window[0] <= visited_on <= window[1]):
            row_errors.append(RowError(number, "date_out_of_range", date_text))
        sat_text = get(cells, "satisfaction").replace(" ", "")
        satisfaction = SATISFACTION_WORDS.get(sat_text) if sat_text else None
        if sat_text and satisfaction is None:
            row_errors.append(RowError(number, "bad_satisfaction", sat_text))
        if satisfaction is not None and outcome not in (None, "met"):
            row_errors.append(RowError(number, "answers_without_meeting", outcome_text))
        category = get(cells, "category") or None
        description = get(cells, "description") or None
        if category and category not in categories:
            row_errors.append(RowError(number, "bad_category", category))
        if category and not description:
            row_errors.append(RowError(number, "missing_description"))
        if description and not category:
            row_errors.append(RowError(number, "missing_category"))
        for field_name, limit in (("description", MAX_DESCRIPTION), ("note", MAX_NOTE)):
            if len(get(cells, field_name)) > limit:
                row_errors.append(RowError(number, "too_long", f"{table.headers[columns[field_name]]}: "
                                                               f"{len(get(cells, field_name))}/{limit}"))
        urgency_text = get(cells, "urgency")
        urgency = rules.URGENCY_BY_WORD.get(urgency_text, None) if urgency_text else "normal"
        if urgency is None:
            row_errors.append(RowError(number, "bad_urgency", urgency_text))
        follow_text = get(cells, "follow_up").lower()
        if follow_text not in YES_WORDS and follow_text not in NO_WORDS:
            row_errors.append(RowError(number, "bad_follow_up", follow_text))
        if row_errors:
            errors.extend(row_errors)
            continue
        assert outcome is not None and visited_on is not None and urgency is not None
        visits.append(SheetVisit(number, code, visited_on, outcome, satisfaction, category,
                                 description, urgency, follow_text in YES_WORDS, get(cells, "note") or None))
    return SheetParse(visits, errors, skipped, len(table.rows))
