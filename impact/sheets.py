"""A file's bytes as a grid of text cells, each record with its own line number in the file.

Analysts' files have title and comment lines above the header, blank lines between rows, cells
with line breaks inside quotes, a delimiter at the end of every line and headers that hold the
other delimiter inside quotes. This module finds the header (the first line a caller accepts as
one, with the delimiter that makes it one), reads the records below it, and keeps for each the
line (or sheet row) it starts on, so that `rejected.csv` points at the line an analyst sees in
an editor or in Excel. It knows nothing about events.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from impact.arrow_text import first_bytes
from impact.errors import ImpactWarning, InputFileError

DELIMITERS = (",", ";", "\t", "|")
# How far down a title block may reach before the header.
HEADER_SEARCH_LINES = 50
# Bytes looked at to tell UTF-16 text without a byte-order mark.
UTF16_SAMPLE = 4096
IsHeader = Callable[[Sequence[str]], bool]
# Marks a last record added to the text, to see that no quote was left open.
END_MARK = "\ufdd0end"
SPACES = np.array([0x20, 0x09], dtype=np.uint8)
# The csv module's limit on a cell's length while it splits a file's lines (its own default,
# 131,072 characters, refuses text pasted into a notes cell); a C long on every platform.
CSV_FIELD_LIMIT = 2**31 - 1
# More columns with values but no header than this are kept together, in one column: records
# run far past the header (a damaged line, a delimiter repeated) would otherwise make every
# output thousands of columns wide, and every step handle each of them.
MAX_UNNAMED_COLUMNS = 50
UNNAMED_CELLS = "unnamed_cells"
# A formula element in a worksheet's XML, with or without a namespace prefix; a cell holding
# one: its reference, its type and its stored value (empty when none is stored).
FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
FORMULA_CELL = re.compile(
    rb'<(?:\w+:)?c\b(?=[^>]*\br="([A-Z]+[0-9]+)")(?:(?=[^>]*\bt="(\w*)"))?[^>]*>\s*'
    rb"<(?:\w+:)?f\b[^>/]*(?:/>|>.*?</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>(.*?)</(?:\w+:)?v>)?",
    re.DOTALL,
)
# A merged range (its first and last cell), a hidden row (its number), hidden columns (the
# first and last) and a styled cell (its style, column, row and type) in a worksheet's XML.
MERGED_RANGE = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+:[A-Z]{1,3}[0-9]+)"'
)
HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b(?=[^>]*\bhidden="(?:1|true)")(?=[^>]*\br="([0-9]+)")')
HIDDEN_COLUMNS = re.compile(
    rb'<(?:\w+:)?col\b(?=[^>]*\bhidden="(?:1|true)")'
    rb'(?=[^>]*\bmin="([0-9]+)")(?=[^>]*\bmax="([0-9]+)")'
)
STYLED_CELL = re.compile(
    rb'<(?:\w+:)?c\b(?=[^>]*\bs="([0-9]+)")(?=[^>]*\br="([A-Z]{1,3})([0-9]+)")'
    rb'(?:(?=[^>]*\bt="(\w*)"))?'
)
# What a number format shows besides date and time codes: quoted and escaped text, padding and
# fill characters, colours and locales in brackets (not elapsed time: [h], [mm], [ss]), AM/PM.
FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|[_*].|\[(?![hms]+\])[^\]]*\]|am/pm|a/p', re.IGNORECASE)
# A date's text as `_cell_text` gives it ("2023-11-07", "2023-11-07 10:00:00"), and how much
# of it a format showing only the month, or only the year, shows.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: |$)")
SHOWN_LENGTH = {"month": 7, "year": 4}


@dataclass
class Grid:
    """A file's records as text cells ("" when empty). Only the columns where some record has
    a cell are held, each labelled by its position among the file's `width` columns: a sheet
    formatted out to column XFD, or a delimiter repeated to the end of every line, is as wide
    as the cells it holds, not 16,384 columns each handled on its own."""

    cells: pd.DataFrame
    width: int


@dataclass
class Sheet:
    """Cells under the header (text, "" when empty), the line each record starts on, and what
    the reader had to do to get there (title lines skipped, empty columns dropped)."""

    header: list[str]
    cells: pd.DataFrame
    lines: pd.Series
    notes: list[str] = field(default_factory=list)


def read_sheet(
    path: Path,
    data: bytes,
    is_header: IsHeader,
    *,
    sheet: str | int = 0,
    encoding: str | None = None,
) -> Sheet:
    """Read a CSV/TSV/TXT or XLSX file's bytes; `path` names it and tells Excel by its suffix.

    Blank records are not rows; every other record keeps its line (CSV) or row (Excel) number.

    Raises:
        InputFileError: the file is empty, cannot be decoded or split into columns.
    """
    if is_workbook(path):
        grid, notes = _excel_grid(path, data, sheet)
        sheet_read = _from_grid(grid, np.arange(1, len(grid.cells) + 1), is_header)
        sheet_read.notes.extend(notes)
    else:
        sheet_read = _read_text(path, data, encoding, is_header)
    return _without_empty_columns(_without_repeated_headers(_without_blank_records(sheet_read)))


def is_workbook(path: Path) -> bool:
    """True for an Excel workbook, told by the file's suffix."""
    return path.suffix.lower() in {".xlsx", ".xlsm"}


