"""Fingerprints: stable, secret-free identities for findings.

SARIF ``partialFingerprints``, GitLab ``fingerprint`` and the baseline all
use the fingerprint made here. It comes from the content, not from line
numbers: the rule, the file's path, a hash of the offending text, and the
finding's place among identical mistakes in that file. Lines inserted above
a finding leave it unchanged; a different key on the same line changes it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable

from perkamo_guard.model import Finding

#: Bumped whenever the recipe changes, so old fingerprints never match new ones.
_RECIPE = "pg-fp-1"
#: Hex digits kept: 128 bits, short enough for a readable baseline line.
_LENGTH = 32


def text_digest(text: str) -> str:
    """Return the SHA-256 of a finding's offending text, in hex."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(rule: str, path: str, text: str, occurrence: int) -> str:
    """Return the fingerprint of one finding.

    :param text:
        The offending text itself; only its hash enters the fingerprint.
    :param occurrence:
        How many identical mistakes (same rule, path and text) come before
        this one in the file, so that two of them stay two fingerprints.
    """
    material = "\0".join((_RECIPE, rule, path, text_digest(text), str(occurrence)))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:_LENGTH]


def fingerprint_findings(
    findings: Iterable[Finding],
    path_of: Callable[[Finding], str] = lambda finding: finding.path,
) -> list[tuple[Finding, str]]:
    """Pair each finding with its fingerprint, in file order.

    :param path_of:
        The path that enters the fingerprint; the baseline passes paths
        relative to its own folder, the reports pass the displayed path.
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    paired = []
    for finding in sorted(findings):
        path = path_of(finding)
        key = (finding.rule, path, text_digest(finding.secret_text))
        paired.append((finding, fingerprint(finding.rule, path, finding.secret_text,
                                            seen[key])))
        seen[key] += 1
    return paired
