"""Units of MIMU P-code release 9.6: states/regions, districts, townships, towns, wards and
village tracts, after mending the release's known row defects."""

from __future__ import annotations

import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.sources import Sources

PCODE_SOURCE = "mimu_pcodes_9_6"


def repair_pcode_rows(src: Sources, report: BuildReport) -> None:
    """Mend two defects of the P-code CSVs: a trailing full stop on a ward P-code, and
    village-tract rows shifted one column right at the end of the file."""
    wards = src.wards
    dotted = wards["Ward_Pcode"].str.endswith(".")
    wards.loc[dotted, "Ward_Pcode"] = wards.loc[dotted, "Ward_Pcode"].str.rstrip(".")
    vts = src.village_tracts
    shifted = ~vts["VT_Pcode"].str.fullmatch(r"MMR\d{9}") & vts[
        "Village_Tract_Name_MMR"
    ].str.fullmatch(r"MMR\d{9}")
    vts.loc[shifted, ["VT_Pcode", "Village_Tract_Name_Eng", "Village_Tract_Name_MMR"]] = vts.loc[
        shifted, ["Village_Tract_Name_MMR", "VT_Pcode", "Source"]
    ].to_numpy()
    vts.loc[shifted, "Source"] = "GAD"
    report.say(
        f"P-code rows repaired: {int(dotted.sum())} ward P-code with a trailing full stop, "
        f"{int(shifted.sum())} village-tract rows shifted one column right."
    )


def active(units: pd.DataFrame) -> pd.DataFrame:
    """Drop units that the P-code release marks as deleted."""
    return units[units["Change_Type"].fillna("") != "Delete"]


def admin_units(src: Sources) -> pd.DataFrame:
    """States/regions, districts and townships from the P-code release and the census."""
    cols = [
        "SR_Pcode",
        "SR_Name_Eng",
        "District/SAZ_Pcode",
        "District/SAZ_Name_Eng",
        "Tsp_Pcode",
        "Township_Name_Eng",
    ]
    pcodes = pd.concat([active(t)[cols] for t in (src.towns, src.wards, src.village_tracts)])
    pcodes = pcodes.drop_duplicates("Tsp_Pcode")
    census = src.census.rename(
        columns={
            "pcode_dt": "District/SAZ_Pcode",
            "name_dt": "District/SAZ_Name_Eng",
            "pcode_ts": "Tsp_Pcode",
            "name_ts": "Township_Name_Eng",
            "name_st": "SR_Name_Eng",
        }
    )
    census["SR_Pcode"] = census["District/SAZ_Pcode"].str[:6]
    townships = pd.concat([pcodes, census[pcodes.columns]]).drop_duplicates("Tsp_Pcode")
    states = townships.drop_duplicates("SR_Pcode")
    # A state name from the P-code release wins over the census name of a split state.
    state_names = pcodes.drop_duplicates("SR_Pcode").set_index("SR_Pcode")["SR_Name_Eng"]
    districts = townships.drop_duplicates("District/SAZ_Pcode")
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "pcode": states["SR_Pcode"],
                    "name": states["SR_Pcode"].map(state_names),
                    "level": "state_region",
                    "parent_pcode": pd.NA,
                }
            ),
            pd.DataFrame(
                {
                    "pcode": districts["District/SAZ_Pcode"],
                    "name": districts["District/SAZ_Name_Eng"],
                    "level": "district",
                    "parent_pcode": districts["SR_Pcode"],
                }
            ),
            pd.DataFrame(
                {
                    "pcode": townships["Tsp_Pcode"],
                    "name": townships["Township_Name_Eng"],
                    "level": "township",
                    "parent_pcode": townships["District/SAZ_Pcode"],
                }
            ),
        ]
    ).assign(source=PCODE_SOURCE)


def settlement_units(src: Sources) -> pd.DataFrame:
    """Towns, wards and village tracts of P-code release 9.6 (deleted units left out)."""
    towns = active(src.towns)
    wards = active(src.wards)
    vts = active(src.village_tracts)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "pcode": towns["Town_Pcode"],
                    "name": towns["Town_Name_Eng"],
                    "level": "town",
                    "parent_pcode": towns["Tsp_Pcode"],
                    "lat": pd.to_numeric(towns["Latitude"]),
                    "lon": pd.to_numeric(towns["Longitude"]),
                }
            ),
            pd.DataFrame(
                {
                    "pcode": wards["Ward_Pcode"],
                    "name": wards["Ward_Name_Eng"],
                    "level": "ward",
                    "parent_pcode": wards["Town_Pcode"],
                }
            ),
            pd.DataFrame(
                {
                    "pcode": vts["VT_Pcode"],
                    "name": vts["Village_Tract_Name_Eng"],
                    "level": "village_tract",
                    "parent_pcode": vts["Tsp_Pcode"],
                }
            ),
        ]
    ).assign(source=PCODE_SOURCE)


def drop_orphans(places: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Units whose parent the release deleted (e.g. the wards of Seikkan, a Yangon town
    deleted in 2020) have no place in the hierarchy."""
    orphan = places["parent_pcode"].notna() & ~places["parent_pcode"].isin(places["pcode"])
    report.unplaced.append(
        pd.DataFrame(
            {
                "table": "pcode9.6",
                "township": places.loc[orphan, "parent_pcode"],
                "name": places.loc[orphan, "name"] + " (" + places.loc[orphan, "pcode"] + ")",
                "population": pd.NA,
                "reason": "parent unit deleted in the P-code release",
            }
        )
    )
    report.say(f"P-code units dropped because their parent was deleted: {int(orphan.sum())}.")
    return places[~orphan]


UNIT_TABLES = {
    "town": ("towns", "Town_Pcode", "Town_Name_Eng"),
    "ward": ("wards", "Ward_Pcode", "Ward_Name_Eng"),
    "village_tract": ("village_tracts", "VT_Pcode", "Village_Tract_Name_Eng"),
}


def account_for_units(src: Sources, places: pd.DataFrame, report: BuildReport) -> None:
    """Every town, ward and village tract of the release is either in `places` or listed in the
    report with its reason: deleted by the release, or its parent deleted (`drop_orphans`)."""
    listed, deleted, kept = 0, [], 0
    for level, (table, code, name) in UNIT_TABLES.items():
        units = getattr(src, table)
        gone = units[units["Change_Type"].fillna("") == "Delete"]
        listed += len(units)
        kept += int(units[code].isin(places.loc[places["level"] == level, "pcode"]).sum())
        ended = gone["Modified_End_Date"].fillna("no date")
        deleted.append(
            pd.DataFrame(
                {
                    "table": "pcode9.6",
                    "township": gone["Tsp_Pcode"],
                    "name": gone[name] + " (" + gone[code] + ")",
                    "population": pd.NA,
                    "reason": "deleted in the P-code release (end date " + ended + ")",
                }
            )
        )
    removed = pd.concat(deleted, ignore_index=True)
    report.unplaced.append(removed)
    report.say(
        f"P-code release 9.6 towns, wards and village tracts: {listed:,}; in places.csv: "
        f"{kept:,}; deleted by the release: {len(removed)} (listed below with their end date); "
        f"left out because the release deleted their parent: {listed - kept - len(removed)}."
    )
