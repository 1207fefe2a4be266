"""The map of a run: outlines, townships shaded by who holds them, places sized by people.

Drawn on longitude/latitude with the aspect of the map's middle latitude (equirectangular), so
the scale bar is right at that latitude. State/region and township outlines come from the
package (MIMU 2014 boundaries); only the largest places are labelled, the rest are listed in
the report. When many places crowd one area, a zoomed panel shows it beside the map and
labels the largest places there, which the map then leaves unlabelled (the crowd leaves their
names no room). Legends (side colour, point size) sit in their own panel, the caption (source,
MIMU attribution, UN disclaimer) in a band below, so nothing is drawn over the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from impact.actors import ActorTable
from impact.charts import _plain_text, add_caption, side_colours, side_handles
from impact.event_actors import event_sides
from impact.geo_outputs import LABELLED, holder_at_end, state_outlines, township_outlines
from impact.reference import Reference
from impact.schemas import by_date

ZOOM_LABELLED = 8
# A zoom panel is drawn when at least this many places fall in one grid cell of this size.
CROWD_POINTS = 8
CROWD_CELL_DEGREES = 1.5
SIZE_MAX = 420.0
SIZE_MIN = 8.0
KM_PER_DEGREE = 111.32
UN_DISCLAIMER = (
    "The boundaries and names shown and the designations used on this map do not "
    "imply official endorsement or acceptance by the United Nations."
)
# Share of a zoom window added on each side for what is drawn in it.
WINDOW_MARGIN = 0.1
OFFSETS = [(5, 4, "left"), (5, -10, "left"), (-5, 4, "right"), (-5, -10, "right")]


def map_points(
    impacts: pd.DataFrame,
    reference: Reference,
    actors: ActorTable | None = None,
    sides: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per place that changed control (its headline unit), with a point to draw.

    The point is the place's own (towns), else a point inside its township's outline;
    places that cannot be put anywhere are left out. `people` is the counted central figure
    (empty when unknown), `side` the side holding the place at the end. `sides`, when the
    caller has them, are the events' (`event_sides`), not worked out again.
    """
    sides = event_sides(impacts, actors) if sides is None else sides
    held = holder_at_end(impacts, sides, "headline_pcode")
    columns = ["date", "event_id", "headline_pcode", "place_name", "pcode", "township_pcode"]
    latest = by_date(impacts[columns]).drop_duplicates("headline_pcode", keep="last")
    points = latest.set_index("headline_pcode")[["place_name", "pcode", "township_pcode"]]
    points = points.join(held[["side", "people_central"]]).rename(
        columns={"people_central": "people"}
    )
    points["side"] = points["side"].fillna("unknown")
    located = reference.places.dropna(subset=["lat", "lon"]).set_index("pcode")
    points["lat"] = points["pcode"].map(located["lat"])
    points["lon"] = points["pcode"].map(located["lon"])
    outlines = township_outlines(reference).set_index("pcode")["geometry"]
    inside = points["lat"].isna() & points["township_pcode"].isin(outlines.index)
    if inside.any():
        centres = shapely.point_on_surface(
            outlines[points.loc[inside, "township_pcode"]].to_numpy()
        )
        points.loc[inside, "lon"] = shapely.get_x(centres)
        points.loc[inside, "lat"] = shapely.get_y(centres)
    points = points.dropna(subset=["lat", "lon"])
    return points.sort_values(["people", "place_name"], ascending=[False, True], na_position="last")


def labelled_places(points: pd.DataFrame, n: int = LABELLED) -> list[str]:
    """The names the map labels: the `n` places with the most people."""
    return list(points["place_name"].head(n))


def _rings(geometries: np.ndarray) -> list[np.ndarray]:
    """The outer ring of each polygon, all running clockwise: a layer is filled as one shape,
    where a ring inside another and running the other way would be left a hole."""
    exteriors = shapely.get_exterior_ring(shapely.get_parts(geometries))
    turned = shapely.is_ccw(exteriors)
    rings = [shapely.get_coordinates(ring) for ring in exteriors]
    return [ring[::-1] if turn else ring for ring, turn in zip(rings, turned, strict=True)]


