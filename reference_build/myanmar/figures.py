"""Figures on places: filling by P-code, admin sums, census coverage and quoted figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reference_build.myanmar.census import CENSUS_FIGURES, TOWNSHIP_SOURCE


def add_figures(places: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Fill figure columns by P-code; a figure already present is kept."""
    figures = figures.set_index("pcode")
    places = places.set_index("pcode")
    for column in figures.columns:
        incoming = figures[column].reindex(places.index)
        places[column] = places[column].combine_first(incoming) if column in places else incoming
    return places.reset_index()


def sum_admin_levels(places: pd.DataFrame) -> pd.DataFrame:
    """District and state/region figures as sums of their census townships."""
    townships = places[places["level"] == "township"]
    columns = [*CENSUS_FIGURES.values(), "hospitals", "doctors", "nurses", "health_assistants"]
    for level in ("district", "state_region"):
        sums = townships.groupby(f"{level}_pcode")[columns].sum(min_count=1)
        rows = places["level"] == level
        for column in columns:
            places.loc[rows, column] = places.loc[rows, "pcode"].map(sums[column])
        places.loc[rows, "population_source"] = TOWNSHIP_SOURCE
        places.loc[rows, "hospitals_source"] = "moh_hospitals"
    return places


def add_census_coverage(places: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """Flag units in areas the 2014 census did not fully enumerate (township, else state)."""
    table = coverage.set_index("pcode")
    key = places["township_pcode"].where(
        places["township_pcode"].isin(table.index), places["state_region_pcode"]
    )
    key = places["pcode"].where(places["pcode"].isin(table.index), key)
    flagged = key.isin(table.index)
    places["census_coverage"] = np.where(flagged, key.map(table["census_coverage"]), "enumerated")
    places["census_coverage_source"] = np.where(flagged, key.map(table["source"]), TOWNSHIP_SOURCE)
    # The state's estimate of people not enumerated, as a share of those enumerated there: the
    # finest figure the sources give, used to widen the high estimate in flagged units.
    estimate = pd.to_numeric(table["not_enumerated_estimate"])
    state_population = places.set_index("pcode")["population"]
    share = (estimate / state_population.reindex(estimate.index)).dropna()
    places["not_enumerated_share"] = places["state_region_pcode"].map(share).where(flagged)
    places["not_enumerated_share"] = places["not_enumerated_share"].astype(float).round(4)
    return places


def add_public_figures(places: pd.DataFrame, public_figures: pd.DataFrame) -> pd.DataFrame:
    """Figures quoted by public reporting (schools, area) where no dataset has them."""
    for row in public_figures.itertuples():
        hit = places["pcode"] == row.pcode
        places.loc[hit, row.column] = float(row.value)
        source_column = "schools_source" if row.column == "schools" else "area_source"
        places.loc[hit, source_column] = row.source
    return places


def label_population_methods(places: pd.DataFrame) -> pd.DataFrame:
    """How each row's population was obtained; towns are labelled by `towns.py`."""
    level = places["level"]
    by_level = level.map(
        {
            "township": "census_township",
            "district": "census_township_sum",
            "state_region": "census_township_sum",
            "ward": "census_ward_vt",
            "village_tract": "census_ward_vt",
            "sub_township": "census_member_sum",
        }
    )
    labelled = places["population_method"].combine_first(by_level)
    places["population_method"] = labelled.where(places["population"].notna())
    return places
