"""Read and prefilter: read bytes once, spot binaries, decode tolerantly."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_BINARY_SNIFF = 8192


@dataclass(frozen=True)
class Decoded:
    """A file's text, and a note when decoding had to guess."""

    text: str
    note: str | None = None


class ReadError(Exception):
    """A file we cannot read as text; the message says why."""


class BinaryFile(ReadError):
    """A file that holds binary data rather than text."""


def read_bytes(path: Path, max_size: int) -> bytes:
    """Read a whole file, refusing ones larger than ``max_size`` bytes."""
    try:
        size = path.stat().st_size
        if size > max_size:
            raise ReadError(f"file is {size:,} bytes, over the {max_size:,}-byte limit")
        with path.open("rb") as handle:
            return handle.read(max_size + 1)
    except FileNotFoundError as exc:
        raise ReadError("file disappeared before it could be read") from exc
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from exc


def normalise(data: bytes) -> bytes:
    """Return UTF-8-ish bytes: drop a UTF-8 BOM, transcode UTF-16/32 with a BOM.

    :raises BinaryFile: when the bytes hold NULs and no UTF-16/32 BOM.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :]
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace").encode("utf-8", "surrogatepass")
    if b"\x00" in data[:_BINARY_SNIFF]:
        raise BinaryFile("binary file (NUL bytes)")
    return data


def decode(data: bytes, python: bool = False) -> Decoded:
    """Decode normalised bytes as UTF-8, else as the declared or a lenient codec.

    Key shapes are ASCII, so a lenient decode loses no finding; the note
    tells the user the file was not valid UTF-8.
    """
    try:
        return Decoded(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if python:
        declared = _declared_coding(data)
        if declared:
            return Decoded(data.decode(declared, errors="replace"))
    note = f"not valid UTF-8 (byte offset {first_bad}); undecodable bytes were replaced"
    return Decoded(data.decode("utf-8", errors="replace"), note)


def _declared_coding(data: bytes) -> str | None:
    """Return the PEP 263 coding of a Python file, if it names a known codec."""
    head = b"\n".join(data.split(b"\n", 2)[:2])
    match = _CODING.search(head)
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
