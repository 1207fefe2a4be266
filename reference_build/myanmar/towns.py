"""Town populations from the census: ward sums and one-town townships."""

from __future__ import annotations

import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.census import TOWNSHIP_SOURCE, WARD_VT_SOURCE


def roll_up_towns(places: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Town population from its wards (all known) or, for a one-town township, its urban total."""
    wards = places[places["level"] == "ward"]
    grouped = wards.groupby("parent_pcode")
    complete = grouped["population"].count() == grouped.size()
    sums = grouped[["population", "population_male", "population_female"]].sum(min_count=1)
    sums = sums[complete]
    towns = places["level"] == "town"
    single = towns & ~places["parent_pcode"].where(towns).duplicated(keep=False)
    township = places.set_index("pcode")
    urban = places["parent_pcode"].map(township["urban_population"])
    from_wards = places["pcode"].map(sums["population"])
    places.loc[towns, "population"] = from_wards[towns]
    for column in ("population_male", "population_female"):
        places.loc[towns, column] = places.loc[towns, "pcode"].map(sums[column])
    places.loc[towns & from_wards.notna(), "population_source"] = WARD_VT_SOURCE
    use_urban = single & urban.notna()
    differs = use_urban & from_wards.notna() & (from_wards != urban)
    places.loc[use_urban, "population"] = urban[use_urban]
    places.loc[use_urban, "population_source"] = TOWNSHIP_SOURCE
    report.say(
        f"Towns with a population: {int(places.loc[towns, 'population'].notna().sum())} of "
        f"{int(towns.sum())} ({int(use_urban.sum())} as the urban population of a one-town "
        f"township, {int((towns & from_wards.notna() & ~use_urban).sum())} as the sum of "
        f"all their wards; {int(differs.sum())} one-town townships whose ward sum differs "
        "from the urban total keep the urban total)."
    )
    return places
