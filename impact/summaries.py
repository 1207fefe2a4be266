"""Tidy totals a dashboard can sum: the counted-once total, and flows by month, actor, side
and region, plus the headline sentences.

Two measures, kept apart and named: the *counted* total (each place once in the period, at its
latest event, nested places not added again) is the headline; the *flows* say what changed
hands when. Flow tables have one row per group and `measure`: `held_at_start`, `gained`,
`lost`, `held_at_end`, with held_at_end = held_at_start + gained - lost for places and people,
because each place has one figure for every control view. Sum within one measure only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.control import (
    BANDS,
    PeriodChanges,
    changes_between,
    finish_counts,
    gained_and_lost,
    held_at_ends,
    holder_deltas,
    period_changes,
    tally,
)

SUMMED = """
    population_census population_low population_central population_high households
    population_male population_female population_0_14 population_15_64 population_65_plus
    population_disability schools hospitals hospital_beds health_workers
""".split()
MEASURES = ["held_at_start", "gained", "lost", "held_at_end"]
FLOW_COLUMNS = ["measure", "places", *BANDS, "places_without_figure"]
MILITARY = "military"


def summarise(
    impacts: pd.DataFrame,
    timeline: pd.DataFrame,
    figures: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    changes: PeriodChanges | None = None,
) -> pd.DataFrame:
    """One row: counted-once totals of the period, and the places that changed hands in it.

    `population_central_all_rows` is the plain sum of every row, shown beside the counted
    total so a reader sees what de-duplication removed. `changes`, when given, are the
    period's (from `period_changes`).
    """
    counted = impacts[impacts["counted"]]
    row = {
        "period_start": start,
        "period_end": end,
        "events": len(impacts),
        "events_counted": len(counted),
        "places_counted": counted["headline_pcode"].nunique(),
        **{column: counted[column].sum(min_count=1) for column in SUMMED},
        "population_central_all_rows": impacts["population_central"].sum(min_count=1),
        "population_unknown_events": int(counted["population_census"].isna().sum()),
    }
    moves = changes.moves if changes else changes_between(timeline, start, end)
    changed = moves["pcode"].unique()
    places = figures.loc[changed]
    people = tally(places.assign(all="all"), ["all"])
    row["places_changed_hands"] = len(changed)
    for band in BANDS:
        row[f"{band}_changed_hands"] = people[band].iloc[0] if len(changed) else 0
    row["places_changed_without_figure"] = int(
        people["places_without_figure"].iloc[0] if len(changed) else 0
    )
    summary = pd.DataFrame([row])
    for column in summary.columns[2:]:
        summary[column] = pd.to_numeric(summary[column]).round().astype("Int64")
    return summary


def flows(
    timeline: pd.DataFrame,
    figures: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    keys: list[str],
    changes: PeriodChanges | None = None,
) -> pd.DataFrame:
    """Held at start, gained, lost and held at end between two dates, by `keys`.

    `keys` are among `holder`, `side` and `region`. Without `holder`, a change between two
    actors of the same side is not a gain or loss of that side. `changes`, when given, are
    the period's (from `period_changes`), not worked out again.
    """
    changes = changes or period_changes(timeline, figures, start, end)
    moves = changes.moves
    if "holder" not in keys:
        moves = moves[moves["side_before"] != moves["side_after"]]
    parts = {
        "held_at_start": changes.at_start,
        **gained_and_lost(moves),
        "held_at_end": changes.at_end,
    }
    tallies = {measure: tally(rows, keys) for measure, rows in parts.items() if len(rows)}
    return _measured(tallies, keys)


def _measured(tallies: dict[str, pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Each measure's tally by `keys` (as `tally` gives it): one row per group and measure,
    in key order."""
    tables = [table.assign(measure=measure) for measure, table in tallies.items() if len(table)]
    if not tables:
        return pd.DataFrame(columns=[*keys, *FLOW_COLUMNS])
    table = pd.concat(tables, ignore_index=True)
    table["measure"] = pd.Categorical(table["measure"], MEASURES, ordered=True)
    table = finish_counts(table, [*keys, "measure"])
    table["measure"] = table["measure"].astype(str)
    return table[[*keys, *FLOW_COLUMNS]]


def by_actor(timeline, figures, start, end, changes=None) -> pd.DataFrame:
    """Flows by canonical actor (with its side)."""
    table = flows(timeline, figures, start, end, ["holder", "side"], changes)
    return table.rename(columns={"holder": "actor"})


