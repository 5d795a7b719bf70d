"""Parse stage: the script modules of a JavaScript-family file, parsed once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perkamo_guard.model import SourceFile

if TYPE_CHECKING:
    from perkamo_guard.parse.javascript import JsModule


def script_modules(file: SourceFile) -> list[JsModule]:
    """Return the file's script modules, cached in ``file.cache``.

    Every family that needs a JavaScript tree should ask here, so that a
    file is parsed and walked at most once per run.
    """
    cached = file.cache.get("js")
    if cached is None:
        from perkamo_guard.parse.javascript import parse_file

        cached = parse_file(file.text, file.kind.value)
        file.cache["js"] = cached
    return list(cached)
