"""Chart files of a run: each chart drawn once, saved as SVG and as PNG.

Kept apart from `impact.report` so that the process writing a report's tables never imports
matplotlib: the charts are drawn by other processes (see `impact.report.EarlyCharts`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from impact import charts
from impact.png import png_file
from impact.report import CHARTS

if TYPE_CHECKING:
    from impact.report import ChartInputs

PNG_DPI = 200
CHART_SOURCE = "impact; 2014 census via MIMU; events from public reporting"


def _location_map(result: ChartInputs) -> Figure:
    from impact.map import location_map  # shapely only when the map is drawn

    return location_map(result.impacts, result.reference, CHART_SOURCE, result.actors)


CHART_DRAWERS: dict[str, Callable[[ChartInputs], Figure]] = {
    "gains_and_losses": lambda r: charts.gains_and_losses(r.impacts, CHART_SOURCE, r.actors),
    "people_per_event": lambda r: charts.people_per_event(
        r.impacts, CHART_SOURCE, r.scope, r.actors
    ),
    "affected_over_time": lambda r: charts.affected_over_time(r.impacts, CHART_SOURCE),
    "control_over_time": lambda r: charts.control_over_time(
        r.control, r.impacts, CHART_SOURCE, r.actors
    ),
    "services_by_region": lambda r: charts.services_by_region(r.impacts, CHART_SOURCE),
    "location_map": lambda r: _location_map(r),
}


def write_charts(
    result: ChartInputs, folder: Path, names: tuple[str, ...] = CHARTS
) -> dict[str, bytes]:
    """Draw each chart of `names` once, save it as SVG and PNG, and return the PNG bytes.

    The PNG file is written last and in one step, so a chart whose PNG exists is complete.
    """
    charts_dir = folder / "charts"
    charts_dir.mkdir(exist_ok=True)
    pngs = {}
    # A fixed salt keeps the SVG element ids the same from run to run.
    # SVG keeps its text as text (editable, searchable); PNG at print resolution.
    with matplotlib.rc_context({"svg.hashsalt": "impact", "svg.fonttype": "none"}):
        for name in names:
            figure = CHART_DRAWERS[name](result)
            pngs[name] = png_bytes(figure)
            # The SVG keeps the layout the PNG's draw worked out rather than working it out
            # again (most of a chart's drawing time): both formats show the same layout.
            figure.set_layout_engine("none")
            write_svg(figure, charts_dir / f"{name}.svg")
            partial_png = charts_dir / f".{name}.png.partial"
            partial_png.write_bytes(pngs[name])
            partial_png.replace(charts_dir / f"{name}.png")
    return pngs


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG at `PNG_DPI`, drawn once with its layout done within the draw.

    `savefig` draws a figure twice, once without output only to lay it out; the pixels are
    the same either way (the file is written by `impact.png`, faster than `savefig`'s).
    """
    dpi = figure.dpi
    figure.dpi = PNG_DPI
    try:
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        return png_file(np.asarray(canvas.buffer_rgba()), PNG_DPI)
    finally:
        figure.dpi = dpi


def write_svg(figure: Figure, path: Path) -> None:
    """The figure as SVG, drawn once like `png_bytes` (same bytes as `savefig`), without a date.

    `write_charts` calls it once the PNG's draw has laid the figure out.
    """
    dpi = figure.dpi
    try:
        FigureCanvasSVG(figure).print_svg(path, metadata={"Date": None})
    finally:
        figure.dpi = dpi  # print_svg leaves the figure at 72 dpi
