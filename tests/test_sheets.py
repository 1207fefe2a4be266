"""Reading text files into cells: Arrow's reader where it reads as pandas' does."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.sheets import _arrow_grid, _occupied, _pandas_grid, decode

DATA = Path(__file__).parent / "data"
CELL = st.one_of(
    st.sampled_from(["", "Khampat", "7 Nov 2023", "a b", "x;y", "x,y", '5" gun', "é ☃"]),
    st.text(alphabet='ab ,;"\n\t', max_size=6),
)


def _width(body: str, delimiter: str) -> int:
    return len(next(csv.reader(io.StringIO(body), delimiter=delimiter), []))


def _line(cells: list[str], delimiter: str, quoted: list[bool]) -> str:
    shown = [
        '"' + c.replace('"', '""') + '"' if q else c for c, q in zip(cells, quoted, strict=True)
    ]
    return delimiter.join(shown)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(CELL, min_size=2, max_size=4), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    quoting=st.lists(st.booleans(), min_size=4, max_size=4),
    end=st.sampled_from(["", "\n"]),
)
def test_arrow_reads_what_pandas_reads_or_leaves_it_to_pandas(rows, delimiter, quoting, end):
    """Any text, quoted or not, ragged or not: Arrow's grid, when it gives one, is pandas'."""
    body = "\n".join(_line(r, delimiter, quoting[: len(r)]) for r in rows) + end
    fast = _arrow_grid(body.encode("utf-8"), 0, delimiter, _width(body, delimiter))
    if fast is None:
        return
    try:
        slow = _pandas_grid(body, delimiter, Path("t.csv"))
    except Exception:  # pandas refuses what Arrow read: a difference
        pytest.fail(f"Arrow read what pandas refuses: {body!r}")
    pd.testing.assert_frame_equal(fast.cells, slow.cells)
    assert fast.width == slow.width


@pytest.mark.parametrize(
    "path", sorted(p for p in DATA.rglob("*") if p.suffix in {".csv", ".txt", ".tsv"})
)
def test_every_test_file_reads_alike(path):
    """The project's own messy, hostile and real files: Arrow's grid is pandas' grid."""
    try:
        text = decode(path.read_bytes(), path)
    except Exception:  # files that are not text are refused before this
        pytest.skip("not text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for delimiter in (",", ";", "\t", "|"):
        fast = _arrow_grid(text.encode("utf-8"), 0, delimiter, _width(text, delimiter))
        if fast is not None:
            slow = _pandas_grid(text, delimiter, path)
            pd.testing.assert_frame_equal(fast.cells, slow.cells)
            assert fast.width == slow.width


def test_a_large_file_read_by_arrow_gives_each_column_in_one_piece():
    """Arrow reads a large file in blocks; each column comes back whole, so that picking rows
    out of it later is one step, not one per block."""
    body = "".join(f"e{n},Khampat {n % 97},2023-11-{1 + n % 28:02d}\n" for n in range(150_000))
    grid = _arrow_grid(body.encode("utf-8"), 0, ",", 3)
    assert grid is not None and len(grid.cells) == 150_000
    assert [grid.cells[c].array._pa_array.num_chunks for c in grid.cells.columns] == [1, 1, 1]
    assert grid.cells.iloc[149_999].tolist() == ["e149999", "Khampat 37", "2023-11-04"]


def test_only_formulas_without_a_stored_result_are_noted(tmp_path):
    from impact.errors import ImpactWarning
    from impact.sheets import _uncomputed_formulas

    xml = (
        b'<worksheet><sheetData><row r="2">'
        b'<c r="A2"><f>"E"&amp;ROW()</f><v /></c>'  # written by a script: no result
        b'<c r="B2" t="str"><f>IF(1,"","x")</f><v></v></c>'  # result: empty text
        b'<c r="C2"><f>DATE(2023,11,8)</f><v>45238</v></c>'  # result stored
        b'<c r="D2" s="1"><f t="shared" si="0"/></c>'  # shared, no result
        b'<x:c r="E2"><x:f>1+1</x:f></x:c>'  # prefixed, no value element
        b'<c r="F2" t="inlineStr"><is><t>f</t></is></c>'
        b"</row></sheetData></worksheet>"
    )
    with pytest.warns(ImpactWarning, match=r"events\.xlsx: 3 cell"):
        notes = _uncomputed_formulas(tmp_path / "events.xlsx", xml)
    assert "(A2, D2, E2)" in notes[0]
    plain = b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>'
    assert _uncomputed_formulas(tmp_path / "events.xlsx", plain) == []


def test_a_utf8_file_with_some_windows_1252_lines_reads_each_line_in_its_own(tmp_path):
    from impact.errors import ImpactWarning
    from impact.sheets import decoded

    data = (
        "date,place,notes\n2023-11-07,Khampat,Sécurité – confirmé\n".encode()
        + "2023-11-08,Pauktaw,café\n".encode("cp1252")
        + "2023-11-09,Kunlong,မြို့\n".encode()
    )
    with pytest.warns(ImpactWarning, match=r"1 line\(s\) are not UTF-8 .*\(line 3\)"):
        text, notes = decoded(data, tmp_path / "events.csv")
    assert "Sécurité – confirmé" in text and "café" in text and "မြို့" in text
    assert notes and "Windows-1252" in notes[0]
    assert decoded("date,place\n2023-11-07,café\n".encode("cp1252"), tmp_path / "x.csv") == (
        "date,place\n2023-11-07,café\n",
        [],
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["", "", "", " ", "x", "a\nb", "é"]), min_size=5, max_size=5),
        min_size=1,
        max_size=6,
    )
)
def test_a_grid_keeps_every_column_with_a_cell_and_only_those(rows):
    """Columns are dropped only where no record has a cell; the others keep their position."""
    grid = pd.DataFrame(rows, dtype="str")
    held = _occupied(grid)
    expected = [j for j in range(5) if any(row[j] for row in rows)]
    assert held.width == 5 and list(held.cells.columns) == expected
    pd.testing.assert_frame_equal(held.cells, grid[expected])


