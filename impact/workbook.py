"""A fast .xlsx writer: each sheet's XML is built a column at a time in Arrow, not per cell.

Cell-by-cell writers (openpyxl, xlsxwriter) spend microseconds of Python per cell, which makes
a 100,000-row impacts sheet take about a minute. Here each column becomes its cells' XML with
Arrow string kernels, rows are joined element-wise in C++ and written as one buffer per chunk,
so Python works per column and per distinct text, never per cell. Text goes into one shared
strings table (each distinct text escaped once; repeated names cost a number per cell). The
file is plain Office Open XML: real numbers and dates with number formats, a bold frozen header
row, an autofilter and column widths. The zip entries carry a fixed date so the same tables
give the same bytes. Callers defuse formulas first (`impact.exports.safe_cells`): this module
writes text only as text, never as a formula.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.arrow_text import text_bytes
from impact.compression import deflate
from impact.row_text import (
    Coded,
    Factorised,
    factorised,
    joined_neighbours,
    rows_text,
)

# Rows of sheet XML built at once; up to BUILDERS + 2 chunks are in memory. A million-event
# report peaked at 1,464-1,516 MB with 5,000 against 1,526-1,615 MB with 10,000 (three runs
# each, alternated), in the same time.
CHUNK_ROWS = 5_000
# The most characters (UTF-16 code units) an Excel cell holds: Excel repairs a file with more.
EXCEL_CELL_CHARS = 32_767
CUT_MARK = " … [cut: an Excel cell holds 32,767 characters; the CSV file has the whole text]"
BUILDERS = 2
COMPRESS_LEVEL = 1
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Style ids into STYLES' cellXfs, in order.
HEADER, DATE, INTEGER, DECIMAL, COORDINATE, WRAP = 1, 2, 3, 4, 5, 6
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>\
<numFmt numFmtId="165" formatCode="0.00000"/></numFmts><fonts count="2"><font><sz val="11"/>\
<name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill \
patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFF5F7FA"/>\
</patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>\
</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>\
</cellStyleXfs><cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">\
<alignment wrapText="1" vertical="top"/></xf></cellXfs><cellStyles count="1">\
<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""
COORDINATE_COLUMNS = {"lat", "lon", "latitude", "longitude"}
WIDTH_MIN, WIDTH_MAX = 8, 48
WIDTH_SAMPLE = 2000
# Characters XML 1.0 cannot hold at all (control characters are made visible before this).
NOT_XML_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
SURROGATES = re.compile(r"[\ud800-\udfff]")
EMPTY_CELL = "<c/>"
EXCEL_EPOCH = np.datetime64("1899-12-30")
# Part of a zip entry: its bytes, or a function building them (run in a worker thread).
Text = bytes | memoryview
Part = Text | Callable[[], Text]


@dataclass(frozen=True)
class Sheet:
    """One sheet to write: a table, or (heading, text) rows for a README sheet."""

    name: str
    table: pd.DataFrame
    readme: bool = False
    columns: list[Factorised] | None = None


def column_letters(count: int) -> list[str]:
    """A, B, …, Z, AA, AB … for the first `count` columns."""
    letters = []
    for n in range(1, count + 1):
        name = ""
        while n:
            n, rest = divmod(n - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def write_xlsx(sheets: list[Sheet], path: Path) -> None:
    """Write the sheets to `path` as one workbook."""
    strings = SharedStrings()
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as book,
        ThreadPoolExecutor(BUILDERS) as builders,
        ThreadPoolExecutor(1) as writer,
    ):
        stream = partial(_stream, book, builders=builders, writer=writer)
        _entry(book, "[Content_Types].xml", _content_types(len(sheets)))
        _entry(
            book,
            "_rels/.rels",
            _relationships([("rId1", f"{REL}/officeDocument", "xl/workbook.xml")], PACKAGE_REL),
        )
        _entry(book, "xl/workbook.xml", _workbook(sheets))
        rels = [
            (f"rId{i + 1}", f"{REL}/worksheet", f"worksheets/sheet{i + 1}.xml")
            for i in range(len(sheets))
        ]
        rels.append((f"rId{len(sheets) + 1}", f"{REL}/styles", "styles.xml"))
        rels.append((f"rId{len(sheets) + 2}", f"{REL}/sharedStrings", "sharedStrings.xml"))
        _entry(book, "xl/_rels/workbook.xml.rels", _relationships(rels, PACKAGE_REL))
        _entry(book, "xl/styles.xml", STYLES)
        for i, sheet in enumerate(sheets):
            stream(f"xl/worksheets/sheet{i + 1}.xml", _sheet_xml(sheet, strings))
        stream("xl/sharedStrings.xml", strings.xml())


def _stream(
    book: zipfile.ZipFile,
    name: str,
    parts: Iterator[Part],
    *,
    builders: ThreadPoolExecutor,
    writer: ThreadPoolExecutor,
) -> None:
    """Write an entry from its parts, in order.

    A part given as a function is built by one of the `builders` threads while earlier parts
    are compressed by the `writer` thread: Arrow's kernels and zlib release the GIL, so both
    cores work. At most BUILDERS parts wait in memory.
    """
    with book.open(_zip_info(name), "w", force_zip64=True) as handle:
        _deflate_fast(handle)
        waiting: deque[Future[Text]] = deque()
        written: Future | None = None
        for part in parts:
            waiting.append(builders.submit(part) if callable(part) else _ready(part))
            if len(waiting) > BUILDERS:
                written = _write_after(writer, handle, waiting.popleft().result(), written)
        while waiting:
            written = _write_after(writer, handle, waiting.popleft().result(), written)
        if written is not None:
            written.result()


def _deflate_fast(handle: IO[bytes]) -> None:
    """Let the entry being written compress with ISA-L instead of zlib.

    Large sheets spend more time deflating than building their XML; the zip module takes no
    compressor of one's choice, so the open entry's is replaced (the stream format is the
    same raw deflate). Where the attribute is absent, zlib's is kept.
    """
    if getattr(handle, "_compressor", None) is not None:
        handle._compressor = deflate.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)


def _ready(part: Text) -> Future[Text]:
    done: Future[Text] = Future()
    done.set_result(part)
    return done


def _write_after(
    writer: ThreadPoolExecutor, handle: IO[bytes], data: Text, previous: Future | None
) -> Future:
    """Compress and write `data` once the previous part is written."""
    if previous is not None:
        previous.result()
    return writer.submit(_write_part, handle, data)


# What an open zip entry's `write` updates; present in every Python this package supports.
_ENTRY_FIELDS = ("_file_size", "_crc", "_compressor", "_compress_size", "_fileobj")


def _write_part(handle: IO[bytes], data: Text) -> None:
    """`handle.write(data)`, with ISA-L's CRC-32 (the same value at five times zlib's speed:
    a million-row sheet spends a second on it otherwise) where the entry has the fields
    `write` updates; else `handle.write` itself."""
    fields = all(hasattr(handle, field) for field in _ENTRY_FIELDS)
    if deflate is zlib or handle.closed or not fields or handle._compressor is None:
        handle.write(data)
        return
    handle._file_size += len(data) if isinstance(data, bytes) else memoryview(data).nbytes
    handle._crc = deflate.crc32(data, handle._crc)
    compressed = handle._compressor.compress(data)
    handle._compress_size += len(compressed)
    handle._fileobj.write(compressed)


class SharedStrings:
    """The workbook's table of texts; a text cell holds its index into it.

    Each column's distinct texts are added as one block (a text used in two columns is listed
    twice, which the format allows), so building the table is a factorisation per column and
    escaping is done in Arrow, once per distinct text of a column.
    """

    def __init__(self) -> None:
        self._blocks: list[pa.Array] = []
        self._count = 0

    def add(self, texts) -> int:
        """Add distinct texts as one block (each cut to what a cell holds); returns the index
        of the first."""
        self._blocks.append(within_a_cell(_arrow_text(texts)))
        first, self._count = self._count, self._count + len(texts)
        return first

    def xml(self) -> Iterator[Text]:
        yield (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<sst xmlns="{MAIN}" count="{self._count}" uniqueCount="{self._count}">'
        ).encode()
        for block in self._blocks:
            if len(block):
                items = pc.binary_join_element_wise(
                    '<si><t xml:space="preserve">', _escaped(block), "</t></si>", ""
                )
                yield text_bytes(items)
        yield b"</sst>"


@dataclass(frozen=True)
class NumberCells:
    """Cells of a column of mostly distinct numbers, built for each chunk of rows."""

    numbers: np.ndarray
    attributes: str

    def rows(self, start: int, stop: int) -> pa.Array:
        cells = _value_cells(_numbers_text(self.numbers[start:stop]), self.attributes)
        return cells.fill_null(EMPTY_CELL) if cells.null_count else cells


@dataclass(frozen=True)
class RowNumbers:
    """The number of each row of the sheet: row `i` of the table is sheet row `i + first`."""

    first: int

    def rows(self, start: int, stop: int) -> pa.Array:
        return pa.array(np.arange(start + self.first, stop + self.first)).cast(pa.string())


def column_cells(
    column: pd.Series,
    strings: SharedStrings,
    text_style: int = 0,
    found: Factorised | None = None,
) -> Coded | NumberCells:
    """The cells of a column: text as shared strings (in `text_style`), booleans, dates and
    numbers as values with their number format. Each distinct value's cell is built once
    (see `impact.row_text`; `found` is the column's factorisation when the caller has it),
    unless most values are distinct numbers."""
    found = found or factorised(column)
    if found.text:
        first = strings.add(found.values)
        attributes = f' s="{text_style}" t="s"' if text_style else ' t="s"'
        indexes = pa.array(np.arange(first, first + len(found.values))).cast(pa.string())
        return found.coded(_value_cells(indexes, attributes), EMPTY_CELL)
    if 2 * len(found.values) > len(column):
        return NumberCells(*_cell_numbers(column))
    numbers, attributes = _cell_numbers(found.values)
    cells = _value_cells(_numbers_text(numbers), attributes)
    return found.coded(cells.fill_null(EMPTY_CELL), EMPTY_CELL)


def _cell_numbers(column: pd.Series) -> tuple[np.ndarray, str]:
    """A boolean, date or number column as the numbers its cells hold (NaN where empty or
    not finite) and the cell attributes that say how to show them."""
    kind = column.dtype
    if pd.api.types.is_bool_dtype(kind):
        return column.astype("Float64").to_numpy(dtype=float, na_value=np.nan), ' t="b"'
    if pd.api.types.is_datetime64_any_dtype(kind):
        days = (column.dt.tz_localize(None) if column.dt.tz else column).to_numpy()
        return (days - EXCEL_EPOCH) / np.timedelta64(1, "D"), f' s="{DATE}"'
    numbers = column.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers, f' s="{_number_style(column.name, numbers)}"'


def _arrow_text(texts) -> pa.Array:
    """Texts as an Arrow array; characters UTF-8 cannot hold (lone surrogates) are replaced."""
    try:
        return pa.array(texts, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, UnicodeEncodeError):
        replaced = pd.Series(texts, dtype=object).map(lambda t: SURROGATES.sub("\ufffd", t))
        return pa.array(replaced, type=pa.string())


def too_long_for_a_cell(texts: pa.Array) -> np.ndarray:
    """Which texts hold more characters than an Excel cell. Only those with more UTF-8 bytes
    than that are counted (a character is never more UTF-16 units than UTF-8 bytes)."""
    if texts.nbytes <= EXCEL_CELL_CHARS:  # all of them together fit one cell
        return np.zeros(len(texts), dtype=bool)
    over = np.asarray(pc.fill_null(pc.greater(pc.binary_length(texts), EXCEL_CELL_CHARS), False))
    for at in np.flatnonzero(over):
        over[at] = len(texts[at].as_py().encode("utf-16-le")) // 2 > EXCEL_CELL_CHARS
    return over


def within_a_cell(texts: pa.Array) -> pa.Array:
    """`texts` with each one too long for an Excel cell cut to fit, the cut marked."""
    over = too_long_for_a_cell(texts)
    if not over.any():
        return texts
    room = 2 * (EXCEL_CELL_CHARS - len(CUT_MARK))
    cut = [
        text.encode("utf-16-le")[:room].decode("utf-16-le", errors="ignore") + CUT_MARK
        for text in texts.filter(pa.array(over)).to_pylist()
    ]
    return pc.replace_with_mask(texts, pa.array(over), pa.array(cut, pa.string()))


def _escaped(texts: pa.Array) -> pa.Array:
    """XML text: characters XML 1.0 cannot hold replaced, then &, <, > and CR escaped."""
    texts = pc.replace_substring_regex(texts, NOT_XML_RE2, "\ufffd")
    # A carriage return as a reference: XML readers turn a literal one into a line feed.
    for character, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        texts = pc.replace_substring(texts, character, entity)
    return texts


def _entry(book: zipfile.ZipFile, name: str, text: str) -> None:
    book.writestr(_zip_info(name), text)


def _zip_info(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date (same tables, same bytes), deflated at level 1.

    An entry made by hand does not take the archive's level: it falls back to zlib's default
    (6), which costs three times as long on sheet XML for a file a few percent smaller.
    """
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = COMPRESS_LEVEL  # public as `compress_level` from Python 3.13
    return info


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{SHEET_TYPE}"/>'
        for i in range(count)
    )
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
        f"{sheets}</Types>"
    )


