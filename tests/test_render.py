"""The web booklet: layout on disk, what each page says, links, overrides, failures."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

import pytest
from click.testing import CliRunner

from conftest import (
    GOOD_PROFILE,
    REPO,
    SECRET,
    SITE_SECRET,
    booklet_folder,
    bundled_copy,
    open_page,
    page_file,
    read_page,
    write,
)
from movebook import publish
from movebook.cli import main
from movebook.project import load_project


class Page(HTMLParser):
    """The parts of a page a reader meets: headings, links, sources, visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.sources: list[str] = []
        self.handlers: list[str] = []  # on* attributes: there should never be any
        self._heading: str | None = None
        self._text: list[str] = []
        self.text = ""
        self.feed(html)
        self.text = re.sub(r"\s+", " ", "".join(self._text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._buffer = tag, []
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag in ("img", "script", "iframe", "link", "source") and (
            values.get("src") or values.get("href")
        ):
            self.sources.append(values.get("src") or values.get("href") or "")
        self.handlers += [name for name in values if name.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self.headings.append((tag, re.sub(r"\s+", " ", "".join(self._buffer)).strip()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if self._heading:
            self._buffer.append(data)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled project built once, web only (the PDF tests build their own)."""
    root = bundled_copy(tmp_path_factory.mktemp("bundled"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOVEBOOK_SITE_SECRET", SECRET)
        result = publish.build(root, pdf=False, jobs=2)
    assert not result.failed
    return root


booklet = booklet_folder


def page(root: Path, profile: str, name: str) -> Page:
    return Page(read_page(root, profile, name))


def test_every_profile_gets_a_booklet_under_an_opaque_folder(site: Path) -> None:
    out = site / "output" / "site"
    assert (out / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    index = Page((out / "index.html").read_text())
    assert "private site" in index.text
    ids = sorted(path.stem for path in (REPO / "profiles").glob("*.yaml"))
    assert sorted(p.name for p in (out / "p").iterdir()) == sorted(SITE_SECRET.slug(i) for i in ids)
    names = [p.name.lower() for p in out.rglob("*")]
    for profile in ids:
        for part in [profile, *(p for p in profile.split("-") if len(p) > 3)]:
            assert not any(part in name for name in names), part


def test_overview_greets_and_shows_phase_sessions_and_note(site: Path) -> None:
    overview = page(site, "maria-lopez", "index.html")
    assert ("h1", "Hello, Maria") in overview.headings
    assert ("h2", "Phase 3 of 4: Integration into real life") in overview.headings
    assert re.search(r"Your main session About \d+ minutes · [3-5] days a week", overview.text)
    assert "Morning mobility" in overview.text and "Evening decompression" in overview.text
    assert ("h2", "A note from Sam Okafor, PT") in overview.headings
    assert "Lift Leo into his car seat" in overview.text
    assert "handout.pdf" in overview.links


def test_session_page_lists_cards_in_block_order(site: Path) -> None:
    project = load_project(site)
    order = [block.name.upper() for block in project.library.blocks]
    html = read_page(site, "maria-lopez", "session-main.html")
    tags = re.findall(r'<p class="block-tag">([^<]+)</p>', html)
    assert len(tags) >= 4
    positions = [order.index(tag.strip().upper()) for tag in tags]
    assert positions == sorted(positions)


def test_exercise_page_has_every_part_a_patient_needs(site: Path) -> None:
    exercise = page(site, "maria-lopez", "exercise-lift-to-car-seat.html")
    headings = [text for _, text in exercise.headings]
    assert headings[0] == "Lift and place, as into a car seat"
    for part in (
        "How much",
        "Set-up",
        "The movement",
        "What you should feel",
        "Common faults",
        "Stop if",
        "Breathing",
        "Small steps forward",
    ):
        assert part in headings
    assert "2 sets of 5" in exercise.text
    assert "step back to" in exercise.text


def test_phase_plan_shows_exit_criteria_and_where_the_patient_is(site: Path) -> None:
    plan = page(site, "maria-lopez", "plan.html")
    assert [t for h, t in plan.headings if h == "h2"][:4] == [
        "Phase 1: Reassurance and reconnection",
        "Phase 2: Capacity building",
        "Phase 3: Integration into real life",
        "Phase 4: Performance and protection",
    ]
    assert "You are here" in plan.text
    assert "You are ready to move on when:" in plan.text


def test_links_resolve_and_nothing_is_fetched_from_elsewhere(site: Path) -> None:
    out = site / "output" / "site"
    profiles = {SITE_SECRET.slug(p.stem): p.stem for p in (site / "profiles").glob("*-*.yaml")}
    for html in out.rglob("*.html"):
        sealed = Page(html.read_text(encoding="utf-8"))  # the loader, when private
        opened = Page(open_page(html, profiles[html.parent.name])) if html.parent != out else None
        for parsed in (sealed, opened) if opened else (sealed,):
            for source in parsed.sources:
                assert not re.match(r"[a-z]+:", source) or source == "data:,", (html, source)
                if not source.startswith("data:"):
                    assert (html.parent / source).resolve().is_file(), (html, source)
            for link in parsed.links:
                if link.startswith(("mailto:", "tel:", "#")):
                    continue
                assert not link.startswith(("http:", "https:", "file:", "//")), (html, link)
                if not link.endswith(".pdf"):  # built without PDFs
                    assert (html.parent / link.split("#")[0]).resolve().is_file(), (html, link)


def test_red_flag_profile_gets_a_short_booklet_with_no_exercises(site: Path) -> None:
    folder = booklet(site, "declan-obrien")
    # and no way back to the exercises of the earlier (2026-10-26) booklet
    pages = ["index.html", "learn-red-flags.html"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        page_file(site, "declan-obrien", name).name for name in pages
    )
    urgent = page(site, "declan-obrien", "index.html")
    assert urgent.headings[0] == ("h1", "Declan, please get medical help now")
    assert (
        "Go to an emergency department now. Do not wait for an appointment. "
        "Do not start or continue your exercises until you have been checked."
    ) in urgent.text


def test_stylesheet_and_fonts_are_vendored_with_the_clinic_accent(site: Path) -> None:
    assets = site / "output" / "site" / "assets"
    css = (assets / "booklet.css").read_text()
    assert "--accent: #2f6f62;" in css
    for font in re.findall(r'url\("([^"]+)"\)', css):
        assert (assets / font).is_file()
    assert "http" not in css


def test_a_clinic_overrides_one_template_and_extends_the_default(tmp_path: Path) -> None:
    root = bundled_copy(tmp_path)
    write(
        root,
        "templates/overview.html",
        """\
        {% extends "movebook/overview.html" %}
        {% block content %}{{ super() }}<p class="clinic-extra">Parking is free after 6pm.</p>
        {% endblock %}
        """,
    )
    publish.build(root, ["maria-lopez"], pdf=False)
    overview = page(root, "maria-lopez", "index.html")
    assert "Parking is free after 6pm." in overview.text
    assert ("h1", "Hello, Maria") in overview.headings  # the rest still comes from movebook
    session = page(root, "maria-lopez", "session-main.html")
    assert "Parking" not in session.text


def test_a_template_added_or_removed_is_seen_by_the_next_build_in_the_same_process(
    project: Path,
) -> None:
    """As in `movebook serve`, which builds again and again in one process."""
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    footer = (
        "{% extends 'movebook/base.html' %}{% block footer %}Open late on Thursdays.{% endblock %}"
    )

    def built() -> str:
        assert not publish.build(project, ["ana-silva"], pdf=False).failed
        return page(project, "ana-silva", "index.html").text

    assert "Open late" not in built()
    write(project, "templates/base.html", footer)  # templates/ did not exist before
    assert "Open late on Thursdays." in built()
    (project / "templates" / "base.html").unlink()
    assert "Open late" not in built()


def test_a_broken_profile_fails_alone_and_the_build_exits_1(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    write(
        project,
        "profiles/bad.yaml",
        GOOD_PROFILE.replace("ana-silva", "bad").replace("phase: 1", "phase: 7"),
    )
    result = CliRunner().invoke(main, ["build", "--no-pdf", "--project", str(project)])
    assert result.exit_code == 1
    assert "profiles/bad.yaml:5: assessments[0].phase: expected 1-4, got 7" in result.stderr
    assert result.stdout.startswith("1 booklet built, 1 failed in ")
    assert page_file(project, "ana-silva", "index.html").is_file()
    assert not booklet(project, "bad").exists()


def test_a_template_typo_stops_the_build_before_anything_is_written(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    write(project, "templates/session.html", "{% extends 'movebook/session.html' %}\n{% block x %}")
    result = CliRunner().invoke(main, ["build", "--no-pdf", "--project", str(project)])
    assert result.exit_code == 1
    assert result.stderr.startswith("templates/session.html:2: ")
    assert "Traceback" not in result.stderr
    assert not (project / "output").exists()


def test_unknown_profile_ids_are_named(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    result = CliRunner().invoke(main, ["build", "ana-silvia", "--project", str(project)])
    assert result.exit_code == 1
    assert result.stderr == (
        "profiles/ana-silvia.yaml:0: no such profile (did you mean 'ana-silva'?)\n"
    )


def test_an_interrupted_build_keeps_the_previous_booklet(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    publish.build(project, pdf=False)
    folder = booklet(project, "ana-silva")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE.replace("Ana Silva", "Ana Souza"))

    written = 0
    real = publish._flushed

    def flaky(stream: BinaryIO, data: bytes) -> None:
        nonlocal written
        written += 1
        if written == 3:
            raise KeyboardInterrupt
        real(stream, data)

    monkeypatch.setattr(publish, "_flushed", flaky)
    with pytest.raises(KeyboardInterrupt):
        publish.build(project, pdf=False)
    assert written == 3
    monkeypatch.setattr(publish, "_flushed", real)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no staging left over


def test_rebuilding_replaces_the_booklet_whole(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    publish.build(project, pdf=False)
    folder = booklet(project, "ana-silva")
    (folder / "stale.html").write_text("old")
    publish.build(project, pdf=False)
    assert not (folder / "stale.html").exists()
    assert "Hello, Ana" in read_page(project, "ana-silva", "index.html")


@pytest.mark.parametrize(
    ("flags", "heading", "lead"),
    [
        (
            ["fever", "cauda_equina_signs"],  # the emergency leads, whatever the order given
            "Declan, please get medical help now",
            "Go to an emergency department now. Do not wait for an appointment.",
        ),
        (["fever"], "Declan, please contact your clinician now", "Contact your doctor today."),
    ],
)
def test_a_red_flag_booklet_leads_with_its_most_urgent_action(
    tmp_path: Path, flags: list[str], heading: str, lead: str
) -> None:
    from movebook.render import render_booklet

    project = load_project(bundled_copy(tmp_path))
    profile = project.profiles["declan-obrien"].model_copy(update={"red_flags": flags})
    booklet = render_booklet(project.root, project.config, project.library, profile)
    index = booklet.pages["index.html"]
    assert f"<h1>{heading}</h1>" in index
    assert re.search(rf'<p class="urgent-lead">{re.escape(lead)} Do not start', index)
    assert re.search(rf'<p class="urgent-lead">{re.escape(lead)} Do not start', booklet.handout)
