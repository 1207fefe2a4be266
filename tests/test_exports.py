"""The workbook: real dates and numbers, formats, frozen header, filter, README, every row,
formulas defused in every sheet and header; measured against the row limit."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from impact.exports import safe_cells, write_csv, write_workbook


def _table(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": [f"E{i}" for i in range(rows)],
            "date": pd.date_range("2023-01-01", periods=rows, freq="h").normalize(),
            "population_central": pd.array(
                [12345 + i if i % 7 else None for i in range(rows)], "Int64"
            ),
            "match_score": [92.5] * rows,
            "lat": [23.47557] * rows,
            "counted": [i % 2 == 0 for i in range(rows)],
            "=danger": ['=HYPERLINK("x")'] + ["-plain text"] * (rows - 1),
        }
    )


def test_cells_are_typed_and_formatted(tmp_path):
    path = tmp_path / "b.xlsx"
    write_workbook({"impacts": _table(10)}, path, [("caveat", "=1+1 is text here")])
    book = load_workbook(path)
    assert book.sheetnames == ["README", "impacts"]
    sheet = book["impacts"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "'=danger" and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G11"
    row = sheet[2]
    assert isinstance(row[1].value, dt.datetime) and row[1].number_format == "yyyy\\-mm\\-dd"
    assert row[1].value == dt.datetime(2023, 1, 1)
    assert row[2].value is None, "unknown stays empty, never 0"
    assert sheet["C3"].value == 12346 and sheet["C3"].number_format == "#,##0"
    assert sheet["D2"].value == 92.5 and sheet["D2"].number_format == "#,##0.00"
    assert sheet["E2"].value == 23.47557 and sheet["E2"].number_format == "0.00000"
    assert sheet["F2"].value is True
    assert sheet["G2"].value == '\'=HYPERLINK("x")' and sheet["G3"].value == "'-plain text"
    assert sheet.column_dimensions["A"].width >= 8
    readme = book["README"]
    assert readme["B1"].value == "'=1+1 is text here"
    assert "impacts (10 rows)" in readme["B2"].value


def test_no_row_cap_below_excels_limit(tmp_path):
    path = tmp_path / "b.xlsx"
    write_workbook({"impacts": _table(25_000)}, path)
    sheet = load_workbook(path, read_only=True)["impacts"]
    assert sheet.max_row == 25_001


def test_same_tables_same_bytes(tmp_path):
    write_workbook({"impacts": _table(50)}, tmp_path / "a.xlsx")
    write_workbook({"impacts": _table(50)}, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


@settings(max_examples=25, deadline=None)
@given(
    texts=st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=40),
    chunk=st.sampled_from([1, 3, 10_000]),
)
def test_any_text_reads_back_as_the_safe_cell_text(tmp_path_factory, texts, chunk):
    """Shared strings, escaping, chunking and missing cells: openpyxl reads back each cell as
    `safe_cells` made it (XML-illegal characters as U+FFFD), in its own row and column."""
    import impact.workbook

    table = pd.DataFrame({"a": pd.array(texts, dtype="string"), "b": texts[::-1]})
    path = tmp_path_factory.mktemp("wb") / "t.xlsx"
    previous, impact.workbook.CHUNK_ROWS = impact.workbook.CHUNK_ROWS, chunk
    try:
        write_workbook({"t": table}, path)
    finally:
        impact.workbook.CHUNK_ROWS = previous
    rows = list(load_workbook(path, read_only=True)["t"].iter_rows(values_only=True))
    expected = safe_cells(table).astype(object).where(table.notna(), None)
    illegal = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
    for row, (a, b) in zip(rows[1:], expected.itertuples(index=False), strict=True):
        wanted = tuple(None if v is None or v == "" else illegal.sub("\ufffd", v) for v in (a, b))
        got = tuple(None if v in (None, "") else v for v in row)
        assert got == wanted


def test_chunks_built_in_parallel_give_the_bytes_built_in_order(tmp_path, monkeypatch):
    import impact.workbook

    monkeypatch.setattr(impact.workbook, "CHUNK_ROWS", 7)
    books = []
    for builders in (1, 3):
        monkeypatch.setattr(impact.workbook, "BUILDERS", builders)
        path = tmp_path / f"{builders}.xlsx"
        write_workbook({"impacts": _table(100), "again": _table(30)}, path)
        books.append(path.read_bytes())
    assert books[0] == books[1]
    rows = list(load_workbook(tmp_path / "3.xlsx", read_only=True)["impacts"].iter_rows())
    assert [r[0].value for r in rows[1:]] == [f"E{i}" for i in range(100)]


@pytest.mark.parametrize("helper", [False, True])
def test_the_report_workbook_equals_one_written_alone(tmp_path, helper):
    """Written here or with a helper process writing some of the files, the same workbook."""
    from impact.exports import write_tables

    tables = {"impacts": _table(200), "again": _table(30)}
    write_tables(tables, tmp_path, readme=[("title", "a test")], helper_when=lambda: helper)
    write_workbook(tables, tmp_path / "alone.xlsx", readme=[("title", "a test")])
    assert (tmp_path / "impact.xlsx").read_bytes() == (tmp_path / "alone.xlsx").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "again.csv",
        "alone.xlsx",
        "impact.xlsx",
        "impacts.csv",
    ]


@pytest.mark.parametrize("helper", [False, True])
def test_a_workbook_that_fails_raises_its_error_here(tmp_path, monkeypatch, helper):
    import impact.exports
    from impact.exports import write_tables

    def broken(*_args):
        raise OSError("disk full while writing the workbook")

    monkeypatch.setattr(impact.exports, "_write_safe_workbook", broken)
    with pytest.raises(OSError, match="disk full"):
        write_tables({"impacts": _table(20)}, tmp_path, helper_when=lambda: helper)


def test_a_column_has_one_number_format_whatever_the_chunks(tmp_path, monkeypatch):
    """Whole numbers in one chunk and decimals in another: every cell of the column is shown
    with decimals, not per chunk of rows."""
    import impact.workbook

    monkeypatch.setattr(impact.workbook, "CHUNK_ROWS", 2)
    table = pd.DataFrame({"share": [1.0, 2.0, 3.0, 0.5], "people": [10, 20, 30, 40]})
    path = tmp_path / "b.xlsx"
    write_workbook({"t": table}, path)
    sheet = load_workbook(path)["t"]
    assert {sheet.cell(row, 1).number_format for row in range(2, 6)} == {"#,##0.00"}
    assert {sheet.cell(row, 2).number_format for row in range(2, 6)} == {"#,##0"}
    assert [sheet.cell(row, 1).value for row in range(2, 6)] == [1, 2, 3, 0.5]


def test_the_archive_checks_out(tmp_path):
    """Every entry's checksum and sizes agree with its data, whichever deflate wrote it."""
    import zipfile

    path = tmp_path / "b.xlsx"
    write_workbook({"impacts": _table(30_000)}, path)
    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in book.infolist())