def _relationships(items: list[tuple[str, str, str]], namespace: str) -> str:
    body = "".join(
        f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="{namespace}">{body}</Relationships>'
    )


def _workbook(sheets: list[Sheet]) -> str:
    entries, names = [], []
    for i, sheet in enumerate(sheets):
        entries.append(
            f'<sheet name="{escape(sheet.name, {chr(34): "&quot;"})}" '
            f'sheetId="{i + 1}" r:id="rId{i + 1}"/>'
        )
        if not sheet.readme and len(sheet.table.columns):
            last = column_letters(len(sheet.table.columns))[-1]
            quoted = sheet.name.replace("'", "''")
            names.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                f"{escape(quoted)}!$A$1:${last}${len(sheet.table) + 1}</definedName>"
            )
    defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><bookViews><workbookView/></bookViews>'
        f"<sheets>{''.join(entries)}</sheets>{defined}</workbook>"
    )


def _sheet_xml(sheet: Sheet, strings: SharedStrings) -> Iterator[Part]:
    """The sheet's XML in pieces: head, rows in chunks, tail."""
    table = sheet.table
    letters = column_letters(max(len(table.columns), 1))
    widths = [28, 100] if sheet.readme else [_width(table[c], str(c)) for c in table.columns]
    cols = "".join(
        f'<col min="{j + 1}" max="{j + 1}" width="{w}" customWidth="1"/>'
        for j, w in enumerate(widths)
    )
    last = letters[len(widths) - 1] if widths else "A"
    rows = len(table) + (0 if sheet.readme else 1)
    pane = (
        ""
        if sheet.readme
        else '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    )
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:{last}{rows}"/>'
        '<sheetViews><sheetView workbookViewId="0">'
        f'{pane}</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f"{f'<cols>{cols}</cols>' if cols else ''}<sheetData>"
    ).encode()
    if not sheet.readme:
        first = strings.add(pd.Series([str(c) for c in table.columns], dtype="string"))
        cells = "".join(
            f'<c s="{HEADER}" t="s"><v>{first + j}</v></c>' for j in range(len(table.columns))
        )
        yield f'<row r="1">{cells}</row>'.encode()
    found = sheet.columns or [None] * len(table.columns)
    # The cells are not kept once joined into pieces: a million rows' took 27 MB.
    pieces = _row_pieces(
        RowNumbers(1 if sheet.readme else 2),
        [
            column_cells(table.iloc[:, j], strings, _readme_style(j) if sheet.readme else 0, f)
            for j, f in enumerate(found)
        ],
        len(table),
    )
    for start in range(0, len(table), CHUNK_ROWS):
        yield partial(_chunk_xml, pieces, start, min(start + CHUNK_ROWS, len(table)))
    tail = "</sheetData>"
    if not sheet.readme and len(table.columns):
        tail += f'<autoFilter ref="A1:{letters[-1]}{len(table) + 1}"/>'
    yield (tail + "</worksheet>").encode()


