"""Every chart at 8, 80 and 20,000 events: legend and caption inside the figure, never over the
plot or each other; counted rows only; unknowns as gaps; the new gains-and-losses table."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from PIL import Image

import impact
from impact import charts
from impact.chart_files import CHART_DRAWERS

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ACTORS = [
    ("Arakan Army", "Myanmar military"),
    ("Myanmar military", "Arakan Army"),
    ("MNDAA", "Myanmar military"),
    ("Kalay PDF", "Myanmar military"),
    ("TNLA", "Myanmar military"),
    ("KIA", "Myanmar military"),
    ("Myanmar military", "KNU"),
    ("Some local group", "Myanmar military"),
]
CHANGES = ["captured", "captured", "captured", "recaptured", "contested", "withdrawn"]


def synthetic_events(n: int, reference, path: Path, seed: int = 7) -> Path:
    """`n` control changes at real towns of the package, actors and dates drawn at random."""
    rng = np.random.default_rng(seed)
    towns = reference.places[reference.places["level"] == "town"]
    townships = reference.places.set_index("pcode")["name"]
    picked = towns.iloc[rng.integers(0, len(towns), n)]
    actors = [ACTORS[i] for i in rng.integers(0, len(ACTORS), n)]
    days = pd.Timestamp("2023-10-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    pd.DataFrame(
        {
            "event_id": [f"SYN-{i:06d}" for i in range(n)],
            "date": days.strftime("%Y-%m-%d"),
            "place": picked["pcode"].to_numpy(),
            "township": picked["parent_pcode"].map(townships).to_numpy(),
            "change": [CHANGES[i] for i in rng.integers(0, len(CHANGES), n)],
            "gaining_actor": [a for a, _ in actors],
            "losing_actor": [b for _, b in actors],
            "source": "synthetic test data",
        }
    ).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module", params=[8, 80, 20_000])
def run_of(request, reference, tmp_path_factory):
    if request.param == 8:
        return impact.run(reference=reference)
    path = synthetic_events(request.param, reference, tmp_path_factory.mktemp("syn") / "e.csv")
    return impact.run(path, reference=reference)


def _boxes(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    caption = [t for t in fig.texts if t.get_gid() == "caption"]
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    for ax in fig.axes:
        legends += [a for a in ax.artists if a.__class__.__name__ == "Legend"]
    return (
        fig.bbox,
        [c.get_window_extent(renderer) for c in caption],
        [lg.get_window_extent(renderer) for lg in legends],
        [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible() and ax.axison],
    )


def _inside(inner, outer, slack=1.0) -> bool:
    return (
        inner.x0 >= outer.x0 - slack
        and inner.y0 >= outer.y0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y1 <= outer.y1 + slack
    )


@pytest.mark.parametrize("name", list(CHART_DRAWERS))
def test_legend_and_caption_inside_and_apart(run_of, name):
    fig = CHART_DRAWERS[name](run_of)
    figure, captions, legends, axes = _boxes(fig)
    assert len(captions) == 1, "every chart has one caption"
    caption = captions[0]
    assert _inside(caption, figure), (name, caption, figure)
    for legend in legends:
        assert _inside(legend, figure), (name, "legend outside the figure")
        assert not legend.overlaps(caption), (name, "legend over the caption")
    for box in axes:
        assert not box.overlaps(caption), (name, "plot over the caption")
    if name == "location_map":
        # The map's legends sit in their own panel, never on the map.
        assert not any(legend.overlaps(axes[0]) for legend in legends)
    elif name in ("people_per_event", "control_over_time", "affected_over_time"):
        plot = fig.axes[0].get_window_extent()
        assert not any(legend.overlaps(plot) for legend in legends), name
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=60)
    rows = np.frombuffer(buffer.getvalue(), dtype=np.uint8)
    assert rows.size > 5_000


def test_people_per_event_draws_counted_rows_only(reference):
    result = impact.run(reference=reference)
    fig = charts.people_per_event(result.impacts, "test")
    bars = sum(p.get_width() for p in fig.axes[0].patches)
    assert bars == pytest.approx(float(result.total["population_central"]))
    caption = next(t for t in fig.texts if t.get_gid() == "caption").get_text()
    assert "1 event row not counted" in caption


def test_unknown_population_is_a_mark_not_a_zero(reference):
    result = impact.run(reference=reference)
    fig = charts.affected_over_time(result.impacts, "test")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "place with no census figure" in labels
    step = ax.lines[0]
    x = step.get_xdata()
    assert x[-1] > result.impacts["date"].max(), "the last step is held past the last event"


def test_moves_by_side_balances_gains_and_losses(reference):
    result = impact.run(reference=reference)
    table = charts.moves_by_side(result.impacts)
    assert table["places_gained"].sum() == -table["places_lost"].sum()
    assert set(table["side"]) <= {"military", "resistance", "non_aligned", "unknown"}
    november = table[(table["month"] == "2023-11") & (table["side"] == "resistance")]
    assert int(november["places_gained"].iloc[0]) == 5


def test_gains_and_losses_draws_each_month_and_side_of_the_table(run_of):
    """Every bar's height is its month and side's figure in `moves_by_side`; a month without
    one draws no bar (never a zero)."""
    result = run_of
    table = charts.moves_by_side(result.impacts, result.actors)
    fig = charts.gains_and_losses(result.impacts, "test", result.actors)
    for ax, columns in zip(
        fig.axes, (["people_gained", "people_lost"], ["places_gained", "places_lost"]), strict=True
    ):
        drawn = sorted(
            float(path.vertices[2, 1]) for bars in ax.collections for path in bars.get_paths()
        )
        expected = table[columns].astype(float).to_numpy().ravel()
        assert drawn == pytest.approx(sorted(expected[~np.isnan(expected)]))
        assert all(bars.sticky_edges.y == [0] for bars in ax.collections)


def test_gains_and_losses_keeps_a_quiet_month_on_the_axis_and_labels_long_periods_sparsely(
    reference,
):
    """Months without a change keep their place (bar spacing is time); over years, labels
    fall on quarters, half-years or years, never more than `MAX_MONTH_LABELS`."""
    result = impact.run(reference=reference)
    impacts = result.impacts.copy()
    impacts.loc[impacts.index[0], "date"] = pd.Timestamp("2011-02-14")  # a decade before
    table = charts.moves_by_side(impacts, result.actors)
    fig = charts.gains_and_losses(impacts, "test", result.actors)
    bottom = fig.axes[1]
    months = pd.period_range(min(table["month"]), max(table["month"]), freq="M")
    lefts = [float(path.vertices[0, 0]) for bars in bottom.collections for path in bars.get_paths()]
    assert max(lefts) > len(months) - 2, "the last month sits at its place in the whole span"
    labels = [label.get_text() for label in bottom.get_xticklabels()]
    assert 1 < len(labels) <= charts.MAX_MONTH_LABELS
    assert all(label.startswith("Jan ") for label in labels), labels
    positions = bottom.get_xticks()
    assert [months[round(x)].strftime("%b %Y") for x in positions] == labels


@pytest.mark.parametrize(
    ("first", "last", "step"),
    [("2023-11", "2023-11", 1), ("2021-02", "2023-01", 1), ("2021-02", "2025-01", 3),
     ("2016-05", "2025-01", 6), ("1950-01", "2024-12", 60)],
)  # fmt: skip
def test_month_labels_fall_on_calendar_steps(first, last, step):
    months = [str(m) for m in pd.period_range(first, last, freq="M")]
    labelled = charts._labelled_months(months)
    assert len(labelled) <= charts.MAX_MONTH_LABELS
    numbers = [int(months[i][:4]) * 12 + int(months[i][5:]) - 1 for i in labelled]
    assert all(n % step == 0 for n in numbers)
    assert len(labelled) == sum(1 for m in months if (int(m[:4]) * 12 + int(m[5:]) - 1) % step == 0)


def test_legends_stay_bounded_with_many_actors(reference, tmp_path):
    path = synthetic_events(300, reference, tmp_path / "e.csv")
    result = impact.run(path, reference=reference)
    fig = charts.control_over_time(result.control, result.impacts, "test")
    entries = fig.axes[0].get_legend().get_texts()
    assert len(entries) <= charts.MAX_ACTORS + 4


def test_synthetic_run_pngs_saved_for_review(reference, tmp_path):
    path = synthetic_events(2_000, reference, tmp_path / "e.csv")
    result = impact.run(path, reference=reference)
    folder = ARTIFACTS / "synthetic-2000"
    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in CHART_DRAWERS.items():
        draw(result).savefig(folder / f"{name}.png", dpi=100)
    assert len(list(folder.glob("*.png"))) == len(CHART_DRAWERS)


def test_affected_line_enters_places_at_first_change_and_ends_at_the_headline(reference):
    result = impact.run(reference=reference)
    fig = charts.affected_over_time(result.impacts, "test")
    step = fig.axes[0].lines[0]
    x, y = pd.to_datetime(step.get_xdata()), step.get_ydata()
    assert y[-1] == pytest.approx(float(result.total["population_central"]))
    moved = result.impacts[result.impacts["change"] != "contested"]
    assert x[0] == moved["date"].min()
    # Pauktaw was taken and retaken: its people enter at the first change, not the retake.
    pauktaw = moved[moved["place_name"].str.startswith("Pauktaw")]["date"]
    assert pauktaw.min() in set(x) and pauktaw.min() < pauktaw.max()


def _rings_and_points(ax) -> int:
    """Outline rings (each outline layer is one shape of many rings) and points in a panel."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    outlines = [p.get_path() for p in ax.patches if isinstance(p, PathPatch)]
    rings = sum(int((path.codes == MplPath.MOVETO).sum()) for path in outlines)
    return rings + sum(len(c.get_offsets()) for c in ax.collections)


