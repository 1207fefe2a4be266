"""Matplotlib figures of a run. Each function takes tables and returns a Figure.

Figures are built with `matplotlib.figure.Figure` directly, not pyplot, so making a chart never
touches global state or opens a window. Colours are fixed per canonical actor in every chart
of every report: a shade of its side's hue (see `impact.actors`), so two sides never share a
colour; beyond `MAX_NAMED` actors the smaller ones are drawn as "other (side)".
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from impact.actors import SIDES, ActorTable, load_actors, side_colours
from impact.actors import actor_colours as table_colours

PALETTE = [
    "#1b6ca8",
    "#d1495b",
    "#edae49",
    "#00798c",
    "#66a182",
    "#8d6a9f",
    "#2e4057",
    "#c17c74",
    "#7a9e7e",
    "#a4036f",
]
UNKNOWN = "#b0b0b0"
MAX_BARS = 40
MAX_NAMED = 10


def actor_colours(impacts: pd.DataFrame, table: ActorTable | None = None) -> dict[str, str]:
    """One colour per canonical actor (gaining or losing) and per "other (side)" group."""
    table = table if table is not None else load_actors()
    actors = pd.concat([impacts["gaining_actor"], impacts["losing_actor"]]).dropna().unique()
    colours = table_colours(sorted({*map(str, actors), "unknown"}), table)
    colours["unknown"] = UNKNOWN
    return {**colours, **other_colours()}


def other_colours() -> dict[str, str]:
    """The colour of the "other (side)" group of each side: the side's own colour."""
    return {other_label(side): colour for side, colour in side_colours().items()}


def other_label(side: str) -> str:
    return f"other ({side.replace('_', '-')})"


def named_actors(weights: pd.Series, sides: pd.Series, limit: int = MAX_NAMED) -> pd.Series:
    """Actor -> the label to draw: its name for the `limit` heaviest, else "other (side)".

    `weights` and `sides` are indexed by actor; ties are broken by name so the choice is stable.
    """
    order = weights.fillna(0).rename("w").to_frame().assign(name=weights.index)
    order = order.sort_values(["w", "name"], ascending=[False, True])
    keep = set(order.index[:limit]) if len(order) > limit + 1 else set(order.index)
    labels = {a: a if a in keep else other_label(str(sides.get(a, "unknown"))) for a in order.index}
    return pd.Series(labels, dtype=object)


def _caption(fig: Figure, source: str) -> None:
    fig.text(
        0.01,
        0.01,
        f"Source: {source}. Created {date.today().isoformat()} with impact.",
        fontsize=7,
        color="#555555",
    )


def people_per_event(
    impacts: pd.DataFrame, source: str, scope: str = "area", table: ActorTable | None = None
) -> Figure:
    """Horizontal bars: projected people per event (central, low–high), by gaining actor.

    With more than `MAX_BARS` events only the largest counted ones are drawn; the title says so.
    """
    columns = [
        "date",
        "event_id",
        "place_name",
        "gaining_actor",
        "gaining_side",
        "counted",
        "population_low",
        "population_central",
        "population_high",
    ]
    rows = impacts[columns].sort_values(["date", "event_id"], ascending=False)
    title = "People living where control changed, per event"
    if len(rows) > MAX_BARS:
        rows = (
            rows[rows["counted"]]
            .nlargest(MAX_BARS, "population_central")
            .sort_values(["date", "event_id"], ascending=False)
        )
        title = f"The {len(rows)} largest of {len(impacts):,} events (counted places)"
    colours = actor_colours(impacts, table)
    actor = rows["gaining_actor"].fillna("unknown")
    weights = rows.groupby(actor)["population_central"].sum().astype(float)
    sides = rows.groupby(actor)["gaining_side"].first()
    label = actor.map(named_actors(weights, sides))
    fig = Figure(figsize=(9, 0.45 * len(rows) + 4))
    ax = fig.add_subplot()
    labels = rows["place_name"] + " (" + rows["date"].dt.strftime("%d %b %Y") + ")"
    central = rows["population_central"].astype("float")
    known = central.notna()
    y = np.arange(len(rows))
    ax.barh(
        y[known],
        central[known],
        color=[colours.get(a, UNKNOWN) for a in label[known]],
        xerr=[
            central[known] - rows.loc[known, "population_low"].astype(float),
            rows.loc[known, "population_high"].astype(float) - central[known],
        ],
        error_kw={"elinewidth": 1, "capsize": 3, "ecolor": "#333333"},
    )
    for position in y[~known.to_numpy()]:
        ax.text(
            0,
            position,
            "  no census figure for this place",
            va="center",
            fontsize=8,
            color="#666666",
        )
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(f"People in the {scope} of each event (projected central; line = low–high)")
    ax.set_title(title)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    shown = sorted(set(label))
    handles = [Patch(color=colours.get(name, UNKNOWN), label=name) for name in shown]
    ax.legend(
        handles=handles,
        fontsize=7,
        title="Gaining actor",
        title_fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.35, -0.12 - 1.2 / fig.get_figheight()),
        ncols=2,
        frameon=False,
    )
    fig.subplots_adjust(left=0.3, bottom=0.2 + 1.6 / fig.get_figheight(), top=0.92)
    _caption(fig, source)
    return fig


