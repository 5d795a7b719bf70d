"""Turn benchmark results into the Markdown tables the README carries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

PG = "perkamo-guard"
RG = "ripgrep"
#: Targets from the speed issue.
MAX_TIMES_RIPGREP = 10.0
MIN_PEER_SPEEDUP = 10.0
MAX_RSS = 100 * 2**20
MAX_GROWTH_4X = 4.4
HOOK_LIMITS = {"10 files": 0.15, "10 files, 2 Perkamo": 0.25}


def markdown(results: dict[str, Any]) -> str:
    """All tables and the target check, as one Markdown text."""
    parts = [_header(results), _corpus_table(results)]
    if results["scaling"]:
        parts.append(_scaling_table(results["scaling"]))
    if results["hook"]:
        parts.append(_hook_table(results["hook"]))
    parts.append(_targets(results))
    return "\n\n".join(parts) + "\n"


def _header(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [f"{m['date']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
             f"load average before the run {m['load_average'][0]:.2f}",
             f"command: `{results['command']}`"]
    lines += [f"not measured: {name} ({why})" for name, why in results["missing"].items()]
    return "\n".join(lines)


def _corpus_table(results: dict[str, Any]) -> str:
    rows = ["| corpus | tool | wall s | CPU s | peak RSS MB | × ripgrep | × perkamo-guard |",
            "|---|---|---:|---:|---:|---:|---:|"]
    notes = []
    for name, corpus in results["corpora"].items():
        label = f"{name} ({corpus['files']:,} files, {corpus['bytes'] / 1e6:.0f} MB)"
        walls = {s["tool"]: _wall(s) for s in corpus["series"] if s["samples"]}
        for series in corpus["series"]:
            rows.append(_corpus_row(label, series, walls))
            if series["note"]:
                notes.append(f"{series['tool']} on {name}: {series['note']}")
            if series["failure"]:
                notes.append(f"{series['tool']} on {name} failed: {series['failure'][:200]}")
    return "\n".join(rows + [""] + [f"- {n}" for n in notes])


def _corpus_row(label: str, series: dict[str, Any], walls: dict[str, float]) -> str:
    if not series["samples"]:
        return f"| {label} | {series['tool']} | failed | | | | |"
    wall = _wall(series)
    estimated = "≈" if _scale(series) != 1.0 else ""
    rg, pg = walls.get(RG), walls.get(PG)
    return (f"| {label} | {series['tool']} | {estimated}{wall:.2f} | "
            f"{estimated}{_median(series, 'cpu') * _scale(series):.2f} | "
            f"{_peak(series) / 2**20:.0f} | {_ratio(wall, rg)} | {_ratio(wall, pg)} |")


def _scaling_table(scaling: list[dict[str, Any]]) -> str:
    base = _wall(scaling[0])
    rows = ["| front-end copies | wall s | CPU s | peak RSS MB | × 1 copy |",
            "|---|---:|---:|---:|---:|"]
    for series in scaling:
        wall = _wall(series)
        rows.append(f"| {series['target']} | {wall:.2f} | {_median(series, 'cpu'):.2f} | "
                    f"{_peak(series) / 2**20:.0f} | {wall / base:.2f} |")
    return "\n".join(rows)


def _hook_table(hook: list[dict[str, Any]]) -> str:
    rows = ["| pre-commit case | tool | wall s | CPU s | peak RSS MB |",
            "|---|---|---:|---:|---:|"]
    for series in hook:
        if series["samples"]:
            rows.append(f"| {series['target']} | {series['tool']} | {_wall(series):.3f} | "
                        f"{_median(series, 'cpu'):.3f} | {_peak(series) / 2**20:.0f} |")
    return "\n".join(rows)


def _targets(results: dict[str, Any]) -> str:
    lines = [f"- {'met' if ok else 'NOT MET'}: {text}" for ok, text in _checks(results)]
    return "Targets:\n" + "\n".join(lines)


def _checks(results: dict[str, Any]) -> Iterator[tuple[bool, str]]:
    for name, corpus in results["corpora"].items():
        walls = {s["tool"]: _wall(s) for s in corpus["series"] if s["samples"]}
        pg = walls.get(PG)
        if pg is None:
            continue
        if RG in walls:
            times = pg / walls[RG]
            yield times <= MAX_TIMES_RIPGREP, f"{name}: {times:.1f}× ripgrep (≤ 10×)"
        for peer in ("semgrep", "secretlint"):
            if peer in walls:
                speedup = walls[peer] / pg
                yield speedup >= MIN_PEER_SPEEDUP, f"{name}: {speedup:.0f}× faster than {peer}"
        peak = max(_peak(s) for s in corpus["series"] if s["tool"] == PG)
        yield peak <= MAX_RSS, f"{name}: peak RSS {peak / 2**20:.0f} MB (≤ 100 MB)"
    if results["scaling"]:
        growth = _wall(results["scaling"][-1]) / _wall(results["scaling"][0])
        yield growth <= MAX_GROWTH_4X, f"4 copies take {growth:.2f}× one copy (≤ 4.4×)"
    for series in results["hook"]:
        if series["tool"] == PG and series["samples"]:
            limit = HOOK_LIMITS[series["target"]]
            wall = _wall(series)
            yield wall <= limit, f"hook, {series['target']}: {wall:.3f} s (≤ {limit} s)"


def _wall(series: dict[str, Any]) -> float:
    return _median(series, "wall") * _scale(series)


def _scale(series: dict[str, Any]) -> float:
    """The factor from a sample's time to the whole corpus's (1 when whole)."""
    match = re.search(r"scale ×([\d.]+)", series.get("note", ""))
    return float(match.group(1)) if match else 1.0


def _median(series: dict[str, Any], key: str) -> float:
    values = sorted(s[key] for s in series["samples"])
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _peak(series: dict[str, Any]) -> int:
    return max((s["peak_rss"] for s in series["samples"]), default=0)


def _ratio(value: float, reference: float | None) -> str:
    return f"{value / reference:.1f}" if reference else ""
