"""Reading events: headers, dates, change words, encodings, and every row accounted for."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import impact
from impact.dates import parse_event_dates
from impact.errors import InputFileError
from impact.pipeline import default_events_path
from impact.schemas import CERTAINTIES, CHANGES


def test_seed_events_read_cleanly():
    table = impact.read_events(default_events_path())
    assert len(table.events) == 8 and table.rejected.empty and table.skipped.empty
    assert table.events["date"].min() == pd.Timestamp("2023-10-27")
    assert table.inputs[0].rows == 8 and len(table.inputs[0].sha256) == 64


def test_forgiving_headers_and_semicolons(write_events):
    path = write_events("Location;Event Date;State;Actor\nKhampat;7 Nov 2023;Sagaing;PDF\n")
    events = impact.read_events(path).events
    assert events.loc[0, ["place", "region", "gaining_actor"]].tolist() == [
        "Khampat",
        "Sagaing",
        "PDF",
    ]
    assert events.loc[0, "date"] == pd.Timestamp("2023-11-07")


def test_bad_rows_are_rejected_with_reason_row_and_column(write_events):
    path = write_events(
        "event_id,date,place,change\n"
        "a,2023-11-07,Khampat,captured\n"
        "b,07/11/2023,Khampat,captured\n"
        "c,,Khampat,captured\n"
        "d,2023-11-08,,captured\n"
        "a,2023-11-09,Tamu,captured\n"
        "e,2023-11-09,Tamu,danced\n"
    )
    table = impact.read_events(path)
    rejected = table.rejected.set_index("source_row")
    assert table.events["event_id"].tolist() == ["a"]
    assert rejected.loc[3, ["column", "reason"]].tolist() == ["date", "bad_date"]
    assert "--dayfirst" in rejected.loc[3, "message"]
    assert rejected.loc[4, "reason"] == "missing_date"
    assert rejected.loc[5, ["column", "reason"]].tolist() == ["place", "missing_place"]
    assert rejected.loc[6, "reason"] == "duplicate_event"
    assert rejected.loc[7, ["value", "reason"]].tolist() == ["danced", "bad_value"]
    assert len(table.events) + len(table.rejected) == table.rows_read == 6


@pytest.mark.parametrize(
    ("text", "dayfirst", "date", "start", "precision"),
    [
        ("2023-11-07", None, "2023-11-07", "2023-11-07", "day"),
        ("7 Nov 2023", None, "2023-11-07", "2023-11-07", "day"),
        ("November 7, 2023", None, "2023-11-07", "2023-11-07", "day"),
        ("7th November 2023", None, "2023-11-07", "2023-11-07", "day"),
        ("17/11/2023", None, "2023-11-17", "2023-11-17", "day"),
        ("11/17/2023", None, "2023-11-17", "2023-11-17", "day"),
        ("07/11/2023", None, None, None, None),
        ("07/11/2023", True, "2023-11-07", "2023-11-07", "day"),
        ("07/11/2023", False, "2023-07-11", "2023-07-11", "day"),
        ("Nov 2023", None, "2023-11-01", "2023-11-01", "month"),
        ("2023", None, "2023-01-01", "2023-01-01", "year"),
        ("3–7 Nov 2023", None, "2023-11-07", "2023-11-03", "range"),
        ("30 Oct – 2 Nov 2023", None, "2023-11-02", "2023-10-30", "range"),
        ("2023-11-07 00:00:00", None, "2023-11-07", "2023-11-07", "day"),
        ("2023-11-07 10:00", None, "2023-11-07", "2023-11-07", "day"),
        ("2023-11-07T23:30:00Z", None, "2023-11-07", "2023-11-07", "day"),
        ("2023-11-07 23:59:59.999000", None, "2023-11-07", "2023-11-07", "day"),
        ("2023-11-07T10:00+06:30", None, "2023-11-07", "2023-11-07", "day"),
        ("3 - 7 Nov 2023", None, "2023-11-07", "2023-11-03", "range"),
        ("၁၇/၁၁/၂၀၂၃", None, "2023-11-17", "2023-11-17", "day"),
        ("２０２３-１１-０７", None, "2023-11-07", "2023-11-07", "day"),
        ("၇ Nov ၂၀၂၃", None, "2023-11-07", "2023-11-07", "day"),
        ("Nov. 7th, 2023", None, "2023-11-07", "2023-11-07", "day"),
        ("Tuesday, November 7, 2023", None, "2023-11-07", "2023-11-07", "day"),
        ("Sept. 7, 2023", None, "2023-09-07", "2023-09-07", "day"),
        ("\u200b2023-11-07", None, "2023-11-07", "2023-11-07", "day"),
        ("45237", None, "2023-11-07", "2023-11-07", "day"),
        ("99999", None, None, None, None),
        ("yesterday", None, None, None, None),
    ],
)
def test_parse_event_dates(text, dayfirst, date, start, precision):
    row = parse_event_dates(pd.Series([text]), dayfirst=dayfirst).iloc[0]

    def as_text(v):
        return None if pd.isna(v) else v.strftime("%Y-%m-%d")

    assert (as_text(row["date"]), as_text(row["date_start"])) == (date, start)
    assert (None if pd.isna(row["date_precision"]) else row["date_precision"]) == precision


def test_missing_file_and_missing_columns_are_clear(write_events, tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        impact.read_events(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="no place column"):
        impact.read_events(write_events("date,actor\n2023-11-07,PDF\n"))
    with pytest.raises(InputFileError, match="empty"):
        impact.read_events(write_events(""))


def test_columns_named_like_ours_are_kept_as_input_columns(write_events):
    path = write_events(
        "date,place,township,population_source,level,counted,source_row,wards,outcome\n"
        "2023-11-07,Khampat,Tamu,MIMU,town,yes,99,5,won\n"
    )
    table = impact.read_events(path)
    row = table.events.iloc[0]
    assert row["input_population_source"] == "MIMU" and row["input_level"] == "town"
    assert row["input_counted"] == "yes" and row["input_wards"] == "5"
    assert row["input_source_row"] == "99" and row["source_row"] == 2
    assert row["input_outcome"] == "won"
    assert table.renamed[str(path)]["population_source"] == "input_population_source"
    assert table.inputs[0].as_dict()["renamed"]["level"] == "input_level"


def test_a_pcode_column_is_the_place_when_it_holds_pcodes(write_events):
    codes = write_events(
        "date,place,pcode\n2023-11-07,Khampat,MMR005030703\n2023-11-06,Kawlin,\n", "codes.csv"
    )
    events = impact.read_events(codes).events.set_index("input_place")
    assert events.loc["Khampat", "place"] == "MMR005030703"
    assert events.loc["Kawlin", "place"] == "Kawlin"
    other = write_events("date,place,pcode\n2023-11-07,Khampat,K-17\n", "other.csv")
    row = impact.read_events(other).events.iloc[0]
    assert (row["place"], row["input_pcode"]) == ("Khampat", "K-17")


def test_every_header_kept_under_another_name_is_listed(write_events):
    path = write_events(
        "event_id,date,place,change,Unnamed: 3,verified?,,=bad header,Source Note,kept\n"
        "R1,2023-11-06,Kawlin,captured,u,yes,blank,x,y,z\n"
    )
    table = impact.read_events(path)
    assert table.renamed[str(path)] == {
        "Unnamed: 3": "unnamed_3",
        "verified?": "verified",
        "=bad header": "bad_header",
        "Source Note": "source_note",
    }
    assert table.events.iloc[0][["unnamed_3", "column_7", "kept"]].tolist() == ["u", "blank", "z"]
    assert "no header kept as column_7" in " ".join(table.inputs[0].notes)


def test_repeated_headers_are_numbered_and_reported(write_events):
    path = write_events("date,place,notes,notes,Notes\n2023-11-07,Khampat,a,b,c\n")
    table = impact.read_events(path)
    row = table.events.iloc[0]
    assert (row["notes"], row["notes_2"], row["notes_3"]) == ("a", "b", "c")
    assert "notes_2" in " ".join(table.inputs[0].notes)
    assert set(table.renamed[str(path)].values()) == {"notes_2", "notes_3"}


def test_a_repeat_is_numbered_past_a_header_that_has_the_number(write_events):
    path = write_events("date,place,notes,notes,notes_2\n2023-11-07,Khampat,a,b,c\n")
    row = impact.read_events(path).events.iloc[0]
    assert (row["notes"], row["notes_3"], row["notes_2"]) == ("a", "b", "c")


@pytest.mark.parametrize("header", ["date,date,place", "Date,place,pcode,pcode", "date,place,DATE"])
def test_repeated_date_or_pcode_headers_are_read_not_crashed_on(write_events, header):
    """The columns checked for weekdays and P-codes are looked at one by one, by position."""
    cells = {"date": "2023-11-07", "place": "Khampat", "pcode": "MMR005030703"}
    row = ",".join(cells[name.lower()] for name in header.split(","))
    table = impact.read_events(write_events(f"{header}\n{row}\n"))
    place = "input_place" if "pcode" in header else "place"  # P-codes name the place
    assert table.events[place].tolist() == ["Khampat"]
    assert table.events["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-11-07"]
    assert "repeats" in " ".join(table.inputs[0].notes)


def test_trailing_delimiter_weekday_column_and_quoted_headers(write_events):
    trailing = write_events("date,place,\n2023-11-07,Khampat,\n2023-11-06,Kawlin,\n", "t.csv")
    events = impact.read_events(trailing).events
    assert len(events) == 2 and not any(c.startswith("column_") for c in events.columns)
    weekday = write_events("Day,Date,Town\nTue,7 Nov 2023,Khampat\n", "w.csv")
    table = impact.read_events(weekday)
    assert table.events.loc[0, "date"] == pd.Timestamp("2023-11-07")
    assert table.events.loc[0, "day"] == "Tue"
    quoted = write_events(
        '"Date (d; m; y)";"Town, village";"Change"\n2023-11-07;Khampat;captured\n', "q.csv"
    )
    assert impact.read_events(quoted).events.loc[0, "place"] == "Khampat"


def test_a_point_places_an_event_without_a_place_name(write_events, reference):
    path = write_events(
        "event_id,date,place,latitude,longitude\n"
        "named,2023-11-07,Khampat,,\n"
        "point,2023-11-08,,24.2114,94.3153\n"
        "dash,2023-11-08,-,24.2114,94.3153\n"
        "unreadable,2023-11-09,,24.2 N,94.3 E\n"
        "nothing,2023-11-09,,,\n"
    )
    table = impact.read_events(path)
    assert table.events["event_id"].tolist() == ["named", "dash", "point"]
    assert table.rejected["reason"].tolist() == ["missing_place"] * 2
    assert "latitude and longitude" in table.rejected["message"].iloc[0]
    resolved = impact.resolve_places(table.events, reference).resolved.set_index("event_id")
    assert resolved.loc["point", "pcode"] == resolved.loc["dash", "pcode"] == "MMR005030701"
    assert resolved.loc["point", "match_method"] == "coordinates"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("date,place\n\n2023-11-07,Khampat\n\n\n2023-11-08,\n", 6),
        ("Tracker, Nov 2023\n# from the team sheet\n\ndate,place\n2023-11-08,\n", 5),
        ('date,place,notes\n2023-11-07,Khampat,"a\nb\n\nc"\n2023-11-08,,x\n', 6),
        ("date,place\r\n\r\n2023-11-08,\r\n", 3),
    ],
    ids=["blank lines", "title lines", "quoted newlines", "windows line ends"],
)
def test_rejected_rows_carry_the_files_own_line_numbers(write_events, text, line):
    table = impact.read_events(write_events(text))
    assert table.rejected["source_row"].tolist() == [line]
    assert table.rejected["reason"].tolist() == ["missing_place"]


def test_formulas_without_stored_results_are_noted_not_read_silently(tmp_path):
    import openpyxl

    from impact.errors import ImpactWarning

    book = openpyxl.Workbook()  # openpyxl stores formulas without their results
    for values in (
        ("event_id", "date", "place"),
        ('="E"&ROW()', "2023-11-07", "Khampat"),
        ("E3", "=DATE(2023,11,8)", "Kawlin"),
        ("E4", "2023-11-09", "Tamu"),
    ):
        book.active.append(values)
    book.save(tmp_path / "events.xlsx")
    with pytest.warns(ImpactWarning, match=r"2 cell\(s\) hold a formula .*\(A2, B3\)"):
        table = impact.read_events(tmp_path / "events.xlsx")
    assert "save it again" in table.inputs[0].notes[-1]
    assert table.rejected["source_row"].tolist() == [3]
    assert table.events["event_id"].tolist()[-1] == "E4"


def test_a_chart_sheet_first_is_passed_over_with_a_note(tmp_path):
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    from impact.errors import ImpactWarning

    book = openpyxl.Workbook()
    book.active.title = "Events"
    for values in (("date", "place", "people"), ("2023-11-07", "Khampat", 1)):
        book.active.append(values)
    chart = BarChart()
    chart.add_data(Reference(book.active, min_col=3, min_row=1, max_row=2))
    book.create_chartsheet("Chart", 0).add_chart(chart)
    book.save(tmp_path / "events.xlsx")
    with pytest.warns(ImpactWarning, match="'Chart' is a chart"):
        table = impact.read_events(tmp_path / "events.xlsx")
    assert table.events["place"].tolist() == ["Khampat"]
    with pytest.raises(InputFileError, match="is a chart, not a table"):
        impact.read_events(tmp_path / "events.xlsx", sheet="Chart")


def test_a_workbook_without_formulas_has_no_formula_note(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(("date", "place"))
    book.active.append(("2023-11-07", "Khampat"))
    book.save(tmp_path / "events.xlsx")
    assert not impact.read_events(tmp_path / "events.xlsx").inputs[0].notes


def test_excel_rows_are_sheet_rows(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Control changes, Nov 2023"
    for row, values in {
        3: ("date", "place"),
        4: ("2023-11-07", "Khampat"),
        6: ("2023-11-08", None),
    }.items():
        sheet.cell(row, 1, values[0])
        sheet.cell(row, 2, values[1])
    book.save(tmp_path / "events.xlsx")
    table = impact.read_events(tmp_path / "events.xlsx")
    assert table.events["source_row"].tolist() == [4]
    assert table.rejected["source_row"].tolist() == [6]
    assert table.rows_read == 2


def test_a_delimiter_repeated_to_excels_last_column_is_not_read_as_columns(tmp_path):
    """Saved from a spreadsheet, each line runs on to column XFD: the 16,375 empty columns are
    dropped without each being read, and the events are the file's own."""
    lines = ["event_id,date,place,", "a,2023-11-07,Khampat,", "b,2023-11-08,Tamu,note"]
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    wide = tmp_path / "wide.csv"
    wide.write_text("\n".join(line + "," * 16_380 for line in lines) + "\n", encoding="utf-8")
    read = impact.read_events(wide)
    pd.testing.assert_frame_equal(
        read.events.drop(columns="source_file"),
        impact.read_events(plain).events.drop(columns="source_file"),
    )
    assert read.events["column_4"].fillna("").tolist() == ["", "note"]
    assert "16380 empty column(s) without a header dropped" in read.inputs[0].notes


