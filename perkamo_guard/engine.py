"""The runner: discover, classify, read, check and filter, one file at a time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from perkamo_guard.catalogue import load_catalogue
from perkamo_guard.checks import Context, Family, load_families
from perkamo_guard.classify import Classifier, directive_zone
from perkamo_guard.config import Config
from perkamo_guard.discover import Discovered, discover
from perkamo_guard.filter import RuleFilter, apply_suppressions, find_suppressions
from perkamo_guard.gitignore import GitignoreOracle
from perkamo_guard.model import (
    SCRIPT_KINDS,
    Classified,
    FileError,
    Finding,
    Kind,
    SourceFile,
    Zone,
)
from perkamo_guard.read import BinaryFile, ReadError, decode, normalise, read_bytes

logger = logging.getLogger(__name__)

#: A JavaScript file with lines this long on average is minified output.
_MINIFIED_LINE = 1000
#: Directives sit at the top; comments before them rarely run this long.
_DIRECTIVE_WINDOW = 8192


@dataclass
class RunResult:
    """Everything one run found, before reporting."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_scanned: int = 0
    files_skipped: int = 0
    suppressed: int = 0
    zones: list[Classified] = field(default_factory=list)


class Scanner:
    """Scan files with the selected rule families."""

    def __init__(self, config: Config, selected: set[str]) -> None:
        self.config = config
        self.rule_filter = RuleFilter(selected, config)
        self.families = [f for f in load_families() if f.codes & selected]
        self.classifier = Classifier(config)
        self.context = Context(config, load_catalogue(),
                               is_committed=GitignoreOracle().is_committed)

    def scan(self, paths: list[str]) -> RunResult:
        result = RunResult()
        for found in discover(paths, self.config):
            self.scan_file(found, result)
        result.findings = sorted(set(result.findings))
        result.errors = sorted(set(result.errors), key=lambda e: (e.path, e.message))
        return result

    def scan_file(self, found: Discovered, result: RunResult) -> None:
        """Scan one file, recording its findings or its file error."""
        classified = self.classifier.classify(found)
        try:
            data = normalise(read_bytes(found.path, self.config.max_file_size))
        except BinaryFile as exc:
            result.zones.append(classified)
            self._binary(classified, str(exc), result)
            return
        except ReadError as exc:
            result.zones.append(classified)
            result.errors.append(FileError(found.display, str(exc)))
            return
        result.files_scanned += 1
        classified = _refine(classified, data)
        result.zones.append(classified)
        active = self._active_families(classified.kind, data)
        if not active:
            return
        file = self._source_file(classified, data, result)
        self._check(file, active, result)

    def _binary(self, classified: Classified, reason: str, result: RunResult) -> None:
        if classified.kind is Kind.TEXT:
            logger.info("skipping %s: %s", classified.display, reason)
            result.files_skipped += 1
        else:
            message = f"{reason}, though its name says {classified.kind.value}; skipped"
            result.errors.append(FileError(classified.display, message))

    def _active_families(self, kind: Kind, data: bytes) -> list[Family]:
        return [
            family for family in self.families
            if family.applies_to(kind)
            and any(t in data for t in family.all_triggers(self.config))
        ]

    def _source_file(self, classified: Classified, data: bytes,
                     result: RunResult) -> SourceFile:
        decoded = decode(data, python=classified.kind is Kind.PYTHON)
        if decoded.note:
            result.errors.append(FileError(classified.display, decoded.note))
        return SourceFile(classified.path, classified.display, classified.kind,
                          classified.zone, decoded.text, classified.is_example_env)

    def _check(self, file: SourceFile, families: list[Family], result: RunResult) -> None:
        findings: list[Finding] = []
        for family in families:
            try:
                findings.extend(family.check(file, self.context))
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
                logger.debug("%s checks failed on %s", family.name, file.display,
                             exc_info=True)
                result.errors.append(FileError(
                    file.display,
                    f"internal error in the {family.name} checks ({type(exc).__name__}); "
                    "findings of that family in this file may be missing",
                ))
        result.errors.extend(self.context.errors)
        self.context.errors.clear()

        ignored = self.rule_filter.ignored_for(_relative(file.path, self.config.root))
        findings = [f for f in findings if self.rule_filter.keep(f, ignored)]
        kept, dropped = apply_suppressions(findings, find_suppressions(file))
        result.findings.extend(kept)
        result.suppressed += dropped


def _refine(classified: Classified, data: bytes) -> Classified:
    """Refine kind and zone from content: directives and minified code."""
    if classified.kind in SCRIPT_KINDS and not classified.zone_reason.startswith("configured"):
        declared = directive_zone(data[:_DIRECTIVE_WINDOW].decode("utf-8", "replace"))
        if declared:
            logger.info("%s: %s zone (%s)", classified.display, *declared)
            classified = replace(classified, zone=declared[0], zone_reason=declared[1])
    if classified.kind is not Kind.JAVASCRIPT or len(data) < 20 * _MINIFIED_LINE:
        return classified
    if len(data) // (data.count(b"\n") + 1) < _MINIFIED_LINE:
        return classified
    zone = Zone.SERVER if classified.zone is Zone.SERVER else Zone.BROWSER
    return replace(classified, kind=Kind.BUNDLE, zone=zone, zone_reason="minified JavaScript")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
