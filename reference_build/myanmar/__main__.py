"""`python -m reference_build.myanmar SOURCES_DIR [--out DIR]`: build the Myanmar package."""

from __future__ import annotations

import argparse
from pathlib import Path

from reference_build.errors import BuildError
from reference_build.myanmar.build import build


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, build, print what the build stated; 1 when the build cannot run."""
    parser = argparse.ArgumentParser(
        prog="python -m reference_build.myanmar",
        description="Build reference_data/myanmar/ from the public source files.",
    )
    parser.add_argument("sources", type=Path, help="folder holding the public source files")
    parser.add_argument("--out", type=Path, default=Path("reference_data/myanmar"))
    args = parser.parse_args(argv)
    try:
        report = build(args.sources, args.out)
    except BuildError as error:
        parser.exit(1, f"error: {error}\n")
    print("\n".join(report.lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