def test_a_sheet_formatted_far_right_and_far_down_reads_its_own_cells(tmp_path):
    """Formatting (a column to XFD, a row near the bottom) makes a sheet's stated size huge;
    only the cells it holds are read, a stray value far right is kept, rows keep their number."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [("date", "place"), ("2023-11-07", "Khampat"), (), ("2023-11-08", "Tamu")]:
        sheet.append(row)
    sheet.cell(row=1, column=16_384).font = Font(bold=True)
    sheet.cell(row=10_000, column=1).font = Font(bold=True)
    sheet.cell(row=2, column=5_000, value="checked")
    book.save(tmp_path / "events.xlsx")
    read = impact.read_events(tmp_path / "events.xlsx")
    assert read.events["source_row"].tolist() == [2, 4]
    assert read.events["column_5000"].fillna("").tolist() == ["checked", ""]
    assert read.rows_read == 2


@pytest.mark.parametrize("extra", [50, 51, 3000])
def test_many_values_past_the_header_are_kept_together_beyond_fifty(write_events, extra):
    """Up to 50 nameless columns with values are kept apart; more are kept together, each
    record's cells as "column_<position>: value", so no value is lost and no output is
    thousands of columns wide."""
    stray = ",".join(f"v{n}" for n in range(extra))
    path = write_events(
        "event_id,date,place\n"
        "a,2023-11-07,Khampat\n"
        f"b,2023-11-08,Tamu,{stray}\n"
        "c,2023-11-09,Kalay,,,x\n"
    )
    table = impact.read_events(path)
    events = table.events.set_index("event_id")
    assert len(events) + len(table.rejected) == table.rows_read == 3
    notes = " ".join(table.inputs[0].notes)
    if extra <= 50:
        assert events.loc["b", f"column_{3 + extra}"] == f"v{extra - 1}"
        assert events.loc["c", "column_6"] == "x" and "unnamed_cells" not in events
        return
    assert not any(str(c).startswith("column_") for c in events.columns)
    cells = events["unnamed_cells"]
    assert pd.isna(cells["a"]) and cells["c"] == "column_6: x"
    assert cells["b"].startswith("column_4: v0; column_5: v1; column_6: v2; column_7: v3")
    assert cells["b"].endswith(f"; column_{3 + extra}: v{extra - 1}")
    assert cells["b"].count("; ") == extra - 1
    assert f"{extra} columns with values but no header (column_4 to column_{3 + extra})" in notes


def test_a_cell_longer_than_the_csv_modules_limit_is_read(write_events):
    """Text pasted into a cell can pass 131,072 characters, the csv module's default limit: in
    a title line above the header and in a file with a ragged row, it is read like any cell."""
    long_text = "x, y " * 40_000
    path = write_events(
        f'"{long_text}"\n'
        "event_id,date,place,notes\n"
        f'a,2023-11-07,Khampat,"{long_text}"\n'
        "b,2023-11-08,Tamu,short,extra\n"
    )
    table = impact.read_events(path)
    events = table.events.set_index("event_id")
    assert events.loc["a", "notes"] == long_text.strip()
    assert events.loc["b", "column_5"] == "extra"
    assert "1 line(s) above the header (title or notes) skipped" in table.inputs[0].notes
    assert table.rows_read == 2 and table.rejected.empty


ANALYST_SHEET = Path(__file__).with_name("data") / "messy" / "analyst_sheet.csv"


def _report(tmp_path, name, *options):
    out = tmp_path / name
    done = subprocess.run(
        [sys.executable, "-m", "impact", "report", str(ANALYST_SHEET), "--out", str(out), *options],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return out


def test_an_analysts_sheet_runs_end_to_end(tmp_path):
    out = _report(tmp_path, "report")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == {"input": 29, "used": 26, "rejected": 3, "skipped": 0}
    renamed = manifest["inputs"][0]["renamed"]
    assert renamed == {
        "Day": "day",
        "population_source": "input_population_source",
        "level": "input_level",
        "counted": "input_counted",
        "wards": "input_wards",
    }
    impacts = pd.read_csv(out / "impacts.csv").set_index("source_row")
    assert impacts.loc[19, "place"] == "Loikaw" and impacts.loc[19, "change_certainty"] == "partial"
    assert impacts.loc[4, ["change", "change_qualifier", "change_certainty"]].tolist() == [
        "captured",
        "reported",
        "claimed",
    ]
    assert impacts.loc[20, ["change", "change_qualifier"]].tolist() == [
        "handed over",
        "under a ceasefire",
    ]
    assert impacts.loc[7, "input_population_source"] == "census"
    assert impacts["population_source"].str.startswith("mimu_census").all()
    assert impacts.loc[5, "notes"] == "garrison surrendered;\nabout 2,000 troops"
    certainty = impacts["change_certainty"].value_counts().to_dict()
    assert certainty == {"confirmed": 16, "claimed": 7, "partial": 2, "brief": 1}
    assert impacts["counted"].sum() == 17
    assert impacts.loc[17, "not_counted_reason"] == "control held only briefly (count_brief = 0)"
    rejected = pd.read_csv(out / "rejected.csv")
    assert rejected["source_row"].tolist() == [24, 25, 30]
    assert rejected["value"].tolist() == ["under attack", "failed to capture", "not captured"]
    assert "did not change" in rejected.loc[1, "message"]
    assert "retreated" in rejected.loc[0, "message"]


def test_the_counting_rule_follows_the_assumptions(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("count_claimed = true\ncount_brief = true\ncount_partial = false\n")
    out = _report(tmp_path, "report", "--assumptions", str(rules))
    impacts = pd.read_csv(out / "impacts.csv").set_index("source_row")
    assert impacts.loc[26, "counted"] and impacts.loc[27, "counted"]
    assert impacts.loc[17, "not_counted_reason"].startswith("same place counted at its latest")
    assert impacts.loc[19, "not_counted_reason"] == (
        "partial change of control (count_partial = 0)"
    )


change_cell = st.one_of(
    st.none(),
    st.sampled_from(["captured (reported)", "failed to capture", "briefly held", "under attack"]),
    st.text(
        # A bare CR or LF written unquoted by pandas is a real line break: another test.
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
        max_size=30,
    ),
)


@settings(max_examples=60, deadline=None)
@given(changes=st.lists(change_cell, min_size=1, max_size=12))
def test_any_change_text_is_read_or_rejected_as_bad_value(tmp_path_factory, changes):
    frame = pd.DataFrame({"place": "Khampat", "change": changes})
    frame["date"] = pd.date_range("2023-11-01", periods=len(frame)).strftime("%Y-%m-%d")
    path = tmp_path_factory.mktemp("changes") / "events.csv"
    frame.to_csv(path, index=False)
    table = impact.read_events(path)
    assert len(table.events) + len(table.rejected) + len(table.skipped) == table.rows_read
    assert table.events["change"].isin(CHANGES).all()
    assert table.events["change_certainty"].isin(CERTAINTIES).all()
    assert set(table.rejected["reason"]) <= {"bad_value"}
    assert set(table.rejected["column"]) <= {"change"}


def test_acled_columns_named_like_ours_are_kept(write_events):
    path = write_events(
        "event_id_cnty,event_date,sub_event_type,actor1,inter1,actor2,inter2,admin1,admin3,"
        "location,region,source,notes\n"
        "MMR1,07 November 2023,Non-state actor overtakes territory,PDF,Rebel group,"
        "Military Forces of Myanmar (2021-),State forces,Sagaing,Tamu,Khampat,Southeast Asia,"
        "Myanmar Now,PDF took Khampat\n"
    )
    table = impact.read_events(path)
    row = table.events.iloc[0]
    assert (row["region"], row["input_region"]) == ("Sagaing", "Southeast Asia")
    assert table.renamed[str(path)] == {"region": "input_region"}


def test_acled_export_without_actor2_and_with_repeated_headers(write_events):
    """A trimmed export (no actor2, inter1 or inter2) still reads; repeated headers are
    numbered, the first keeping its ACLED meaning, and a blank one gets a column name."""
    path = write_events(
        "event_id_cnty,event_date,sub_event_type,actor1,admin1,admin3,location,notes,Notes,"
        "notes_2,Actor1,,source\n"
        "MMR1,2023-11-07,Non-state actor overtakes territory,PDF,Sagaing,Tamu,Khampat,a,b,c,"
        "XX,blank,RFA\n"
    )
    table = impact.read_events(path)
    row = table.events.iloc[0]
    assert (row["place"], row["gaining_actor"], row["notes"]) == ("Khampat", "PDF", "a")
    assert pd.isna(row["losing_actor"])
    assert (row["notes_3"], row["notes_2"], row["actor1_2"], row["column_12"]) == (
        "b",
        "c",
        "XX",
        "blank",
    )
    notes = " ".join(table.inputs[0].notes)
    assert "column 9 kept as notes_3" in notes and "column 11 kept as actor1_2" in notes


def test_optional_columns_a_file_lacks_are_empty_text_before_validation(write_events, monkeypatch):
    """A column the file lacks is made as text with no value, like the columns it has, so
    validation converts no cell of it (on a million rows, one such column cost 0.05 s)."""
    from impact import events

    path = write_events("date,place,change\n2023-11-07,Khampat,captured\n")
    normalised = {}
    real = events._validate

    def keep(frame, problems):
        normalised["frame"] = frame
        return real(frame, problems)

    monkeypatch.setattr(events, "_validate", keep)
    table = events.read_events(path, as_of="2026-12-05")
    frame = normalised["frame"]
    for column in ("district", "confidence", "event_scope", "alt_names", "latitude"):
        assert frame[column].dtype == "string" and frame[column].isna().all()
        assert table.events[column].dtype == "str" and table.events[column].isna().all()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("events.csv", b"\x1f\x8b\x08\x00" + bytes(40), "compressed (gzip)"),
        (
            "events.ods",
            b"PK\x03\x04" + bytes(26) + b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
            "OpenDocument",
        ),
        ("events.xlsb", b"PK\x03\x04" + bytes(60), "binary Excel workbook"),
        ("events.xls", b"<html><body><table><tr><td>date</td></tr></table>", "web page (HTML)"),
    ],
)
def test_files_of_other_formats_are_named_in_the_message(tmp_path, name, data, says):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InputFileError, match=re.escape(says)):
        impact.read_events(tmp_path / name)


def test_date_messages_say_what_is_wrong(write_events):
    path = write_events(
        "event_id,date,place\n"
        "a,2101-01-01,Khampat\n"
        "b,00/11/2023,Khampat\n"
        "c,2023-13-45;Khampat,Khampat\n"
        "d,not a date,Khampat\n"
    )
    messages = impact.read_events(path).rejected.set_index("source_row")["message"]
    assert messages[2].startswith("year outside 1900-2100")
    assert messages[3].startswith("cannot read date '00/11/2023'")
    assert "delimiter" in messages[4]
    assert "delimiter" not in messages[5]


def test_an_excel_serial_in_the_date_column_is_read_and_flagged(write_events):
    table = impact.read_events(write_events("date,place\n45237,Khampat\n"), as_of="2026-12-05")
    row = table.events.iloc[0]
    assert row["date"] == pd.Timestamp("2023-11-07")
    assert row["date_flag"] == "Excel serial number read as a date"


def _text_bytes_held(frame: pd.DataFrame) -> int:
    """Bytes of Arrow buffers the frame's text columns keep alive (a slice keeps its
    parent's)."""
    held = 0
    for column in frame.columns:
        chunked = getattr(frame[column].array, "_pa_array", None)
        if chunked is not None:
            held += sum(b.size for c in chunked.chunks for b in c.buffers() if b is not None)
    return held


