"""Reading events: headers, dates, change words, encodings, and every row accounted for."""

from __future__ import annotations

import pandas as pd
import pytest

import impact
from impact.dates import parse_event_dates
from impact.errors import InputFileError
from impact.pipeline import default_events_path


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
