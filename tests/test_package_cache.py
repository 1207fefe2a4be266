"""A package's tables kept for the next run: read back exactly, never stale, never in the way."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import shapely

from impact.reference import default_reference_path, load_reference

LAZY = ("villages", "name_keys", "township_outlines", "state_outlines", "township_areas")


def _tables(reference) -> dict[str, pd.DataFrame]:
    eager = ("places", "areas", "aliases", "memberships", "facilities", "sources")
    tables = {name: getattr(reference, name) for name in (*eager, *LAZY)}
    # The name index's tables are kept too; their P-codes are Python strings, as built.
    return tables | {
        "name_index": reference.gazetteer.names,
        "village_index": reference.gazetteer.villages,
    }


def _assert_same(first: pd.DataFrame, second: pd.DataFrame) -> None:
    if "geometry" in first.columns:
        assert list(shapely.to_wkb(first["geometry"].to_numpy())) == list(
            shapely.to_wkb(second["geometry"].to_numpy())
        )
        first, second = first.drop(columns="geometry"), second.drop(columns="geometry")
    pd.testing.assert_frame_equal(first, second, check_exact=True)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the bundled package that a test may edit."""
    return Path(shutil.copytree(default_reference_path(), tmp_path / "myanmar"))


def test_tables_read_from_the_cache_are_the_tables_read_from_the_files(cache_dir, monkeypatch):
    monkeypatch.setenv("IMPACT_CACHE_DIR", "")
    from_files = _tables(load_reference())
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(cache_dir))
    _tables(load_reference())  # the first run keeps them
    (entry,) = (cache_dir / "packages").iterdir()
    kept = {p.name.split(".")[0] for p in entry.iterdir()}
    assert kept >= {"places", "villages", "name_index", "village_index"}
    from_cache = _tables(load_reference())
    for name, table in from_files.items():
        _assert_same(table, from_cache[name])


def test_an_edited_file_is_read_again(cache_dir, package):
    before = load_reference(package)
    before.township_outlines  # noqa: B018
    text = (package / "places.csv").read_text(encoding="utf-8")
    khampat = before.places.loc["MMR005030703", "population"]
    (package / "places.csv").write_text(
        text.replace(f",{int(khampat)},", f",{int(khampat) + 1},", 1), encoding="utf-8"
    )
    after = load_reference(package)
    assert len(list((cache_dir / "packages").iterdir())) == 2
    assert after.places["population"].sum() == before.places["population"].sum() + 1


def test_a_cache_that_cannot_be_written_is_not_used(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(blocked / "cache"))
    reference = load_reference()
    assert len(reference.villages) > 0 and reference.cache.folder is not None


def test_an_empty_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_reference().villages  # noqa: B018
    assert not any(tmp_path.iterdir())


def _kept_file(cache_dir: Path, name: str) -> Path:
    (entry,) = (cache_dir / "packages").iterdir()
    (path,) = entry.glob(f"{name}.*.arrow")
    return path


def test_a_damaged_entry_is_read_again_and_rewritten(cache_dir):
    expected = load_reference().villages
    _kept_file(cache_dir, "villages").write_bytes(b"not arrow")
    pd.testing.assert_frame_equal(load_reference().villages, expected, check_exact=True)
    pd.testing.assert_frame_equal(load_reference().villages, expected, check_exact=True)
    assert _kept_file(cache_dir, "villages").read_bytes()[:6] == b"ARROW1"


def test_a_changed_byte_in_a_kept_file_is_never_read(cache_dir):
    """Arrow files carry no checksum: a flipped byte could read as another value, or crash
    the reader. The digest in the file's name is checked first."""
    expected = load_reference().places
    kept = _kept_file(cache_dir, "places")
    data = bytearray(kept.read_bytes())
    at = data.index(b"Khampat")
    data[at] = ord("X")
    kept.write_bytes(bytes(data))
    pd.testing.assert_frame_equal(load_reference().places, expected, check_exact=True)
    assert _kept_file(cache_dir, "places").read_bytes() != bytes(data)


def test_a_cache_folder_that_cannot_be_entered_is_not_used(cache_dir, monkeypatch):
    import impact.package_cache as package_cache

    load_reference().villages  # noqa: B018

    def refused(*_args, **_kwargs):
        raise PermissionError("search permission denied")

    monkeypatch.setattr(package_cache.Path, "glob", refused)
    assert len(load_reference().villages) > 0


def test_without_a_home_folder_the_cache_is_off(monkeypatch):
    from impact.package_cache import PackageCache, cache_root

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("IMPACT_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", no_home)
    assert cache_root() is None
    assert PackageCache.of({}).folder is None
    assert len(load_reference().places) > 0


def test_a_templates_folder_that_cannot_be_written_is_not_used(cache_dir, monkeypatch):
    import impact
    from impact import package_cache
    from impact.render import render_markdown

    result = impact.run(as_of="2023-12-31")
    expected = render_markdown(result)
    (cache_dir / "templates").mkdir(exist_ok=True)
    monkeypatch.setattr(package_cache.os, "access", lambda *_args: False)
    assert package_cache.templates_folder() is None
    assert render_markdown(result) == expected


def test_a_compiled_template_that_cannot_be_kept_is_compiled_again(cache_dir, monkeypatch):
    import impact
    from impact.render import render_markdown

    result = impact.run(as_of="2023-12-31")
    expected = render_markdown(result)

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("jinja2.bccache.FileSystemBytecodeCache.dump_bytecode", full)
    for kept in (cache_dir / "templates").iterdir():
        kept.unlink()
    assert render_markdown(result) == expected


def test_compiled_templates_are_kept_and_give_the_same_report(cache_dir):
    import impact
    from impact.render import render_markdown

    result = impact.run(as_of="2023-12-31")
    first = render_markdown(result)
    assert any((cache_dir / "templates").iterdir())
    assert render_markdown(result) == first


def test_only_the_latest_package_caches_are_kept_and_nothing_else_is_removed(cache_dir):
    from impact.package_cache import KEPT

    packages = cache_dir / "packages"
    older = [packages / f"{i:024x}" for i in range(KEPT + 2)]
    for age, folder in enumerate(older):
        folder.mkdir(parents=True)
        os.utime(folder, (1_000_000 + age, 1_000_000 + age))
    other = packages / "notes"
    other.mkdir()
    load_reference()  # keeps its tables in a new key's folder, then prunes
    left = {p.name for p in packages.iterdir()}
    assert "notes" in left
    assert {f.name for f in older[-(KEPT - 1) :]} <= left
    assert not {f.name for f in older[: -(KEPT - 1)]} & left
    assert len(left) == KEPT + 1
