"""Command line: ``perkamo-guard check``, ``baseline``, ``scopes``, ``rules`` and ``rule``."""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from perkamo_guard import __version__
from perkamo_guard.log import get_logger

if TYPE_CHECKING:
    from perkamo_guard import baseline
    from perkamo_guard.config import Config
    from perkamo_guard.engine import Progress, RunResult

logger = get_logger("perkamo_guard")

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
#: Runs over fewer files end before a progress bar would help.
PROGRESS_MIN_FILES = 500


class RunError(click.ClickException):
    """An error the user can fix that is no misuse of the options: exit 2."""

    exit_code = EXIT_ERROR


class PathsFirstCommand(click.Command):
    """A command that reads an argument naming an existing file as a path.

    pre-commit appends staged file names after the hook's options, with no
    ``--`` between them: a file named ``-rf.py`` must not fail the hook as an
    unknown option, and one named ``-o`` must not send the report over the
    next file.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {name for param in self.params
                       if isinstance(param, click.Option) and not param.is_flag
                       and not param.count for name in param.opts}
        return super().parse_args(ctx, paths_first(args, takes_value))


def paths_first(args: list[str], takes_value: set[str]) -> list[str]:
    """Turn each dash-led argument that names an existing path into ``./NAME``.

    An option's value and everything after ``--`` stay as they are.
    """
    protected: list[str] = []
    value_next = after_dashes = False
    for arg in args:
        if not (value_next or after_dashes) and arg.startswith("-") and arg != "-":
            if arg == "--":
                after_dashes = True
            elif os.path.lexists(arg):
                arg = os.path.join(os.curdir, arg)
            value_next = arg in takes_value
        else:
            value_next = False
        protected.append(arg)
    return protected


def _codes(value: str | None) -> list[str]:
    return [c for c in (value or "").split(",") if c.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perkamo-guard")
def cli() -> None:
    """Find Perkamo integration mistakes: leaked keys, unsafe origins, payloads."""


@cli.command(cls=PathsFirstCommand)
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "output_format", default="text", show_default=True,
              type=click.Choice(["text", "json", "sarif", "github", "gitlab", "junit"]))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of stdout.")
@click.option("--select", help="Comma-separated codes or prefixes to report (PG1,PG201).")
@click.option("--ignore", help="Comma-separated codes or prefixes to leave out.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]),
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Configuration file (default: nearest .perkamo-guard.toml or pyproject.toml).")
@click.option("--keys", "keys_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Key-scope file (JSON or TOML): granted scopes per server key (PG601, PG602).")
@click.option("--show-zones", is_flag=True, help="List each file's kind and zone.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and file errors.")
@click.option("--verbose", "-v", count=True, help="Log decisions (-v) and steps (-vv) to stderr.")
@click.option("--color/--no-color", default=None, help="Colour text output [default: auto].")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings that this baseline file does not record.")
@click.option("--changed-since", metavar="REV",
              help="Scan only files changed since the merge base of REV and HEAD (git).")
@click.option("--jobs", "-j", default="auto", show_default=True, metavar="N",
              help="Worker processes for scans of 200 files or more (auto: one per core).")
def check(paths: tuple[str, ...], output_format: str, output: Path | None,
          select: str | None, ignore: str | None, fail_on: str | None,
          config_path: Path | None, keys_path: Path | None, show_zones: bool,
          statistics: bool, quiet: bool, verbose: int, color: bool | None,
          baseline_path: Path | None, changed_since: str | None, jobs: str) -> None:
    """Scan PATHS (default: the current directory) for Perkamo integration mistakes."""
    _configure_logging(verbose)
    from perkamo_guard.catalogue import load_catalogue
    from perkamo_guard.engine import Scanner
    from perkamo_guard.report import ReportInput, get_renderer, severity_of

    config, selected = _settings(config_path, select, ignore)
    config = _with_keys(config, keys_path)
    accepted = _load_baseline(baseline_path) if baseline_path else None
    targets = _targets(paths, changed_since)
    interactive = output_format == "text" and not quiet and not verbose
    scanner = Scanner(config, selected, jobs=_jobs(jobs), record_zones=show_zones)
    result = scanner.scan(targets, _progress() if interactive else None)
    if accepted is not None:
        _hide_baselined(result, accepted)
    rules = load_catalogue()
    use_color = _use_color(color, output)
    report = ReportInput(result, rules, color=use_color and output_format == "text",
                         show_zones=show_zones, statistics=statistics, quiet=quiet)
    _emit(get_renderer(output_format)(report), output, color=report.color)

    threshold = fail_on or config.fail_on
    failing = [f for f in result.findings
               if threshold == "warning" or severity_of(rules, f.rule) == "error"]
    sys.exit(EXIT_FINDINGS if failing else EXIT_CLEAN)


@cli.command("baseline", cls=PathsFirstCommand)
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=".perkamo-guard-baseline.json", show_default=True,
              help="The baseline file to write.")
@click.option("--select", help="Comma-separated codes or prefixes to record (PG1,PG201).")
@click.option("--ignore", help="Comma-separated codes or prefixes to leave out.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Configuration file (default: nearest .perkamo-guard.toml or pyproject.toml).")
@click.option("--verbose", "-v", count=True, help="Log decisions (-v) and steps (-vv) to stderr.")
def write_baseline(paths: tuple[str, ...], output: Path, select: str | None,
                   ignore: str | None, config_path: Path | None, verbose: int) -> None:
    """Record today's findings in PATHS so that `check --baseline` shows only new ones."""
    _configure_logging(verbose)
    from perkamo_guard import baseline
    from perkamo_guard.engine import Scanner
    from perkamo_guard.snippet import neutralise_line

    config, selected = _settings(config_path, select, ignore)
    result = Scanner(config, selected).scan(list(paths) or ["."],
                                            None if verbose else _progress())
    entries = baseline.for_file(output).entries_for(result.findings)
    _emit(baseline.dump(entries), output)
    for error in result.errors:
        click.echo(f"warning: {neutralise_line(error.path)}: {neutralise_line(error.message)}",
                   err=True)
    findings = "finding" if len(entries) == 1 else "findings"
    files = "file" if result.files_scanned == 1 else "files"
    click.echo(f"Recorded {len(entries)} {findings} in {neutralise_line(str(output))} "
               f"({result.files_scanned} {files} scanned).")


