"""Town populations in the Myanmar package: census rules, the labelled estimate, its validation."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.town_estimates import ESTIMATE_SOURCE, allocate
from reference_build.myanmar.town_gaps import validate_new_town
from tests.conftest import SHARED_SOURCES

BUNDLED = Path(__file__).resolve().parents[1] / "reference_data" / "myanmar"
EVIDENCE = Path(__file__).resolve().parents[1] / "reference_build" / "myanmar_evidence"
URBAN_METHODS = {
    "census_urban_single_town",
    "census_wards",
    "census_residual",
    "estimated_ward_share",
}
needs_sources = pytest.mark.skipif(
    not SHARED_SOURCES.exists(), reason="public source files (shared/reference_sources) absent"
)


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    table = pd.read_csv(BUNDLED / "places.csv", dtype=str, keep_default_na=False, na_values=[""])
    for column in ("population", "urban_population", "rural_population", "population_band_pct"):
        table[column] = pd.to_numeric(table[column])
    return table


@pytest.fixture(scope="module")
def towns(places) -> pd.DataFrame:
    return places[places["level"] == "town"]


def _urban(places: pd.DataFrame) -> pd.Series:
    return places[places["level"] == "township"].set_index("pcode")["urban_population"]


def test_khampat_and_its_township_keep_their_census_figures(places):
    figure = places.set_index(["pcode", "level"])
    assert figure.loc[("MMR005030703", "town"), "population"] == 14559
    assert figure.loc[("MMR005030703", "town"), "population_method"] == "census_wards"
    assert figure.loc[("MMR005030703", "sub_township"), "population"] == 38728
    tamu = places[(places["level"] == "town") & (places["parent_pcode"] == "MMR005030")]
    assert tamu["population"].sum() == _urban(places)["MMR005030"] == 59938


def test_residual_is_the_urban_total_less_the_other_towns_on_real_townships(places, towns):
    figure = towns.set_index("pcode")["population"]
    # Myitkyina: urban 246,506 less Sinbo Town's keyed wards 3,475.
    assert _urban(places)["MMR001001"] == 246506
    assert figure["MMR001001702"] == 3475
    assert figure["MMR001001701"] == 246506 - 3475
    residual = towns[towns["population_method"] == "census_residual"]
    assert len(residual) >= 10
    for town in residual.itertuples():
        others = towns[
            (towns["parent_pcode"] == town.parent_pcode) & (towns["pcode"] != town.pcode)
        ]
        sharing = others[others["population_method"].isin(URBAN_METHODS)]
        assert town.population == _urban(places)[town.parent_pcode] - sharing["population"].sum()


def test_estimates_share_what_the_exact_towns_leave_by_ward_size(places, towns):
    thandaung = towns[towns["parent_pcode"] == "MMR003004"].set_index("name")
    assert set(thandaung["population_method"]) == {"estimated_ward_share"}
    assert thandaung["population"].sum() == _urban(places)["MMR003004"] == 21148
    # Leik Tho (6 wards) and Thandaung (4 wards) are secondary towns: 6:4 of the same ward size.
    leik_tho, thandaung_town = thandaung.loc[["Leik Tho Town", "Thandaung Town"], "population"]
    assert leik_tho / thandaung_town == pytest.approx(1.5, rel=0.001)
    assert (thandaung["population_source"] == ESTIMATE_SOURCE).all()
    assert (
        thandaung.loc["Thandaunggyi Town", "population_band_pct"]
        < thandaung.loc["Leik Tho Town", "population_band_pct"]
    )


def test_town_figures_reconcile_to_the_person_with_their_township(places, towns):
    urban_based = towns[towns["population_method"].isin(URBAN_METHODS)]
    sums = urban_based.groupby("parent_pcode")["population"].sum()
    urban = _urban(places).reindex(sums.index).dropna()
    sums = sums[urban.index]
    assert len(urban) > 300
    assert (sums <= urban).all()
    estimated = towns.loc[
        towns["population_method"] == "estimated_ward_share", "parent_pcode"
    ].unique()
    with_urban = [p for p in estimated if p in urban.index]
    assert len(with_urban) > 50
    assert (sums[with_urban] == urban[with_urban]).all()
    assert (towns["population"].dropna() % 1 == 0).all()


def test_towns_made_from_village_tracts_take_their_census_population(places, towns):
    vt = places[places["level"] == "village_tract"].set_index("pcode")
    town = towns.set_index("pcode")
    # M'kuiimnu village tract (Mindat) was reclassified as M'kuiimnu Town in 2017.
    assert town.loc["MMR004006702", "population_method"] == "census_village_tracts"
    assert town.loc["MMR004006702", "population"] == vt.loc["MMR004006025", "population"]
    from_tracts = towns[towns["population_method"] == "census_village_tracts"]
    rural = places[places["level"] == "township"].set_index("pcode")["rural_population"]
    assert (from_tracts["population"] <= from_tracts["parent_pcode"].map(rural)).all()


def test_every_figure_is_labelled_and_only_estimates_carry_a_band(places, towns):
    with_figure = towns[towns["population"].notna()]
    assert with_figure["population_method"].notna().all()
    assert with_figure["population_source"].notna().all()
    estimated = towns["population_method"].str.startswith("estimated").fillna(False)
    assert towns.loc[estimated, "population_band_pct"].notna().all()
    assert towns.loc[~estimated, "population_band_pct"].isna().all()
    assert towns.loc[towns["population"].isna(), "population_method"].isna().all()
    sources = pd.read_csv(BUNDLED / "sources.csv")
    assert ESTIMATE_SOURCE in set(sources["source"])
    assert len(with_figure) >= 530
    assert (with_figure["population"] > 0).all()


def test_split_town_successors_share_the_predecessor_by_wards(towns):
    town = towns.set_index("pcode")
    east, west = town.loc["MMR013046701"], town.loc["MMR013047701"]
    assert east["population"] + west["population"] == town.loc["MMR013008701", "population"]
    assert east["population"] / west["population"] == pytest.approx(9 / 11, rel=0.001)


@needs_sources
def test_holdout_figures_recomputed_match_the_build_report_and_bands(towns):
    from reference_build.myanmar.build import assemble
    from reference_build.myanmar.sources import Sources

    report = BuildReport()
    assemble(Sources.read(SHARED_SOURCES), report)
    line = next(text for text in report.lines if text.startswith("Town estimate validated"))
    written = (BUNDLED / "build_report.md").read_text()
    assert line in written
    median, p90 = (
        float(v) for v in re.findall(r"median ([\d.]+)%, 90th percentile ([\d.]+)%", line)[0]
    )
    assert 0 < median < p90
    bands = dict(re.findall(r"(main_town|other_town) ±(\d+)%", line))
    estimated = towns[towns["population_method"] == "estimated_ward_share"]
    assert set(estimated["population_band_pct"].astype(int).astype(str)) <= {
        *bands.values(),
        str(int(-(-p90 // 5) * 5)),
    }


@given(
    weights=st.lists(st.floats(0.01, 1e5), min_size=1, max_size=12),
    total=st.integers(0, 10_000_000),
)
def test_allocation_hands_out_exactly_the_total_in_whole_people(weights, total):
    shares = pd.DataFrame(
        {
            "pcode": [f"P{i:02d}" for i in range(len(weights))],
            "group": "g",
            "weight": weights,
            "total": float(total),
        }
    )
    allocated = allocate(shares, group="group")
    assert allocated.sum() == total
    assert (allocated >= 0).all()
    exact = shares.set_index("pcode")["weight"] / sum(weights) * total
    assert ((allocated - exact.reindex(allocated.index)).abs() < 1).all()


def test_a_town_recoded_after_2014_at_the_point_of_a_census_town_takes_its_figure(towns):
    town = towns.set_index("pcode")
    # Mong Maw Town (Wa re-coding) stands 0.4 km from Mongmao Town, the only town of Mongmao.
    assert town.loc["MMR015304702", "population"] == town.loc["MMR015008701", "population"]
    assert town.loc["MMR015304702", "population"] == 5655
    assert town.loc["MMR015304702", "population_method"] == "census_same_settlement"
    # Hsawng Hpa Town stands 9 km from Pangwaun Town: not the same settlement, so it is
    # estimated as a town the census did not count, labelled and with the wide band.
    assert town.loc["MMR015305701", "population_method"] == "estimated_new_town"
    assert town.loc["MMR015305701", "population_source"] == ESTIMATE_SOURCE


def test_capital_cities_take_the_urban_population_of_their_listed_townships(places, towns):
    town = towns.set_index("pcode")
    urban = _urban(places)
    # Mandalay City: its five wholly urban townships, the published 1,225,553 less 7 people
    # outside households (the package's census figures are household population).
    mandalay = urban[[f"MMR010{i:03d}" for i in range(1, 6)]].sum()
    assert town.loc["MMR010000777", "population"] == mandalay == 1225546
    assert town.loc["MMR010000777", "population_method"] == "census_city_townships"
    assert town.loc["MMR010000777", "population_source"] == "mimu_census_township"
    assert pd.isna(town.loc["MMR010000777", "population_band_pct"])
    listed = pd.read_csv(EVIDENCE / "city_townships.csv", dtype=str)
    assert listed.groupby("city_pcode").size().to_dict() == {
        "MMR010000777": 5,
        "MMR013000777": 33,
        "MMR018000777": 8,
    }
    for city, rows in listed.groupby("city_pcode"):
        assert town.loc[city, "population"] == urban[rows["township_pcode"]].sum()


def test_a_town_declared_after_the_census_takes_its_named_tract(places, towns):
    town = towns.set_index("pcode")
    tract = places[places["level"] == "village_tract"].set_index("pcode")
    # Zinkyaik Town (declared Feb 2014): Paung's urban population is all Paung Town's, so the
    # census counted Zinkyaik as rural, in Zin Kyaik village tract.
    assert town.loc["MMR011008702", "population_method"] == "census_host_village_tract"
    assert town.loc["MMR011008702", "population"] == tract.loc["MMR011008009", "population"]
    assert town.loc["MMR011008702", "population"] == 20888
    # Khaikam Town (declared 2016): no tract bears its name, but Khaikam village lies in
    # Theizang village tract, the only tract of Tedim holding a village of that name.
    assert town.loc["MMR004004702", "population_method"] == "census_host_village_tract"
    assert town.loc["MMR004004702", "population"] == tract.loc["MMR004004054", "population"]
    paung = towns[towns["parent_pcode"] == "MMR011008"]
    urban_based = paung[paung["population_method"].isin(URBAN_METHODS)]
    assert urban_based["population"].sum() == _urban(places)["MMR011008"]


def test_new_town_estimate_is_the_median_of_tract_towns_with_its_validated_band(places, towns):
    reference = towns.loc[
        towns["population_method"].isin(["census_village_tracts", "census_host_village_tract"]),
        "population",
    ]
    new = towns[towns["population_method"] == "estimated_new_town"]
    assert len(new) >= 25
    assert (new["population"] == round(reference.median())).all()
    validation = validate_new_town(reference)
    assert (new["population_band_pct"] == validation.band_pct).all()
    assert validation.band_pct >= validation.p90_pct > validation.median_pct > 0
    line = (BUNDLED / "build_report.md").read_text()
    assert f"band ±{validation.band_pct}%" in line
    # Towns whose township still has urban people to share are never called new towns.
    held = towns[towns["population_method"].isin(URBAN_METHODS)]
    left = _urban(places) - held.groupby("parent_pcode")["population"].sum()
    urban_left = new["parent_pcode"].map(left.fillna(_urban(places)))
    assert (urban_left.dropna() <= 0).all()
    assert new["parent_pcode"].str.startswith(("MMR0153", "MMR0163")).sum() >= 15


def test_validation_of_the_new_town_median_leaves_each_town_out():
    result = validate_new_town(pd.Series([1000.0, 2000.0, 4000.0]))
    # Each left out: 1000 by median(2000, 4000) = 3000 (200%), 2000 by 2500 (25%),
    # 4000 by 1500 (62.5%).
    assert result.central == 2000
    assert result.median_pct == pytest.approx(62.5)
    assert result.band_pct == int(-(-result.p90_pct // 5) * 5)


def test_total_rule_keys_a_township_whose_census_names_add_up_to_its_urban_total(places):
    wards = places[(places["level"] == "ward") & (places["township_pcode"] == "MMR012015")]
    # Thandwe: one value per census ward name adds up to the urban 14,327 in only one way.
    assert wards["population"].sum() == _urban(places)["MMR012015"] == 14327
    town = places.set_index("pcode")
    assert town.loc["MMR012015701", "population_method"] == "census_wards"
    assert town.loc["MMR012015701", "population"] == 14327


def test_elimination_never_takes_a_township_past_its_census_total(places):
    # Paletwa's Myo Ma Ward could take 3,502 or 2,229 (the source copied Matupi's values);
    # 3,502 would put Paletwa's keyed wards at 10,533, over its urban 9,406, so it stays open.
    ward = places.set_index("pcode")
    assert pd.isna(ward.loc["MMR004009701501", "population"])
    units = places[places["level"].isin(["ward", "village_tract"])]
    sums = units.groupby(["township_pcode", "level"])["population"].sum().unstack()
    township = places[places["level"] == "township"].set_index("pcode")
    over = sums["ward"] > township["urban_population"].reindex(sums.index)
    assert list(sums.index[over]) == ["MMR009010"]  # over before the total rule, untouched by it
    assert not (sums["village_tract"] > township["rural_population"].reindex(sums.index)).any()