def decode(data: bytes, path: Path, encoding: str | None = None) -> str:
    """Text of a CSV: the given encoding, else by byte-order mark, UTF-8, then Windows-1252
    (see `decoded` for a file that mixes the two)."""
    return decoded(data, path, encoding)[0]


def decoded(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, list[str]]:
    """Text of a CSV and a note on how it was decoded, when that needs saying: the given
    encoding, else by byte-order mark, UTF-8, then Windows-1252. A UTF-8 file with some lines
    in Windows-1252 (rows pasted from another file) is read line by line, each in its own
    encoding, and the note names those lines."""
    if encoding:
        try:
            return data.decode(encoding), []
        except (UnicodeDecodeError, LookupError) as error:
            raise InputFileError(f"cannot decode as {encoding}: {error}", file=str(path)) from error
    wide = utf16_kind(data)
    if wide:
        try:
            return data.decode(wide), []  # "utf-16" reads its byte-order mark
        except UnicodeDecodeError as error:
            raise InputFileError(
                f"looks like UTF-16 text but cannot be decoded as such ({error.reason} at byte "
                f"{error.start}); save the file as UTF-8",
                file=str(path),
            ) from None
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    mixed = _mixed_utf8(data.removeprefix(b"\xef\xbb\xbf"))
    if mixed is not None:
        warnings.warn(ImpactWarning(f"{path.name}: {mixed[1][0]}"), stacklevel=2)
        return mixed
    try:
        return data.decode("cp1252"), []
    except UnicodeDecodeError:
        raise InputFileError(
            "cannot tell the text encoding; try --encoding latin-1 or save the file as UTF-8",
            file=str(path),
        ) from None


