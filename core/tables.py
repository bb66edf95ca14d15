"""The one table reader: CSV and XLSX files as rows of cells, for the inventory import
(catalog.imports), the validation and disclosure check (catalog.tabular_validation,
catalog.disclosure) and the portal's preview and conversion. Model-free; it imports no
app, and the callers turn its errors into their own messages.

Every pass is bounded (TableLimits, settings TABLE_MAX_*): rows (empty ones count), cells,
the unpacked bytes of each archive member read, the shared strings, the length of a CSV
line and the wall-clock seconds. The first cap reached raises TooLarge, so a hostile file
costs at most what the caps allow, never what the file claims.

CSV: UTF-8 (with or without BOM), Windows-1252 as the fallback, decided on the first
16 KiB; a byte that is no UTF-8 later on is read as Windows-1252 (never an error). The
delimiter is named by Excel's hint line ("sep=;", which is no row), otherwise it is the
most frequent of ; , tab | in the first line (";" on a tie).

XLSX: the first worksheet, read in one streaming pass over the zip without openpyxl's
loader: every XML element is dropped as soon as it has been read, so memory does not
grow with the sheet (see _parse). Cells keep their types (int when integral, float, bool, datetime
for date formats, str; formulas give their cached value); gaps in a row are None, and
rows skipped by their reference (r="…") are yielded as empty rows, one by one.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import struct
import time
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as day_time
from typing import IO
from xml.parsers import expat as pyexpat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

# How much of a file's start decides its encoding and delimiter when it is streamed.
SNIFF_BYTES = 16 * 1024
DELIMITERS = (";", ",", "\t", "|")
# csv's field limit is process-wide: it is set here once, to Python's own default, so
# that a quoted field spanning many lines cannot grow beyond it in any reader of this
# process (the line cap in TableLimits bounds unquoted text).
MAX_FIELD_CHARS = 128 * 1024
csv.field_size_limit(MAX_FIELD_CHARS)
# Excel's own bounds: a reference beyond them is no spreadsheet a program wrote.
MAX_EXCEL_ROWS = 1_048_576
MAX_EXCEL_COLUMNS = 16_384
# The small parts of a workbook (relationships, workbook.xml, styles) and the zip's
# central directory have their own caps: real ones are far smaller.
MAX_PART_BYTES = 16 * 2**20
MAX_ZIP_DIRECTORY_BYTES = 4 * 2**20


class TableError(Exception):
    """The file cannot be read as a table; the cause is chained (`__cause__`). For a CSV
    file, `line` is the line where reading stopped (else None)."""

    line: int | None = None


class NoSheetError(TableError):
    """An XLSX workbook without a sheet."""


class TooLarge(TableError):
    """Reading stopped at a cap (TableLimits): `limit` names which one ("rows", "cells",
    "bytes", "seconds"), `cap` is its value. The callers say so in German.

    "bytes" is an XLSX member unpacked beyond its cap, or, for CSV, a line or a field
    longer than `cap` characters; "cells" is also the cap on an XLSX's shared strings."""

    def __init__(self, limit: str, cap: int):
        super().__init__(f"{limit} > {cap}")
        self.limit, self.cap = limit, cap


@dataclass(frozen=True)
class TableLimits:
    """What one pass over a table may cost (settings TABLE_MAX_*)."""

    rows: int
    cells: int
    unpacked_bytes: int
    seconds: float
    # Shared strings are held in memory for the whole pass: their count and bytes.
    shared_strings: int = 1_000_000
    shared_strings_bytes: int = 64 * 2**20
    # A CSV line longer than this is not read (a file without newlines would be one line).
    line_chars: int = 2**20

    @classmethod
    def from_settings(cls) -> TableLimits:
        from django.conf import settings  # the reader itself needs no Django

        defaults = cls(rows=0, cells=0, unpacked_bytes=0, seconds=0)
        return cls(
            rows=settings.TABLE_MAX_ROWS,
            cells=settings.TABLE_MAX_CELLS,
            unpacked_bytes=settings.TABLE_MAX_UNPACKED_BYTES,
            seconds=settings.TABLE_MAX_SECONDS,
            shared_strings=getattr(settings, "TABLE_MAX_SHARED_STRINGS", defaults.shared_strings),
            shared_strings_bytes=getattr(settings, "TABLE_MAX_SHARED_STRINGS_BYTES", defaults.shared_strings_bytes),
            line_chars=getattr(settings, "TABLE_MAX_LINE_CHARS", defaults.line_chars),
        )


