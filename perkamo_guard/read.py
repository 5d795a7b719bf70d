"""Read and prefilter: read bytes once, spot binaries, decode tolerantly."""

from __future__ import annotations

import codecs
import os
import re
import stat
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


#: Why a binary file is not read as text.
BINARY = "binary file (NUL bytes)"


class BinaryFile(ReadError):
    """A file that holds binary data rather than text."""


def read_bytes(path: Path, max_size: int) -> bytes:
    """Read a whole regular file, refusing ones larger than ``max_size`` bytes.

    A FIFO, a device or a directory is refused, not read: the file we found
    may have been replaced since, and reading a FIFO would wait forever.
    """
    try:
        # NOTE: O_NONBLOCK makes opening a FIFO return at once; it changes
        # nothing for a regular file.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(descriptor)
            _check_regular(info, max_size)
        except BaseException:
            os.close(descriptor)
            raise
        with open(descriptor, "rb") as handle:
            # NOTE: read(max_size + 1) allocates max_size bytes before it
            # shrinks them, 200 MB for every small file (about 25 us each);
            # we ask for the size we saw, and read on only if the file grew.
            data = handle.read(min(info.st_size, max_size) + 1)
            if len(data) > info.st_size:
                data += handle.read(max_size + 1 - len(data))
            return data
    except FileNotFoundError as exc:
        raise ReadError("file disappeared before it could be read") from exc
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from exc


def _check_regular(info: os.stat_result, max_size: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ReadError("not a regular file (a directory, FIFO or device)")
    if info.st_size > max_size:
        raise ReadError(f"file is {info.st_size:,} bytes, over the {max_size:,}-byte limit")


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
        raise BinaryFile(BINARY)
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