def test_a_wide_file_is_held_as_wide_as_its_cells(tmp_path):
    """A line run on to column XFD and a sheet formatted out to it hold only their cells'
    columns, each under its position in the file."""
    import openpyxl
    from openpyxl.styles import Font

    from impact.sheets import _excel_grid

    lines = ["date,place", "2023-11-07,Khampat", ",,,x"]
    text = "".join(line + "," * (16_383 - line.count(",")) + "\n" for line in lines)
    grid = _arrow_grid(text.encode("utf-8"), 0, ",", _width(text, ","))
    assert grid is not None and (grid.width, list(grid.cells.columns)) == (16_384, [0, 1, 3])
    book = openpyxl.Workbook()
    book.active.append(("date", "place"))
    book.active.cell(row=1, column=16_384).font = Font(bold=True)
    book.active.cell(row=3, column=700, value="x")
    book.save(tmp_path / "events.xlsx")
    grid, _ = _excel_grid(tmp_path / "events.xlsx", (tmp_path / "events.xlsx").read_bytes(), 0)
    assert (grid.width, list(grid.cells.columns), len(grid.cells)) == (16_384, [0, 1, 699], 3)


def _saved(book, tmp_path) -> tuple[Path, bytes]:
    path = tmp_path / "events.xlsx"
    book.save(path)
    return path, path.read_bytes()