class _Clock:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TooLarge("seconds", int(self.seconds))


def read_rows(binary: IO[bytes], file_format: str, limits: TableLimits | None = None) -> Iterator[list]:
    """The rows of a CSV or XLSX file (`file_format` "CSV" or "XLSX"), the header first,
    streamed within `limits` (default: the settings). Every row counts, empty ones too.
    XLSX cells keep their types (int, float, bool, datetime, str, None); CSV cells are
    text. Raises TooLarge at the first cap reached, TableError if the file is no table."""
    limits = limits or TableLimits.from_settings()
    clock = _Clock(limits.seconds)
    rows = csv_rows(binary, limits) if file_format.upper() == "CSV" else xlsx_rows(binary, limits, clock)
    count = cells = 0
    try:
        for row in rows:
            count += 1
            cells += len(row)
            if count > limits.rows:
                raise TooLarge("rows", limits.rows)
            if cells > limits.cells:
                raise TooLarge("cells", limits.cells)
            if count % 1024 == 0:
                clock.check()
            yield row
    finally:
        rows.close()


# -- CSV --------------------------------------------------------------------------------


def _utf8_or_cp1252(error: UnicodeError):
    """A byte that is no UTF-8 in a file that began as UTF-8 (an edit in another program)
    is read as Windows-1252, the fallback of the whole reader; undefined bytes become �."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


FALLBACK_ERRORS = "core.tables.utf8-or-cp1252"
codecs.register_error(FALLBACK_ERRORS, _utf8_or_cp1252)


def encoding_of(sample: bytes, *, complete: bool = False) -> str:
    """ "utf-8-sig" if `sample` is UTF-8 (a BOM is dropped while decoding), else "cp1252".
    Unless the sample is the `complete` file, a multi-byte character cut off at its end
    still counts as UTF-8."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if complete or error.start < len(sample) - 3:
            return "cp1252"
    return "utf-8-sig"


def decode(data: bytes) -> str:
    """A whole CSV file as text (see encoding_of). Raises UnicodeDecodeError: its
    `encoding` is "utf-8" for a file with a BOM that is no valid UTF-8, otherwise the
    file is not Windows-1252 either."""
    return data.decode(encoding_of(data, complete=True))


def dialect_of(start: str) -> tuple[str, bool]:
    """(delimiter, whether the first line is Excel's hint line) from the text's start."""
    first_line = start.splitlines()[0] if start else ""
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        return first_line[4], True
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    return max(counts, key=lambda delimiter: (counts[delimiter], delimiter == ";")), False


@dataclass(frozen=True)
class CsvDialect:
    """What the start of a CSV file says about it: `encoding` "utf-8-sig" (with or
    without a BOM, `bom` tells) or "cp1252", the `delimiter`, and whether the first line
    is Excel's `hint` line."""

    encoding: str
    delimiter: str
    hint: bool
    bom: bool


def sniff_csv(binary: IO[bytes]) -> CsvDialect:
    """The dialect of a CSV file opened in binary mode, from its first 16 KiB; the file
    is left at its start."""
    binary.seek(0)
    head = binary.read(SNIFF_BYTES)
    binary.seek(0)
    encoding = encoding_of(head)
    delimiter, hint = dialect_of(head.decode(encoding, errors="ignore"))
    return CsvDialect(encoding, delimiter, hint, head.startswith(codecs.BOM_UTF8))


def csv_reader(stream: IO[str], start: str):
    """A csv.reader over a text stream opened with newline="", whose dialect `start` (the
    text's beginning) decides; the hint line is skipped. Its `line_num` locates errors."""
    delimiter, hint = dialect_of(start)
    if hint:
        stream.readline()
    return csv.reader(stream, delimiter=delimiter)