def test_parts_written_past_the_zip_module_equal_its_own_writes(tmp_path, monkeypatch):
    """Sheet parts are checksummed and deflated by the package, not by `zipfile`'s `write`:
    the archive's bytes are the same either way."""
    from impact import workbook

    tables = {"impacts": _table(25_000), "summary": _table(3)}
    write_workbook(tables, tmp_path / "fast.xlsx")
    monkeypatch.setattr(workbook, "_ENTRY_FIELDS", (*workbook._ENTRY_FIELDS, "_no_such_field"))
    write_workbook(tables, tmp_path / "zip.xlsx")
    assert (tmp_path / "fast.xlsx").read_bytes() == (tmp_path / "zip.xlsx").read_bytes()


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["Khampat", "Tamu", None, "=1+1"]),
            st.one_of(st.none(), st.integers(0, 3)),
            st.sampled_from([1.5, 2.0, None]),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    ),
    chunk=st.sampled_from([1, 4, 10_000]),
)
def test_columns_written_as_one_piece_give_the_same_bytes(tmp_path_factory, rows, chunk):
    """Joining neighbouring columns into one piece of each row changes no byte of the file."""
    import impact.row_text
    import impact.workbook

    table = pd.DataFrame(rows, columns=["place", "count", "share", "flag"])
    table["count"] = table["count"].astype("Int64")
    folder = tmp_path_factory.mktemp("wb")
    books = []
    for share in (1, 10**9):
        previous = impact.row_text.JOIN_SHARE, impact.workbook.CHUNK_ROWS
        impact.row_text.JOIN_SHARE, impact.workbook.CHUNK_ROWS = share, chunk
        try:
            write_workbook({"t": table}, folder / f"{share}.xlsx")
        finally:
            impact.row_text.JOIN_SHARE, impact.workbook.CHUNK_ROWS = previous
        books.append((folder / f"{share}.xlsx").read_bytes())
    assert books[0] == books[1]


def _arrow_writer_bytes(table: pd.DataFrame) -> bytes:
    """The rows as Arrow's own CSV writer writes them (text quoted, dates as dates)."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = {}
    for name in table.columns:
        column = table[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            columns[name] = pa.array(column, type=pa.timestamp("ns")).cast(pa.date32())
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            columns[name] = pa.array(column.astype("string"), type=pa.string(), from_pandas=True)
        else:
            columns[name] = pa.array(column, from_pandas=True)
    out = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(pa.table(columns), out, write_options=options)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["Khampat", "", 'say "hi"', "a,b", "l1\nl2"])),
            st.one_of(st.none(), st.integers(-(2**40), 2**40)),
            st.one_of(st.none(), st.floats(allow_nan=True), st.sampled_from([0.1, -0.0, 1e20])),
            st.booleans(),
            st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))),
        ),
        min_size=1,
        max_size=25,
    ),
    chunk=st.sampled_from([1, 3, 50_000]),
)
def test_csv_rows_are_what_arrows_writer_writes(tmp_path_factory, rows, chunk):
    """Each distinct value's text built once and rows joined from them: the same bytes as
    Arrow's CSV writer, for text, integers with gaps, any float, booleans and dates."""
    import impact.exports

    table = pd.DataFrame(rows, columns=["text", "count", "share", "flag", "day"])
    table["count"] = table["count"].astype("Int64")
    table["share"] = table["share"].astype(float)
    table["day"] = pd.to_datetime(table["day"])
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    previous, impact.exports.CSV_CHUNK_ROWS = impact.exports.CSV_CHUNK_ROWS, chunk
    try:
        impact.exports.write_csv(table, path)
    finally:
        impact.exports.CSV_CHUNK_ROWS = previous
    header, _, body = path.read_bytes().partition(b"\n")
    assert header == b"text,count,share,flag,day"
    assert body == _arrow_writer_bytes(impact.exports.safe_cells(table))


