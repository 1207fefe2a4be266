"""Reading events: columns, dates, change words, and every row accounted for."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import impact
from impact.errors import InputFileError
from impact.events import normalise_change, parse_dates
from impact.pipeline import default_events_path


def test_seed_events_read_cleanly():
    table = impact.read_events(default_events_path())
    assert len(table.events) == 8 and table.rejected.empty
    assert table.events["date"].min() == pd.Timestamp("2023-10-27")
    assert table.inputs[0]["rows"] == 8 and len(table.inputs[0]["sha256"]) == 64


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
    ("text", "dayfirst", "expected"),
    [
        ("2023-11-07", None, "2023-11-07"),
        ("7 Nov 2023", None, "2023-11-07"),
        ("November 7, 2023", None, "2023-11-07"),
        ("17/11/2023", None, "2023-11-17"),
        ("11/17/2023", None, "2023-11-17"),
        ("07/11/2023", None, None),
        ("07/11/2023", True, "2023-11-07"),
        ("07/11/2023", False, "2023-07-11"),
        ("yesterday", None, None),
    ],
)
def test_parse_dates(text, dayfirst, expected):
    parsed = parse_dates(pd.Series([text]), dayfirst=dayfirst).iloc[0]
    assert (None if pd.isna(parsed) else parsed.strftime("%Y-%m-%d")) == expected


def test_change_words_normalised():
    words = pd.Series(["Seized", "took full control", "retaken", "handed back", "Claimed", "??"])
    assert normalise_change(words).tolist()[:5] == [
        "captured",
        "captured",
        "recaptured",
        "handed over",
        "contested",
    ]
    assert pd.isna(normalise_change(words).iloc[5])


def test_missing_file_and_missing_columns_are_clear(write_events, tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        impact.read_events(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="no place column"):
        impact.read_events(write_events("date,actor\n2023-11-07,PDF\n"))
    with pytest.raises(InputFileError, match="empty"):
        impact.read_events(write_events(""))


cells = st.one_of(
    st.just(""),
    st.sampled_from(
        ["2023-11-07", "7 Nov 2023", "07/11/2023", "Khampat", "Tamu", "captured", "x", "=1+1"]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
        max_size=12,
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(cells, cells, cells, cells), min_size=1, max_size=12))
def test_no_row_is_ever_lost(tmp_path_factory, rows):
    frame = pd.DataFrame(rows, columns=["event_id", "date", "place", "change"])
    path = tmp_path_factory.mktemp("prop") / "events.csv"
    frame.to_csv(path, index=False)
    table = impact.read_events(path)
    assert len(table.events) + len(table.rejected) == table.rows_read == len(rows)