def text_rows(text: str):
    """A csv.reader over a decoded CSV file."""
    return csv_reader(io.StringIO(text, newline=""), text[:SNIFF_BYTES])


def _bounded_lines(text: IO[str], cap: int) -> Iterator[str]:
    # readline(size) stops after `size` characters, so a file without newlines is never
    # read whole; csv joins the lines of a quoted field (bounded by MAX_FIELD_CHARS).
    while line := text.readline(cap + 1):
        if len(line) > cap and not line.endswith(("\n", "\r")):
            raise TooLarge("bytes", cap)
        yield line


def csv_rows(binary: IO[bytes], limits: TableLimits | None = None) -> Iterator[list[str]]:
    """The rows of a CSV file opened in binary mode, streamed, each line within
    `limits.line_chars`. Raises TooLarge for a line or field too long, TableError (with
    `line`) for a file the csv module cannot parse."""
    line_chars = limits.line_chars if limits else TableLimits.line_chars
    dialect = sniff_csv(binary)
    text = io.TextIOWrapper(binary, encoding=dialect.encoding, errors=FALLBACK_ERRORS, newline="")
    lines = _bounded_lines(text, line_chars)
    try:
        if dialect.hint:
            next(lines, None)
        reader = csv.reader(lines, delimiter=dialect.delimiter)
        try:
            yield from reader
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise TooLarge("bytes", MAX_FIELD_CHARS) from error
            failure = TableError(str(error))
            failure.line = reader.line_num
            raise failure from error
    finally:
        text.detach()


# -- XLSX -------------------------------------------------------------------------------
# Parsed with expat's callbacks directly, not ElementTree: no element object is ever
# built, so nothing parsed is kept beyond the row being read, and it is several times
# faster than iterparse (a cap of a million rows is reached in seconds).

_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "Strict Open XML" workbooks
    "http://schemas.openxmlformats.org/package/2006/relationships",
)
_LOCAL = {
    f"{namespace}}}{name}": name
    for namespace in _NAMESPACES
    for name in (
        "row", "c", "v", "t", "is", "rPh", "si", "sheetData", "sheet", "workbookPr", "Relationship",
        "numFmt", "cellXfs", "xf",
    )
}  # fmt: skip
CHUNK_BYTES = 64 * 1024


class _Done(Exception):
    """A handler has read all it needs; the rest of the member is not parsed."""


def _refuse_dtd(*_args):
    raise TableError("DOCTYPE in a workbook part")


def _parse(archive: zipfile.ZipFile, name: str, cap: int, clock: _Clock, start, end, text=None) -> Iterator[None]:
    """Feed a member's XML to expat in chunks, with `start(tag, attributes)`, `end(tag)`
    and `text(data)` called (a tag is "namespace}name", _LOCAL names it); yields after
    each chunk so that the caller can hand on what its callbacks collected. At most `cap`
    bytes are unpacked: refused at once if the zip says more, counted while reading in
    case its headers lie.

    Any DOCTYPE is refused (as defusedxml's forbid_dtd does): no valid XLSX part has one,
    so entity expansion ("billion laughs") and external entities cannot happen, whatever
    the expat version in use (2.4.1+ would also limit the amplification)."""
    info = archive.getinfo(name)
    if info.file_size > cap:
        raise TooLarge("bytes", cap)
    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    count = 0
    with archive.open(info) as member:
        try:
            while chunk := member.read(CHUNK_BYTES):
                count += len(chunk)
                if count > cap:
                    raise TooLarge("bytes", cap)
                clock.check()
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
        except _Done:
            pass
    yield


def _drain(steps: Iterator[None]) -> None:
    for _step in steps:
        pass


