"""Who the 2014 census did not count, placed as far down as the sources allow.

The reference package flags units of partly enumerated states with the state's share of people
not counted. Where the package has a township-level table (`census_coverage_townships.csv`,
copied by the build from its evidence), its share replaces the state's for every unit inside
that township, with the note saying on what it rests.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from impact.per_value import is_in
from impact.reference import Reference

COVERAGE_FILE = "census_coverage_townships.csv"
STATE_NOTE = "state partly not enumerated in 2014 (only a state figure exists)"


def coverage_file(reference: Reference) -> Path | None:
    """The package's township coverage table, when it has one."""
    path = reference.path / COVERAGE_FILE
    return path if path.exists() else None


def _read_coverage(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"township_pcode": "string", "band_note": "string"})
    return table.drop_duplicates("township_pcode").set_index("township_pcode")


def unit_coverage(units: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Share not enumerated, its basis and band note for each unit (rows of `places`).

    A unit inside a township (the township itself, its towns, wards, village tracts and
    sub-townships) takes the township's evidence row; any other unit keeps the package's share.
    """
    places = reference.places
    state_share = units["not_enumerated_share"].astype("float").fillna(0.0)
    flagged = state_share > 0
    out = pd.DataFrame(
        {
            "not_enumerated_share": state_share,
            "coverage_basis": pd.Series("state_only", index=units.index, dtype="string"),
            "coverage_note": pd.Series(STATE_NOTE, index=units.index, dtype="string"),
        }
    )
    out.loc[~flagged, ["coverage_basis", "coverage_note"]] = pd.NA
    path = coverage_file(reference)
    if path is None:
        return out
    evidence = _read_coverage(path)
    township = units["township_pcode"].where(units["level"] != "township", units["pcode"])
    known = is_in(township, evidence.index) & is_in(township, places.index)
    rows = evidence.reindex(township[known])
    out.loc[known, "not_enumerated_share"] = rows["not_enumerated_share"].to_numpy(float)
    out.loc[known, "coverage_basis"] = rows["coverage_basis"].to_numpy()
    out.loc[known, "coverage_note"] = rows["band_note"].to_numpy()
    return out
