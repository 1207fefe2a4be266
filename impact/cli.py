"""The `impact` command: argument parsing and messages only; the work is in the library."""

from __future__ import annotations

import codecs
import ctypes
import gc
import os
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import pyarrow as pa
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from impact.errors import ImpactError, ImpactWarning
from impact.publish import check_target
from impact.reference import load_reference
from impact.resolve import lookup_place
from impact.safe_text import visible_controls
from impact.schemas import SCOPES

INTERNAL_ERROR_EXIT = 3
# glibc mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3

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
    sheet: Annotated[
        str | None,
        typer.Option(help="Excel sheet to read: its name, or its number counting from 0."),
    ] = None,
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
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="The report's 'today' (YYYY-MM-DD): later events are flagged."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Replace an existing report folder (only an earlier report).")
    ] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Write a report folder for EVENTS: impacts.csv, summary.csv, charts, report.md …

    Example: impact report events.csv --scope town --out reports/november
    """
    if scope not in SCOPES:
        raise typer.BadParameter(f"scope must be one of {', '.join(SCOPES)}", param_hint="--scope")
    if dayfirst and monthfirst:
        raise typer.BadParameter("give --dayfirst or --monthfirst, not both")
    _check_encoding(encoding)
    order = True if dayfirst else (False if monthfirst else None)
    with _handled(debug), _progress(quiet) as step:
        _without_hypothesis()
        _reuse_freed_memory()
        from impact.pipeline import run
        from impact.render import headline
        from impact.report import EarlyCharts, write_report

        if out_dir is not None:
            check_target(out_dir, inputs=events or [], force=force)
        step("loading reference data")
        package = load_reference(reference)
        with EarlyCharts(package) as charts:
            result = run(
                events or None,
                reference=package,
                assumptions=assumptions,
                scope=scope,
                dayfirst=order,
                sheet=_sheet(sheet),
                encoding=encoding,
                since=_iso(since, "--since"),
                until=_iso(until, "--until"),
                actors=actors,
                on_step=step,
                as_of=_iso(as_of, "--as-of"),
            )
            folder = write_report(
                result,
                out_dir,
                force=force,
                hxl=hxl,
                include_facility_locations=include_facility_locations,
                on_step=step,
                charts=charts,
            )
    gc.freeze()  # the process ends here: a last collection at exit would find nothing to free
    out.print(f"Report written to [bold]{_shown(folder)}[/bold]")
    rows = result.reconciliation
    out.print(
        f"Rows read {rows['input']:,}: used {rows['used']:,}, rejected {rows['rejected']:,} "
        f"(see rejected.csv), skipped by rule {rows['skipped']:,}"
    )
    out.print(headline(result))
    out.print(result.headline_by_side)
    if not result.rejected.empty:
        reasons = result.rejected["reason"].value_counts().sort_index()
        err.print("Rejected rows by reason: " + ", ".join(f"{k} {v:,}" for k, v in reasons.items()))
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
    shown = Table(title=f"Candidates for {_shown(repr(name))}", caption=_shown(found.decision))
    for column in table.columns:
        shown.add_column(_shown(column.replace("_", " ")), no_wrap=column in ("pcode", "level"))
    for row in table.itertuples(index=False):
        shown.add_row(*["" if pd.isna(value) else _shown(value) for value in row])
    out.print(shown)


@app.command()
def extract(
    articles: Annotated[
        list[Path], typer.Argument(help="News reports: text, Markdown or HTML files; - for stdin.")
    ],
    published: Annotated[
        str | None, typer.Option(help="Publication date (YYYY-MM-DD) for relative dates.")
    ] = None,
    out_file: Annotated[Path, typer.Option("--out", help="Draft events CSV.")] = Path("drafts.csv"),
    reference: ReferenceOpt = None,
    force: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Draft control-change events from news reports, each with its evidence sentence.

    Example: impact extract report.txt --published 2023-11-08 && impact report drafts.csv
    """
    with _handled(debug):
        from impact.extract import extract_files, write_drafts

        drafts = extract_files(articles, _iso(published, "--published"), reference=reference)
        written = write_drafts(drafts, out_file, force=force)
    review = int(drafts["needs_review"].sum()) if len(drafts) else 0
    out.print(
        f"{len(drafts)} draft events ({review} to review) written to [bold]{_shown(written)}[/bold]"
    )