@cli.command("scopes", cls=PathsFirstCommand)
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "output_format", default="text", show_default=True,
              type=click.Choice(["text", "json"]))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of stdout.")
@click.option("--keys", "keys_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Key-scope file (JSON or TOML): granted scopes per server key.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Configuration file (default: nearest .perkamo-guard.toml or pyproject.toml).")
@click.option("--verbose", "-v", count=True, help="Log decisions (-v) and steps (-vv) to stderr.")
def scopes(paths: tuple[str, ...], output_format: str, output: Path | None,
           keys_path: Path | None, config_path: Path | None, verbose: int) -> None:
    """List, per integration in PATHS, the Perkamo endpoints it calls and the least scopes."""
    _configure_logging(verbose)
    from perkamo_guard.catalogue import load_catalogue
    from perkamo_guard.checks.scopes import REPORT, SHARED
    from perkamo_guard.engine import Scanner
    from perkamo_guard.report import ReportInput
    from perkamo_guard.report.scopes_report import (
        ScopeReport,
        display_keys_file,
        render_json,
        render_text,
    )
    from perkamo_guard.scopes import Collector, integrations

    config, selected = _settings(config_path, "PG6", None)
    config = _with_keys(config, keys_path)
    targets = list(paths) or ["."]
    scanner = Scanner(config, selected | {"PG601", "PG602"})
    scanner.context.shared[REPORT] = True
    result = scanner.scan(targets)
    collector = scanner.context.shared.get(SHARED)
    uses = collector.uses if isinstance(collector, Collector) else []
    grants = collector.grants if isinstance(collector, Collector) else None
    keys_file = collector.keys_file if isinstance(collector, Collector) else None
    report = ScopeReport(integrations(uses, targets, Path.cwd()), grants,
                         display_keys_file(keys_file, Path.cwd()),
                         ReportInput(result, load_catalogue()))
    _emit((render_json if output_format == "json" else render_text)(report), output)
    sys.exit(EXIT_FINDINGS if result.findings else EXIT_CLEAN)


@cli.command("rules")
def list_rules() -> None:
    """List the rule catalogue, one line a rule."""
    from perkamo_guard.catalogue import load_catalogue

    for rule in load_catalogue().values():
        click.echo(f"{rule.code}  {rule.severity:<7}  {rule.name:<36}  {rule.summary}")


