"""Other spellings and scripts of each place, each with its source."""

from __future__ import annotations

import pandas as pd

from reference_build.myanmar.census import TOWNSHIP_SOURCE, WARD_VT_SOURCE
from reference_build.myanmar.pcodes import PCODE_SOURCE, active
from reference_build.myanmar.sources import Sources


def alias_table(src: Sources, places: pd.DataFrame, unit_figures: pd.DataFrame) -> pd.DataFrame:
    """Other spellings and scripts of each place, each with its source."""
    towns, wards, vts = active(src.towns), active(src.wards), active(src.village_tracts)
    census = src.census
    health = src.township_health
    township_names = places[places["level"] == "township"].set_index("pcode")["name"]
    parts = [
        _alias(towns["Town_Pcode"], towns["Town_Name_MMR"], "my", "burmese", PCODE_SOURCE),
        _alias(wards["Ward_Pcode"], wards["Ward_Name_MMR"], "my", "burmese", PCODE_SOURCE),
        _alias(vts["VT_Pcode"], vts["Village_Tract_Name_MMR"], "my", "burmese", PCODE_SOURCE),
        _alias(
            vts["VT_Pcode"],
            vts["Previous_Village_Tract_Name_Eng"],
            "en",
            "previous_name",
            PCODE_SOURCE,
        ),
        _alias(health["TS_PCODE"], health["TS_MM_NAME"], "my", "burmese", "gad_township_health"),
        _alias(health["SR_PCODE"], health["SR_MM_NAME"], "my", "burmese", "gad_township_health"),
        _alias(
            census["pcode_ts"],
            census["name_ts"].str.strip(),
            "en",
            "census_spelling",
            TOWNSHIP_SOURCE,
        ),
        _alias(
            unit_figures["pcode"],
            unit_figures["census_name"],
            "en",
            "census_spelling",
            WARD_VT_SOURCE,
        ),
        _alias(
            towns["Town_Pcode"],
            towns["Town_Name_Eng"].str.replace(r"\s+Town$", "", regex=True),
            "en",
            "without_suffix",
            PCODE_SOURCE,
        ),
        _alias(
            township_names.index.to_series(),
            township_names + " Township",
            "en",
            "with_suffix",
            PCODE_SOURCE,
        ),
    ]
    # Only a parenthesised word is another name; "No (1) Ward" holds a number, not a name.
    other = src.evidence.other_names
    parts.append(_alias(other["pcode"], other["alias"], "en", "other_name", other["source"]))
    parts += _parenthesised_aliases(places) + _subtownship_aliases(places, vts)
    table = pd.concat(parts).dropna(subset=["alias"])
    table["alias"] = table["alias"].str.strip()
    table = table[table["alias"] != ""]
    own = table["pcode"].map(places.set_index("pcode")["name"])
    table = table[(table["alias"] != own) & table["pcode"].isin(places["pcode"])]
    return table.drop_duplicates(["pcode", "alias"]).sort_values(["pcode", "alias"])


def _subtownship_aliases(places: pd.DataFrame, vts: pd.DataFrame) -> list[pd.DataFrame]:
    """'Khampat Sub-township' names the area of its seat town (the town's P-code); a P-code
    unit relabelled as a sub-township keeps its release name ('… Sub-township (Kokang SAZ)')."""
    seats = places[
        places["area_level"].eq("sub_township") & places["area_pcode"].eq(places["pcode"])
    ]
    names = seats["name"].str.replace(r"\s+Town$", "", regex=True) + " Sub-township"
    plain = names.str.replace(r"\s*\([^)]*\)", "", regex=True)
    units = places.loc[places["level"] == "sub_township", "pcode"]
    release = vts[vts["Tsp_Pcode"].isin(units)].drop_duplicates("Tsp_Pcode")
    return [
        _alias(seats["pcode"], names, "en", "sub_township", seats["area_level_source"]),
        _alias(seats["pcode"], plain, "en", "sub_township", seats["area_level_source"]),
        _alias(
            release["Tsp_Pcode"], release["Township_Name_Eng"], "en", "release_name", PCODE_SOURCE
        ),
    ]


def _parenthesised_aliases(places: pd.DataFrame) -> list[pd.DataFrame]:
    """'Pang Hseng (Kyu Koke) Town' is also 'Kyu Koke' and 'Pang Hseng Town'.

    Only a bracketed part that is a name counts: not a number ('No (11) Ward'), a direction
    ('(North)') or an administrative note ('(Kokang SAZ)'); numbered names keep no outer alias.
    """
    named = places[places["name"].str.contains(r"\(", na=False)]
    inner = named["name"].str.extractall(r"\(([^)]*)\)")[0].str.strip()
    inner = inner.droplevel("match")
    qualifier = inner.str.fullmatch(
        r"(?i)(north|south|east|west|upper|lower|middle|central|old|new|"
        r"[a-z ]*(sub-township|saz|sad|kokang)[a-z ]*)"
    )
    is_name = inner.str.contains(r"[A-Za-z]{3}") & ~inner.str.contains(r"\d") & ~qualifier
    inner = inner[is_name]
    numbered = named["name"].str.contains(r"\bNo\b|\d")
    plain = named[~numbered & named.index.isin(inner.index)]
    outer = plain["name"].str.replace(r"\s*\([^)]*\)\s*", " ", regex=True).str.strip()
    return [
        _alias(
            named.loc[inner.index, "pcode"],
            inner,
            "en",
            "parenthesised",
            named.loc[inner.index, "source"],
        ),
        _alias(plain["pcode"], outer, "en", "parenthesised", plain["source"]),
    ]


def _alias(
    pcode: pd.Series, alias: pd.Series, language: str, kind: str, source: str | pd.Series
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pcode": pcode.values,
            "alias": alias.values,
            "language": language,
            "kind": kind,
            "source": source if isinstance(source, str) else source.values,
        }
    )