HOSTILE = st.sampled_from(["=1+2", "'=1+2", "-3", "+x", "@SUM(A1)", "a\x00b", "a\u2400b", "ok", ""])


@settings(max_examples=30, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), HOSTILE, st.text(max_size=8)), min_size=1, max_size=30))
def test_text_held_as_categories_is_written_as_the_same_bytes(tmp_path_factory, texts):
    """Formulas defused and controls shown on the distinct texts of a categorical column give
    the files its plain text gives, also where two texts come out the same ("=a", "'=a")."""
    plain = pd.DataFrame({"a": pd.Series(texts, dtype="str"), "n": range(len(texts))})
    held = plain.assign(a=plain["a"].astype("category"))
    folder = tmp_path_factory.mktemp("held")
    for name, table in (("plain", plain), ("held", held)):
        write_csv(table, folder / f"{name}.csv")
        write_workbook({"t": table}, folder / f"{name}.xlsx")
    assert (folder / "held.csv").read_bytes() == (folder / "plain.csv").read_bytes()
    assert (folder / "held.xlsx").read_bytes() == (folder / "plain.xlsx").read_bytes()


def test_a_text_longer_than_an_excel_cell_is_cut_and_marked_in_the_workbook_only(tmp_path):
    """Excel holds 32,767 characters (UTF-16 units) in a cell and repairs a file with more:
    the workbook cuts such a text and says so in its README; the CSV keeps it whole."""
    from impact.workbook import CUT_MARK, EXCEL_CELL_CHARS

    burmese = "က" * 20_000  # 60,000 UTF-8 bytes, 20,000 characters: fits
    texts = ["A" * 100_000, "😀" * 20_000, burmese, "short"]
    table = pd.DataFrame({"notes": pd.Series(texts, dtype="str"), "n": range(4)})
    write_workbook({"impacts": table}, tmp_path / "t.xlsx", readme=[("title", "t")])
    write_csv(table, tmp_path / "t.csv")
    book = load_workbook(tmp_path / "t.xlsx", read_only=True)
    cells = [row[0] for row in book["impacts"].iter_rows(min_row=2, values_only=True)]
    for text, cell in zip(texts, cells, strict=True):
        assert len(cell.encode("utf-16-le")) // 2 <= EXCEL_CELL_CHARS
        if text in (burmese, "short"):
            assert cell == text
        else:
            assert cell.endswith(CUT_MARK) and text.startswith(cell.removesuffix(CUT_MARK))
    readme = [row for row in book["README"].iter_rows(values_only=True)]
    assert ("impacts", next(t for n, t in readme if n == "impacts")) in readme
    assert "2 cell(s) longer than a cell holds" in dict(readme)["impacts"]
    assert pd.read_csv(tmp_path / "t.csv")["notes"].tolist() == texts


def test_a_table_wider_than_excel_keeps_its_first_columns_in_the_workbook(tmp_path):
    from impact.exports import EXCEL_MAX_COLUMNS

    table = pd.DataFrame([range(EXCEL_MAX_COLUMNS + 5)], columns=[f"c{i}" for i in range(16_389)])
    write_workbook({"impacts": table}, tmp_path / "t.xlsx", readme=[("title", "t")])
    write_csv(table, tmp_path / "t.csv")
    book = load_workbook(tmp_path / "t.xlsx", read_only=True)
    header = next(book["impacts"].iter_rows(max_row=1, values_only=True))
    assert len(header) == EXCEL_MAX_COLUMNS and header[-1] == f"c{EXCEL_MAX_COLUMNS - 1}"
    readme = dict(book["README"].iter_rows(values_only=True))
    assert (
        readme["impacts"]
        == "16,389 columns: the sheet holds the first 16,384; impacts.csv holds all"
    )
    assert pd.read_csv(tmp_path / "t.csv").shape == (1, 16_389)


def test_a_sheet_within_excels_rows_is_the_table_itself():
    """A table that fits a sheet goes to the workbook as it is: pandas' `head` would copy
    every column (half a gigabyte of a million-event report held twice while it is written)."""
    from impact.exports import EXCEL_MAX_ROWS, _first

    table = pd.DataFrame({"a": range(5), "b": list("vwxyz")})
    assert _first(table, EXCEL_MAX_ROWS - 1) is table
    assert _first(table, 5) is table
    assert _first(table, 3).equals(table.head(3))