def utf16_kind(data: bytes) -> str | None:
    """The UTF-16 codec of `data`: "utf-16" with a byte-order mark; "utf-16-le" or "-be"
    without one when every other byte is zero (text in Latin letters, as some Windows tools
    save "Unicode" text); None for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:UTF16_SAMPLE]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    zero_high, zero_low = sample[1 : 2 * pairs : 2].count(0), sample[0 : 2 * pairs : 2].count(0)
    if zero_high >= pairs * 0.4 and zero_low <= pairs * 0.05:
        return "utf-16-le"
    if zero_low >= pairs * 0.4 and zero_high <= pairs * 0.05:
        return "utf-16-be"
    return None


def _mixed_utf8(data: bytes) -> tuple[str, list[str]] | None:
    """The text of a file whose lines are UTF-8 but for a few in Windows-1252 (Latin-1 for
    bytes that has no letter for), with a note naming those; None when no line holds UTF-8
    beyond ASCII (a Windows-1252 file)."""
    lines, foreign, utf8 = [], [], False
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8")
            utf8 = utf8 or not text.isascii()
        except UnicodeDecodeError:
            foreign.append(number)
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError:
                text = line.decode("latin-1")
        lines.append(text)
    if not utf8:
        return None
    note = (
        f"{len(foreign)} line(s) are not UTF-8 like the rest of the file (line "
        f"{_first_few(foreign)}): "
        "read as Windows-1252; check their accents and symbols"
    )
    return "\n".join(lines), [note]


def sniff_delimiter(line: str) -> str:
    """The delimiter that occurs most often in a line (a comma when none does)."""
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def find_header(lines: list[str], is_header: IsHeader) -> tuple[int, str]:
    """The index of the header line and its delimiter.

    The header is the first line that, split by some delimiter (quotes respected), the caller
    accepts; with several such delimiters, the one giving the most cells. When no line is
    accepted, the first non-blank line with its most frequent delimiter (so that the caller's
    own check can say what is missing).
    """
    for number, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        with _long_cells():
            splits = {d: next(csv.reader([line], delimiter=d), []) for d in DELIMITERS}
        fits = [
            d
            for d, cells in splits.items()
            if len(cells) > 1 and is_header(row_without_tail(cells))
        ]
        if fits:
            return number, max(fits, key=lambda d: len(splits[d]))
    first = next((n for n, line in enumerate(lines) if line.strip()), 0)
    return first, sniff_delimiter(lines[first] if lines else "")


def _read_text(path: Path, data: bytes, encoding: str | None, is_header: IsHeader) -> Sheet:
    """A text file's records: its UTF-8 bytes read by Arrow where Arrow reads them as pandas
    does (most large files), else its decoded text read by pandas."""
    fast = _arrow_sheet(data, encoding, is_header)
    if fast is not None:
        return fast
    text, notes = decoded(data, path, encoding)
    if not text.strip():
        raise InputFileError(
            "the file is empty; expected a header row and event rows", file=str(path)
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    head = text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
    number, delimiter = find_header(head, is_header)
    body = text[sum(len(line) + 1 for line in head[:number]) :]
    grid = _pandas_grid(body, delimiter, path)
    lines = _record_lines(body.count("\n"), body.endswith("\n"), grid.cells) + number
    sheet = _from_grid(grid, lines, lambda _: True)
    sheet.notes[:0] = notes
    return sheet


def _arrow_sheet(data: bytes, encoding: str | None, is_header: IsHeader) -> Sheet | None:
    """The sheet `_read_text` gives, from the file's UTF-8 bytes as they are (no decoding nor
    copying of a large file); None when the file is not UTF-8 or Arrow would read it
    otherwise than pandas (see `_arrow_grid`)."""
    if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        return None
    if not encoding and utf16_kind(data):
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    try:
        head = [line.decode("utf-8") for line in data.split(b"\n", HEADER_SEARCH_LINES)]
    except UnicodeDecodeError:
        return None
    if not "".join(head[:HEADER_SEARCH_LINES]).strip():
        return None
    number, delimiter = find_header(head[:HEADER_SEARCH_LINES], is_header)
    offset = sum(len(line.encode("utf-8")) + 1 for line in head[:number])
    with _long_cells():
        below = io.StringIO("\n".join(head[number:]))
        first = next(csv.reader(below, delimiter=delimiter), [])
    grid = _arrow_grid(data, offset, delimiter, len(first))
    if grid is None:
        return None
    lines = _record_lines(data.count(b"\n", offset), data.endswith(b"\n"), grid.cells) + number
    return _from_grid(grid, lines, lambda _: True)


def _pandas_grid(body: str, delimiter: str, path: Path) -> Grid:
    """Every record as text cells ("" when empty), blank lines and all, as wide as the widest
    record: a row with a cell more than the header (often an empty one) is still read when
    every record is one line; else a quote left open may have joined lines, and the file is
    refused rather than read with rows run together."""
    try:
        return _occupied(_read_grid(body, delimiter))
    except (pd.errors.ParserError, csv.Error) as error:
        grid = _widened_grid(body, delimiter)
        if grid is not None:
            return _occupied(grid)
        message = " ".join(str(error).split())
        raise InputFileError(
            f"cannot split the file into columns ({message}); check the delimiter and quotes",
            file=str(path),
        ) from error


def _widened_grid(body: str, delimiter: str) -> pd.DataFrame | None:
    """The grid as wide as the widest record when every record is one line, else None."""
    widest = _widest_record(body, delimiter)
    if widest is None:
        return None
    try:
        grid = _read_grid(body, delimiter, widest)
    except (pd.errors.ParserError, csv.Error):
        return None
    lines = body.count("\n") + (0 if body.endswith("\n") else 1)
    return grid if len(grid) == lines else None


def _read_grid(body: str, delimiter: str, width: int | None = None) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(body),
        sep=delimiter,
        header=None,
        names=None if width is None else range(width),
        dtype=str,
        na_filter=False,
        skip_blank_lines=False,
        skipinitialspace=True,
    )


def _widest_record(body: str, delimiter: str) -> int | None:
    """The most cells in a record, or None when the text cannot be split (a quote left open)."""
    try:
        with _long_cells():
            records = csv.reader(io.StringIO(body), delimiter=delimiter, skipinitialspace=True)
            return max((len(record) for record in records), default=None)
    except csv.Error:
        return None


@contextmanager
def _long_cells() -> Iterator[None]:
    """The csv module splitting cells of any length (`CSV_FIELD_LIMIT`), as pandas and Arrow
    do; its own limit is put back after."""
    limit = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _arrow_grid(data: bytes, offset: int, delimiter: str, width: int) -> Grid | None:
    """The grid `_pandas_grid` gives for the UTF-8 text of `data` from `offset`, read by Arrow's
    multi-threaded reader, for text both read alike: None (pandas reads it) when a field opens
    with a space or tab (pandas skips those), a record is not `width` wide (blank lines, ragged
    rows), or a quote is left open at the end (Arrow reads to the end, pandas refuses: a last
    record of markers added after the text must come back as it went in)."""
    if width < 2:
        return None
    names = [str(n) for n in range(width)]
    marks = [END_MARK] * width
    ending = b"" if data.endswith(b"\n") else b"\n"
    tail = ending + delimiter.join(marks).encode("utf-8") + b"\n"
    text = b"".join([memoryview(data)[offset:], tail])
    try:
        table = pacsv.read_csv(
            io.BytesIO(text),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if [table.column(j)[-1].as_py() for j in range(width)] != marks:
        return None
    table = table.slice(0, table.num_rows - 1)
    held = _held_columns(table.columns, table.num_rows)
    if not held:
        return None
    table = table.select(held)
    if any(_opens_with_space(column) for column in table.columns):
        return None
    # One piece per column: Arrow reads in blocks, and picking rows out of a column of many
    # pieces (as every filter after this does) is far slower than out of one.
    return Grid(table.combine_chunks().to_pandas().set_axis(held, axis=1), width)


def _occupied(grid: pd.DataFrame) -> Grid:
    """`grid` (columns numbered from 0) without the columns where no record has a cell."""
    held = _held_columns(_arrow_columns(grid), len(grid))
    return Grid(grid[held] if len(held) < grid.shape[1] else grid, grid.shape[1])


def _held_columns(columns: Sequence[pa.Array | pa.ChunkedArray], rows: int) -> list[int]:
    """The positions of the columns with a cell that is not empty (spaces count: a column
    dropped here holds nothing that any later step could read)."""
    if not columns:
        return []
    cells = _one_array(columns)
    held = pc.fill_null(pc.greater(pc.binary_length(cells), 0), False)
    return np.flatnonzero(_by_column(held, len(columns), rows).any(axis=1)).tolist()


def _filled_cells(cells: pd.DataFrame) -> np.ndarray:
    """Columns × records: True where a cell holds more than spaces."""
    if not cells.shape[1]:
        return np.zeros((0, len(cells)), dtype=bool)
    flat = _one_array(_arrow_columns(cells))
    blank = pc.fill_null(pc.or_(pc.equal(flat, ""), pc.utf8_is_space(flat)), True)
    return ~_by_column(blank, cells.shape[1], len(cells))


def _arrow_columns(frame: pd.DataFrame) -> list[pa.Array | pa.ChunkedArray]:
    return [pa.array(frame[column], from_pandas=True) for column in frame.columns]


def _one_array(columns: Sequence[pa.Array | pa.ChunkedArray]) -> pa.ChunkedArray:
    """Every cell of `columns`, column after column, in one array: a check of thousands of
    narrow columns is then one call, not one per column."""
    chunks = [c for column in columns for c in getattr(column, "chunks", [column])]
    kind = next((c.type for c in chunks if not pa.types.is_null(c.type)), pa.string())
    return pa.chunked_array([c if c.type == kind else c.cast(kind) for c in chunks], type=kind)


def _by_column(flags: pa.ChunkedArray, columns: int, rows: int) -> np.ndarray:
    return np.asarray(flags.to_numpy(), dtype=bool).reshape(columns, rows)


def _opens_with_space(cells: pa.ChunkedArray) -> bool:
    """True when a cell starts with a space or a tab: pandas would have skipped it (unless
    quoted, which Arrow does not say), or the field was a quoted one after a space."""
    return any(np.isin(first_bytes(chunk), SPACES).any() for chunk in cells.chunks)


def _record_lines(newlines: int, ends_with_newline: bool, grid: pd.DataFrame) -> np.ndarray:
    """The 1-based line each record starts on, counting line breaks inside quoted cells."""
    physical = newlines + (0 if ends_with_newline else 1)
    if physical == len(grid):
        return np.arange(1, len(grid) + 1)
    inside = np.zeros(len(grid), dtype=np.int64)
    if grid.shape[1]:
        breaks = pc.fill_null(pc.count_substring(_one_array(_arrow_columns(grid)), "\n"), 0)
        inside = breaks.to_numpy().reshape(grid.shape[1], len(grid)).sum(axis=0)
    return 1 + np.concatenate([[0], np.cumsum(1 + inside)[:-1]])


def _from_grid(grid: Grid, lines: np.ndarray, is_header: IsHeader) -> Sheet:
    """Split a grid of text cells at its header row (the first the caller accepts, else the
    first non-blank one). The header names every column of the file ("" where a column holds
    no cell); the cells keep only the grid's columns, labelled by position."""
    if len(grid.cells) == 0:
        return Sheet([], pd.DataFrame(), pd.Series(dtype="int64"))
    top = grid.cells.iloc[:HEADER_SEARCH_LINES]
    rows = [[str(c) for c in row] for row in top.itertuples(False)]
    filled = [n for n, row in enumerate(rows) if any(c.strip() for c in row)]
    accepted = [n for n in filled if is_header(row_without_tail(rows[n]))]
    at = accepted[0] if accepted else (filled[0] if filled else 0)
    header = [""] * grid.width
    for position, name in zip(grid.cells.columns, rows[at], strict=True):
        header[position] = name.strip()
    cells = grid.cells.iloc[at + 1 :].reset_index(drop=True)
    above = int(lines[at]) - 1
    notes = [f"{above} line(s) above the header (title or notes) skipped"] if above else []
    return Sheet(header, cells, pd.Series(lines[at + 1 :], dtype="int64"), notes)