def _relationships(archive: zipfile.ZipFile, part: str, clock: _Clock) -> dict[str, tuple[str, str]]:
    """{id: (type's last word, member name)} of a part's relationships (may be empty)."""
    folder, file_name = posixpath.split(part)
    name = posixpath.join(folder, "_rels", f"{file_name}.rels")
    found: dict[str, tuple[str, str]] = {}
    if name not in archive.NameToInfo:
        return found

    def start(tag, attributes):
        local = _LOCAL.get(tag)
        if local == "Relationship" and attributes.get("TargetMode") != "External":
            target = attributes.get("Target", "")
            if target.startswith("/"):
                target = target.lstrip("/")
            else:
                target = posixpath.normpath(posixpath.join(folder, target))
            found[attributes.get("Id", "")] = (attributes.get("Type", "").rsplit("/", 1)[-1], target)

    _drain(_parse(archive, name, MAX_PART_BYTES, clock, start, lambda tag: None))
    return found


@dataclass
class _Workbook:
    sheet: str
    epoch: datetime
    shared_strings: list[str]
    date_styles: bytearray  # per cell style (xf): 0 no date, 1 date, 2 duration


class _Texts:
    """Collects the <t> runs of the current string item (si or is), phonetic runs (rPh)
    left out."""

    def __init__(self):
        self.parts: list[str] = []
        self.inside_t = False
        self.phonetic = 0

    def start(self, local):
        if local == "t" and not self.phonetic:
            self.inside_t = True
        elif local == "rPh":
            self.phonetic += 1

    def end(self, local):
        if local == "t":
            self.inside_t = False
        elif local == "rPh":
            self.phonetic -= 1

    def text(self, data):
        if self.inside_t:
            self.parts.append(data)

    def take(self) -> str:
        value = "".join(self.parts)
        self.parts = []
        return value


def _shared_strings(archive, name: str, limits: TableLimits, clock: _Clock) -> list[str]:
    strings: list[str] = []
    texts = _Texts()

    def start(tag, _attributes):
        local = _LOCAL.get(tag)
        texts.start(local)

    def end(tag):
        local = _LOCAL.get(tag)
        texts.end(local)
        if local == "si":
            strings.append(texts.take())
            if len(strings) > limits.shared_strings:
                raise TooLarge("cells", limits.shared_strings)

    cap = min(limits.unpacked_bytes, limits.shared_strings_bytes)
    _drain(_parse(archive, name, cap, clock, start, end, texts.text))
    return strings


def _date_styles(archive, name: str | None, clock: _Clock) -> bytearray:
    flags = bytearray()
    if name is None or name not in archive.NameToInfo:
        return flags
    formats = dict(BUILTIN_FORMATS)
    in_cell_styles = [False]

    def start(tag, attributes):
        local = _LOCAL.get(tag)
        if local == "numFmt":
            formats[int(attributes.get("numFmtId", "0"))] = attributes.get("formatCode", "")
        elif local == "cellXfs":
            in_cell_styles[0] = True
        elif local == "xf" and in_cell_styles[0]:
            code = formats.get(int(attributes.get("numFmtId", "0")), "General")
            flags.append(2 if is_timedelta_format(code) else 1 if is_date_format(code) else 0)

    def end(tag):
        local = _LOCAL.get(tag)
        if local == "cellXfs":
            in_cell_styles[0] = False

    _drain(_parse(archive, name, MAX_PART_BYTES, clock, start, end))
    return flags


def _open_workbook(archive: zipfile.ZipFile, limits: TableLimits, clock: _Clock) -> _Workbook:
    document = next(
        (target for kind, target in _relationships(archive, "", clock).values() if kind == "officeDocument"),
        "xl/workbook.xml",
    )
    related = _relationships(archive, document, clock)
    found = {"epoch": CALENDAR_WINDOWS_1900, "sheet": None}

    def start(tag, attributes):
        local = _LOCAL.get(tag)
        if local == "workbookPr" and attributes.get("date1904", "").lower() in ("1", "true"):
            found["epoch"] = CALENDAR_MAC_1904
        elif local == "sheet":
            identifier = next((value for key, value in attributes.items() if key.endswith("}id")), "")
            kind, target = related.get(identifier, ("", ""))
            if kind == "worksheet":
                found["sheet"] = target
                raise _Done  # the first worksheet is the table; the rest is not read

    _drain(_parse(archive, document, MAX_PART_BYTES, clock, start, lambda tag: None))
    sheet = found["sheet"]
    if sheet is None or sheet not in archive.NameToInfo:
        raise NoSheetError("no sheet")
    by_kind = dict(related.values())
    strings_part = by_kind.get("sharedStrings")
    shared = []
    if strings_part and strings_part in archive.NameToInfo:
        shared = _shared_strings(archive, strings_part, limits, clock)
    return _Workbook(sheet, found["epoch"], shared, _date_styles(archive, by_kind.get("styles"), clock))


