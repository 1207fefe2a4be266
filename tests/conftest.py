"""Shared fixtures: the bundled reference package, small event files, the golden option."""

from __future__ import annotations

from pathlib import Path

import pytest

import impact

SHARED_SOURCES = Path(__file__).resolve().parents[2] / "shared" / "reference_sources"
GOLDEN = Path(__file__).with_name("golden")
DATA = Path(__file__).with_name("data")


def pytest_configure(config: pytest.Config) -> None:
    """Package caches of this test session go to a folder of its own, not the user's."""
    import os
    import tempfile

    os.environ.setdefault("IMPACT_CACHE_DIR", tempfile.mkdtemp(prefix="impact-test-cache-"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/ from the current output"
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def reference() -> impact.reference.Reference:
    """The bundled package, loaded once; its name index is built on first use and kept."""
    return impact.load_reference()


@pytest.fixture
def write_events(tmp_path: Path):
    """Write CSV text to a file and return its path."""

    def write(text: str, name: str = "events.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def khampat_event(write_events) -> Path:
    return write_events(
        "event_id,date,place,township,region,change,gaining_actor,losing_actor,source\n"
        "KHAMPAT-1,2023-11-07,Khampat,Tamu,Sagaing Region,captured,"
        "People's Defence Force (NUG Military Region 1) with KIA and Chinland Defence Force,"
        'Myanmar military,"Myanmar Now, 8 Nov 2023"\n',
        name="khampat.csv",
    )
