"""Origin names: the keys that hold allowed origins, and what marks Perkamo config.

The origin rules (PG201-PG205) read an origin list only under an *origin
key* in a *Perkamo context*. Names are compared with case and ``_ - .``
separators ignored, so ``allowedOrigins``, ``allowed_origins`` and
``ALLOWED-ORIGINS`` are one name. The configuration's ``origin-keys`` adds
key names and ``origin-context`` adds context words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath

from perkamo_guard.config import Config

#: Origin keys, normalised (see `normalise`).
ORIGIN_KEYS = frozenset({
    "origins", "allowedorigins", "allowedorigin", "allowedrequestorigins",
    "requestorigins", "browserorigins", "allowedbrowserorigins",
})  # fmt: skip
#: Words that make a key, name or path part a Perkamo context.
CONTEXT_WORDS = ("perkamo",)
#: Whole names (normalised) that make a Perkamo context: the browser SDK.
CONTEXT_NAMES = frozenset({"browsersdk"})
_SEPARATORS = re.compile(r"[\s_.\-]+")


_WORD_BREAK = re.compile(r"[\s_.\-]+|(?<=[a-z0-9])(?=[A-Z])")


def longest_word(key: str) -> str:
    """Return the longest word of a snake, kebab or camel case name."""
    return max(_WORD_BREAK.split(key), key=len)


def normalise(name: str) -> str:
    """Return ``name`` in lower case without ``_``, ``-``, ``.`` and spaces."""
    return _SEPARATORS.sub("", name).lower()


def names_perkamo_origins(name: str) -> bool:
    """Tell whether a name says both Perkamo and origins (needs no context)."""
    folded = normalise(name)
    return "perkamo" in folded and ("origins" in folded or folded.endswith("origin"))


@dataclass(frozen=True)
class Places:
    """The names that mark origin lists and Perkamo contexts, for one run."""

    keys: frozenset[str]
    configured: frozenset[str]
    words: tuple[str, ...]

    def is_origin_key(self, label: str) -> bool:
        """Tell whether a key or name (its last dotted part) holds origins."""
        name = normalise(label.rsplit(".", 1)[-1])
        return name in self.keys or self.needs_no_context(label)

    def needs_no_context(self, label: str) -> bool:
        """Tell whether a name is an origin list wherever it occurs."""
        name = normalise(label.rsplit(".", 1)[-1])
        return name in self.configured or names_perkamo_origins(name)

    def is_context(self, label: str) -> bool:
        """Tell whether a key, name or path part names Perkamo or its SDK."""
        folded = normalise(label)
        return folded in CONTEXT_NAMES or any(w in folded for w in self.words)

    def in_context(self, labels: Sequence[str], base: bool, code: bool) -> bool:
        """Tell whether the labels above an origin key make a Perkamo context."""
        context = base
        for label in labels:
            if self.is_context(label):
                context = True
            elif code and "cors" in normalise(label):
                context = False
        return context

    def path_context(self, path: PurePosixPath) -> bool:
        """Tell whether a file's path names Perkamo or its browser SDK."""
        return any(
            self.is_context(part) or self.is_context(part.split(".", 1)[0])
            for part in path.parts
        )


@lru_cache(maxsize=8)
def places_for(config: Config) -> Places:
    """Return the default names merged with the configuration's."""
    return Places(
        keys=ORIGIN_KEYS | {normalise(k) for k in config.origin_keys},
        configured=frozenset(normalise(k) for k in config.origin_keys),
        words=CONTEXT_WORDS + tuple(normalise(w) for w in config.origin_context if w),
    )
