"""Origin names: the keys that hold allowed origins, and what marks Perkamo config.

The origin rules (PG201-PG205) read an origin list only under an *origin
key* in a *Perkamo context*. Names are compared with case and ``_ - .``
separators ignored, so ``allowedOrigins``, ``allowed_origins`` and
``ALLOWED-ORIGINS`` are one name. The configuration's ``origin-keys`` adds
key names and ``origin-context`` adds context words.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from perkamo_guard.config import Config
from perkamo_guard.lazy import lazy_compile
from perkamo_guard.prefilter import Mention

#: Origin keys, normalised (see `normalise`).
ORIGIN_KEYS = frozenset({
    "origins", "allowedorigins", "allowedorigin", "allowedrequestorigins",
    "requestorigins", "browserorigins", "allowedbrowserorigins",
})  # fmt: skip
#: Words that make a key, name or path part a Perkamo context.
CONTEXT_WORDS = ("perkamo",)
#: Whole names (normalised) that make a Perkamo context: the browser SDK.
CONTEXT_NAMES = frozenset({"browsersdk"})
_SEPARATORS = lazy_compile(r"[\s_.\-]+")


_WORD_BREAK = lazy_compile(r"[\s_.\-]+|(?<=[a-z0-9])(?=[A-Z])")


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


class Places(NamedTuple):
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


def context_path(display: str, root: Path) -> PurePosixPath:
    """Return the path that context is read from: never the folders above root."""
    path = Path(display)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(root.resolve())
        except (OSError, ValueError):
            path = Path(path.name)
    return PurePosixPath(path.as_posix())


#: "browser-sdk" and its spellings, in lower-cased text or bytes.
_FOLDED_SDK = lazy_compile(r"browser[_\-]?sdk")


def has_context_hint(text: str) -> bool:
    """Whether ``text`` names Perkamo or a browser SDK, in any letter case.

    NOTE: a case-insensitive regex reads about 25 ns a character, and far
    more where "browser" is frequent (front-end libraries): lower() and a
    case-sensitive search read about 7. Of the letters in these words, only
    the long s folds under re.IGNORECASE and not under lower() (every code
    point was checked), so the answer is the same.
    """
    folded = text.lower()
    if "\u017f" in text:
        folded = folded.replace("\u017f", "s")
    return "perkamo" in folded or _FOLDED_SDK.search(folded) is not None


def may_be_in_context(data: bytes, display: str, config: Config,
                      mentioned: bool | None = None) -> bool:
    """Tell cheaply, from a file's bytes, whether the origin rules could find
    a Perkamo context in it; False only when they certainly cannot.

    :param mentioned: whether ``CONTEXT_MENTION`` occurs in ``data``, when
        the caller's prefilter found out already; None to search here.

    NOTE: this is the origin check's own first test (``_may_hold_context``
    and the path), made before the file is decoded, so that the many files
    that say "origin" and nothing of Perkamo stay in the scan's first pass.
    """
    places = places_for(config)
    if places.configured or len(places.words) > len(CONTEXT_WORDS):
        return True  # configured names: the check itself decides
    if mentioned if mentioned is not None else CONTEXT_MENTION.occurs(data):
        return True
    # A Python file that is not UTF-8 is decoded with the codec it declares.
    if (display.endswith(_PYTHON_SUFFIXES) and not data.isascii()
            and data.find(b"coding", 0, 1024) >= 0 and not _is_utf8(data)):
        return True
    folder, _, name = display.rpartition("/")
    return _folder_in_context(folder, config) or places.path_context(PurePosixPath(name))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@lru_cache(maxsize=4096)
def _folder_in_context(folder: str, config: Config) -> bool:
    if not folder:
        return False
    return places_for(config).path_context(context_path(folder + "/_", config.root))


#: NOTE: past ASCII, only the Kelvin sign lower-cases to a letter of these
#: words and only the long s folds to one (every code point was checked):
#: the words are searched with those spellings too. Unicode tables in
#: bundles hold both signs, so their mere presence cannot send a file on.
#: The words of a Perkamo context, as bytes in a file may hold them.
CONTEXT_MENTION = Mention(
    words=(b"perkamo", b"browsersdk", b"browser_sdk", b"browser-sdk"),
    exact=(b"/v1/admin/config",),
    folds={ord("k"): "\u212a".encode(), ord("s"): "\u017f".encode()},
)
_PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")
