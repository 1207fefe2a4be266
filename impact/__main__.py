"""`python -m impact` runs the command line."""

from impact.cli import main

main()
