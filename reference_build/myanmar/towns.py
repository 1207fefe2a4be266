"""Town populations: exact where the 2014 census allows, estimated and labelled where not.

The census gives each township's urban population and, for 166 townships, ward figures that the
build keys to P-codes. A town's figure is, in order of preference:

* `census_village_tracts` — the town was made from village tracts after the census (P-code
  release: change type `VTtoTown`), so its 2014 population is theirs;
* `census_urban_single_town` — the only town of its township holds all urban population;
* `census_wards` — the sum of its keyed wards, when every ward of the town is keyed or the
  township's keyed wards hold its whole urban population;
* `census_residual` — the township's urban population less its other towns' exact figures,
  when exactly one town is left;
* `estimated_ward_share` — the urban population the exact towns leave, shared among the
  remaining towns (see `town_estimates.py`), or a split town's figure shared among its
  successors by the wards each received.

A town of a township created after 2014 that stands at the point of a town with a figure takes
that figure (`census_same_settlement`, or the twin's estimate label). Capital cities spanning
several townships, towns the census counted as rural and the other towns of townships created
after 2014 are handled last, in `town_gaps.py`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.census import CENSUS_DATE, TOWNSHIP_SOURCE, WARD_VT_SOURCE
from reference_build.myanmar.services import haversine_km
from reference_build.myanmar.spelling import squash
from reference_build.myanmar.town_estimates import (
    ESTIMATE_SOURCE,
    ROLES,
    EstimateValidation,
    allocate,
    estimate_remaining,
    validate_estimates,
)
from reference_build.myanmar.town_gaps import fill_gaps

VILLAGE_TRACTS = "census_village_tracts"
SINGLE_TOWN = "census_urban_single_town"
WARDS = "census_wards"
RESIDUAL = "census_residual"
WARD_SHARE = "estimated_ward_share"
SAME_SETTLEMENT = "census_same_settlement"
SEX_COLUMNS = ["population_male", "population_female"]
# Two P-codes this close are one settlement (the Wa twins stand 0-0.4 km apart; the next
# nearest pair of towns is 9 km apart).
TWIN_KM = 1.0


def town_table(places: pd.DataFrame, town_source: pd.DataFrame) -> pd.DataFrame:
    """One row per town: its township's urban total, its wards and what their keys add up to."""
    towns = places[places["level"] == "town"]
    wards = places[places["level"] == "ward"].groupby("parent_pcode")
    sums = wards[["population", *SEX_COLUMNS]].sum(min_count=1)
    remark = town_source.set_index("Town_Pcode")["Remark"]
    table = pd.DataFrame(
        {
            "pcode": towns["pcode"].to_numpy(),
            "name": towns["name"].to_numpy(),
            "township_pcode": towns["parent_pcode"].to_numpy(),
        }
    )
    township = places[places["level"] == "township"].set_index("pcode")
    table["urban"] = table["township_pcode"].map(township["urban_population"]).astype(float)
    table["wards"] = table["pcode"].map(wards.size()).fillna(0).astype(int)
    table["keyed_wards"] = table["pcode"].map(wards["population"].count()).fillna(0).astype(int)
    table["keyed_sum"] = table["pcode"].map(sums["population"]).fillna(0).astype(float)
    for column in SEX_COLUMNS:
        table[f"ward_{column}"] = table["pcode"].map(sums[column])
    table["complete"] = (table["wards"] > 0) & (table["keyed_wards"] == table["wards"])
    table["capital_city"] = table["pcode"].map(remark).eq("Capital Town")
    table["main_town"] = squash(table["name"]) == squash(
        table["township_pcode"].map(township["name"])
    )
    table["population"] = np.nan
    table["method"] = ""
    return table


def reclassified_village_tracts(
    village_tracts: pd.DataFrame, places: pd.DataFrame, towns: pd.DataFrame
) -> pd.Series:
    """2014 population of towns made from village tracts after the census, by town P-code.

    The release records each such tract as `VTtoTown` with an end date and a remark naming the
    town ("Reclassified VT to Du Yar Town"); a town takes a figure only when every tract named
    for it has a keyed census population.
    """
    moved = village_tracts[village_tracts["Change_Type"] == "VTtoTown"]
    ended = pd.to_datetime(moved["Modified_End_Date"], format="%d-%b-%y", errors="coerce")
    moved = moved[ended > pd.Timestamp(CENSUS_DATE)]
    named = moved["Remark"].str.extract(r"Reclassified VT to (.+)$", expand=False)
    links = pd.DataFrame(
        {
            "vt_pcode": moved["VT_Pcode"],
            "township_pcode": moved["Tsp_Pcode"],
            "key": squash(named),
        }
    ).dropna()
    links = links[links["key"] != ""]
    town_keys = towns.assign(key=squash(towns["name"]))[["pcode", "township_pcode", "key"]]
    town_keys = town_keys[~town_keys.duplicated(["township_pcode", "key"], keep=False)]
    links = links.merge(town_keys, on=["township_pcode", "key"])
    links["population"] = links["vt_pcode"].map(places.set_index("pcode")["population"])
    grouped = links.groupby("pcode")["population"]
    return grouped.sum(min_count=1)[grouped.count() == grouped.size()].astype(float)


