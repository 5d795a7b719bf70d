"""Environment variable names: public prefixes and Perkamo secret-key names."""

from __future__ import annotations


from perkamo_guard.lazy import lazy_compile

#: Prefixes that bundlers inline into browser or mobile code.
PUBLIC_PREFIXES = (
    "NEXT_PUBLIC_", "VITE_", "REACT_APP_", "EXPO_PUBLIC_", "NUXT_PUBLIC_",
    "NUXT_ENV_", "GATSBY_", "PUBLIC_", "VUE_APP_", "STORYBOOK_",
    "SNOWPACK_PUBLIC_", "NG_APP_", "RAZZLE_", "ASTRO_PUBLIC_", "PLASMO_PUBLIC_",
)

_SECRET_WORDS = frozenset({"SECRET", "PRIVATE", "SERVER", "SK", "ADMIN"})
_KEY_ENDINGS = frozenset({"KEY", "SK", "TOKEN", "CREDENTIALS"})
_PUBLIC_WORDS = frozenset({"PUBLISHABLE", "PK", "PUBLIC", "CLIENT", "BROWSER"})

#: A public-prefixed name that mentions Perkamo, anywhere in a text.
PUBLIC_PERKAMO_NAME = lazy_compile(
    r"(?<![A-Za-z0-9_])(?:" + "|".join(PUBLIC_PREFIXES) + r")[A-Z0-9_]*PERKAMO[A-Z0-9_]*"
)


def has_public_prefix(name: str) -> bool:
    """Tell whether a bundler would inline this variable into client code."""
    return name.upper().startswith(PUBLIC_PREFIXES)


def names_secret_key(name: str) -> bool:
    """Tell whether a variable name names a Perkamo server (secret) key.

    ``PERKAMO_SECRET_KEY``, ``PERKAMO_SERVER_KEY``, ``NEXT_PUBLIC_PERKAMO_SK``
    and ``PERKAMO_API_KEY`` do; ``PERKAMO_PUBLISHABLE_KEY``,
    ``PERKAMO_SERVER_URL`` and ``PERKAMO_SK_ENABLED`` do not: apart from
    ``SECRET``, a name must end in a key word to name a key.
    """
    words = name.upper().split("_")
    if "PERKAMO" not in words:
        return False
    rest = words[words.index("PERKAMO") + 1 :]
    if "SECRET" in rest:
        return True
    if not rest or rest[-1] not in _KEY_ENDINGS or set(rest) & _PUBLIC_WORDS:
        return False
    return bool(set(rest) & _SECRET_WORDS) or rest[-2:] == ["API", "KEY"]
