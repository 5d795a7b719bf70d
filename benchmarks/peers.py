"""The tools we measure: perkamo-guard, ripgrep and the peers, installed on demand.

Peers live in ``.corpora/tools`` (a venv each for Semgrep and detect-secrets,
an npm folder for secretlint), pinned, so that they never touch the
project's environment. A peer that cannot be installed is reported as
missing and the benchmark goes on without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpora import CACHE

TOOLS = CACHE / "tools"
#: The one pattern every regex tool gets: a server key with its body.
KEY_PATTERN = r"sk_(live|test)_[A-Za-z0-9]{16,}"
SEMGREP = "semgrep==1.85.0"
DETECT_SECRETS = "detect-secrets==1.5.0"
RIPGREP_WHEEL = "ripgrep==14.1.0"
SECRETLINT = ("secretlint@13.0.6", "@secretlint/secretlint-rule-preset-recommend@13.0.6")

_SEMGREP_RULE = f"""\
rules:
  - id: perkamo-server-key
    pattern-regex: '{KEY_PATTERN}'
    message: Perkamo server key
    languages: [generic]
    severity: ERROR
"""
_SECRETLINT_RC = '{"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}\n'


@dataclass(frozen=True)
class Tool:
    """A tool, ready to run: how to build its command for some paths."""

    name: str
    command: Callable[[Sequence[str]], list[str]]
    #: Exit codes that mean "ran to the end" (with or without findings).
    ok_codes: tuple[int, ...] = (0, 1)
    env: dict[str, str] | None = None
    #: What the tool is run on, when it is not the whole corpus.
    note: str = ""


def perkamo_guard(jobs: str | None = None) -> Tool:
    """perkamo-guard from the running interpreter's environment, default settings."""
    script = Path(sys.executable).parent / "perkamo-guard"
    base = [str(script)] if script.exists() else [sys.executable, "-m", "perkamo_guard"]
    extra = ["--jobs", jobs] if jobs else []
    name = "perkamo-guard" + (f" --jobs {jobs}" if jobs else "")
    # NOTE: an installed package runs from cached bytecode; a shell that
    # sets PYTHONDONTWRITEBYTECODE would make every run compile every module.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return Tool(name, lambda paths: [*base, "check", *extra, *paths], env=env)


def ripgrep() -> Tool | str:
    binary = shutil.which("rg") or _pip_binary("ripgrep-venv", RIPGREP_WHEEL, "rg")
    if binary.startswith("missing"):
        return binary
    return Tool("ripgrep", lambda paths: [binary, "--no-ignore", "--hidden", "--count",
                                          KEY_PATTERN, *paths])


def semgrep() -> Tool | str:
    binary = _pip_binary("semgrep-venv", SEMGREP, "semgrep")
    if binary.startswith("missing"):
        return binary
    rule = TOOLS / "semgrep-rule.yml"
    rule.write_text(_SEMGREP_RULE)
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    return Tool("semgrep", lambda paths: [binary, "scan", "--config", str(rule),
                                          "--metrics", "off", "--no-git-ignore",
                                          "--max-target-bytes", "0", "--quiet",
                                          "--json", *paths], env=env)


def secretlint() -> Tool | str:
    folder = TOOLS / "secretlint"
    binary = folder / "node_modules" / ".bin" / "secretlint"
    if not binary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"name": "bench-secretlint", "private": true}\n')
        failure = _try(["npm", "install", "--no-audit", "--no-fund", *SECRETLINT], folder)
        if failure:
            return f"missing: npm install secretlint failed ({failure})"
    rc = TOOLS / "secretlintrc.json"
    rc.write_text(_SECRETLINT_RC)
    return Tool("secretlint", lambda paths: [str(binary), "--secretlintrc", str(rc),
                                             "--secretlintignore", str(TOOLS / "none"),
                                             *[_glob(p) for p in paths]])


def detect_secrets() -> Tool | str:
    binary = _pip_binary("detect-secrets-venv", DETECT_SECRETS, "detect-secrets")
    if binary.startswith("missing"):
        return binary
    return Tool("detect-secrets", lambda paths: [binary, "scan", "--all-files", *paths],
                ok_codes=(0,))


def _glob(path: str) -> str:
    """secretlint takes globs: a folder becomes every file below it."""
    return f"{path.rstrip('/')}/**/*" if Path(path).is_dir() else path


def _pip_binary(folder_name: str, requirement: str, script: str) -> str:
    folder = TOOLS / folder_name
    binary = folder / "bin" / script
    if binary.exists():
        return str(binary)
    TOOLS.mkdir(parents=True, exist_ok=True)
    venv.create(folder, with_pip=True)
    failure = _try([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    requirement], TOOLS)
    if failure or not binary.exists():
        return f"missing: pip install {requirement} failed ({failure or 'no script'})"
    return str(binary)


def _try(command: list[str], cwd: Path) -> str | None:
    """Run an install step; return a short reason when it fails."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return type(exc).__name__
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1][:200] if lines else f"exit {done.returncode}"