def exact_populations(towns: pd.DataFrame, from_tracts: pd.Series) -> pd.DataFrame:
    """Census figures by the first four rules, in order (see the module docstring)."""
    towns = towns.copy()
    tracts = towns["pcode"].map(from_tracts)
    towns.loc[tracts.notna(), ["population", "method"]] = list(
        zip(tracts[tracts.notna()], [VILLAGE_TRACTS] * int(tracts.notna().sum()), strict=True)
    )
    sharing = urban_sharers(towns)
    size = sharing.groupby(towns["township_pcode"]).transform("sum")
    single = sharing & (size == 1)
    towns.loc[single, "population"] = towns.loc[single, "urban"]
    towns.loc[single, "method"] = SINGLE_TOWN
    keyed_in_township = towns.groupby("township_pcode")["keyed_sum"].transform("sum")
    # When the keyed wards of a township hold its whole urban population, every census ward
    # row is placed, so each town's keyed wards are all of its 2014 urban population even if
    # the release lists wards created since.
    all_placed = (keyed_in_township == towns["urban"]) & (towns["keyed_sum"] > 0)
    by_wards = sharing & ~single & (towns["complete"] | all_placed)
    towns.loc[by_wards, "population"] = towns.loc[by_wards, "keyed_sum"]
    towns.loc[by_wards, "method"] = WARDS
    return _residuals(towns)


def urban_sharers(towns: pd.DataFrame) -> pd.Series:
    """Towns among which a township's urban population is divided: in a township with an urban
    figure, not a multi-township capital, not made from village tracts after the census."""
    return towns["urban"].notna() & ~towns["capital_city"] & (towns["method"] != VILLAGE_TRACTS)


def _residuals(towns: pd.DataFrame) -> pd.DataFrame:
    """One town left without a figure takes what its township's other towns leave, when that
    is positive and at least what its own keyed wards already hold."""
    sharing = urban_sharers(towns)
    missing = sharing & towns["population"].isna()
    left = missing.groupby(towns["township_pcode"]).transform("sum")
    known = towns["population"].where(sharing).groupby(towns["township_pcode"]).transform("sum")
    residual = towns["urban"] - known
    fits = missing & (left == 1) & (residual > 0) & (residual >= towns["keyed_sum"])
    towns.loc[fits, "population"] = residual[fits]
    towns.loc[fits, "method"] = RESIDUAL
    return towns


def split_successors(
    towns: pd.DataFrame, town_source: pd.DataFrame, ward_source: pd.DataFrame
) -> pd.DataFrame:
    """Share the figure of a town the release split (change type `Split`) among its successor
    towns, by the number of its wards each received ("Moved to Hlaingtharya (East)")."""
    split = town_source.loc[town_source["Change_Type"] == "Split", "Town_Pcode"]
    moved = ward_source[ward_source["Town_Pcode"].isin(split)]
    target = squash(moved["Remark"].str.extract(r"^Moved to (.+)$", expand=False))
    townships = town_source.drop_duplicates("Tsp_Pcode")
    township_of = pd.Series(
        townships["Tsp_Pcode"].to_numpy(), index=squash(townships["Township_Name_Eng"])
    )
    township_of = township_of[~township_of.index.duplicated(keep=False)]
    moves = pd.DataFrame(
        {"predecessor": moved["Town_Pcode"], "township_pcode": target.map(township_of)}
    ).dropna()
    open_towns = towns[towns["population"].isna()]
    sole = open_towns[~open_towns["township_pcode"].duplicated(keep=False)]
    heirs = moves.merge(sole[["pcode", "township_pcode"]], on="township_pcode")
    counts = heirs.groupby(["predecessor", "pcode"]).size().rename("weight").reset_index()
    figure = towns.set_index("pcode")["population"]
    counts["total"] = counts["predecessor"].map(figure)
    counts = counts.dropna(subset=["total"])
    shares = allocate(counts, group="predecessor")
    towns = towns.copy()
    hit = towns["pcode"].map(shares)
    towns.loc[hit.notna(), "population"] = hit[hit.notna()]
    towns.loc[hit.notna(), "method"] = WARD_SHARE
    towns["split_successor"] = hit.notna()
    return towns