def row_without_tail(row: list[str]) -> list[str]:
    """A row without its trailing empty cells (an Excel row is as wide as the sheet)."""
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return row[:end]


def _without_blank_records(sheet: Sheet) -> Sheet:
    if sheet.cells.empty:
        return sheet
    filled = _filled_cells(sheet.cells).any(axis=0)
    if filled.all():
        return sheet
    return Sheet(
        sheet.header,
        sheet.cells[filled].reset_index(drop=True),
        sheet.lines[filled].reset_index(drop=True),
        sheet.notes,
    )


def _without_repeated_headers(sheet: Sheet) -> Sheet:
    """Records that repeat the header (files pasted one after another) are not rows: dropped,
    with a note of their lines. Candidates are the records whose first named cell is its
    header name in any case; each of their cells is then compared, spaces and case aside."""
    named = [j for j, name in enumerate(sheet.header) if name and j in sheet.cells.columns]
    if sheet.cells.empty or not named:
        return sheet
    first = sheet.cells[named[0]].astype("str")
    holds = first.str.contains(sheet.header[named[0]], case=False, regex=False)
    candidates = np.flatnonzero(holds.fillna(False).to_numpy(dtype=bool))
    repeats = [
        row
        for row in candidates
        if all(
            str(sheet.cells[j].iat[row]).strip().casefold() == sheet.header[j].casefold()
            for j in named
        )
    ]
    if not repeats:
        return sheet
    kept = np.ones(len(sheet.cells), dtype=bool)
    kept[repeats] = False
    lines = _first_few(sheet.lines.iloc[repeats].tolist())
    return Sheet(
        sheet.header,
        sheet.cells[kept].reset_index(drop=True),
        sheet.lines[kept].reset_index(drop=True),
        [*sheet.notes, f"{len(repeats)} repeat(s) of the header row skipped (line {lines})"],
    )


