"""The report bundle: files, HXL, data dictionary, workbook, sensitive data, and the HTML page
as a real browser shows it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import impact
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
    documented = set(dictionary.loc[dictionary["table"] == "impacts.csv", "column"])
    assert set(impacts.columns) <= documented
    assert dictionary["description"].notna().all()


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


def test_manifest_records_reconciliation_and_hashes(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["rows"] == {"input": 8, "used": 8, "rejected": 0, "skipped": 0}
    assert "report.html" in manifest["outputs"] and "charts/location_map.svg" in manifest["outputs"]


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
