"""Command line: ``perkamo-guard check``, ``rules`` and ``rule``."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from perkamo_guard import __version__

logger = logging.getLogger("perkamo_guard")

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str | None) -> list[str]:
    return [c for c in (value or "").split(",") if c.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perkamo-guard")
def cli() -> None:
    """Find Perkamo integration mistakes: leaked keys, unsafe origins, payloads."""


@cli.command()
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
@click.option("--show-zones", is_flag=True, help="List each file's kind and zone.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and file errors.")
@click.option("--verbose", "-v", count=True, help="Log decisions (-v) and steps (-vv) to stderr.")
@click.option("--color/--no-color", default=None, help="Colour text output [default: auto].")
def check(paths: tuple[str, ...], output_format: str, output: Path | None,
          select: str | None, ignore: str | None, fail_on: str | None,
          config_path: Path | None, show_zones: bool, statistics: bool, quiet: bool,
          verbose: int, color: bool | None) -> None:
    """Scan PATHS (default: the current directory) for Perkamo integration mistakes."""
    _configure_logging(verbose)
    from perkamo_guard.catalogue import expand_codes, load_catalogue
    from perkamo_guard.config import ConfigError, load_config
    from perkamo_guard.engine import Scanner
    from perkamo_guard.report import ReportInput, get_renderer, severity_of

    try:
        config = load_config(config_path)
        selected = expand_codes(_codes(select) or list(config.select))
        selected -= expand_codes(list(config.ignore) + _codes(ignore))
    except (ConfigError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc

    result = Scanner(config, selected).scan(list(paths) or ["."])
    rules = load_catalogue()
    use_color = _use_color(color, output)
    report = ReportInput(result, rules, color=use_color and output_format == "text",
                         show_zones=show_zones, statistics=statistics, quiet=quiet)
    _emit(get_renderer(output_format)(report), output)

    threshold = fail_on or config.fail_on
    failing = [f for f in result.findings
               if threshold == "warning" or severity_of(rules, f.rule) == "error"]
    sys.exit(EXIT_FINDINGS if failing else EXIT_CLEAN)


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


def _configure_logging(verbose: int) -> None:
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    else:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")


def _use_color(flag: bool | None, output: Path | None) -> bool:
    if flag is not None:
        return flag
    if output is not None or "NO_COLOR" in os.environ:
        return False
    return sys.stdout.isatty()


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, output)


def main() -> None:
    """Run the command line; any unexpected failure exits 2, not a traceback."""
    try:
        cli.main(prog_name="perkamo-guard", standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - exit 2 with a message, traceback at DEBUG
        logger.debug("internal error", exc_info=True)
        click.echo(f"perkamo-guard: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_ERROR)