def _without_empty_columns(sheet: Sheet) -> Sheet:
    """Columns without a header name and without any value are dropped (a trailing delimiter
    on every line, or the unused width of a sheet); a nameless column with values is kept as
    column_<position>, or, when there are more than `MAX_UNNAMED_COLUMNS` of them, all of
    them together as `UNNAMED_CELLS` ("column_<position>: value; …" for each filled cell)."""
    held = set(sheet.cells.columns)
    nameless = [p for p, name in enumerate(sheet.header) if not name and p in held]
    filled = _filled_cells(sheet.cells[nameless])
    with_values = {p: has for p, has in zip(nameless, filled, strict=True) if has.any()}
    unnamed = {p: f"column_{p + 1}" for p in with_values}
    cells, notes = sheet.cells, list(sheet.notes)
    if len(unnamed) > MAX_UNNAMED_COLUMNS:
        first, last = min(unnamed), max(unnamed)
        cells = cells.drop(columns=[p for p in unnamed if p != first])
        cells[first] = _kept_together(sheet.cells, with_values)
        notes.append(
            f"{len(unnamed)} columns with values but no header ({unnamed[first]} to "
            f"{unnamed[last]}) kept together as {UNNAMED_CELLS}"
        )
        unnamed = {first: UNNAMED_CELLS}
    elif unnamed:
        notes.append(f"column(s) with values but no header kept as {', '.join(unnamed.values())}")
    header, keep, dropped = [], [], []
    for position, name in enumerate(sheet.header):
        if name or position in unnamed:
            header.append(name or unnamed[position])
            keep.append(position)
        elif position not in with_values:
            dropped.append(position + 1)
    if dropped and len(dropped) < len(sheet.header):
        notes.append(f"{len(dropped)} empty column(s) without a header dropped")
    return Sheet(header, cells[keep].set_axis(header, axis=1), sheet.lines, notes)


