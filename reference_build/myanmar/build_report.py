"""`build_report.md`: what the build decided, its checks, and the source rows it left out."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class BuildReport:
    """Lines the build states as it goes, and the source rows it left out with their reason."""

    lines: list[str] = field(default_factory=list)
    unplaced: list[pd.DataFrame] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)

    def section(self, title: str, lines: list[str]) -> None:
        """A titled block (a table, say) written after the stated lines."""
        self.sections.append((title, lines))

    def markdown(self) -> str:
        """The report as Markdown, lines in the order the build stated them."""
        unplaced = pd.concat(self.unplaced, ignore_index=True)
        text = [
            "# Build report: Myanmar reference data",
            "",
            "Written by `python -m reference_build.myanmar`; do not edit by hand.",
            "",
            *[f"* {line}" for line in self.lines],
            "",
            *[part for title, lines in self.sections for part in (f"## {title}", "", *lines, "")],
            f"## Source rows not placed ({len(unplaced):,})",
            "",
            "| table | township | name | population | reason |",
            "|---|---|---|---|---|",
            *[
                f"| {r.table} | {r.township} | {r.name} | "
                f"{'' if pd.isna(r.population) else r.population} | {r.reason} |"
                for r in unplaced.itertuples()
            ],
            "",
        ]
        return "\n".join(text)


def check_totals(places: pd.DataFrame, report: BuildReport) -> None:
    """State the Union totals and how far keyed ward/VT sums meet the urban/rural totals."""
    townships = places[places["level"] == "township"]
    report.say(
        f"Township population sum: {int(townships['population'].sum()):,} "
        f"(2014 enumerated total 50,279,900); households "
        f"{int(townships['households'].sum()):,} (10,877,832)."
    )
    units = places[places["level"].isin(["ward", "village_tract"])]
    sums = units.groupby(["township_pcode", "level"])["population"].sum(min_count=1).unstack()
    figures = townships.set_index("pcode").reindex(sums.index)
    wards_equal = sums["ward"] == figures["urban_population"]
    vts_equal = sums["village_tract"] == figures["rural_population"]
    with_figures = sums.notna().any(axis=1)
    report.say(
        f"Townships with ward/VT census figures: {int(with_figures.sum())}. Their keyed wards "
        f"sum exactly to the urban population in {int(wards_equal.sum())}, their village "
        f"tracts to the rural population in {int(vts_equal.sum())}, both in "
        f"{int((wards_equal & vts_equal).sum())} "
        f"({(wards_equal & vts_equal).sum() / max(int(with_figures.sum()), 1):.0%})."
    )
