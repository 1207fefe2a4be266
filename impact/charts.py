"""Matplotlib figures of a run. Each function takes tables and returns a Figure.

Figures are built with `matplotlib.figure.Figure` directly, not pyplot, so making a chart never
touches global state or opens a window. Every chart uses constrained layout with its legend
outside the plot, a bounded number of legend entries (sides, then the largest actors, then
"other"), and a caption measured and wrapped to the figure width in a band reserved below the
layout, so neither can overlap the plot or each other at any number of events. Colours are
fixed per side and actor by `impact.actors`. Text from input is drawn as it is written: never
parsed as mathtext (a `$` in a place name is a dollar sign), control characters shown as
visible symbols. Unknown figures are left out of sums and drawn as gaps or marks, never as 0.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import MaxNLocator

from impact.actors import SIDE_LABELS, SIDES, ActorTable, canonical_actors, load_actors
from impact.actors import actor_colours as table_actor_colours
from impact.actors import side_colours as table_side_colours
from impact.event_actors import event_sides
from impact.per_value import categories_as_text, once_per_value
from impact.safe_text import has_controls, visible_controls_table
from impact.schemas import MOVES_CONTROL

MAX_BARS = 30
# The gains-and-losses chart labels every month up to this many, else every quarter, half-year …
MAX_MONTH_LABELS = 24
MONTH_LABEL_STEPS = (1, 3, 6, 12, 24, 60, 120)
PEOPLE_COLUMNS = [
    "date", "event_id", "place_name", "population_low", "population_central", "population_high"
]  # fmt: skip
# Actors named in a legend before the rest are grouped as "other <side>".
MAX_ACTORS = 6
CAPTION_SIZE = 7.0
CAPTION_LEADING = 1.35
WIDTH = 8.0
# Columns whose text ends up on a chart.
LABEL_COLUMNS = ("place_name", "gaining_actor", "losing_actor", "holder", "state_region_name")
P = ParamSpec("P")


def _plain_text(chart: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw `chart` with mathtext off for every text it creates, its tables' text as plain text
    and labels cleaned of controls."""

    @functools.wraps(chart)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> Figure:
        args = tuple(
            _clean_labels(categories_as_text(a)) if isinstance(a, pd.DataFrame) else a for a in args
        )
        # Each Text keeps the parse_math setting it was created with, so saving later is safe.
        with matplotlib.rc_context({"text.parse_math": False}):
            return chart(*args, **kwargs)

    return drawn


def _clean_labels(table: pd.DataFrame) -> pd.DataFrame:
    labels = [c for c in LABEL_COLUMNS if c in table.columns]
    if not any(has_controls(table[c]) for c in labels):
        return table
    cleaned = visible_controls_table(table[labels])
    return table.assign(**{c: cleaned[c] for c in labels})


def side_colours() -> dict[str, str]:
    """The colour of each side, keyed by side code (see `impact.actors.side_colours`)."""
    return table_side_colours()


def holder_sides(holders: pd.Series, actors: ActorTable | None = None) -> pd.DataFrame:
    """Canonical actor and side of each holder name (`actor`, `side`)."""
    table = actors if actors is not None else load_actors()
    found = canonical_actors(holders.astype("string"), table, ("actor", "side"))
    return pd.DataFrame(
        {"actor": found["actor"].fillna(holders).fillna("unknown"), "side": found["side"]}
    )


def side_handles(sides: list[str] | None = None) -> list[Patch]:
    """Legend patches for the sides, in the fixed side order."""
    colours = side_colours()
    wanted = SIDES if sides is None else [s for s in SIDES if s in set(sides)]
    return [Patch(color=colours[s], label=SIDE_LABELS[s]) for s in wanted]


def wrap_to_width(text: str, width_in: float, size: float = CAPTION_SIZE) -> list[str]:
    """Lines of `text` that each fit `width_in` inches at font `size` (measured, not guessed).

    Each line takes as many words as fit (a word wider than the line gets a line of its
    own). A text's width only grows as words are added, so the words that fit are found by
    halving, a few measurements a line rather than one a word.
    """
    measure = TextToPath()
    font = FontProperties(size=size)

    def fits(words: list[str]) -> bool:
        width = measure.get_text_width_height_descent(" ".join(words), font, ismath=False)[0]
        return width / 72 <= width_in

    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        start = 0
        while True:
            # words[start:low] fit on the line, words[start:high] do not (or run out).
            low, high = start + 1, len(words) + 1
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if fits(words[start:middle]) else (low, middle)
            lines.append(" ".join(words[start:low]))
            start = low
            if start >= len(words):
                break
    return lines


