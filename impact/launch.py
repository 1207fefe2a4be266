"""The `impact` command's entry point: the command line imported with the collector paused,
and the process left without tearing down what it built.

Importing pandas, pandera and the package makes some 300,000 objects that live until the
process ends. Collections in the middle of that import walk them again and again and free next
to nothing (0.09 s of every run's start), so the command line is imported without them; the
command then keeps what the import made out of later collections (`cli.main`).

Once the command is done, everything it wrote is closed and its child processes waited for;
what is left is the interpreter freeing each of those objects and module one by one, which
the system does at once when the process ends (some 30 ms of a small report). So the process
ends with the command's status as soon as its output is flushed.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable


def main() -> None:
    leave(status_of(command))


def command() -> None:
    """The command line, run with what its import made already set aside (see above)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        from impact.cli import main as run_command
    finally:
        if collecting:
            gc.enable()
    run_command()


def status_of(run: Callable[[], object]) -> object:
    """What `run()` asked the process to exit with (as `SystemExit` carries it)."""
    try:
        run()
    except SystemExit as end:
        return end.code
    return None


def leave(status: object) -> None:
    """End the process with `status`, as `sys.exit(status)` would, without the teardown.

    When the output cannot be flushed (a closed pipe), the interpreter ends as usual and
    reports it as usual.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(status) from None
    if status is None or isinstance(status, int):
        os._exit((status or 0) & 0xFF)
    print(status, file=sys.stderr, flush=True)
    os._exit(1)
