"""How fast the handouts are and how much a rebuild saves, in one run: each sample's handout laid
out by WeasyPrint (seconds a handout and a page) beside a plain reference document of the same
page count laid out by the same WeasyPrint with the same stylesheet (the practical limit); then
the sample project built from scratch, built again with nothing changed, and after one
reassessment; and, given another checkout (say a worktree of main), that checkout's own
project built from scratch by its own code in the same run, as the figure to beat. Prints each
time and its ratio.

    .venv/bin/python scripts/bench.py                      # with the PDF handouts
    .venv/bin/python scripts/bench.py --no-pdf             # web booklets only
    .venv/bin/python scripts/bench.py --baseline ../main   # and main's build beside it
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
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


def same_text_reference(handout: str, characters: int) -> str:
    """Plain paragraphs, at the cards' 9.5 pt, with as many characters as the handout prints:
    what the same words cost without tables, figures or boxes."""
    head = handout[: handout.index("<body>")]
    paragraphs = characters // (len(PLAIN) - 7) + 1
    return f'{head}<body><div style="font-size: 9.5pt">{PLAIN * paragraphs}</div></body></html>'


def stripped(handout: str) -> str:
    """The handout without its figures, with its lists as paragraphs and its page references
    dropped: what is left once every costly part a stylesheet could change is gone, so the
    best any restyling of the same content could reach (an estimate from below)."""
    html = re.sub(r"<svg.*?</svg>|<img class=\"figure-svg\"[^>]*>", "", handout, flags=re.S)
    html = re.sub(r"<(ul|ol)\b[^>]*>", "<div>", html)
    html = re.sub(r"</(ul|ol)>", "</div>", html)
    html = html.replace("<li>", "<p>").replace("</li>", "</p>")
    return html.replace(
        "</head>", "<style>.page-ref::after, .contents a::after { content: none }</style></head>", 1
    )


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def printed_characters(pdf: bytes) -> int:
    return sum(len(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages)


def handouts() -> None:
    """Every sample's handout, then its plain reference, one after another on one core, in
    CPU seconds of this process: what the layout costs, whatever else the machine runs."""
    project = load_project(REPO)
    rows: list[tuple[str, int, float, float, float, float]] = []
    # Once before timing, as a build's worker is after its first patient: the stylesheet,
    # fonts and figures are made once a process.
    first = next(p for p in project.profiles.values() if not p.red_flags)
    warm = render_booklet(REPO, project.config, project.library, first)
    render_pdf(warm, project.config, REPO, handout=plain_reference(warm.handout, 1))
    render_pdf(warm, project.config, REPO)
    for name, profile in project.profiles.items():
        booklet = render_booklet(REPO, project.config, project.library, profile)
        started = time.process_time()
        pdf = render_pdf(booklet, project.config, REPO)
        seconds = time.process_time() - started
        pages = page_count(pdf)
        reference = plain_reference(booklet.handout, pages)
        started = time.process_time()
        plain = render_pdf(booklet, project.config, REPO, handout=reference)
        plain_seconds = time.process_time() - started
        if page_count(plain) != pages:
            sys.exit(f"{name}: the reference has {page_count(plain)} pages, not {pages}")
        text = same_text_reference(booklet.handout, printed_characters(pdf))
        started = time.process_time()
        render_pdf(booklet, project.config, REPO, handout=text)
        text_seconds = time.process_time() - started
        started = time.process_time()
        render_pdf(booklet, project.config, REPO, handout=stripped(booklet.handout))
        rows.append(
            (name, pages, seconds, plain_seconds, text_seconds, time.process_time() - started)
        )
    print(
        "handouts, one core, CPU seconds: a handout and a page; the plain reference of as many"
        " pages beside it; then plain text of as many characters"
    )
    for name, pages, seconds, plain_seconds, text_seconds, _ in rows:
        print(
            f"  {name:<18} {pages:3d} pages {seconds:6.2f} s {seconds / pages:6.3f} s/page"
            f"  plain {plain_seconds / pages:6.3f} s/page  {seconds / plain_seconds:5.2f}x"
            f"  same text {text_seconds:5.2f} s  {seconds / text_seconds:5.2f}x"
        )
    total_pages = sum(row[1] for row in rows)
    total = sum(row[2] for row in rows)
    plain_total = sum(row[3] for row in rows)
    text_total = sum(row[4] for row in rows)
    bare_total = sum(row[5] for row in rows)
    print(
        f"  {'all':<18} {total_pages:3d} pages {total:6.2f} s {total / total_pages:6.3f} s/page"
        f"  plain {plain_total / total_pages:6.3f} s/page  {total / plain_total:5.2f}x"
        f"  same text {text_total:5.2f} s  {total / text_total:5.2f}x"
        f"  ({total / len(rows):.2f} s a handout)"
    )
    print(
        f"  {'stripped':<18} {total_pages:3d} pages {bare_total:6.2f} s"
        f" {bare_total / total_pages:6.3f} s/page  {bare_total / plain_total:5.2f}x the plain"
        " reference: the same handouts without figures, lists or page references"
    )


def scratch_copy(project: Path, root: Path) -> None:
    for folder in ("content", "profiles"):
        shutil.copytree(project / folder, root / folder)
    shutil.copy(project / "movebook.yaml", root / "movebook.yaml")


# Run by the other checkout's Python path: its own publish.build, on a scratch copy of its own
# sample project (the same three things scratch_copy copies).
BASELINE = """
import shutil, sys, tempfile, time
from pathlib import Path
from movebook import publish
checkout, jobs = Path(sys.argv[1]), int(sys.argv[2])
with tempfile.TemporaryDirectory() as temporary:
    root = Path(temporary)
    for folder in ("content", "profiles"):
        shutil.copytree(checkout / folder, root / folder)
    shutil.copy(checkout / "movebook.yaml", root / "movebook.yaml")
    started = time.perf_counter()
    result = publish.build(root, pdf=True, jobs=jobs)
    print(time.perf_counter() - started, len(result.failed))
"""


def baseline_build(checkout: Path, jobs: int) -> float:
    """The other checkout's project built from scratch by its own code, in a process of its
    own (its src/ first on the path)."""
    if not (checkout / "src" / "movebook").is_dir():
        sys.exit(f"{checkout}: expected a movebook checkout, with src/movebook")
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    command = [sys.executable, "-c", BASELINE, str(checkout), str(jobs)]
    run = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no error output"])[-1]
        sys.exit(f"{checkout}: the baseline build failed: {last}")
    seconds, failed = run.stdout.split()
    if failed != "0":
        sys.exit(f"{checkout}: {failed} booklets failed in the baseline build")
    return float(seconds)


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
    given = sys.argv.index("--baseline") + 1 if "--baseline" in sys.argv else 0
    if given and given >= len(sys.argv):
        sys.exit("--baseline: expected a movebook checkout, got nothing")
    other = Path(sys.argv[given]).resolve() if given else None
    if pdf:
        handouts()
    jobs = os.cpu_count() or 1
    os.environ[SECRET_ENV] = "YmVuY2htYXJrLXNpdGUtc2VjcmV0LW5vdC1mb3ItcmVhbC11c2U"
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        scratch_copy(REPO, root)

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
    if pdf and other is not None:
        before = baseline_build(other, jobs)
        print(f"  {other} built from scratch, same run: {before:7.2f} s")
        print(f"  full build against it: {before / baseline:.2f}x as fast (issue 15 asks 4x)")


if __name__ == "__main__":
    main()