def affected_over_time(impacts: pd.DataFrame, source: str) -> Figure:
    """Cumulative people living where control changed, counted rows only, with the band."""
    counted = impacts.loc[
        impacts["counted"], ["date", "population_low", "population_central", "population_high"]
    ].sort_values("date")
    by_day = (
        counted.groupby("date")[["population_low", "population_central", "population_high"]]
        .sum(min_count=1)
        .fillna(0)
    )
    running = by_day.astype(float).cumsum()
    fig = Figure(figsize=(9, 4.5))
    ax = fig.add_subplot()
    ax.fill_between(
        running.index,
        running["population_low"],
        running["population_high"],
        step="post",
        alpha=0.25,
        color=PALETTE[0],
        label="low–high",
    )
    ax.step(
        running.index,
        running["population_central"],
        where="post",
        color=PALETTE[0],
        label="central",
    )
    ax.plot(running.index, running["population_central"], "o", color=PALETTE[0], markersize=4)
    ax.set_ylabel("People (cumulative, projected)")
    ax.set_xlabel("Date of control change")
    ax.set_title("People living where control changed, cumulative (each place counted once)")
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    fig.subplots_adjust(bottom=0.22)
    _caption(fig, source)
    return fig


def control_over_time(control: pd.DataFrame, table: ActorTable | None, source: str) -> Figure:
    """Stacked steps: people (projected central) in the report's places, by holder, over time.

    Holders are stacked side by side (military first), each a shade of its side's colour; at
    most `MAX_NAMED` holders are named, the rest are grouped as "other (side)".
    """
    table = table if table is not None else load_actors()
    people = control["population_central"].astype("Float64").fillna(0).astype(float)
    sides = control.groupby("holder")["side"].first()
    labels = control["holder"].map(named_actors(people.groupby(control["holder"]).max(), sides))
    wide = (
        pd.DataFrame({"date": control["date"], "label": labels, "people": people})
        .pivot_table(index="date", columns="label", values="people", aggfunc="sum")
        .ffill()
        .fillna(0)
    )
    side_of = {label: _label_side(label, sides) for label in wide.columns}
    rank = {side: i for i, side in enumerate(SIDES)}
    wide = wide[
        sorted(wide.columns, key=lambda c: (rank.get(side_of[c], 9), c.startswith("other"), c))
    ]
    colours = {**table_colours(list(sides.index), table), "unknown": UNKNOWN, **other_colours()}
    fig = Figure(figsize=(9, 6))
    ax = fig.add_subplot()
    if not wide.empty:
        # Hold the last state for a few days so the final step is visible.
        tail = wide.iloc[[-1]].set_axis([wide.index[-1] + pd.Timedelta(days=3)])
        wide = pd.concat([wide, tail])
        areas = ax.stackplot(
            wide.index,
            wide.T.to_numpy(),
            labels=wide.columns,
            step="post",
            colors=[colours.get(name, UNKNOWN) for name in wide.columns],
            alpha=0.9,
        )
        for area, name in zip(areas, wide.columns, strict=True):
            if name.startswith("other ("):
                area.set_hatch("///")
        ax.legend(
            fontsize=7,
            loc="upper center",
            bbox_to_anchor=(0.45, -0.22),
            ncols=2,
            frameon=False,
            title="Held by (red: military regime, blue: resistance, green: non-aligned)",
            title_fontsize=7,
        )
    ax.set_title("People in the report's places, by who holds them")
    ax.set_ylabel("People (projected central)")
    ax.set_xlabel("Date")
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.subplots_adjust(bottom=0.4)
    _caption(fig, source)
    return fig


