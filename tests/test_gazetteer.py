"""Place resolution: P-codes, exact names, aliases, hints, ambiguity, audit."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.gazetteer import resolve_places
from impact.names import normalise_name


def events(*rows: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["place", "township", "district", "region"])
    frame["event_id"] = [f"e{i}" for i in range(len(frame))]
    frame["source_file"] = "test.csv"
    frame["source_row"] = range(2, len(frame) + 2)
    return frame


@pytest.mark.parametrize(
    ("place", "township", "region", "pcode", "method"),
    [
        ("Khampat", "Tamu", None, "MMR005030703", "exact"),
        ("Khampat Town", None, None, "MMR005030703", "exact"),
        ("KHAMPAT", None, "Sagaing", "MMR005030703", "exact"),
        ("Kham Pat", None, None, "MMR005030703", "exact"),
        ("MMR005030703", None, None, "MMR005030703", "pcode"),
        ("mmr005030", None, None, "MMR005030", "pcode"),
        ("ခါမ်းပါတ်", None, None, "MMR005030703", "alias"),
        ("Tamu", None, None, "MMR005030701", "exact"),
        ("Tamu Township", None, None, "MMR005030701", "exact"),
        ("Kawlin", "Kawlin", "Sagaing Region", "MMR005024701", "exact"),
        ("Pauktaw", None, "Rakhine State", "MMR012007701", "exact"),
        ("Rihkhawdar", "Falam", "Chin State", "MMR004001702", "exact"),
        ("Auk Taung", "Tamu", None, "MMR005030014", "exact"),
    ],
)
def test_resolves(reference, place, township, region, pcode, method):
    result = resolve_places(events((place, township, None, region)), reference)
    assert result.rejected.empty, result.rejected["message"].tolist()
    row = result.resolved.iloc[0]
    assert (row["pcode"], row["match_method"]) == (pcode, method)


def test_ward_name_shared_by_two_towns_is_ambiguous(reference):
    result = resolve_places(events(("No (1) Ward", "Tamu", None, None)), reference)
    assert result.resolved.empty
    row = result.rejected.iloc[0]
    assert row["reason"] == "place_ambiguous"
    assert "MMR005030702501" in row["message"] and "MMR005030703501" in row["message"]


def test_unknown_place_and_unknown_pcode(reference):
    result = resolve_places(
        events(("Atlantis", None, None, None), ("MMR999999", None, None, None)), reference
    )
    assert result.rejected["reason"].tolist() == ["place_not_found", "place_not_found"]
    assert "Closest names" in result.rejected["message"].iloc[0]
    assert "not in the reference data" in result.rejected["message"].iloc[1]


def test_hint_that_contradicts_the_place_is_reported(reference):
    result = resolve_places(events(("Khampat", "Kawlin", None, None)), reference)
    row = result.rejected.iloc[0]
    assert row["reason"] == "place_not_found"
    assert "exists elsewhere" in row["message"] and "MMR005030703" in row["message"]


def test_audit_has_one_row_per_unique_name_and_hints(reference):
    frame = events(*[("Khampat", "Tamu", None, None)] * 5, ("Kawlin", None, None, None))
    result = resolve_places(frame, reference)
    assert len(result.audit) == 2 and len(result.resolved) == 6


def test_normalise_name():
    names = pd.Series(["Kham Pat Town", "KHAMPAT", "Khampat (reported)", "ခါမ်းပါတ်"])
    assert normalise_name(names).tolist()[:2] == ["khampat", "khampat"]
    assert normalise_name(names).iloc[3] == "ခါမ်းပါတ်"
