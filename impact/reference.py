"""Load a reference data package: the places, their other names and the sources behind them.

A package is a folder of CSVs (see `reference_data/myanmar/README.md` for the format), so an
analyst can bring another country's data by pointing `--reference` at such a folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.csv as arrow_csv
from pandas._libs.parsers import STR_NA_VALUES

from impact.errors import ReferenceDataError
from impact.names import folding_rules
from impact.package_cache import PackageCache, file_hashes
from impact.per_value import is_in
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
    "area_level",
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
    """The tables of one reference data package, validated.

    `places` holds one row per P-code; `areas` holds the units keyed by their seat town's
    P-code with another level (sub-townships with known members), indexed by that P-code.
    """

    places: pd.DataFrame
    areas: pd.DataFrame
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
        where = str(self.path / "metadata.json")
        text = str(self.metadata.get("census_date", ""))
        try:
            census = date.fromisoformat(text)
        except ValueError:
            raise ReferenceDataError(
                f"census_date must be a date such as 2014-03-29, got {text!r}; the estimate "
                "projects from it",
                file=where,
                column="census_date",
            ) from None
        if not date(1900, 1, 1) <= census <= date.today():
            raise ReferenceDataError(
                f"census_date {text} is in the future or before 1900", file=where
            )
        return pd.Timestamp(census)

    @cached_property
    def file_hashes(self) -> dict[str, str]:
        """SHA-256 of each data file of the package, by file name."""
        return file_hashes(self.path)

    @cached_property
    def cache(self) -> PackageCache:
        """Where the package's tables are kept once read (see `impact.package_cache`)."""
        return PackageCache.of(self.file_hashes)

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
        return self.cache.table("villages", lambda: _villages(self.path / "villages.csv"))

    @cached_property
    def geography(self) -> Geography:
        """Township outlines and place points; built on first use (imports shapely then)."""
        from impact.geography import load_geography

        return load_geography(self.township_outlines, self.places, self.villages)

    @cached_property
    def name_keys(self) -> pd.DataFrame | None:
        """Search keys of every name, indexed by text, as the package build stored them
        (`name_keys.csv`); None when absent or made by other folding rules than this
        version's, and the gazetteer then computes them."""
        path = self.path / "name_keys.csv"
        if self.metadata.get("name_key_rules") != folding_rules() or not path.exists():
            return None
        try:  # Keys such as "nan" are text: nothing in this file is read as missing.
            table = self.cache.table(f"name_keys-{folding_rules()}", lambda: _name_keys(path))
            return table.drop_duplicates("text").set_index("text")[["key", "fkey"]]
        except (ValueError, KeyError, UnicodeDecodeError, pd.errors.ParserError):
            return None  # only a cache: the keys are computed instead

    def lineage(self, codes: Iterable[str]) -> pd.DataFrame:
        """The rows of `places` for `codes` and for every unit above them: parent links are
        followed only as far as the codes lead, so a run's lookups are built from the units
        it names rather than from every place of the package."""
        places = self.places
        seen = np.zeros(len(places), dtype=bool)
        frontier = pd.Index(list(codes)).unique()
        while len(frontier):
            rows = places.index.get_indexer(frontier)
            rows = rows[rows >= 0]
            rows = rows[~seen[rows]]
            seen[rows] = True
            frontier = pd.Index(places["parent_pcode"].iloc[rows].dropna().unique())
        return places[seen]

    @cached_property
    def township_outlines(self) -> pd.DataFrame:
        """Township outlines (`townships.geojson`; empty when the package ships none), read
        once for resolution, the map and the GeoJSON outputs."""
        from impact.geography import TOWNSHIP_OUTLINES, read_outlines

        return self.cache.table(
            "township_outlines", lambda: read_outlines(self.path / TOWNSHIP_OUTLINES)
        )

    @cached_property
    def township_outline_geojson(self) -> pd.DataFrame:
        """Each township outline as GeoJSON text (`pcode`, `geojson`), for control.geojson:
        written once per package, not once per run."""
        from impact.geography import outline_geojson

        return self.cache.table(
            "township_outline_geojson", lambda: outline_geojson(self.township_outlines)
        )

    @cached_property
    def state_outlines(self) -> pd.DataFrame:
        """State/region outlines (`states_regions.geojson`; empty when absent), for the map."""
        from impact.geography import STATE_OUTLINES, read_outlines

        return self.cache.table("state_outlines", lambda: read_outlines(self.path / STATE_OUTLINES))

    @cached_property
    def township_areas(self) -> pd.DataFrame:
        """`area_km2` and its source per township P-code, from the township outlines file."""
        from impact.services import township_areas

        return self.cache.table(
            "township_areas", lambda: township_areas(self.path / "townships.geojson")
        )


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
        ReferenceDataError: the folder or a required table is missing, a table is empty,
            not UTF-8, not CSV or lacks a column, metadata.json is not a JSON object, or a
            place row breaks the schema; the message names the file and column.
    """
    folder = Path(path) if path is not None else default_reference_path()
    if not folder.is_dir():
        raise ReferenceDataError(
            "no such reference data folder; --reference takes a package folder holding "
            "places.csv and sources.csv",
            file=str(folder),
        )
    for table in REQUIRED_TABLES:
        if not (folder / f"{table}.csv").is_file():
            raise ReferenceDataError(
                f"reference data has no {table}.csv; a package needs "
                f"{', '.join(t + '.csv' for t in REQUIRED_TABLES)}",
                file=str(folder),
            )
    try:
        hashes: dict[str, str] | None = file_hashes(folder)
    except OSError:  # a file that cannot be read is reported by the table that needs it
        hashes = None
    cache = PackageCache.of(hashes) if hashes is not None else PackageCache(None)
    places = cache.table(
        "places", lambda: _validated_places(_read(folder / "places.csv"), folder / "places.csv")
    )
    seated = _seated_areas(places, folder / "places.csv")
    reference = Reference(
        places=places[~seated].set_index("pcode", drop=False).rename_axis(None),
        areas=places[seated].set_index("pcode", drop=False).rename_axis(None),
        aliases=cache.table(
            "aliases",
            lambda: _read(folder / "aliases.csv", ["pcode", "alias", "language", "kind", "source"]),
        ),
        memberships=cache.table(
            "memberships",
            lambda: _read(folder / "memberships.csv", ["group_pcode", "member_pcode", "source"]),
        ),
        facilities=cache.table(
            "facilities",
            lambda: _read(
                folder / "facilities.csv",
                ["facility_id", "township_pcode", "town_pcode", "beds", "lat", "lon"],
            ),
        ),
        sources=cache.table(
            "sources", lambda: _read(folder / "sources.csv", REQUIRED_COLUMNS["sources"])
        ),
        metadata=_metadata(folder / "metadata.json"),
        path=folder,
    )
    # What the lazy tables below would work out again: kept with the package as it is.
    reference.__dict__.update(cache=cache, **({"file_hashes": hashes} if hashes else {}))
    return reference


# Columns holding the P-code a row belongs to: never blank.
LINK_COLUMNS = {"aliases": ["pcode"], "memberships": ["group_pcode", "member_pcode"]}
# Columns each table must have (places.csv is checked by its schema).
REQUIRED_COLUMNS = {
    "aliases": ["pcode", "alias"],
    "memberships": ["group_pcode", "member_pcode"],
    "facilities": ["facility_id", "township_pcode", "town_pcode", "beds", "lat", "lon"],
    "sources": ["source", "title", "publisher", "date"],
}


def _metadata(path: Path) -> dict:
    """metadata.json as a dict ({} when absent); its census_date must be a date."""
    if not path.exists():
        return {}
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ReferenceDataError(f"is not valid UTF-8 JSON: {error}", file=str(path)) from None
    if not isinstance(metadata, dict):
        raise ReferenceDataError("must hold a JSON object ({...})", file=str(path))
    try:
        pd.Timestamp(metadata.get("census_date", "2014-03-29"))
    except (TypeError, ValueError):
        raise ReferenceDataError(
            f"census_date {metadata['census_date']!r} is not a date such as 2014-03-29",
            file=str(path),
            column="census_date",
        ) from None
    return metadata


def _read(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A package table as read; optional tables that are absent are empty with `columns`."""
    if not path.exists():
        return pd.DataFrame(columns=columns or [])
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8").columns
        dtypes = {
            column: "string"
            for column in header
            if column in TEXT_COLUMNS or column.endswith("_source")
        }
        table = pd.read_csv(path, dtype=dtypes, encoding="utf-8", low_memory=False)
    except UnicodeDecodeError:
        raise ReferenceDataError(
            "is not UTF-8 text; save it as UTF-8 CSV", file=str(path)
        ) from None
    except pd.errors.EmptyDataError:
        raise ReferenceDataError("is empty; expected a header and rows", file=str(path)) from None
    except (pd.errors.ParserError, ValueError, OSError) as error:
        raise ReferenceDataError(f"cannot be read as CSV: {error}", file=str(path)) from None
    required = REQUIRED_COLUMNS.get(path.stem, [])
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ReferenceDataError(
            f"has no {', '.join(missing)} column; expected {', '.join(required)}",
            file=str(path),
            column=missing[0],
        )
    _refuse_blank_links(table, path)
    return table


