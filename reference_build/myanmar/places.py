"""The place hierarchy: sub-townships, each row's state/district/township, and unit counts."""

from __future__ import annotations

import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.census import WARD_VT_SOURCE
from reference_build.myanmar.spelling import squash

SUB_TOWNSHIP = "sub_township"
# Figures a sub-township takes as the sum of its members (all members known, else unknown).
MEMBER_SUMS = ["population", "population_male", "population_female"]


def label_subtownship_units(places: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """P-code units the release itself names "… Sub-township" ("Chinshwehaw Sub-township
    (Kokang SAZ)", listed at township level) are sub-townships, named "<Seat> Sub-township"."""
    named = places["name"].str.contains(r"(?i)\bsub-?township\b", na=False)
    named &= places["level"].isin(["township", SUB_TOWNSHIP])
    clean = places.loc[named, "name"].str.replace(r"\s*\(.*$", "", regex=True)
    clean = clean.str.replace(r"(?i)\s*sub-?township$", "", regex=True) + " Sub-township"
    for row in places[named].itertuples():
        report.say(
            f"P-code unit {row.pcode} '{row.name}' is a sub-township: named "
            f"'{clean[row.Index]}', level sub_township (its own P-code from the release)."
        )
    places.loc[named, "name"] = clean
    places.loc[named, "level"] = SUB_TOWNSHIP
    return places


def add_subtownship_rows(
    places: pd.DataFrame, subtownships: pd.DataFrame, report: BuildReport
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A row per sub-township whose members are known, keyed by its seat town's P-code with
    level `sub_township` (no P-code is made up), and its membership.

    Figures are the sums of the members' (unknown unless every member has one); hospitals
    are those of its member towns, wards those of its towns, village tracts counted.
    """
    table = subtownships.set_index("seat_pcode")
    members = table["members"].str.split(";").explode().rename("member_pcode")
    members = members.rename_axis("group_pcode").reset_index()
    members["source"] = members["group_pcode"].map(table["source"])
    units = places.set_index("pcode")
    figures = units.loc[members["member_pcode"]]
    figures.index = pd.Index(members["group_pcode"], name="group_pcode")
    by_group = figures.groupby(level=0)
    known = by_group["population"].count() == by_group.size()
    totals = by_group[MEMBER_SUMS].sum(min_count=1).where(known, axis=0)
    towns = figures[figures["level"] == "town"].groupby(level=0)
    seat = units.loc[table.index]
    rows = totals.assign(
        name=table["name"],
        level=SUB_TOWNSHIP,
        parent_pcode=table["parent_pcode"],
        state_region_pcode=seat["state_region_pcode"],
        district_pcode=seat["district_pcode"],
        township_pcode=seat["township_pcode"],
        population_year=known.map({True: 2014, False: pd.NA}),
        population_method="census_member_sum",
        population_source=WARD_VT_SOURCE,
        census_coverage=seat["census_coverage"],
        census_coverage_source=seat["census_coverage_source"],
        not_enumerated_share=seat["not_enumerated_share"],
        towns=towns.size(),
        wards=towns["wards"].sum(min_count=1),
        village_tracts=by_group["level"].apply(lambda s: int((s == "village_tract").sum())),
        hospitals=towns["hospitals"].sum(min_count=1),
        hospital_beds=towns["hospital_beds"].sum(min_count=1),
        hospitals_source="moh_hospitals",
        source=table["source"],
    )
    rows["population_method"] = rows["population_method"].where(known)
    report.say(
        f"Sub-townships with known members: {len(rows)} "
        "(reference_build/myanmar_evidence/subtownships.csv), each a row keyed by its seat "
        "town's P-code with level sub_township."
    )
    rows = rows.rename_axis("pcode").reset_index()
    return pd.concat([places, rows], ignore_index=True), members


def add_hierarchy(places: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    """State, district and township P-codes of every row, and the area governed from a town."""
    parent = places.set_index("pcode")["parent_pcode"]
    level = places.set_index("pcode")["level"]

    def ancestor(*targets: str) -> pd.Series:
        found = pd.Series(pd.NA, index=places.index, dtype="object")
        current = places["pcode"]
        for _ in range(6):
            hit = found.isna() & current.map(level).isin(targets)
            found[hit] = current[hit]
            current = current.map(parent)
        return found

    places["state_region_pcode"] = ancestor("state_region")
    places["district_pcode"] = ancestor("district")
    # A sub-township with its own P-code (Chinshwehaw) holds its village tracts as a township.
    places["township_pcode"] = ancestor("township", SUB_TOWNSHIP)
    seat_areas = seats.set_index("town_pcode")["area_pcode"]
    towns = places[places["level"] == "town"]
    township_names = squash(towns["parent_pcode"].map(places.set_index("pcode")["name"]))
    is_seat = (squash(towns["name"]) == township_names) | ~towns["parent_pcode"].duplicated(
        keep=False
    )
    places.loc[towns.index[is_seat], "area_pcode"] = towns.loc[is_seat, "parent_pcode"]
    places["area_pcode"] = places["pcode"].map(seat_areas).combine_first(places["area_pcode"])
    places["area_level"] = places["area_pcode"].map(level)
    return places


def add_unit_counts(places: pd.DataFrame) -> pd.DataFrame:
    """Towns, wards and village tracts per unit, as listed in the P-code release."""
    level = places["level"]
    town_of_ward = places.loc[level == "ward", "parent_pcode"]
    wards_per_town = town_of_ward.value_counts()
    wards_per_township = town_of_ward.str[:9].value_counts()
    vts_per_township = places.loc[level == "village_tract", "parent_pcode"].value_counts()
    towns_per_township = places.loc[level == "town", "parent_pcode"].value_counts()
    is_town, is_ts = level == "town", level.isin(["township", SUB_TOWNSHIP])
    places.loc[is_town, "wards"] = places.loc[is_town, "pcode"].map(wards_per_town).fillna(0)
    places.loc[is_ts, "wards"] = places.loc[is_ts, "pcode"].map(wards_per_township).fillna(0)
    places.loc[is_ts, "village_tracts"] = places.loc[is_ts, "pcode"].map(vts_per_township).fillna(0)
    places.loc[is_ts, "towns"] = places.loc[is_ts, "pcode"].map(towns_per_township).fillna(0)
    return places
