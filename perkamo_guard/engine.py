"""The runner: discover, classify, read, check and filter, one file at a time."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from pathlib import Path

from perkamo_guard import parallel
from perkamo_guard.catalogue import load_catalogue
from perkamo_guard.checks import TRIGGER_ANCHORS, Context, Family, Wake, load_families
from perkamo_guard.classify import Classifier, directive_zone, kind_of_name
from perkamo_guard.config import Config
from perkamo_guard.discover import Discovered, discover
from perkamo_guard.filter import (
    RuleFilter,
    Suppression,
    apply_suppressions,
    find_suppressions,
)
from perkamo_guard.gitignore import GitignoreOracle
from perkamo_guard.imports import CLIENT_HEAD, CLIENT_SUFFIXES, client_modules
from perkamo_guard.keys import mask_keys
from perkamo_guard.hygiene import CODES as HYGIENE_CODES
from perkamo_guard.hygiene import TRIGGER as SUPPRESSION_TRIGGER
from perkamo_guard.hygiene import Judgement, audit, has_real_comments
from perkamo_guard.log import get_logger
from perkamo_guard.prefilter import Mention, Prefilter
from perkamo_guard.model import (
    SCRIPT_KINDS,
    Classified,
    FileError,
    Finding,
    Kind,
    SourceFile,
    Zone,
)
from perkamo_guard.parallel import Verdict
from perkamo_guard.read import (
    BINARY,
    BinaryFile,
    ReadError,
    decode,
    normalise,
    read_bytes,
)

logger = get_logger(__name__)

#: A JavaScript file with lines this long on average is minified output.
_MINIFIED_LINE = 1000
#: Directives sit at the top; comments before them rarely run this long.
_DIRECTIVE_WINDOW = 8192

#: Shows a run's progress: called with the number of files, it gives a
#: context whose value takes each step forward (a number of files).
Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]


class Ticker:
    """Move a progress display to a position, never back and never past the end."""

    def __init__(self, step: Callable[[int], None] | None, total: int) -> None:
        self._step = step
        self.total = total
        self._shown = 0

    def to(self, position: int) -> None:
        position = min(position, self.total)
        if self._step is not None and position > self._shown:
            self._step(position - self._shown)
            self._shown = position


class RunResult:
    """Everything one run found, before reporting."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.errors: list[FileError] = []
        self.files_scanned = 0
        self.files_skipped = 0
        self.suppressed = 0
        #: Kind and zone of every file, when the scanner records them.
        self.zones: list[Classified] = []
        #: The display path of every file the run looked at.
        self.scanned: list[str] = []
        #: Findings a baseline hid; None when the run used no baseline.
        self.baseline_hidden: int | None = None
        #: Baseline entries for the scanned files that matched no finding.
        self.baseline_unmatched = 0


