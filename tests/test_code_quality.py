"""The package stays lint-clean, formatted and type-checked."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_ruff_lint() -> None:
    result = tool("ruff", "check", "src", "tests")
    assert result.returncode == 0, result.stdout


def test_ruff_format() -> None:
    result = tool("ruff", "format", "--check", "src", "tests")
    assert result.returncode == 0, result.stdout


def test_mypy_strict() -> None:
    result = tool("mypy")
    assert result.returncode == 0, result.stdout