_REFERENCE = re.compile(r"([A-Za-z]{1,3})(\d*)")


def _column(reference: str) -> int:
    """The 1-based column of a cell reference like "C5"; 0 if it names none."""
    match = _REFERENCE.match(reference)
    if not match:
        return 0
    number = 0
    for letter in match.group(1).upper():
        number = number * 26 + ord(letter) - 64
    return number


def _number(text: str) -> int | float:
    if "." in text or "e" in text or "E" in text:
        value = float(text)
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return int(text)


class _SheetReader:
    """The expat callbacks for a worksheet: `pending` collects finished rows, and for
    rows skipped by their reference the number of empty rows (an int, expanded one by
    one by the caller)."""

    def __init__(self, workbook: _Workbook):
        self.workbook = workbook
        self.pending: list = []
        self.row: list = []
        self.last_row = 0
        self.kind, self.style, self.column, self.value_text = "n", 0, 0, None
        self.in_value = False
        self.value_parts: list[str] = []
        self.texts = _Texts()

    def start(self, tag, attributes):
        local = _LOCAL.get(tag)
        if local == "c":
            reference = attributes.get("r")
            self.column = _column(reference) if reference else len(self.row) + 1
            if not 0 < self.column <= MAX_EXCEL_COLUMNS:
                raise TableError(f"cell reference {reference!r}")
            self.kind, self.style = attributes.get("t", "n"), int(attributes.get("s", "0"))
            self.value_text = None
            self.texts.parts = []
        elif local == "v":
            self.in_value, self.value_parts = True, []
        elif local == "row":
            number = int(attributes.get("r", "0") or 0)
            if number > MAX_EXCEL_ROWS:
                raise TableError(f"row reference {number}")
            if number > self.last_row + 1:
                self.pending.append(number - self.last_row - 1)
                self.last_row = number - 1
            self.row = []
        else:
            self.texts.start(local)

    def end(self, tag):
        local = _LOCAL.get(tag)
        if local == "v":
            self.in_value = False
            self.value_text = "".join(self.value_parts)
        elif local == "c":
            value = self.value()
            row, column = self.row, self.column
            if column > len(row):
                row.extend([None] * (column - 1 - len(row)))
                row.append(value)
            else:
                row[column - 1] = value
        elif local == "row":
            self.last_row += 1
            self.pending.append(self.row)
            self.row = []
        elif local == "sheetData":
            raise _Done  # what follows (merged cells, print settings) is no data
        else:
            self.texts.end(local)

    def text(self, data):
        if self.in_value:
            self.value_parts.append(data)
        else:
            self.texts.text(data)

    def value(self):
        kind, text = self.kind, self.value_text
        if kind == "inlineStr":
            return self.texts.take() or None
        if text is None:
            return None
        if kind == "s":
            return self.workbook.shared_strings[int(text)]
        if kind in ("str", "e"):  # a formula's text result, an error like "#DIV/0!"
            return text
        if kind == "b":
            return text.strip().lower() in ("1", "true")
        if kind == "d":
            return from_ISO8601(text)
        value = _number(text)
        styles = self.workbook.date_styles
        flag = styles[self.style] if self.style < len(styles) else 0
        if flag:
            try:
                return from_excel(value, self.workbook.epoch, timedelta=flag == 2)
            except (OverflowError, ValueError):
                return "#VALUE!"  # as Excel shows a date out of range
        return value


def _sheet_rows(archive: zipfile.ZipFile, workbook: _Workbook, limits: TableLimits, clock: _Clock) -> Iterator[list]:
    reader = _SheetReader(workbook)
    for _step in _parse(archive, workbook.sheet, limits.unpacked_bytes, clock, reader.start, reader.end, reader.text):
        for item in reader.pending:
            if isinstance(item, int):
                # Rows skipped by their reference are empty rows, yielded one at a time: the
                # caller's row cap stops a jump to row 1,048,576 without a million rows at once.
                for _empty in range(item):
                    yield []
            else:
                yield item
        reader.pending = []


