"""Scopes: the Perkamo endpoints each integration calls, and the least scopes it needs.

An *integration* is one deployable piece of code: the nearest folder, at or
below a scanned folder, that holds a project manifest (``package.json``,
``pyproject.toml``, ``requirements.txt``, ``go.mod`` …); a file with no
manifest above it belongs to the top-level folder it sits in below the
scanned folder. Its *endpoints* are the Perkamo routes its code calls,
read from the shared sinks and from route literals handed to wrappers
(``perkamo("/v1/profile/…")``); its *keys* are the server-key variables its
code names.

A key-scope file (JSON or TOML) maps key variable names to the scopes
granted to each key. With it, PG601 flags a key that grants an integration
scopes it never uses, and PG602 a key that several integrations share; both
are placed at the first use of the key in each integration's code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from perkamo_guard.config import ConfigError
from perkamo_guard.discover import display_path
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.model import Finding
from perkamo_guard.sinks import PERKAMO_HOST_PATTERN

#: The scope each endpoint needs, by route, with its method (DESIGN).
ENDPOINTS: dict[str, tuple[str, str]] = {
    "/v1/identify": ("POST", "events:write"),
    "/v1/events": ("POST", "events:write"),
    "/v1/events:batch": ("POST", "events:write"),
    "/v1/profile/{user_id}": ("GET", "profile:read"),
    "/v1/program": ("GET", "profile:read"),
    "/v1/usage": ("GET", "profile:read"),
    "/v1/rewards/redeem": ("POST", "rewards:redeem"),
    "/v1/admin/config/{module}": ("POST", "admin:config"),
}
SCOPES = ("events:write", "profile:read", "rewards:redeem", "admin:config")
#: Key-scope files that a scanned folder may hold at its top.
KEY_FILES = ("perkamo-keys.toml", "perkamo-keys.json")
#: Files that mark the root folder of one deployable project.
MANIFESTS = frozenset({
    "package.json", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt",
    "Pipfile", "go.mod", "Gemfile", "composer.json", "Cargo.toml", "pom.xml",
    "build.gradle", "build.gradle.kts", "deno.json", "mix.exs",
})

#: Test code calls no real endpoint: its folders and file names.
_TEST_FOLDERS = frozenset({"tests", "test", "__tests__", "__mocks__", "spec", "e2e",
                           "cypress", "playwright"})
_TEST_FILE = lazy_compile(r"^(?:test_.*\.py|.*_test\.py|conftest\.py"
                        r"|.*\.(?:test|spec)\.[cm]?[jt]sx?)$")
#: A Perkamo route in a literal; the host before it is optional.
ROUTE = lazy_compile(
    r"(?P<host>(?:https?:)?//" + PERKAMO_HOST_PATTERN + r"(?::\d+)?)?"
    r"/v1/(?P<route>events:batch|events|identify|program|usage|rewards/redeem"
    r"|profile/|admin/config/)(?![\w-])", re.IGNORECASE)
#: A variable that names a Perkamo server key: PERKAMO_SECRET_KEY, PERKAMO_JOBS_KEY.
KEY_NAME = lazy_compile(
    r"\b(?:[A-Z0-9]+_)*PERKAMO(?:_[A-Z0-9]+)*_(?:SECRET_KEY|API_KEY|SECRET|KEY)\b")


def route_of(written: str) -> str:
    """Normalise what ``ROUTE`` matched into a route of ``ENDPOINTS``."""
    written = written.lower()
    if written == "profile/":
        return "/v1/profile/{user_id}"
    if written == "admin/config/":
        return "/v1/admin/config/{module}"
    return "/v1/" + written


def is_test_code(path: Path) -> bool:
    """Tell whether a file is test code, which no integration deploys."""
    return (_TEST_FILE.match(path.name) is not None
            or any(part in _TEST_FOLDERS for part in path.parts[:-1]))


def is_server_key_name(name: str) -> bool:
    """Tell whether a variable name reads as a server key, not a publishable one."""
    return "PUBLIC" not in name and "PUBLISHABLE" not in name


# -- key-scope files ------------------------------------------------------------


def load_keys(path: Path) -> dict[str, frozenset[str]]:
    """Read a key-scope file: key variable name -> granted scopes.

    A value is a list of scopes or one string of scopes separated by commas
    or spaces.

    :raises ConfigError: for a file that cannot be read, or an unknown scope.
    """
    import tomllib  # NOTE: most runs have no key-scope file to read

    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read key-scope file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a key-scope file maps key names to scope lists")
    return {name: _scopes(path, name, value) for name, value in data.items()}


def _scopes(path: Path, name: str, value: object) -> frozenset[str]:
    if isinstance(value, str):
        value = [s for s in re.split(r"[\s,]+", value) if s]
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{path}: {name} must be a list of scopes")
    unknown = sorted(set(value) - set(SCOPES))
    if unknown:
        raise ConfigError(f"{path}: {name}: unknown scope {unknown[0]!r} "
                          f"(known: {', '.join(SCOPES)})")
    return frozenset(value)


def find_key_file(paths: Iterable[str]) -> Path | None:
    """Return the key-scope file at the top of a scanned folder, if there is one."""
    for given in paths:
        folder = Path(given)
        for name in KEY_FILES:
            if folder.is_dir() and (folder / name).is_file():
                return folder / name
    return None


def key_file(paths: Sequence[str], root: Path, configured: str) -> Path | None:
    """Return the run's key-scope file: the configured one, else one found."""
    if configured:
        return root / configured
    return find_key_file(paths)


