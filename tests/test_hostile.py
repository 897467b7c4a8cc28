"""Notes and goals are patient data typed by people: nothing in them may become active content,
and a link in them (or in the library's texts) leads only to https:, mailto: or tel:."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import GOOD_PROFILE, REPO, SECRET, booklet_folder, open_page, write
from movebook import publish
from movebook.project import load_project
from movebook.render import Booklet, markdown_html, render_pdf
from test_render import Page
from test_validators import nu_check, vnu_path

HOSTILE = [
    "<script>alert('notes')</script>",
    "<iframe src='https://evil.example/'></iframe>",
    "[click me](javascript:alert(1))",
    "<a href='javascript:alert(2)'>also me</a>",
    "![secret](file:///etc/passwd)",
    "<img src='file:///etc/passwd' onerror='alert(3)'>",
    "<link rel='attachment' href='file:///etc/passwd'>",
    "<a href='file:///etc/passwd'>passwd</a>",
    "<object data='file:///etc/passwd'></object>",
    "<style>body { background: url(https://evil.example/track.png) }</style>",
    "<div onclick='alert(4)'>Keep walking every day.</div>",
]
# Links whose address must go, each with a text that must stay, as plain text.
DEAD_LINKS = {
    "LINK-share": "[LINK-share](//evil.example/share)",
    "LINK-relative": "[LINK-relative](../notes.txt)",
    "LINK-absolute": "[LINK-absolute](/etc/passwd)",
    "LINK-file": "[LINK-file](file:///etc/passwd)",
    "LINK-data": "[LINK-data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "LINK-case": "[LINK-case](JaVaScRiPt:alert(1))",
    "LINK-tab": "<a href='java&#9;script:alert(1)'>LINK-tab</a>",
    "LINK-entity": "<a href='&#106;avascript:alert(1)'>LINK-entity</a>",
    "LINK-space": "<a href=' javascript:alert(1)'>LINK-space</a>",
    "LINK-control": "<a href='&#1;https://evil.example/'>LINK-control</a>",
    "LINK-vbscript": "<a href='vbscript:msgbox(1)'>LINK-vbscript</a>",
    "LINK-unc": "<a href='\\\\evil.example\\share'>LINK-unc</a>",
    "LINK-user": "[LINK-user](https://clinic.example@evil.example/)",
    "LINK-http": "[LINK-http](http://evil.example/)",
    "LINK-anchor": "[LINK-anchor](#tracker)",
    "LINK-nested": "<a href='../x'>LINK-nested<table><td><a href='https://example.org/help'>in</a>"
    "</td></table>after</a>",
}
GOOD_LINKS = {
    "https://example.org/help": "[LINK-good](https://example.org/help)",
    "mailto:hello@example.org": "[LINK-mail](mailto:hello@example.org)",
    "tel:+442079460000": "[LINK-phone](tel:+442079460000)",
}
CONTROLS = "ctl[&#1;&#x81;&#x7f;&#x1b;]ctl"  # entities for C0/C1 controls, in Markdown
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
FORBIDDEN = [
    "<script",
    "<iframe",
    "javascript:",
    "vbscript:",
    "file://",
    "data:text",
    "/etc/passwd",
    "../notes.txt",
    "onerror",
    "onclick",
    "<object",
    "evil.example",
    'rel="attachment"',
    "rel='attachment'",
]
# What a booklet's own templates link to: its pages, its handout, and places on a page.
TEMPLATE_LINK = re.compile(r"(?:\./)?[\w-]+\.(?:html|pdf)(?:#[\w-]+)?|#[\w-]+")
LIBRARY_TEXTS = ("content/education/flare-up-plan.md", "content/exercises/stability/dead-bug.md")


def hostile_text() -> str:
    return "\n\n".join([*HOSTILE, *DEAD_LINKS.values(), *GOOD_LINKS.values(), CONTROLS])


def hostile_profile() -> str:
    indented = "\n".join("      " + line for line in hostile_text().splitlines())
    profile = GOOD_PROFILE.replace(
        '      - {task: lift_child, label: "Lift Leo into his car seat"}',
        "      - {task: lift_child, label: \"<script>alert('goal')</script>Lift Leo\"}\n"
        "      - {task: stairs, label: \"<img src='file:///etc/passwd'>Stairs\"}",
    )
    exercise_note = "[LINK-note](//evil.example/x) red [ok](https://example.org/help)"
    return (
        profile
        + "    notes: |\n"
        + indented
        + "\n    overrides:\n      notes:\n"
        + f"        dead-bug: \"<script>alert('x')</script>{exercise_note}\"\n"
    )


def test_markdown_keeps_ordinary_formatting() -> None:
    html = markdown_html("**Well done.** Walk [with us](https://example.org)\n\n- one\n- two")
    assert "<strong>Well done.</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer"' in html
    assert "<li>one</li>" in html


def test_each_hostile_snippet_is_neutralised() -> None:
    for snippet in [*HOSTILE, *DEAD_LINKS.values()]:
        html = markdown_html(snippet).lower()
        for bad in FORBIDDEN:
            assert bad.lower() not in html, (snippet, html)


def test_a_link_that_may_not_stay_leaves_its_text_and_no_a_tag() -> None:
    assert markdown_html("[click me](javascript:alert(1))") == "<p>click me</p>"
    assert markdown_html("[notes](../notes.txt) and [x](//evil.example/share)") == (
        "<p>notes and x</p>"
    )
    nested = markdown_html(DEAD_LINKS["LINK-nested"])
    assert nested.count("<a ") == nested.count("</a>") == 1
    assert '<a href="https://example.org/help" rel="noopener noreferrer">in</a>' in nested
    for url, snippet in GOOD_LINKS.items():
        assert f'href="{url}"' in markdown_html(snippet)


def test_control_characters_never_reach_the_html() -> None:
    assert markdown_html("a\x01b\x1b[31mc\x85d\x9fe &#1;&#x81;f") == "<p>ab[31mcde f</p>"


@dataclass(frozen=True)
class Built:
    root: Path
    pages: dict[str, str]  # file name -> the page as the patient sees it (unsealed)
    pdf: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One hostile patient, built with the handout, with hostile links in the library's texts
    too (an education page in the handout, an exercise in the plan)."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")
    write(root, "profiles/ana-silva.yaml", hostile_profile())
    for text in LIBRARY_TEXTS:
        path = root / text
        path.write_text(path.read_text("utf-8") + "\n" + hostile_text() + "\n", "utf-8")
    with pytest.MonkeyPatch.context() as patch:  # module scope: before the autouse fixture
        patch.setenv("MOVEBOOK_SITE_SECRET", SECRET)
        result = publish.build(root, ["ana-silva"])
    assert not result.failed, result.failed
    folder = booklet_folder(root, "ana-silva")
    pages = {page.name: open_page(page, "ana-silva") for page in folder.glob("*.html")}
    assert len(pages) > 10
    return Built(root, pages, root / "output" / "pdf" / "ana-silva" / "2026-09-02.pdf")


class Anchors(HTMLParser):
    """The attributes of every <a> on a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))