def test_popped_events_are_let_go_by_the_table(tmp_path):
    """A run hands the events on and drops them: the table keeps an empty frame of the same
    columns that holds none of their text (an empty slice would hold all of it)."""
    seeds = pd.read_csv(default_events_path(), dtype=str)
    many = pd.concat([seeds] * 250, ignore_index=True)
    many["event_id"] = [f"e{i}" for i in range(len(many))]
    many["date"] = pd.date_range("2021-02-01", periods=len(many)).strftime("%Y-%m-%d")
    path = tmp_path / "events.csv"
    many.to_csv(path, index=False)
    table = impact.read_events(path)
    columns = list(table.events.columns)
    events = table.pop_events()
    assert len(events) == len(many) and _text_bytes_held(events) > 100_000
    assert list(table.events.columns) == columns and table.events.empty
    assert (table.events.dtypes == events.dtypes).all()
    assert _text_bytes_held(table.events) < 1_000


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_read_with_or_without_a_byte_order_mark(tmp_path, codec):
    path = tmp_path / "events.csv"
    path.write_bytes("date,place,change\n2023-11-07,Khampat,captured\n".encode(codec))
    events = impact.read_events(path).events
    assert events[["place", "change"]].values.tolist() == [["Khampat", "captured"]]


def test_utf16_text_cut_short_is_a_message(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes("date,place\n2023-11-07,Khampat\n".encode("utf-16") + b"x")
    with pytest.raises(InputFileError, match="UTF-16"):
        impact.read_events(path)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("date,place,outcome,input_outcome", ["input_outcome", "input_outcome_2"]),
        ("date,place,pcode,input_pcode", ["input_pcode", "input_pcode_2", "input_place"]),
        ("date,place,pcode,input_place", ["input_pcode", "input_place_2", "input_place"]),
    ],
)
def test_a_header_kept_as_input_name_never_clashes_with_another(write_events, header, expected):
    """A header named like a project column is kept as input_<name>; when the sheet already
    has that name (or input_place, which P-codes need), the later one is numbered."""
    path = write_events(f"{header},change\n2023-11-07,Khampat,MMR005030703,y,captured\n")
    table = impact.read_events(path)
    assert len(table.events) == 1
    kept = [c for c in table.events.columns if c.startswith("input_")]
    assert sorted(kept) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        # A town column is the place before a location column (here a state).
        ("Date,Location,Town\n2024-02-06,Rakhine,Kyauktaw\n", "place", "Kyauktaw"),
        ("Date of takeover,Towns captured\n2024-02-06,Kyauktaw\n", "place", "Kyauktaw"),
        ("Date AA announced,Town\n2024-02-06,Kyauktaw\n", "date_text", "2024-02-06"),
        ("Date,Township\n2024-02-06,Kyauktaw\n", "place", "Kyauktaw"),
        # An empty P-code column is not the place.
        ("Date,Pcode,Town/Village\n2024-02-06,,Kyauktaw\n", "place", "Kyauktaw"),
        # A type column without change words is not the change; one of change words is.
        ("Date,Town,Type\n2024-02-06,Kyauktaw,Border town\n", "change", "captured"),
        ("Date,Town,Status\n2024-02-06,Kyauktaw,Retaken by SAC\n", "change", "recaptured"),
        ("Date,Town,Event\n2024-02-06,Kyauktaw,handed over\n", "change", "handed over"),
        ("Date,Town,Controlled by\n2024-02-06,Kyauktaw,AA\n", "gaining_actor", "AA"),
        ("Date,Town,Previous control\n2024-02-06,Kyauktaw,SAC\n", "losing_actor", "SAC"),
    ],
)
def test_the_headers_analysts_use_are_read(write_events, text, column, expected):
    events = impact.read_events(write_events(text)).events
    assert events[column].tolist() == [expected]


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "problem"),
    [
        ("Nov-23", "2023-11-01", "2023-11-30", "month", None),  # Excel's mmm-yy
        ("early November 2023", "2023-11-01", "2023-11-10", "range", None),
        ("mid-Nov 2023", "2023-11-11", "2023-11-20", "range", None),
        ("late Feb 2024", "2024-02-21", "2024-02-29", "range", None),
        ("~13 Aug 2024", "2024-08-13", "2024-08-13", "day", "approximate"),
        ("28 Oct 2025 (approx)", "2025-10-28", "2025-10-28", "day", "approximate"),
        ("Oct 2025?", "2025-10-01", "2025-10-31", "month", "approximate"),
        ("2024.08.03", "2024-08-03", "2024-08-03", "day", None),
        ("20240803", "2024-08-03", "2024-08-03", "day", None),
        ("7/11/23", "2023-11-07", "2023-11-07", "day", None),
        ("7/11/2023 0:00:00", "2023-11-07", "2023-11-07", "day", None),
        ("7/11/2023 12:00 AM", "2023-11-07", "2023-11-07", "day", None),
        ("Dec 2023 - Jan 2024", "2023-12-01", "2024-01-31", "range", None),
        ("Jul–Aug 2024", "2024-07-01", "2024-08-31", "range", None),
    ],
)
def test_dates_as_analysts_write_them(text, start, end, precision, problem):
    from impact.dates import parse_event_dates

    row = parse_event_dates(pd.Series([text], dtype="string"), dayfirst=True).iloc[0]
    assert (str(row["date_start"].date()), str(row["date_end"].date())) == (start, end)
    assert row["date_precision"] == precision
    assert (None if pd.isna(row["date_problem"]) else row["date_problem"]) == problem