def _label_side(label: str, sides: pd.Series) -> str:
    if label in sides.index:
        return str(sides[label])
    return next((side for side in SIDES if label == other_label(side)), "unknown")


def services_by_region(impacts: pd.DataFrame, source: str) -> Figure:
    """Hospitals, beds and schools in the places named, by state/region (counted rows)."""
    counted = impacts.loc[
        impacts["counted"], ["state_region_name", "hospitals", "hospital_beds", "schools"]
    ]
    region = counted["state_region_name"].fillna("unknown")
    metrics = {
        "hospitals": "Public hospitals",
        "hospital_beds": "Hospital beds",
        "schools": "Schools (where known)",
    }
    fig = Figure(figsize=(10, 0.5 * max(region.nunique(), 2) + 2.6))
    axes = fig.subplots(1, 3, sharey=True)
    regions = sorted(region.unique())
    for ax, (column, title) in zip(axes, metrics.items(), strict=True):
        values = counted.groupby(region)[column].sum(min_count=1).reindex(regions)
        known = values.notna()
        ax.barh(
            [r for r, k in zip(regions, known, strict=True) if k],
            values[known].astype(float),
            color=PALETTE[0],
        )
        for position, name in enumerate(regions):
            if not known[name]:
                ax.text(0, position, " unknown", va="center", fontsize=8, color="#666666")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("count")
        ax.set_yticks(range(len(regions)), regions, fontsize=8)
        ax.set_ylim(-0.6, len(regions) - 0.4)
    fig.suptitle("Services in the places that changed control, by state/region")
    fig.subplots_adjust(left=0.18, bottom=0.2, top=0.82, wspace=0.15)
    _caption(fig, source + "; hospitals: Ministry of Health list (beds c. 2017-19)")
    return fig


UN_DISCLAIMER = (
    "The boundaries and names shown and the designations used on this map do not "
    "imply official endorsement or acceptance by the United Nations."
)


def location_map(
    impacts: pd.DataFrame, places: pd.DataFrame, source: str, table: ActorTable | None = None
) -> Figure:
    """Events as points sized by people, on longitude/latitude, over all MIMU town points.

    The reference data holds no boundary outlines, so the towns of the whole country are drawn
    faintly for orientation; a place without coordinates is placed at its township's towns.
    """
    towns = places[(places["level"] == "town") & places["lat"].notna()]
    township_points = towns.groupby("parent_pcode")[["lat", "lon"]].mean()
    seat = impacts["pcode"].map(places["lat"]).notna()
    lat = (
        impacts["pcode"]
        .map(places["lat"])
        .where(seat, impacts["township_pcode"].map(township_points["lat"]))
    )
    lon = (
        impacts["pcode"]
        .map(places["lon"])
        .where(seat, impacts["township_pcode"].map(township_points["lon"]))
    )
    latest = (
        impacts[["date", "headline_pcode", "place_name", "gaining_actor", "population_central"]]
        .assign(lat=lat, lon=lon)
        .sort_values("date")
        .drop_duplicates("headline_pcode", keep="last")
        .dropna(subset=["lat"])
    )
    colours = actor_colours(impacts, table)
    fig = Figure(figsize=(7, 9))
    ax = fig.add_subplot()
    ax.scatter(towns["lon"], towns["lat"], s=2, color="#cccccc", label="towns (MIMU)")
    people = latest["population_central"].astype(float)
    sizes = 20 + 400 * (people / max(people.max(), 1)).fillna(0)
    ax.scatter(
        latest["lon"],
        latest["lat"],
        s=sizes,
        alpha=0.75,
        edgecolor="#333333",
        color=[colours.get(a, UNKNOWN) for a in latest["gaining_actor"].fillna("unknown")],
    )
    for row in latest.itertuples():
        ax.annotate(
            str(row.place_name).replace(" Town", ""),
            (row.lon, row.lat),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set_xlabel("Longitude (degrees east)")
    ax.set_ylabel("Latitude (degrees north)")
    ax.set_title("Places that changed control (point size: people, projected central)")
    ax.set_aspect("equal", adjustable="datalim")
    fig.subplots_adjust(bottom=0.14)
    fig.text(0.01, 0.045, UN_DISCLAIMER, fontsize=6.5, color="#555555", wrap=True)
    _caption(fig, source + "; town points: MIMU P-codes 9.6; no boundaries in the data")
    return fig
