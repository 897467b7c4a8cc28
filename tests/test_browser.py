"""A patient's private booklet in a real browser, served over HTTP as a static host would.

Chromium (Debian's, driven by Playwright) opens the link with its key, follows links, downloads
the handout; a wrong or missing key shows a kind message and nothing else; the QR code printed
on the handout opens the booklet. Without chromium these tests skip, unless CI=true.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from conftest import SECRET, SITE_SECRET, bundled_copy, module, require
from movebook import publish
from movebook.site import SECRET_ENV, private_url
from test_validators import AXE_OPTIONS

PATIENTS = ["maria-lopez", "aurelio-bianchi"]  # aurelio also has a passphrase


def opened(page: Any, timeout: float = 10_000) -> None:
    """Wait until unlock.js has replaced the loader with the booklet (a locator wait: the CSP
    forbids the eval that wait_for_function needs)."""
    page.locator("#sealed").wait_for(state="detached", timeout=timeout)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a host's log is not our output
        pass


@dataclass(frozen=True)
class Host:
    root: Path  # the project
    base: str  # http://127.0.0.1:PORT/, serving output/site and nothing else
    requests: list[str]  # every path the host was asked for

    def link(self, patient: str, key: bytes | None = None) -> str:
        key = SITE_SECRET.page_key(patient) if key is None else key
        return private_url(self.base, SITE_SECRET.slug(patient), key)

    def bare(self, patient: str) -> str:
        return private_url(self.base, SITE_SECRET.slug(patient), None)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    root = bundled_copy(tmp_path_factory.mktemp("hosted"))
    for profile in (root / "profiles").glob("*-*.yaml"):
        if profile.stem not in PATIENTS:
            profile.unlink()
    site = root / "output" / "site"
    site.mkdir(parents=True)
    requests: list[str] = []

    class Recording(QuietHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Recording, directory=site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/"
    config = root / "movebook.yaml"
    config.write_text(
        config.read_text().replace("https://booklets.riverside-physio.example/", base)
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, SECRET)
        result = publish.build(root, jobs=2)
    assert not result.failed, result.failed
    yield Host(root, base, requests)
    server.shutdown()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, errors


def test_the_link_with_its_key_opens_the_booklet(host: Host, page: Any) -> None:
    page.goto(host.link("maria-lopez"))
    opened(page)
    assert page.locator("h1").first.inner_text() == "Hello, Maria"
    assert "Lift Leo into his car seat" in page.locator("main").inner_text()
    assert page.title() == "Today · Riverside Physiotherapy"
    # The stylesheet and fonts apply to the opened booklet.
    assert "Atkinson Hyperlegible" in page.evaluate("getComputedStyle(document.body).fontFamily")
    assert not any("#" in path or "k=" in path for path in host.requests)  # the key stays home


def test_links_between_pages_keep_working(host: Host, page: Any) -> None:
    page.goto(host.link("maria-lopez"))
    opened(page)
    page.get_by_role("link", name="Your main session").first.click()
    opened(page)
    assert page.locator("h1").first.inner_text() == "Your main session"
    exercise = page.locator("main h2 a").first
    title = exercise.inner_text().strip()
    exercise.click()
    opened(page)
    assert page.locator("h1").first.inner_text().strip() == title
    assert "How much" in page.locator("main").inner_text()
    assert "#k=" in page.url
    page.reload()  # a bookmark of this page opens it again
    opened(page)
    assert "How much" in page.locator("main").inner_text()
    page.get_by_role("link", name="Your plan").click()
    opened(page)
    assert page.locator("h1").first.inner_text() == "Your plan, phase by phase"


def test_the_downloaded_handout_is_the_patients_pdf(host: Host, page: Any) -> None:
    page.goto(host.link("maria-lopez"))
    opened(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the printable handout (PDF)").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    assert "maria" not in download.value.suggested_filename.lower()
    reader = PdfReader(io.BytesIO(data))
    assert "Maria Lopez" in reader.pages[0].extract_text()
    assert data == (host.root / "output" / "pdf" / "maria-lopez" / "2026-11-04.pdf").read_bytes()


def test_a_wrong_key_shows_a_kind_message_and_nothing_else(host: Host, page: Any) -> None:
    page.goto(host.link("maria-lopez", key=SITE_SECRET.page_key("aurelio-bianchi")))
    message = page.get_by_role("alert")
    message.wait_for()
    assert "This link does not open the booklet" in message.inner_text()
    html = page.content()
    for secret in ("Maria", "Lift Leo", "Hello,", "Lopez"):
        assert secret not in html
    cut_short = host.link("maria-lopez")[:-10]  # a link copied without its last characters
    page.goto(cut_short)
    page.get_by_role("alert").wait_for()
    assert "Maria" not in page.content()


def test_no_key_says_how_to_get_one(host: Host, page: Any) -> None:
    page.goto(host.bare("maria-lopez"))
    page.locator("#no-key").wait_for()
    assert "scan the QR code" in page.locator("#no-key").inner_text()
    assert not page.locator("#passphrase").count()  # Maria has no passphrase
    assert "Maria" not in page.content()


def test_a_passphrase_opens_the_booklet_for_those_who_type(host: Host, page: Any) -> None:
    page.goto(host.bare("aurelio-bianchi"))
    field = page.get_by_label("Or type the passphrase your clinic gave you")
    field.fill("olive harbour morning stairs")
    page.get_by_role("button", name="Open my booklet").click()
    page.locator("#wrong-phrase").wait_for(timeout=20_000)
    assert "did not open" in page.locator("#wrong-phrase").inner_text()
    field.fill("  Olive Harbour morning steps")
    page.get_by_role("button", name="Open my booklet").click()
    opened(page, timeout=20_000)
    assert page.locator("h1").first.inner_text() == "Hello, Aurelio"
    page.get_by_role("link", name="Your plan").click()  # and the key now travels in links
    opened(page)
    assert page.locator("h1").first.inner_text() == "Your plan, phase by phase"


def test_the_printed_qr_code_opens_the_booklet(host: Host, page: Any) -> None:
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    zxingcpp = module("zxingcpp", "the zxing-cpp package")
    image_module = module("PIL.Image", "Pillow")
    handout = host.root / "output" / "pdf" / "maria-lopez" / "2026-11-04.pdf"
    pages = len(PdfReader(handout).pages)
    for number in (1, pages):  # the cover and the tracker at the back
        png = subprocess.run(
            ["pdftoppm", "-r", "150", "-png", "-f", str(number), "-l", str(number), handout],
            capture_output=True,
            check=True,
        ).stdout  # 150 dpi: an ordinary office print
        codes = zxingcpp.read_barcodes(image_module.open(io.BytesIO(png)))
        assert [code.text for code in codes] == [host.link("maria-lopez")], number
    page.goto(codes[0].text)
    opened(page)
    assert page.locator("h1").first.inner_text() == "Hello, Maria"


def test_locked_and_opened_pages_have_no_wcag_violations(host: Host, page: Any) -> None:
    package = module("axe_playwright_python", "the axe-playwright-python package (axe.min.js)")
    axe = (Path(package.__file__).parent / "axe.min.js").read_text("utf-8")
    found = []
    for url, wait in [
        (host.bare("aurelio-bianchi"), "#passphrase:not([hidden])"),
        (host.link("maria-lopez", key=b"\0" * 32), "#wrong-key:not([hidden])"),
        (host.link("maria-lopez"), None),
        (host.link("aurelio-bianchi"), None),
    ]:
        page.goto(url)
        if wait:
            page.locator(wait).wait_for()
        else:
            opened(page)
        page.evaluate(axe + "\n;true")  # not a script tag: the CSP forbids inline scripts
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        found += [f"{url.split('#')[0]}: {v['id']}: {v['help']}" for v in results["violations"]]
    assert not found, "\n".join(found)


def test_earlier_booklets_open_with_the_same_key_and_lead_back(host: Host, page: Any) -> None:
    page.goto(host.link("maria-lopez"))
    opened(page)
    page.get_by_role("link", name="Your progress").first.click()
    opened(page)
    page.get_by_role("link", name="Your booklet from September 30, 2026").click()
    opened(page)
    assert "This is your booklet from September 30, 2026" in page.locator("main").inner_text()
    with page.expect_download() as download:  # that visit's handout, as it was issued
        page.get_by_role("link", name="Download the printable handout (PDF)").click()
    data = Path(download.value.path()).read_bytes()
    assert data == (host.root / "output" / "pdf" / "maria-lopez" / "2026-09-30.pdf").read_bytes()
    assert download.value.suggested_filename == "exercise-handout-2026-09-30.pdf"
    back = page.get_by_role("link", name="Go to your current booklet")
    assert "#k=" in (back.get_attribute("href") or "")  # not relying on the tab's memory
    back.click()
    opened(page)
    assert page.locator("h1").first.inner_text() == "Hello, Maria"
