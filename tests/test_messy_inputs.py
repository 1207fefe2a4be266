"""Messy real-world files through the real command: every row accounted for, no traceback."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import impact
from impact.cli import app
from impact.errors import ImpactError

CORPUS = Path(__file__).with_name("data") / "messy"
CASES = pd.read_csv(CORPUS / "expected.csv", dtype=str, keep_default_na=False)


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_the_corpus_is_large_enough():
    assert CASES["file"].nunique() >= 30
    assert all((CORPUS / name).exists() for name in CASES["file"])


@pytest.mark.parametrize(
    "case", CASES.to_dict("records"), ids=lambda c: f"{c['file']} {c['options']}".strip()
)
def test_messy_file(tmp_path, case):
    out = tmp_path / "report"
    result = invoke(
        "report", str(CORPUS / case["file"]), "--out", str(out), *shlex.split(case["options"])
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == int(case["exit_code"]), result.output
    if case["message"]:
        assert case["message"] in " ".join(result.output.split())
    if case["used"]:
        rows = json.loads((out / "manifest.json").read_text())["rows"]
        expected = {k: int(case[k]) for k in ("used", "rejected", "skipped")}
        assert {k: rows[k] for k in expected} == expected
        assert rows["input"] == rows["used"] + rows["rejected"] + rows["skipped"]
        rejected = pd.read_csv(out / "rejected.csv")
        assert sorted(rejected["reason"]) == sorted(filter(None, case["reasons"].split(";")))
        assert rejected["message"].str.len().min() > 10 if len(rejected) else True


def test_formulas_are_neutralised_in_every_csv(tmp_path):
    out = tmp_path / "r"
    invoke("report", str(CORPUS / "formula_cells.csv"), "--out", str(out))
    impacts = (out / "impacts.csv").read_text()
    rejected = (out / "rejected.csv").read_text()
    assert "'+PDF" in impacts and "'=HYPERLINK" in impacts
    assert ",=" not in impacts and ",+" not in impacts
    assert "'=1+1" in rejected


def test_acled_rows_keep_their_fields_and_direction_rule(tmp_path):
    result = impact.run(CORPUS / "acled_export.csv")
    rows = result.impacts.set_index("event_id")
    assert set(rows.index) == {"MMR1", "MMR2", "MMR4", "MMR5"}
    assert rows.loc["MMR1", "gaining_actor_text"] == "PDF: People's Defence Force"
    assert rows.loc["MMR1", "gaining_actor"] == "People's Defence Force"
    assert rows.loc["MMR1", "actor_rule"] == "overtakes: non-state actor1 gains"
    # MMR2 lists the army first, yet the non-state actor overtakes: direction from the codes.
    assert rows.loc["MMR2", "gaining_actor_text"] == "PDF: People's Defence Force"
    assert rows.loc["MMR2", "actor_rule"] == "overtakes: non-state actor2 gains"
    assert rows.loc["MMR4", "change"] == "recaptured"
    assert rows.loc["MMR4", "gaining_actor_text"] == "Military Forces of Myanmar (2021-)"
    assert rows.loc["MMR4", "gaining_actor"] == "Myanmar military"
    assert rows.loc["MMR5", "date_precision"] == "month"
    assert rows.loc["MMR5", "date_end"] == pd.Timestamp("2023-11-30")
    for column in (
        "event_id_cnty",
        "admin1",
        "admin2",
        "admin3",
        "geo_precision",
        "time_precision",
        "source",
        "notes",
    ):
        assert column in rows.columns
    assert result.skipped["value"].tolist() == ["Armed clash"]


def test_extra_columns_pass_through(tmp_path):
    impacts = impact.run(CORPUS / "extra_columns.csv").impacts
    assert impacts.loc[0, "reporter_name"] == "A. Analyst"
    assert "casualties_reported" in impacts.columns


def test_dates_keep_precision_and_flags():
    impacts = impact.run(CORPUS / "mixed_dates.csv", dayfirst=True).impacts.set_index("place")
    assert impacts.loc["Kunlong", "date_precision"] == "month"
    assert impacts.loc["Namhsan", "date_precision"] == "year"
    assert impacts.loc["Tamu", ["date_start", "date"]].tolist() == [
        pd.Timestamp("2023-11-03"),
        pd.Timestamp("2023-11-07"),
    ]
    flagged = impact.run(CORPUS / "future_and_precensus.csv").impacts.set_index("place")
    assert flagged.loc["Khampat", "date_flag"] == "in the future"
    assert flagged.loc["Kawlin", "date_flag"] == "before the 2014 census"


def test_several_files_in_one_run():
    result = impact.run([CORPUS / "semicolon.csv", CORPUS / "second_file.csv"])
    assert result.reconciliation == {"input": 3, "used": 3, "rejected": 0, "skipped": 0}
    assert set(result.impacts["source_file"]) == {"semicolon.csv", "second_file.csv"}


def test_change_words_keep_the_original_text():
    impacts = impact.run(CORPUS / "change_words.csv").impacts.set_index("place")
    assert impacts.loc["Namhsan", "change"] == "handed over"
    assert impacts.loc["Namhsan", "change_text"] == "handed back under a ceasefire deal"
    assert impacts.loc["Kunlong", "change"] == "contested"
    assert not impacts.loc["Kunlong", "counted"]


cell = st.one_of(
    st.just(""),
    st.sampled_from(
        [
            "2023-11-07",
            "7 Nov 2023",
            "07/11/2023",
            "Nov 2023",
            "3–7 Nov 2023",
            "Khampat",
            "Tamu",
            "Kawlin",
            "ခါမ်းပါတ်",
            "captured",
            "retaken",
            "x",
            "=1+1",
            "MMR005030703",
            "No (1) Ward",
        ]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
        max_size=15,
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(cell, cell, cell, cell), min_size=1, max_size=10),
    separator=st.sampled_from([",", ";", "\t"]),
)
def test_random_messy_tables_lose_no_row_and_raise_only_our_errors(
    tmp_path_factory, reference, rows, separator
):
    frame = pd.DataFrame(rows, columns=["date", "place", "township", "change"])
    path = tmp_path_factory.mktemp("messy") / "events.csv"
    frame.to_csv(path, index=False, sep=separator)
    try:
        result = impact.run(path, reference=reference)
    except ImpactError:
        return
    counts = result.reconciliation
    # A record whose every cell is empty or blank is a blank line, not an input row.
    cells = frame.astype("string")
    blank = ((cells == "") | cells.apply(lambda column: column.str.isspace())).all(axis=1)
    assert counts["input"] == int((~blank).sum())
    assert counts["input"] == counts["used"] + counts["rejected"] + counts["skipped"]


def test_a_row_with_more_cells_than_the_header_is_still_read(tmp_path):
    """A stray delimiter at the end of one row (an empty cell more) or a value past the last
    header: the run goes on, every row is used, the extra value kept in its own column."""
    path = tmp_path / "ragged.csv"
    path.write_text(
        "event_id,date,place,township,change,gaining_actor,losing_actor\n"
        "E1,2023-11-06,Kawlin,Kawlin,captured,PDF,Myanmar military\n"
        "E2,2023-11-12,Kunlong,Kunlong,captured,MNDAA,Myanmar military,\n"
        "E3,2023-12-15,Namhsan,Namhsan,captured,TNLA,Myanmar military,,seen by two sources\n",
        encoding="utf-8",
    )
    result = impact.run(path, as_of="2026-12-05")
    assert result.reconciliation == {"input": 3, "used": 3, "rejected": 0, "skipped": 0}
    extra = result.impacts.set_index("event_id")["column_9"]
    assert extra.isna()["E1"] and extra["E3"] == "seen by two sources"


def test_a_quote_left_open_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "open.csv"
    path.write_text(
        'event_id,date,place,change\nE1,2023-11-06,"Kawlin,captured\nE2,2023-11-07,Tamu,captured\n'
        "E3,2023-11-08,Tamu,captured,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImpactError) as raised:
        impact.run(path, as_of="2026-12-05")
    assert "\n" not in str(raised.value) and "check the delimiter and quotes" in str(raised.value)


def test_a_repeated_header_row_is_not_an_event(tmp_path):
    """Two exports pasted one after the other repeat the header: it is skipped with a note of
    its line, not counted as an input row and rejected as a bad date."""
    header = "event_id,date,place,township,change,gaining_actor,losing_actor\n"
    path = tmp_path / "pasted.csv"
    path.write_text(
        header
        + "E1,2023-11-06,Kawlin,Kawlin,captured,PDF,Myanmar military\n"
        + header.upper().replace(",", " , ")
        + "E2,2023-12-15,Namhsan,Namhsan,captured,TNLA,Myanmar military\n",
        encoding="utf-8",
    )
    result = impact.run(path, as_of="2026-12-05")
    assert result.reconciliation == {"input": 2, "used": 2, "rejected": 0, "skipped": 0}
    assert "1 repeat(s) of the header row skipped (line 3)" in result.inputs[0].notes


def test_a_point_that_is_not_decimal_degrees_is_said_not_dropped_silently(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text(
        "event_id,date,place,township,change,gaining_actor,latitude,longitude\n"
        "K1,2023-11-15,Namhsan,Namhsan,captured,TNLA,22.96407 N,97.16126 E\n"
        "K2,2023-11-16,Pauktaw,Pauktaw,captured,Arakan Army,20.18098,93.06817\n"
        "K3,2023-11-17,Kawlin,Kawlin,captured,PDF,999,999\n",
        encoding="utf-8",
    )
    result = impact.run(path, as_of="2026-12-05")
    assert result.reconciliation["used"] == 3
    assert result.inputs[0].notes == [
        "2 row(s) give a point that is not latitude and longitude in decimal degrees "
        "(row 2: '22.96407 N', '97.16126 E'): their place is found by its name alone"
    ]


def test_a_quote_left_open_that_runs_rows_together_is_refused_not_read(tmp_path):
    """A note whose quote is left open is closed by a later row's quote: reading the file as
    wide as its widest record would run two rows into one cell, so the file is refused."""
    path = tmp_path / "open.csv"
    path.write_text(
        "event_id,date,place,change,source,notes\n"
        'E1,2023-11-06,Kawlin,captured,"Myanmar Now, 6 Nov",note 1\n'
        'E2,2023-11-07,Khampat,captured,"Myanmar Now, 8 Nov","note 2 unclosed\n'
        'E3,2023-11-12,Kunlong,captured,"The Irrawaddy, Nov",note 3\n'
        "E4,2023-12-15,Namhsan,captured,TNLA statement,note 4\n",
        encoding="utf-8",
    )
    with pytest.raises(ImpactError, match="check the delimiter and quotes"):
        impact.run(path, as_of="2026-12-05")
