"""Check: the rule families, each a module of this package, and what they share."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from perkamo_guard.catalogue import Rule
from perkamo_guard.config import Config, ConfigError
from perkamo_guard.keys import B64_TRIGGERS, mask_keys
from perkamo_guard.originnames import CONTEXT_MENTION, longest_word, may_be_in_context
from perkamo_guard.prefilter import Mention
from perkamo_guard.model import SCRIPT_KINDS, FileError, Finding, Kind, SourceFile
from perkamo_guard.snippet import make_snippet


class Context:
    """What a check may consult besides its file, and where it records errors."""

    def __init__(self, config: Config, rules: Mapping[str, Rule],
                 is_committed: Callable[[Path], bool] = lambda path: True) -> None:
        self.config = config
        self.rules = rules
        self.errors: list[FileError] = []
        #: Answers "would git commit this file?"; set by the engine.
        self.is_committed = is_committed
        #: The paths the run was given; set by the engine.
        self.paths: tuple[str, ...] = ()
        #: What a family gathers over a whole run for its ``finish`` (by family name).
        self.shared: dict[str, Any] = {}

    def finding(self, file: SourceFile, code: str, start: int, end: int,
                message: str | None = None, secrets: Sequence[str] = ()) -> Finding:
        """Build a finding from character offsets into ``file.text``."""
        line, column = file.lines.position(start)
        end_line, end_column = file.lines.position(max(start, end))
        return Finding(
            path=file.display, line=line, column=column, rule=code,
            end_line=end_line, end_column=end_column,
            # NOTE: messages quote names taken from the file (a source map's
            # sources, a suppression's codes); any key among them is masked.
            message=mask_keys(message or self.rules[code].message),
            snippet=make_snippet(file.lines, start, secrets),
            secret_text=secrets[0] if secrets else file.text[start:end],
        )

    def file_error(self, file: SourceFile, message: str) -> None:
        self.errors.append(FileError(file.display, message))


class Wake(NamedTuple):
    """Tell from the trigger texts found in a file whether a family runs on it."""

    #: One of these is enough,
    alone: frozenset[bytes]
    #: as is one text of each group of one of these.
    joint: tuple[tuple[frozenset[bytes], ...], ...] = ()
    #: The texts of ``alone`` that count in any letter case (lower case).
    caseless: frozenset[bytes] = frozenset()

    @property
    def texts(self) -> tuple[bytes, ...]:
        """Every text named: the leads and their companions."""
        return tuple(sorted({*self.leads, *self.companions}))

    @property
    def leads(self) -> frozenset[bytes]:
        """The texts of which one occurs in every file that wakes the family."""
        return self.alone.union(*(groups[0] for groups in self.joint if groups))

    @property
    def companions(self) -> frozenset[bytes]:
        """The texts that wake the family only beside others."""
        return frozenset().union(*(group for groups in self.joint for group in groups[1:]))

    def __call__(self, hits: frozenset[bytes]) -> bool:
        if not hits.isdisjoint(self.alone):
            return True
        return any(all(not hits.isdisjoint(group) for group in groups)
                   for groups in self.joint)


class Family(NamedTuple):
    """A rule family: the codes it reports, where it looks, and its checks.

    The checks live in the module of this package named after the family,
    as ``check(file, ctx)`` and, for findings that need the whole run,
    ``finish(ctx)``. The module is imported when a file first holds one of
    the family's triggers: most runs (and most pre-commit runs) never
    import most families.
    """

    name: str
    codes: frozenset[str]
    #: File kinds the family reads; None means every kind.
    kinds: frozenset[Kind] | None
    #: The family runs on a file only if one of these occurs in its bytes,
    triggers: tuple[bytes, ...]
    #: or one of these in any ASCII letter case (written in lower case),
    caseless_triggers: tuple[bytes, ...] = ()
    #: or one text of each group of one of these.
    joint_triggers: tuple[tuple[tuple[bytes, ...], ...], ...] = ()
    #: Extra triggers that come from the configuration (sink names, keys).
    config_triggers: Callable[[Config], tuple[bytes, ...]] | None = None
    #: The module has a ``finish``: findings made after the last file
    #: (PG601, PG602) from what its checks gathered.
    deferred: bool = False
    #: A cheaper test than the check's, on the bytes and display path of a
    #: file holding a trigger: False when the check certainly finds nothing.
    #: Its last argument tells whether ``gate_mention`` occurs in the bytes
    #: (None: unknown, the gate searches).
    gate: Callable[[bytes, str, Config, bool | None], bool] | None = None
    #: Words the gate looks for, which the engine's prefilter looks for in
    #: its own pass.
    gate_mention: Mention | None = None

    def applies_to(self, kind: Kind) -> bool:
        return self.kinds is None or kind in self.kinds

    def all_triggers(self, config: Config) -> tuple[bytes, ...]:
        """Every text the family's triggers name, to search for."""
        return self.wake(config).texts

    def wake(self, config: Config) -> Wake:
        """What wakes the family under ``config``."""
        extra = self.config_triggers(config) if self.config_triggers else ()
        return Wake(frozenset(self.triggers + extra + self.caseless_triggers),
                    tuple(tuple(frozenset(group) for group in joint)
                          for joint in self.joint_triggers),
                    frozenset(self.caseless_triggers))

    def check(self, file: SourceFile, ctx: Context) -> Iterable[Finding]:
        checks: Iterable[Finding] = self.module().check(file, ctx)
        return checks

    def finish(self, ctx: Context) -> Iterable[Finding]:
        if not self.deferred:
            return ()
        findings: Iterable[Finding] = self.module().finish(ctx)
        return findings

    def module(self) -> Any:
        return importlib.import_module(f"{__name__}.{self.name}")


