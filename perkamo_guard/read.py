"""Read and prefilter: read bytes once, spot binaries, decode tolerantly."""

from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import Path
from typing import NamedTuple

from perkamo_guard.lazy import lazy_compile

_CODING = lazy_compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_BINARY_SNIFF = 8192


class Decoded(NamedTuple):
    """A file's text, and a note when decoding had to guess."""

    text: str
    note: str | None = None


class ReadError(Exception):
    """A file we cannot read as text; the message says why."""


#: Why a binary file is not read as text.
BINARY = "binary file (NUL bytes)"


class BinaryFile(ReadError):
    """A file that holds binary data rather than text."""


def read_bytes(path: Path | str, max_size: int) -> bytes:
    """Read a whole regular file, refusing ones larger than ``max_size`` bytes.

    A FIFO, a device or a directory is refused, not read: the file we found
    may have been replaced since, and reading a FIFO would wait forever.
    """
    try:
        # NOTE: O_NONBLOCK makes opening a FIFO return at once; it changes
        # nothing for a regular file.
        descriptor = os.open(path, _OPEN_FLAGS)
        try:
            info = os.fstat(descriptor)
            _check_regular(info, max_size)
            return _read_all(descriptor, min(info.st_size, max_size) + 1, max_size + 1)
        finally:
            os.close(descriptor)
    except FileNotFoundError as exc:
        raise ReadError("file disappeared before it could be read") from exc
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from exc


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_all(descriptor: int, expected: int, limit: int) -> bytes:
    """Read up to ``limit`` bytes, asking first for the ``expected`` ones.

    NOTE: a file object's read(max_size + 1) allocates max_size bytes before
    it shrinks them, 200 MB for every small file; and os.read without a file
    object saves about 8 us a file. A regular file answers a read in full
    unless it ends first, so a short read is the end; a full one means the
    file grew since fstat, and we read on to the limit.
    """
    chunk = os.read(descriptor, expected)
    if len(chunk) < expected:
        return chunk
    parts = [chunk]
    total = len(chunk)
    while total < limit:
        chunk = os.read(descriptor, min(limit - total, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def _check_regular(info: os.stat_result, max_size: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ReadError("not a regular file (a directory, FIFO or device)")
    if info.st_size > max_size:
        raise ReadError(f"file is {info.st_size:,} bytes, over the {max_size:,}-byte limit")


def normalise(data: bytes) -> bytes:
    """Return UTF-8-ish bytes: drop a UTF-8 BOM, transcode UTF-16/32 with a BOM.

    :raises BinaryFile: when the bytes hold NULs and no UTF-16/32 BOM.
    """
    if data[:1] in _BOM_STARTS:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :]
        for bom, codec in _WIDE_BOMS:
            if data.startswith(bom):
                return data.decode(codec, errors="replace").encode("utf-8", "surrogatepass")
    if data.find(b"\x00", 0, _BINARY_SNIFF) >= 0:
        raise BinaryFile(BINARY)
    return data


_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: The first byte of every BOM we read: most files start with none of them.
_BOM_STARTS = frozenset({codecs.BOM_UTF8[:1], *(bom[:1] for bom, _ in _WIDE_BOMS)})


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
