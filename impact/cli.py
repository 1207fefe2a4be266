"""The `impact` command: argument parsing and messages only; the work is in the library."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from impact.errors import ImpactError
from impact.pipeline import run
from impact.reference import load_reference
from impact.render import headline
from impact.report import write_report
from impact.resolve import lookup_place
from impact.schemas import SCOPES

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help=(
        "Estimate the people, households and services in places that changed control.\n\n"
        "Example: impact report events.csv"
    ),
)
err = Console(stderr=True)
out = Console()

EventsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Event files (CSV or XLSX). Default: the bundled Myanmar seed events.",
        show_default=False,
    ),
]
ReferenceOpt = Annotated[
    Path | None,
    typer.Option("--reference", help="Reference data folder. Default: bundled Myanmar package."),
]


@app.command()
def report(
    events: EventsArg = None,
    reference: ReferenceOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Report folder. Default: reports/<input>-<date>.")
    ] = None,
    scope: Annotated[str, typer.Option(help="Headline population: area or town.")] = "area",
    assumptions: Annotated[
        Path | None, typer.Option(help="TOML file overriding default assumptions.")
    ] = None,
    dayfirst: Annotated[bool, typer.Option(help="Read 07/11/2023 as 7 November.")] = False,
    monthfirst: Annotated[bool, typer.Option(help="Read 07/11/2023 as 11 July.")] = False,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet to read (name or number).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding of CSV files.")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 if any row is rejected.")] = False,
    hxl: Annotated[bool, typer.Option(help="Add an HXL hashtag row to the CSVs.")] = False,
    include_facility_locations: Annotated[
        bool, typer.Option(help="Also write hospital coordinates (sensitive in conflict areas).")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress display.")] = False,
    since: Annotated[str | None, typer.Option(help="First day of the period (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day of the period (YYYY-MM-DD).")] = None,
    actors: Annotated[
        Path | None,
        typer.Option(help="Actors CSV overriding or extending the country's actors table."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing report folder.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Write a report folder for EVENTS: impacts.csv, summary.csv, charts, report.md …

    Example: impact report events.csv --scope town --out reports/november
    """
    if scope not in SCOPES:
        raise typer.BadParameter(f"scope must be one of {', '.join(SCOPES)}", param_hint="--scope")
    if dayfirst and monthfirst:
        raise typer.BadParameter("give --dayfirst or --monthfirst, not both")
    order = True if dayfirst else (False if monthfirst else None)
    with _handled(debug), _progress(quiet) as step:
        result = run(
            events or None,
            reference=reference,
            assumptions=assumptions,
            scope=scope,
            dayfirst=order,
            sheet=_sheet(sheet),
            encoding=encoding,
            since=_iso(since, "--since"),
            until=_iso(until, "--until"),
            actors=actors,
            on_step=step,
        )
        folder = write_report(
            result,
            out_dir,
            force=force,
            hxl=hxl,
            include_facility_locations=include_facility_locations,
            on_step=step,
        )
    out.print(f"Report written to [bold]{folder}[/bold]")
    rows = result.reconciliation
    out.print(
        f"Rows read {rows['input']}: used {rows['used']}, rejected {rows['rejected']} "
        f"(see rejected.csv), skipped by rule {rows['skipped']}"
    )
    out.print(headline(result))
    out.print(result.headline_by_side)
    if not result.rejected.empty:
        reasons = result.rejected["reason"].value_counts().sort_index()
        err.print("Rejected rows by reason: " + ", ".join(f"{k} {v}" for k, v in reasons.items()))
        if strict:
            err.print("[red]--strict:[/red] rows were rejected; the report was written anyway")
            raise typer.Exit(1)


@app.command()
def places(
    name: Annotated[str, typer.Argument(help="Place name or P-code, as written in an event.")],
    township: Annotated[str | None, typer.Option(help="Township hint (name or P-code).")] = None,
    district: Annotated[str | None, typer.Option(help="District hint.")] = None,
    region: Annotated[str | None, typer.Option(help="State/region hint.")] = None,
    reference: ReferenceOpt = None,
    limit: Annotated[int, typer.Option(help="How many candidates to show.")] = 10,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Show the candidate places for NAME and which one a report would take.

    Example: impact places "Kham Pat" --township Tamu
    """
    with _handled(debug):
        found = lookup_place(
            name,
            load_reference(reference),
            township=township,
            district=district,
            region=region,
            limit=limit,
        )
    table = found.candidates
    shown = Table(title=f"Candidates for {name!r}", caption=found.decision)
    for column in table.columns:
        shown.add_column(column.replace("_", " "), no_wrap=column in ("pcode", "level"))
    for row in table.itertuples(index=False):
        shown.add_row(*["" if pd.isna(value) else str(value) for value in row])
    out.print(shown)


def _sheet(text: str | None) -> str | int:
    if text is None:
        return 0
    return int(text) if text.isdigit() else text


def _iso(text: str | None, option: str) -> str | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(text).strftime("%Y-%m-%d")
    except ValueError as error:
        raise typer.BadParameter(
            f"expected a date such as 2023-11-01, got {text!r}", param_hint=option
        ) from error


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the step being written; silent with --quiet."""
    if quiet:
        yield lambda _: None
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True
    ) as progress:
        task = progress.add_task("starting", total=None)
        yield lambda name: progress.update(task, description=name)


class _handled:
    """Turn an ImpactError into a one-line message and its exit code."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> bool:
        if isinstance(error, ImpactError):
            if self.debug:
                err.print("".join(traceback.format_exception(error)))
            err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(error.exit_code)
        return False


@app.callback()
def main_callback() -> None:
    """Estimate the people, households and services in places that changed control.

    Example: impact report            (the bundled Myanmar events)
             impact report events.csv --out reports/november
    """


def main() -> None:
    app()
