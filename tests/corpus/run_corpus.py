"""Real code: scan a pinned list of real packages and show every file error and finding.

Usage (from the repository root, with network access)::

    python tests/corpus/run_corpus.py            # every package
    python tests/corpus/run_corpus.py vue django # some of them

Packages are downloaded with their registries' own clients (``npm pack``,
``pip download --no-deps --only-binary :all:``, wheels because pip builds an
sdist's metadata by running its code) into ``tests/corpus/.cache/`` (git-ignored, and
skipped by our own walks and by pytest), unpacked there once, and scanned
with ``perkamo-guard check --format json``, one package at a time. Each
package's folder gets an empty ``.git`` so that it is a repository of its
own: our ``.gitignore``, which ignores the cache, must not hide its files.

The script prints, per package, the files scanned, each file error with its
message, and each finding with its place, rule, message and masked snippet,
then a table of totals; ``results.json`` in the cache keeps the lot. No
package code runs: npm scripts are ignored and no sdist is built.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parent / ".cache"
DOWNLOADS = CACHE / "downloads"
TREES = CACHE / "trees"

#: (registry, pinned spec): front-end bundles with source maps, component
#: libraries, Python web frameworks, and the code most like ours to mislead
#: the rules: Stripe SDKs (sk_ keys), analytics SDKs that POST /v1/identify
#: and /v1/batch with retries, and CORS libraries full of allowed origins.
PACKAGES: tuple[tuple[str, str], ...] = (
    ("npm", "react-dom@18.3.1"),
    ("npm", "vue@3.4.38"),
    ("npm", "@angular/core@18.2.0"),
    ("npm", "next@14.2.5"),
    ("npm", "chart.js@4.4.4"),
    ("npm", "lodash@4.17.21"),
    ("npm", "three@0.167.1"),
    ("npm", "antd@5.20.0"),
    ("npm", "@mui/material@5.16.7"),
    ("npm", "bootstrap@5.3.3"),
    ("npm", "svelte@4.2.18"),
    ("npm", "stripe@16.8.0"),
    ("npm", "@stripe/stripe-js@4.3.0"),
    ("npm", "@segment/analytics-node@2.1.2"),
    ("npm", "socket.io@4.7.5"),
    ("pypi", "django==5.0.8"),
    ("pypi", "flask==3.0.3"),
    ("pypi", "fastapi==0.112.0"),
    ("pypi", "starlette==0.38.2"),
    ("pypi", "requests==2.32.3"),
    ("pypi", "httpx==0.27.0"),
    ("pypi", "sqlalchemy==2.0.32"),
    ("pypi", "stripe==10.7.0"),
    ("pypi", "segment-analytics-python==2.3.2"),
    ("pypi", "django-cors-headers==4.4.0"),
    ("pypi", "flask-cors==4.0.1"),
)


@dataclass
class Outcome:
    """What one scan of one package gave."""

    package: str
    files_scanned: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int = 0
    seconds: float = 0.0
    crashed: str = ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scan only packages whose spec holds one")
    parser.add_argument("--fresh", action="store_true", help="unpack the packages again")
    args = parser.parse_args()
    chosen = [(registry, spec) for registry, spec in PACKAGES
              if not args.names or any(name in spec for name in args.names)]
    outcomes = [scan_package(registry, spec, args.fresh) for registry, spec in chosen]
    print_table(outcomes)
    (CACHE / "results.json").write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    return 1 if any(o.crashed for o in outcomes) else 0


def scan_package(registry: str, spec: str, fresh: bool) -> Outcome:
    """Download and unpack one package if need be, scan it, and print the outcome."""
    tree = TREES / spec.replace("/", "__")
    if fresh or not (tree / ".unpacked").exists():
        archive = download(registry, spec)
        unpack(archive, tree)
    outcome = scan(spec, tree)
    print_outcome(outcome)
    return outcome


def download(registry: str, spec: str) -> Path:
    """Fetch one package with its registry's client; return the archive."""
    target = DOWNLOADS / registry / spec.replace("/", "__")
    existing = sorted(target.glob("*")) if target.exists() else []
    if existing:
        return existing[0]
    target.mkdir(parents=True, exist_ok=True)
    if registry == "npm":
        command = ["npm", "pack", spec, "--pack-destination", str(target), "--silent",
                   "--ignore-scripts"]
    else:
        # NOTE: wheels, not sdists: pip runs an sdist's build backend (its
        # setup.py) just to read its metadata, and we run no package code.
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                   ":all:", "--quiet", "-d", str(target), spec]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"cannot download {spec}: {proc.stderr.strip()[-500:]}")
    return sorted(target.glob("*"))[0]


def unpack(archive: Path, tree: Path) -> None:
    """Unpack an archive into ``tree``, which becomes a repository of its own."""
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(tree)
    else:
        with tarfile.open(archive) as bundle:
            bundle.extractall(tree, filter="data")
    (tree / ".git").mkdir(exist_ok=True)
    (tree / ".unpacked").write_text(archive.name + "\n")


def scan(spec: str, tree: Path) -> Outcome:
    """Run the real command over one tree."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "perkamo_guard", "check", ".", "--format",
                           "json"], cwd=tree, capture_output=True, text=True, timeout=3600)
    outcome = Outcome(spec, exit_code=proc.returncode, seconds=time.monotonic() - started)
    if proc.returncode not in (0, 1):
        outcome.crashed = proc.stderr.strip()[-2000:]
        return outcome
    report = json.loads(proc.stdout)
    outcome.files_scanned = report["summary"]["files_scanned"]
    outcome.errors = report["errors"]
    outcome.findings = report["findings"]
    return outcome


def print_outcome(outcome: Outcome) -> None:
    print(f"== {outcome.package}: {outcome.files_scanned} files scanned, "
          f"{len(outcome.errors)} file errors, {len(outcome.findings)} findings "
          f"({outcome.seconds:.1f} s)")
    if outcome.crashed:
        print(f"   CRASH (exit {outcome.exit_code}): {outcome.crashed}")
    for error in outcome.errors:
        print(f"   file error  {error['path']}: {error['message']}")
    for finding in outcome.findings:
        print(f"   finding     {finding['path']}:{finding['line']}:{finding['column']}: "
              f"{finding['rule']} {finding['message']}")
        print(f"               {finding['snippet']}")


def print_table(outcomes: list[Outcome]) -> None:
    print()
    print(f"{'package':32} {'files':>7} {'errors':>7} {'findings':>9} {'seconds':>8}")
    for o in outcomes:
        print(f"{o.package:32} {o.files_scanned:7} {len(o.errors):7} {len(o.findings):9} "
              f"{o.seconds:8.1f}{'  CRASH' if o.crashed else ''}")
    print(f"{'total (' + str(len(outcomes)) + ' packages)':32} "
          f"{sum(o.files_scanned for o in outcomes):7} "
          f"{sum(len(o.errors) for o in outcomes):7} "
          f"{sum(len(o.findings) for o in outcomes):9} "
          f"{sum(o.seconds for o in outcomes):8.1f}")


if __name__ == "__main__":
    sys.exit(main())
