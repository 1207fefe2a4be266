"""The `impact` command's entry point: the command line imported with the collector paused.

Importing pandas, pandera and the package makes some 300,000 objects that live until the
process ends. Collections in the middle of that import walk them again and again and free next
to nothing (0.09 s of every run's start), so the command line is imported without them; the
command then keeps what the import made out of later collections (`cli.main`).
"""

from __future__ import annotations

import gc


def main() -> None:
    collecting = gc.isenabled()
    gc.disable()
    try:
        from impact.cli import main as command
    finally:
        if collecting:
            gc.enable()
    command()