def _kept_together(cells: pd.DataFrame, with_values: dict[int, np.ndarray]) -> pd.Series:
    """Each record's filled cells of the columns of `with_values` (position: which records
    hold more than spaces there) as "column_<position>: value; …"."""
    text = pa.large_string()
    nothing, parts = pa.scalar("", text), []
    for position, filled in with_values.items():
        label = pa.scalar(f"; column_{position + 1}: ", text)
        texts = pa.array(cells[position], from_pandas=True).cast(text)
        labelled = pc.binary_join_element_wise(label, texts, nothing)
        parts.append(pc.if_else(pa.array(filled), labelled, nothing))
    # Joined without nulls (Arrow's skipping of nulls loses records where every part is one).
    joined = pc.utf8_slice_codeunits(pc.binary_join_element_wise(*parts, nothing), start=2)
    return pd.Series(joined.to_pylist(), index=cells.index, dtype=cells[min(with_values)].dtype)


def _excel_grid(path: Path, data: bytes, sheet: str | int) -> tuple[Grid, list[str]]:
    """The sheet's cells as text, as Excel shows them where openpyxl reads otherwise (a merged
    range's value in each of its cells, a date formatted as a month as that month), and notes on
    what an analyst should know: merged ranges filled, hidden rows and columns read, formulas
    whose results the file does not keep (read as empty)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged or foreign file
        raise InputFileError(
            f"cannot open the workbook ({type(error).__name__}: {error}); save it again as .xlsx",
            file=str(path),
        ) from error
    try:
        worksheet = _worksheet(path, book, sheet)
        # Each row as long as its own cells: the size a sheet states counts formatted empty
        # cells (a whole row or column formatted reaches row 1,048,576 or column XFD).
        worksheet.reset_dimensions()
        rows = [[_cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
        xml = _sheet_xml(book, worksheet)
        shown = _month_or_year_styles(book)
    # SyntaxError: damaged XML; IndexError: a cell naming a shared text the file lacks.
    except (SyntaxError, ValueError, KeyError, IndexError, OSError) as error:
        raise InputFileError(
            f"cannot read sheet {sheet!r} ({type(error).__name__}: {error}); save the workbook "
            "again as .xlsx or name another sheet with --sheet",
            file=str(path),
        ) from error
    finally:
        book.close()
    _dates_as_shown(rows, xml, shown)
    notes = [*_merged_ranges_filled(path, rows, xml), *_hidden_rows_and_columns(path, rows, xml)]
    return _excel_cells(rows), [*notes, *_uncomputed_formulas(path, xml)]


def _excel_cells(rows: list[list[str]]) -> Grid:
    """The rows of a sheet as a grid of the columns where some row has a cell."""
    width = max((len(row) for row in rows), default=0)
    held = sorted({p for row in rows for p, text in enumerate(row) if text})
    cells = np.full((len(rows), len(held)), "", dtype=object)
    for n, row in enumerate(rows):
        cells[n] = [row[p] if p < len(row) else "" for p in held]
    return Grid(pd.DataFrame(cells, columns=held), width)


def _sheet_xml(book: Any, worksheet: Any) -> bytes:
    """The worksheet's XML as stored (openpyxl keeps no public way to it: without one,
    empty, and formulas go unnoted)."""
    try:
        return book._archive.read(worksheet._worksheet_path)
    except AttributeError:
        return b""


def _cells_span(xml: bytes) -> tuple[int, int]:
    """Where the worksheet's cells start and end in its XML: hidden columns are stated before
    them, merged ranges after, so that neither needs a search through every cell."""
    start = xml.find(b"sheetData")
    return (start, xml.rfind(b"sheetData")) if start >= 0 else (len(xml), len(xml))


def _month_or_year_styles(book: Any) -> dict[int, str]:
    """The workbook's cell styles whose date format shows only a month or only a year, each
    with "month" or "year". Taken from the number formats openpyxl read from `xl/styles.xml` to
    tell dates, so only styles it reads as dates qualify (elapsed times, read as durations, do
    not). Empty without them, or when openpyxl keeps them elsewhere."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, builtin_format_code

    try:
        dates = book._date_formats - book._timedelta_formats
        styles, custom = book._cell_styles, book._number_formats
        codes = {
            style: builtin_format_code(number)
            if (number := styles[style].numFmtId) < BUILTIN_FORMATS_MAX_SIZE
            else custom[number - BUILTIN_FORMATS_MAX_SIZE]
            for style in dates
        }
    except (AttributeError, IndexError, TypeError):
        return {}
    return {style: part for style, code in codes.items() if (part := _date_shown(code or ""))}


