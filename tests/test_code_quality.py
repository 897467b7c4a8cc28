"""The package stays lint-clean, formatted and type-checked."""

from __future__ import annotations

import ast
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


def test_the_render_stage_only_formats_what_the_plan_stage_decided() -> None:
    """Issue 13: render.py builds no plan and judges no exercise; movebook.course hands it
    every plan, the changes between them and each exercise's steps."""
    tree = ast.parse((REPO / "src" / "movebook" / "render.py").read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "movebook.plan"
        for alias in node.names
    }
    deciding = {"build_plan", "build_plans", "why_not", "plan_dose", "patient_of"}
    assert imported & deciding == set()
