"""`python -m impact` runs the command line."""

from impact.launch import main

main()
