"""Who holds each place when: the control timeline, the state at any date, and control over time.

One rule for time everywhere: every place of the sheet is held, from the period start, by the
actor its first event says it was taken from; events then move it (captures, recaptures,
hand-overs, withdrawals; a contested claim does not). Each place has one population figure
for every control view, so holdings at any date are the holdings at the period start plus the
changes since, and the monthly flows add up to the change in control between any two dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.per_value import as_text, once_per_value
from impact.reference import Reference
from impact.rollup import nested_in
from impact.schemas import MOVES_CONTROL

BANDS = ["population_low", "population_central", "population_high"]
UNKNOWN = "unknown"
MOVE_COLUMNS = ["date", "pcode", "holder_before", "holder_after", "side_before", "side_after"]
CONTROL_COLUMNS = ["date", "holder", "side", "places", *BANDS, "places_without_figure"]


def control_timeline(events: pd.DataFrame, scope: str = "area") -> pd.DataFrame:
    """After each event (all events up to the period end, in date order), who holds the place.

    Captures, recaptures, hand-overs and withdrawals move control to the gaining actor; a
    contested claim does not and is flagged. Before a place's first event it is held by that
    event's losing actor. A change between two unnamed actors still counts as a change of
    hands (the event says control changed; only who held it is unknown). A losing actor that
    differs from the recorded holder is flagged; actors are compared by canonical name, so a
    spelling never raises a flag.
    """
    events = events.reset_index(drop=True)
    place = events["headline_pcode"]
    moves = events["change"].isin(MOVES_CONTROL)
    first = events.drop_duplicates("headline_pcode").set_index("headline_pcode")
    initial = place.map(first["losing_actor"].astype("string").fillna(UNKNOWN))
    after = as_text(events["gaining_actor"], "string").fillna(UNKNOWN).where(moves)
    after = after.groupby(place).ffill().fillna(initial)
    before = after.groupby(place).shift(1).fillna(initial)
    losing = as_text(events["losing_actor"], "string")
    seen = place.duplicated()
    odd = seen & losing.notna() & (losing != before)
    flags = _flags(events["change"], moves, losing, odd)
    names = events["area_name"] if scope == "area" else events["place_name"]
    sides = side_of_actor(events).to_dict()
    return pd.DataFrame(
        {
            "date": events["date"],
            "event_id": events["event_id"],
            "pcode": place,
            "place_name": names.fillna(events["place_name"]),
            "change": events["change"],
            "holder_before": before,
            "holder_after": after,
            "side_before": _sides(before, sides),
            "side_after": _sides(after, sides),
            "control_moved": moves & ((after != before) | (after == UNKNOWN)),
            "flag": flags,
        }
    )


def _flags(change: pd.Series, moves: pd.Series, losing: pd.Series, odd: pd.Series) -> pd.Series:
    """Each row's flag: a claim that did not move control, a losing actor other than the
    recorded holder, both ("; "-joined) or none. Built whole-column in Arrow: setting the few
    flagged rows of a pandas text column rewrites the column, twice."""
    claim = pc.if_else(
        moves.to_numpy(dtype=bool),
        pa.scalar(None, pa.string()),
        pc.binary_join_element_wise(_arrow(change), " claim: control not moved", ""),
    )
    mismatch = pc.if_else(
        odd.to_numpy(dtype=bool, na_value=False),
        pc.binary_join_element_wise(
            "losing actor '", _arrow(losing), "' is not the recorded holder", ""
        ),
        pa.scalar(None, pa.string()),
    )
    both = pc.binary_join_element_wise(claim, mismatch, "; ")
    return pd.Series(
        pd.arrays.ArrowStringArray(pc.coalesce(both, claim, mismatch)), index=change.index
    )


def _arrow(texts: pd.Series) -> pa.Array:
    if isinstance(texts.dtype, pd.CategoricalDtype):
        texts = as_text(texts)
    return pa.array(texts, type=pa.string(), from_pandas=True)


def _sides(holders: pd.Series, sides: dict[str, str]) -> pd.Series:
    """The side of each holder, looked up once per distinct holder."""
    return once_per_value(
        lambda distinct: distinct.astype(object).map(sides).astype("string").fillna(UNKNOWN),
        holders,
    )


def side_of_actor(events: pd.DataFrame) -> pd.Series:
    """Canonical actor -> side, from the actor and side columns of the events."""
    pairs = pd.concat(
        [
            events[[f"{role}_actor", f"{role}_side"]].set_axis(["actor", "side"], axis=1)
            for role in ("gaining", "losing")
        ]
    ).dropna(subset=["actor"])
    return pairs.drop_duplicates("actor").set_index("actor")["side"].astype("string")


def place_figures(events: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """One population figure per place for every control view, indexed by headline P-code.

    The figure is the projected range at the place's latest event up to the period end, so a
    run starting later but ending on the same date gives the same figures. A place inside
    another place of the sheet (a town inside a township that also changed hands) is kept as
    a place but its people are left to the enclosing one (`known` is False), so no one is
    counted twice; so is a place without a census figure.
    """
    latest = events.drop_duplicates("headline_pcode", keep="last").set_index("headline_pcode")
    latest.index = latest.index.astype("str")
    figures = latest[BANDS].astype("Float64")
    inside = nested_in(figures.index, reference, latest.get("headline_level"))
    figures["region"] = latest["state_region_name"].astype("string").fillna(UNKNOWN)
    figures["inside"] = inside.reindex(figures.index).astype("string")
    figures["known"] = figures["population_central"].notna() & figures["inside"].isna()
    return figures


def holdings_before(
    timeline: pd.DataFrame, figures: pd.DataFrame, days: list[pd.Timestamp]
) -> list[pd.DataFrame]:
    """Every place's holder, side and figures just before each of `days`, from one pass."""
    distinct = pd.DatetimeIndex(sorted(set(days)))
    states = holders_at(timeline, distinct).join(figures, on="pcode")
    return [states[states["day"] == distinct.get_loc(day)] for day in days]


