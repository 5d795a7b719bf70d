"""Pinned outputs: the README's rule table, demo output and scope report, the demo's JSON.

Run ``python -m tests.pins`` after a deliberate change to rewrite them; the
tests in test_readme.py and test_demo.py compare against what this makes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from perkamo_guard.catalogue import load_catalogue

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DEMO = "examples/leaky-shop"
DEMO_JSON = REPO / "tests" / "fixtures" / "leaky-shop.json"
DEMO_SCOPES_JSON = REPO / "tests" / "fixtures" / "leaky-shop-scopes.json"


def rules_table() -> str:
    rows = ["| code | name | severity | summary |", "|---|---|---|---|"]
    for rule in load_catalogue().values():
        rows.append(f"| {rule.code} | {rule.name} | {rule.severity} | {rule.summary} |")
    return "\n".join(rows)


def demo_output(output_format: str = "text") -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "perkamo_guard", "check", DEMO, "--format", output_format,
         "--no-color"],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", check=False,
    )
    return proc.stdout


def scopes_output(output_format: str = "text") -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "perkamo_guard", "scopes", DEMO, "--format", output_format],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", check=False,
    )
    return proc.stdout


def scopes_block() -> str:
    return "```text\n" + scopes_output() + "```\n"


def readme_block(name: str, text: str | None = None) -> str:
    """Return the README's ``name`` block, or rewrite it with ``text``."""
    pattern = re.compile(rf"(<!-- {name}:start -->\n)(.*?)(<!-- {name}:end -->)", re.DOTALL)
    readme = README.read_text(encoding="utf-8")
    match = pattern.search(readme)
    if match is None:
        raise LookupError(f"README.md has no {name} block")
    if text is not None:
        README.write_text(readme[: match.start(2)] + text + readme[match.end(2):],
                          encoding="utf-8")
    return match.group(2)


def demo_block() -> str:
    return "```text\n" + demo_output() + "```\n"


def main() -> None:
    readme_block("rules-table", rules_table() + "\n")
    readme_block("demo-output", demo_block())
    DEMO_JSON.write_text(demo_output("json"), encoding="utf-8")
    readme_block("scopes-output", scopes_block())
    DEMO_SCOPES_JSON.write_text(scopes_output("json"), encoding="utf-8")


if __name__ == "__main__":
    main()