def test_an_approximate_date_is_flagged_in_the_events(write_events):
    events = impact.read_events(write_events("date,place\n~7 Nov 2023,Khampat\n")).events
    assert events["date_flag"].tolist() == ["approximate as written"]


def test_a_workbook_whose_first_sheet_has_no_events_names_its_other_sheets(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "README"
    book.active.append(["How to use this tracker"])
    data = book.create_sheet("Data")
    data.append(["date", "place"])
    data.append(["2023-11-07", "Khampat"])
    path = tmp_path / "tracker.xlsx"
    book.save(path)
    with pytest.raises(InputFileError, match=r"other sheets \('Data'\): name the one"):
        impact.read_events(path)
    assert impact.read_events(path, sheet="Data").events["place"].tolist() == ["Khampat"]


def test_an_excel_date_keeps_its_text_as_the_day(tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["date", "place"])
    book.active.append([datetime(2023, 11, 7), "Khampat"])
    book.active.append([datetime(2023, 11, 8, 14, 30), "Kawlin"])
    path = tmp_path / "events.xlsx"
    book.save(path)
    events = impact.read_events(path).events
    assert events["date_text"].tolist() == ["2023-11-07", "2023-11-08 14:30:00"]


def test_a_sheet_name_with_a_numeric_entity_is_read_as_written(tmp_path):
    import zipfile

    from openpyxl import Workbook

    from impact.input_files import visible_sheets

    book = Workbook()
    book.active.title = "It's"
    book.active.append(["date", "place"])
    book.active.append(["2100", "Khampat"])  # the last year read
    path = tmp_path / "events.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as saved:
        entries = {info.filename: saved.read(info) for info in saved.infolist()}
    entries["xl/workbook.xml"] = entries["xl/workbook.xml"].replace(b"It's", b"It&#39;s")
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, content in entries.items():
            rewritten.writestr(name, content)
    data = path.read_bytes()
    assert b"It&#39;s" in zipfile.ZipFile(path).read("xl/workbook.xml")
    assert visible_sheets(data) == ["It's"]
    events = impact.read_events(path, sheet="It's", as_of="2200-01-01").events
    assert events["date"].dt.year.tolist() == [2100]


def test_an_empty_town_cell_takes_the_village_named_beside_it(write_events):
    path = write_events(
        "Date,Township,Town,Village\n2023-11-07,Tamu,Khampat,\n2023-11-20,Lashio,,Ho Nar\n"
        "2023-11-21,Lashio,,\n"
    )
    table = impact.read_events(path)
    assert table.events["place"].tolist() == ["Khampat", "Ho Nar"]
    assert table.rejected["reason"].tolist() == ["missing_place"]
    assert "empty places taken from column 'village' (1 rows)" in table.inputs[0].notes


def test_totals_and_headings_are_skipped_as_not_events_and_counted(write_events):
    path = write_events(
        "date,place,region,change,gaining_actor,notes\n"
        "--- Sagaing ---,,,,,\n"
        "2023-11-07,Khampat,Sagaing,captured,PDF,\n"
        "Rakhine State,,,,,\n"
        "2024-03-14,Kyauktaw,Rakhine,captured,AA,\n"
        ",Kawlin,,,,\n"  # an event missing its date: a problem, not a heading
        "2023-11-09,,,,,\n"  # a date alone: an event missing its place
        ",,,,,only a note\n"
        ",TOTAL,,2,,\n"
        "Grand total: 2 events,,,,,\n"
    )
    table = impact.read_events(path)
    assert len(table.events) + len(table.rejected) + len(table.skipped) == table.rows_read == 9
    assert list(table.events["place"]) == ["Khampat", "Kyauktaw"]
    skipped = table.skipped.set_index("source_row")
    assert set(skipped["reason"]) == {"not_an_event"}
    assert skipped["message"].to_dict() == {
        2: "not an event (a heading or a note): only '--- Sagaing ---' is filled",
        4: "not an event (a heading or a note): only 'Rakhine State' is filled",
        8: "not an event (a heading or a note): only 'only a note' is filled",
        9: "a total row ('TOTAL')",
        10: "a total row ('Grand total: 2 events')",
    }
    assert sorted(table.rejected["reason"]) == ["missing_date", "missing_place"]


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(
        st.lists(
            st.sampled_from(["", "Total", "--", "Khampat", "2023-11-07", "x:"]),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=15,
    )
)
def test_no_row_is_lost_whatever_looks_like_a_total_or_heading(tmp_path_factory, cells):
    frame = pd.DataFrame(cells, columns=["date", "place", "change"])
    path = tmp_path_factory.mktemp("totals") / "events.csv"
    frame.to_csv(path, index=False)
    try:
        table = impact.read_events(path)
    except InputFileError:
        return  # nothing readable as a table of events: refused with a message
    assert len(table.events) + len(table.rejected) + len(table.skipped) == table.rows_read
    assert "Total" not in set(table.events["place"])
