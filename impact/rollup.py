"""Totals across events without double counting, and summaries by period, actor and region.

A place counts once: only its latest event in the period counts, and a place inside another
counted place (a town within a township that is also counted) does not count again. Every row
says whether it counts and, if not, why.
"""

from __future__ import annotations

import pandas as pd

from impact.reference import Reference

SUMMED = [
    "population_census",
    "population_low",
    "population_central",
    "population_high",
    "households",
    "schools",
    "hospitals",
    "hospital_beds",
]


def mark_counted(impacts: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Add `counted` and `not_counted_reason` to the per-event table."""
    out = impacts.sort_values(["date", "event_id"]).copy()
    out["counted"] = True
    out["not_counted_reason"] = pd.Series(pd.NA, index=out.index, dtype="string")
    contested = out["change"] == "contested"
    out.loc[contested, "counted"] = False
    out.loc[contested, "not_counted_reason"] = "contested claim: control did not change"
    later = out[out["counted"]].groupby("headline_pcode")["event_id"].transform("last")
    repeat = (
        out["counted"]
        & later.reindex(out.index).ne(out["event_id"])
        & later.reindex(out.index).notna()
    )
    out.loc[repeat, "counted"] = False
    out.loc[repeat, "not_counted_reason"] = (
        "same place counted at its latest event " + later[repeat]
    )
    counted_units = dict(
        zip(
            out.loc[out["counted"], "headline_pcode"],
            out.loc[out["counted"], "event_id"],
            strict=False,
        )
    )
    containers = out["headline_pcode"].map(lambda pcode: _containers(pcode, reference))
    for index, boxes in containers.items():
        if not out.at[index, "counted"]:
            continue
        holder = next((box for box in reversed(boxes) if box in counted_units), None)
        if holder is not None:
            out.at[index, "counted"] = False
            out.at[index, "not_counted_reason"] = (
                f"inside {holder}, counted at event {counted_units[holder]}"
            )
    return out.sort_values(["date", "event_id"]).reset_index(drop=True)


def _containers(pcode: str, reference: Reference) -> list[str]:
    """Units that contain `pcode`, inner to outer: admin parents and groupings (sub-townships)."""
    places = reference.places
    members = reference.memberships
    groups_of = members.groupby("member_pcode")["group_pcode"].agg(list)
    chain: list[str] = list(groups_of.get(pcode, []))
    current = places.at[pcode, "parent_pcode"]
    while pd.notna(current):
        chain += [current, *groups_of.get(current, [])]
        current = places.at[current, "parent_pcode"]
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