def check_zip_directory(binary: IO[bytes], cap: int = MAX_ZIP_DIRECTORY_BYTES) -> None:
    """Raise TooLarge("bytes") if the zip's central directory is larger than `cap`:
    zipfile reads all of it into memory (a ZipInfo per member) before anything else.
    Leaves the file at its start; a file that is no zip is left to zipfile to refuse."""
    binary.seek(0, io.SEEK_END)
    size = binary.tell()
    tail_size = min(size, 22 + 65_535)
    binary.seek(size - tail_size)
    tail = binary.read(tail_size)
    binary.seek(0)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        return
    (directory_size,) = struct.unpack_from("<I", tail, end + 12)
    (entries,) = struct.unpack_from("<H", tail, end + 10)
    if (directory_size == 0xFFFFFFFF or entries == 0xFFFF) and end >= 20 and tail[end - 20 : end - 16] == b"PK\x06\x07":
        (record,) = struct.unpack_from("<Q", tail, end - 12)  # where the zip64 end record starts
        binary.seek(record)
        zip64 = binary.read(56)
        binary.seek(0)
        if len(zip64) == 56 and zip64[:4] == b"PK\x06\x06":
            (directory_size,) = struct.unpack_from("<Q", zip64, 40)
    if directory_size > cap:
        raise TooLarge("bytes", cap)


def xlsx_rows(binary: IO[bytes], limits: TableLimits | None = None, clock: _Clock | None = None) -> Iterator[list]:
    """The rows of the first worksheet of an XLSX file, as lists of cell values, each
    archive member read within `limits` (only the bytes caps apply here; read_rows adds
    the others). Raises TableError if the workbook cannot be read, NoSheetError if it has
    no worksheet, TooLarge at a cap."""
    limits = limits or TableLimits.from_settings()
    clock = clock or _Clock(limits.seconds)
    try:
        check_zip_directory(binary)
        with zipfile.ZipFile(binary) as archive:
            workbook = _open_workbook(archive, limits, clock)
            yield from _sheet_rows(archive, workbook, limits, clock)
    except TableError:
        raise
    # What a damaged or hostile archive raises on the way: a broken zip or deflate stream,
    # a missing member, XML that does not parse or declares entities, a bad number.
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, IndexError, ValueError,
            pyexpat.ExpatError, RuntimeError, struct.error) as error:  # fmt: skip
        raise TableError(f"{type(error).__name__}: {error}") from error


# -- Column types -----------------------------------------------------------------------
# The Table Schema types (frictionless' names) a column's cells fit, for the validation
# and the disclosure check. CSV cells are text; XLSX cells are typed already.

_INTEGER = re.compile(r"[+-]?\d+\Z")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\Z")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}\Z")
_BOOLEANS = {"true", "True", "TRUE", "false", "False", "FALSE"}
# The order in which a column's type is tried: the first that fits enough cells wins.
TYPE_ORDER = ("datetime", "time", "date", "integer", "number", "boolean", "year", "string")


