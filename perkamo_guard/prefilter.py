"""The first test every file pays: which trigger texts occur in its bytes?

Most files of a tree hold none of the trigger texts of any rule family, and
a scan only has to read them and say so. That test is most of a full
audit's cost, so it has two engines:

* for the first few megabytes of a run, plain ``bytes`` searches, one per
  trigger text (no import, nothing to build: the pre-commit path); texts
  that hold an anchor ("v1") are searched only where it occurs;
* past that, or from the start of a run of many files, Hyperscan, which
  looks for every text in one SIMD pass (about ten times faster on a 23 MB
  front-end tree, thirty on bundles), when it is installed.

Texts may be caseless (the host in any letter case), and companions count
only beside a lead (a route word beside a bare "v1" piece). ``Mention``
answers one question the same way: does the buffer name some words in any
letter case? A prefilter can answer it too, for the mentions it is given
as probes, in the same pass as its texts. Both engines give the same
answers; tests/test_prefilter.py holds them to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from perkamo_guard.log import get_logger

logger = get_logger(__name__)

#: Bytes searched with ``in`` before Hyperscan is loaded (its import costs
#: about 20 ms, the time ``in`` needs for about 2 MB of source).
UPGRADE_AFTER = 4 * 1024 * 1024


class Prefilter:
    """Tell which of a set of texts occur in a buffer."""

    def __init__(self, texts: Iterable[bytes], upgrade_after: int = UPGRADE_AFTER,
                 anchors: Iterable[bytes] = (), companions: Iterable[bytes] = (),
                 caseless: Iterable[bytes] = (), probes: Iterable[Mention] = ()) -> None:
        """:param anchors: short texts that many of ``texts`` hold: before
            Hyperscan, those texts are searched only where their anchor occurs.
        :param companions: texts that matter only beside one of ``texts``:
            they never make ``may_fire`` true, and ``hits`` names them only
            where one of ``texts`` occurs.
        :param caseless: texts (lower case) that count in any ASCII letter
            case, as ``texts`` do; ``hits`` names them in lower case.
        :param probes: mentions that ``probe`` tells apart wherever one of
            ``texts`` occurs: Hyperscan looks for their words in the same
            pass (the gate of a family that wakes on a common word then
            costs nothing more)."""
        self.caseless = tuple(sorted({text.lower() for text in caseless}))
        self.leads = frozenset(texts) | frozenset(self.caseless)
        self.companions = tuple(sorted(set(companions) - self.leads))
        self.all = tuple(sorted(self.leads)) + self.companions
        self.probes = tuple(probes)
        # Texts that hold an anchor are searched whole, where it occurs.
        self._groups: list[tuple[bytes | None, tuple[bytes, ...]]] = []
        left = sorted(self.leads - frozenset(self.caseless))
        for anchor in anchors:
            group = tuple(t for t in left if anchor in t)
            left = [t for t in left if anchor not in t]
            if group:
                self._groups.append((anchor, group))
        # Of the rest, a text that holds a shorter one occurs only where that
        # one does: it needs no search of its own to tell whether any occurs.
        shortest: list[bytes] = []
        self._held: dict[bytes, tuple[bytes, ...]] = {t: (t,) for t in self.leads}
        for text in sorted(left, key=lambda t: (len(t), t)):
            held = tuple(o for o in shortest if o in text)
            if held:
                self._held[text] = held
            else:
                shortest.append(text)
        self._groups.insert(0, (None, tuple(sorted(shortest))))
        #: What the first test searches for: any of them occurs in a buffer
        #: exactly when any text does.
        self.shortest = tuple(t for _, group in self._groups for t in group)
        #: Bytes left before Hyperscan is tried; None once it has been.
        self._budget: int | None = upgrade_after
        self._engine: _Hyperscan | None = None

    def may_fire(self, data: bytes) -> bool:
        """True if any of the texts (not the companions) occurs in ``data``."""
        engine = self._engine or self._upgrade(len(data))
        if engine is not None:
            return engine.any(data)
        return (any(text in data for text in self._searched(data))
                or bool(self._caseless_in(data)))

    def hits(self, data: bytes) -> frozenset[bytes]:
        """The texts that occur in ``data``, with their companions; nothing
        when none of the texts occurs."""
        engine = self._engine or self._upgrade(len(data))
        if engine is not None:
            return engine.hits(data)
        seen = {text for text in self._searched(data) if text in data}
        folded = self._caseless_in(data)
        if not seen and not folded:
            return frozenset()
        return frozenset(
            text for text in self.leads
            if text in seen or (seen.issuperset(self._held[text]) and text in data)
        ).union(folded, (text for text in self.companions if text in data))

    def probe(self, data: bytes) -> tuple[frozenset[bytes], frozenset[Mention] | None]:
        """``hits`` of ``data``, and which of the probes occur in it (both
        empty when none of the texts occurs); None for the probes before
        Hyperscan, which would search for them apart: a gate that needs
        one then searches itself, only where it is asked."""
        engine = self._engine or self._upgrade(len(data))
        if engine is not None:
            return engine.probe(data)
        return self.hits(data), None

    def _caseless_in(self, data: bytes) -> frozenset[bytes]:
        """The caseless texts that occur in ``data``, in any letter case."""
        if not self.caseless:
            return frozenset()
        folded = data.lower()
        return frozenset(text for text in self.caseless if text in folded)

    def _searched(self, data: bytes) -> Iterator[bytes]:
        """The shortest texts that may occur in ``data``, as its anchors say."""
        for anchor, group in self._groups:
            if anchor is None or anchor in data:
                yield from group

    def upgrade(self) -> None:
        """Load Hyperscan now: a run of many files will need it."""
        if self._engine is None:
            self._upgrade(self._budget or 0)

    def _upgrade(self, size: int) -> _Hyperscan | None:
        if self._budget is None:
            return None  # tried already, and Hyperscan was unavailable
        self._budget -= size
        if self._budget <= 0:
            self._budget = None
            caseless = set(self.caseless)
            self._engine = _Hyperscan.build(self.all, len(self.leads),
                                            [text in caseless for text in self.all],
                                            self.probes)
        return self._engine


class _Hyperscan:
    """One Hyperscan database of every text, the leads first: it stops at
    the first lead, or reports each text that occurs once."""

    def __init__(self, module: Any, texts: tuple[bytes, ...], leads: int,
                 caseless: Sequence[bool] = (), probes: Sequence[Mention] = ()) -> None:
        self._module = module
        self._texts = texts
        # NOTE: a probe's patterns follow the texts, each with its own id; a
        # caseless probe word may be spelled as an exact text is.
        patterns = list(zip(texts, caseless or [False] * len(texts)))
        self._probe_of: list[Mention] = []
        for mention in probes:
            for pattern in mention.patterns():
                patterns.append(pattern)
                self._probe_of.append(mention)
        self._database = _compile(module, tuple(p for p, _ in patterns),
                                  [fold for _, fold in patterns])
        # NOTE: a forked worker scans with its own copy of the scratch space.
        self._scratch = module.Scratch(self._database)
        self._leads = leads

    @classmethod
    def build(cls, texts: tuple[bytes, ...], leads: int,
              caseless: Sequence[bool] = (),
              probes: Sequence[Mention] = ()) -> _Hyperscan | None:
        if not texts:
            return None
        try:
            import hyperscan
        except ImportError:
            logger.debug("Hyperscan is not installed; trigger texts are searched one by one")
            return None
        try:
            return cls(hyperscan, texts, leads, caseless, probes)
        except Exception:  # noqa: BLE001 - an old or broken build: search one by one
            logger.debug("cannot compile the trigger texts with Hyperscan", exc_info=True)
            return None

    def any(self, data: bytes) -> bool:
        try:
            self._database.scan(data, match_event_handler=self._stop_at_lead,
                                scratch=self._scratch)
        except self._module.ScanTerminated:
            return True
        return False

    def _stop_at_lead(self, identifier: int, *_: object) -> bool:
        return identifier < self._leads

    def hits(self, data: bytes) -> frozenset[bytes]:
        return self.probe(data)[0]

    def probe(self, data: bytes) -> tuple[frozenset[bytes], frozenset[Mention]]:
        found: set[int] = set()
        self._database.scan(data, match_event_handler=_record, context=found,
                            scratch=self._scratch)
        if not any(i < self._leads for i in found):
            return frozenset(), frozenset()
        count = len(self._texts)
        return (frozenset(self._texts[i] for i in found if i < count),
                frozenset(self._probe_of[i - count] for i in found if i >= count))


def _compile(module: Any, texts: tuple[bytes, ...], caseless: Sequence[bool] = ()) -> Any:
    """A block-mode database of literal texts, each reported once.

    NOTE: the binding's literal mode ends a text at its first NUL (a key
    prefix in UTF-16 is every other byte NUL: "s" alone matched every
    file); texts that hold one are written as patterns of escaped bytes,
    which compile about a fifth slower.
    """
    single = module.HS_FLAG_SINGLEMATCH
    flags = [single | (module.HS_FLAG_CASELESS if fold else 0)
             for fold in (caseless or [False] * len(texts))]
    database = module.Database(mode=module.HS_MODE_BLOCK)
    if any(b"\0" in text for text in texts):
        database.compile(expressions=[b"".join(b"\\x%02x" % byte for byte in text)
                                      for text in texts],
                         ids=list(range(len(texts))), flags=flags)
    else:
        database.compile(expressions=list(texts), ids=list(range(len(texts))), flags=flags,
                         literal=True)
    return database


class Mention:
    """Tell whether a buffer holds some words in any ASCII letter case, or
    some byte strings exactly: a cheap test before a file is decoded.

    Like `Prefilter`, it searches with plain ``bytes`` methods for the first
    few megabytes of a run and then with Hyperscan: lower-casing a 10 MB
    bundle costs 17 ms, one Hyperscan pass about 2.
    """

    def __init__(self, words: Iterable[bytes], exact: Iterable[bytes] = (),
                 upgrade_after: int = UPGRADE_AFTER,
                 folds: Mapping[int, bytes] | None = None) -> None:
        """:param folds: other spellings of some letters (a byte each, lower
            case), as a Unicode case fold makes them: every word is searched
            with each of its letters spelled either way."""
        spelled = [variant for word in words
                   for variant in _spellings(word.lower(), folds or {})]
        self.words = tuple(word for word in spelled if word.isascii())
        #: The words as Unicode case folds spell them: searched only where
        #: one of the fold spellings occurs.
        self.variants = tuple(word for word in spelled if not word.isascii())
        self._marks = tuple((folds or {}).values())
        self.exact = tuple(exact)
        self._budget: int | None = upgrade_after
        self._database: Any = None
        self._module: Any = None
        self._scratch: Any = None

    def occurs(self, data: bytes) -> bool:
        if self._database is None and self._budget is not None:
            self._budget -= len(data)
            if self._budget <= 0:
                self._budget = None
                self._load()
        if self._database is not None:
            try:
                self._database.scan(data, match_event_handler=_stop, scratch=self._scratch)
            except self._module.ScanTerminated:
                return True
            return False
        if any(text in data for text in self.exact):
            return True
        if not self.words and not self.variants:
            return False
        folded = data.lower()
        if any(word in folded for word in self.words):
            return True
        return (any(mark in data for mark in self._marks)
                and any(word in folded for word in self.variants))

    def patterns(self) -> list[tuple[bytes, bool]]:
        """What to search for, each text with whether it counts in any case."""
        return ([(word, True) for word in (*self.words, *self.variants)]
                + [(text, False) for text in self.exact])

    def _load(self) -> None:
        try:
            import hyperscan

            patterns = self.patterns()
            database = _compile(hyperscan, tuple(p for p, _ in patterns),
                                [fold for _, fold in patterns])
            self._scratch = hyperscan.Scratch(database)
        except Exception:  # noqa: BLE001 - not installed or broken: plain bytes methods
            logger.debug("Hyperscan unavailable; words are searched in lower-cased bytes",
                         exc_info=True)
            return
        self._module, self._database = hyperscan, database


def _spellings(word: bytes, folds: Mapping[int, bytes]) -> list[bytes]:
    """Every way to write ``word`` with the letters of ``folds`` spelled either way."""
    choices = [(bytes([letter]), folds[letter]) if letter in folds else (bytes([letter]),)
               for letter in word]
    return [b"".join(letters) for letters in itertools.product(*choices)]


def _stop(*_: object) -> bool:
    return True  # the first match answers the question


def _record(identifier: int, start: int, end: int, flags: int, found: set[int]) -> None:
    found.add(identifier)