def holders_at(timeline: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Holder and side of every place just before each of `days` (ascending), in one pass.

    Rows are ordered by day, then by each place's first appearance in the timeline (`day` is
    the position in `days`). Each event is the state from the day after it up to the place's
    next event, so the work grows with events and days × places, never days × events. The
    timeline is in date order, as `control_timeline` returns it.
    """
    codes, places = pd.factorize(timeline["pcode"], use_na_sentinel=False)
    width = len(places)
    starts = np.unique(codes, return_index=True)[1]  # each place's first row
    holder = np.tile(timeline["holder_before"].take(starts).to_numpy(dtype=object), len(days))
    side = np.tile(timeline["side_before"].take(starts).to_numpy(dtype=object), len(days))
    bounds = days.to_numpy(dtype="datetime64[ns]")
    dates = timeline["date"].to_numpy(dtype="datetime64[ns]")
    lo = np.searchsorted(bounds, dates, side="right")
    following = _next_dates(codes, dates)
    hi = np.where(np.isnat(following), len(days), np.searchsorted(bounds, following, "right"))
    spans = np.maximum(hi - lo, 0)
    rows = np.repeat(np.arange(len(timeline)), spans)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(spans) - spans, spans)
    cells = (lo[rows] + offsets) * width + codes[rows]
    holder[cells] = timeline["holder_after"].take(rows).to_numpy(dtype=object)
    side[cells] = timeline["side_after"].take(rows).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "day": np.repeat(np.arange(len(days)), width),
            "pcode": np.tile(np.asarray(places, dtype=object), len(days)),
            "holder": pd.array(holder, dtype="string"),
            "side": pd.array(side, dtype="string"),
        }
    )


def _next_dates(codes: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """The date of each row's next row of the same place (NaT for a place's last row, which
    then holds to the end), from a stable sort of the place codes."""
    order = np.argsort(codes, kind="stable")
    same = codes[order][1:] == codes[order][:-1]
    following = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[ns]")
    following[order[:-1][same]] = dates[order[1:][same]]
    return following


def changes_between(timeline: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Changes of hands dated in [start, end]: their date, place, and holders and sides
    before and after (only these columns: the others are long texts no tally needs)."""
    inside = timeline["date"].between(start, end) & timeline["control_moved"]
    return timeline.loc[inside, MOVE_COLUMNS]


