"""Entry point for ``python -m perkamo_guard``."""

from perkamo_guard.cli import main

main()