def by_side(timeline, figures, start, end, changes=None) -> pd.DataFrame:
    """Flows by side; moves within a side are not counted as gains or losses."""
    return flows(timeline, figures, start, end, ["side"], changes)


def by_region(timeline, figures, start, end, changes=None) -> pd.DataFrame:
    """Flows by state/region and side."""
    table = flows(timeline, figures, start, end, ["region", "side"], changes)
    return table.rename(columns={"region": "state_region_name"})


def by_month(timeline, figures, start, end, changes=None) -> pd.DataFrame:
    """Flows by month and actor: each month row says what changed hands in that month, and
    what each actor held at its start and end (the first month starts at the period start).

    All months are tallied together: what each actor holds at every month boundary comes
    from its running sums over the period's changes (so a period of decades costs its rows,
    not months × places), and the moves carry their month as a key.
    """
    months = pd.period_range(start, end, freq="M")
    labels = np.array([str(month) for month in months], dtype=object)
    firsts = [max(start, month.start_time.normalize()) for month in months]
    bounds = pd.DatetimeIndex([*firsts, end + pd.Timedelta(days=1)])
    changes = changes or period_changes(timeline, figures, start, end)
    moves = changes.moves
    month_of_move = np.searchsorted(bounds.to_numpy(), moves["date"].to_numpy(), side="right") - 1
    moved = gained_and_lost(moves.assign(month=labels[month_of_move]))
    deltas = holder_deltas(changes.at_start, start, moved)
    held = held_at_ends(deltas, bounds - pd.Timedelta(days=1))
    keys = ["month", "holder", "side"]
    tallies = {
        "held_at_start": _in_month(held[held["day"] < len(months)], labels, 0),
        **{measure: tally(rows, keys) for measure, rows in moved.items() if len(rows)},
        "held_at_end": _in_month(held[held["day"] > 0], labels, -1),
    }
    return _measured(tallies, keys).rename(columns={"holder": "actor"})


def _in_month(held: pd.DataFrame, labels: np.ndarray, shift: int) -> pd.DataFrame:
    """Holdings at month boundaries as a tally by month: the boundary `day` is the month's
    start (`shift` 0) or the end of the month before it (`shift` -1)."""
    table = held.drop(columns="day")
    table.insert(0, "month", labels[held["day"].to_numpy() + shift])
    return table.reset_index(drop=True)


def side_headline(summary: pd.Series, sides: pd.DataFrame) -> str:
    """ "Between A and B, control changed for N places where about P people live: Q moved out
    of military control, R back into it", with ranges and the places left out of P."""
    start, end = summary["period_start"], summary["period_end"]
    period = (
        f"On {start:%d %b %Y}" if start == end else f"Between {start:%d %b %Y} and {end:%d %b %Y}"
    )
    places = int(summary["places_changed_hands"])
    if places == 0:
        return f"{period}, control did not change in any place of the sheet."
    people = people_range(*(summary[f"{band}_changed_hands"] for band in BANDS))
    noun = "place" if places == 1 else "places"
    verb = "lives" if people == "1" else "live"
    text = f"{period}, control changed for {places:,} {noun} where about {people} people {verb}"
    military = sides[sides["side"] == MILITARY].set_index("measure")
    if len(military):
        out = _people(military, "lost")
        back = _people(military, "gained")
        text += f": {out} moved out of military control, {back} back into it"
    missing = int(summary["places_changed_without_figure"])
    if missing:
        has, lies, adds = ("has", "lies", "adds") if missing == 1 else ("have", "lie", "add")
        text += f" ({missing:,} of the places {has} no census figure or {lies} inside another "
        text += f"place of the sheet and {adds} no people)"
    return text + "."


def _people(rows: pd.DataFrame, measure: str) -> str:
    if measure not in rows.index:
        return "no one"
    row = rows.loc[measure]
    return people_range(*(row[band] for band in BANDS))


def people_range(low: object, central: object, high: object) -> str:
    """'120,000 (110,000–130,000)'; 'an unknown number of' when the central figure is missing."""
    if pd.isna(central):
        return "an unknown number of"
    if pd.isna(low) or pd.isna(high) or low == high == central:
        return f"{int(central):,}"
    return f"{int(central):,} ({int(low):,}–{int(high):,})"