def _origin_key_triggers(config: Config) -> tuple[bytes, ...]:
    """The longest word of each configured origin key, in three casings.

    A key may be written ``sdk_hosts``, ``sdk-hosts`` or ``sdkHosts``; all
    of them hold ``hosts``, ``HOSTS`` or ``Hosts``.
    """
    forms: set[str] = set()
    for key in config.origin_keys:
        word = longest_word(key)
        forms.update((word.lower(), word.upper(), word.capitalize()))
    return tuple(sorted(form.encode("utf-8") for form in forms if form))


def _sink_triggers(config: Config) -> tuple[bytes, ...]:
    """The configured event sinks' function names: one occurs in any file
    that may call a sink."""
    names = {sink.call.rsplit(".", 1)[-1] for sink in config.event_sinks}
    return tuple(name.encode() for name in sorted(names) if name)


def _key_scope_triggers(config: Config) -> tuple[bytes, ...]:
    """The key names of the key-scope file, so that a file naming only its
    key is read."""
    if not config.key_scopes:
        return ()
    return _key_names(str(config.root / config.key_scopes))


@cache
def _key_names(path: str) -> tuple[bytes, ...]:
    from perkamo_guard.scopes import load_keys

    try:
        return tuple(name.encode() for name in load_keys(Path(path)))
    except ConfigError:
        return ()


_CODE = frozenset({Kind.PYTHON, Kind.HTML, *SCRIPT_KINDS})

#: What a file holds when one of its URLs can read as a Perkamo route
#: without the host (``perkamo_guard.sinks.read_url``). Such a URL is
#: "v1/…" or "/v1/…" after any run-time pieces, so in the source that "v1"
#: or "/v1" starts a piece: it follows a quote or the end of a hole
#: (f"{base}/v1/…", `${base}v1/…`, "\/v1" in JSON-escaped strings). Then a
#: route word follows (ROUTE_TRIGGERS), or the piece ends after "v1" or
#: "v1/" (the literal ends, a hole opens, a backslash escapes) and another
#: piece of the file starts a segment with the route word ("/v1" +
#: "/events", "/v1/" + route, f"{BASE}/{VERSION}/{ROUTE}" with VERSION =
#: "v1" and ROUTE = "events"): ROUTE_JOINT_TRIGGERS.
#: NOTE: "/v1" alone is far too common (other APIs, test URLs) to be a
#: trigger: it sent 1 file in 450 of a Python web stack to the parsers, and
#: "/api/v1" and bare "v1" literals (format versions) 1 in 500 more.
_PIECE_START = (b'"', b"'", b"`", b"}")
_V1_HEADS = tuple(start + slash + b"v1" for start in _PIECE_START
                  for slash in (b"", b"/", b"\\/"))