def add_caption(fig: Figure, text: str) -> None:
    """Write `text` wrapped to the figure's width in a band kept free below the layout.

    The constrained layout is told to leave the band empty, so the caption can never be
    drawn over the plot or its legend however long it is.
    """
    width, height = fig.get_size_inches()
    lines = wrap_to_width(text, width - 0.3)
    band = (len(lines) * CAPTION_SIZE * CAPTION_LEADING + 8) / 72
    fig.get_layout_engine().set(rect=(0, band / height, 1, 1 - band / height))
    fig.text(
        0.12 / width,
        4 / 72 / height,
        "\n".join(lines),
        fontsize=CAPTION_SIZE,
        color="#444444",
        va="bottom",
        ha="left",
        linespacing=CAPTION_LEADING,
        gid="caption",
    )


def _caption_text(source: str, *notes: str) -> str:
    kept = " ".join(n.strip() for n in notes if n and n.strip())
    return f"{kept}\nSource: {source}." if kept else f"Source: {source}."


def _figure(height: float, width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _thousands(value: float, _: object = None) -> str:
    return f"{value:,.0f}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


@_plain_text
def people_per_event(
    impacts: pd.DataFrame, source: str, scope: str = "area", actors: ActorTable | None = None
) -> Figure:
    """Horizontal bars: projected people per counted event (central, low–high), by side.

    Only counted rows are drawn, so the bars add up to the headline; the caption says how many
    rows were left out and why. With more than `MAX_BARS` counted events the largest are drawn.
    A counted place without a census figure gets a labelled empty row, never a zero bar.
    """
    sides = event_sides(impacts, actors)
    rows = impacts.loc[
        impacts["counted"],
        PEOPLE_COLUMNS,
    ].assign(side=sides["gaining_side"])
    left_out = len(impacts) - len(rows)
    title = "People living where control changed, per counted event"
    if len(rows) > MAX_BARS:
        known = rows[rows["population_central"].notna()]
        title = f"The {min(MAX_BARS, len(known))} largest of {len(rows):,} counted events"
        rows = known.nlargest(MAX_BARS, "population_central", keep="first")
    rows = rows.sort_values(["date", "event_id"], ascending=False)
    fig = _figure(height=min(0.28 * len(rows) + 2.4, 11))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    central = rows["population_central"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    low = rows["population_low"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    high = rows["population_high"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(central)
    colours = side_colours()
    ax.barh(
        y[known],
        central[known],
        color=[colours[s] for s in rows["side"][known]],
        xerr=[central[known] - low[known], high[known] - central[known]],
        error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#333333"},
    )
    for position in y[~known]:
        ax.text(0, position, "  no census figure", va="center", fontsize=7, color="#555555")
    labels = rows["place_name"].astype(str) + " (" + rows["date"].dt.strftime("%d %b %Y") + ")"
    ax.set_yticks(y, labels, fontsize=7 if len(rows) > 15 else 8)
    ax.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    ax.set_xlabel(f"People in the {scope} of each event (projected central; line = low–high)")
    ax.set_title(title, fontsize=11)
    # At most six labels: matplotlib's own count ignores their width, and seven-digit
    # figures ran into each other.
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.set_major_formatter(_thousands)
    ax.legend(
        handles=side_handles(list(rows["side"])),
        title="Gaining side",
        fontsize=7,
        title_fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        frameon=False,
    )
    note = (
        f"{_plural(left_out, 'event row')} not counted (same place later, inside a counted "
        "place, or a contested claim) left out; see impacts.csv."
        if left_out
        else ""
    )
    add_caption(fig, _caption_text(source, note))
    return fig


@_plain_text
def affected_over_time(impacts: pd.DataFrame, source: str) -> Figure:
    """Cumulative people living where control changed, counted rows only, with the band.

    Each place enters on the day control over it first changed (as in the control chart),
    with the figure it counts with in the headline, so the line ends at the headline total.
    Places without a census figure add nothing and are marked on the line, not added as 0;
    the line and band are held to the last date so the last step shows.
    """
    moved = impacts["change"].isin(MOVES_CONTROL)
    first_change = (
        impacts.loc[moved, ["headline_pcode", "date"]].groupby("headline_pcode")["date"].min()
    )
    columns = ["date", "population_low", "population_central", "population_high"]
    counted = impacts.loc[impacts["counted"], ["headline_pcode", *columns]]
    counted = counted.assign(
        date=counted["headline_pcode"].map(first_change).fillna(counted["date"])
    ).sort_values("date")
    values = counted[["population_low", "population_central", "population_high"]].astype("Float64")
    unknown_days = counted.loc[values["population_central"].isna(), "date"].value_counts()
    by_day = values.groupby(counted["date"]).sum(min_count=0).astype(float)
    running = by_day.cumsum()
    fig = _figure(height=4.6)
    ax = fig.add_subplot()
    colour = side_colours()["resistance"]
    if not running.empty:
        end = running.index[-1] + max(pd.Timedelta(days=2), _span(running.index) / 25)
        held = pd.concat([running, running.iloc[[-1]].set_axis([end])])
        # Dates as numpy's: matplotlib asks each array passed whether it holds numbers by
        # iterating it, which makes a pandas index convert every date to a Python object.
        days = held.index.to_numpy()
        ax.fill_between(
            days,
            held["population_low"],
            held["population_high"],
            step="post",
            alpha=0.25,
            color=colour,
            label="low–high",
        )
        ax.step(days, held["population_central"], where="post", color=colour, lw=1.6)
        ax.plot(days[:-1], running["population_central"], "o", color=colour, ms=3)
    handles = [
        Patch(color=colour, alpha=0.25, label="low–high"),
        Line2D([], [], color=colour, marker="o", ms=3, label="central"),
    ]
    if len(unknown_days):
        marks = running["population_central"].reindex(unknown_days.index)
        ax.plot(marks.index.to_numpy(), marks, "x", color="#d1495b", ms=7, mew=1.5)
        handles.append(
            Line2D([], [], color="#d1495b", marker="x", ls="", label="place with no census figure")
        )
    ax.set_ylabel("People (cumulative, projected)")
    ax.set_title("People living where control changed, cumulative (each place counted once)")
    ax.yaxis.set_major_formatter(_thousands)
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    note = (
        f"{_plural(int(unknown_days.sum()), 'counted place')} with no census figure "
        "marked ×, not added."
        if len(unknown_days)
        else ""
    )
    add_caption(fig, _caption_text(source, note))
    return fig


def _span(index: pd.Index) -> pd.Timedelta:
    return (index.max() - index.min()) if len(index) > 1 else pd.Timedelta(days=30)


def legend_groups(
    names: pd.Series, sides: pd.Series, weight: pd.Series, limit: int = MAX_ACTORS
) -> pd.Series:
    """Each name's legend entry: itself for the `limit` heaviest, else "other <side>"."""
    order = weight.groupby(names).max().sort_values(ascending=False, kind="stable")
    kept = set(order.index[:limit])
    other = "other " + sides.map(SIDE_LABELS).fillna("unknown")
    return names.where(names.isin(kept), other)


def group_colours(groups: pd.Series, sides: pd.Series, actors: ActorTable | None) -> dict:
    """Actor colours from the table; an "other <side>" group takes its side's colour."""
    table = actors if actors is not None else load_actors()
    named = table_actor_colours(sorted(set(groups)), table)
    side_of = dict(zip(groups, sides, strict=True))
    base = side_colours()
    return {
        g: base[side_of[g]] if g.startswith("other ") or g == "unknown" else named[g] for g in named
    }


@_plain_text
def control_over_time(
    control: pd.DataFrame, impacts: pd.DataFrame, source: str, actors: ActorTable | None = None
) -> Figure:
    """Stacked steps: people (projected central) in the report's places, by holder, over time.

    The legend names the largest holders (at most `MAX_ACTORS`), grouped by side; the others
    are drawn as "other <side>". Holders with no known figure add nothing (not a zero).
    """
    known = control[control["population_central"].notna()]
    holders = holder_sides(known["holder"], actors)
    group = legend_groups(
        holders["actor"], holders["side"], known["population_central"].astype(float)
    )
    frame = known.assign(group=group.to_numpy(), side=holders["side"].to_numpy())
    wide = frame.pivot_table(
        index="date", columns="group", values="population_central", aggfunc="sum"
    )
    # A holder absent on a date holds nobody in the report's places then: 0 is true there.
    wide = wide.fillna(0).astype(float)
    side_of = frame.drop_duplicates("group").set_index("group")["side"]
    order = sorted(wide.columns, key=lambda g: (SIDES.index(side_of[g]), g.startswith("other"), g))
    wide = wide[order]
    colours = group_colours(pd.Series(order), side_of.reindex(order).reset_index(drop=True), actors)
    fig = _figure(height=5.0)
    ax = fig.add_subplot()
    if not wide.empty:
        end = wide.index[-1] + max(pd.Timedelta(days=2), _span(wide.index) / 25)
        wide = pd.concat([wide, wide.iloc[[-1]].set_axis([end])])
        ax.stackplot(
            wide.index.to_numpy(),  # numpy's dates: see `affected_over_time`
            wide.T.to_numpy(),
            labels=[str(c) for c in wide.columns],
            step="post",
            colors=[colours[c] for c in wide.columns],
            alpha=0.9,
            edgecolor="white",
            linewidth=0.3,
        )
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(
            handles[::-1],
            labels[::-1],
            fontsize=7,
            title="Held by",
            title_fontsize=7,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            frameon=False,
        )
    ax.set_title("People in the report's places, by who holds them")
    ax.set_ylabel("People (projected central)")
    ax.yaxis.set_major_formatter(_thousands)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    unknown = control["population_central"].isna().sum()
    note = (
        f"{_plural(int(unknown), 'holder-date')} with no census figure not drawn."
        if unknown
        else ""
    )
    add_caption(fig, _caption_text(source, note))
    return fig


def moves_by_side(impacts: pd.DataFrame, actors: ActorTable | None = None) -> pd.DataFrame:
    """People and places gained and lost by each side per month.

    Every change of hands counts in its month (a place taken and retaken counts twice), but a
    place inside another counted place is not added again, contested claims move nothing and
    a hand-over between two groups of the same side is no gain or loss for the side.

    Returns:
        Columns `month`, `side`, `people_gained`, `people_lost`, `places_gained`,
        `places_lost` (people lost and places lost as negative numbers), sorted.
    """
    sides = event_sides(impacts, actors)
    reason = impacts["not_counted_reason"].astype("string").fillna("")
    moved = impacts["change"].isin(MOVES_CONTROL) & (
        impacts["counted"] | reason.str.startswith("same place")
    )
    moved &= sides["gaining_side"] != sides["losing_side"]
    rows = pd.DataFrame(
        {
            "month": once_per_value(lambda d: d.dt.strftime("%Y-%m"), impacts["date"]),
            "gaining": sides["gaining_side"],
            "losing": sides["losing_side"],
            "people": impacts["population_central"].astype("Float64"),
        }
    )[moved]
    gained = rows.groupby(["month", "gaining"]).agg(
        people_gained=("people", lambda s: s.sum(min_count=1)),
        places_gained=("people", "size"),
    )
    lost = rows.groupby(["month", "losing"]).agg(
        people_lost=("people", lambda s: -s.sum(min_count=1)), places_lost=("people", "size")
    )
    gained.index.names = lost.index.names = ["month", "side"]
    table = gained.join(lost, how="outer").reset_index()
    table[["places_gained", "places_lost"]] = table[["places_gained", "places_lost"]].fillna(0)
    table["places_lost"] = -table["places_lost"]
    return table.sort_values(["month", "side"]).reset_index(drop=True)


@_plain_text
def gains_and_losses(
    impacts: pd.DataFrame, source: str, actors: ActorTable | None = None
) -> Figure:
    """Diverging bars per month: people (top) and places (bottom) gained and lost by side."""
    table = moves_by_side(impacts, actors)
    months = _every_month(table["month"])
    sides = [s for s in SIDES if s in set(table["side"])]
    fig = _figure(height=6.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    colours = side_colours()
    width = 0.8 / max(len(sides), 1)
    x = np.arange(len(months))
    for i, side in enumerate(sides):
        part = table[table["side"] == side].set_index("month").reindex(months)
        offset = x - 0.4 + width * (i + 0.5)
        for ax, up, down in (
            (top, "people_gained", "people_lost"),
            (bottom, "places_gained", "places_lost"),
        ):
            gained = part[up].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            lost = part[down].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            _bars(ax, offset, gained, width, colours[side])
            _bars(ax, offset, lost, width, to_rgba(colours[side], 0.45), hatch="//")
    for ax, label in ((top, "People (projected central)"), (bottom, "Places")):
        ax.axhline(0, color="#333333", lw=0.8)
        ax.set_ylabel(f"{label}\nlost ↓   gained ↑", fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.yaxis.set_major_formatter(lambda v, _: f"{abs(v):,.0f}")
    labelled = _labelled_months(months)
    bottom.set_xticks(
        x[labelled], [pd.Timestamp(months[i]).strftime("%b %Y") for i in labelled], fontsize=8
    )
    if len(labelled) > 12:
        bottom.tick_params(axis="x", labelrotation=45)
    top.set_title("Gained and lost by each side, per month")
    handles = [*side_handles(sides), Patch(facecolor="#999999", alpha=0.45, hatch="//")]
    handles[-1].set_label("lost (hatched)")
    fig.legend(
        handles=handles,
        fontsize=7,
        loc="outside right upper",
        frameon=False,
        title="Side",
        title_fontsize=7,
    )
    note = (
        "Each change of hands counts in its month; a place inside another counted place is not "
        "added again; contested claims and hand-overs within one side move nothing. Places "
        "with no census figure count as places but add no people."
    )
    add_caption(fig, _caption_text(source, note))
    return fig


def _every_month(months: pd.Series) -> list[str]:
    """Every month ("YYYY-MM") from the first to the last of `months`: a month in which no
    place changed hands keeps its place on the axis, so the bars' spacing is time."""
    if months.empty:
        return []
    span = pd.period_range(min(months), max(months), freq="M")
    return [str(month) for month in span]


def _labelled_months(months: list[str]) -> np.ndarray:
    """Positions of the months to label: every month up to `MAX_MONTH_LABELS`, else every
    quarter, half-year, year … (starting in January), so a long period stays legible and
    its axis does not take a tick and a label per month to draw."""
    numbers = np.array([int(m[:4]) * 12 + int(m[5:7]) - 1 for m in months], dtype=int)
    for step in MONTH_LABEL_STEPS:
        labelled = np.flatnonzero(numbers % step == 0)
        if len(labelled) <= MAX_MONTH_LABELS:
            break
    return labelled


def _bars(
    ax: Axes, x: np.ndarray, heights: np.ndarray, width: float, colour: object, hatch: str = ""
) -> None:
    """Bars from 0 centred on `x`, as one artist: the same pixels as `Axes.bar`, but a chart
    of every month draws hundreds of bars, and one artist each was most of its drawing time.
    A bar of unknown (NaN) height is not drawn."""
    known = ~np.isnan(heights)
    left, top = x[known] - width / 2, heights[known]
    base = np.zeros_like(top)
    corners = [(left, base), (left + width, base), (left + width, top), (left, top)]
    bars = PolyCollection(
        np.stack([np.column_stack(corner) for corner in corners], axis=1),
        facecolors=colour,
        edgecolors="none",
        hatch=hatch or None,
    )
    bars.sticky_edges.y.append(0)
    ax.add_collection(bars)


@_plain_text
def services_by_region(impacts: pd.DataFrame, source: str) -> Figure:
    """Hospitals, beds and schools in the places named, by state/region (counted rows).

    A region whose figure is unknown is labelled "unknown", never drawn as 0.
    """
    counted = impacts.loc[
        impacts["counted"], ["state_region_name", "hospitals", "hospital_beds", "schools"]
    ]
    region = counted["state_region_name"].astype("string").fillna("unknown")
    metrics = {
        "hospitals": "Public hospitals",
        "hospital_beds": "Hospital beds",
        "schools": "Schools (where known)",
    }
    regions = sorted(region.unique())
    fig = _figure(height=0.3 * max(len(regions), 2) + 2.4)
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (column, title) in zip(axes, metrics.items(), strict=True):
        values = counted[column].astype("Float64").groupby(region).sum(min_count=1)
        values = values.reindex(regions).to_numpy(dtype=float, na_value=np.nan)
        known = ~np.isnan(values)
        positions = np.arange(len(regions))
        ax.barh(positions[known], values[known], color=side_colours()["resistance"])
        for position in positions[~known]:
            ax.text(0, position, " unknown", va="center", fontsize=7, color="#555555")
        ax.set_title(title, fontsize=9)
        ax.set_yticks(positions, regions, fontsize=8)
        ax.set_ylim(-0.6, max(len(regions), 1) - 0.4)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.xaxis.set_major_formatter(_thousands)
        ax.tick_params(axis="x", labelsize=7)
        if not known.any():  # nothing to measure: no scale (it read "-0 0 0")
            ax.set_xticks([])
    fig.suptitle("Services in the places that changed control, by state/region", fontsize=11)
    add_caption(
        fig, _caption_text(source + "; hospitals: Ministry of Health list (beds c. 2017-19)")
    )
    return fig
