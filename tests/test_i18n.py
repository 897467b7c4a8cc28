"""Every patient-facing string goes through gettext; a new language is only a catalogue."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from conftest import GOOD_PROFILE, REPO, write
from movebook import render, wording
from movebook.project import load_project
from movebook.render import render_booklet


def test_catalogues_are_up_to_date_with_the_templates() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "messages.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_english_catalogue_is_complete() -> None:
    po = wording.LOCALE_DIR / "en" / "LC_MESSAGES" / "movebook.po"
    catalog = read_po(io.BytesIO(po.read_bytes()))
    missing = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert len(catalog) > 80 and not missing


@pytest.fixture
def french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pseudo-French catalogue: every English string, marked, so translation is visible."""
    english = wording.LOCALE_DIR / "en" / "LC_MESSAGES" / "movebook.po"
    catalog = read_po(io.BytesIO(english.read_bytes()), locale="fr")
    for message in catalog:
        if isinstance(message.id, tuple):
            message.string = tuple(f"«{text}»" for text in message.id)
        elif message.id:
            message.string = f"«{message.id}»"
    target = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "movebook.po"
    target.parent.mkdir(parents=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    target.write_bytes(buffer.getvalue())
    monkeypatch.setattr(wording, "LOCALE_DIR", tmp_path / "locale")
    for cached in (wording.translations, wording.locale_of, render._environment):
        cached.cache_clear()
    yield
    for cached in (wording.translations, wording.locale_of, render._environment):
        cached.cache_clear()


@pytest.mark.usefixtures("french")
def test_a_new_language_is_a_catalogue_not_a_rewrite(project: Path) -> None:
    write(
        project,
        "profiles/ana-silva.yaml",
        GOOD_PROFILE.replace("name: Ana Silva", "name: Ana Silva\nlanguage: fr"),
    )
    loaded = load_project(project)
    booklet = render_booklet(project, loaded.config, loaded.library, loaded.profiles["ana-silva"])
    overview = booklet.pages["index.html"]
    assert '<html lang="fr">' in overview
    assert "«Hello, %(name)s»".replace("%(name)s", "Ana") in overview
    assert "2 septembre 2026" in overview  # dates follow the profile's language
    assert "«Your main session»" in overview
    assert "«Ask yourself: how many can I do perfectly?" in overview  # computed wording too
    assert render.css_string("«Page» ") in booklet.handout  # and the print running header
    assert "«Pain (0-10)»" in booklet.pages["progress.html"]  # and the chart's labels


def test_a_language_without_a_catalogue_falls_back_to_english(project: Path) -> None:
    write(
        project,
        "profiles/ana-silva.yaml",
        GOOD_PROFILE.replace("name: Ana Silva", "name: Ana Silva\nlanguage: xx"),
    )
    loaded = load_project(project)
    booklet = render_booklet(project, loaded.config, loaded.library, loaded.profiles["ana-silva"])
    assert "Hello, Ana" in booklet.pages["index.html"]
    assert '<html lang="en">' in booklet.pages["index.html"]
