"""The command line starts without the application: help and argument errors import none of the
web framework, database or services (which is what made `hindsight --help` take seconds), and a
command refused for a reason the person can mend says so in one line, not a traceback.
(benchmarks/cli_startup.py measures the time.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import _env, _hindsight

HEAVY = (
    "hindsight.app",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "uvicorn",
    "argon2",
    "httpcore",
    "boto3",
    "botocore",
    "cryptography",
)
PROBE = """
import json, sys
from hindsight.cli.main import app
watched = json.loads(sys.argv[2])
sys.argv = ["hindsight", *json.loads(sys.argv[1])]
try:
    app()
except SystemExit:
    pass
heavy = [m for m in watched if m in sys.modules]
print("\\nIMPORTED=" + json.dumps(heavy))
"""

HELPS = [
    [],
    ["serve"],
    ["demo"],
    ["migrate"],
    ["reproject"],
    ["users"],
    ["users", "create"],
    ["audit", "export"],
    ["retention"],
    ["retention", "run"],
    ["twilio-sources"],
    ["accounts", "rotate"],
    ["media"],
    ["media", "encrypt"],
    ["media", "migrate"],
]


@pytest.mark.parametrize("command", HELPS, ids=lambda c: " ".join(c) or "hindsight")
def test_help_imports_none_of_the_application(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([*command, "--help"]), json.dumps(HEAVY)],
        env=_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Usage:" in result.stdout, result.stderr
    imported = json.loads(result.stdout.rsplit("IMPORTED=", 1)[1])
    assert imported == [], f"{' '.join(command)} --help imported {imported}"


def test_a_wrong_account_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    assert _hindsight("accounts", "create", "Shop", env=env).returncode == 0
    result = _hindsight("demo", "--account", "ACnope", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines == ["Error: --account: no account ACnope here (`hindsight accounts list`)"]


def test_a_setting_that_does_not_parse_is_one_line(tmp_path: Path) -> None:
    result = _hindsight("migrate", env=_env(tmp_path / "data", HINDSIGHT_PORT="eighty"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: HINDSIGHT_PORT: ")


def test_a_command_error_from_a_service_is_one_line(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    result = _hindsight("users", "disable", "nobody-by-that-name", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert len((result.stdout + result.stderr).strip().splitlines()) == 1


def test_a_bug_still_shows_its_traceback(tmp_path: Path) -> None:
    """Only expected failures are shortened: anything else keeps the information to fix it."""
    code = (
        "import sys; from hindsight.cli.main import app\n"
        "@app.command('boom')\n"
        "def boom() -> None:\n"
        "    raise RuntimeError('a bug')\n"
        "sys.argv = ['hindsight', 'boom']; app()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "HINDSIGHT_DATA_DIR": str(tmp_path), "_TYPER_STANDARD_TRACEBACK": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "RuntimeError: a bug" in result.stderr
