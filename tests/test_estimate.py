"""Per-event estimates: Khampat golden figures, the projection formula, band, breakdowns."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import impact
from impact.assumptions import RATES, load_assumptions
from impact.coverage import COVERAGE_FILE
from impact.errors import AssumptionsError
from impact.estimate import BREAKDOWNS, _project, place_figures, project_breakdowns

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
    assert (khampat["area_pcode"], khampat["area_level"]) == ("MMR005030703", "sub_township")
    assert khampat["area_name"] == "Khampat Sub-township"
    assert (khampat["headline_pcode"], khampat["headline_level"]) == (
        "MMR005030703",
        "sub_township",
    )
    assert khampat["population_area_census"] == 38_728
    assert khampat["population_census"] == 38_728
    assert (khampat["wards"], khampat["village_tracts"]) == (5, 8)
    assert (khampat["hospitals"], khampat["hospital_beds"]) == (1, 25)
    assert khampat["census_year"] == 2014
    # 3 schools are reported for the town only: the sub-township's figure is unknown, and said.
    assert pd.isna(khampat["schools"])
    assert "schools: a figure exists for 1 of 9 member units only (3)" in khampat["services_note"]


def test_khampat_projection_follows_the_documented_formula(khampat):
    assert khampat["population_central"] == round(38_728 * 1.0089**YEARS_KHAMPAT) == 42_170
    assert khampat["population_low"] == math.floor(38_728 * 0.95)
    assert khampat["population_high"] == math.ceil(38_728 * 1.009**YEARS_KHAMPAT * 1.05)
    assert pd.isna(khampat["band_note"])


def test_khampat_breakdowns_state_their_method(khampat, reference):
    tamu = reference.places.loc["MMR005030"]
    assert khampat["population_male_2014"] + khampat["population_female_2014"] == 38_728
    assert khampat["population_female_2014"] == 19_720
    assert khampat["households_2014"] == round(38_728 * tamu["households"] / tamu["population"])
    assert khampat["population_0_14_2014"] == round(
        38_728 * tamu["population_0_14"] / tamu["population"]
    )
    assert "township shares applied" in khampat["breakdown_method"]
    assert "male" not in khampat["breakdown_method"]


def test_khampat_breakdowns_projected_with_the_headline(khampat):
    factor = khampat["population_central"] / 38_728
    assert khampat["population_male"] + khampat["population_female"] == 42_170
    assert khampat["population_female"] == round(19_720 * factor)
    assert khampat["households"] == round(khampat["households_2014"] * factor)


def test_beds_per_10000_over_the_people_of_the_same_unit(khampat):
    assert khampat["beds_per_10000"] == round(25 / 38_728 * 10_000, 1) == 6.5
    assert khampat["beds_benchmark_per_10000"] == 18.0
    assert khampat["beds_below_benchmark"]


def test_northern_rakhine_township_takes_its_coverage_evidence(seeds, reference):
    pauktaw = seeds.loc["MMR-2023-006"]
    evidence = pd.read_csv(reference.path / COVERAGE_FILE).set_index("township_pcode")
    share = evidence.loc["MMR012007", "not_enumerated_share"]
    # Rakhine's 1,090,000 not enumerated over the 631,913 enumerated in Maungdaw and Sittwe
    # Districts, where the census places them.
    assert share == round(1_090_000 / 631_913, 4)
    assert pauktaw["census_coverage"] == "partly_not_enumerated"
    assert pauktaw["coverage_basis"] == "northern_rakhine_spread"
    years = (pd.Timestamp("2023-11-16") - pd.Timestamp("2014-03-29")).days / 365.25
    assert pauktaw["population_high"] == math.ceil(145_957 * 1.009**years * 1.05 * (1 + share))
    assert "Maungdaw and Sittwe Districts" in pauktaw["band_note"]


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
    # Hsawng Hpa Township was created after 2014: the census has no figure for it.
    township = place_figures(np.array(["MMR015305"]), reference, "area", 10.0).iloc[0]
    assert pd.isna(township["population_census"])
    assert pd.isna(township["households_2014"]) and pd.isna(township["population_male_2014"])
    assert township["context_pcode"] == "MMR015305"
    assert pd.isna(township["context_population"])
    # Yangon City spans 33 townships: its figure is their 2014 urban population (a census
    # figure), not its seat township Kyauktada's.
    city = place_figures(np.array(["MMR013000777"]), reference, "area", 10.0).iloc[0]
    assert city["population_census"] == 4_728_524


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
    days=st.integers(-365 * 120, 365 * 30),  # before the census too: a mistyped year
    spread=st.integers(0, 400),
    low=st.floats(-0.2, 0.1),
    step=st.floats(0, 0.05),
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


UNIT_EVENTS = (
    "event_id,date,place,township,region\n"
    "LASHIO,2024-08-03,Lashio,,Shan\n"
    "LASHIO-TSP,2024-08-03,Lashio Township,,Shan\n"
    "KHAMPAT,2023-11-07,Khampat,Tamu,Sagaing\n"
    "AUK-TAUNG,2023-11-07,Auk Taung,Tamu,Sagaing\n"
    "SADUNG,2024-01-10,Sadung,,Kachin\n"
    "MAUNGDAW,2024-02-05,Maungdaw Township,,Rakhine\n"
    "THANDWE,2024-02-05,Thandwe Township,,Rakhine\n"
    "MRAUK-U,2024-02-05,Mrauk-U Township,,Rakhine\n"
    "WAINGMAW,2024-01-10,Waingmaw Township,,Kachin\n"
)


@pytest.fixture(scope="module")
def units(reference, tmp_path_factory) -> dict[str, pd.DataFrame]:
    path = tmp_path_factory.mktemp("units") / "events.csv"
    path.write_text(UNIT_EVENTS, encoding="utf-8")
    return {
        scope: impact.run(path, reference=reference, scope=scope).impacts.set_index("event_id")
        for scope in ("area", "town")
    }


def _per_10000(beds: int, people: int) -> float:
    return round(beds / people * 10_000, 1)


def test_township_row_is_all_about_the_township(units, reference):
    row = units["area"].loc["LASHIO-TSP"]
    township = reference.places.loc["MMR015001"]
    assert (row["headline_pcode"], row["headline_level"]) == ("MMR015001", "township")
    assert row["population_census"] == township["population"] == 323_405
    assert row["households_2014"] == township["households"]
    assert (row["wards"], row["village_tracts"]) == (township["wards"], township["village_tracts"])
    assert (row["hospitals"], row["hospital_beds"]) == (4, 548)
    assert row["beds_per_10000"] == _per_10000(548, 323_405) == 16.9
    assert row["health_workers"] == township["health_workers"] == 33
    assert (row["doctors"], row["nurses"], row["health_assistants"]) == (8, 18, 7)
    outline = reference.geography.outlines.set_index("pcode").loc["MMR015001", "area_km2"]
    assert row["area_km2"] == round(outline, 1)
    assert row["density_per_km2"] == round(323_405 / row["area_km2"], 1)
    assert pd.isna(row["services_note"])


def test_town_row_is_all_about_the_town(units):
    row = units["town"].loc["LASHIO"]
    assert (row["headline_pcode"], row["headline_level"]) == ("MMR015001701", "town")
    assert row["population_census"] == 174_335
    assert row["population_method"] == "census_urban_single_town"
    assert (row["hospitals"], row["hospital_beds"]) == (1, 500)
    assert row["beds_per_10000"] == _per_10000(500, 174_335) == 28.7
    assert pd.isna(row["health_workers"]) and pd.isna(row["doctors"])
    assert "health workers: not available below township" in row["services_note"]
    assert pd.isna(row["area_km2"]) and pd.isna(row["density_per_km2"])
    assert (row["wards"], row["village_tracts"]) == (12, 0)


def test_lashio_and_lashio_township_are_the_same_row_by_area(units):
    town, township = units["area"].loc["LASHIO"], units["area"].loc["LASHIO-TSP"]
    columns = [
        "headline_pcode",
        "population_census",
        "population_central",
        *BREAKDOWNS,
        "hospitals",
        "hospital_beds",
        "beds_per_10000",
        "health_workers",
        "area_km2",
        "wards",
        "village_tracts",
    ]
    assert town[columns].tolist() == township[columns].tolist()


def test_sub_township_row_sums_its_members(units, reference):
    row = units["area"].loc["KHAMPAT"]
    members = reference.memberships.query("group_pcode == 'MMR005030703'")["member_pcode"]
    assert row["headline_level"] == "sub_township"
    assert row["population_census"] == reference.places.loc[members, "population"].sum()
    assert (row["hospitals"], row["hospital_beds"]) == (1, 25)
    assert row["beds_per_10000"] == _per_10000(25, 38_728)
    assert pd.isna(row["health_workers"]) and pd.isna(row["area_km2"])


def test_village_tract_row_is_all_about_the_village_tract(units):
    row = units["area"].loc["AUK-TAUNG"]
    assert (row["headline_pcode"], row["headline_level"]) == ("MMR005030014", "village_tract")
    assert row["population_census"] == 4_269
    assert row["population_female_2014"] + row["population_male_2014"] == 4_269
    assert (row["wards"], row["village_tracts"]) == (0, 1)
    assert pd.isna(row["hospitals"]) and pd.isna(row["hospital_beds"])
    assert pd.isna(row["beds_per_10000"]) and pd.isna(row["health_workers"])
    assert "hospitals and beds: not available below town" in row["services_note"]


def test_women_and_men_add_up_to_the_projected_headline(units, seeds):
    rows = pd.concat([units["area"], units["town"], seeds])
    known = rows[rows["population_female"].notna()]
    assert len(known) > 10
    total = known["population_female"] + known["population_male"]
    assert (total == known["population_central"]).all()


def test_estimated_town_carries_its_method_and_a_wider_band(units, reference):
    row = units["area"].loc["SADUNG"]
    town = reference.places.loc[row["headline_pcode"]]
    assert row["population_method"] == "estimated_ward_share"
    band = town["population_band_pct"] / 100
    assert row["population_band_pct"] == town["population_band_pct"] > 0
    years = (pd.Timestamp("2024-01-10") - pd.Timestamp("2014-03-29")).days / 365.25
    base = row["population_census"]
    assert row["population_low"] == math.floor(base * 0.95 / (1 + band))
    share = reference.places.loc["MMR001", "not_enumerated_share"]
    assert row["population_high"] == math.ceil(
        base * 1.009**years * 1.05 * (1 + share) * (1 + band)
    )
    assert "estimated population, not a census figure" in row["band_note"]
    census_town = units["town"].loc["LASHIO"]
    assert not str(census_town["band_note"]).startswith("widened ±")


def test_rakhine_coverage_belongs_to_its_townships(units, reference):
    rows = units["area"]
    state_share = reference.places.loc["MMR012", "not_enumerated_share"]
    thandwe, mrauk_u, maungdaw = rows.loc["THANDWE"], rows.loc["MRAUK-U"], rows.loc["MAUNGDAW"]
    # Southern Rakhine was enumerated: no uplift there any more.
    assert thandwe["not_enumerated_share"] == 0 and pd.isna(thandwe["band_note"])
    assert thandwe["population_high"] < thandwe["population_central"] * 1.2
    assert mrauk_u["not_enumerated_share"] == state_share
    assert mrauk_u["coverage_basis"] == "state_only"
    assert maungdaw["not_enumerated_share"] > 1.5
    assert "Maungdaw and Sittwe Districts" in maungdaw["band_note"]


def test_state_only_coverage_is_said_in_the_band_note(units):
    waingmaw = units["area"].loc["WAINGMAW"]
    assert waingmaw["coverage_basis"] == "state_only"
    assert "only a state figure exists" in waingmaw["band_note"]


def test_package_share_is_used_without_coverage_evidence(reference, tmp_path):
    without = dataclasses.replace(reference, path=tmp_path)
    figures = place_figures(np.array(["MMR012015"]), without, "area", 18.0).iloc[0]
    assert (
        figures["not_enumerated_share"] == reference.places.loc["MMR012015", "not_enumerated_share"]
    )
    assert figures["coverage_basis"] == "state_only"


@settings(max_examples=60, deadline=None)
@given(
    female=st.integers(0, 2_000_000),
    male=st.integers(0, 2_000_000),
    growth=st.floats(0.5, 3.0),
)
def test_projected_breakdowns_keep_women_plus_men(female, male, growth):
    base = female + male
    frame = pd.DataFrame(
        {
            "population_census": pd.array([base], dtype="Int64"),
            "population_central": pd.array([round(base * growth)], dtype="Int64"),
            **{f"{c}_2014": pd.array([pd.NA], dtype="Int64") for c in BREAKDOWNS},
        }
    )
    frame["population_female_2014"] = pd.array([female], dtype="Int64")
    frame["population_male_2014"] = pd.array([male], dtype="Int64")
    out = project_breakdowns(frame).iloc[0]
    if base:
        assert out["population_female"] + out["population_male"] == out["population_central"]
