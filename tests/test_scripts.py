"""The two commands' shared installer (scripts/venv.sh): it installs what changed and nothing else."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _checkout(tmp_path):
    """A copy of what ensure_venv reads, with a fake .venv whose python only logs how it was called."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "venv.sh", tmp_path / "scripts" / "venv.sh")
    for name in ("requirements.txt", "requirements-dev.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/../../pip.log"\n')
    python.chmod(0o755)
    return tmp_path


def _ensure(checkout, *files):
    subprocess.run(
        ["sh", "-c", '. ./scripts/venv.sh && ensure_venv "$@"', "sh", *files],
        cwd=checkout, check=True, capture_output=True, env={**os.environ, "PYTHON": "python3"},
    )
    log = checkout / "pip.log"
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def test_run_after_run_tests_installs_nothing(tmp_path):
    checkout = _checkout(tmp_path)
    first = _ensure(checkout, "requirements.txt", "requirements-dev.txt")  # ./run-tests
    assert any("-r requirements.txt -r requirements-dev.txt" in call for call in first)
    assert any("-e ." in call for call in first)
    assert _ensure(checkout, "requirements.txt") == []  # ./run
    assert _ensure(checkout, "requirements.txt", "requirements-dev.txt") == []  # ./run-tests again


def test_a_changed_file_installs_again(tmp_path):
    checkout = _checkout(tmp_path)
    _ensure(checkout, "requirements.txt")
    with open(checkout / "requirements-dev.txt", "a") as f:
        f.write("# changed\n")
    assert _ensure(checkout, "requirements.txt") == []
    assert _ensure(checkout, "requirements.txt", "requirements-dev.txt")  # the dev file was never installed here
    with open(checkout / "requirements.txt", "a") as f:
        f.write("# changed\n")
    calls = _ensure(checkout, "requirements.txt")
    assert any("-r requirements.txt" in call for call in calls)
