"""Which towns head a sub-township, from Myanmar Post's postal units, with the evidence per town.

Myanmar Post gives a sub-township's seat town a postal prefix of its own ("Khampat Town"
0267, beside Tamu township's 0207), while a township seat shares its township's prefix or
heads the township itself. A secondary town with its own prefix is therefore marked as the
seat of "<Town> Sub-township": its `area_level` is `sub_township` and the area governed from
it is identified by the town's own P-code (no code is made up). Other public statements
(Wikipedia, a P-code 9.6 unit named "… Sub-township") corroborate a seat and are recorded.
"""

from __future__ import annotations

import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.spelling import squash

POSTAL_SOURCE = "myanmar_post_postal_codes"
SUB_TOWNSHIP = "sub_township"


def postal_town_units(postal: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """One row per postal unit named "… Town": its prefix, the town P-code of its wards (or
    of the one town of that name in its state when it lists no ward P-code) and why a unit
    is not a sub-township seat (`reason`, empty for a seat)."""
    postal = _normalised(postal)
    units = postal[postal["Township"].str.endswith(" Town")]
    town_codes = units["Ward_Pcode"].str[:12]
    table = (
        units.assign(town=town_codes)
        .groupby(["Region", "Township"])
        .agg(
            prefix=("prefix", lambda s: "/".join(sorted(set(s)))),
            towns=("town", lambda s: sorted(set(s.dropna()))),
        )
        .reset_index()
    )
    table["town_pcode"] = table["towns"].map(lambda t: t[0] if len(t) == 1 else pd.NA)
    table["matched_by"] = table["town_pcode"].notna().map({True: "ward P-codes", False: pd.NA})
    by_name = _towns_by_name(table[table["towns"].map(len) == 0], places)
    table.loc[by_name.index, "town_pcode"] = by_name
    table.loc[by_name.index, "matched_by"] = "name"
    township_prefixes = _township_prefixes(postal)
    table["township_pcode"] = table["town_pcode"].str[:9]
    table["township_prefix"] = table["township_pcode"].map(township_prefixes)
    area = table["town_pcode"].map(places.set_index("pcode")["area_pcode"])
    table["reason"] = _not_a_seat(table, area)
    return table.drop(columns="towns")


def _normalised(postal: pd.DataFrame) -> pd.DataFrame:
    """The postal list with blanks trimmed (its region and township names carry spaces) and
    each code's 4-digit prefix."""
    postal = postal.rename(columns=lambda c: c.strip()).apply(lambda c: c.str.strip())
    return postal.assign(prefix=postal["Postal Code"].str[:4])


def _towns_by_name(units: pd.DataFrame, places: pd.DataFrame) -> pd.Series:
    """The town P-code of units without ward P-codes, when exactly one town has the name."""
    towns = places[places["level"] == "town"].assign(key=lambda t: squash(t["name"]))
    unique = towns[~towns["key"].duplicated(keep=False)].set_index("key")["pcode"]
    return squash(units["Township"]).map(unique).dropna()


def _township_prefixes(postal: pd.DataFrame) -> pd.Series:
    """The postal prefixes of each township's village tracts (wards belong to their town, and
    a town's wards are sometimes listed twice, under the town and under a unit of its own)."""
    tracts = postal[postal["VT_Pcode"].notna()]
    township = tracts["VT_Pcode"].str[:9]
    return tracts.groupby(township)["prefix"].agg(lambda s: "/".join(sorted(set(s))))


def _not_a_seat(table: pd.DataFrame, area: pd.Series) -> pd.Series:
    """Why a postal "… Town" unit is not marked as a sub-township seat (NA when it is)."""
    shares = [
        prefix in str(township).split("/")
        for prefix, township in zip(table["prefix"], table["township_prefix"], strict=True)
    ]
    reasons = [
        (table["town_pcode"].isna(), "its wards belong to more than one town, or none is named"),
        (pd.Series(shares, index=table.index), "shares its township's postal prefix"),
        (area.eq(table["township_pcode"]), "the town is its township's seat"),
    ]
    reason = pd.Series(pd.NA, index=table.index, dtype="object")
    for applies, why in reversed(reasons):
        reason = reason.mask(applies.fillna(False).to_numpy(), why)
    return reason


def mark_seats(
    places: pd.DataFrame,
    postal: pd.DataFrame,
    corroboration: pd.DataFrame,
    named_units: pd.DataFrame,
    report: BuildReport,
) -> pd.DataFrame:
    """Set `area_level` = sub_township and `area_level_source` on every town with a postal
    prefix of its own, and `area_pcode` to the town itself unless evidence names the
    sub-township's own P-code unit (Chinshwehaw); state the evidence per town in the report.

    Args:
        places: the place table with `area_pcode` filled for township seats and `seats.csv`.
        postal: the Myanmar Post postal-code list as read.
        corroboration: `subtownship_seats.csv` (town_pcode, source, evidence).
        named_units: P-code 9.6 units named "… Sub-township" (pcode, name).
        report: where the counts and the evidence table go.
    """
    units = postal_town_units(postal, places)
    seats = units[units["reason"].isna()].copy()
    postal_units = _normalised(postal)[["Township", "prefix"]].drop_duplicates()
    seats["pcode"] = seats["town_pcode"]
    is_seat = places["pcode"].isin(seats["pcode"]) & places["level"].eq("town")
    own = is_seat & places["area_pcode"].isna()
    places.loc[own, "area_pcode"] = places.loc[own, "pcode"]
    places.loc[is_seat, "area_level"] = SUB_TOWNSHIP
    places.loc[is_seat, "area_level_source"] = POSTAL_SOURCE
    _report(seats, units, postal_units, places, corroboration, named_units, report)
    return places


def _report(
    seats: pd.DataFrame,
    units: pd.DataFrame,
    postal_units: pd.DataFrame,
    places: pd.DataFrame,
    corroboration: pd.DataFrame,
    named_units: pd.DataFrame,
    report: BuildReport,
) -> None:
    names = places.drop_duplicates("pcode").set_index("pcode")["name"]
    key = squash(named_units["name"].str.replace(r"\(.*", "", regex=True))
    named = named_units.assign(key=key.str.replace(r"sub$", "", regex=True))
    named = named.drop_duplicates("key").set_index("key")
    extra = corroboration.groupby("town_pcode")["evidence"].agg("; ".join)
    rows = [
        f"| {seat.pcode} | {names.get(seat.pcode, '')} | "
        + "; ".join(_seat_evidence(seat, names.get(seat.pcode, ""), postal_units, named, extra))
        + " |"
        for seat in seats.sort_values("pcode").itertuples()
    ]
    left = units[units["reason"].notna()]
    areas = places.set_index("pcode").loc[seats["pcode"], "area_pcode"]
    coded = areas[areas != areas.index]
    report.say(
        f"Sub-township seats: {len(seats)} of the {len(units)} postal units named '… Town' "
        f"(Myanmar Post, {POSTAL_SOURCE}); {len(corroboration)} also named as such in "
        "subtownship_seats.csv. A seat's area is identified by the town's own P-code with "
        f"area_level = sub_township, or by the release's own unit ({', '.join(coded)}). "
        f"Not marked: {len(left)} ("
        + "; ".join(f"{r.Township}: {r.reason}" for r in left.itertuples())
        + "). Evidence per seat: section 'Sub-township seats'."
    )
    report.section(
        "Sub-township seats",
        ["| town P-code | town | evidence |", "|---|---|---|", *rows],
    )


def _seat_evidence(
    seat: tuple, name: str, postal_units: pd.DataFrame, named: pd.DataFrame, extra: pd.Series
) -> list[str]:
    """What says this town heads a sub-township: its postal prefix, a release unit of its
    name, other postal units with its prefix, and public statements."""
    evidence = [f"postal unit '{seat.Township}' has prefix {seat.prefix}"]
    if pd.notna(seat.township_prefix):
        evidence[0] += f", its township {seat.township_prefix}"
    key = squash(pd.Series([name])).iloc[0]
    if key in named.index:
        evidence.append(
            f"P-code 9.6 unit {named.loc[key, 'pcode']} is named '{named.loc[key, 'name']}'"
        )
    same = postal_units[postal_units["prefix"].eq(seat.prefix)]["Township"]
    same = same[same != seat.Township]
    if len(same):
        evidence.append("prefix also used by postal unit " + ", ".join(f"'{u}'" for u in same))
    if seat.pcode in extra.index:
        evidence.append(extra[seat.pcode])
    if seat.matched_by == "name":
        evidence.append("town matched by name (the postal unit lists no ward P-code)")
    return evidence