def _parses(parse, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _fits_text(text: str, field_type: str) -> bool:
    if field_type == "integer":
        return bool(_INTEGER.match(text))
    if field_type == "number":
        return bool(_NUMBER.match(text))
    if field_type == "string":
        return True
    if field_type == "date":
        return bool(_DATE.match(text)) and _parses(date.fromisoformat, text)
    if field_type == "datetime":
        return bool(_DATETIME.match(text)) and _parses(datetime.fromisoformat, text.replace("Z", "+00:00"))
    if field_type == "time":
        return bool(_TIME.match(text)) and _parses(day_time.fromisoformat, text)
    if field_type == "boolean":
        return text in _BOOLEANS
    if field_type == "year":
        return len(text) == 4 and text.isdigit()
    return field_type == "any"


def cell_fits(value, field_type: str) -> bool:
    """Whether a non-empty cell is a valid value of `field_type` ("any" takes anything)."""
    if field_type == "any":
        return True
    if isinstance(value, str):
        return _fits_text(value, field_type)
    if isinstance(value, bool):
        return field_type == "boolean"
    if isinstance(value, int):
        return field_type in ("integer", "number") or (field_type == "year" and 1000 <= value <= 9999)
    if isinstance(value, float):
        return field_type == "number"
    if isinstance(value, datetime):
        return field_type == "datetime" or (field_type == "date" and value.time() == day_time())
    if isinstance(value, date):
        return field_type == "date"
    if isinstance(value, day_time):
        return field_type == "time"
    return False


def is_empty(value) -> bool:
    """A missing value: no cell, or an empty one."""
    return value is None or value == ""


def column_types(header: list, sample: list[list], confidence: float = 0.75) -> list[str]:
    """The type of each column from a sample of rows, as frictionless infers it: a type
    wins once its cells that fit, minus those that do not, reach `confidence` times the
    sample's rows; the types are tried in TYPE_ORDER. A column without enough values is
    "any"."""
    # Missing values lower a column's bar: a column half empty is typed by its values.
    possible = [len(sample)] * len(header)
    types: list[str | None] = [None] * len(header)
    scores = [dict.fromkeys(TYPE_ORDER, 0) for _ in header]
    for row in sample:
        for index in range(len(header)):
            value = row[index] if index < len(row) else None
            if types[index] is not None:
                continue
            if is_empty(value):
                possible[index] -= 1
                continue
            for field_type, score in scores[index].items():
                score += 1 if cell_fits(value, field_type) else -1
                scores[index][field_type] = score
                if score >= possible[index] * confidence:
                    types[index] = field_type
                    break
    return [field_type or "any" for field_type in types]


def column_names(header: list) -> list[str]:
    """Unique, non-empty names for a header's columns, for reports and JSON keys: an empty
    label is "Spalte <n>", a repeated one gets "_2", "_3", … Linear in the header's width
    (a CSV header line may hold hundreds of thousands of labels, all alike)."""
    names: list[str] = []
    seen: set[str] = set()
    next_suffix: dict[str, int] = {}
    for position, label in enumerate(header, start=1):
        name = ("" if label is None else str(label)).strip() or f"Spalte {position}"
        candidate = name
        if candidate in seen:
            suffix = next_suffix.get(name, 2)
            while (candidate := f"{name}_{suffix}") in seen:
                suffix += 1
            next_suffix[name] = suffix + 1
        seen.add(candidate)
        names.append(candidate)
    return names


class SeenRows:
    """The first row number of each distinct row, by a 64-bit hash of its cells, in two
    flat arrays (12 bytes a row, a dict would take about 100): duplicate rows of a
    million-row file are found in little memory. Hashes are Python's own (SipHash with a
    random key per process): a false duplicate needs a 64-bit collision."""

    def __init__(self):
        self._size = 1 << 16
        self._keys = array("q", bytes(8 * self._size))
        self._rows = array("I", bytes(4 * self._size))
        self._count = 0

    def first(self, cells: list, row: int) -> int | None:
        """The row number these cells were first seen in, or None (then they are remembered
        as seen in `row`)."""
        key = hash(tuple(cells)) or 1  # 0 marks an empty slot
        mask = self._size - 1
        slot = key & mask
        keys = self._keys
        while keys[slot]:
            if keys[slot] == key:
                return self._rows[slot]
            slot = (slot + 1) & mask
        keys[slot] = key
        self._rows[slot] = row
        self._count += 1
        if self._count * 2 > self._size:
            self._grow()
        return None

    def _grow(self) -> None:
        keys, rows = self._keys, self._rows
        self._size *= 2
        self._keys = array("q", bytes(8 * self._size))
        self._rows = array("I", bytes(4 * self._size))
        mask = self._size - 1
        for key, row in zip(keys, rows, strict=True):
            if key:
                slot = key & mask
                while self._keys[slot]:
                    slot = (slot + 1) & mask
                self._keys[slot] = key
                self._rows[slot] = row
