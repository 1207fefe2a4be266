"""Every public source file and evidence table the Myanmar build reads, each read once.

`Sources.read` is the only place that opens a file: the rest of the build works on the
DataFrames held here, so a missing or renamed source fails at the start, with every missing
path named, rather than halfway through the build.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reference_build.errors import MissingSourcesError

EVIDENCE_DIR = Path(__file__).resolve().parents[1] / "myanmar_evidence"

SOURCE_FILES = {
    "census": "cartesianproduct/HouseholdPopulationbaseddatasetMIMUTownshipsabbreviated.csv",
    "ward_vt_census": "cartesianproduct/VT_Ward_geo.csv",
    "towns": "myanmar_pcode_search/pcode9.6_town_data.csv",
    "wards": "myanmar_pcode_search/pcode9.6_ward_data.csv",
    "village_tracts": "myanmar_pcode_search/pcode9.6_village_tract_data.csv",
    "hospitals": "mm_covid19_surveillance/Hospitals.csv",
    "township_health": "mm_covid19_surveillance/Covid-19_Baseline_Township_Data.csv",
    "villages": "villages/mimu_villages.csv",
    "postal_codes": "myanmar_pcode_search/myanmar_postal_code_data.csv",
}
EVIDENCE_FILES = {
    "ward_assignments": "ward_assignments.csv",
    "subtownships": "subtownships.csv",
    "seats": "seats.csv",
    "subtownship_seats": "subtownship_seats.csv",
    "census_coverage": "census_coverage.csv",
    "public_figures": "public_figures.csv",
    "other_names": "other_names.csv",
    "city_townships": "city_townships.csv",
    "sources": "sources.csv",
}


def read_csv(source: Path | bytes) -> pd.DataFrame:
    """A source table as text: every column a string, only empty or NA-like cells missing."""
    return pd.read_csv(
        io.BytesIO(source) if isinstance(source, bytes) else source,
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=["", "NA", "NaN", "nan"],
    )


def _read_all(root: Path, files: dict[str, str]) -> dict[str, bytes]:
    paths = {key: root / name for key, name in files.items()}
    missing = [str(path) for path in paths.values() if not path.exists()]
    if missing:
        raise MissingSourcesError("missing source files:\n  " + "\n  ".join(missing))
    return {key: path.read_bytes() for key, path in paths.items()}


@dataclass(frozen=True)
class Evidence:
    """Decisions that need evidence beyond the sources, one row per decision with its reason."""

    ward_assignments: pd.DataFrame
    subtownships: pd.DataFrame
    seats: pd.DataFrame
    subtownship_seats: pd.DataFrame
    census_coverage: pd.DataFrame
    public_figures: pd.DataFrame
    other_names: pd.DataFrame
    city_townships: pd.DataFrame
    sources: pd.DataFrame

    @classmethod
    def read(cls, folder: Path = EVIDENCE_DIR) -> Evidence:
        raw = _read_all(folder, EVIDENCE_FILES)
        tables = {key: read_csv(data) for key, data in raw.items()}
        tables["ward_assignments"]["census_population"] = pd.to_numeric(
            tables["ward_assignments"]["census_population"]
        ).astype("Int64")
        return cls(**tables)


@dataclass(frozen=True)
class Sources:
    """The raw source tables, read as text, with the SHA-256 of each file's bytes."""

    census: pd.DataFrame
    ward_vt_census: pd.DataFrame
    towns: pd.DataFrame
    wards: pd.DataFrame
    village_tracts: pd.DataFrame
    hospitals: pd.DataFrame
    township_health: pd.DataFrame
    villages: pd.DataFrame
    postal_codes: pd.DataFrame
    evidence: Evidence
    sha256: dict[str, str]

    @classmethod
    def read(cls, root: Path, evidence_dir: Path = EVIDENCE_DIR) -> Sources:
        """Read every source under `root` and the evidence tables.

        Raises:
            MissingSourcesError: a source file is absent (all absent ones are named).
        """
        raw = _read_all(root, SOURCE_FILES)
        return cls(
            **{key: read_csv(data) for key, data in raw.items()},
            evidence=Evidence.read(evidence_dir),
            sha256={key: hashlib.sha256(data).hexdigest() for key, data in sorted(raw.items())},
        )