def test_a_merged_range_gives_its_value_to_every_cell_and_is_noted(tmp_path):
    """A region merged down over its events is each event's region; rows without a cell of
    their own are left as they are, and a range across columns (a title) keeps its value in
    its first cell."""
    import openpyxl

    from impact.errors import ImpactWarning
    from impact.sheets import _excel_grid

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(("Control changes, Nov 2023",))
    sheet.append(("region", "township", "place"))
    for township, place in (("Tamu", "Khampat"), ("Tamu", "Tamu"), ("Kawlin", "Kawlin")):
        sheet.append(("Sagaing" if place == "Khampat" else None, township, place))
    sheet.append(("Shan", "Lashio", "Lashio"))
    sheet.merge_cells("A1:XFD1")  # a title merged across the whole row
    sheet.merge_cells("A3:A5")
    sheet.merge_cells("B3:B4")
    sheet.merge_cells("A6:A40")  # on over blank rows
    sheet.merge_cells("D3:E3")  # no value: nothing to fill
    with pytest.warns(ImpactWarning, match=r"events\.xlsx: 2 merged cell range\(s\) filled"):
        grid, notes = _excel_grid(*_saved(book, tmp_path), 0)
    assert notes[0].startswith("2 merged cell range(s) filled with their value (")
    assert set(notes[0].rpartition("(")[2].rstrip(")").split(", ")) == {"A3:A5", "B3:B4"}
    assert list(grid.cells.columns) == [0, 1, 2]
    assert (grid.cells.iloc[6:] == "").all(axis=None)
    assert grid.cells[0].tolist()[2:6] == ["Sagaing", "Sagaing", "Sagaing", "Shan"]
    assert grid.cells[1].tolist()[2:6] == ["Tamu", "Tamu", "Kawlin", "Lashio"]
    assert grid.cells.iloc[0].tolist() == ["Control changes, Nov 2023", "", ""]


def test_hidden_rows_and_columns_are_read_and_noted(tmp_path):
    """Rows a filter hid are still rows (each one used, rejected or skipped), and so are hidden
    columns; the notes say which, so that an analyst can delete them. Hidden rows and columns
    without a cell are not named."""
    import openpyxl

    from impact.errors import ImpactWarning
    from impact.sheets import _excel_grid

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(("date", "place", "working"))
    for day in range(7, 11):
        sheet.append((f"2023-11-{day:02d}", f"Place {day}", day))
    for row in (3, 4, 9):
        sheet.row_dimensions[row].hidden = True
    sheet.column_dimensions["C"].hidden = True
    sheet.column_dimensions.group("E", "Z", hidden=True)
    with pytest.warns(ImpactWarning, match="hidden (row|column)") as raised:
        grid, notes = _excel_grid(*_saved(book, tmp_path), 0)
    assert notes == [
        "2 hidden row(s) read as any other (rows 3, 4): delete them from the sheet if they are "
        "not events",
        "1 hidden column(s) read as any other (columns C): delete them from the sheet if they "
        "are not part of the events",
    ]
    assert len(raised) == 2
    # Row 9, hidden but empty, is read too (then skipped as blank, as any empty row).
    assert (
        grid.cells[1].tolist() == ["place", "Place 7", "Place 8", "Place 9", "Place 10"] + [""] * 4
    )
    assert grid.cells[2].tolist()[:5] == ["working", "7", "8", "9", "10"]


@pytest.mark.parametrize(
    ("number_format", "text"),
    [
        ("mmm-yy", "2023-11"),
        ("mmmm yyyy", "2023-11"),
        ("mmm yyyy", "2023-11"),
        ("yyyy-mm", "2023-11"),
        ("mm/yyyy", "2023-11"),
        ("[$-409]mmm\\-yy;@", "2023-11"),
        ("yyyy", "2023"),
        ("dd/mm/yyyy", "2023-11-07"),
        ("d-mmm-yy", "2023-11-07"),
        ("mm-dd-yy", "2023-11-07"),  # Excel's built-in format 14
        ("d mmmm yyyy", "2023-11-07"),
        ("h:mm", "2023-11-07"),
    ],
)
def test_a_date_formatted_to_show_a_month_or_a_year_reads_as_that(tmp_path, number_format, text):
    """A date that Excel shows as "Nov-23" is November 2023, not 1 November; one that shows its
    day keeps it."""
    from datetime import datetime

    import openpyxl

    from impact.sheets import _excel_grid

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(("date", "place"))
    sheet.append((datetime(2023, 11, 7), "Khampat"))
    sheet.append((datetime(2023, 11, 7, 10, 30), "Kawlin"))
    sheet.append(("2023-11-07", "Tamu"))  # text, whatever its format
    for row in (2, 4):
        sheet.cell(row, 1).number_format = number_format
    grid, _ = _excel_grid(*_saved(book, tmp_path), 0)
    assert grid.cells[0].tolist() == ["date", text, "2023-11-07 10:30:00", "2023-11-07"]


