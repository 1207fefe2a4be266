"""Totals across events without double counting, and summaries by period, actor and region.

A place counts once: only its latest event in the period counts, and a place inside another
counted place (a town within a township that is also counted) does not count again. Every row
says whether it counts and, if not, why.
"""

from __future__ import annotations

import pandas as pd

from impact.assumptions import assumption_values, load_assumptions
from impact.errors import AssumptionsError
from impact.reference import Reference
from impact.schemas import MOVES_CONTROL

SUMMED = """
    population_census population_low population_central population_high households
    population_male population_female population_0_14 population_15_64 population_65_plus
    population_disability schools hospitals hospital_beds health_workers
""".split()


# Whether a change of each certainty counts in totals: the assumption that says so, and why not.
CERTAINTY_RULES = {
    "claimed": ("count_claimed", "claimed, not confirmed"),
    "partial": ("count_partial", "partial change of control"),
    "brief": ("count_brief", "control held only briefly"),
}


def mark_counted(
    impacts: pd.DataFrame, reference: Reference, assumptions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Add `counted` and `not_counted_reason` to the per-event table (in date order).

    A change that is only claimed, partial or brief counts as the assumptions
    `count_claimed`, `count_partial` and `count_brief` say (defaults when `assumptions` is
    None). Works on the few columns it needs, so a large table is not copied while deciding.
    """
    keys = impacts[["event_id", "change", "headline_pcode"]]
    counted = pd.Series(True, index=impacts.index)
    reason = pd.Series(pd.NA, index=impacts.index, dtype="string")
    contested = keys["change"] == "contested"
    counted[contested] = False
    reason[contested] = "contested claim: control did not change"
    certainty = impacts.get("change_certainty", pd.Series("confirmed", index=impacts.index))
    for value, why in _uncounted_certainties(assumptions).items():
        rows = counted & certainty.eq(value)
        counted[rows] = False
        reason[rows] = why
    later = keys[counted].groupby("headline_pcode")["event_id"].transform("last")
    later = later.reindex(impacts.index)
    repeat = counted & later.notna() & later.ne(keys["event_id"])
    counted[repeat] = False
    reason[repeat] = "same place counted at its latest event " + later[repeat]
    counted_units = keys[counted].set_index("headline_pcode")["event_id"]
    holders = _outermost_counted(counted_units.index.unique(), set(counted_units.index), reference)
    holder = keys["headline_pcode"].map(holders).astype("string").where(counted)
    nested = holder.notna()
    counted[nested] = False
    reason[nested] = (
        "inside " + holder[nested] + ", counted at event " + holder[nested].map(counted_units)
    )
    out = impacts.copy(deep=False)
    out["counted"] = counted
    out["not_counted_reason"] = reason
    return out.reset_index(drop=True)


def _uncounted_certainties(assumptions: pd.DataFrame | None) -> dict[str, str]:
    """Certainty → reason, for each certainty the assumptions leave out of the totals."""
    values = assumption_values(load_assumptions() if assumptions is None else assumptions)
    left_out = {}
    for certainty, (name, why) in CERTAINTY_RULES.items():
        value = values.get(name, 1)
        if isinstance(value, str) or value not in (0, 1):
            raise AssumptionsError(f"{name} must be 1 or 0 (true or false), not {value!r}")
        if not value:
            left_out[certainty] = f"{why} ({name} = 0)"
    return left_out


def _outermost_counted(units: pd.Index, counted: set[str], reference: Reference) -> pd.Series:
    """For each unit, the outermost counted unit that contains it (admin parent or grouping)."""
    parent = reference.places["parent_pcode"].dropna().to_dict()
    groups = reference.memberships.groupby("member_pcode")["group_pcode"].agg(list).to_dict()
    found = {}
    for unit in units:
        holder = None
        for box in _containers(unit, parent, groups):
            if box in counted:
                holder = box
        if holder is not None:
            found[unit] = holder
    return pd.Series(found, dtype=object)


def _containers(pcode: str, parent: dict, groups: dict) -> list[str]:
    """Units that contain `pcode`, inner to outer: admin parents and groupings (sub-townships)."""
    chain: list[str] = list(groups.get(pcode, []))
    current = parent.get(pcode)
    while current is not None:
        chain += [current, *groups.get(current, [])]
        current = parent.get(current)
    return chain


def summarise(impacts: pd.DataFrame) -> pd.DataFrame:
    """Totals from counted rows, overall and by month, gaining actor and state/region.

    `population_central_all_rows` is the plain sum of every row, shown beside the counted
    total so a reader sees what de-duplication removed.
    """
    frame = impacts.assign(month=impacts["date"].dt.strftime("%Y-%m"), total="all events")
    parts = []
    for group_by in ("total", "month", "gaining_actor", "state_region_name"):
        grouped = frame.groupby(frame[group_by].fillna("unknown"), sort=True)
        counted = frame[frame["counted"]].groupby(frame[group_by].fillna("unknown"))
        table = counted[SUMMED].sum(min_count=1).reindex(grouped.size().index)
        table.insert(0, "events", grouped.size())
        table.insert(1, "events_counted", counted.size().reindex(table.index).fillna(0))
        table.insert(
            2, "places_counted", counted["headline_pcode"].nunique().reindex(table.index).fillna(0)
        )
        table["population_central_all_rows"] = grouped["population_central"].sum(min_count=1)
        table["population_unknown_events"] = (
            counted["population_census"]
            .apply(lambda s: int(s.isna().sum()))
            .reindex(table.index)
            .fillna(0)
        )
        parts.append(table.rename_axis("group").reset_index().assign(group_by=group_by))
    summary = pd.concat(parts, ignore_index=True)
    columns = ["group_by", "group", *[c for c in summary.columns if c not in ("group_by", "group")]]
    summary = summary[columns]
    for column in columns[2:]:
        summary[column] = summary[column].astype("Int64")
    return summary


def control_timeline(impacts: pd.DataFrame, scope: str = "area") -> pd.DataFrame:
    """After each event, who holds the place (its headline unit).

    Captures, recaptures, hand-overs and withdrawals move control to the gaining actor; a
    contested claim does not and is flagged. Before a place's first event it is held by that
    event's losing actor. A losing actor that differs from the recorded holder is flagged.
    """
    events = impacts.reset_index(drop=True)
    place = events["headline_pcode"]
    moves = events["change"].isin(MOVES_CONTROL)
    first = events.drop_duplicates("headline_pcode").set_index("headline_pcode")
    initial = place.map(first["losing_actor"].astype("string").fillna("unknown"))
    after = events["gaining_actor"].astype("string").fillna("unknown").where(moves)
    after = after.groupby(place).ffill().fillna(initial)
    before = after.groupby(place).shift(1).fillna(initial)
    losing = events["losing_actor"].astype("string")
    seen = place.duplicated()
    odd = seen & losing.notna() & (losing != before)
    flags = pd.Series(pd.NA, index=events.index, dtype="string")
    flags[~moves] = events.loc[~moves, "change"] + " claim: control not moved"
    mismatch = "losing actor '" + losing[odd] + "' is not the recorded holder"
    flags[odd] = flags[odd].fillna("").str.cat(mismatch, sep="; ").str.strip("; ")
    names = events["area_name"] if scope == "area" else events["place_name"]
    return pd.DataFrame(
        {
            "date": events["date"],
            "event_id": events["event_id"],
            "pcode": place,
            "place_name": names,
            "change": events["change"],
            "holder_before": before,
            "holder_after": after,
            "control_moved": moves & (after != before),
            "flag": flags,
        }
    )


def population_by_actor(timeline: pd.DataFrame, impacts: pd.DataFrame) -> pd.DataFrame:
    """People (projected central) in the places of the timeline, by holder, after each date.

    Each place counts once, with the central figure of its latest event; places without a
    census figure are counted in `places` but add nothing to `population_central` (which stays
    empty for a holder whose places all lack a figure). Built from changes of holder, so the
    work grows with events, not with dates × places.
    """
    columns = ["date", "holder", "places", "population_central"]
    if timeline.empty:
        return pd.DataFrame(columns=columns)
    latest = impacts.drop_duplicates("headline_pcode", keep="last").set_index("headline_pcode")[
        "population_central"
    ]
    rows = timeline.assign(people=timeline["pcode"].map(latest).astype("Float64"))
    rows["known"] = rows["people"].notna().astype(int)
    rows["people"] = rows["people"].fillna(0)
    enter = ~rows["pcode"].duplicated()
    moved = ~enter & (rows["holder_before"] != rows["holder_after"])
    gain = rows[enter | moved].assign(holder=lambda r: r["holder_after"], places=1)
    loss = rows[moved].assign(holder=lambda r: r["holder_before"], places=-1)
    loss = loss.assign(people=-loss["people"], known=-loss["known"])
    deltas = (
        pd.concat([gain, loss]).groupby(["date", "holder"])[["places", "people", "known"]].sum()
    )
    running = deltas.unstack("holder", fill_value=0).cumsum()
    table = running.stack("holder", future_stack=True).reset_index()
    table = table[table["places"] > 0]
    population = table["people"].round().astype("Int64").where(table["known"] > 0)
    out = pd.DataFrame(
        {
            "date": table["date"],
            "holder": table["holder"],
            "places": table["places"].astype(int),
            "population_central": population,
        }
    )
    return out.sort_values(["date", "holder"]).reset_index(drop=True)
