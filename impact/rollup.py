"""Totals across events without double counting, and summaries by period, actor and region.

A place counts once: only its latest event in the period counts, and a place inside another
counted place (a town within a township that is also counted) does not count again. Every row
says whether it counts and, if not, why.
"""

from __future__ import annotations

import pandas as pd

from impact.reference import Reference

SUMMED = """
    population_census population_low population_central population_high households
    population_male population_female population_0_14 population_15_64 population_65_plus
    population_disability schools hospitals hospital_beds health_workers
""".split()


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


MOVES_CONTROL = {"captured", "recaptured", "handed over", "withdrawn"}


def control_timeline(impacts: pd.DataFrame) -> pd.DataFrame:
    """After each event, who holds the place (its headline unit).

    Captures, recaptures, hand-overs and withdrawals move control to the gaining actor; a
    contested claim does not and is flagged. Before a place's first event it is held by that
    event's losing actor. A losing actor that differs from the recorded holder is flagged.
    """
    events = impacts.sort_values(["date", "event_id"])
    rows = []
    holders: dict[str, str] = {}
    for event in events.itertuples(index=False):
        place = event.headline_pcode
        before = holders.get(place, _actor(event.losing_actor))
        moves = event.change in MOVES_CONTROL
        after = _actor(event.gaining_actor) if moves else before
        flags = []
        if not moves:
            flags.append(f"{event.change} claim: control not moved")
        if place in holders and pd.notna(event.losing_actor) and event.losing_actor != before:
            flags.append(f"losing actor '{event.losing_actor}' is not the recorded holder")
        holders[place] = after
        rows.append(
            {
                "date": event.date,
                "event_id": event.event_id,
                "pcode": place,
                "place_name": event.area_name if event.scope == "area" else event.place_name,
                "change": event.change,
                "holder_before": before,
                "holder_after": after,
                "control_moved": moves and after != before,
                "flag": "; ".join(flags) or None,
            }
        )
    columns = [
        "date",
        "event_id",
        "pcode",
        "place_name",
        "change",
        "holder_before",
        "holder_after",
        "control_moved",
        "flag",
    ]
    return pd.DataFrame(rows, columns=columns)


def _actor(name: object) -> str:
    return "unknown" if name is None or pd.isna(name) else str(name)


def population_by_actor(timeline: pd.DataFrame, impacts: pd.DataFrame) -> pd.DataFrame:
    """People (projected central) in the places of the timeline, by holder, after each date.

    Each place counts once, with the central figure of its latest event; places without a
    census figure are counted in `places` but add nothing to `population_central`.
    """
    if timeline.empty:
        return pd.DataFrame(columns=["date", "holder", "places", "population_central"])
    holder = timeline.pivot_table(
        index="date", columns="pcode", values="holder_after", aggfunc="last"
    ).ffill()
    long = holder.reset_index().melt(id_vars="date", var_name="pcode", value_name="holder")
    long = long.dropna(subset=["holder"])
    latest = impacts.sort_values(["date", "event_id"]).drop_duplicates(
        "headline_pcode", keep="last"
    )
    people = latest.set_index("headline_pcode")["population_central"]
    long["population_central"] = long["pcode"].map(people)
    table = long.groupby(["date", "holder"]).agg(
        places=("pcode", "size"),
        population_central=("population_central", lambda s: s.sum(min_count=1)),
    )
    table["population_central"] = table["population_central"].astype("Int64")
    return table.reset_index().sort_values(["date", "holder"]).reset_index(drop=True)
