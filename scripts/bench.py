"""How fast the handouts are and how much a rebuild saves, in one run: each sample's handout laid
out by WeasyPrint (seconds a handout and a page) beside a plain reference document of the same
page count laid out by the same WeasyPrint with the same stylesheet (the practical limit); then
the sample project built from scratch, built again with nothing changed, and after one
reassessment. Prints each time and its ratio.

    .venv/bin/python scripts/bench.py            # with the PDF handouts
    .venv/bin/python scripts/bench.py --no-pdf   # web booklets only
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader

from movebook import publish
from movebook.project import load_project
from movebook.render import render_booklet, render_pdf
from movebook.site import SECRET_ENV

REPO = Path(__file__).resolve().parent.parent
PATIENT = "maria-lopez"
BEFORE_S = 62.0  # the 12 samples from scratch before the handout was reworked (issue 15)
PLAIN = "<p>" + "Walk at an easy pace and let your breath out slowly as you go. " * 9 + "</p>"


def plain_reference(handout: str, pages: int) -> str:
    """A document of `pages` pages of plain paragraphs under the handout's own head."""
    head = handout[: handout.index("<body>")]
    body = "".join(
        f'<section class="part-start"><h1>{i}</h1>{PLAIN * 5}</section>' for i in range(pages)
    )
    return f"{head}<body>{body}</body></html>"


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def handouts() -> None:
    """Every sample's handout, then its plain reference, one after another on one core."""
    project = load_project(REPO)
    rows: list[tuple[str, int, float, float]] = []
    for name, profile in project.profiles.items():
        booklet = render_booklet(REPO, project.config, project.library, profile)
        started = time.perf_counter()
        pdf = render_pdf(booklet, project.config, REPO)
        seconds = time.perf_counter() - started
        pages = page_count(pdf)
        reference = plain_reference(booklet.handout, pages)
        started = time.perf_counter()
        plain = render_pdf(booklet, project.config, REPO, handout=reference)
        plain_seconds = time.perf_counter() - started
        if page_count(plain) != pages:
            sys.exit(f"{name}: the reference has {page_count(plain)} pages, not {pages}")
        rows.append((name, pages, seconds, plain_seconds))
    print("handouts, one core: seconds a handout and a page; the plain reference beside it")
    for name, pages, seconds, plain_seconds in rows:
        print(
            f"  {name:<18} {pages:3d} pages {seconds:6.2f} s {seconds / pages:6.3f} s/page"
            f"  plain {plain_seconds / pages:6.3f} s/page  {seconds / plain_seconds:5.2f}x"
        )
    total_pages = sum(row[1] for row in rows)
    total = sum(row[2] for row in rows)
    plain_total = sum(row[3] for row in rows)
    print(
        f"  {'all':<18} {total_pages:3d} pages {total:6.2f} s {total / total_pages:6.3f} s/page"
        f"  plain {plain_total / total_pages:6.3f} s/page  {total / plain_total:5.2f}x"
        f"  ({total / len(rows):.2f} s a handout)"
    )


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
    if pdf:
        handouts()
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
    if pdf:
        speedup = BEFORE_S / baseline
        print(f"  full build against the {BEFORE_S:.0f} s before issue 15: {speedup:.2f}x as fast")


if __name__ == "__main__":
    main()
