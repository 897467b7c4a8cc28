"""Notes and goals are patient data typed by people: nothing in them may become active content."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from conftest import GOOD_PROFILE, booklet_folder, open_page, read_page, write
from movebook import publish
from movebook.render import markdown_html
from test_render import Page

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
FORBIDDEN = [
    "<script",
    "<iframe",
    "javascript:",
    "file://",
    "/etc/passwd",
    "onerror",
    "onclick",
    "<object",
    "evil.example",
    'rel="attachment"',
    "rel='attachment'",
]


def hostile_profile() -> str:
    notes = "\n\n".join(HOSTILE)
    indented = "\n".join("      " + line for line in notes.splitlines())
    profile = GOOD_PROFILE.replace(
        '      - {task: lift_child, label: "Lift Leo into his car seat"}',
        "      - {task: lift_child, label: \"<script>alert('goal')</script>Lift Leo\"}\n"
        "      - {task: stairs, label: \"<img src='file:///etc/passwd'>Stairs\"}",
    )
    return (
        profile
        + "    notes: |\n"
        + indented
        + "\n    overrides:\n      notes:\n        dead-bug: \"<script>alert('x')</script>\"\n"
    )


def test_markdown_keeps_ordinary_formatting() -> None:
    html = markdown_html("**Well done.** Walk [with us](https://example.org)\n\n- one\n- two")
    assert "<strong>Well done.</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer"' in html
    assert "<li>one</li>" in html


def test_each_hostile_snippet_is_neutralised() -> None:
    for snippet in HOSTILE:
        html = markdown_html(snippet).lower()
        for bad in FORBIDDEN:
            assert bad.lower() not in html, (snippet, html)


def test_hostile_notes_and_goals_reach_neither_the_site_nor_the_pdf(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", hostile_profile())
    result = publish.build(project, ["ana-silva"])
    assert not result.failed, result.failed
    pages = list(booklet_folder(project, "ana-silva").glob("*.html"))
    assert pages
    overview = read_page(project, "ana-silva", "index.html")
    assert "Keep walking every day." in overview  # the harmless text survives
    assert "&lt;script&gt;alert(&#39;goal&#39;)&lt;/script&gt;Lift Leo" in overview  # shown as text
    for page in pages:
        parsed = Page(open_page(page, "ana-silva"))
        # no img, script or iframe: only the stylesheet and the empty icon
        assert parsed.sources == ["data:,", "../../assets/booklet.css"], page.name
        for link in parsed.links:
            assert not link.lower().startswith(("javascript:", "file:", "data:")), link
        assert not parsed.handlers, page.name
    pdf = project / "output" / "pdf" / "ana-silva" / "2026-09-02.pdf"
    raw = pdf.read_bytes()
    assert b"/EmbeddedFiles" not in raw and b"/FileAttachment" not in raw
    assert b"/JavaScript" not in raw and b"/JS " not in raw
    reader = PdfReader(pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "root:" not in text and "evil.example" not in text
    assert not reader.attachments
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            uri = annotation.get_object().get("/A", {}).get("/URI", "")
            assert not str(uri).startswith(("javascript:", "file:")), uri