def _refuse_blank_links(table: pd.DataFrame, path: Path) -> None:
    """A row linking a name or a member to no P-code at all is a broken row, not an unknown
    place: refused with its row, as a place row breaking the schema is."""
    for column in LINK_COLUMNS.get(path.stem, []):
        blank = table[column].astype("string").str.strip().fillna("").eq("")
        if blank.any():
            raise ReferenceDataError(
                f"a row has no {column}; every row needs the P-code it belongs to",
                file=str(path),
                row=int(blank.to_numpy().argmax()) + 2,
                column=column,
            )


def _villages(path: Path) -> pd.DataFrame:
    table = _read_by_arrow(path, VILLAGE_COLUMNS)
    return table if table is not None else _read(path, VILLAGE_COLUMNS)


def _name_keys(path: Path) -> pd.DataFrame:
    table = _text_by_arrow(path, ["text", "key", "fkey"])
    if table is None:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return table


def _read_by_arrow(path: Path, columns: list[str]) -> pd.DataFrame | None:
    """`_read(path)` of a well-formed table whose header is `columns`, by Arrow's reader (a
    few times quicker on the large tables); None for any other file, which `_read` reads.

    Text columns are typed as `_read` types them, pandas' words for a missing value are
    missing, and a numeric column is taken only where Arrow finds the type pandas infers
    (int64 without gaps, else float64): any other file is left to pandas.
    """
    text = {c: arrow.large_string() for c in columns if c in TEXT_COLUMNS or c.endswith("_source")}
    options = arrow_csv.ConvertOptions(
        column_types=text, null_values=sorted(STR_NA_VALUES), strings_can_be_null=True
    )
    table = _arrow_table(path, options)
    if table is None or table.column_names != columns:
        return None
    for field in table.schema:
        numeric = field.type == arrow.float64() or (
            field.type == arrow.int64() and not table[field.name].null_count
        )
        if field.name not in text and not numeric:
            return None
    return table.to_pandas(types_mapper={arrow.large_string(): pd.StringDtype()}.get)


