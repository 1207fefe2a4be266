"""Load a reference data package: the places, their other names and the sources behind them.

A package is a folder of CSVs (see `reference_data/myanmar/README.md` for the format), so an
analyst can bring another country's data by pointing `--reference` at such a folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pandera.pandas as pa

from impact.errors import ReferenceDataError
from impact.schemas import Place

if TYPE_CHECKING:
    from impact.gazetteer import Gazetteer
    from impact.geography import Geography

REQUIRED_TABLES = ("places", "sources")
TEXT_COLUMNS = (
    "pcode",
    "name",
    "level",
    "parent_pcode",
    "state_region_pcode",
    "district_pcode",
    "township_pcode",
    "area_pcode",
    "group_pcode",
    "member_pcode",
    "alias",
    "language",
    "kind",
    "source",
    "facility_id",
    "town_pcode",
    "village_pcode",
    "village_tract_pcode",
    "name_mm",
)
VILLAGE_COLUMNS = [
    "village_pcode",
    "name",
    "name_mm",
    "village_tract_pcode",
    "township_pcode",
    "lat",
    "lon",
    "source",
]


@dataclass(frozen=True)
class Reference:
    """The tables of one reference data package, validated."""

    places: pd.DataFrame
    aliases: pd.DataFrame
    memberships: pd.DataFrame
    facilities: pd.DataFrame
    sources: pd.DataFrame
    metadata: dict
    path: Path

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unversioned"))

    @property
    def census_date(self) -> pd.Timestamp:
        """The census night the package's figures describe (from its metadata.json)."""
        if "census_date" not in self.metadata:
            raise ReferenceDataError(
                "metadata.json gives no census_date (YYYY-MM-DD); the estimate projects from it",
                file=str(self.path / "metadata.json"),
            )
        return pd.Timestamp(self.metadata["census_date"])

    @cached_property
    def gazetteer(self) -> Gazetteer:
        """The name index of the package, built on first use and kept with it."""
        from impact.gazetteer import Gazetteer  # the index needs this module's Reference

        return Gazetteer(self)

    # cached_property stores into the instance __dict__, which a frozen dataclass allows:
    # the large tables are read on first use only, so loading a package stays fast.
    @cached_property
    def villages(self) -> pd.DataFrame:
        """Villages below village tracts (empty when the package has no `villages.csv`)."""
        return _read(self.path / "villages.csv", VILLAGE_COLUMNS)

    @cached_property
    def geography(self) -> Geography:
        """Township outlines and place points; built on first use (imports shapely then)."""
        from impact.geography import load_geography

        return load_geography(self.path, self.places, self.villages)


def bundled_folder(name: str) -> Path:
    """A data folder shipped with the package (`reference_data`, `seeds`).

    Installed, it is the subpackage `impact.<name>`; run from a source checkout without
    installing, it is the folder of that name beside `impact/`.
    """
    try:
        return Path(str(resources.files(f"impact.{name}")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[1] / name


def default_reference_path() -> Path:
    """The bundled Myanmar package, wherever the package is installed."""
    return bundled_folder("reference_data") / "myanmar"


def load_reference(path: str | Path | None = None) -> Reference:
    """Read and validate a reference data package (the bundled Myanmar one by default).

    Raises:
        ReferenceDataError: a required table is missing or a place row breaks the schema.
    """
    folder = Path(path) if path is not None else default_reference_path()
    for table in REQUIRED_TABLES:
        if not (folder / f"{table}.csv").exists():
            raise ReferenceDataError(
                f"reference data has no {table}.csv; a package needs "
                f"{', '.join(t + '.csv' for t in REQUIRED_TABLES)}",
                file=str(folder),
            )
    places = _validated_places(_read(folder / "places.csv"), folder / "places.csv")
    metadata_file = folder / "metadata.json"
    return Reference(
        places=places.set_index("pcode", drop=False).rename_axis(None),
        aliases=_read(folder / "aliases.csv", ["pcode", "alias", "language", "kind", "source"]),
        memberships=_read(folder / "memberships.csv", ["group_pcode", "member_pcode", "source"]),
        facilities=_read(
            folder / "facilities.csv",
            ["facility_id", "township_pcode", "town_pcode", "beds", "lat", "lon"],
        ),
        sources=_read(folder / "sources.csv"),
        metadata=json.loads(metadata_file.read_text()) if metadata_file.exists() else {},
        path=folder,
    )


def _read(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=columns or [])
    header = pd.read_csv(path, nrows=0).columns
    dtypes = {
        column: "string"
        for column in header
        if column in TEXT_COLUMNS or column.endswith("_source")
    }
    return pd.read_csv(path, dtype=dtypes, encoding="utf-8", low_memory=False)


def _validated_places(places: pd.DataFrame, path: Path) -> pd.DataFrame:
    try:
        places = Place.validate(places, lazy=True)
    except pa.errors.SchemaErrors as error:
        first = error.failure_cases.iloc[0]
        row = None if pd.isna(first["index"]) else int(first["index"]) + 2
        raise ReferenceDataError(
            f"{len(error.failure_cases)} problem(s); first: {first['check']} "
            f"(value {first['failure_case']!r})",
            file=str(path),
            row=row,
            column=first["column"],
        ) from error
    orphans = places["parent_pcode"].notna() & ~places["parent_pcode"].isin(places["pcode"])
    if orphans.any():
        row = int(orphans.to_numpy().argmax()) + 2
        raise ReferenceDataError(
            f"parent_pcode {places['parent_pcode'][orphans].iloc[0]} is not a place in the package",
            file=str(path),
            row=row,
            column="parent_pcode",
        )
    return places