def _date_shown(code: str) -> str | None:
    """What a date format shows of a date: "month" for one with a month but no day (Excel's
    mmm-yy shows "Nov-23": the cell stands for November, not for its first day), "year" for one
    with only the year; None for one with a day or a time (an m next to h or s is minutes)."""
    section = FORMAT_LITERALS.sub("", code).split(";")[0].lower()
    parts = set(re.findall(r"[dymhs]", section))
    if parts & {"d", "h", "s"}:
        return None
    return "month" if "m" in parts else "year" if "y" in parts else None


def _dates_as_shown(rows: list[list[str]], xml: bytes, shown: dict[int, str]) -> None:
    """Date cells styled to show only a month or a year read as that month ("2023-11") or year
    ("2023"), which the date reader reads as a month or a year rather than as their first day.
    Cells are found by their style in the XML; only those openpyxl read as a date (a number or
    an ISO date, not text) are changed."""
    from openpyxl.utils import column_index_from_string

    for style, part in shown.items():
        for cell in _elements_with(xml, f's="{style}"'.encode(), STYLED_CELL):
            number, letters, row_number, kind = cell.groups()
            row, column = int(row_number) - 1, column_index_from_string(letters.decode()) - 1
            if int(number) != style or kind not in (b"", b"n", b"d") or row >= len(rows):
                continue
            if column < len(rows[row]) and ISO_DATE.match(text := rows[row][column]):
                rows[row][column] = text[: SHOWN_LENGTH[part]]


def _elements_with(
    xml: bytes, needle: bytes, element: re.Pattern[bytes]
) -> Iterator[re.Match[bytes]]:
    """The elements among the sheet's cells that hold `needle` in their tag and that `element`
    matches: `needle` is searched as plain bytes, many times faster through a sheet of a
    million rows than trying `element` at each of its tags."""
    start, end = _cells_span(xml)
    at = xml.find(needle, start, end)
    while at >= 0:
        if match := element.match(xml, xml.rfind(b"<", start, at)):
            yield match
        at = xml.find(needle, at + 1, end)


def _merged_ranges_filled(path: Path, rows: list[list[str]], xml: bytes) -> list[str]:
    """Each range merged down one column given its value in every row it covers, as Excel
    shows it (openpyxl gives it in the first cell only): a region merged down over its events
    is each event's region. Only rows that hold a cell of their own are filled: Excel stores
    the other cells of a merged range as empty ones, and a region merged on past the last event
    would otherwise add blank rows as events. Ranges across columns (a title over the table, a
    heading over two columns) keep their value in their first cell. A note, also raised as an
    `ImpactWarning`, names the ranges filled."""
    ranges = MERGED_RANGE.findall(xml, _cells_span(xml)[1])
    if not ranges:
        return []
    holding = [any(row) for row in rows]
    filled = [ref.decode() for ref in ranges if _range_filled(rows, holding, ref.decode())]
    if not filled:
        return []
    return _noted(
        path, f"{len(filled)} merged cell range(s) filled with their value ({_first_few(filled)})"
    )


def _range_filled(rows: list[list[str]], holding: list[bool], ref: str) -> bool:
    """Fill the range `ref` ("A2:A6"), when it lies in one column, with its first cell's text
    in the rows that hold a cell of their own (`holding`); whether any cell was filled."""
    (top, column), (bottom, last) = (_cell_place(cell) for cell in ref.split(":"))
    if column != last or top >= len(rows) or column >= len(rows[top]) or not rows[top][column]:
        return False
    text = rows[top][column]
    below = [rows[n] for n in range(top + 1, min(bottom + 1, len(rows))) if holding[n]]
    for row in below:
        row.extend([""] * (column + 1 - len(row)))
        row[column] = text
    return bool(below)


def _cell_place(reference: str) -> tuple[int, int]:
    """A cell's row and column from its reference ("B7"), counted from 0."""
    from openpyxl.utils.cell import coordinate_to_tuple

    row, column = coordinate_to_tuple(reference)
    return row - 1, column - 1