def town_populations(
    places: pd.DataFrame,
    town_source: pd.DataFrame,
    ward_source: pd.DataFrame,
    village_tracts: pd.DataFrame,
    city_townships: pd.DataFrame,
    villages: pd.DataFrame,
    report: BuildReport,
) -> tuple[pd.DataFrame, EstimateValidation]:
    """Set every town's `population`, `population_method` and `population_source`."""
    towns = town_table(places, town_source)
    towns = exact_populations(towns, reclassified_village_tracts(village_tracts, places, towns))
    validation = validate_estimates(towns[urban_sharers(towns)], exact=_census_methods())
    sharing = urban_sharers(towns)
    estimates = estimate_remaining(towns[sharing], validation.ward_sizes)
    estimated = towns["pcode"].map(estimates)
    towns.loc[estimated.notna(), "population"] = estimated[estimated.notna()]
    towns.loc[estimated.notna(), "method"] = WARD_SHARE
    towns = split_successors(towns, town_source, ward_source)
    places = _write_back(places, towns, validation)
    places, twins = same_settlement_twins(places)
    places = fill_gaps(places, city_townships, villages, report)
    _say_coverage(places, twins, report)
    report.say(validation.summary())
    return places, validation


def same_settlement_twins(places: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A town of a township created after 2014 (the Wa re-coding) that stands at the point of
    a town with a figure is the same settlement under a second P-code: it takes that figure,
    its source and band, labelled `census_same_settlement` when the figure is a census one."""
    towns = places[places["level"] == "town"]
    township_population = places.set_index("pcode")["population"]
    open_towns = towns[
        towns["population"].isna()
        & towns["parent_pcode"].map(township_population).isna()
        & towns["lat"].notna()
    ]
    known = towns[towns["population"].notna() & towns["lat"].notna()]
    pairs = open_towns[["pcode", "lat", "lon"]].merge(
        known[["pcode", "lat", "lon"]], how="cross", suffixes=("", "_twin")
    )
    pairs["km"] = haversine_km(pairs["lat"], pairs["lon"], pairs["lat_twin"], pairs["lon_twin"])
    pairs = pairs[pairs["km"] <= TWIN_KM].sort_values(["pcode", "km"]).drop_duplicates("pcode")
    twin_of = pairs.set_index("pcode")["pcode_twin"]
    rows = places["pcode"].isin(twin_of.index)
    twin = places.set_index("pcode").loc[places.loc[rows, "pcode"].map(twin_of)]
    for column in ("population", "population_source", "population_band_pct"):
        places.loc[rows, column] = twin[column].to_numpy()
    method = twin["population_method"].to_numpy()
    census = pd.Series(method).str.startswith("census").to_numpy()
    places.loc[rows, "population_method"] = np.where(census, SAME_SETTLEMENT, method)
    return places, sorted(twin_of.index)


def _census_methods() -> list[str]:
    return [WARDS, RESIDUAL]


def _write_back(
    places: pd.DataFrame, towns: pd.DataFrame, validation: EstimateValidation
) -> pd.DataFrame:
    figures = towns.set_index("pcode")
    is_town = places["level"] == "town"
    pcode = places.loc[is_town, "pcode"]
    method = pcode.map(figures["method"]).replace("", pd.NA)
    places.loc[is_town, "population"] = pcode.map(figures["population"]).round()
    places.loc[is_town, "population_method"] = method
    source = method.map(
        {
            VILLAGE_TRACTS: WARD_VT_SOURCE,
            SINGLE_TOWN: TOWNSHIP_SOURCE,
            WARDS: WARD_VT_SOURCE,
            RESIDUAL: TOWNSHIP_SOURCE,
            WARD_SHARE: ESTIMATE_SOURCE,
        }
    )
    places.loc[is_town, "population_source"] = source
    role = pcode.map(figures["main_town"]).map(ROLES).map(validation.role_bands)
    split = pcode.map(figures["split_successor"]).astype(bool)
    band = role.where(~split, validation.band_pct)
    places.loc[is_town, "population_band_pct"] = band.where(method.eq(WARD_SHARE))
    with_sex = method.isin([WARDS, SINGLE_TOWN])
    for column in SEX_COLUMNS:
        ward_figure = pcode.map(figures[f"ward_{column}"]).where(with_sex)
        complete = pcode.map(figures["complete"]).astype(bool)
        places.loc[is_town, column] = ward_figure.where(complete)
    return places


def _say_coverage(places: pd.DataFrame, twins: list[str], report: BuildReport) -> None:
    towns = places[places["level"] == "town"]
    counts = towns["population_method"].value_counts()
    census = [m for m in sorted(counts.index) if m.startswith("census")]
    estimated = [m for m in sorted(counts.index) if not m.startswith("census")]
    report.say(
        f"Towns with a population: {int(towns['population'].notna().sum())} of {len(towns)}. "
        f"Census: {', '.join(f'{counts[m]} {m}' for m in census)}; estimated: "
        f"{', '.join(f'{counts[m]} {m}' for m in estimated)}. Of these, {len(twins)} towns of "
        f"townships created after 2014 stand within {TWIN_KM:g} km of a town with a figure and "
        f"take it as the same settlement under a second P-code ({SAME_SETTLEMENT}, or the "
        "twin's estimate label)."
    )
    missing = towns[towns["population"].isna()]
    for town in missing.sort_values("pcode").itertuples():
        report.say(
            f"Town without a population: {town.pcode} {town.name} (not counted as rural: its "
            "township's urban population is not all held by its other towns, and the ward-share "
            "estimate could not divide what is left)."
        )