class Scanner:
    """Scan files with the selected rule families."""

    def __init__(self, config: Config, selected: set[str], today: date | None = None,
                 jobs: int = 1, record_zones: bool = False, triggers: bool = True) -> None:
        self.config = config
        #: Let trigger texts and gates decide which files and families to
        #: skip; without them every family reads every file of its kinds
        #: (the tests' oracle for the prefilter: the findings are the same).
        self.triggers = triggers
        #: Keep every file's kind and zone in the result (``--show-zones``);
        #: otherwise only the files that hold a trigger text are classified.
        self.record_zones = record_zones
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
        #: The files of the run, and the indexes of those that may be "use client" modules.
        self._found: list[Discovered] = []
        self._hinted: list[int] = []
        self._client_modules: dict[Path, Path] | None = None
        self._checked = frozenset(
            code for family in self.families for code in family.codes if code in selected
        )
        #: Codes found only after the last file (PG601, PG602), and the live
        #: suppressions of each file that has some, to apply to them then.
        self._deferred = frozenset(
            code for family in self.families if family.deferred for code in family.codes
        )
        self._suppressions: dict[str, list[Suppression]] = {}
        #: The families whose checks read at least one file.
        self._ran: set[str] = set()
        self._plans: dict[Kind, list[tuple[Family, Wake]]] = {}
        #: Every selected family with what wakes it; the prefilter searches
        #: for all of their texts at once.
        self._triggers = [(family, family.wake(config)) for family in self.families]
        self.prefilter = Prefilter(
            [text for _, wake in self._triggers for text in wake.leads]
            + ([SUPPRESSION_TRIGGER] if self.hygiene else []),
            anchors=TRIGGER_ANCHORS,
            companions=[text for _, wake in self._triggers for text in wake.companions],
            caseless=[text for _, wake in self._triggers for text in wake.caseless],
            probes=[family.gate_mention for family in self.families if family.gate_mention])

    def scan(self, paths: list[str], progress: Progress | None = None) -> RunResult:
        """Scan every file below ``paths``; ``progress`` shows how far it got."""
        result = RunResult()
        ahead = self._compile_ahead(paths)
        found = discover(paths, self.config, errors=result.errors)
        if ahead is not None:
            ahead.join()  # before any fork: a forked process gets no threads
        self.context.paths = tuple(paths)
        result.scanned = [item.display for item in found]
        with progress(len(found)) if progress else nullcontext(None) as step:
            self._scan(found, result, Ticker(step, len(found)))
        self._finish(result)
        result.findings = sorted(set(result.findings))
        # NOTE: a parser's message may quote the file ("undefined alias
        # *sk_live_…", a duplicate TOML key): no key leaves whole.
        result.errors = sorted({FileError(e.path, mask_keys(e.message)) for e in result.errors},
                               key=lambda e: (e.path, e.message))
        return result

    def _compile_ahead(self, paths: list[str]) -> threading.Thread | None:
        """Start Hyperscan's compile in a thread when a folder is to be walked.

        NOTE: the compile (about 5 ms) lets go of the GIL, so it runs beside
        discovery (about 20 ms for 5,000 files) on the second core. A folder
        usually holds many files; a list of files, as a hook passes, does not.
        """
        if not self.triggers or not any(os.path.isdir(path) for path in paths):
            return None
        thread = threading.Thread(target=self.prefilter.upgrade, daemon=True)
        thread.start()
        return thread

    def _scan(self, found: list[Discovered], result: RunResult, ticker: Ticker) -> None:
        jobs = self.jobs if len(found) >= parallel.MIN_FILES else 1
        if len(found) >= parallel.MIN_FILES:
            # NOTE: searched one by one, the trigger texts read about 100 MB/s
            # of bundles; Hyperscan's import and compile (20 ms) pay for
            # themselves within the first few megabytes. The gates' words
            # are probes of the same search.
            self.prefilter.upgrade()
        self._found = found
        self._client_modules = None

        def early(index: int, item: Discovered) -> bool:
            if item.display.endswith(CLIENT_SUFFIXES):
                return False  # its zone may hang on the import graph: at the end
            self.scan_file(item, result)
            return True

        triage = parallel.triage(self, found, jobs, ticker,
                                 None if self.record_zones or jobs == 1 else early)
        # NOTE: paths are made only if a file needs its zone: 1,300 of the
        # front-end corpus's files say "client" and most runs are quiet.
        self._hinted = sorted(triage.hinted)
        loud = []
        for index, item in enumerate(found):
            if self.record_zones:
                loud.append(item)  # its zone may depend on its content
            elif index in triage.done:
                continue
            elif index in triage.quiet:
                result.files_scanned += 1
            elif index in triage.skipped:
                logger.info("skipping %s: %s", item.display, BINARY)
                result.files_skipped += 1
            else:
                loud.append(item)
        done = len(found) - len(loud)
        ticker.to(done)
        for count, item in enumerate(loud, 1):
            self.scan_file(item, result)
            ticker.to(done + count)

    def triage(self, found: Discovered) -> tuple[Verdict, bool]:
        """What a scan of this file would do, and whether the file may be a
        ``"use client"`` module.

        A quiet file reads as text and holds no trigger text of any selected
        family: a scan only counts it. A skipped file is binary, not named
        as source, and holds no key prefix. Any other file goes through
        scan_file, which reads it again.
        """
        try:
            raw = read_bytes(found.file, self.config.max_file_size)
            data = normalise(raw)
        except BinaryFile:
            plain = (self.triggers and kind_of_name(_name(found)) is Kind.TEXT
                     and not _holds_key_prefix(raw))
            return (Verdict.SKIPPED if plain else Verdict.LOUD), False
        except ReadError:
            return Verdict.LOUD, False
        hinted = (found.display.endswith(CLIENT_SUFFIXES)
                  and data.find(b"client", 0, CLIENT_HEAD) >= 0
                  and (data.find(b"use client", 0, CLIENT_HEAD) >= 0
                       or data.find(b"client-only", 0, CLIENT_HEAD) >= 0))
        return (Verdict.LOUD if self._may_fire(found, data) else Verdict.QUIET), hinted

    def _may_fire(self, found: Discovered, data: bytes) -> bool:
        """Whether a check could report anything on ``data``, of any kind."""
        if not self.triggers:
            return True
        hits, mentioned = self.prefilter.probe(data)
        if not hits:
            return False
        if self.hygiene and SUPPRESSION_TRIGGER in hits:
            return True
        gates: dict[str, bool] = {}

        def fires(kind: Kind) -> bool:
            for family, wake in self._plan(kind):
                if not wake(hits):
                    continue
                if family.gate is None:
                    return True
                if family.name not in gates:
                    known = (None if mentioned is None or family.gate_mention is None
                             else family.gate_mention in mentioned)
                    gates[family.name] = family.gate(data, found.display, self.config, known)
                if gates[family.name]:
                    return True
            return False

        # NOTE: the kind a file's name gives reads every family that its
        # classified kind reads (build output and minified code only turn
        # JavaScript into a bundle, which fewer families read): a file that
        # nothing fires on by its name is quiet, and only JavaScript that
        # something fires on needs its kind (a look at every line break).
        named = kind_of_name(_name(found))
        if not fires(named):
            return False
        return named is not Kind.JAVASCRIPT or fires(self._kind(found, data))

    def _kind(self, found: Discovered, data: bytes) -> Kind:
        """The kind a scan of JavaScript gives it: minified code and build
        output are bundles."""
        return Kind.BUNDLE if _is_minified(data) else self.classifier.kind(found)

    def scan_file(self, found: Discovered, result: RunResult) -> None:
        """Scan one file, recording its findings or its file error."""
        try:
            raw = read_bytes(found.file, self.config.max_file_size)
            data = normalise(raw)
        except BinaryFile as exc:
            classified = self._classify(found)
            if self.record_zones:
                result.zones.append(classified)
            self._binary(classified, str(exc), result)
            self._binary_keys(classified, raw, result)
            return
        except ReadError as exc:
            if self.record_zones:
                result.zones.append(self._classify(found))
            result.errors.append(FileError(found.display, str(exc)))
            return
        result.files_scanned += 1
        if self.triggers and not self.prefilter.may_fire(data):
            # NOTE: most files stop here, unclassified: no family could fire.
            if self.record_zones:
                result.zones.append(_refine(self._classify(found), data))
            return
        classified = _refine(self._classify(found), data)
        if self.record_zones:
            result.zones.append(classified)
        active, audits = self._prefilter(classified, data)
        if not active and not audits:
            return
        file = self._source_file(classified, data, result)
        # NOTE: the checks read the decoded text only; a 50 MB bundle held
        # twice would double the peak memory.
        del raw, data
        self._check(file, active, result)

    def _classify(self, found: Discovered) -> Classified:
        return self._with_client_imports(self.classifier.classify(found))

    def _with_client_imports(self, classified: Classified) -> Classified:
        if not classified.display.endswith(CLIENT_SUFFIXES):
            return classified  # only scripts join a client module's bundle
        if self._client_modules is None:
            # NOTE: the import graph costs a look at every script's project;
            # it is built when the first file needs a zone.
            self._client_modules = client_modules(
                self._found, [self._found[index].path for index in self._hinted])
        importer = self._client_modules.get(classified.path)
        if importer is None or classified.zone_reason.startswith("configured"):
            return classified
        reason = f"imported by the \"use client\" module {importer.name}"
        return classified._replace(zone=Zone.BROWSER, zone_reason=reason)

    def _binary_keys(self, classified: Classified, raw: bytes, result: RunResult) -> None:
        """Look for keys in a binary file's bytes: a NUL byte must not hide a key,
        nor UTF-16 without a byte-order mark."""
        texts = _binary_texts(raw)
        if not texts:
            if self.triggers:
                return
            texts = [raw.decode("latin-1")]
        keys = [f for f in self.families if f.name == "keys"]
        for text in texts:
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
        if not self.triggers:
            hits = frozenset({SUPPRESSION_TRIGGER})
            active = [family for family, _ in self._plan(classified.kind)]
        else:
            hits = self.prefilter.hits(data)
            active = [family for family, wake in self._plan(classified.kind) if wake(hits)]
        audits = (self.hygiene and SUPPRESSION_TRIGGER in hits
                  and has_real_comments(classified.kind, classified.path))
        return active, audits

    def _plan(self, kind: Kind) -> list[tuple[Family, Wake]]:
        """The families that read ``kind``, each with its trigger texts."""
        plan = self._plans.get(kind)
        if plan is None:
            plan = self._plans[kind] = [
                (family, wake) for family, wake in self._triggers
                if family.applies_to(kind)
            ]
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
            self._ran.add(family.name)
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
            if family.name not in self._ran:
                continue  # it gathered nothing to judge
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