def _reuse_freed_memory() -> None:
    """Let glibc and Arrow keep freed memory for reuse instead of handing it back at once.

    A large run builds and drops many column-sized arrays. By default glibc maps each block
    over 128 KB afresh and unmaps it when freed, so the next one pays page faults again (a
    third of a million-row run went to the kernel); only where the C library has `mallopt`
    (glibc). Arrow's default allocator in pyarrow's wheels (mimalloc) hands freed pages back
    within milliseconds, each time stopping the other core to forget them; its jemalloc
    keeps them for a second: 100,000 events 0.7 s faster and 170 MB lighter, a million 2 s
    and 200 MB. Where a wheel has no jemalloc, or the user chose a pool
    (`ARROW_DEFAULT_MEMORY_POOL`), Arrow's choice stays.
    """
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        with suppress(NotImplementedError):
            pa.set_memory_pool(pa.jemalloc_memory_pool())
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, 32 * 2**20)
    mallopt(M_TRIM_THRESHOLD, 2**31 - 1)


def _without_hypothesis() -> None:
    """Load pandera's checks without `hypothesis` (a test library that pandera imports when it
    is installed, for data synthesis the command never uses): a run starts faster."""
    if "hypothesis" in sys.modules:
        return
    sys.modules["hypothesis"] = None  # type: ignore[assignment]  # import fails: skipped
    try:
        import pandera.backends.pandas.builtin_checks  # noqa: F401
    finally:
        del sys.modules["hypothesis"]


def _shown(value: object) -> str:
    """Text from input or paths, printable as it is: no rich markup, no control characters."""
    return escape(visible_controls(str(value)))


def _sheet(text: str | None) -> str | int:
    if text is None:
        return 0
    return int(text) if text.isascii() and text.isdigit() else text


def _check_encoding(name: str | None) -> None:
    """An encoding Python does not know is a usage problem, not a problem of the file."""
    if name is None:
        return
    try:
        codecs.lookup(name)
    except LookupError as error:
        raise typer.BadParameter(
            f"unknown text encoding {name!r}; try utf-8, utf-16, cp1252 or latin-1",
            param_hint="--encoding",
        ) from error


def _iso(text: str | None, option: str) -> str | None:
    if text is None:
        return None
    try:  # ISO only: 08/11/2023 would be read month first without a word
        return date.fromisoformat(text.strip()).isoformat()
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


@contextmanager
def _handled(debug: bool) -> Iterator[None]:
    """One line per problem, never a traceback (unless --debug), and the right exit code.

    An ImpactError gives its message and exit code (1 data, 2 usage); any other exception is a
    bug: one line pointing to a log file with the traceback, exit code 3. Notes the library
    raised as ImpactWarning (e.g. a hidden sheet skipped) are printed as notes.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ImpactWarning)
        try:
            yield
        except ImpactError as error:
            if debug:
                err.print(escape("".join(traceback.format_exception(error))))
            err.print(f"[red]error:[/red] {_shown(error)}", highlight=False, soft_wrap=True)
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise
        except Exception as error:
            if debug:
                raise
            log = _internal_error_log(error)
            err.print(
                f"[red]internal error[/red] ({type(error).__name__}): this is a bug in impact, "
                f"please report it; details in {_shown(log)}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(INTERNAL_ERROR_EXIT) from None
        finally:
            for note in caught:
                if issubclass(note.category, ImpactWarning):
                    err.print(f"note: {_shown(note.message)}", highlight=False, soft_wrap=True)


def _internal_error_log(error: BaseException) -> Path:
    """Write the traceback to a log file in the temporary folder and return its path."""
    folder = Path(tempfile.gettempdir()) / "impact-logs"
    folder.mkdir(exist_ok=True)
    log = folder / f"internal-error-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(error))
    log.write_text(text.encode("utf-8", "backslashreplace").decode("utf-8"), encoding="utf-8")
    return log


@app.callback()
def main_callback() -> None:
    """Estimate the people, households and services in places that changed control.

    Example: impact report            (the bundled Myanmar events)
             impact report events.csv --out reports/november
    """


def main() -> None:
    # What the imports made lives until exit: no collection needs to walk it again.
    gc.freeze()
    app()
