"""perkamo-guard: a static security linter for Perkamo API integrations."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