def test_zoom_panel_draws_only_what_can_show_and_looks_the_same(run_of, monkeypatch):
    """The zoom panel leaves out shapes and points far outside its window: the picture is the
    same as with everything drawn, the SVG a fraction of the size. (Each outline layer is one
    shape rasterised as a whole, so rings far away can move the anti-aliasing of a few edge
    pixels by a few levels of 255: never by more than 8.)"""
    from impact import map as impact_map

    def picture() -> tuple[bytes, int, Figure]:
        fig = CHART_DRAWERS["location_map"](run_of)
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", dpi=100)
        fig.savefig(svg, format="svg")
        return png.getvalue(), len(svg.getvalue()), fig

    png, svg_size, fig = picture()
    monkeypatch.setattr(impact_map._Layers, "within", lambda layers, window: layers)
    png_everything, svg_size_everything, _ = picture()
    pixels, pixels_everything = (
        np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)
        for data in (png, png_everything)
    )
    assert np.abs(pixels - pixels_everything).max() <= 8
    panels = [ax for ax in fig.axes if ax.collections]
    if len(panels) == 1:  # too few places to crowd anywhere: no zoom panel
        assert svg_size == svg_size_everything
        return
    main, zoom = panels
    shapes = [_rings_and_points(ax) for ax in (main, zoom)]
    assert shapes[1] < shapes[0] / 2
    assert svg_size < svg_size_everything


