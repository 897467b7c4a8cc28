"""Shared fixtures: a scratch copy of the bundled project to break in each test."""

from __future__ import annotations

import importlib
import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

from movebook.project import check_project
from movebook.publish import opaque_name
from movebook.site import SiteSecret, decode, read_sealed_page

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
SITE_SECRET = SiteSecret(decode(SECRET), "test")


def booklet_folder(root: Path, profile: str) -> Path:
    """Where a patient's web booklet lives in a built project."""
    return root / "output" / "site" / "p" / SITE_SECRET.slug(profile)


def page_file(root: Path, profile: str, name: str) -> Path:
    """The file of one booklet page, by its plain name (index.html, session-main.html...),
    whether the site is private (opaque file names) or not."""
    folder = booklet_folder(root, profile)
    opaque = folder / opaque_name(SITE_SECRET.page_key(profile), name)
    return opaque if opaque.is_file() else folder / name


def read_page(root: Path, profile: str, name: str) -> str:
    """A booklet page as the patient sees it: opened with their key when it is sealed."""
    return open_page(page_file(root, profile, name), profile)


def page_names(root: Path, profile: str) -> dict[str, Path]:
    """Plain page name -> file in a built booklet (opaque names when the site is private)."""
    from movebook.plan import build_plan
    from movebook.project import load_project

    project = load_project(root)
    library = project.library
    plan = build_plan(project.profiles[profile], library, project.config.defaults.equipment)
    candidates = [
        "index.html",
        "plan.html",
        "learn.html",
        *(f"session-{session.id}.html" for session in plan.sessions),
        *(f"exercise-{exercise}.html" for exercise in library.exercises),
        *(f"learn-{article}.html" for article in library.education),
    ]
    names: dict[str, Path] = {name: page_file(root, profile, name) for name in candidates}
    return {name: path for name, path in names.items() if path.is_file()}


def open_page(path: Path, profile: str) -> str:
    html = path.read_text(encoding="utf-8")
    if 'id="sealed"' not in html:
        return html
    return read_sealed_page(html, SITE_SECRET.page_key(profile))


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


# Tools some checks need (a browser, the HTML checker) -----------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, driven by Playwright
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing(what: str) -> NoReturn:
    """Skip when a tool is missing on a workstation; on CI a missing tool is a failure."""
    message = f"{what} is needed for the browser and HTML checks"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, but it is missing and CI=true: install it, these checks must run")
    pytest.skip(message)


def require(available: bool, what: str) -> None:
    if not available:
        missing(what)


def module(name: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(what)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, started once per test module."""
    require(CHROMIUM.exists(), str(CHROMIUM))
    sync_api = module("playwright.sync_api", "the playwright package")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
