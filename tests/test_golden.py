"""Golden files: the rendered pages of one sample patient, compared byte for byte.

After an intended change to templates or wording, regenerate them and review the diff:

    .venv/bin/pytest tests/test_golden.py --regen-golden
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from conftest import REPO
from movebook.project import load_project
from movebook.render import STATIC, Booklet, render_booklet

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "maria-lopez": [
        "index.html",
        "session-main.html",
        "exercise-lift-to-car-seat.html",
        "plan.html",
    ],
    "declan-obrien": ["index.html"],
}


@pytest.fixture(scope="module")
def booklets() -> dict[str, Booklet]:
    project = load_project(REPO)
    return {
        name: render_booklet(REPO, project.config, project.library, project.profiles[name])
        for name in CASES
    }


@pytest.mark.parametrize(
    ("profile", "name"),
    [(profile, name) for profile, names in CASES.items() for name in [*names, "handout.html"]],
)
def test_rendered_page_matches_golden(
    booklets: dict[str, Booklet], profile: str, name: str, regen_golden: bool
) -> None:
    booklet = booklets[profile]
    actual = booklet.handout if name == "handout.html" else booklet.pages[name]
    actual = actual.replace(STATIC.resolve().as_uri(), "file://THEME")  # where installed
    golden = GOLDEN / profile / name
    if regen_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), str(golden), "rendered", lineterm=""
        )
        pytest.fail("\n".join(list(diff)[:80]) + "\n(regenerate with --regen-golden)")