def test_a_shaded_township_inside_another_is_shaded_whichever_way_its_outline_runs():
    """Shaded townships of one side are filled as one shape: a ring inside another and running
    the other way would be a hole unless every ring is turned to run the same way."""
    from impact.map import _outline, _rings

    outer = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)])  # clockwise
    inner = shapely.Polygon([(4, 4), (6, 4), (6, 6), (4, 6)])  # counter-clockwise
    fig = Figure(figsize=(1, 1), dpi=50)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.add_artist(_outline(_rings(np.array([outer, inner])), facecolor="red", edgecolor="none"))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    assert tuple(pixels[25, 25][:3]) == (255, 0, 0)  # the inner township's middle
    assert tuple(pixels[10, 10][:3]) == (255, 0, 0)  # the outer one's


def _wrapped_word_by_word(text: str, width_in: float) -> list[str]:
    """Greedy wrapping measured after every word: what `wrap_to_width` must agree with."""
    measure, font = TextToPath(), FontProperties(size=charts.CAPTION_SIZE)
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            width = measure.get_text_width_height_descent(candidate, font, ismath=False)[0]
            if line and width / 72 > width_in:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


WORDS = st.text(
    alphabet=st.sampled_from("aeilmnorstuwAMWfij.,;:()-0123456789–’"), min_size=1, max_size=18
)


