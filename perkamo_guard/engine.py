"""The runner: discover, classify, read, check and filter, one file at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from perkamo_guard import parallel
from perkamo_guard.catalogue import load_catalogue
from perkamo_guard.checks import Context, Family, load_families
from perkamo_guard.classify import Classifier, directive_zone
from perkamo_guard.config import Config
from perkamo_guard.discover import Discovered, discover
from perkamo_guard.filter import (
    RuleFilter,
    Suppression,
    apply_suppressions,
    find_suppressions,
)
from perkamo_guard.gitignore import GitignoreOracle
from perkamo_guard.imports import client_modules
from perkamo_guard.hygiene import CODES as HYGIENE_CODES
from perkamo_guard.hygiene import TRIGGER as SUPPRESSION_TRIGGER
from perkamo_guard.hygiene import Judgement, audit, has_real_comments
from perkamo_guard.model import (
    SCRIPT_KINDS,
    Classified,
    FileError,
    Finding,
    Kind,
    SourceFile,
    Zone,
)
from perkamo_guard.read import (
    BinaryFile,
    ReadError,
    Triggers,
    decode,
    normalise,
    read_bytes,
)

logger = logging.getLogger(__name__)

#: A JavaScript file with lines this long on average is minified output.
_MINIFIED_LINE = 1000
#: Directives sit at the top; comments before them rarely run this long.
_DIRECTIVE_WINDOW = 8192

#: Wraps the list of files to scan, to show progress while it is consumed.
Progress = Callable[[list[Discovered]], Iterable[Discovered]]


@dataclass
class RunResult:
    """Everything one run found, before reporting."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_scanned: int = 0
    files_skipped: int = 0
    suppressed: int = 0
    zones: list[Classified] = field(default_factory=list)
    #: Findings a baseline hid; None when the run used no baseline.
    baseline_hidden: int | None = None
    #: Baseline entries for the scanned files that matched no finding.
    baseline_unmatched: int = 0


