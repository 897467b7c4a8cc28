"""Every patient-facing string goes through gettext; a new language is only a catalogue."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from conftest import GOOD_PROFILE, REPO, write
from movebook import render, wording
from movebook.plan import PlannedDose
from movebook.project import load_project
from movebook.render import render_booklet


def test_catalogues_are_up_to_date_with_the_templates() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "messages.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language", ["en", "es"])
def test_catalogue_is_complete(language: str) -> None:
    po = wording.LOCALE_DIR / language / "LC_MESSAGES" / "movebook.po"
    catalog = read_po(io.BytesIO(po.read_bytes()), locale=language)
    missing = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert len(catalog) > 80 and not missing
    assert not list(catalog.check())  # the same %(placeholders)s in every translation
    assert wording.untranslated_strings(language) == (0, len(catalog))


def test_every_catalogue_is_tested_for_completeness() -> None:
    assert wording.catalogue_languages() == ["es"]  # a new one: add it to the test above


def test_spanish_plurals_follow_the_spanish_rule() -> None:
    words = wording.Words("es")
    assert [words.minutes(n) for n in (1, 2, 0)] == ["1 minuto", "2 minutos", "0 minutos"]
    assert words.every(60) == "cada hora" and words.every(120) == "cada 2 horas"
    assert words.how_often(None, 1) == "1 día a la semana"
    assert words.how_often(None, 3) == "3 días a la semana"
    assert words.how_often(1, None) == "una vez al día"
    assert words.how_often(3, None) == "3 veces al día"
    assert words.date("2026-09-02") == "2 de septiembre de 2026"
    assert words.number(2.5) == "2,5"
    assert words.day_names()[0] == "lunes" and words.day_names()[6] == "domingo"
    dose = PlannedDose(
        sets=2, reps=8, hold_s=5, tempo=None, minutes=None, rest_s=45,
        per_day=None, per_week=3, per_side=True,
    )  # fmt: skip
    assert words.amount(dose) == "2 series de 8, mantenga 5 segundos, de cada lado"
    assert words.rest(dose) == "Descanse 45 segundos entre series."
    one = replace(dose, sets=1, reps=1, hold_s=1, per_side=False)
    assert words.amount(one) == "1 serie de 1, mantenga 1 segundo"


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
    shutil.copytree(wording.LOCALE_DIR, tmp_path / "locale")  # the library's Spanish stays
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