@cli.command("rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Explain one rule: what it flags, why, the fix and its examples."""
    from perkamo_guard.catalogue import load_catalogue
    from perkamo_guard.keys import mask_keys

    rule = load_catalogue().get(code.upper())
    if rule is None:
        raise click.UsageError(f"unknown rule code: {code}")
    click.echo(f"{rule.code} {rule.name} ({rule.severity})\n\n{rule.summary}\n")
    click.echo(f"{rule.rationale}\n\nFix:\n{rule.fix}\n")
    for label, examples in (("Flagged", rule.invalid), ("Not flagged", rule.valid)):
        for example in examples:
            click.echo(f"{label} ({example.path}):\n")
            # Example keys are invented, but we print no whole key, ever.
            code_text = mask_keys(example.code.rstrip("\n"))
            click.echo("    " + code_text.replace("\n", "\n    ") + "\n")


def _settings(config_path: Path | None, select: str | None,
              ignore: str | None) -> tuple[Config, set[str]]:
    """Load the configuration and work out the selected rule codes."""
    from perkamo_guard.catalogue import expand_codes
    from perkamo_guard.config import ConfigError, load_config

    try:
        config = load_config(config_path)
        selected = expand_codes(_codes(select) or list(config.select))
        selected -= expand_codes(list(config.ignore) + _codes(ignore))
    except (ConfigError, ValueError) as exc:
        raise click.UsageError(_shown(exc)) from exc
    return config, selected


def _with_keys(config: Config, keys_path: Path | None) -> Config:
    """Name the key-scope file of ``--keys`` in the configuration, and read it now.

    A configured file that cannot be read is a usage error (exit 2), before
    any file is scanned.
    """
    if keys_path is not None:
        config = config._replace(key_scopes=str(keys_path.resolve()))
    if config.key_scopes:
        from perkamo_guard.config import ConfigError
        from perkamo_guard.scopes import load_keys

        try:
            load_keys(config.root / config.key_scopes)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from exc
    return config


def _jobs(value: str) -> int:
    """Read ``--jobs``: ``auto`` or a positive number."""
    if value == "auto":
        from perkamo_guard.parallel import default_jobs

        return default_jobs()
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(f"expected auto or a positive number, not {value!r}",
                                 param_hint="--jobs")
    return int(value)


def _targets(paths: tuple[str, ...], changed_since: str | None) -> list[str]:
    """The paths to scan: as given, or the changed files below them."""
    given = list(paths) or ["."]
    if changed_since is None:
        return given
    from perkamo_guard.changed import GitError, changed_files, within

    try:
        return within(changed_files(changed_since), given)
    except GitError as exc:
        raise RunError(_shown(exc)) from exc


def _load_baseline(path: Path) -> baseline.Baseline:
    from perkamo_guard.baseline import BaselineError, load

    try:
        return load(path)
    except BaselineError as exc:
        raise RunError(_shown(exc)) from exc


def _hide_baselined(result: RunResult, accepted: baseline.Baseline) -> None:
    """Drop the findings the baseline records and count what it did."""
    outcome = accepted.apply(result.findings, result.scanned)
    result.findings = outcome.kept
    result.baseline_hidden = outcome.hidden
    result.baseline_unmatched = outcome.unmatched


def _progress() -> Progress | None:
    """Offer a progress bar on stderr, when stderr is a terminal."""
    return _progress_bar if sys.stderr.isatty() else None


@contextmanager
def _progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    if total < PROGRESS_MIN_FILES:
        yield lambda steps: None
        return
    # Redraw about two hundred times at most, however long the run.
    with click.progressbar(length=total, label="Scanning", file=sys.stderr, show_pos=True,
                           update_min_steps=max(1, total // 200)) as bar:
        yield bar.update


def _configure_logging(verbose: int) -> None:
    """Show the package's records on stderr at -v (decisions) or -vv (steps).

    NOTE: without -v, logging is never imported (about 5 ms of every
    start): nothing this package logs then would be shown.
    """
    if verbose:
        from perkamo_guard.logsetup import show_records

        show_records(debug=verbose > 1)


def _shown(exc: BaseException) -> str:
    """An error's message, safe to print: keys masked, one neutral line."""
    from perkamo_guard.keys import mask_keys
    from perkamo_guard.snippet import neutralise_line

    return neutralise_line(mask_keys(str(exc)))


def _use_color(flag: bool | None, output: Path | None) -> bool:
    if flag is not None:
        return flag
    if output is not None or "NO_COLOR" in os.environ:
        return False
    return sys.stdout.isatty()


def _emit(text: str, output: Path | None, color: bool = False) -> None:
    if output is None:
        # NOTE: click strips colour from a pipe unless told otherwise (--color).
        click.echo(text, nl=False, color=True if color else None)
        return
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, output)
    except OSError as exc:
        raise RunError(f"cannot write {output}: {exc.strerror or exc}") from exc


def main() -> None:
    """Run the command line; any unexpected failure exits 2, not a traceback."""
    try:
        cli.main(prog_name="perkamo-guard", standalone_mode=True)
    except SystemExit as exit_:
        _leave(exit_.code)
    except Exception as exc:  # noqa: BLE001 - exit 2 with a message, traceback at DEBUG
        logger.debug("internal error", exc_info=True)
        click.echo(f"perkamo-guard: internal error: {type(exc).__name__}: {_shown(exc)}",
                   err=True)
        _leave(EXIT_ERROR)


def _leave(code: object) -> NoReturn:
    """Exit with ``code`` once the output is out, skipping the interpreter's
    teardown.

    NOTE: freeing a large run's objects one by one at exit took about 15 ms,
    as long as reading 1,000 files; every file we wrote is closed already,
    and the exit functions (logging's among them) still run.
    """
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
    status = code if isinstance(code, int) else (0 if code is None else 1)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nobody reads what is left
            status = status or EXIT_ERROR
    os._exit(status)
