"""Shared fixtures: a scratch copy of the bundled project to break in each test."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from movebook.project import check_project

REPO = Path(__file__).resolve().parents[1]

GOOD_PROFILE = """\
id: ana-silva
name: Ana Silva
assessments:
  - date: 2026-09-02
    phase: 1
    signature:
      directional_preference: extension
      findings:
        - apical_breathing
        - {id: pelvic_rotation, side: left}
    measures: {nprs: 6, odi: 42, psfs: {"Lift Leo": 3}}
    goals:
      - {task: lift_child, label: "Lift Leo into his car seat"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled library and settings, with an empty profiles/ folder."""
    root = tmp_path / "clinic"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")
    (root / "profiles").mkdir()
    return root


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(root: Path, under: str = "") -> list[str]:
    """Every problem `movebook check` reports, as printed; optionally only under a path."""
    _, report = check_project(root)
    return [str(problem) for problem in report.problems if problem.path.startswith(under)]


SECRET = "dGVzdC1zaXRlLXNlY3JldC1ub3QtZm9yLXJlYWwtdXNl"  # fixed, so slugs are known in tests


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current templates instead of comparing.",
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture(autouse=True)
def _site_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never create .movebook-secret files; the slugs are the same in every run."""
    monkeypatch.setenv("MOVEBOOK_SITE_SECRET", SECRET)


def bundled_copy(root: Path) -> Path:
    """The whole bundled project (settings, library, sample profiles) copied to `root`."""
    for folder in ("content", "profiles"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")
    return root
