"""The Myanmar build in order: sources to places, figures, aliases and the written package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from impact.names import name_keys
from reference_build.myanmar.aliases import alias_table
from reference_build.myanmar.build_report import BuildReport, check_totals
from reference_build.myanmar.census import (
    CENSUS_YEAR,
    WARD_VT_SOURCE,
    census_unit_rows,
    township_census,
)
from reference_build.myanmar.census_keying import key_census_units
from reference_build.myanmar.figures import (
    add_census_coverage,
    add_figures,
    add_public_figures,
    label_population_methods,
    sum_admin_levels,
)
from reference_build.myanmar.geo_report import geo_lines
from reference_build.myanmar.outlines import build_outlines
from reference_build.myanmar.package import places_table, write_package
from reference_build.myanmar.pcodes import (
    PCODE_SOURCE,
    account_for_units,
    admin_units,
    drop_orphans,
    repair_pcode_rows,
    settlement_units,
)
from reference_build.myanmar.places import (
    SUB_TOWNSHIP,
    add_hierarchy,
    add_subtownship_rows,
    add_unit_counts,
    label_subtownship_units,
)
from reference_build.myanmar.services import attach_hospitals, service_counts
from reference_build.myanmar.sources import EVIDENCE_DIR, Sources
from reference_build.myanmar.subtownship_seats import mark_seats
from reference_build.myanmar.towns import town_populations
from reference_build.myanmar.villages import build_villages


def assemble(src: Sources, report: BuildReport) -> dict[str, pd.DataFrame]:
    """Every table of the package, keyed by file name without `.csv`."""
    evidence = src.evidence
    repair_pcode_rows(src, report)
    admin = admin_units(src)
    units = settlement_units(src)
    places = drop_orphans(pd.concat([admin, units], ignore_index=True), report)
    account_for_units(src, places, report)
    census_rows = census_unit_rows(
        src, places[places["level"] == "township"], places[places["level"] == "town"], report
    )
    townships = township_census(src)
    unit_figures = key_census_units(
        census_rows, places, townships, evidence.ward_assignments, report
    )
    places = add_figures(places, townships)
    places = add_figures(
        places,
        unit_figures.drop(columns=["census_name", "method"]).assign(
            population_source=WARD_VT_SOURCE
        ),
    )
    places, _ = town_populations(
        places,
        src.towns,
        src.wards,
        src.village_tracts,
        evidence.city_townships,
        src.villages,
        report,
    )
    places = label_subtownship_units(places.reset_index(drop=True), report)
    places = add_hierarchy(places, evidence.seats)
    named = places.loc[places["level"] == SUB_TOWNSHIP, ["pcode", "name"]]
    places = mark_seats(places, src.postal_codes, evidence.subtownship_seats, named, report)
    hospitals = attach_hospitals(src, places, report)
    places = add_figures(places, service_counts(hospitals, src))
    places = add_unit_counts(places)
    places = sum_admin_levels(places)
    places = add_census_coverage(places, evidence.census_coverage)
    places = add_public_figures(places, evidence.public_figures)
    places = label_population_methods(places)
    places["population_year"] = np.where(places["population"].notna(), CENSUS_YEAR, pd.NA)
    places["location_source"] = np.where(places["lat"].notna(), PCODE_SOURCE, pd.NA)
    check_totals(places, report)
    aliases = alias_table(src, places, unit_figures)
    places, members = add_subtownship_rows(places, evidence.subtownships, report)
    return {
        "places": places_table(places),
        "aliases": aliases,
        "memberships": members.sort_values(["group_pcode", "member_pcode"]),
        "facilities": hospitals.sort_values("facility_id"),
        "sources": evidence.sources,
    }


def build(sources_dir: Path, out: Path) -> BuildReport:
    """Build the package from the public files in `sources_dir` into `out`.

    Raises:
        MissingSourcesError: a source or evidence file is absent.
    """
    src = Sources.read(sources_dir)
    report = BuildReport()
    tables = assemble(src, report)
    tables["villages"] = build_villages(sources_dir, tables["places"])
    tables["name_keys"] = name_keys(
        pd.concat(
            [tables["places"]["name"], tables["aliases"]["alias"], tables["villages"]["name"]]
        )
    )
    files = {name: text.encode() for name, text in build_outlines(sources_dir).items()}
    for curated in ("actors.csv", "census_coverage_townships.csv"):
        files[curated] = (EVIDENCE_DIR / curated).read_bytes()
    write_package(tables, files, src.sha256, out)
    for line in geo_lines(sources_dir, out, tables["places"], tables["villages"]):
        report.say(line)
    (out / "build_report.md").write_text(report.markdown())
    return report
