"""The report bundle: files, HXL, data dictionary, workbook, sensitive data, and the HTML page
as a real browser shows it."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import impact
from impact import beside, report
from impact.errors import NoUsableEventsError
from impact.exports import safe_cells
from impact.report import CHARTS

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, reference) -> Path:
    result = impact.run(reference=reference)
    return impact.write_report(result, tmp_path_factory.mktemp("bundle") / "report", hxl=True)


def test_bundle_holds_every_output(bundle):
    names = {p.name for p in bundle.iterdir()}
    assert names >= {
        "impacts.csv",
        "summary.csv",
        "timeline.csv",
        "control.csv",
        "rejected.csv",
        "skipped.csv",
        "match_audit.csv",
        "assumptions.csv",
        "data_dictionary.csv",
        "impact.xlsx",
        "report.md",
        "report.html",
        "manifest.json",
        "charts",
    }
    for chart in CHARTS:
        assert (bundle / "charts" / f"{chart}.png").stat().st_size > 10_000
        assert (bundle / "charts" / f"{chart}.svg").read_text().startswith("<?xml")


def test_no_facility_locations_unless_asked(bundle, reference, tmp_path):
    assert not (bundle / "facilities.csv").exists()
    for path in bundle.glob("*.csv"):
        if path.name != "impacts.csv":  # impacts hold the matched place's own point
            assert not {"lat", "lon"} & set(pd.read_csv(path, nrows=0).columns), path.name
    with_locations = impact.write_report(
        impact.run(reference=reference), tmp_path / "r", include_facility_locations=True
    )
    facilities = pd.read_csv(with_locations / "facilities.csv")
    assert "MMR005030703" in set(facilities["town_pcode"]) and facilities["lat"].notna().all()


def test_hxl_row_and_data_dictionary(bundle):
    impacts = pd.read_csv(bundle / "impacts.csv", dtype=str, keep_default_na=False)
    tags = impacts.iloc[0]
    assert tags["date"] == "#date" and tags["population_central"] == "#affected+total"
    assert tags["state_region_pcode"] == "#adm1+code" and tags["households"] == "#affected+hh"
    dictionary = pd.read_csv(bundle / "data_dictionary.csv")
    assert dictionary["description"].notna().all()
    for path in [*bundle.glob("*.csv"), *bundle.glob("*.geojson")]:
        if path.suffix == ".csv":
            columns = set(pd.read_csv(path, nrows=0).columns)
        else:
            features = json.loads(path.read_text())["features"]
            columns = {k for f in features for k in f["properties"]}
        documented = set(dictionary.loc[dictionary["table"] == path.name, "column"])
        assert columns <= documented, (path.name, columns - documented)


def test_workbook_has_one_sheet_per_table_and_no_formulas(bundle, tmp_path):
    book = load_workbook(bundle / "impact.xlsx")
    assert {"impacts", "summary", "timeline", "control", "rejected"} <= set(book.sheetnames)
    sheet = book["impacts"]
    assert sheet.cell(1, 1).value == "event_id"
    assert all(
        not str(c.value).startswith("=")
        for row in sheet.iter_rows()
        for c in row
        if c.value is not None
    )


def test_safe_cells_defuses_formulas_only_in_text():
    table = pd.DataFrame({"text": ["=1+1", "+x", "-y", "@z", "fine"], "number": [-1, 2, 3, 4, 5]})
    out = safe_cells(table)
    assert out["text"].tolist() == ["'=1+1", "'+x", "'-y", "'@z", "fine"]
    assert out["number"].tolist() == [-1, 2, 3, 4, 5]


def test_html_escapes_text_from_inputs(reference, write_events, tmp_path):
    path = write_events(
        "date,place,township,gaining_actor\n2023-11-07,Khampat,Tamu,<script>alert(1)</script>\n"
    )
    folder = impact.write_report(impact.run(path, reference=reference), tmp_path / "r")
    html = (folder / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_no_absolute_path_of_the_machine_in_any_output(bundle):
    roots = {str(Path.cwd()), str(Path(impact.__file__).resolve().parents[1]), str(Path.home())}
    for path in bundle.rglob("*"):
        if path.is_file() and path.suffix in {".csv", ".json", ".md", ".html", ".geojson", ".svg"}:
            text = path.read_text(encoding="utf-8")
            assert not any(root in text for root in roots if len(root) > 1), path.name


def test_report_wording(bundle):
    text = (bundle / "report.md").read_text()
    assert "7 places changed control in 8 events" in text
    assert "1 counted place has no census figure" in text
    assert "## Key figures" in text.split("## Headline")[0]
    assert "## For review" in text
    assert " 0 rejected rows" not in text


def test_manifest_records_reconciliation_and_hashes(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["inputs"][0]["file"] == "events.csv"
    assert "path" not in manifest["reference"] and "places.csv" in manifest["reference"]["files"]
    assert manifest["rows"] == {"input": 8, "used": 8, "rejected": 0, "skipped": 0}
    assert "report.html" in manifest["outputs"] and "charts/location_map.svg" in manifest["outputs"]


def test_the_manifest_lists_every_file_with_the_hash_of_what_was_published(bundle):
    """The tables are hashed while the rest of the report is written: every file the folder
    holds, and only those, with the SHA-256 of its bytes as published."""
    import hashlib

    outputs = json.loads((bundle / "manifest.json").read_text())["outputs"]
    files = sorted(p for p in bundle.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert sorted(outputs) == sorted(p.relative_to(bundle).as_posix() for p in files)
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert outputs[path.relative_to(bundle).as_posix()] == digest, path.name


def _browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI; .ci/run installs it")
        pytest.skip("Chromium and chromedriver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,2000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def test_report_renders_in_a_real_browser(bundle):
    browser = _browser()
    try:
        browser.get((bundle / "report.html").resolve().as_uri())
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])"
        )
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "report.png"))
        title = browser.title
    finally:
        browser.quit()
    assert len(images) == len(CHARTS)
    assert all(complete and width > 100 for _, complete, width in images), images
    assert errors == []
    assert title.startswith("Control changes")
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


A4_POINTS = (595.28, 841.89)


def test_report_prints_on_a4_with_nothing_wider_than_the_page(bundle):
    import base64

    from pypdf import PdfReader

    browser = _browser()
    try:
        browser.get((bundle / "report.html").resolve().as_uri())
        browser.execute_script("document.fonts && document.fonts.ready")
        # Lay the page out at A4's printable width (210 mm - 2 x 12 mm margins, in CSS px).
        browser.set_window_size(int((210 - 24) / 25.4 * 96) + 16, 1200)
        overflow = browser.execute_script(
            "const w = document.documentElement.clientWidth;"
            "return Array.from(document.querySelectorAll('body *'))"
            ".filter(e => e.getBoundingClientRect().right > w + 1)"
            ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
        )
        images = browser.execute_script(
            "return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
        )
        pdf = browser.execute_cdp_cmd(
            "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
        )
    finally:
        browser.quit()
    data = base64.b64decode(pdf["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(data)
    for chart in CHARTS:
        shutil.copy(bundle / "charts" / f"{chart}.png", ARTIFACTS / f"seeds-{chart}.png")
    reader = PdfReader(ARTIFACTS / "report.pdf")
    assert len(reader.pages) >= 1 + len(CHARTS)
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2
    assert overflow == [], overflow
    assert all(images) and len(images) == len(CHARTS)
    first = reader.pages[0].extract_text()
    assert "Key figures" in first and "Headline" in first


def test_a_chart_that_fails_raises_here_and_leaves_no_folder(reference, tmp_path, monkeypatch):
    """Charts are drawn in a forked child on Linux; its failure must not be silent, and the
    error must be the real one, raised in this process."""
    from impact import chart_files

    result = impact.run(reference=reference, as_of="2024-06-30")

    def broken(_result):
        raise RuntimeError("chart drawing failed")

    monkeypatch.setitem(chart_files.CHART_DRAWERS, "gains_and_losses", broken)
    with pytest.raises(RuntimeError, match="chart drawing failed"):
        impact.write_report(result, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_charts_drawn_beside_the_tables_equal_charts_drawn_in_order(bundle, reference, tmp_path):
    from impact.chart_files import write_charts

    result = impact.run(reference=reference)
    pngs = write_charts(result, tmp_path)
    for name in CHARTS:
        assert (bundle / "charts" / f"{name}.svg").read_bytes() == (
            tmp_path / "charts" / f"{name}.svg"
        ).read_bytes()
        assert (bundle / "charts" / f"{name}.png").read_bytes() == pngs[name]


@pytest.mark.parametrize("events", [None, "control_changes_2023_2025.csv"])
def test_charts_drawn_from_the_columns_handed_over_equal_charts_drawn_from_all(
    reference, tmp_path, events
):
    """A chart process started before the run is handed only `CHART_COLUMNS`: a chart that
    read any other column would fail there (and be drawn again here, slowly)."""
    from dataclasses import replace

    from impact.chart_files import write_charts

    path = None if events is None else Path(__file__).parent / "data" / events
    result = impact.run(path, reference=reference)
    inputs = report.ChartInputs.of(result)
    handed = report.ChartInputs.to_hand_over(result)
    assert handed.control is None and handed.reference is None
    handed = replace(handed, control=result.control, reference=reference)
    assert len(handed.impacts.columns) == len(report.CHART_COLUMNS)
    for folder in ("handed", "all"):
        (tmp_path / folder).mkdir()
    assert write_charts(handed, tmp_path / "handed") == write_charts(inputs, tmp_path / "all")
    for name in CHARTS:
        svg = f"charts/{name}.svg"
        assert (tmp_path / "handed" / svg).read_bytes() == (tmp_path / "all" / svg).read_bytes()


def test_charts_drawn_once_equal_matplotlibs_savefig(bundle, reference):
    """Each chart is drawn once per format; the files show what `savefig` writes: the same
    SVG, with the layout the PNG's draw worked out (laid out once, both formats alike), and a
    PNG of the same pixels and resolution (its bytes are impact's own, see `impact.png`)."""
    import io

    import matplotlib
    import numpy as np
    from PIL import Image

    from impact.chart_files import CHART_DRAWERS, PNG_DPI

    result = impact.run(reference=reference)
    with matplotlib.rc_context({"svg.hashsalt": "impact", "svg.fonttype": "none"}):
        for name in CHARTS:
            png, svg = io.BytesIO(), io.BytesIO()
            figure = CHART_DRAWERS[name](result)
            figure.savefig(png, format="png", dpi=PNG_DPI)
            figure.set_layout_engine("none")
            figure.savefig(svg, format="svg", metadata={"Date": None})
            with Image.open(bundle / "charts" / f"{name}.png") as ours, Image.open(png) as theirs:
                assert ours.info == theirs.info, name
                assert np.array_equal(np.asarray(ours), np.asarray(theirs)), name
            assert (bundle / "charts" / f"{name}.svg").read_bytes() == svg.getvalue(), name


def test_every_chart_is_taken_longest_first():
    from impact.chart_files import CHART_DRAWERS
    from impact.report import CHARTS, LONGEST_FIRST

    assert sorted(LONGEST_FIRST) == sorted(CHARTS)
    assert tuple(CHART_DRAWERS) == CHARTS


@pytest.mark.parametrize("started_before", [True, False])
def test_charts_started_before_the_run_equal_charts_started_after_it(
    bundle, reference, tmp_path, started_before
):
    """Chart processes started before the run draw the same files as processes forked when
    the report is written (as `write_report` does when given none)."""
    with report.EarlyCharts(reference) as early:
        result = impact.run(reference=reference)
        charts = early if started_before else None
        out = impact.write_report(result, tmp_path / "out", charts=charts)
    for name in CHARTS:
        for suffix in ("png", "svg"):
            chart = f"charts/{name}.{suffix}"
            assert (out / chart).read_bytes() == (bundle / chart).read_bytes(), chart
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_chart_process_started_before_the_run_that_dies_leaves_its_charts_to_this_one(
    bundle, reference, tmp_path, monkeypatch
):
    from impact import chart_files

    parent = os.getpid()
    real = chart_files.write_charts

    def dies_in_a_child(result, folder, names=CHARTS):
        if os.getpid() != parent:
            os._exit(1)
        return real(result, folder, names)

    monkeypatch.setattr(chart_files, "write_charts", dies_in_a_child)
    with report.EarlyCharts(reference) as early:
        result = impact.run(reference=reference)
        out = impact.write_report(result, tmp_path / "out", charts=early)
    for name in CHARTS:
        chart = f"charts/{name}.png"
        assert (out / chart).read_bytes() == (bundle / chart).read_bytes(), chart


def test_chart_processes_started_once_draw_one_report_and_the_next_is_drawn_as_usual(
    bundle, reference, tmp_path
):
    with report.EarlyCharts(reference) as early:
        result = impact.run(reference=reference)
        first = impact.write_report(result, tmp_path / "first", charts=early)
        second = impact.write_report(result, tmp_path / "second", charts=early)
    for out in (first, second):
        for name in CHARTS:
            chart = f"charts/{name}.png"
            assert (out / chart).read_bytes() == (bundle / chart).read_bytes(), chart
    assert not beside._CHILDREN


def test_chart_processes_never_handed_a_run_end_with_it(reference, tmp_path):
    """A run that fails (no usable events) leaves no chart process behind."""
    events = tmp_path / "events.csv"
    events.write_text("event_id,date,place_name,change\nE1,2023-11-07,Qqqzzz,captured\n")
    with pytest.raises(NoUsableEventsError), report.EarlyCharts(reference):
        impact.run(events, reference=reference)
    assert not beside._CHILDREN


def test_a_chart_lost_with_its_process_is_drawn_here(reference, tmp_path, monkeypatch):
    """A drawing process that dies after taking a chart: the chart is drawn by this process,
    identical, and nothing half-written is left in the report."""
    from impact import chart_files

    result = impact.run(reference=reference, as_of="2024-06-30")
    whole = impact.write_report(result, tmp_path / "whole")
    parent = os.getpid()
    real = chart_files.write_charts

    def dies_in_a_child(result, folder, names=CHARTS):
        if os.getpid() != parent and names == ("location_map",):
            (folder / "charts" / ".location_map.png.partial").write_bytes(b"half")
            os._exit(1)
        return real(result, folder, names)

    monkeypatch.setattr(chart_files, "write_charts", dies_in_a_child)
    again = impact.write_report(result, tmp_path / "again")
    written = sorted(p.relative_to(again) for p in again.rglob("*"))
    assert written == sorted(p.relative_to(whole) for p in whole.rglob("*"))
    for name in CHARTS:
        for suffix in ("png", "svg"):
            chart = f"charts/{name}.{suffix}"
            assert (again / chart).read_bytes() == (whole / chart).read_bytes()


def test_a_failure_while_writing_leaves_no_folder_and_no_process_behind(
    reference, tmp_path, monkeypatch
):
    """The charts and the workbook are made by forked processes: when this one fails meanwhile,
    they are waited for, and the error is the real one."""
    import impact.geo_outputs

    result = impact.run(reference=reference, as_of="2024-06-30")

    def broken(*_args):
        raise OSError("disk full while writing GeoJSON")

    monkeypatch.setattr(impact.geo_outputs, "write_geojson", broken)
    with pytest.raises(OSError, match="disk full"):
        impact.write_report(result, tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir()] == []
    if sys.platform.startswith("linux"):
        with pytest.raises(ChildProcessError):
            os.waitpid(-1, os.WNOHANG)


def test_charts_are_handed_over_before_the_summaries_are_worked_out(
    reference, tmp_path, monkeypatch
):
    """The summaries need the charts' tables, not the other way round: the charts start first
    and the summaries are worked out while they are drawn, once each."""
    from impact import pipeline

    order = []
    hand_over, summarise = report.EarlyCharts.hand_over, pipeline.summarise
    monkeypatch.setattr(
        report.EarlyCharts,
        "hand_over",
        lambda self, *args: order.append("charts") or hand_over(self, *args),
    )
    monkeypatch.setattr(
        pipeline, "summarise", lambda *args: order.append("summary") or summarise(*args)
    )
    with report.EarlyCharts(reference) as early:
        result = impact.run(reference=reference)
        impact.write_report(result, tmp_path / "out", charts=early)
    assert result.summary is result.summary
    assert order == ["charts", "summary"]


def test_the_impacts_are_handed_over_before_the_control_timeline_is_worked_out(
    bundle, reference, tmp_path, monkeypatch
):
    """Five charts need only the impacts: they are drawn while the control timeline is
    worked out, and the control chart, handed its table last, is the same as ever."""
    from impact import beside, pipeline

    order = []
    hand, timeline = beside.Standby.hand, pipeline.control_timeline
    monkeypatch.setattr(
        beside.Standby, "hand", lambda self, data: order.append("hand") or hand(self, data)
    )
    monkeypatch.setattr(
        pipeline, "control_timeline", lambda *args: order.append("timeline") or timeline(*args)
    )
    with report.EarlyCharts(reference) as early:
        result = impact.run(reference=reference)
        assert order == []
        out = impact.write_report(result, tmp_path / "out", charts=early)
    assert order == ["hand", "timeline", "hand"]
    for name in CHARTS:
        for suffix in ("png", "svg"):
            chart = f"charts/{name}.{suffix}"
            assert (out / chart).read_bytes() == (bundle / chart).read_bytes(), chart


def test_a_control_table_that_fails_after_the_impacts_were_handed_leaves_nothing_behind(
    reference, tmp_path, monkeypatch
):
    """The chart process is drawing into the staging folder when the control table fails:
    it is waited for before the folder is removed, and the error is the real one."""
    from impact import pipeline

    def broken(*_args):
        raise RuntimeError("control table failed")

    monkeypatch.setattr(pipeline, "control_over_time", broken)
    with report.EarlyCharts(reference) as early:
        result = impact.run(reference=reference)
        with pytest.raises(RuntimeError, match="control table failed"):
            impact.write_report(result, tmp_path / "out", charts=early)
        assert not beside._CHILDREN
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.parametrize("drawn", [True, False])
def test_a_helper_shares_the_tables_only_once_the_charts_are_drawn(
    reference, tmp_path, monkeypatch, drawn
):
    """While the charts are being drawn the cores are taken, so the tables are written here;
    once they are drawn, a forked helper writes some of them: the same report either way."""
    asked = []

    def recorded(*args, **kwargs):
        asked.append(kwargs["helper_when"])
        return write_tables(*args, **{**kwargs, "helper_when": lambda: drawn})

    write_tables = report.write_tables
    result = impact.run(reference=reference)
    plain = impact.write_report(result, tmp_path / "plain")
    monkeypatch.setattr(report, "write_tables", recorded)
    out = impact.write_report(result, tmp_path / "out")
    assert len(asked) == 1 and asked[0].func is report.charts_drawn
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(plain) for p in plain.rglob("*") if p.is_file())
    for name in files:
        assert (out / name).read_bytes() == (plain / name).read_bytes(), name


