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
from tests.conftest import SHARED_SOURCES

BUNDLED = Path(__file__).resolve().parents[1] / "reference_data" / "myanmar"
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
    estimated = towns["population_method"] == "estimated_ward_share"
    assert towns.loc[estimated, "population_band_pct"].notna().all()
    assert towns.loc[~estimated, "population_band_pct"].isna().all()
    assert towns.loc[towns["population"].isna(), "population_method"].isna().all()
    sources = pd.read_csv(BUNDLED / "sources.csv")
    assert ESTIMATE_SOURCE in set(sources["source"])
    assert len(with_figure) >= 490


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
    # Hsawng Hpa Town stands 9 km from Pangwaun Town: no figure, never a guess.
    assert pd.isna(town.loc["MMR015305701", "population"])
    assert pd.isna(town.loc["MMR015305701", "population_method"])
