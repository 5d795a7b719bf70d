"""Configuration: ``[tool.perkamo-guard]`` or ``.perkamo-guard.toml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from perkamo_guard.log import get_logger

logger = get_logger(__name__)

CONFIG_FILE = ".perkamo-guard.toml"

#: Directories a walk never enters (gitignore syntax).
DEFAULT_EXCLUDE = (
    ".git/",
    ".hg/",
    ".svn/",
    "node_modules/",
    ".venv/",
    "venv/",
    "__pycache__/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".tox/",
    ".nox/",
    ".cache/",
    ".eggs/",
    ".parcel-cache/",
    ".turbo/",
)

_LIST_KEYS = ("select", "ignore", "exclude", "extend-exclude", "browser", "server")
KNOWN_KEYS = frozenset(
    {*_LIST_KEYS, "per-file-ignores", "event-sinks", "fail-on", "origin-keys",
     "origin-context", "sensitive-fields", "personal-fields", "max-file-size",
     "key-scopes"}
)


class ConfigError(Exception):
    """A configuration the user must fix; the message names what."""


class EventSink(NamedTuple):
    """A call that sends an event payload: its name and payload argument."""

    call: str
    #: 1-based position of the payload argument; None means every dict argument.
    payload: int | None = None


class Config(NamedTuple):
    """The settings of one run, after the file and the command line."""

    #: The folder the configuration came from (the working directory when
    #: none did); every use resolves it.
    root: Path = Path()
    source: Path | None = None
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    browser: tuple[str, ...] = ()
    server: tuple[str, ...] = ()
    event_sinks: tuple[EventSink, ...] = ()
    #: Extra key and variable names that hold allowed origins (PG2xx).
    origin_keys: tuple[str, ...] = ()
    #: Extra words that mark a key, call or path as Perkamo config (PG2xx).
    origin_context: tuple[str, ...] = ()
    sensitive_fields: tuple[str, ...] = ()
    personal_fields: tuple[str, ...] = ()
    fail_on: str = "warning"
    max_file_size: int = 200 * 1024 * 1024
    #: The file that maps server-key variables to their granted scopes
    #: (PG601, PG602), relative to ``root``; "" when none is named.
    key_scopes: str = ""


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """Find the nearest configuration from ``start`` upward, up to the root
    of the git repository that holds ``start``.

    NOTE: a repository checked out inside another project (a vendored
    copy, a test fixture, a CI workspace) is scanned by its own rules: the
    outer project's ``select`` or ``exclude`` must not hide its findings.
    """
    for directory in (start, *start.parents):
        own = directory / CONFIG_FILE
        if own.is_file():
            return own, _read_toml(own)
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _mentions_us(pyproject):
            table = _our_table(_read_toml(pyproject), pyproject)
            if table is not None:
                return pyproject, table
        if (directory / ".git").exists():
            break  # the repository's root (.git is a file in a worktree)
    return None


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """Load the configuration file (``explicit``, or the nearest one)."""
    start = (start or Path.cwd()).resolve()
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"configuration file not found: {explicit}")
        data = _read_toml(explicit)
        if explicit.name == "pyproject.toml":
            data = _our_table(data, explicit) or {}
        found: tuple[Path, dict[str, Any]] | None = (explicit.resolve(), data)
    else:
        found = find_config(start)
    if found is None:
        return Config(root=start)
    path, data = found
    logger.info("configuration from %s", path)
    return parse_config(data, root=path.parent, source=path)


def parse_config(data: dict[str, Any], root: Path, source: Path | None = None) -> Config:
    """Check and convert a configuration table."""
    where = str(source) if source else "configuration"
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
    values: dict[str, Any] = {}
    for key in (*_LIST_KEYS, "origin-keys", "origin-context", "sensitive-fields",
                "personal-fields"):
        if key in data:
            values[key.replace("-", "_")] = _string_list(data[key], key, where)
    if "per-file-ignores" in data:
        values["per_file_ignores"] = _per_file_ignores(data["per-file-ignores"], where)
    if "event-sinks" in data:
        values["event_sinks"] = _event_sinks(data["event-sinks"], where)
    if "fail-on" in data:
        if data["fail-on"] not in ("error", "warning"):
            raise ConfigError(f"{where}: fail-on must be 'error' or 'warning'")
        values["fail_on"] = data["fail-on"]
    if "key-scopes" in data:
        if not isinstance(data["key-scopes"], str) or not data["key-scopes"]:
            raise ConfigError(f"{where}: key-scopes must be the path of a JSON or TOML file")
        values["key_scopes"] = data["key-scopes"]
    if "max-file-size" in data:
        if not isinstance(data["max-file-size"], int) or data["max-file-size"] <= 0:
            raise ConfigError(f"{where}: max-file-size must be a positive integer")
        values["max_file_size"] = data["max-file-size"]
    return Config(root=root, source=source, **values)


def _our_table(data: dict[str, Any], pyproject: Path) -> dict[str, Any] | None:
    """The ``[tool.perkamo-guard]`` table of a pyproject.toml, if it has one."""
    tool = data.get("tool")
    table = tool.get("perkamo-guard") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: tool.perkamo-guard must be a table")
    return table


def _mentions_us(pyproject: Path) -> bool:
    """Whether a pyproject.toml may hold our table: its name is in the text.

    NOTE: another project's pyproject.toml is not ours to parse: one with a
    syntax error must not stop a scan, and most runs then import no TOML
    parser (about 3 ms).
    """
    try:
        return b"perkamo-guard" in pyproject.read_bytes()
    except OSError:
        return True  # parsed, so that the error is reported


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # NOTE: most runs read no configuration file: 3 ms saved

    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc}") from exc


def _string_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _per_file_ignores(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: per-file-ignores must be a table of glob = [codes]")
    return tuple(
        (glob, _string_list(codes, f"per-file-ignores.{glob}", where))
        for glob, codes in value.items()
    )


def _event_sinks(value: Any, where: str) -> tuple[EventSink, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: event-sinks must be a list")
    sinks = []
    for item in value:
        if isinstance(item, str):
            sinks.append(EventSink(item))
        elif isinstance(item, dict) and isinstance(item.get("call"), str):
            extra = sorted(set(item) - {"call", "payload"})
            if extra:
                raise ConfigError(f"{where}: event-sinks: unknown key {extra[0]!r}")
            payload = item.get("payload")
            if payload is not None and (not isinstance(payload, int) or payload < 1):
                raise ConfigError(f"{where}: event-sinks payload must be a positive integer")
            sinks.append(EventSink(item["call"], payload))
        else:
            raise ConfigError(f"{where}: event-sinks entries are names or {{call, payload}}")
    return tuple(sinks)