def gained_and_lost(moves: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each change of hands as a gain of the new holder and a loss of the old one."""
    return {
        "gained": moves.assign(holder=moves["holder_after"], side=moves["side_after"]),
        "lost": moves.assign(holder=moves["holder_before"], side=moves["side_before"]),
    }


@dataclass(frozen=True)
class PeriodChanges:
    """What every table of control over a period starts from: the changes of hands dated in
    it, with their places' figures, and the holdings as it starts and after it ends. Worked
    out once and shared by control over time and the flows by month, actor, side and region.
    """

    moves: pd.DataFrame
    at_start: pd.DataFrame
    at_end: pd.DataFrame


def period_changes(
    timeline: pd.DataFrame, figures: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> PeriodChanges:
    """The changes and holdings of the period [start, end] (see `PeriodChanges`)."""
    moves = changes_between(timeline, start, end).join(figures, on="pcode")
    at_start, at_end = holdings_before(timeline, figures, [start, end + pd.Timedelta(days=1)])
    return PeriodChanges(moves, at_start, at_end)


def control_over_time(
    timeline: pd.DataFrame,
    figures: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    changes: PeriodChanges | None = None,
) -> pd.DataFrame:
    """Places and people by holder as the period starts and after each date with a change.

    The opening holdings are dated the day before the period start (the end of that day), so
    changes on the first day have a row of their own. A holder that loses its last place gets
    a row of zeros on that date. Built from the changes, so the work grows with the rows
    written, never with dates × places or dates × holders. `changes`, when given, are the
    period's (from `period_changes`), not worked out again.
    """
    changes = changes or period_changes(timeline, figures, start, end)
    deltas = holder_deltas(changes.at_start, start, gained_and_lost(changes.moves))
    days = pd.DatetimeIndex(deltas["date"].unique())
    table = held_at_ends(deltas, days, emptied_rows=True)
    table.insert(0, "date", days[table.pop("day")])
    return finish_counts(table, ["date", "holder", "side"])[CONTROL_COLUMNS]


def holder_deltas(
    at_start: pd.DataFrame, start: pd.Timestamp, moved: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """What each holder held as the period starts (`at_start`, dated the day before) and
    gained or lost on each date of the period (`moved`: its changes of hands as
    `gained_and_lost` gives them, with their places' figures), tallied by date, holder and
    side, in date order. Only the columns tallied are stacked: a million events' ledger
    with every column of the changes took 330 MB."""
    keys = ["date", "holder", "side"]
    tallied = [*keys, "known", *BANDS]
    opening = at_start.assign(date=start - pd.Timedelta(days=1))[tallied]
    parts = [opening, moved["gained"][tallied], moved["lost"][tallied]]
    ledger = pd.concat(parts, ignore_index=True)
    signs = np.repeat([1, 1, -1], [len(part) for part in parts])
    return tally(ledger, keys, weight=signs)


def held_at_ends(
    deltas: pd.DataFrame, days: pd.DatetimeIndex, *, emptied_rows: bool = False
) -> pd.DataFrame:
    """What each holder holds at the end of each of `days` (ascending) on which it holds a
    place: its running sums over `deltas` (from `holder_deltas`), with `day` its position in
    `days`. With `emptied_rows`, a holder also has a row on each date of its deltas that is
    one of `days`, even when it holds nothing after it.

    A holder's running sum stands from one of its dates to the next, so its rows repeat that
    sum over the days between: the work grows with the rows returned, not with days × holders
    (thousands of actors, each written its own way, made that grid gigabytes).
    """
    groups = pd.MultiIndex.from_frame(deltas[["holder", "side"]]).factorize()[0]
    measures = deltas.columns.difference(["date", "holder", "side"], sort=False)
    running = deltas[measures].groupby(groups, sort=False).cumsum()
    ends = days.to_numpy(dtype="datetime64[ns]")
    dates = deltas["date"].to_numpy(dtype="datetime64[ns]")
    following = _next_dates(groups, dates)
    first = np.searchsorted(ends, dates, side="left")
    last = np.where(np.isnat(following), len(ends), np.searchsorted(ends, following, "left"))
    held = running["places"].to_numpy() > 0
    spans = np.where(held, last - first, 0)
    if emptied_rows:
        on_a_day = (first < len(ends)) & (ends[np.minimum(first, len(ends) - 1)] == dates)
        spans = np.where(held, spans, on_a_day.astype(int))
    rows = np.repeat(np.arange(len(deltas)), spans)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(spans) - spans, spans)
    table = running.take(rows).reset_index(drop=True)
    table.insert(0, "day", first[rows] + offsets)
    for position, key in enumerate(["holder", "side"], start=1):
        table.insert(position, key, deltas[key].astype("string").array.take(rows))
    return table


def tally(rows: pd.DataFrame, keys: list[str], weight: np.ndarray | None = None) -> pd.DataFrame:
    """Sum places, people (known places only) and places without a figure by `keys` (sorted,
    missing keys kept); each row counts `weight` times (its integer weight, row for row; 1
    when None).

    Each row's group is numbered once and every measure summed by that number: pandas' own
    sum of a million-row ledger held 260 MB beside it (masked columns sorted by group), this
    holds about 110 MB (the keys' codes), for the same sums (fractional people may differ in
    their last bits, which rounding never shows).
    """
    sign = np.ones(len(rows), np.int64) if weight is None else weight.astype(np.int64)
    counted = np.where(rows["known"].fillna(False).to_numpy(dtype=bool), sign, 0)
    grouped = rows[keys].groupby(keys, sort=True, dropna=False)
    group, groups = grouped.ngroup().to_numpy(), grouped.ngroups
    table = grouped.size().index.to_frame(index=False)

    def summed(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, values, minlength=groups)

    table["places"] = summed(sign).astype(np.int64)
    table["places_without_figure"] = summed(sign - counted).astype(np.int64)
    for band in BANDS:
        people = rows[band].to_numpy(dtype=float, na_value=0.0)
        table[band] = pd.array(summed(people * counted), dtype="Float64")
    table["known_places"] = summed(counted).astype(np.int64)
    return table


def finish_counts(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Integer counts; people empty where places are held but none has a figure."""
    out = table.copy()
    out["places"] = out["places"].round().astype(int)
    out["places_without_figure"] = out["places_without_figure"].round().astype(int)
    none_known = (out["known_places"] <= 0) & (out["places"] > 0)
    for band in BANDS:
        out[band] = out[band].astype(float).round().astype("Int64").mask(none_known)
    return out.sort_values(keys).reset_index(drop=True)
