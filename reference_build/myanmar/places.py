"""The place hierarchy: sub-townships, each row's state/district/township, and unit counts."""

from __future__ import annotations

import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.census import WARD_VT_SOURCE
from reference_build.myanmar.spelling import squash


def add_subtownships(
    places: pd.DataFrame, subtownships: pd.DataFrame, report: BuildReport
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sub-township rows and their membership, from the evidence table."""
    table = subtownships
    members = table.assign(member_pcode=table["members"].str.split(";")).explode("member_pcode")
    members = members[["pcode", "member_pcode", "source"]].rename(columns={"pcode": "group_pcode"})
    figures = places.set_index("pcode").loc[members["member_pcode"]]
    figures.index = members["group_pcode"]
    known = figures.groupby(level=0)["population"].count() == figures.groupby(level=0).size()
    totals = figures.groupby(level=0)[["population", "population_male", "population_female"]].sum(
        min_count=1
    )
    totals = totals.where(known)
    levels = figures.groupby(level=0)["level"]
    rows = (
        table.set_index("pcode")[["name", "parent_pcode"]]
        .join(totals)
        .assign(
            level="sub_township",
            source=table.set_index("pcode")["source"],
            population_source=WARD_VT_SOURCE,
            village_tracts=levels.apply(lambda s: int((s == "village_tract").sum())),
            towns=levels.apply(lambda s: int((s == "town").sum())),
        )
    )
    report.say(
        f"Sub-townships from evidence: {len(rows)} "
        "(reference_build/myanmar_evidence/subtownships.csv)."
    )
    return pd.concat([places, rows.reset_index()]), members


def add_hierarchy(places: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    """State, district and township P-codes of every row, and the area governed from a town."""
    parent = places.set_index("pcode")["parent_pcode"]
    level = places.set_index("pcode")["level"]

    def ancestor(target: str) -> pd.Series:
        found = pd.Series(pd.NA, index=places.index, dtype="object")
        current = places["pcode"]
        for _ in range(6):
            hit = found.isna() & current.map(level).eq(target)
            found[hit] = current[hit]
            current = current.map(parent)
        return found

    places["state_region_pcode"] = ancestor("state_region")
    places["district_pcode"] = ancestor("district")
    places["township_pcode"] = ancestor("township")
    seat_areas = seats.set_index("town_pcode")["area_pcode"]
    towns = places[places["level"] == "town"]
    township_names = squash(towns["parent_pcode"].map(places.set_index("pcode")["name"]))
    is_seat = (squash(towns["name"]) == township_names) | ~towns["parent_pcode"].duplicated(
        keep=False
    )
    places.loc[towns.index[is_seat], "area_pcode"] = towns.loc[is_seat, "parent_pcode"]
    places["area_pcode"] = places["pcode"].map(seat_areas).combine_first(places["area_pcode"])
    return places


def add_unit_counts(places: pd.DataFrame, subtownships: pd.DataFrame) -> pd.DataFrame:
    """Towns, wards and village tracts per unit, as listed in the P-code release."""
    level = places["level"]
    town_of_ward = places.loc[level == "ward", "parent_pcode"]
    wards_per_town = town_of_ward.value_counts()
    wards_per_township = town_of_ward.str[:9].value_counts()
    vts_per_township = places.loc[level == "village_tract", "parent_pcode"].value_counts()
    towns_per_township = places.loc[level == "town", "parent_pcode"].value_counts()
    is_town, is_ts = level == "town", level == "township"
    places.loc[is_town, "wards"] = places.loc[is_town, "pcode"].map(wards_per_town).fillna(0)
    places.loc[is_ts, "wards"] = places.loc[is_ts, "pcode"].map(wards_per_township).fillna(0)
    places.loc[is_ts, "village_tracts"] = places.loc[is_ts, "pcode"].map(vts_per_township).fillna(0)
    places.loc[is_ts, "towns"] = places.loc[is_ts, "pcode"].map(towns_per_township).fillna(0)
    sub = level == "sub_township"
    seat_of = subtownships.set_index("pcode")["seat_pcode"]
    places.loc[sub, "wards"] = places.loc[sub, "pcode"].map(seat_of).map(wards_per_town)
    return places
