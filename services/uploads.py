"""Bounds on every uploaded file, checked before it is parsed: size, zip directory, rows, columns and cells.

An .xlsx is a zip: its directory states every member's compressed and uncompressed size, and Python's zipfile
never inflates a member past the size stated there (a lying directory only gets a CRC error). So a zip bomb is
refused from the directory alone, before one byte is inflated. Rows are then streamed (openpyxl read-only) and
counted, so a sheet that claims a huge dimension or has rows far apart cannot be padded into memory either.

Refusals raise UploadRefused with an i18n key (``upload.err.*``) and its parameters; pages and the CLI show it in
the user's language. Long imports run as an ImportJob on a thread of their own, one at a time, with progress and a
cancel. Nothing here touches the database or Streamlit.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class Bounds:
    """What one kind of upload may hold. ``max_ratio`` applies to zip members larger than ``ratio_floor`` bytes."""

    kind: str  # table or xlsform
    max_bytes: int
    max_uncompressed: int = 0  # total of the zip members; 0 for text formats
    # openpyxl reads the shared strings into Python objects as it opens the workbook, before any row streams
    max_shared_strings: int = 0
    max_ratio: int = 100
    ratio_floor: int = 4 * MIB
    max_rows: int = 0
    max_columns: int = 0
    max_cells: int = 0


# Registries, org trees, filled visit sheets, paper responses and subject lists, read into Python cells: measured
# ~300 bytes of peak memory per cell (the cells, then their columns), so 500,000 cells (~70,000 households of 7
# columns) cost ~150 MB on top of the server (70,000 households: 153 MB, 19 s on a busy 2-core machine). The
# household registry as CSV goes through pyarrow's C++ reader instead (600,000 households in seconds, compact
# columns), so it may be larger; the messages point there.
TABLE_CSV = Bounds("table", max_bytes=16 * MIB, max_rows=100_000, max_columns=200, max_cells=500_000)
TABLE_XLSX = Bounds("table", max_bytes=32 * MIB, max_uncompressed=96 * MIB, max_shared_strings=32 * MIB,
                    max_rows=100_000, max_columns=200, max_cells=500_000)
HOUSEHOLDS_CSV = Bounds("table", max_bytes=64 * MIB, max_rows=1_000_000, max_columns=200)
# Each paper row becomes a response held in memory until the one transaction that stores them all.
PAPER_ROWS = 20_000
# An XLSForm's rows and columns are bounded where its sheets are read (surveys.xlsform.XLSFORM_MAX_ROWS).
XLSFORM = Bounds("xlsform", max_bytes=8 * MIB, max_uncompressed=32 * MIB, max_shared_strings=8 * MIB)
# Streamlit refuses anything above server.maxUploadSize (MB) before a script sees it; keep it at the largest bound.
# (A YAML survey is bounded by surveys.constants.MAX_SURVEY_FILE_BYTES, surveys by their question and choice counts.)
MAX_UPLOAD_MB = max(b.max_bytes for b in (TABLE_CSV, TABLE_XLSX, HOUSEHOLDS_CSV, XLSFORM)) // MIB


class UploadRefused(ValueError):
    """The file is larger than its kind may be; ``code`` is an i18n key, ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _mb(n: int) -> str:
    return f"{n / MIB:.0f}" if n >= MIB else f"{n / MIB:.1f}"


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def check_size(data: bytes, bounds: Bounds) -> None:
    """Refuse a file above ``bounds.max_bytes``."""
    if len(data) > bounds.max_bytes:
        raise UploadRefused("upload.err.too_big", size=_mb(len(data)), limit=_mb(bounds.max_bytes))


def check_zip(data: bytes, bounds: Bounds) -> None:
    """Refuse a workbook whose zip directory says it inflates past the bounds (total, or one member's ratio).
    A file that is not a readable zip passes: the parser reports it as not a workbook."""
    check_size(data, bounds)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    total = 0
    for member in members:
        total += member.file_size
        if member.filename.lower().endswith("sharedstrings.xml") and member.file_size > bounds.max_shared_strings:
            raise UploadRefused("upload.err.unpacked_too_big", size=_mb(member.file_size),
                                limit=_mb(bounds.max_shared_strings))
        if member.file_size > bounds.ratio_floor and member.file_size > bounds.max_ratio * max(member.compress_size, 1):
            raise UploadRefused("upload.err.zip_ratio", ratio=member.file_size // max(member.compress_size, 1),
                                limit=bounds.max_ratio)
    if total > bounds.max_uncompressed:
        raise UploadRefused("upload.err.unpacked_too_big", size=_mb(total), limit=_mb(bounds.max_uncompressed))


def check_text(data: bytes, bounds: Bounds) -> None:
    """Refuse a text file (CSV, YAML) above its size bound."""
    check_size(data, bounds)


def check_rows(count: int, bounds: Bounds) -> None:
    """Refuse a table with more data rows than ``bounds.max_rows``."""
    if count > bounds.max_rows:
        raise UploadRefused("upload.err.too_many_rows", limit=bounds.max_rows)


