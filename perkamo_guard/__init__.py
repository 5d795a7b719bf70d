"""perkamo-guard: a static security linter for Perkamo API integrations."""

from __future__ import annotations

__version__ = "0.1.0"