def test_the_charts_are_drawn_once_every_png_is_written(tmp_path):
    (tmp_path / "charts").mkdir()
    for name in report.CHARTS[:-1]:
        (tmp_path / "charts" / f"{name}.png").touch()
    (tmp_path / "charts" / f".{report.CHARTS[-1]}.png.partial").touch()
    assert not report.charts_drawn(tmp_path)
    (tmp_path / "charts" / f"{report.CHARTS[-1]}.png").touch()
    assert report.charts_drawn(tmp_path)


@pytest.mark.parametrize("since", [None, "2023-11-01"])
def test_text_held_as_categories_writes_the_same_report(reference, tmp_path, monkeypatch, since):
    """A large run holds its repeated text as categories (`per_value.CATEGORY_ROWS`): with
    every run held so, each file of the report has the same bytes as with plain text (the
    period start puts earlier events in the history, held apart from the period's)."""
    from impact import per_value

    plain = impact.run(reference=reference, since=since, as_of="2026-12-05")
    monkeypatch.setattr(per_value, "CATEGORY_ROWS", 0)
    held = impact.run(reference=reference, since=since, as_of="2026-12-05")
    assert isinstance(held.compact_impacts["place_name"].dtype, pd.CategoricalDtype)
    assert not isinstance(plain.compact_impacts["place_name"].dtype, pd.CategoricalDtype)
    folders = [
        impact.write_report(result, tmp_path / name, hxl=True)
        for name, result in (("plain", plain), ("held", held))
    ]
    files = sorted(p.relative_to(folders[0]) for p in folders[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(folders[1]) for p in folders[1].rglob("*") if p.is_file())
    for name in files:
        assert (folders[1] / name).read_bytes() == (folders[0] / name).read_bytes(), name