def _readme_style(j: int) -> int:
    return HEADER if j == 0 else WRAP


def _row_pieces(numbers: RowNumbers, cells: list, rows: int) -> list:
    """The pieces of each row's XML; neighbouring columns become one piece while their
    combinations of values stay few (a place's figures are built once per place)."""
    pieces = ['<row r="', numbers, '">', *cells, "</row>"]
    return joined_neighbours(pieces, rows)


def _chunk_xml(pieces: list, start: int, stop: int) -> memoryview:
    """Rows `start` to `stop` of the table as sheet XML.

    Cells carry no reference: a reader places each in the next column, so a missing value
    is written as an empty cell to keep the ones after it in place. (References made up a
    third of the sheet's XML and most of what is left after compression.)
    """
    return text_bytes(rows_text(pieces, start, stop))


def _value_cells(values: pa.Array, attributes: str) -> pa.Array:
    return pc.binary_join_element_wise(f"<c{attributes}><v>", values, "</v></c>", "")


def _numbers_text(numbers: np.ndarray) -> pa.Array:
    """Shortest text of each number: integers without a decimal point; null for NaN and inf.

    Decimals are written as Python's shortest round-trip text, once per distinct value."""
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    missing = np.isnan(numbers)
    whole = missing | ((numbers == np.round(numbers)) & (np.abs(numbers) < 1e15))
    if whole.all():
        integers = np.where(missing, 0, numbers).astype(np.int64)
        return pa.array(integers, mask=missing).cast(pa.string())
    codes, uniques = pd.factorize(numbers, use_na_sentinel=True)
    texts = [str(int(v)) if v.is_integer() else repr(float(v)) for v in uniques]
    texts = np.array(texts, dtype=object)
    return pa.array(
        texts[np.where(codes >= 0, codes, 0)]
        if len(texts)
        else np.full(len(codes), "", dtype=object),
        mask=codes < 0,
        type=pa.string(),
    )