def _holds_key_prefix(raw: bytes) -> bool:
    return _KEY_PREFIX_MENTION.occurs(raw)


def _binary_texts(raw: bytes) -> list[str]:
    """The texts of a binary file in which a key prefix occurs: its bytes
    one character each where the prefix is written so, and its two-byte
    characters of each alignment where it is written in UTF-16.

    NOTE: little-endian characters from an even offset read as big-endian
    ones from an odd offset, and the other way round: two decodings cover
    both byte orders, and a file may hold keys of several kinds.
    """
    texts = []
    if any(prefix in raw for prefix in _KEY_PREFIXES):
        texts.append(raw.decode("latin-1"))
    if any(prefix in raw for prefix in _WIDE_KEY_PREFIXES):
        for start in (0, 1):
            end = len(raw) - (len(raw) - start) % 2
            text = raw[start:end].decode("utf-16-le", errors="replace")
            if any(prefix.decode() in text for prefix in _KEY_PREFIXES):
                texts.append(text)
    return texts


#: The key prefixes, and the same in UTF-16 of either byte order (every
#: other byte NUL: the little-endian bytes less the NUL after the last).
_KEY_PREFIXES = (b"sk_live_", b"sk_test_")
_WIDE_KEY_PREFIXES = tuple(prefix.decode().encode("utf-16-le")[:-1]
                           for prefix in _KEY_PREFIXES)