@settings(max_examples=60, deadline=None)
@given(
    paragraphs=st.lists(st.lists(WORDS, max_size=40).map(" ".join), min_size=1, max_size=3),
    width_in=st.floats(0.2, 8.0),
)
def test_captions_wrap_as_measuring_after_every_word_would(paragraphs, width_in):
    """Found by halving, the words of each line are those a word-by-word measure would take,
    with long words, empty paragraphs and widths narrower than a word."""
    text = "\n".join(paragraphs)
    assert charts.wrap_to_width(text, width_in) == _wrapped_word_by_word(text, width_in)


def test_map_caption_wraps_to_the_figure_width(run_of):
    """The real map caption: the same lines as measuring after every word, each one fitting."""
    fig = CHART_DRAWERS["location_map"](run_of)
    caption = next(t for t in fig.texts if t.get_gid() == "caption").get_text()
    text = " ".join(caption.split("\n"))
    lines = charts.wrap_to_width(text, 7.7)
    assert lines == _wrapped_word_by_word(text, 7.7)
    assert len(lines) > 1


def _tick_labels(axis) -> list:
    """The tick labels an axis shows: visible, with text, inside the axis' view."""
    low, high = sorted(axis.get_view_interval())
    return [
        tick.label1
        for tick in axis.get_major_ticks()
        if tick.label1.get_visible() and tick.label1.get_text() and low <= tick.get_loc() <= high
    ]


def _ink(label, renderer) -> shapely.Polygon:
    """The rectangle a (possibly rotated) label covers on the canvas: its unrotated box turned
    about the centre of its drawn extent (a rotated rectangle's bounding box shares its centre)."""
    drawn = label.get_window_extent(renderer)
    angle = label.get_rotation()
    label.set_rotation(0)
    flat = label.get_window_extent(renderer)
    label.set_rotation(angle)
    box = shapely.box(-flat.width / 2, -flat.height / 2, flat.width / 2, flat.height / 2)
    turned = shapely.affinity.rotate(box, angle, origin=(0, 0))
    x, y = (drawn.x0 + drawn.x1) / 2, (drawn.y0 + drawn.y1) / 2
    return shapely.affinity.translate(turned, x, y)


@pytest.mark.parametrize("name", list(CHART_DRAWERS))
def test_tick_labels_never_overlap_or_read_minus_zero(run_of, name):
    fig = CHART_DRAWERS[name](run_of)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        for axis in (ax.xaxis, ax.yaxis):
            labels = _tick_labels(axis)
            texts = [label.get_text() for label in labels]
            assert not any(t in {"-0", "\u22120"} for t in texts), (name, texts)
            inks = [_ink(label, renderer) for label in labels]
            for i, first in enumerate(inks):
                for second in inks[i + 1 :]:
                    assert first.intersection(second).area < 1.0, (name, axis.axis_name, texts)


def test_each_of_the_largest_places_is_labelled_once_and_labels_do_not_collide(run_of):
    """The map labels the largest places; where a zoom panel shows a crowd, the places it
    labels are not labelled again on the map, and no two labels of a panel cover each other."""
    from matplotlib.text import Annotation

    from impact.geo_outputs import LABELLED
    from impact.map import labelled_places, map_points

    fig = CHART_DRAWERS["location_map"](run_of)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    panels = [ax for ax in fig.axes if ax.collections]
    names = []
    for ax in panels:
        labels = [t for t in ax.texts if isinstance(t, Annotation)]
        names += [label.get_text() for label in labels]
        boxes = [label.get_window_extent(renderer) for label in labels]
        for i, first in enumerate(boxes):
            assert not any(first.overlaps(second) for second in boxes[i + 1 :]), names
    assert len(names) == len(set(names)), "a place labelled on the map and in the zoom"
    points = map_points(run_of.impacts, run_of.reference, run_of.actors)
    largest = {name.removesuffix(" Town") for name in labelled_places(points, LABELLED)}
    assert largest <= set(names)
