"""The recipes of docs/ci.md run as written on a real git repository."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from ruamel.yaml import YAML

from perkamo_guard import __version__
from tests.conftest import REPO, write_tree
from tests.gitrepo import commit_all, git, git_env
from tests.test_gitlab_report import CODE_QUALITY
from tests.test_sarif_report import SCHEMA as SARIF_SCHEMA

RECIPES = REPO / "docs" / "recipes"
GUIDE = REPO / "docs" / "ci.md"
#: The perkamo-guard command installed beside the interpreter running the tests.
BIN = Path(sys.executable).parent
LIVE = "sk_live_" + "9Qv2Lr7Tx4Pz8Wm3Nb6Kc1Hd"
NEW = "sk_live_" + "Pz8Wm3Nb6Kc1Hd9Qv2Lr7Tx4"
#: What GitHub substitutes in the workflow's expressions for a pull request into main.
GITHUB_CONTEXT = {"${{ github.base_ref }}": "main"}

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed"),
]


def load_yaml(name: str) -> Any:
    return YAML(typ="safe").load((RECIPES / name).read_text(encoding="utf-8"))


def shell(command: str, cwd: Path, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    """Run a recipe's command with bash, as a CI runner would."""
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(["bash", "-e", "-c", command], cwd=cwd, capture_output=True,
                          text=True, timeout=300,
                          env={**git_env(), "PATH": path, **(env or {})})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with an old leak on main and a pull request adding a new one."""
    assert (BIN / "perkamo-guard").exists(), "install the package: pip install -e '.[test]'"
    git(tmp_path, "init", "-q", "-b", "main")
    write_tree(tmp_path, {
        "legacy/settings.py": f'PERKAMO_SECRET_KEY = "{LIVE}"\n',
        "app/views.py": "import os\n",
        "README.md": "demo\n",
    })
    commit_all(tmp_path, "start")
    git(tmp_path, "update-ref", "refs/remotes/origin/main", "main")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    write_tree(tmp_path, {"app/views.py": f'import os\nFALLBACK = "{NEW}"\n'})
    commit_all(tmp_path, "pull request")
    return tmp_path


def test_the_guide_holds_every_recipe_verbatim() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    recipes = sorted(RECIPES.iterdir())
    assert [r.name for r in recipes] == ["adopt-baseline.sh", "github-actions.yml",
                                         "gitlab-ci.yml", "pre-commit-config.yaml"]
    for recipe in recipes:
        assert recipe.read_text(encoding="utf-8") in guide, recipe.name


def _steps(workflow: Any, job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return steps


def _run_step(steps: list[dict[str, Any]], name: str) -> tuple[str, dict[str, str]]:
    """Return a step's command and its environment as GitHub would evaluate them."""
    [step] = [s for s in steps if s.get("name") == name]
    env = {key: GITHUB_CONTEXT.get(value, value) for key, value in step.get("env", {}).items()}
    assert "${{" not in step["run"], "pass expressions through env:, not into run:"
    return step["run"], env


def _option(command: str, name: str) -> str:
    words = shlex.split(command)
    return words[words.index(name) + 1]


def test_github_workflow_uploads_the_sarif_its_scan_writes(project: Path) -> None:
    workflow = load_yaml("github-actions.yml")
    job = workflow["jobs"]["code-scanning"]
    assert job["permissions"]["security-events"] == "write"
    steps = _steps(workflow, "code-scanning")
    command, env = _run_step(steps, "Scan the repository")
    [scan] = [s for s in steps if s.get("name") == "Scan the repository"]
    [upload] = [s for s in steps if s.get("uses", "").startswith(
        "github/codeql-action/upload-sarif@")]
    assert scan["continue-on-error"] is True and "cancelled()" in upload["if"]

    proc = shell(command, project, env)
    assert proc.returncode == 1, proc.stderr
    written = project / _option(command, "--output")
    assert upload["with"]["sarif_file"] == _option(command, "--output")
    document = json.loads(written.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in document["runs"][0]["results"]}
    assert uris == {"legacy/settings.py", "app/views.py"}


def test_github_annotations_cover_only_the_pull_requests_files(project: Path) -> None:
    workflow = load_yaml("github-actions.yml")
    assert workflow["jobs"]["annotations"]["steps"][0]["with"]["fetch-depth"] == 0
    command, env = _run_step(_steps(workflow, "annotations"), "Check the changed files")
    proc = shell(command, project, env)
    assert proc.returncode == 1, proc.stderr
    commands = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == 1
    assert commands[0].startswith("::error file=app/views.py,line=2,")
    assert NEW not in proc.stdout


