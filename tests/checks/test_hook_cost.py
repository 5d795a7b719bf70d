"""The hook path stays cheap: retry and boundary code without Perkamo is never parsed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import write_tree

OTHER_API = {
    "web/src/client.js": (
        'import axios from "axios";\nimport axiosRetry from "axios-retry";\n'
        'axiosRetry(axios, { retries: 3, retryCondition: () => true });\n'
        'export const ping = () => axios.get("https://status.example.com/health");\n'
    ),
    "server/jobs.py": (
        "import requests\nfrom tenacity import retry\n\n\n@retry\n"
        "def ping():\n    requests.get('https://status.example.com/health').raise_for_status()\n"
    ),
}
PROBE = (
    "import ast, atexit, sys\n"
    "parsed = []\n"
    "real = ast.parse\n"
    "ast.parse = lambda *a, **k: parsed.append(k.get('filename')) or real(*a, **k)\n"
    "atexit.register(lambda: print(parsed, 'tree_sitter' in sys.modules, file=sys.stderr))\n"
    "from perkamo_guard.cli import main\n"
    "sys.argv = ['perkamo-guard', 'check', '--select', 'PG4,PG5,PG6', "
    "'web/src/client.js', 'server/jobs.py']\n"
    "main()\n"
)


def test_files_without_perkamo_calls_are_never_parsed(tmp_path: Path) -> None:
    write_tree(tmp_path, OTHER_API)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[] False"
