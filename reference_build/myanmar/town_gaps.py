"""Figures for the towns the ward and township rules of `towns.py` leave without one.

Three kinds of town have no urban figure of their own in the 2014 census:

* a capital city spread over several townships (Yangon, Mandalay, Nay Pyi Taw): the P-code
  release lists no wards for it, so the townships it spans come from evidence
  (`city_townships.csv`); its figure is their summed urban population
  (`census_city_townships`), a census figure over a stated set of townships;
* a town declared after the census in a township whose other towns already hold its whole
  urban population: the census counted its people as rural, in the village tract it grew
  from: the one tract of its township that carries the town's name, else the one tract that
  holds the township's villages of that name (MIMU village list). When that tract has a keyed
  figure, it is the town's (`census_host_village_tract`): the 2014 population of the tract,
  which may reach beyond the town's own streets;
* any other such town, and the towns of townships created after 2014 (the Wa re-coding):
  estimated (`estimated_new_town`) as the median 2014 population of the tracts that towns
  were made from (`census_village_tracts` and `census_host_village_tract`), the nearest
  reference class the census offers for a place it did not count as a town.

The new-town estimate is validated by leaving each reference town out in turn and estimating
it by the median of the others; its band is the 90th percentile of the absolute percentage
error, rounded up to 5 points. A town of a township with urban people left but nothing to
share them by stays without a figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.census import TOWNSHIP_SOURCE, WARD_VT_SOURCE
from reference_build.myanmar.spelling import squash
from reference_build.myanmar.town_estimates import ESTIMATE_SOURCE

CITY_TOWNSHIPS = "census_city_townships"
HOST_TRACT = "census_host_village_tract"
NEW_TOWN = "estimated_new_town"
# Methods whose figures are parts of their township's urban population.
URBAN_SHARE_METHODS = (
    "census_urban_single_town",
    "census_wards",
    "census_residual",
    "estimated_ward_share",
)
TRACT_METHODS = ("census_village_tracts", HOST_TRACT)


@dataclass(frozen=True)
class NewTownValidation:
    """Leave-one-out error of the new-town estimate and the band chosen from it."""

    towns: int
    central: float
    median_pct: float
    p90_pct: float
    band_pct: int

    def summary(self) -> str:
        return (
            f"New-town estimate ({NEW_TOWN}: median 2014 population of the {self.towns} "
            f"village tracts towns were made from, {self.central:,.0f}) validated by leaving "
            f"each out: absolute error median {self.median_pct:.1f}%, 90th percentile "
            f"{self.p90_pct:.1f}%; band ±{self.band_pct}%."
        )


def city_figures(places: pd.DataFrame, city_townships: pd.DataFrame) -> pd.Series:
    """Summed 2014 urban population of each city's townships, by city P-code; a city with a
    township lacking an urban figure gets none."""
    urban = places.set_index("pcode")["urban_population"].astype(float)
    listed = city_townships.assign(urban=city_townships["township_pcode"].map(urban))
    grouped = listed.groupby("city_pcode")["urban"]
    return grouped.sum(min_count=1)[grouped.count() == grouped.size()]


def rural_in_2014(places: pd.DataFrame, cities: pd.Index) -> pd.Series:
    """Towns without a figure whose people the census counted as rural: their township has
    no urban population left once its towns' figures are taken, or was created after 2014."""
    towns = places[places["level"] == "town"]
    urban = places.set_index("pcode")["urban_population"].astype(float)
    township_urban = towns["parent_pcode"].map(urban)
    held = towns["population"].where(towns["population_method"].isin(URBAN_SHARE_METHODS))
    left = township_urban - held.groupby(towns["parent_pcode"]).transform("sum")
    open_town = towns["population"].isna() & ~towns["pcode"].isin(cities)
    return open_town & (township_urban.isna() | (left <= 0))


