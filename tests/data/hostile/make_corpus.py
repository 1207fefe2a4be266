"""Write the hostile-input corpus used by tests/test_hostile.py.

Run from this folder (`python make_corpus.py`) to recreate the files; they are committed so the
tests never depend on this script. Files that cannot be committed (a FIFO, /dev/zero, symbolic
links, undecodable file names, malformed reference folders, zip bombs that need a lowered limit)
are made by fixtures in the test module.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
HEADER = "event_id,date,place,township,region,change,gaining_actor,losing_actor,source,notes\n"
KHAMPAT = "E1,2023-11-07,Khampat,Tamu,Sagaing,captured,PDF,Myanmar military,Myanmar Now,\n"
KAWLIN = "E2,2023-11-06,Kawlin,Kawlin,Sagaing,captured,PDF,Myanmar military,The Irrawaddy,\n"


def text(name: str, body: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(body.encode(encoding, "surrogatepass"))


def row(event_id: str, date: str, place: str = "Khampat", **cells: str) -> str:
    values = {
        "township": "Tamu" if place == "Khampat" else "",
        "region": "Sagaing",
        "change": "captured",
        "gaining_actor": "PDF",
        "losing_actor": "Myanmar military",
        "source": "Myanmar Now",
        "notes": "",
    } | cells
    cells = [event_id, date, place, *values.values()]
    quoted = [
        '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v for v in cells
    ]
    return ",".join(quoted) + "\n"


def dates() -> None:
    text("date_year_3023.csv", HEADER + KHAMPAT + row("E9", "7 Nov 3023", "Kawlin"))
    text("date_buddhist_era.csv", HEADER + row("E1", "7 Nov 2566") + KAWLIN)
    text("date_year_1600.csv", HEADER + KHAMPAT + row("E9", "1600-01-01", "Kawlin"))
    text("date_iso_3023.csv", HEADER + KHAMPAT + row("E9", "3023-11-07", "Kawlin"))
    text("date_numeric_3023.csv", HEADER + KHAMPAT + row("E9", "07/11/3023", "Kawlin"))
    text("date_future.csv", HEADER + KHAMPAT + row("E9", "2031-01-05", "Kawlin"))
    text("date_all_out_of_range.csv", HEADER + row("E1", "3023-11-07") + row("E2", "Nov 1600"))
    text("date_huge_numbers.csv", HEADER + KHAMPAT + row("E9", "99999999999", "Kawlin"))
    text("date_range_buddhist.csv", HEADER + row("E1", "3–7 Nov 2566") + KAWLIN)


def unsafe_text() -> None:
    controls = "Kham\x00pat"
    text(
        "control_characters.csv",
        HEADER
        + row(
            "E\x001",
            "2023-11-07",
            controls,
            gaining_actor="PDF\x07\x1b[31m red",
            notes="a\x85b\x7f",
        )
        + row("E2", "2023-11-06", "Kawlin", gaining_actor="KIA\x0b\x0c", source="tab\tin cell"),
    )
    text(
        "mathtext.csv",
        HEADER
        + row("E1", "2023-11-07", gaining_actor=r"$\frac{a$ forces", losing_actor="$x^2$")
        + row("E2", "2023-11-06", "Kawlin", gaining_actor="$$ unbalanced $", notes=r"$\sqrt{$"),
    )
    text(
        "rich_markup.csv",
        HEADER
        + row("E1", "2023-11-07", gaining_actor="[bold red]PDF[/bold red]", notes="[/]")
        + row("E2", "2023-11-06", "Kawlin", gaining_actor="[link=http://x]KIA[/link]"),
    )
    text(
        "formula_cells.csv",
        HEADER
        + row(
            "=1+1",
            "2023-11-07",
            gaining_actor='=HYPERLINK("http://evil.example/x","click")',
            losing_actor="+cmd|' /C calc'!A0",
            source="@SUM(A1:A9)",
            notes="-2+3",
        )
        + row("E2", "2023-11-06", "Kawlin", gaining_actor="\t=1", notes="-12.5"),
    )
    text(
        "formula_header.csv",
        HEADER.strip()
        + ",=cmd|' /C calc'!A0,+extra,@at,-minus\n"
        + KHAMPAT.strip()
        + ",=1+1,+2,@x,-y\n",
    )
    text(
        "markdown_injection.csv",
        HEADER
        + row(
            "E1",
            "2023-11-07",
            gaining_actor="PDF\n# Injected heading\n* injected item ![x](http://evil.example/p.png)",
            notes="<script>alert(1)</script>",
        )
        + row(
            "E2",
            "2023-11-06",
            "Kawlin",
            gaining_actor='<img src="http://evil.example/t.png" onerror="alert(1)">',
            losing_actor="[click](javascript:alert(1)) **bold** `code` &amp; &#60;b&#62;",
        ),
    )
    text(
        "html_in_place.csv",
        HEADER
        + row("E1", "2023-11-07", "<b>Khampat</b>", gaining_actor="<iframe src=//evil>")
        + KAWLIN,
    )
    text(
        "pipes_and_newlines.csv",
        HEADER
        + row("E1", "2023-11-07", gaining_actor="PDF | KIA\n| fake | row |", notes="a\r\nb")
        + KAWLIN,
    )
    acled = (
        "event_id_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,inter1,"
        "actor2,inter2,admin1,admin2,admin3,location,latitude,longitude,source,notes,"
        "=HYPERLINK(1),@evil\n"
        "MMR1,07 November 2023,2023,1,Strategic developments,Non-state actor overtakes "
        "territory,PDF,Rebel group,Military Forces of Myanmar (2021-),State forces,Sagaing,Tamu,"
        "Tamu,Khampat,24.0,94.3,Myanmar Now,=2+2 captured,+x,-y\n"
    )
    text("acled_formula_headers.csv", acled)
    text("long_cell.csv", HEADER + row("E1", "2023-11-07", notes="x" * 200_000) + KAWLIN)
    text(
        "bidi_and_zero_width.csv",
        HEADER + row("E1", "2023-11-07", gaining_actor="\u202eFDP\u202c \u200bPDF") + KAWLIN,
    )


def workbook(name: str, sheets: list[tuple[str, str]], rows: list[list[str]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, state in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for values in rows if state == "visible" else [["date", "place"], ["2020-01-01", "X"]]:
            sheet.append(values)
    path = HERE / name
    book.save(path)
    return path


def hostile_files() -> None:
    rows = [
        ["event_id", "date", "place", "township", "change"],
        ["E1", "2023-11-07", "Khampat", "Tamu", "captured"],
        ["E2", "2023-11-06", "Kawlin", "Kawlin", "captured"],
    ]
    good = workbook("events.xlsx", [("Events", "visible")], rows)
    data = good.read_bytes()
    (HERE / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(random.Random(1).randbytes(2040))
    (HERE / "encrypted.xlsx").write_bytes(ole2)
    (HERE / "old_format.xls").write_bytes(ole2)
    workbook("hidden_first_sheet.xlsx", [("Secret", "hidden"), ("Events", "visible")], rows)
    workbook("very_hidden_first_sheet.xlsx", [("Old", "veryHidden"), ("Events", "visible")], rows)
    with zipfile.ZipFile(HERE / "not_a_workbook.xlsx", "w") as archive:
        archive.writestr("readme.txt", "just a zip")
    _rewrite(good, "zip_entry_encrypted.xlsx", encrypt=True)
    _rewrite(good, "dimension_bomb.xlsx", dimension="A1:XFD1048576")
    _rewrite(good, "damaged_sheet_xml.xlsx", sheet_xml=b"<worksheet><sheetData><row>")
    _rewrite(good, "all_sheets_hidden.xlsx", hide_all=True)
    text("empty.csv", "")
    text("header_only.csv", HEADER)
    (HERE / "binary_garbage.csv").write_bytes(random.Random(7).randbytes(4096))
    (HERE / "xlsx_named_csv.csv").write_bytes(data)
    (HERE / "nul_bytes_raw.csv").write_bytes((HEADER + KHAMPAT).encode().replace(b",", b"\x00,", 3))


def _rewrite(
    source: Path,
    name: str,
    *,
    encrypt: bool = False,
    dimension: str | None = None,
    sheet_xml: bytes | None = None,
    hide_all: bool = False,
) -> None:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(HERE / name, "w") as copy:
        for entry in original.infolist():
            data = original.read(entry.filename)
            if entry.filename.startswith("xl/worksheets/sheet"):
                if dimension:
                    data = data.replace(
                        b'<dimension ref="A1:E3" />', f'<dimension ref="{dimension}"/>'.encode()
                    )
                if sheet_xml:
                    data = sheet_xml
            if entry.filename == "xl/workbook.xml" and hide_all:
                data = data.replace(b'state="visible"', b'state="hidden"')
            copy.writestr(entry, data)
    if encrypt:
        _set_encrypted_flag(HERE / name)


def _set_encrypted_flag(path: Path) -> None:
    """Mark every entry as encrypted (general purpose flag bit 0), as a password tool would."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start >= 0:
            data[start + offset] |= 0x1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def assumptions() -> None:
    files = {
        "growth_minus_100.toml": "growth_low = -1.0\n",
        "growth_absurd.toml": "growth_high = 5.0\n",
        "growth_nan.toml": "growth_central = nan\n",
        "census_future.toml": 'census_date = "2999-01-01"\n',
        "census_not_date.toml": 'census_date = "last spring"\n',
        "assumptions_empty.toml": "",
        "wrong_type.toml": 'growth_central = "high"\n',
        "boolean.toml": "coverage_margin = true\n",
        "unknown_name.toml": "growth_middle = 0.01\n",
        "unknown_entry_key.toml": "[growth_central]\nvalu = 0.01\n",
        "no_value.toml": '[growth_central]\nsource = "me"\n',
        "not_toml.toml": "growth_central: 0.01\n",
        "valid_override.toml": '[growth_central]\nvalue = 0.005\nsource = "own estimate"\n',
    }
    for name, body in files.items():
        text(name, body)


def main() -> None:
    dates()
    unsafe_text()
    hostile_files()
    assumptions()
    text("base.csv", HEADER + KHAMPAT + KAWLIN)


if __name__ == "__main__":
    main()
