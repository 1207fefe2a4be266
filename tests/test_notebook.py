"""The situation-report notebook: stored without outputs, and it runs in a real Jupyter kernel."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "situation_report.ipynb"
CHART_CALLS = ("charts.people_per_event", "charts.affected_over_time", "charts.control_over_time")


def test_notebook_is_stored_without_outputs():
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    """The notebook run top to bottom by a python3 kernel in an empty folder."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    folder = tmp_path_factory.mktemp("notebook")
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": folder}}
    )
    client.execute()
    notebook.metadata["folder"] = str(folder)
    return notebook


def test_notebook_runs_top_to_bottom(executed):
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert (Path(executed.metadata["folder"]) / "reports/situation-report/report.html").exists()


def test_every_chart_cell_shows_an_image(executed):
    chart_cells = [c for c in executed.cells if c.cell_type == "code" and "charts." in c.source]
    assert {call for call in CHART_CALLS if any(call in c.source for c in chart_cells)} == set(
        CHART_CALLS
    )
    for cell in chart_cells:
        kinds = {kind for output in cell.outputs for kind in output.get("data", {})}
        assert "image/png" in kinds, cell.source