def _sizes(people: pd.Series, largest: float) -> np.ndarray:
    values = people.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(values), SIZE_MIN, SIZE_MIN + SIZE_MAX * values / largest)


def _nice(value: float) -> float:
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return max(m * power for m in (1, 2, 5) if m * power <= value)


def _crowded_window(points: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """(lon0, lon1, lat0, lat1) of the most crowded area, or None when nothing crowds."""
    if len(points) < CROWD_POINTS:
        return None
    cells = (points[["lon", "lat"]] // CROWD_CELL_DEGREES).astype(int)
    counts = cells.value_counts()
    if counts.iloc[0] < CROWD_POINTS:
        return None
    cell_lon, cell_lat = counts.index[0]
    near = points[(cells["lon"] == cell_lon) & (cells["lat"] == cell_lat)]
    pad = 0.15
    return (
        near["lon"].min() - pad,
        near["lon"].max() + pad,
        near["lat"].min() - pad,
        near["lat"].max() + pad,
    )


@dataclass(frozen=True)
class _Layers:
    """What a map panel draws: outline rings, shaded rings with their colours, and points
    with their marker sizes."""

    states: list[np.ndarray]
    townships: list[np.ndarray]
    shaded: list[np.ndarray]
    shade_colours: list[str]
    points: pd.DataFrame
    sizes: np.ndarray

    def within(self, window: tuple[float, float, float, float]) -> _Layers:
        """Only what can show in `window` (lon0, lon1, lat0, lat1): a zoom panel then draws,
        and its SVG holds, a few hundred shapes instead of the whole country's."""
        lon0, lon1, lat0, lat1 = window
        # A margin wider than any stroke or marker that could reach in from outside.
        pad_lon, pad_lat = (lon1 - lon0) * WINDOW_MARGIN, (lat1 - lat0) * WINDOW_MARGIN
        box = (lon0 - pad_lon, lon1 + pad_lon, lat0 - pad_lat, lat1 + pad_lat)
        shaded = [_meets(ring, box) for ring in self.shaded]
        near = (
            self.points["lon"].between(box[0], box[1]) & self.points["lat"].between(box[2], box[3])
        ).to_numpy()
        return _Layers(
            states=[ring for ring in self.states if _meets(ring, box)],
            townships=[ring for ring in self.townships if _meets(ring, box)],
            shaded=[ring for ring, keep in zip(self.shaded, shaded, strict=True) if keep],
            shade_colours=[c for c, keep in zip(self.shade_colours, shaded, strict=True) if keep],
            points=self.points[near],
            sizes=self.sizes[near],
        )


def _outline(rings: list[np.ndarray], **style: object) -> PathPatch:
    """Rings of one style as one shape: drawn in one go, one element of the SVG (a map has
    some 1,400 rings), and shaded townships meet without seams between them."""
    paths = [MplPath(ring, closed=True) for ring in rings]
    return PathPatch(MplPath.make_compound_path(*paths), in_layout=False, **style)


def _meets(ring: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Whether the ring's bounding box meets `box` (lon0, lon1, lat0, lat1)."""
    (lon_min, lat_min), (lon_max, lat_max) = ring.min(axis=0), ring.max(axis=0)
    return lon_max >= box[0] and lon_min <= box[1] and lat_max >= box[2] and lat_min <= box[3]


def _draw_layers(ax: Axes, layers: _Layers) -> None:
    """Outlines, shading and points, none of them measured by the layout: each is clipped to
    its panel, so it cannot widen what the layout makes room for, and measuring every vertex
    and point (thousands in a large run) was most of the layout's time."""
    colours = side_colours()
    # Added as artists, not patches: the map's limits are set by `_frame`, and working out a
    # patch's data limits walks every vertex in Python.
    ax.add_artist(_outline(layers.townships, facecolor="none", edgecolor="#c9ced6", linewidth=0.25))
    for colour in dict.fromkeys(layers.shade_colours):
        rings = [r for r, c in zip(layers.shaded, layers.shade_colours, strict=True) if c == colour]
        ax.add_artist(_outline(rings, facecolor=colour, edgecolor="none", alpha=0.35))
    ax.add_artist(_outline(layers.states, facecolor="none", edgecolor="#6b7280", linewidth=0.6))
    ax.scatter(
        layers.points["lon"],
        layers.points["lat"],
        s=layers.sizes,
        c=[colours[s] for s in layers.points["side"]],
        alpha=0.85,
        edgecolor="#222222",
        linewidth=0.5,
        zorder=3,
        in_layout=False,
    )


def _frame(ax: Axes, lon0: float, lon1: float, lat0: float, lat1: float) -> None:
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1 / math.cos(math.radians((lat0 + lat1) / 2)), adjustable="box")
    ax.tick_params(labelsize=7)


def _scale_bar(ax: Axes) -> None:
    lon0, lon1 = ax.get_xlim()
    lat0, lat1 = ax.get_ylim()
    km_per_lon = KM_PER_DEGREE * math.cos(math.radians((lat0 + lat1) / 2))
    length_km = _nice((lon1 - lon0) * km_per_lon / 4)
    x0 = lon0 + 0.05 * (lon1 - lon0)
    y0 = lat0 + 0.04 * (lat1 - lat0)
    ax.plot([x0, x0 + length_km / km_per_lon], [y0, y0], color="#222222", lw=2.5, zorder=4)
    ax.text(
        x0,
        y0 + 0.012 * (lat1 - lat0),
        f"{length_km:,.0f} km",
        fontsize=7,
        va="bottom",
        zorder=4,
    )


def _label(
    ax: Axes,
    points: pd.DataFrame,
    n: int,
    renderer,
    taken: list,
    elsewhere: frozenset[str] = frozenset(),
) -> frozenset[str]:
    """Label the `n` largest places in view, each at the first offset that overlaps no
    earlier label, except those labelled `elsewhere` (by P-code); return those labelled."""
    lon0, lon1 = ax.get_xlim()
    lat0, lat1 = ax.get_ylim()
    inside = points[points["lon"].between(lon0, lon1) & points["lat"].between(lat0, lat1)]
    here = inside.head(n)
    here = here[~here.index.isin(elsewhere)]
    for row in here.itertuples():
        text = str(row.place_name).removesuffix(" Town")
        for dx, dy, ha in OFFSETS:
            label = ax.annotate(
                text,
                (row.lon, row.lat),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=7,
                ha=ha,
                zorder=5,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
            )
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in taken):
                taken.append(box)
                break
            label.remove()
        else:
            taken.append(
                ax.annotate(text, (row.lon, row.lat), fontsize=6, zorder=5).get_window_extent(
                    renderer
                )
            )
    return frozenset(here.index)


@_plain_text
def location_map(
    impacts: pd.DataFrame, reference: Reference, source: str, actors: ActorTable | None = None
) -> Figure:
    """Places that changed control on state/region and township outlines (see module doc)."""
    sides = event_sides(impacts, actors)
    points = map_points(impacts, reference, actors, sides)
    states = state_outlines(reference)
    townships = township_outlines(reference)
    held = holder_at_end(impacts, sides, "township_pcode")
    shade = townships[townships["pcode"].isin(held.index)]
    shade_rings, shade_colours = [], []
    colours = side_colours()
    for pcode, geometry in zip(shade["pcode"], shade["geometry"], strict=True):
        rings = _rings(np.array([geometry]))
        shade_rings += rings
        shade_colours += [colours[held.at[pcode, "side"]]] * len(rings)
    state_rings = _rings(states["geometry"].to_numpy()) if len(states) else []
    township_rings = _rings(townships["geometry"].to_numpy()) if len(townships) else []
    people = points["people"].astype("Float64")
    largest = float(people.max()) if people.notna().any() else 1.0
    sizes = _sizes(points["people"], largest)
    window = _crowded_window(points)

    fig = Figure(figsize=(8, 9), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1.55, 1])
    ax = fig.add_subplot(grid[:, 0])
    bounds = _bounds(states, townships, points)
    layers = _Layers(state_rings, township_rings, shade_rings, shade_colours, points, sizes)
    _draw_layers(ax, layers)
    _frame(ax, *bounds)
    ax.set_title("Places that changed control", fontsize=11)
    zoom = None
    if window is not None:
        zoom = fig.add_subplot(grid[0, 1])
        _draw_layers(zoom, layers.within(window))
        _frame(zoom, *window)
        zoom.set_title("Most events: zoom", fontsize=9)
        ax.add_patch(
            Rectangle(
                (window[0], window[2]),
                window[1] - window[0],
                window[3] - window[2],
                fill=False,
                edgecolor="#222222",
                lw=0.8,
                zorder=4,
            )
        )
    legend_ax = fig.add_subplot(grid[1, 1] if zoom is not None else grid[:, 1])
    legend_ax.set_axis_off()
    _legends(legend_ax, points, largest)
    _scale_bar(ax)
    unlabelled = max(len(points) - LABELLED, 0)
    note = (
        f"Labelled: the {LABELLED} places with the most people; the other {unlabelled:,} are "
        "listed in the report. "
        if unlabelled
        else ""
    )
    add_caption(
        fig,
        f"{note}Shaded: townships where control changed, by the side holding them at the end "
        f"of the period. Boundaries: MIMU 2014 (state/region and township). {UN_DISCLAIMER}\n"
        f"Source: {source}.",
    )
    _lay_out(fig)
    renderer = FigureCanvasAgg(fig).get_renderer()
    # A place the zoom panel labels is not labelled again on the map, where the crowd that
    # called for the zoom leaves its name no room.
    zoomed = _label(zoom, points, ZOOM_LABELLED, renderer, []) if zoom is not None else frozenset()
    _label(ax, points, LABELLED, renderer, [], elsewhere=zoomed)
    return fig