def _hidden_rows_and_columns(path: Path, rows: list[list[str]], xml: bytes) -> list[str]:
    """Notes, each also raised as an `ImpactWarning`, on the hidden rows and columns that hold a
    cell. They are read as any other (each row read is an event, a rejected row or a skipped
    one, none left out unsaid), but an analyst often hides the rows a filter leaves out or a
    column of workings, and should know they were read."""
    numbers = [int(row[1]) for row in _elements_with(xml, b'hidden="', HIDDEN_ROW)]
    hidden = [n for n in numbers if n <= len(rows) and any(rows[n - 1])]
    notes = []
    if hidden:
        notes += _noted(
            path,
            f"{len(hidden)} hidden row(s) read as any other (rows {_first_few(hidden)}): "
            "delete them from the sheet if they are not events",
        )
    columns = HIDDEN_COLUMNS.findall(xml, 0, _cells_span(xml)[0])
    if columns:
        notes += _hidden_columns(path, rows, columns)
    return notes


def _hidden_columns(
    path: Path, rows: list[list[str]], spans: list[tuple[bytes, bytes]]
) -> list[str]:
    """The note on hidden columns (spans of column numbers, from 1) that hold a cell."""
    from openpyxl.utils import get_column_letter

    held = {p + 1 for row in rows for p, text in enumerate(row) if text}
    hidden = sorted(c for c in held if any(int(a) <= c <= int(b) for a, b in spans))
    if not hidden:
        return []
    letters = [get_column_letter(c) for c in hidden]
    return _noted(
        path,
        f"{len(hidden)} hidden column(s) read as any other (columns {_first_few(letters)}): "
        "delete them from the sheet if they are not part of the events",
    )


def _noted(path: Path, note: str) -> list[str]:
    """`note` as a list of notes, and raised as an `ImpactWarning` naming the file."""
    warnings.warn(ImpactWarning(f"{path.name}: {note}"), stacklevel=3)
    return [note]


def _worksheet(path: Path, book: Any, sheet: str | int) -> Any:
    names = book.sheetnames
    if isinstance(sheet, int) and not 0 <= sheet < len(names):
        raise InputFileError(
            f"cannot read sheet {sheet!r}: the workbook has {len(names)} sheet(s) "
            f"({', '.join(names)}); name the sheet with --sheet",
            file=str(path),
        )
    if isinstance(sheet, str) and sheet not in names:
        raise InputFileError(
            f"cannot read sheet {sheet!r}: the workbook has {', '.join(names)}; "
            "name the sheet with --sheet",
            file=str(path),
        )
    chosen = book[names[sheet]] if isinstance(sheet, int) else book[sheet]
    if hasattr(chosen, "iter_rows"):
        return chosen
    tables = [w for w in book.worksheets if getattr(w, "sheet_state", "visible") == "visible"]
    if sheet != 0 or not tables:
        raise InputFileError(
            f"sheet {chosen.title!r} is a chart, not a table; name the sheet of events with "
            "--sheet",
            file=str(path),
        )
    warnings.warn(
        ImpactWarning(
            f"{path.name}: the first sheet '{chosen.title}' is a chart; read the first sheet "
            f"with cells '{tables[0].title}' instead (choose another with --sheet)"
        ),
        stacklevel=2,
    )
    return tables[0]


def _uncomputed_formulas(path: Path, xml: bytes) -> list[str]:
    """A note, also raised as an `ImpactWarning`, on the cells of the sheet's XML that hold a
    formula but no result: a workbook written by a script, or saved by a program that does not
    calculate, keeps only the formula, which is read as an empty cell. (A formula whose result
    is empty text is typed as text, and is not one of them.)"""
    if not FORMULA.search(xml):
        return []
    cells = [
        ref.decode()
        for ref, kind, value in FORMULA_CELL.findall(xml)
        if kind in (b"", b"n", b"d") and not value.strip()
    ]
    if not cells:
        return []
    note = (
        f"{len(cells)} cell(s) hold a formula whose result the file does not store "
        f"({_first_few(cells)}): "
        "read as empty; open the file in Excel or LibreOffice and save it again"
    )
    warnings.warn(ImpactWarning(f"{path.name}: {note}"), stacklevel=2)
    return [note]


def _first_few(items: Sequence[object]) -> str:
    """The first five of `items` for a note, "…" when there are more."""
    return ", ".join(map(str, items[:5])) + (" …" if len(items) > 5 else "")


def _cell_text(value: object) -> str:
    """A cell as pandas would write it: whole numbers without .0, dates in ISO form (a date
    without a time of day as the day alone, as the sheet shows it)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, time):
        return value.isoformat()
    return str(value)
