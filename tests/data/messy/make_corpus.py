"""Write the messy-input corpus used by tests/test_messy_inputs.py.

Run from this folder (`python make_corpus.py`) to recreate the files; they are committed so the
tests never depend on this script. Each file is one problem an analyst's file really has.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
HEADER = "event_id,date,place,township,region,change,gaining_actor,losing_actor,source\n"
KHAMPAT = "E1,2023-11-07,Khampat,Tamu,Sagaing,captured,PDF,Myanmar military,Myanmar Now\n"
KAWLIN = "E2,2023-11-06,Kawlin,Kawlin,Sagaing,captured,PDF,Myanmar military,The Irrawaddy\n"


def text(name: str, body: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(body.encode(encoding))


def main() -> None:
    text("empty.csv", "")
    text("header_only.csv", HEADER)
    text("semicolon.csv", (HEADER + KHAMPAT + KAWLIN).replace(",", ";"))
    text("tab_separated.tsv", (HEADER + KHAMPAT).replace(",", "\t"))
    text("pipe_separated.txt", (HEADER + KHAMPAT).replace(",", "|"))
    text("utf8_bom.csv", "\ufeff" + HEADER + KHAMPAT)
    text("excel_utf16.csv", (HEADER + KHAMPAT + KAWLIN).replace(",", "\t"), "utf-16")
    text(
        "windows_1252.csv",
        "date,place,township,notes\n3–7 Nov 2023,Khampat,Tamu,"
        "offensive from Friday – town taken; café closed\n",
        "cp1252",
    )
    frame = pd.read_csv(HERE / "semicolon.csv", sep=";")
    frame.to_excel(HERE / "events.xlsx", index=False)
    with pd.ExcelWriter(HERE / "two_sheets.xlsx") as writer:
        pd.DataFrame({"about": ["events are on the next sheet"]}).to_excel(
            writer, sheet_name="Read me", index=False
        )
        frame.to_excel(writer, sheet_name="Events", index=False)
    mixed = (
        "date,place,township\n2023-11-07,Khampat,Tamu\n6 Nov 2023,Kawlin,Kawlin\n"
        "Nov 2023,Kunlong,Kunlong\n2023,Namhsan,Namhsan\n3–7 Nov 2023,Tamu,\n"
        "07/11/2023,Pauktaw,Pauktaw\n17/11/2023,Rihkhawdar,Falam\n"
    )
    text("mixed_dates.csv", mixed)
    text("missing_place_column.csv", "date,actor\n2023-11-07,PDF\n")
    text("missing_date_column.csv", "place,actor\nKhampat,PDF\n")
    text(
        "blank_cells.csv",
        "date,place,township\n,Khampat,Tamu\n2023-11-07,,Tamu\n2023-11-07,Khampat,Tamu\n",
    )
    text("burmese_names.csv", "date,place\n2023-11-07,ခါမ်းပါတ်\n2023-11-06,ကလေး\n")
    text("zawgyi_names.csv", "date,place\n2023-11-07,ေတာင္ႀကီး\n2023-11-06,Khampat\n")
    text(
        "formula_cells.csv",
        "date,place,township,notes,gaining_actor\n"
        '2023-11-07,Khampat,Tamu,=HYPERLINK("http://x"),+PDF\n'
        "2023-11-08,=1+1,Tamu,@SUM(A1),-Army\n",
    )
    text(
        "huge_cell.csv",
        "date,place,notes\n2023-11-07," + "Khampat " * 20_000 + ",big\n"
        "2023-11-07,Kawlin," + "n" * 100_000 + "\n",
    )
    text("duplicate_ids.csv", HEADER + KHAMPAT + KHAMPAT.replace("2023-11-07", "2023-11-09"))
    text("exact_duplicates.csv", HEADER + KHAMPAT + KHAMPAT.replace("E1,", "E9,"))
    acled = pd.DataFrame(
        {
            "event_id_cnty": ["MMR1", "MMR2", "MMR3", "MMR4", "MMR5"],
            "event_date": [
                "07 November 2023",
                "2023-11-06",
                "2023-11-10",
                "2023-11-17",
                "2023-11-20",
            ],
            "year": [2023] * 5,
            "time_precision": [1, 1, 2, 1, 3],
            "event_type": [
                "Strategic developments",
                "Strategic developments",
                "Battles",
                "Battles",
                "Strategic developments",
            ],
            "sub_event_type": [
                "Non-state actor overtakes territory",
                "Non-state actor overtakes territory",
                "Armed clash",
                "Government regains territory",
                "Non-violent transfer of territory",
            ],
            "actor1": [
                "PDF: People's Defence Force",
                "Military Forces of Myanmar (2021-)",
                "KIA: Kachin Independence Army",
                "Military Forces of Myanmar (2021-)",
                "AA: Arakan Army",
            ],
            "inter1": ["Rebel group", "State forces", "Rebel group", "State forces", "Rebel group"],
            "actor2": [
                "Military Forces of Myanmar (2021-)",
                "PDF: People's Defence Force",
                "Military Forces of Myanmar (2021-)",
                "AA: Arakan Army",
                "",
            ],
            "inter2": ["State forces", "Rebel group", "State forces", "Rebel group", ""],
            "admin1": ["Sagaing", "Sagaing", "Kachin", "Rakhine", "Rakhine"],
            "admin2": ["Tamu", "Katha", "Myitkyina", "Sittwe", "Sittwe"],
            "admin3": ["Tamu", "Kawlin", "Myitkyina", "Pauktaw", "Pauktaw"],
            "location": ["Khampat", "Kawlin", "Myitkyina", "Pauktaw", "Pauktaw"],
            "latitude": [23.78, 23.79, 25.38, 20.17, 20.17],
            "longitude": [94.15, 95.68, 97.39, 92.90, 92.90],
            "geo_precision": [1, 1, 1, 2, 2],
            "source": ["Myanmar Now", "Irrawaddy", "Irrawaddy", "Myanmar Now", "Narinjara"],
            "notes": ["On 7 November 2023, PDF took Khampat.", "", "", "", ""],
            "fatalities": [0, 0, 3, 0, 0],
        }
    )
    acled.to_csv(HERE / "acled_export.csv", index=False)
    text(
        "change_words.csv",
        "date,place,township,change\n2023-11-07,Khampat,Tamu,seized\n"
        "2023-11-06,Kawlin,Kawlin,took full control\n2023-11-17,Pauktaw,Pauktaw,retaken\n"
        "2023-11-20,Namhsan,Namhsan,handed back under a ceasefire deal\n"
        "2023-11-21,Kunlong,Kunlong,Claimed\n2023-11-22,Tamu,,danced\n",
    )
    text(
        "future_and_precensus.csv",
        "date,place,township\n2030-01-01,Khampat,Tamu\n2010-05-01,Kawlin,Kawlin\n",
    )
    text("unknown_places.csv", "date,place\n2023-11-07,Atlantis\n2023-11-07,Xqzzv Town\n")
    text(
        "ambiguous_places.csv",
        "date,place,township\n2023-11-07,Myothit,\n2023-11-07,No (1) Ward,Tamu\n",
    )
    text(
        "extra_columns.csv",
        "date,place,township,Reporter name,Casualties (reported)\n"
        "2023-11-07,Khampat,Tamu,A. Analyst,unknown\n",
    )
    text(
        "qualifiers.csv",
        "date,place\n2023-11-06,outskirts of Kawlin\n"
        '2023-11-07,Khampat (reported)\n2023-11-07,"LIB-345 base, Tamu"\n',
    )
    text(
        "pcodes.csv",
        "date,place\n2023-11-07,MMR005030703\n2023-11-06,MMR5024701\n2023-11-08,MMR999999\n",
    )
    text("hint_contradicts.csv", "date,place,township\n2023-11-07,Khampat,Kawlin\n")
    text("whitespace_and_case.csv", "  DATE , Place ,TOWNSHIP\n 2023-11-07 ,  KHAMPAT  , tamu \n")
    text(
        "quoted_newlines.csv",
        'date,place,township,notes\n2023-11-07,Khampat,Tamu,"first '
        'line\nsecond line, with comma"\n2023-11-06,Kawlin,Kawlin,plain\n',
    )
    text("excel_serial_dates.csv", "date,place,township\n45237,Khampat,Tamu\n")
    text("no_change_column.csv", "date,place,township\n2023-11-07,Khampat,Tamu\n")
    text("wrong_delimiter_in_rows.csv", "date;place;township\n2023-11-07,Khampat,Tamu\n")
    text("second_file.csv", "date,place,township,event_id\n2023-12-15,Namhsan,Namhsan,S1\n")
    # Issue 12: columns named like ours, odd headers, line numbers, free-text changes.
    text(
        "colliding_columns.csv",
        "date,place,township,population_source,level,counted,source_row,wards,pcode\n"
        "2023-11-07,Khampat,Tamu,MIMU 2014,town,yes,2,5,KP-1\n"
        "2023-11-06,Kawlin,Kawlin,census,town,no,3,,KL-2\n",
    )
    text("duplicate_headers.csv", "date,place,notes,Notes,notes\n2023-11-07,Khampat,a,b,c\n")
    text(
        "trailing_delimiter.csv",
        "date,place,township,\n2023-11-07,Khampat,Tamu,\n2023-11-06,Kawlin,Kawlin,\n",
    )
    text(
        "weekday_before_date.csv",
        "Day,Date,Town,Township\nTue,7 Nov 2023,Khampat,Tamu\nMon,6 Nov 2023,Kawlin,Kawlin\n",
    )
    text(
        "title_and_blank_lines.csv",
        "Control changes, Sagaing, November 2023\n"
        "# typed by the field team\n"
        "\n"
        "date,place,township\n"
        "2023-11-07,Khampat,Tamu\n"
        "\n"
        "2023-11-06,,Kawlin\n",
    )
    text(
        "quoted_header_delimiter.csv",
        '"Date (d; m; y)";"Town, village";"Township"\n07 Nov 2023;Khampat;Tamu\n',
    )
    text(
        "change_free_text.csv",
        "date,place,township,change,confidence\n"
        "2023-11-07,Khampat,Tamu,captured (reported),high\n"
        "2023-11-06,Kawlin,Kawlin,took full control,\n"
        "2023-11-17,Pauktaw,Pauktaw,failed to capture,\n"
        "2023-11-12,Kunlong,Kunlong,under attack,\n"
        "2023-11-13,Rihkhawdar,Falam,partially captured,low\n",
    )
    text(
        "pcode_beside_place.csv",
        "date,place,pcode\n2023-11-07,Khampat,MMR005030703\n2023-11-06,Kawlin,\n",
    )


if __name__ == "__main__":
    main()