_PIECE_END = (b'"', b"'", b"`", b"{", b"$", b"\\")
_ROUTE_WORDS = (b"events", b"identify", b"program", b"usage", b"rewards", b"profile",
                b"admin", b"client")
#: What most trigger texts hold: a file without it needs none of them searched.
TRIGGER_ANCHORS = (b"v1",)
ROUTE_TRIGGERS = tuple(head + b"/" + word for head in _V1_HEADS for word in _ROUTE_WORDS)
ROUTE_JOINT_TRIGGERS = (
    (tuple(head + slash + end for head in _V1_HEADS for slash in (b"", b"/")
           for end in _PIECE_END),
     # The word starts a segment: after a slash or at the start of a piece.
     tuple(start + word for start in (b"/", *_PIECE_START) for word in _ROUTE_WORDS)),
)

#: The Perkamo host in any letter case, also with the Kelvin sign for its
#: "k": browsers and str.lower() read "api.per\u212aamo.com" as the host, and
#: so do the checks (the first pass folds ASCII letters only).
_HOST_TRIGGERS = (b"api.perkamo.com", "api.per\u212aamo.com".encode())

#: Every rule family, by module name.
FAMILIES = (
    Family(
        name="boundary",
        codes=frozenset({"PG401", "PG402"}),
        kinds=frozenset({*_CODE, Kind.BUNDLE}),
        triggers=(b"/v1/client", b"/v1/profile", b"\\/v1\\/client", b"\\/v1\\/profile",
                  b"treamToken", b"tream_token", b"TREAM_TOKEN", b"tream-token",
                  b"treamtoken"),
        caseless_triggers=_HOST_TRIGGERS,
    ),
    Family(
        name="keys",
        codes=frozenset({"PG101", "PG102", "PG103", "PG104"}),
        kinds=None,
        triggers=(b"sk_live_", b"sk_test_", *B64_TRIGGERS, b"PERKAMO"),
    ),
    Family(
        name="origins",
        codes=frozenset({"PG201", "PG202", "PG203", "PG204", "PG205"}),
        kinds=frozenset({Kind.ENV, Kind.JSON, Kind.YAML, Kind.TOML, *_CODE}),
        triggers=(b"rigin", b"RIGIN"),
        config_triggers=_origin_key_triggers,
        gate=may_be_in_context,
        gate_mention=CONTEXT_MENTION,
    ),
    Family(
        name="payloads",
        codes=frozenset({"PG301", "PG302", "PG303"}),
        kinds=_CODE,
        # NOTE: an event route has no host only when it is written whole or
        # in pieces (ROUTE_TRIGGERS); a base URL with the host may end in
        # "/v1" ("https://api.perkamo.com/v1" + "/events").
        triggers=ROUTE_TRIGGERS,
        # The sink reader takes the host in any letter case.
        caseless_triggers=_HOST_TRIGGERS,
        joint_triggers=ROUTE_JOINT_TRIGGERS,
        config_triggers=_sink_triggers,
    ),
    Family(
        name="retries",
        codes=frozenset({"PG501", "PG502", "PG503", "PG504"}),
        kinds=_CODE,
        # NOTE: a retry needs a Perkamo call: a route (ROUTE_TRIGGERS), or
        # the host with a path that a shared helper takes as a parameter.
        triggers=ROUTE_TRIGGERS,
        caseless_triggers=_HOST_TRIGGERS,
        joint_triggers=ROUTE_JOINT_TRIGGERS,
        config_triggers=_sink_triggers,
    ),
    Family(
        name="scopes",
        codes=frozenset({"PG601", "PG602"}),
        kinds=_CODE,
        # NOTE: a route counts when the file names Perkamo or when it is a
        # Perkamo call (ROUTE_TRIGGERS); key names hold "PERKAMO".
        triggers=ROUTE_TRIGGERS,
        # The routes of a file that names Perkamo in any letter case count.
        caseless_triggers=(b"perkamo", "per\u212aamo".encode()),
        joint_triggers=ROUTE_JOINT_TRIGGERS,
        config_triggers=_key_scope_triggers,
        deferred=True,
    ),
)


def load_families() -> tuple[Family, ...]:
    """Every rule family; no family's module is imported yet."""
    return FAMILIES


def family(name: str) -> Family:
    """The family named ``name``."""
    return next(f for f in FAMILIES if f.name == name)