def host_tracts(places: pd.DataFrame, towns: pd.DataFrame, villages: pd.DataFrame) -> pd.Series:
    """Keyed 2014 population of the tract each town grew from, by town P-code.

    The tract is the one of the town's township that carries the town's name; failing that,
    the one tract that holds the township's villages of the town's name (MIMU village list).
    """
    tracts = places[places["level"] == "village_tract"]
    named = _unique_per_key(tracts["pcode"], tracts["parent_pcode"], tracts["name"])
    township_of = tracts.set_index("pcode")["parent_pcode"]
    village_tract = villages["village_tract_pcode"]
    by_village = _unique_per_key(
        village_tract, village_tract.map(township_of), villages["village_eng"]
    )
    keys = pd.DataFrame(
        {"parent_pcode": towns["parent_pcode"].to_numpy(), "key": squash(towns["name"]).to_numpy()},
        index=towns["pcode"].to_numpy(),
    )
    host = keys.merge(named, how="left", on=["parent_pcode", "key"]).set_index(keys.index)
    fallback = keys.merge(by_village, how="left", on=["parent_pcode", "key"]).set_index(keys.index)
    tract = host["tract"].fillna(fallback["tract"])
    population = tract.map(places.set_index("pcode")["population"]).astype(float)
    return population.dropna()


def _unique_per_key(tract: pd.Series, township: pd.Series, name: pd.Series) -> pd.DataFrame:
    """Tract P-code by (township, squashed name), where the name points to one tract only."""
    table = pd.DataFrame(
        {"tract": tract.to_numpy(), "parent_pcode": township.to_numpy(), "key": squash(name)}
    ).dropna()
    table = table[table["key"] != ""].drop_duplicates()
    return table[~table.duplicated(["parent_pcode", "key"], keep=False)]


def validate_new_town(reference: pd.Series) -> NewTownValidation:
    """Estimate each reference town by the median of the others and measure the error."""
    values = reference.to_numpy(float)
    others = [np.median(np.delete(values, i)) for i in range(len(values))]
    error = np.abs(np.array(others) - values) / values * 100
    p90 = float(np.quantile(error, 0.9))
    return NewTownValidation(
        towns=len(values),
        central=float(np.median(values)),
        median_pct=float(np.median(error)),
        p90_pct=p90,
        band_pct=int(math.ceil(p90 / 5) * 5),
    )


def fill_gaps(
    places: pd.DataFrame,
    city_townships: pd.DataFrame,
    villages: pd.DataFrame,
    report: BuildReport,
) -> pd.DataFrame:
    """Give capital cities, towns counted as rural and towns of new townships their figures."""
    places = places.copy()
    cities = city_figures(places, city_townships)
    _set(places, cities, CITY_TOWNSHIPS, TOWNSHIP_SOURCE)
    spans = city_townships.groupby("city_pcode").size()
    names = places.set_index("pcode")["name"]
    report.say(
        "Capital cities (census_city_townships, urban population of the townships listed in "
        "reference_build/myanmar_evidence/city_townships.csv): "
        + "; ".join(
            f"{names[city]} {figure:,.0f} ({spans[city]} townships)"
            for city, figure in cities.sort_index().items()
        )
        + "."
    )
    rural = places[rural_in_2014(places, cities.index).reindex(places.index, fill_value=False)]
    _set(places, host_tracts(places, rural, villages), HOST_TRACT, WARD_VT_SOURCE)
    towns = places[places["level"] == "town"]
    reference = towns.loc[towns["population_method"].isin(TRACT_METHODS), "population"]
    validation = validate_new_town(reference.dropna())
    still = places[rural_in_2014(places, cities.index).reindex(places.index, fill_value=False)]
    estimate = pd.Series(round(validation.central), index=still["pcode"], dtype=float)
    _set(places, estimate, NEW_TOWN, ESTIMATE_SOURCE)
    places.loc[places["pcode"].isin(estimate.index), "population_band_pct"] = float(
        validation.band_pct
    )
    report.say(validation.summary())
    return places


def _set(places: pd.DataFrame, figures: pd.Series, method: str, source: str) -> None:
    rows = places["pcode"].isin(figures.index) & places["population"].isna()
    places.loc[rows, "population"] = places.loc[rows, "pcode"].map(figures).round()
    places.loc[rows, "population_method"] = method
    places.loc[rows, "population_source"] = source