def _text_by_arrow(path: Path, columns: list[str]) -> pd.DataFrame | None:
    """`columns` of a CSV file whose every value is text (none missing), read by Arrow as
    `pd.read_csv(dtype=str, keep_default_na=False)` reads them; None when the file lacks
    one or repeats a column name (pandas then reads it)."""
    options = arrow_csv.ConvertOptions(
        column_types=dict.fromkeys(columns, arrow.large_string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
    )
    table = _arrow_table(path, options)
    names = [] if table is None else table.column_names
    if len(set(names)) != len(names) or not set(columns) <= set(names):
        return None
    return table.select(columns).to_pandas()


def _arrow_table(path: Path, options: arrow_csv.ConvertOptions) -> arrow.Table | None:
    """The CSV file read by Arrow (quoted newlines allowed), or None when Arrow cannot read it.

    In one thread: these files are read in a fiftieth of a second, and threads only add
    work on a machine whose other core is busy."""
    try:
        return arrow_csv.read_csv(
            path,
            read_options=arrow_csv.ReadOptions(use_threads=False),
            parse_options=arrow_csv.ParseOptions(newlines_in_values=True),
            convert_options=options,
        )
    except (arrow.ArrowInvalid, OSError):
        return None


def _seated_areas(places: pd.DataFrame, path: Path) -> pd.Series:
    """Rows keyed by their seat town's P-code (a sub-township beside its town); any other
    repeated P-code is an error."""
    repeated = places["pcode"].duplicated(keep=False)
    seated = repeated & places["level"].eq("sub_township")
    towns = places.loc[repeated & ~seated]
    wrong = ~towns["level"].eq("town") | ~towns["pcode"].isin(places.loc[seated, "pcode"])
    wrong = pd.concat([wrong, places.loc[seated, "pcode"].duplicated()])
    if wrong.any():
        row = int(wrong[wrong].index[0]) + 2
        raise ReferenceDataError(
            f"P-code {places['pcode'][wrong.index[wrong]].iloc[0]} is repeated; only one "
            "sub-township may share its seat town's P-code",
            file=str(path),
            row=row,
            column="pcode",
        )
    return seated


def _validated_places(places: pd.DataFrame, path: Path) -> pd.DataFrame:
    if places.empty:
        raise ReferenceDataError("has no place rows", file=str(path))
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
    orphans = places["parent_pcode"].notna() & ~is_in(places["parent_pcode"], places["pcode"])
    if orphans.any():
        row = int(orphans.to_numpy().argmax()) + 2
        raise ReferenceDataError(
            f"parent_pcode {places['parent_pcode'][orphans].iloc[0]} is not a place in the package",
            file=str(path),
            row=row,
            column="parent_pcode",
        )
    return places
