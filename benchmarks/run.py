"""Benchmark perkamo-guard against ripgrep and its peers on real corpora.

Usage (from the repository root, with perkamo-guard installed)::

    python benchmarks/run.py                 # everything, about 10 minutes
    python benchmarks/run.py --runs 3 --corpus frontend --no-peers

The first run downloads pinned packages into ``benchmarks/.corpora`` and
installs the peers there; later runs reuse them. Every tool runs several
times per target, the tools alternating, after one warm-up run each; the
tables give medians. See the "Performance" section of the README.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import corpora
import peers
import report
from hook import hook_files
from measure import CommandFailed, Series, run_once
from peers import Tool

ALL_CORPORA = ("frontend", "python-web", "monorepo", "build-output")
ALL_PEERS = ("semgrep", "secretlint", "detect-secrets")
#: The hook case copies its staged files from these.
HOOK_CORPORA = ("frontend", "python-web", "monorepo")
#: detect-secrets scans about 1 MB/s: it gets every n-th file of a corpus.
DETECT_SECRETS_EVERY = 20


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    needed = [*args.corpus, *(HOOK_CORPORA if args.hook else ())]
    built = corpora.build_all(dict.fromkeys(needed), copies=4 if args.scaling else 0)
    tools, missing = _tools(args)
    results: dict[str, object] = {"machine": machine(), "command": " ".join(sys.argv),
                                  "missing": missing, "corpora": {}, "scaling": [], "hook": []}
    for name in args.corpus:
        corpus = built[name]
        _log(f"corpus {name}: {corpus.files} files, {corpus.size / 1e6:.1f} MB")
        results["corpora"][name] = {  # type: ignore[index]
            "files": corpus.files, "bytes": corpus.size,
            "series": [asdict(s) for s in bench_corpus(corpus, tools, args.runs)],
        }
    if args.scaling and "frontend" in built:
        results["scaling"] = [asdict(s) for s in bench_scaling(args.runs)]
    if args.hook:
        results["hook"] = [asdict(s) for s in bench_hook(tools, args.hook_runs)]
    out = corpora.CACHE / "results.json"
    out.write_text(json.dumps(results, indent=1))
    print(report.markdown(results))
    _log(f"raw results: {out}")
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool and target")
    parser.add_argument("--hook-runs", type=int, default=15, help="timed runs of the hook")
    parser.add_argument("--corpus", action="append", choices=ALL_CORPORA,
                        help="corpus to run (repeatable; default: all)")
    parser.add_argument("--peer", action="append", choices=ALL_PEERS,
                        help="peer to run (repeatable; default: all)")
    parser.add_argument("--no-peers", action="store_true", help="only perkamo-guard and ripgrep")
    parser.add_argument("--no-scaling", dest="scaling", action="store_false")
    parser.add_argument("--no-hook", dest="hook", action="store_false")
    args = parser.parse_args(argv)
    args.corpus = args.corpus or list(ALL_CORPORA)
    args.peer = [] if args.no_peers else (args.peer or list(ALL_PEERS))
    return args


def _tools(args: argparse.Namespace) -> tuple[list[Tool], dict[str, str]]:
    """perkamo-guard, ripgrep and the chosen peers; what is missing, and why."""
    found: list[Tool] = [peers.perkamo_guard()]
    missing: dict[str, str] = {}
    makers = {"ripgrep": peers.ripgrep, "semgrep": peers.semgrep,
              "secretlint": peers.secretlint, "detect-secrets": peers.detect_secrets}
    for name in ["ripgrep", *args.peer]:
        _log(f"preparing {name}")
        tool = makers[name]()
        if isinstance(tool, Tool):
            found.append(tool)
        else:
            missing[name] = tool
            _log(f"{name}: {tool}")
    return found, missing


#: Runs of the tools that take a fraction of a second, for each run of the
#: others: their medians would otherwise rest on five samples of a noisy
#: 100 ms, against peers' medians of five samples of seconds.
FAST_RUNS = 3


def bench_corpus(corpus: corpora.Corpus, tools: list[Tool], runs: int) -> list[Series]:
    """Run every tool on one corpus, alternating, and keep every sample."""
    targets = {tool.name: _target(corpus, tool) for tool in tools}
    series = {t.name: Series(t.name, corpus.name, note=targets[t.name][1]) for t in tools}
    for round_ in range(runs * FAST_RUNS + 1):
        for tool in tools:
            fast = tool.name in ("perkamo-guard", "ripgrep")
            if (tool.name == "detect-secrets" and round_ > 3) or (not fast and round_ > runs):
                continue
            paths, _ = targets[tool.name]
            _measure(tool, paths, corpus.root, series[tool.name], warm_up=round_ == 0)
    return list(series.values())


def _target(corpus: corpora.Corpus, tool: Tool) -> tuple[list[str], str]:
    """What a tool scans: the corpus, or a sample for the slowest peer."""
    if tool.name != "detect-secrets":
        return ["."], ""
    files = sorted(p for p in corpora.files_of(corpus.root))
    sample = files[::DETECT_SECRETS_EVERY]
    size = sum(p.stat().st_size for p in sample)
    note = (f"every {DETECT_SECRETS_EVERY}th file ({len(sample)} files, {size / 1e6:.1f} MB); "
            f"scale ×{corpus.size / size:.1f}")
    return [str(p.relative_to(corpus.root)) for p in sample], note


def bench_scaling(runs: int) -> list[Series]:
    """perkamo-guard on 1, 2 and 4 copies of the front-end corpus."""
    tool = peers.perkamo_guard()
    root = corpora.TREES / "scaled"
    plans = {n: [f"copy{i}" for i in range(1, n + 1)] for n in (1, 2, 4)}
    series = {n: Series(tool.name, f"{n}x") for n in plans}
    for round_ in range(runs + 1):
        for n, paths in plans.items():
            _measure(tool, paths, root, series[n], warm_up=round_ == 0)
    return list(series.values())


def bench_hook(tools: list[Tool], runs: int) -> list[Series]:
    """The pre-commit case: ten staged files, without and with Perkamo code."""
    root, scenarios = hook_files()
    series: list[Series] = []
    for scenario, paths in scenarios.items():
        by_tool = {t.name: Series(t.name, scenario) for t in tools}
        for round_ in range(runs + 1):
            for tool in tools:
                slow = tool.name not in ("perkamo-guard", "ripgrep")
                if slow and round_ > 3:
                    continue
                _measure(tool, paths, root, by_tool[tool.name], warm_up=round_ == 0)
        series.extend(by_tool.values())
    return series


def _measure(tool: Tool, paths: list[str], cwd: Path, series: Series, warm_up: bool) -> None:
    if series.failure:
        return
    try:
        sample = run_once(tool.command(paths), cwd, tool.ok_codes, tool.env)
    except CommandFailed as exc:
        series.failure = str(exc)
        _log(f"{tool.name} failed on {series.target}: {exc}")
        return
    if not warm_up:
        series.samples.append(sample)
    _log(f"  {series.target:<12} {tool.name:<16} {sample.wall:8.3f} s")


def machine() -> dict[str, object]:
    """The facts a reader needs to compare figures: cores, memory, versions."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"date": datetime.date.today().isoformat(), "cores": os.cpu_count(),
            "memory_gib": round(memory / 2**30, 1), "python": platform.python_version(),
            "platform": platform.platform(), "load_average": os.getloadavg()}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
