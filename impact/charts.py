"""Matplotlib figures of a run. Each function takes tables and returns a Figure.

Figures are built with `matplotlib.figure.Figure` directly, not pyplot, so making a chart never
touches global state or opens a window. Colours are fixed per gaining actor across charts.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

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


def actor_colours(actors: pd.Series) -> dict[str, str]:
    """One colour per actor, assigned in sorted order so every chart agrees."""
    names = sorted(actors.fillna("unknown").unique())
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _caption(fig: Figure, source: str) -> None:
    fig.text(
        0.01,
        0.01,
        f"Source: {source}. Created {date.today().isoformat()} with impact.",
        fontsize=7,
        color="#555555",
    )


def people_per_event(impacts: pd.DataFrame, source: str) -> Figure:
    """Horizontal bars: projected people per event (central, low–high), by gaining actor."""
    rows = impacts.sort_values(["date", "event_id"], ascending=False)
    colours = actor_colours(impacts["gaining_actor"])
    fig = Figure(figsize=(9, 0.45 * len(rows) + 4))
    ax = fig.add_subplot()
    labels = rows["place_name"] + " (" + rows["date"].dt.strftime("%d %b %Y") + ")"
    central = rows["population_central"].astype("float")
    known = central.notna()
    y = np.arange(len(rows))
    ax.barh(
        y[known],
        central[known],
        color=[colours[a] for a in rows.loc[known, "gaining_actor"].fillna("unknown")],
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
    ax.set_xlabel(
        f"People in the {impacts['scope'].iloc[0]} of each event "
        "(projected central; line = low–high)"
    )
    ax.set_title("People living where control changed, per event")
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    handles = [Patch(color=colour, label=name) for name, colour in colours.items()]
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
    counted = impacts[impacts["counted"]].sort_values("date")
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


def control_over_time(control: pd.DataFrame, impacts: pd.DataFrame, source: str) -> Figure:
    """Stacked steps: people (projected central) in the report's places, by holder, over time."""
    colours = actor_colours(pd.concat([impacts["gaining_actor"], impacts["losing_actor"]]))
    wide = (
        control.pivot_table(
            index="date", columns="holder", values="population_central", aggfunc="sum"
        )
        .fillna(0)
        .astype(float)
    )
    fig = Figure(figsize=(9, 6))
    ax = fig.add_subplot()
    if not wide.empty:
        # Hold the last state for a few days so the final step is visible.
        tail = wide.iloc[[-1]].set_axis([wide.index[-1] + pd.Timedelta(days=3)])
        wide = pd.concat([wide, tail])
        ax.stackplot(
            wide.index,
            wide.T.to_numpy(),
            labels=wide.columns,
            step="post",
            colors=[colours.get(name, UNKNOWN) for name in wide.columns],
            alpha=0.85,
        )
        ax.legend(
            fontsize=7,
            loc="upper center",
            bbox_to_anchor=(0.45, -0.22),
            ncols=2,
            frameon=False,
            title="Held by",
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