def test_github_workflow_installs_this_version() -> None:
    workflow = load_yaml("github-actions.yml")
    installs = [s["run"] for job in workflow["jobs"] for s in _steps(workflow, job)
                if "pip install" in s.get("run", "")]
    assert installs and all(f"perkamo-guard=={__version__}" in run for run in installs)


def test_gitlab_job_writes_the_code_quality_report_it_declares(project: Path) -> None:
    job = load_yaml("gitlab-ci.yml")["perkamo-guard"]
    assert job["artifacts"]["when"] == "always"
    [command] = [line for line in job["script"] if line.startswith("perkamo-guard ")]
    assert any(f"perkamo-guard=={__version__}" in line for line in job["script"])
    proc = shell(command, project)
    assert proc.returncode == 1, proc.stderr
    report = job["artifacts"]["reports"]["codequality"]
    assert report == _option(command, "--output")
    issues = json.loads((project / report).read_text(encoding="utf-8"))
    jsonschema.validate(issues, CODE_QUALITY)
    assert {i["location"]["path"] for i in issues} == {"legacy/settings.py", "app/views.py"}


def _hook() -> dict[str, Any]:
    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in hooks if h["id"] == "perkamo-guard"]
    return dict(hook)


def _hook_files(repo: Path, all_files: bool) -> list[str]:
    """The files pre-commit hands the hook: staged ones, or every tracked one."""
    from identify.identify import tags_from_path

    listed = git(repo, "ls-files") if all_files else git(
        repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR")
    hook = _hook()
    return [name for name in listed.splitlines()
            if set(hook["types"]) <= tags_from_path(str(repo / name))
            and not re.search(hook["exclude"], name)]


def _run_hook(repo: Path, args: list[str], all_files: bool) -> subprocess.CompletedProcess[str]:
    entry = shlex.split(_hook()["entry"])
    return shell(shlex.join([*entry, *args, *_hook_files(repo, all_files)]), repo)


def test_pre_commit_recipe_names_this_projects_hook() -> None:
    [repo] = load_yaml("pre-commit-config.yaml")["repos"]
    assert repo["rev"] == f"v{__version__}"
    assert [h["id"] for h in repo["hooks"]] == [_hook()["id"]]
    assert repo["repo"] in (REPO / "README.md").read_text(encoding="utf-8")


def test_pre_commit_hook_checks_staged_files_or_all_files(project: Path) -> None:
    args = load_yaml("pre-commit-config.yaml")["repos"][0]["hooks"][0].get("args", [])
    write_tree(project, {"app/new.py": "import os\n"})
    git(project, "add", "app/new.py")
    staged = _run_hook(project, args, all_files=False)
    assert (staged.returncode, staged.stdout) == (0, "No findings: 1 file scanned.\n")
    everything = _run_hook(project, args, all_files=True)
    assert everything.returncode == 1
    assert "legacy/settings.py:1:" in everything.stdout
    assert "app/views.py:2:" in everything.stdout


def test_adopting_with_a_baseline_reports_only_new_findings(project: Path) -> None:
    script = (RECIPES / "adopt-baseline.sh").read_text(encoding="utf-8")
    adopted = shell(script, project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert adopted.stdout.endswith(
        "No findings: 4 files scanned "
        "(2 hidden by the baseline, 0 baseline entries no longer match).\n")
    assert "nothing to commit" not in adopted.stdout
    assert git(project, "ls-files", ".perkamo-guard-baseline.json").strip()

    write_tree(project, {"app/new.py": f'KEY = "{LIVE}"\n'})
    git(project, "add", "app/new.py")
    last = script.strip().splitlines()[-1]
    proc = shell(last, project)
    assert proc.returncode == 1
    assert [line.split(":")[0] for line in proc.stdout.splitlines()
            if ": PG103 " in line] == ["app/new.py"]
    # The hook, given the baseline as docs/ci.md shows, agrees on staged files.
    hook = _run_hook(project, ["--baseline", ".perkamo-guard-baseline.json"], all_files=False)
    assert hook.returncode == 1 and "app/new.py:1:" in hook.stdout