def _lay_out(fig: Figure) -> None:
    """Fix the figure's layout now, so labels can be placed against it, and keep it: the
    layout and each panel's aspect, without drawing anything (a draw would only be thrown
    away)."""
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")
    for ax in fig.axes:
        ax.apply_aspect()


def _bounds(states: pd.DataFrame, townships: pd.DataFrame, points: pd.DataFrame) -> tuple:
    shapes = states if len(states) else townships
    if len(shapes):
        lon0, lat0, lon1, lat1 = shapely.total_bounds(shapes["geometry"].to_numpy())
    else:
        lon0, lon1 = points["lon"].min() - 1, points["lon"].max() + 1
        lat0, lat1 = points["lat"].min() - 1, points["lat"].max() + 1
    return lon0 - 0.2, lon1 + 0.2, lat0 - 0.2, lat1 + 0.2


def _legends(ax: Axes, points: pd.DataFrame, largest: float) -> None:
    colours = side_handles(list(points["side"]))
    shaded = Patch(facecolor="#999999", alpha=0.35, label="township shaded by holder")
    first = ax.legend(
        handles=[*colours, shaded],
        title="Side holding the place",
        title_fontsize=7,
        fontsize=7,
        loc="upper left",
        frameon=False,
    )
    ax.add_artist(first)
    steps = sorted({_nice(largest), _nice(largest / 4), _nice(largest / 20)})
    handles = [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markersize=math.sqrt(SIZE_MIN + SIZE_MAX * value / largest),
            markerfacecolor="none",
            markeredgecolor="#222222",
            label=f"{value:,.0f}",
        )
        for value in steps
    ]
    handles.append(
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markersize=math.sqrt(SIZE_MIN),
            markerfacecolor="none",
            markeredgecolor="#222222",
            label="unknown",
        )
    )
    ax.legend(
        handles=handles,
        title="People (projected central)",
        title_fontsize=7,
        fontsize=7,
        loc="lower left",
        frameon=False,
        labelspacing=1.4,
        borderpad=1,
    )
