"""The printed handout: structure, accessibility tags, fonts, page size, reproducibility."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from conftest import SECRET, bundled_copy
from movebook import publish
from movebook.plan import build_plan
from movebook.project import load_project
from movebook.render import asset_fetcher, render_booklet, render_pdf


@pytest.fixture(scope="module")
def handouts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = bundled_copy(tmp_path_factory.mktemp("handouts"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOVEBOOK_SITE_SECRET", SECRET)
        result = publish.build(root, ["maria-lopez", "declan-obrien"], jobs=2)
    assert not result.failed
    return root / "output" / "pdf"


def text_of(reader: PdfReader) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def resolve(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def fonts_of(reader: PdfReader) -> dict[str, DictionaryObject]:
    found: dict[str, DictionaryObject] = {}
    for page in reader.pages:
        resources = resolve(page.get("/Resources"))
        fonts = resolve(resources.get("/Font", {})) if isinstance(resources, dict) else {}
        for font in fonts.values():  # type: ignore[union-attr]
            font = resolve(font)
            found[str(font["/BaseFont"])] = font
    return found


def test_handout_has_cover_contents_sessions_plan_and_tracker(handouts: Path) -> None:
    reader = PdfReader(handouts / "maria-lopez" / "2026-11-04.pdf")
    pages = text_of(reader)
    total = len(pages)
    assert 10 < total < 40
    cover = pages[0]
    for fact in (
        "Maria Lopez",
        "Sam Okafor, PT",
        "Riverside Physiotherapy",
        "November 4, 2026",
        "3 of 4: Integration into real life",
    ):
        assert fact in cover
    assert "Page" not in cover  # no running header on the cover
    assert f"Maria Lopez Page 2 of {total}" in pages[1]
    contents = pages[1]
    assert "Contents" in contents
    assert re.search(r"Your main session \.[ .]* \d+", contents)
    assert "Your week at a glance" in "".join(pages)
    assert "Small steps forward" in "".join(pages)
    assert "Your flare-up plan" in "".join(pages)
    assert "Week 4" in pages[-1] and "Your four-week tracker" in pages[-1]


def test_exercise_cards_are_not_split_across_pages(handouts: Path) -> None:
    pages = text_of(PdfReader(handouts / "maria-lopez" / "2026-11-04.pdf"))
    project = load_project(Path(__file__).resolve().parents[1])
    plan = build_plan(project.profiles["maria-lopez"], project.library, ["mat", "chair"])
    for exercise in [planned.exercise for planned in plan.exercises()][:4]:
        title = exercise.meta.title
        first_fault = exercise.sections["Common faults"].split("\n")[0][2:30]
        breathing = re.sub(r"\s+", " ", exercise.meta.breathing)[:40]  # printed on its card only
        holding = [i for i, text in enumerate(pages) if f"{title} " in text and breathing in text]
        assert holding, title
        assert first_fault in pages[holding[0]], title


def test_handout_is_tagged_with_metadata_bookmarks_and_embedded_fonts(handouts: Path) -> None:
    reader = PdfReader(handouts / "maria-lopez" / "2026-11-04.pdf")
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"
    assert reader.metadata is not None
    assert reader.metadata.title == "Your exercise plan: Maria Lopez"
    assert reader.metadata.author == "Sam Okafor, PT"
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[:3] == ["Maria Lopez", "Contents", "Where you are now"]
    assert "Your main session" in outline
    fonts = fonts_of(reader)
    assert fonts and all("Atkinson-Hyperlegible" in name for name in fonts)
    for font in fonts.values():
        descendant = resolve(font["/DescendantFonts"][0])
        assert "/FontFile2" in resolve(descendant["/FontDescriptor"])  # type: ignore[operator]


def test_red_flag_handout_is_one_page_led_by_its_most_urgent_action(handouts: Path) -> None:
    """Declan's cauda equina signs: the page he is handed says go to an emergency department
    now, first, and never "today"; it is no exercise plan."""
    pages = text_of(PdfReader(handouts / "declan-obrien" / "2026-11-16.pdf"))
    assert len(pages) == 1
    first = " ".join(pages[0].split())
    assert "IMPORTANT: PLEASE READ THIS NOW" in first and "YOUR EXERCISE PLAN" not in first
    lead = "Get medical help now Go to an emergency department now. Do not wait for an appointment."
    assert lead in first
    assert "today" not in first
    assert "How much" not in first and "Set-up" not in first


def test_page_size_follows_the_config(tmp_path: Path) -> None:
    root = bundled_copy(tmp_path)
    config = yaml.safe_load((root / "movebook.yaml").read_text())
    config["pdf"] = {"page_size": "Letter"}
    (root / "movebook.yaml").write_text(yaml.safe_dump(config))
    publish.build(root, ["declan-obrien"])
    reader = PdfReader(root / "output" / "pdf" / "declan-obrien" / "2026-11-16.pdf")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_two_builds_give_byte_identical_pdfs(tmp_path: Path) -> None:
    """Different folders, separate builds: nothing about the machine or the time leaks in."""
    outputs = []
    for name in ("first", "second"):
        root = bundled_copy(tmp_path / name)
        publish.build(root, ["kwame-mensah"])
        outputs.append((root / "output" / "pdf" / "kwame-mensah" / "2026-11-12.pdf").read_bytes())
    assert outputs[0] == outputs[1]


def test_the_pdf_fetcher_serves_only_the_theme_and_the_logo(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    fetch = asset_fetcher([logo])
    assert fetch(logo.as_uri()).read().startswith(b"\x89PNG")
    for url in (
        "file:///etc/passwd",
        (tmp_path / "profiles.yaml").as_uri(),
        "https://example.com/pixel.png",
        "ftp://example.com/x",
        "file://host/etc/x",
    ):
        with pytest.raises(Exception, match="refused"):
            fetch(url)
    assert fetch("data:text/plain,ok").read() == b"ok"


def test_render_pdf_is_a_function_of_its_input(tmp_path: Path) -> None:
    project = load_project(bundled_copy(tmp_path))
    profile = project.profiles["declan-obrien"]
    booklet = render_booklet(project.root, project.config, project.library, profile)
    assert render_pdf(booklet, project.config, project.root) == render_pdf(
        booklet, project.config, project.root
    )