def test_hostile_notes_and_goals_reach_neither_the_site_nor_the_pdf(built: Built) -> None:
    overview = built.pages["index.html"]
    assert "Keep walking every day." in overview  # the harmless text survives
    assert "&lt;script&gt;alert(&#39;goal&#39;)&lt;/script&gt;Lift Leo" in overview  # shown as text
    assert "&gt;Stairs</li>" in overview  # the image shown as text
    for name, html in built.pages.items():
        parsed = Page(html)
        # no img, script or iframe: only the stylesheet and the empty icon
        assert parsed.sources == ["data:,", "../../assets/booklet.css"], name
        assert not parsed.handlers, name
        assert not CONTROL_CHARACTER.search(html), name
        tags = [tag.lower() for tag in re.findall(r"<[^>]+>", html)]  # text `<` is &lt;
        for bad in FORBIDDEN:
            assert not any(bad in tag for tag in tags), (name, bad)
    raw = built.pdf.read_bytes()
    assert b"/EmbeddedFiles" not in raw and b"/FileAttachment" not in raw
    assert b"/JavaScript" not in raw and b"/JS " not in raw
    reader = PdfReader(built.pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "root:" not in text and "evil.example" not in text
    assert not CONTROL_CHARACTER.search(text)
    assert not reader.attachments


def test_links_in_the_booklet_lead_only_to_its_pages_or_to_https_mailto_tel(built: Built) -> None:
    found: set[str] = set()
    for name, html in built.pages.items():
        for anchor in Anchors(html).anchors:
            href = anchor.get("href")
            assert href, (name, anchor)  # a link without its address is plain text, no <a>
            assert TEMPLATE_LINK.fullmatch(href) or href in GOOD_LINKS, (name, href)
            found.add(href)
    assert set(GOOD_LINKS) <= found  # the links that may stay still work
    for html in (built.pages["index.html"], built.pages[next(iter(learn_pages(built)))]):
        for label in DEAD_LINKS:
            assert label in html, label
        assert "ctl[]ctl" in html


def learn_pages(built: Built) -> list[str]:
    """The flare-up plan's page (hostile text appended), whatever its file is called."""
    return [name for name, html in built.pages.items() if "Your flare-up plan</h1>" in html]


def uris(reader: PdfReader) -> list[str]:
    """Every external link in a PDF: the /URI of each link annotation's action."""
    found = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                found.append(str(action["/URI"]))
    return found


def test_the_handout_links_only_to_https_mailto_tel(built: Built) -> None:
    reader = PdfReader(built.pdf)
    found = uris(reader)
    assert set(GOOD_LINKS) <= set(found)
    assert all(uri.startswith(("https://", "mailto:", "tel:")) for uri in found), found
    text = " ".join(page.extract_text() for page in reader.pages)
    for label in DEAD_LINKS:
        assert label in text, label  # the text of a dropped link stays


def test_a_relative_link_in_a_handout_template_is_no_file_link(built: Built) -> None:
    """The handout is rendered with the project as its base, for the logo: a relative link a
    clinic's own template makes must not become a file:// link to the clinic's folder."""
    project = load_project(built.root)
    handout = (
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><h1 id="top">Top</h1>'
        '<p><a href="session-main.html">page</a> <a href="//evil.example/s">share</a> '
        '<a href="notes.txt#x">notes</a> <a href="#">hash</a> <a href="#top">top</a> '
        '<a href="https://example.org/help">help</a></p></body></html>'
    )
    booklet = Booklet("ana-silva", "2026-09-02", "en", {}, handout)
    pdf = built.root / "relative.pdf"
    pdf.write_bytes(render_pdf(booklet, project.config, built.root))
    reader = PdfReader(pdf)
    assert uris(reader) == ["https://example.org/help"]
    assert "page share notes hash top help" in reader.pages[0].extract_text()


def test_hostile_pages_are_valid_html(built: Built, tmp_path: Path) -> None:
    """The Nu checker finds nothing wrong in a booklet of hostile notes (a link without its
    address used to leave `<a rel=...>`, which is invalid, hundreds of times)."""
    for name, html in built.pages.items():
        (tmp_path / name).write_text(html, encoding="utf-8")
    errors = nu_check(vnu_path(), sorted(str(page) for page in tmp_path.glob("*.html")))
    report = "\n".join(f"{m.get('url')}:{m.get('lastLine')}: {m.get('message')}" for m in errors)
    assert not errors, f"{len(errors)} Nu HTML checker errors:\n{report}"
