"""Per-event estimates: the Khampat golden figures, the projection formula, the band."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import impact
from impact.assumptions import load_assumptions
from impact.errors import AssumptionsError


@pytest.fixture(scope="module")
def khampat(reference) -> pd.Series:
    result = impact.run(reference=reference)
    return result.impacts.set_index("event_id").loc["MMR-2023-003"]


def test_khampat_census_figures(khampat):
    assert khampat["pcode"] == "MMR005030703"
    assert khampat["place_name"] == "Khampat Town"
    assert khampat["population_town_census"] == 14_559
    assert khampat["area_pcode"] == "MMR005030703S"
    assert khampat["population_area_census"] == 38_728
    assert khampat["population_census"] == 38_728
    assert (khampat["wards"], khampat["village_tracts"]) == (5, 8)
    assert (khampat["hospitals"], khampat["hospital_beds"], khampat["schools"]) == (1, 25, 3)
    assert khampat["census_year"] == 2014
    assert khampat["schools_source"] == "myanmar_now_khampat_2023"


def test_khampat_projection_follows_the_documented_formula(khampat):
    years = (pd.Timestamp("2023-11-07") - pd.Timestamp("2014-03-29")).days / 365.25
    assert khampat["population_central"] == round(38_728 * 1.0089**years)
    assert khampat["population_low"] == math.floor(38_728 * 0.95)
    assert khampat["population_high"] == math.ceil(38_728 * 1.0089**years * 1.05)
    assert khampat["population_central"] == 42_170


def test_town_scope_uses_the_place_itself(reference):
    impacts = impact.run(reference=reference, scope="town").impacts.set_index("event_id")
    assert impacts.loc["MMR-2023-003", "population_census"] == 14_559
    assert impacts.loc["MMR-2023-003", "village_tracts"] == 0


def test_place_without_figure_stays_empty_with_context(reference):
    impacts = impact.run(reference=reference).impacts.set_index("event_id")
    rih = impacts.loc["MMR-2023-005"]
    assert pd.isna(rih["population_census"]) and pd.isna(rih["population_central"])
    assert rih["context_pcode"] == "MMR004001"
    assert rih["context_population"] == reference.places.loc["MMR004001", "population"]


def test_assumptions_override_from_toml(tmp_path, reference):
    path = tmp_path / "a.toml"
    path.write_text("growth_central = 0.02\ngrowth_high = 0.02\n")
    table = load_assumptions(path)
    assert table.set_index("name").loc["growth_central", "source"] == "override from a.toml"
    impacts = impact.run(reference=reference, assumptions=path).impacts.set_index("event_id")
    years = (pd.Timestamp("2023-11-07") - pd.Timestamp("2014-03-29")).days / 365.25
    assert impacts.loc["MMR-2023-003", "population_central"] == round(38_728 * 1.02**years)


@pytest.mark.parametrize("text", ["nonsense = 1\n", "growth_low = 0.5\n", "growth_central = [\n"])
def test_bad_assumptions_are_refused(tmp_path, text):
    path = tmp_path / "a.toml"
    path.write_text(text)
    with pytest.raises(AssumptionsError):
        load_assumptions(path)


@settings(max_examples=50, deadline=None)
@given(
    population=st.integers(1, 5_000_000),
    days=st.integers(0, 365 * 30),
    low=st.floats(0, 0.03),
    spread=st.floats(0, 0.03),
    margin=st.floats(0, 0.5),
)
def test_low_le_central_le_high(reference, population, days, low, spread, margin):
    from impact.estimate import _project

    values = {
        "census_date": "2014-03-29",
        "growth_low": low,
        "growth_central": low + spread,
        "growth_high": low + 2 * spread,
        "coverage_margin": margin,
    }
    frame = pd.DataFrame(
        {
            "date": [pd.Timestamp("2014-03-29") + pd.Timedelta(days=days)],
            "population_census": pd.array([population], dtype="Int64"),
        }
    )
    out = _project(frame, values).iloc[0]
    assert out["population_low"] <= out["population_central"] <= out["population_high"]
