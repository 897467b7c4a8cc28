"""How much a rebuild saves: the sample project built from scratch, then built again with nothing
changed, then after one reassessment, all in this one process. Prints each time and its ratio to
the full build.

    .venv/bin/python scripts/bench.py            # with the PDF handouts
    .venv/bin/python scripts/bench.py --no-pdf   # web booklets only
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from movebook import publish
from movebook.site import SECRET_ENV

REPO = Path(__file__).resolve().parent.parent
PATIENT = "maria-lopez"


def timed(what: str, build: Callable[[], publish.BuildResult]) -> tuple[float, int]:
    started = time.perf_counter()
    result = build()
    seconds = time.perf_counter() - started
    if result.failed:
        sys.exit(f"{what}: {len(result.failed)} booklets failed")
    rendered = sum(1 for outcome in result.outcomes if not outcome.unchanged)
    return seconds, rendered


def main() -> None:
    pdf = "--no-pdf" not in sys.argv
    jobs = os.cpu_count() or 1
    os.environ[SECRET_ENV] = "YmVuY2htYXJrLXNpdGUtc2VjcmV0LW5vdC1mb3ItcmVhbC11c2U"
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        for folder in ("content", "profiles"):
            shutil.copytree(REPO / folder, root / folder)
        shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")

        def build() -> publish.BuildResult:
            return publish.build(root, pdf=pdf, jobs=jobs)

        runs = [("full build (baseline)", *timed("full", build))]
        runs.append(("nothing changed", *timed("unchanged", build)))
        profile = root / "profiles" / f"{PATIENT}.yaml"
        profile.write_text(profile.read_text().replace("nprs: 2", "nprs: 1", 1))
        runs.append((f"one profile edited ({PATIENT})", *timed("one", build)))

    baseline = runs[0][1]
    what = "booklets and PDF handouts" if pdf else "web booklets only"
    print(f"{what}, {jobs} jobs, {runs[0][2]} patients")
    for name, seconds, rendered in runs:
        print(f"  {name:<36} {seconds:7.2f} s  {seconds / baseline:6.3f}x  ({rendered} rendered)")


if __name__ == "__main__":
    main()