def check_columns(count: int, bounds: Bounds) -> None:
    if count > bounds.max_columns:
        raise UploadRefused("upload.err.too_many_columns", limit=bounds.max_columns)


HEARTBEAT_ROWS = 5_000


def bounded_rows(records: Iterable[Sequence[Any]], bounds: Bounds,
                 heartbeat: Callable[[], None] | None = None) -> Iterator[Sequence[Any]]:
    """``records`` (a csv.reader, an openpyxl row iterator) passed on one by one, counted: more rows (blank ones
    included, the header row not), columns or cells than ``bounds`` allow raise UploadRefused as soon as they are
    reached, before the next row is read. Trailing empty cells are dropped and not counted. ``heartbeat`` is called
    every HEARTBEAT_ROWS rows (an ImportJob's cancel takes effect there)."""
    rows = cells = 0
    for record in records:
        rows += 1
        if heartbeat is not None and rows % HEARTBEAT_ROWS == 0:
            heartbeat()
        if rows > bounds.max_rows + 1:
            raise UploadRefused("upload.err.too_many_rows", limit=bounds.max_rows)
        width = len(record)
        if record.count(None) + record.count("") == width:  # a blank row (fast: a sheet may have 200,000)
            width = 0
        while width and (record[width - 1] is None or record[width - 1] == ""):
            width -= 1
        if width > bounds.max_columns:
            raise UploadRefused("upload.err.too_many_columns", limit=bounds.max_columns)
        cells += width
        if bounds.max_cells and cells > bounds.max_cells:
            raise UploadRefused("upload.err.too_many_cells", limit=bounds.max_cells)
        yield record[:width]


def xlsx_rows(sheet: Any, bounds: Bounds, heartbeat: Callable[[], None] | None = None) -> Iterator[Sequence[Any]]:
    """The rows of an openpyxl read-only worksheet as value tuples, streamed through bounded_rows. The stored
    dimension is ignored (it may claim A1:XFD1048576 and have every row padded to it); a sheet that jumps to row
    1,048,576 yields blank rows that count."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    yield from bounded_rows(sheet.iter_rows(values_only=True, max_col=bounds.max_columns + 1,
                                            max_row=bounds.max_rows + 2), bounds, heartbeat)


def check_table(data: bytes, filename: str = "", csv: Bounds | None = None) -> Bounds:
    """The bounds of a table upload (CSV or .xlsx, ``csv`` for a CSV read by a compact reader) after checking what
    can be checked before parsing: the size, and for a workbook its zip directory."""
    if is_zip(data) or filename.lower().endswith((".xlsx", ".xlsm")):
        check_zip(data, TABLE_XLSX)
        return TABLE_XLSX
    bounds = csv or TABLE_CSV
    check_text(data, bounds)
    return bounds


# --- long imports off the script thread ---------------------------------------------------------------------------

# Imports are CPU-bound Python; two at once would take both cores from the residents. One runs at a time per
# process, the others wait their turn (their page says so).
_IMPORT_SLOT = threading.BoundedSemaphore(1)
# A job whose page has stopped asking after it (the tab was closed) stops at its next step; nothing is written.
ABANDON_SECONDS = 60.0


class Cancelled(Exception):
    """The import was cancelled (or its page went away); a transaction in progress rolled back."""


class ImportJob:
    """One import run on a thread of its own. ``work(progress)`` reports fractions through ``progress``; after a
    cancel, or once the page has not looked for ABANDON_SECONDS, that call raises Cancelled, so the work stops at its
    next step and a transaction it is inside rolls back. The page polls ``progress`` and takes ``outcome()``."""

    def __init__(self, work: Callable[[Callable[[float], None]], Any], *, label: str = "import") -> None:
        self._work = work
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self.progress = 0.0
        self.waiting = True  # for another import to finish
        self.result: Any = None
        self.error: BaseException | None = None
        self.last_seen = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"minyi-{label}", daemon=True)

    def start(self) -> "ImportJob":
        self._thread.start()
        return self

    def _report(self, fraction: float) -> None:
        if self._cancel.is_set() or time.monotonic() - self.last_seen > ABANDON_SECONDS:
            raise Cancelled()
        self.progress = max(self.progress, min(max(fraction, 0.0), 1.0))

    def _run(self) -> None:
        try:
            with _IMPORT_SLOT:
                self.waiting = False
                self._report(0.0)
                self.result = self._work(self._report)
        except BaseException as exc:  # handed to the page's script thread by outcome()
            self.error = exc
        finally:
            self._finished.set()

    def seen(self) -> None:
        """The page is still showing this job."""
        self.last_seen = time.monotonic()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the job to finish; True if it has."""
        return self._finished.wait(seconds)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def cancelled(self) -> bool:
        return isinstance(self.error, Cancelled)

    def outcome(self) -> Any:
        """The work's result, or its exception raised here (on the caller's thread)."""
        if self.error is not None:
            raise self.error
        return self.result
