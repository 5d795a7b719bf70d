"""Key-scope rules PG601-PG602: over-broad and shared server keys.

Each code file's Perkamo routes and server-key names are gathered while the
run goes (``check``); the findings are made once every file is read
(``finish``), from the integrations of ``perkamo_guard.scopes``. Nothing is
gathered unless a key-scope file is configured or the scope report asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from perkamo_guard.checks import Context
from perkamo_guard.config import ConfigError
from perkamo_guard.log import get_logger
from perkamo_guard.model import FileError, Finding, SourceFile, Zone
from perkamo_guard.parse.literals import literal_spans
from perkamo_guard.scopes import (
    ENDPOINTS,
    KEY_NAME,
    ROUTE,
    Collector,
    FileUse,
    integrations,
    is_server_key_name,
    is_test_code,
    key_file,
    key_findings,
    load_keys,
    route_of,
)
from perkamo_guard.sinks import find_sinks

logger = get_logger(__name__)

#: ``ctx.shared`` keys: the collector, and the scope report's request for one.
SHARED = "scopes"
REPORT = "scope-report"
_COMMENT_LINE = ("#", "//", "/*", "*")


def check(file: SourceFile, ctx: Context) -> Iterator[Finding]:
    """Gather the routes and key names of one file; findings come at the end."""
    collector = _collector(ctx)
    if collector is not None and not is_test_code(Path(file.display)):
        use = _use(file, ctx, collector)
        if use.routes or use.keys:
            collector.uses.append(use)
    return iter(())


def finish(ctx: Context) -> list[Finding]:
    """Judge every key of the key-scope file against the integrations that use it."""
    collector = ctx.shared.get(SHARED)
    if not isinstance(collector, Collector) or collector.grants is None:
        return []
    if not _whole_folders(ctx.paths):
        logger.info("PG601/PG602 skipped: they judge whole folders, not single files")
        return []
    found = integrations(collector.uses, ctx.paths or ["."], Path.cwd())
    return key_findings(found, collector.grants)


def _collector(ctx: Context) -> Collector | None:
    """Return the run's collector, made on first use; None when nothing needs one."""
    existing = ctx.shared.get(SHARED)
    if existing is not None:
        return existing if isinstance(existing, Collector) else None
    if not ctx.shared.get(REPORT) and not _whole_folders(ctx.paths):
        # NOTE: the pre-commit hook passes files; finish() would judge nothing.
        ctx.shared[SHARED] = False
        return None
    path = key_file(ctx.paths, ctx.config.root, ctx.config.key_scopes)
    grants = None
    if path is not None:
        try:
            grants = load_keys(path)
        except ConfigError as exc:
            ctx.errors.append(FileError(path.as_posix(), str(exc)))
    if grants is None and not ctx.shared.get(REPORT):
        ctx.shared[SHARED] = False
        return None
    collector = Collector(grants, path)
    ctx.shared[SHARED] = collector
    return collector


def _whole_folders(paths: tuple[str, ...]) -> bool:
    return all(Path(p).is_dir() for p in paths)


def _use(file: SourceFile, ctx: Context, collector: Collector) -> FileUse:
    use = FileUse(file.path, file.display)
    names_perkamo = "perkamo" in file.text.lower()
    browser = file.zone is Zone.BROWSER
    for start, end in literal_spans(file):
        for match in ROUTE.finditer(file.text, start, end):
            if match.group("host") or (names_perkamo and not browser):
                _add_route(use, file, route_of(match.group("route")), match.start())
    from perkamo_guard.parse.python import PythonSyntaxError

    try:
        sinks = find_sinks(file, ctx.config)
    except PythonSyntaxError:
        sinks = []
    for sink in sinks:
        if sink.route in ENDPOINTS and (sink.host or not browser):
            _add_route(use, file, sink.route, sink.url_start)
    for name, start in _key_names(file, collector):
        use.keys[name] = ctx.finding(file, "PG601", start, start + len(name), "")
    return use


def _add_route(use: FileUse, file: SourceFile, route: str, offset: int) -> None:
    line = file.lines.position(offset)[0]
    use.routes[route] = min(line, use.routes.get(route, line))


def _key_names(file: SourceFile, collector: Collector) -> Iterator[tuple[str, int]]:
    """Yield each server-key name the file's code uses, at its first use."""
    names = {m.group() for m in KEY_NAME.finditer(file.text)}
    names = {n for n in names if is_server_key_name(n)}
    names |= {n for n in collector.grants or () if n in file.text}
    for name in sorted(names):
        for match in re.finditer(rf"(?<![\w$]){re.escape(name)}(?![\w$])", file.text):
            line_start = file.text.rfind("\n", 0, match.start()) + 1
            before = file.text[line_start:match.start()].lstrip()
            if not before.startswith(_COMMENT_LINE):
                yield name, match.start()
                break