def test_excels_built_in_month_format_reads_as_a_month(tmp_path):
    """Built-in formats are stored as a number, not a code: 17 is mmm-yy, 14 to 16 and 22 show
    a day."""
    import zipfile
    from datetime import datetime

    import openpyxl
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    from impact.sheets import _excel_grid

    book = openpyxl.Workbook()
    sheet = book.active
    ids = (14, 15, 16, 17, 22)
    for n, number in enumerate(ids, start=1):
        sheet.cell(n, 1, datetime(2023, 11, 7)).number_format = BUILTIN_FORMATS[number]
    path, data = _saved(book, tmp_path)
    styles = zipfile.ZipFile(path).read("xl/styles.xml")
    assert all(f'numFmtId="{number}"'.encode() in styles for number in ids)
    assert b'formatCode="mm' not in styles and b'formatCode="d' not in styles
    grid, _ = _excel_grid(path, data, 0)
    assert grid.cells[0].tolist() == ["2023-11-07"] * 3 + ["2023-11", "2023-11-07"]


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("mmm-yy", "month"),
        ('mmmm" "yyyy', "month"),
        ("[Blue][$-409]mmmm yyyy", "month"),
        ('"Day" mmm yy', "month"),
        ("yyyy", "year"),
        ('yyyy" (m)"', "year"),
        ("dd/mm/yyyy", None),
        ("ddd mmm yyyy", None),
        ("h:mm", None),
        ("mm:ss", None),
        ("[mm]:ss", None),
        ("[h]:mm", None),
        ("mmm-yy h:mm AM/PM", None),
        ("yyyy-mm-dd hh:mm", None),
        ("General", None),
    ],
)
def test_what_a_date_format_shows(code, shown):
    from impact.sheets import _date_shown

    assert _date_shown(code) == shown


def test_a_merged_region_and_a_month_formatted_date_reach_the_events(tmp_path):
    """Through the events reader: every row under a merged region has it, and a date shown as
    a month is an event of that month."""
    from datetime import datetime

    import openpyxl

    import impact
    from impact.errors import ImpactWarning

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(("Date", "Region", "Township", "Town", "Change", "Actor"))
    sheet.append((datetime(2023, 11, 7), "Sagaing", "Tamu", "Khampat", "captured", "PDF"))
    sheet.append((datetime(2023, 11, 8), None, "Kawlin", "Kawlin", "captured", "PDF"))
    sheet.append((datetime(2023, 11, 7), None, "Tamu", "Tamu", "captured", "PDF"))
    sheet["A4"].number_format = "mmm-yy"
    sheet.merge_cells("B2:B4")
    path, _ = _saved(book, tmp_path)
    with pytest.warns(ImpactWarning, match=r"1 merged cell range\(s\) filled .*\(B2:B4\)"):
        table = impact.read_events(path)
    events = table.events.set_index("source_row").sort_index()
    assert events["region"].tolist() == ["Sagaing"] * 3
    assert events["date_precision"].tolist() == ["day", "day", "month"]
    assert events.loc[4, "date_text"] == "2023-11"
    assert str(events.loc[4, "date_end"].date()) == "2023-11-30"
    assert table.rows_read == 3 and table.rejected.empty
