"""Per-event estimates: Khampat golden figures, the projection formula, band, breakdowns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import impact
from impact.assumptions import RATES, load_assumptions
from impact.errors import AssumptionsError
from impact.estimate import _project, place_figures

YEARS_KHAMPAT = (pd.Timestamp("2023-11-07") - pd.Timestamp("2014-03-29")).days / 365.25


@pytest.fixture(scope="module")
def seeds(reference) -> pd.DataFrame:
    return impact.run(reference=reference).impacts.set_index("event_id")


@pytest.fixture(scope="module")
def khampat(seeds) -> pd.Series:
    return seeds.loc["MMR-2023-003"]


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
    assert khampat["population_central"] == round(38_728 * 1.0089**YEARS_KHAMPAT) == 42_170
    assert khampat["population_low"] == math.floor(38_728 * 0.95)
    assert khampat["population_high"] == math.ceil(38_728 * 1.009**YEARS_KHAMPAT * 1.05)
    assert pd.isna(khampat["band_note"])


def test_khampat_breakdowns_state_their_method(khampat, reference):
    tamu = reference.places.loc["MMR005030"]
    assert khampat["population_male"] + khampat["population_female"] == 38_728
    assert khampat["households"] == round(38_728 * tamu["households"] / tamu["population"])
    assert khampat["population_0_14"] == round(
        38_728 * tamu["population_0_14"] / tamu["population"]
    )
    assert "township shares applied" in khampat["breakdown_method"]
    assert "male" not in khampat["breakdown_method"]


def test_beds_per_10000_against_the_benchmark(khampat):
    assert khampat["beds_per_10000"] == round(25 / 14_559 * 10_000, 1) == 17.2
    assert khampat["beds_benchmark_per_10000"] == 18.0
    assert khampat["beds_below_benchmark"]


def test_partly_enumerated_state_raises_the_high_estimate(seeds, reference):
    pauktaw = seeds.loc["MMR-2023-006"]
    share = reference.places.loc["MMR012007", "not_enumerated_share"]
    assert pauktaw["census_coverage"] == "partly_not_enumerated" and share > 0.5
    years = (pd.Timestamp("2023-11-16") - pd.Timestamp("2014-03-29")).days / 365.25
    assert pauktaw["population_high"] == math.ceil(145_957 * 1.009**years * 1.05 * (1 + share))
    assert "not enumerated" in pauktaw["band_note"]


def test_fuzzy_match_widens_the_band(reference, write_events):
    path = write_events("date,place,township\n2023-11-07,Khamphat,Tamu\n")
    row = impact.run(path, reference=reference).impacts.iloc[0]
    assert row["match_method"] == "fuzzy"
    assert row["population_low"] == math.floor(38_728 * 0.90)
    assert "fuzzy" in row["band_note"]


def test_town_scope_uses_the_place_itself(reference):
    impacts = impact.run(reference=reference, scope="town").impacts.set_index("event_id")
    assert impacts.loc["MMR-2023-003", "population_census"] == 14_559
    assert impacts.loc["MMR-2023-003", "village_tracts"] == 0


def test_place_without_figure_stays_empty_with_context(reference):
    # Yangon City spans several townships; the package gives it no population of its own.
    city = place_figures(np.array(["MMR013000777"]), reference.places, "area", 10.0).iloc[0]
    assert pd.isna(city["population_census"])
    assert pd.isna(city["households"]) and pd.isna(city["population_male"])
    assert city["context_pcode"] == "MMR013033"
    assert city["context_population"] == reference.places.loc["MMR013033", "population"]


def test_assumptions_override_from_toml(tmp_path, reference):
    path = tmp_path / "a.toml"
    path.write_text("growth_central = 0.02\ngrowth_high = 0.02\n")
    table = load_assumptions(path)
    assert table.set_index("name").loc["growth_central", "source"] == "override from a.toml"
    impacts = impact.run(reference=reference, assumptions=path).impacts.set_index("event_id")
    assert impacts.loc["MMR-2023-003", "population_central"] == round(38_728 * 1.02**YEARS_KHAMPAT)


def test_every_default_assumption_names_its_source():
    table = load_assumptions()
    assert table["source"].str.len().min() > 20
    assert set(table["name"]) >= set(RATES)


def test_census_date_comes_from_the_reference_metadata(reference):
    assert reference.census_date == pd.Timestamp(reference.metadata["census_date"])
    assert "census_date" not in set(load_assumptions()["name"])


@pytest.mark.parametrize(
    "text",
    [
        "nonsense = 1\n",
        "growth_low = 0.5\n",
        "growth_central = [\n",
        "beds_benchmark = 0\n",
        "coverage_margin = 0.7\n",
    ],
)
def test_bad_assumptions_are_refused(tmp_path, text):
    path = tmp_path / "a.toml"
    path.write_text(text)
    with pytest.raises(AssumptionsError):
        load_assumptions(path)


@settings(max_examples=80, deadline=None)
@given(
    population=st.integers(1, 5_000_000),
    days=st.integers(0, 365 * 30),
    spread=st.integers(0, 400),
    low=st.floats(0, 0.03),
    step=st.floats(0, 0.03),
    margin=st.floats(0, 0.4),
    fuzzy=st.booleans(),
    unenumerated=st.floats(0, 1),
)
def test_low_le_central_le_high(population, days, spread, low, step, margin, fuzzy, unenumerated):
    values = {
        "growth_low": low,
        "growth_central": low + step,
        "growth_high": low + 2 * step,
        "coverage_margin": margin,
        "fuzzy_match_margin": 0.05,
    }
    date = pd.Timestamp("2014-03-29") + pd.Timedelta(days=days)
    frame = pd.DataFrame(
        {
            "date": [date],
            "date_start": [date - pd.Timedelta(days=spread)],
            "date_end": [date + pd.Timedelta(days=spread)],
            "match_method": ["fuzzy" if fuzzy else "exact"],
            "population_census": pd.array([population], dtype="Int64"),
        }
    )
    out = _project(frame, np.array([unenumerated]), values, pd.Timestamp("2014-03-29")).iloc[0]
    assert out["population_low"] <= out["population_central"] <= out["population_high"]