class Scanner:
    """Scan files with the selected rule families."""

    def __init__(self, config: Config, selected: set[str], today: date | None = None,
                 jobs: int = 1) -> None:
        self.config = config
        #: Worker processes for the quiet files of large scans (1: none).
        self.jobs = jobs
        self.rule_filter = RuleFilter(selected, config)
        self.families = [f for f in load_families() if f.codes & selected]
        self.classifier = Classifier(config)
        catalogue = load_catalogue()
        #: Every rule code; the rule files themselves are read on first use.
        self._known = frozenset(catalogue.codes())
        self.context = Context(config, catalogue,
                               is_committed=GitignoreOracle().is_committed)
        #: Suppression hygiene runs when one of its codes is selected.
        self.hygiene = bool(selected & HYGIENE_CODES)
        self.today = today or date.today()
        self._client_modules: dict[Path, Path] = {}
        self._checked = frozenset(
            code for family in self.families for code in family.codes if code in selected
        )
        #: Codes found only after the last file (PG601, PG602), and the live
        #: suppressions of each file that has some, to apply to them then.
        self._deferred = frozenset(
            code for family in self.families if family.finish for code in family.codes
        )
        self._suppressions: dict[str, list[Suppression]] = {}
        self._plans: dict[Kind, tuple[list[Family], Triggers]] = {}

    def scan(self, paths: list[str], progress: Progress | None = None) -> RunResult:
        """Scan every file below ``paths``; ``progress`` may wrap the file list."""
        result = RunResult()
        found = discover(paths, self.config, errors=result.errors)
        self._client_modules = client_modules(found)
        self.context.paths = tuple(paths)
        quiet = self._quiet_files(found)
        for index, item in enumerate(progress(found) if progress else found):
            classified = quiet.get(index)
            if classified is None:
                self.scan_file(item, result)
            else:
                result.files_scanned += 1
                result.zones.append(classified)
        self._finish(result)
        result.findings = sorted(set(result.findings))
        result.errors = sorted(set(result.errors), key=lambda e: (e.path, e.message))
        return result

    def _quiet_files(self, found: list[Discovered]) -> dict[int, Classified]:
        if self.jobs < 2 or len(found) < parallel.MIN_FILES or not parallel.can_fork():
            return {}
        return parallel.quiet_files(self, found, self.jobs)

    def quiet_classification(self, found: Discovered) -> Classified | None:
        """Classify a file that a scan would only count; None for any other.

        NOTE: this is the quiet path of scan_file, for worker processes; a
        file it returns None for is scanned again, whole, by scan_file.
        """
        classified = self._with_client_imports(self.classifier.classify(found))
        try:
            data = normalise(read_bytes(found.path, self.config.max_file_size))
        except ReadError:
            return None
        classified = _refine(classified, data)
        active, audits = self._prefilter(classified, data)
        return None if active or audits else classified

    def scan_file(self, found: Discovered, result: RunResult) -> None:
        """Scan one file, recording its findings or its file error."""
        classified = self._with_client_imports(self.classifier.classify(found))
        try:
            raw = read_bytes(found.path, self.config.max_file_size)
            data = normalise(raw)
        except BinaryFile as exc:
            result.zones.append(classified)
            self._binary(classified, str(exc), result)
            self._binary_keys(classified, raw, result)
            return
        except ReadError as exc:
            result.zones.append(classified)
            result.errors.append(FileError(found.display, str(exc)))
            return
        result.files_scanned += 1
        classified = _refine(classified, data)
        result.zones.append(classified)
        active, audits = self._prefilter(classified, data)
        if not active and not audits:
            return
        file = self._source_file(classified, data, result)
        # NOTE: the checks read the decoded text only; a 50 MB bundle held
        # twice would double the peak memory.
        del raw, data
        self._check(file, active, result)

    def _with_client_imports(self, classified: Classified) -> Classified:
        importer = self._client_modules.get(classified.path)
        if importer is None or classified.zone_reason.startswith("configured"):
            return classified
        reason = f"imported by the \"use client\" module {importer.name}"
        return replace(classified, zone=Zone.BROWSER, zone_reason=reason)

    def _binary_keys(self, classified: Classified, raw: bytes, result: RunResult) -> None:
        """Look for keys in a binary file's bytes: a NUL byte must not hide a key."""
        if b"sk_live_" not in raw and b"sk_test_" not in raw:
            return
        keys = [f for f in self.families if f.name == "keys"]
        text = raw.decode("latin-1")
        file = SourceFile(classified.path, classified.display, Kind.TEXT, classified.zone,
                          text, classified.is_example_env)
        self._check(file, keys, result)

    def _binary(self, classified: Classified, reason: str, result: RunResult) -> None:
        if classified.kind is Kind.TEXT:
            logger.info("skipping %s: %s", classified.display, reason)
            result.files_skipped += 1
        else:
            message = (f"{reason}, though its name says {classified.kind.value}; "
                       "searched for keys only")
            result.errors.append(FileError(classified.display, message))

    def _prefilter(self, classified: Classified, data: bytes) -> tuple[list[Family], bool]:
        """The families whose triggers occur in ``data``, and whether hygiene runs."""
        families, triggers = self._plan(classified.kind)
        present = triggers.present(data)
        active = [family for family, hit in zip(families, present) if hit]
        audits = (self.hygiene and present[-1]
                  and has_real_comments(classified.kind, classified.path))
        return active, audits

    def _plan(self, kind: Kind) -> tuple[list[Family], Triggers]:
        """The families that read ``kind`` and their triggers, suppressions last."""
        plan = self._plans.get(kind)
        if plan is None:
            families = [f for f in self.families if f.applies_to(kind)]
            groups = [f.all_triggers(self.config) for f in families]
            plan = self._plans[kind] = (families, Triggers([*groups, (SUPPRESSION_TRIGGER,)]))
        return plan

    def _source_file(self, classified: Classified, data: bytes,
                     result: RunResult) -> SourceFile:
        decoded = decode(data, python=classified.kind is Kind.PYTHON)
        if decoded.note:
            result.errors.append(FileError(classified.display, decoded.note))
        return SourceFile(classified.path, classified.display, classified.kind,
                          classified.zone, decoded.text, classified.is_example_env)

    def _check(self, file: SourceFile, families: list[Family], result: RunResult) -> None:
        findings: list[Finding] = []
        failed: set[str] = set()
        for family in families:
            try:
                findings.extend(family.check(file, self.context))
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
                failed |= family.codes
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
        suppressions = find_suppressions(file)
        # NOTE: an expired suppression hides nothing; PG903 says why its
        # findings are back.
        live = [s for s in suppressions if not s.is_expired(self.today)]
        if live and self._deferred:
            self._suppressions[file.display] = live
        kept, dropped = apply_suppressions(findings, live)
        result.findings.extend(kept)
        result.suppressed += dropped
        if self.hygiene and has_real_comments(file.kind, file.path):
            # NOTE: a suppression of a deferred code cannot be judged unused yet.
            judged = frozenset(self._checked - ignored - failed - self._deferred)
            judgement = Judgement(self._known, judged, self.today)
            result.findings.extend(
                f for f in audit(file, suppressions, judgement, self.context)
                if self.rule_filter.keep(f, ignored)
            )


    def _finish(self, result: RunResult) -> None:
        """Add the findings that families make from the whole run."""
        for family in self.families:
            if family.finish is None:
                continue
            for finding in family.finish(self.context):
                relative = _relative(Path(finding.path), self.config.root)
                if not self.rule_filter.keep(finding, self.rule_filter.ignored_for(relative)):
                    continue
                live = self._suppressions.get(finding.path, [])
                kept, dropped = apply_suppressions([finding], live)
                result.findings.extend(kept)
                result.suppressed += dropped
        result.errors.extend(self.context.errors)
        self.context.errors.clear()


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
