"""Run movebook as `python -m movebook`."""

from movebook.cli import main

main()
