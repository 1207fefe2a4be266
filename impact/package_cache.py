"""A reference package's tables kept, as read, in a cache folder for the next run.

Reading and checking a package's CSV and GeoJSON files costs a run about half a second, the
same every time. The first run that reads a table writes it as an Arrow file under
`<cache>/<key>/`; later runs map that file instead. The key is a hash of the package's bytes
and of the code and library versions that read them, so an edited file, a new release or
another pandas makes a new key and nothing stale is ever read. Each file's name carries the
CRC-32 of its bytes, checked before they are read, so a damaged file is never trusted: it is
dropped and the table read from the package again. (A checksum, not a hash: it guards against
damage, as in a zip or PNG file, and checks the 50 MB of a package's tables in a few
milliseconds where SHA-256 took 40.) The cache folder is `$IMPACT_CACHE_DIR`,
else `$XDG_CACHE_HOME/impact` or `~/.cache/impact`; an empty `IMPACT_CACHE_DIR` turns it off,
and a folder that cannot be found, entered or written is simply not used: a cache is never why
a run fails. The report's compiled templates are kept there too (`templates_folder`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from impact.compression import deflate

# Bump when what is stored changes shape; the code's own hash covers the rest.
FORMAT = "3"
# Files of a package whose bytes make the key.
PACKAGE_SUFFIXES = {".csv", ".json", ".geojson", ".toml"}
# Code whose rules decide what a table holds once read.
READERS = (
    "reference.py",
    "schemas.py",
    "geography.py",
    "services.py",
    "gazetteer.py",
    "names.py",
    "package_cache.py",
)
KEPT = 8
KEY_LENGTH = 24  # hex digits of a package's key
LIBRARIES = ("pandas", "pandera", "pyarrow", "shapely", "numpy")
GEOMETRY = "geometry"


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of each data file of a package, by file name."""
    return {
        path.name: file_sha256(path)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix in PACKAGE_SUFFIXES
    }


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in blocks: a large file is never held in memory."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class PackageCache:
    """The cached tables of one package, in its own folder under the cache root."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @classmethod
    def of(cls, hashes: dict[str, str]) -> PackageCache:
        """The cache of a package with these file hashes (a cache that keeps nothing when
        caching is off, or when the code that reads the package cannot be found to key it)."""
        root = cache_root()
        if root is None:
            return cls(None)
        try:
            return cls(root / "packages" / _key(hashes))
        except OSError:
            return cls(None)

    def table(self, name: str, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The table `name`: from the cache when there, else `read()`, then kept."""
        if self.folder is None:
            return read()
        kept = self._kept(name)
        if kept is not None:
            return kept
        table = read()
        self._keep(name, table)
        return table

    def _kept(self, name: str) -> pd.DataFrame | None:
        """The kept table, from a file whose bytes match the digest in its name; None when
        there is none, and a file that does not match is removed."""
        try:
            paths = sorted(self.folder.glob(f"{name}.*.arrow"))
        except OSError:
            return None
        for path in paths:
            table = _checked(path, path.name.removeprefix(f"{name}.").removesuffix(".arrow"))
            if table is not None:
                return table
            with contextlib.suppress(OSError):  # unmapped by now: Windows keeps a mapped file
                path.unlink(missing_ok=True)
        return None

    def _keep(self, name: str, table: pd.DataFrame) -> None:
        """Write the table beside its final name and move it there in one step (a run reading
        meanwhile sees the whole file or none); any failure leaves the cache without it."""
        part = self.folder / f"{name}.{os.getpid()}.part"
        try:
            sink = pa.BufferOutputStream()
            feather.write_feather(_to_arrow(table), sink, compression="uncompressed")
            data = sink.getvalue()
            self.folder.mkdir(parents=True, exist_ok=True)
            part.write_bytes(data)
            os.replace(part, self.folder / f"{name}.{_digest(data)}.arrow")
            _prune(self.folder.parent, keep=self.folder)
        except (OSError, pa.ArrowException, ValueError, TypeError):
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)


def _checked(path: Path, digest: str) -> pd.DataFrame | None:
    """The table kept in `path` if its bytes have `digest`, else None. The file is mapped,
    not copied: the table's text stays in its pages, which impact never changes in place."""
    try:
        data = pa.memory_map(str(path)).read_buffer()
        if _digest(data) != digest:
            return None
        return _from_arrow(feather.read_table(pa.BufferReader(data)))
    except Exception:  # whatever a kept file does, the package is read instead
        return None


def _digest(data: bytes | pa.Buffer) -> str:
    """The checksum a kept file's name carries."""
    return f"{deflate.crc32(data):08x}"


def cache_root() -> Path | None:
    """The cache folder, or None when caching is off or there is no home folder to keep it in
    (a user without a passwd entry and no `HOME`, as in some containers)."""
    chosen = os.environ.get("IMPACT_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError, OSError):
            return None
    return Path(base) / "impact"


def templates_folder() -> Path | None:
    """Where compiled report templates are kept, or None when caching is off or the folder
    cannot be made or written."""
    root = cache_root()
    if root is None:
        return None
    folder = root / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK | os.X_OK) else None


def _key(hashes: dict[str, str]) -> str:
    here = Path(__file__).parent
    parts = [FORMAT, *(f"{n}={h}" for n, h in sorted(hashes.items()))]
    parts += [file_sha256(here / name) for name in READERS]
    parts += [f"{lib}={_version(lib)}" for lib in LIBRARIES]
    parts.append(f"python={sys.version_info[0]}.{sys.version_info[1]}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:KEY_LENGTH]


def _is_key(name: str) -> bool:
    """Whether a folder's name is a package key: only those folders are ever pruned."""
    return len(name) == KEY_LENGTH and all(c in "0123456789abcdef" for c in name)


def _version(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "none"


def _to_arrow(table: pd.DataFrame) -> pa.Table:
    """The table with its geometry (if any) as WKB, the only column Arrow cannot hold."""
    if GEOMETRY in table.columns:
        import shapely

        table = table.assign(**{GEOMETRY: shapely.to_wkb(table[GEOMETRY].to_numpy())})
    return pa.Table.from_pandas(table)


def _from_arrow(stored: pa.Table) -> pd.DataFrame:
    """The table as it was kept: Arrow gives text back as pandas' text type, so a column
    that held Python objects is made one again."""
    table = stored.to_pandas()
    kept_as_objects = [
        column["name"]
        for column in (stored.schema.pandas_metadata or {}).get("columns", [])
        if column.get("numpy_type") == "object" and column["name"] in table.columns
    ]
    for name in kept_as_objects:
        if table[name].dtype != object:
            table[name] = table[name].astype(object)
    if GEOMETRY in table.columns:
        import shapely

        table[GEOMETRY] = shapely.from_wkb(table[GEOMETRY].to_numpy())
    return table


def _prune(root: Path, keep: Path) -> None:
    """Only the `KEPT` most recently written package caches stay."""
    entries = sorted(
        (p for p in root.iterdir() if p.is_dir() and p != keep and _is_key(p.name)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEPT - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