def _number_style(name: object, numbers: np.ndarray) -> int:
    if str(name) in COORDINATE_COLUMNS:
        return COORDINATE
    known = numbers[~np.isnan(numbers)]
    return INTEGER if np.all(known == np.round(known)) else DECIMAL


def _lengths(texts: pd.Series) -> np.ndarray:
    """Characters in each value present, as text; counted by Arrow for a text column (a
    sheet has a few hundred columns, and pandas' steps cost more than the counting)."""
    if isinstance(texts.dtype, pd.StringDtype) and texts.dtype.storage == "pyarrow":
        lengths = pc.utf8_length(pa.array(texts.array)).drop_null()
        return lengths.to_numpy(zero_copy_only=False)
    return texts.dropna().astype(str).str.len().to_numpy()


def _width(column: pd.Series, name: str) -> int:
    """Characters wide: the header or the 90th percentile of the first values, bounded."""
    sample = column.iloc[:WIDTH_SAMPLE]
    kind = sample.dtype
    if pd.api.types.is_datetime64_any_dtype(kind):
        longest = 10
    elif pd.api.types.is_bool_dtype(kind):
        longest = 5
    elif pd.api.types.is_numeric_dtype(kind):
        numbers = sample.to_numpy(dtype=float, na_value=np.nan)
        known = np.abs(numbers[~np.isnan(numbers)])
        longest = len(f"{known.max():,.2f}") if len(known) else 4
    else:
        lengths = _lengths(sample)
        longest = int(np.quantile(lengths, 0.9)) if len(lengths) else 4
    return min(max(max(len(name), longest) + 2, WIDTH_MIN), WIDTH_MAX)