#: Both, for the first pass over binary files: past the first megabytes of
#: a run, Hyperscan (the 1,314 binary files of the python-web benchmark
#: corpus: 19 ms with two regular expressions, 4.5 with Hyperscan).
_KEY_PREFIX_MENTION = Mention((), exact=_KEY_PREFIXES + _WIDE_KEY_PREFIXES)


def _refine(classified: Classified, data: bytes) -> Classified:
    """Refine kind and zone from content: directives and minified code."""
    if classified.kind in SCRIPT_KINDS and not classified.zone_reason.startswith("configured"):
        declared = directive_zone(data[:_DIRECTIVE_WINDOW].decode("utf-8", "replace"))
        if declared:
            logger.info("%s: %s zone (%s)", classified.display, *declared)
            classified = classified._replace(zone=declared[0], zone_reason=declared[1])
    if classified.kind is not Kind.JAVASCRIPT or not _is_minified(data):
        return classified
    zone = Zone.SERVER if classified.zone is Zone.SERVER else Zone.BROWSER
    return classified._replace(kind=Kind.BUNDLE, zone=zone, zone_reason="minified JavaScript")


def _name(found: Discovered) -> str:
    """The file's name, as its display path ends."""
    return found.display.rpartition("/")[2]


def _is_minified(data: bytes) -> bool:
    """Whether JavaScript of these bytes is minified: long, with lines of
    ``_MINIFIED_LINE`` bytes or more on average.

    NOTE: a line break is looked for at most size // _MINIFIED_LINE times
    (each a memchr), so ordinary code stops early and a bundle's few breaks
    are skipped over fast; bytes.count took 32 ms on the 48 MB of scripts
    in the build-output benchmark, this takes 7.
    """
    size = len(data)
    if size < 20 * _MINIFIED_LINE:
        return False
    end = -1
    for _ in range(size // _MINIFIED_LINE):  # the most breaks a minified file has, plus one
        end = data.find(b"\n", end + 1)
        if end < 0:
            return True
    return False


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
