"""Totals: each place once, nested places once, contested claims not at all."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import impact

ROWS = [
    ("2023-11-07", "Khampat", "Tamu", "captured"),
    ("2023-11-08", "Tamu", None, "captured"),
    ("2023-11-09", "MMR005030", None, "captured"),
    ("2023-11-10", "Kawlin", "Kawlin", "captured"),
    ("2023-11-11", "Kawlin", "Kawlin", "recaptured"),
    ("2023-11-12", "Namhsan", None, "contested"),
    ("2023-11-13", "Auk Taung", "Tamu", "captured"),
]


def run_rows(rows, tmp_path, reference, name="e.csv"):
    frame = pd.DataFrame(rows, columns=["date", "place", "township", "change"])
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return impact.run(path, reference=reference)


def test_reasons_for_not_counting(tmp_path, reference):
    impacts = run_rows(ROWS, tmp_path, reference).impacts.set_index("place")
    assert impacts.loc["MMR005030", "counted"]
    assert "inside MMR005030, counted at event" in impacts.loc["Khampat", "not_counted_reason"]
    assert not impacts.loc["Tamu", "counted"]
    assert "latest event" in impacts.loc["Tamu", "not_counted_reason"]
    kawlin = impacts.loc["Kawlin"].set_index("change")
    assert not kawlin.loc["captured", "counted"] and kawlin.loc["recaptured", "counted"]
    assert "contested" in impacts.loc["Namhsan", "not_counted_reason"]
    assert "inside MMR005030," in impacts.loc["Auk Taung", "not_counted_reason"]


def test_village_tract_inside_counted_subtownship(tmp_path, reference):
    rows = [
        ("2023-11-07", "Khampat", "Tamu", "captured"),
        ("2023-11-08", "Auk Taung", "Tamu", "captured"),
    ]
    impacts = run_rows(rows, tmp_path, reference).impacts.set_index("place")
    assert impacts.loc["Khampat", "counted"]
    assert "inside MMR005030703S" in impacts.loc["Auk Taung", "not_counted_reason"]


def test_nested_town_inside_counted_township_is_not_added(tmp_path, reference):
    rows = [
        ("2023-11-07", "Tamu", None, "captured"),
        ("2023-11-08", "Tamu", None, "captured"),
        ("2023-11-09", "San Da Ku Ward", "Tamu", "captured"),
    ]
    result = run_rows(rows, tmp_path, reference)
    ward = result.impacts.set_index("place").loc["San Da Ku Ward"]
    assert not ward["counted"] and "inside MMR005030" in ward["not_counted_reason"]
    assert result.total["population_census"] == 114_869


choices = st.lists(st.sampled_from(ROWS), min_size=1, max_size=10)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=choices, extra=st.sampled_from(ROWS))
def test_counted_total_le_plain_sum_and_duplicates_change_nothing(
    tmp_path_factory, reference, rows, extra
):
    folder = tmp_path_factory.mktemp("roll")
    first = run_rows(rows, folder, reference, "a.csv").total
    assert known(first["population_central"]) <= known(first["population_central_all_rows"])
    doubled = run_rows([*rows, rows[-1]], folder, reference, "b.csv").total
    assert known(doubled["population_census"]) == known(first["population_census"])


def known(value) -> int:
    return 0 if pd.isna(value) else int(value)
