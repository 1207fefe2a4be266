"""Build `reference_data/myanmar/` from the public source files in `shared/reference_sources/`.

Usage::

    python -m reference_build.myanmar SOURCES_DIR [--out reference_data/myanmar]

The sources are read, never copied: the output is the project's own tables (places, aliases,
memberships, facilities, sources) plus `build_report.md`, which lists every source row the build
could not place. Decisions that need evidence beyond the sources (which of two same-named wards
is whose, sub-township membership, figures quoted in the press) live in `myanmar_evidence/`, one
row per decision with its reasoning.
"""

from reference_build.myanmar.build import build

__all__ = ["build"]