# -- what each file uses -------------------------------------------------------------


@dataclass
class FileUse:
    """The Perkamo routes and server-key names one code file uses."""

    path: Path
    display: str
    #: Route -> the line where the file first names it.
    routes: dict[str, int] = field(default_factory=dict)
    #: Key name -> a finding placed at its first use, message to be written.
    keys: dict[str, Finding] = field(default_factory=dict)


@dataclass
class Collector:
    """What the scope family gathers over one run."""

    grants: dict[str, frozenset[str]] | None
    keys_file: Path | None
    uses: list[FileUse] = field(default_factory=list)


# -- integrations ------------------------------------------------------------------


@dataclass
class Endpoint:
    route: str
    method: str
    scope: str
    #: (display path, line) of each file that calls it, in path order.
    places: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Integration:
    name: str
    folder: Path
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    #: Key name -> the finding template at its first use in this integration.
    keys: dict[str, Finding] = field(default_factory=dict)

    @property
    def scopes(self) -> list[str]:
        """The least scopes the integration needs, in the documented order."""
        needed = {endpoint.scope for endpoint in self.endpoints.values()}
        return [scope for scope in SCOPES if scope in needed]


def integrations(uses: Iterable[FileUse], paths: Sequence[str],
                 cwd: Path) -> list[Integration]:
    """Group the files' uses by integration, sorted by name."""
    bases = _bases(paths, cwd)
    found: dict[Path, Integration] = {}
    for use in sorted(uses, key=lambda u: u.display):
        folder = integration_folder(use.path, bases)
        name = display_path(folder, cwd) if folder != cwd else "."
        integration = found.setdefault(folder, Integration(name, folder))
        for route, line in use.routes.items():
            method, scope = ENDPOINTS[route]
            endpoint = integration.endpoints.setdefault(
                route, Endpoint(route, method, scope))
            endpoint.places.append((use.display, line))
        for name_, finding in use.keys.items():
            integration.keys.setdefault(name_, finding)
    for integration in found.values():
        integration.endpoints = dict(sorted(integration.endpoints.items()))
    return sorted(found.values(), key=lambda i: i.name)


def _bases(paths: Sequence[str], cwd: Path) -> list[Path]:
    """The scanned folders, deepest first; the working directory for files given."""
    bases = {(cwd / p).resolve() for p in paths if (cwd / p).is_dir()}
    return sorted(bases | {cwd.resolve()}, key=lambda b: len(b.parts), reverse=True)


def integration_folder(path: Path, bases: Sequence[Path]) -> Path:
    """Return the integration folder of a file (see the module docstring)."""
    path = path.resolve()
    base = next((b for b in bases if b in path.parents), path.parent)
    for folder in path.parents:
        if any((folder / name).is_file() for name in MANIFESTS):
            return folder
        if folder == base:
            break
    below = path.relative_to(base).parts if base in path.parents else ()
    return base / below[0] if len(below) > 1 else base


# -- PG601 and PG602 --------------------------------------------------------------


def key_findings(found: Sequence[Integration],
                 grants: dict[str, frozenset[str]]) -> list[Finding]:
    """PG601 for scopes an integration never uses, PG602 for a key shared by several."""
    users: dict[str, list[Integration]] = {}
    for integration in found:
        for name in integration.keys:
            users.setdefault(name, []).append(integration)
    findings = []
    for integration in found:
        for name, template in integration.keys.items():
            if name not in grants:
                continue
            unused = _unused(integration, grants[name])
            if unused:
                message = _over_scoped(name, integration, unused)
                findings.append(replace(template, rule="PG601", message=message))
            others = [i.name for i in users[name] if i is not integration]
            if others:
                findings.append(replace(template, rule="PG602",
                                        message=_shared(name, others)))
    return findings


def _unused(integration: Integration, granted: frozenset[str]) -> list[str]:
    """Scopes granted beyond need; none when no endpoint of it was found."""
    if not integration.endpoints:
        return []
    return [scope for scope in SCOPES if scope in granted - set(integration.scopes)]


def _over_scoped(name: str, integration: Integration, unused: list[str]) -> str:
    needed = ", ".join(integration.scopes)
    return (f"{name} grants {', '.join(unused)}, which {integration.name} never uses; "
            f"grant this integration's key only {needed}")


def _shared(name: str, others: list[str]) -> str:
    return (f"{name} is also the server key of {', '.join(others)}; give each "
            "integration its own key with only the scopes it needs")
