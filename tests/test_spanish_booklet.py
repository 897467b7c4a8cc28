"""A Spanish booklet and handout: the patient reads no English but what is still untranslated.

Most tests translate the whole library mechanically (every English word spelt backwards, in
the Spanish file format), so that they hold for any library a clinic writes: any English
sentence of the library, or any English message of the catalogue, found in a page is a place
where the patient's language does not reach. The last holds the bundled Spanish to the same.
"""

from __future__ import annotations

import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from conftest import REPO, problems, write
from movebook import wording
from movebook.load import locale_path
from movebook.model import Library
from movebook.project import load_project
from movebook.render import Booklet, render_booklet, render_pdf, render_sealed_page
from movebook.validate import PATIENT_WORDS, section_headings

# A Spanish-speaking patient; what the clinician writes for her is in Spanish.
PROFILE = """\
id: lucia-vidal
name: Lucía Vidal
language: es
passphrase: cuatro gatos en la luna
assessments:
  - date: 2026-09-02
    phase: 1
    signature:
      directional_preference: extension
      findings: [apical_breathing, glute_underuse, {id: pelvic_rotation, side: left}]
    measures: {nprs: 6, odi: 42, psfs: {"Subir a su nieta al coche": 3}}
    goals:
      - {task: lift_child, label: "Subir a su nieta al coche"}
      - {task: stairs}
    notes: Lucía, su espalda está protegiéndose, no está dañada.
  - date: 2026-09-30
    phase: 2
    signature:
      directional_preference: extension
      findings: [glute_underuse, {id: pelvic_rotation, side: left}]
    measures: {nprs: 4, odi: 30, psfs: {"Subir a su nieta al coche": 5}}
    goals:
      - {task: lift_child, label: "Subir a su nieta al coche"}
      - {task: stairs}
"""
VOCABULARY_FILES = {
    "finding": ("findings", "content/vocabulary/findings.yaml"),
    "task": ("tasks", "content/vocabulary/tasks.yaml"),
    "precaution": ("precautions", "content/vocabulary/precautions.yaml"),
    "red_flag": ("red_flags", "content/vocabulary/red_flags.yaml"),
}


def backwards(text: str) -> str:
    """Every word spelt backwards: markup, numbers, punctuation and {placeholders} kept, no
    English left."""
    return re.sub(r"(?<!\{)[A-Za-z]{2,}(?!\})", lambda word: word[0][::-1], text)


def backwards_words(value: object) -> object:
    """A vocabulary field's words spelt backwards: its text, or each text of a mapping
    (a precaution's card lines)."""
    if isinstance(value, dict):
        return {key: backwards(text) for key, text in value.items()}
    return backwards(str(value))


def texts_of(value: object) -> list[str]:
    """A vocabulary field's texts: itself, or each of a mapping's."""
    if isinstance(value, dict):
        return [str(text) for text in value.values()]
    return [str(value or "")]


def dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def translate_everything(root: Path, library: Library) -> None:
    """A translation file, in the Spanish format, for every file of the library."""
    headings = section_headings("es")
    for exercise in library.exercises.values():
        meta = exercise.meta
        words: dict[str, object] = {
            "title": backwards(meta.title),
            "summary": backwards(meta.summary),
            "breathing": backwards(meta.breathing),
        }
        if meta.micro_steps:
            words["micro_steps"] = [backwards(step.step) for step in meta.micro_steps]
        if meta.figure is not None:
            words["figure_alt"] = backwards(meta.figure.alt)
        loads = {phase: backwards(dose.load) for phase, dose in meta.dose.items() if dose.load}
        if loads:
            words["load"] = loads
        if meta.side_cue is not None:
            words["side_cue"] = {
                "left": backwards(meta.side_cue.left),
                "right": backwards(meta.side_cue.right),
            }
        if meta.supported is not None:
            held = meta.supported
            words["supported"] = {
                "hold": backwards(held.hold),
                **({"set_up": backwards(held.set_up)} if held.set_up else {}),
                **({"figure_alt": backwards(held.figure.alt)} if held.figure else {}),
                **({"load": backwards(held.load)} if held.load else {}),
            }
        body = "".join(
            f"## {heading}\n\n{backwards(exercise.sections[key])}\n\n"
            for heading, key in zip(headings, exercise.sections, strict=True)
        )
        write(root, locale_path("es", exercise.source), f"---\n{dump(words)}---\n{body}")
    for page in library.education.values():
        words = {"title": backwards(page.meta.title), "summary": backwards(page.meta.summary)}
        write(
            root, locale_path("es", page.source), f"---\n{dump(words)}---\n{backwards(page.body)}"
        )
    for kind, (name, rel) in VOCABULARY_FILES.items():
        items = getattr(library.vocabulary, name)
        translated = {
            key: {
                f: backwards_words(getattr(item, f))
                for f in PATIENT_WORDS[kind]
                if getattr(item, f)
            }
            for key, item in items.items()
        }
        write(root, locale_path("es", rel), dump({k: v for k, v in translated.items() if v}))
    phases = [
        {
            "number": phase.number,
            "name": backwards(phase.name),
            "aim": backwards(phase.aim),
            "exit_criteria": [backwards(c.text) for c in phase.exit_criteria],
        }
        for phase in library.phases
    ]
    write(root, "content/locale/es/phases.yaml", dump(phases))
    rituals = {
        r.id: {
            "name": backwards(r.name),
            "when": backwards(r.when),
            "purpose": backwards(r.purpose),
        }
        for r in library.rituals
    }
    write(root, "content/locale/es/rituals.yaml", dump(rituals))
    blocks = {
        b.id: {"name": backwards(b.name), "purpose": backwards(b.purpose)} for b in library.blocks
    }
    write(root, "content/locale/es/blocks.yaml", dump(blocks))


class _Text(HTMLParser):
    """What a reader sees (and hears: alt and aria-label texts), without styles or scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self.hidden += 1
        self.parts += [
            value or "" for name, value in attrs if name in ("alt", "aria-label", "title")
        ]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def library_texts(library: Library) -> list[str]:
    """Every text of the library a patient may be shown, in its language."""
    texts: list[str] = []
    for exercise in library.exercises.values():
        meta = exercise.meta
        texts += [meta.title, meta.summary, meta.breathing, *exercise.sections.values()]
        texts += [step.step for step in meta.micro_steps]
        texts += [meta.figure.alt] if meta.figure else []
        texts += [meta.side_cue.left, meta.side_cue.right] if meta.side_cue else []
        if meta.supported is not None:
            held = meta.supported
            texts += [held.hold, held.set_up or "", held.figure.alt if held.figure else ""]
            texts += [held.load or ""]
    for page in library.education.values():
        texts += [page.meta.title, page.meta.summary, page.body]
    for phase in library.phases:
        texts += [phase.name, phase.aim, *(c.text for c in phase.exit_criteria)]
    texts += [text for r in library.rituals for text in (r.name, r.when, r.purpose)]
    texts += [text for b in library.blocks for text in (b.name, b.purpose)]
    for kind, (name, _) in VOCABULARY_FILES.items():
        for item in getattr(library.vocabulary, name).values():
            texts += [text for f in PATIENT_WORDS[kind] for text in texts_of(getattr(item, f))]
    return texts


def english_sentences(library: Library) -> set[str]:
    """Every sentence of four words or more the English library shows a patient."""
    sentences = set()
    for text in library_texts(library):
        plain = re.sub(r"[*_#`>]|^\s*(?:-|\d+\.)\s+", " ", text, flags=re.MULTILINE)
        for sentence in re.split(r"(?<=[.!?:;])\s+|\n\s*\n", plain):
            sentence = " ".join(sentence.split())
            if len(sentence.split()) >= 4:
                sentences.add(sentence)
    return sentences


def english_messages() -> set[str]:
    """The catalogue's English messages, cut at their placeholders, in pieces of three words or
    more that Spanish does not share."""
    spanish = wording.translations("es")
    pieces = set()
    for message in wording.translations("en")._catalog:  # type: ignore[attr-defined]
        english = message[0] if isinstance(message, tuple) else message
        if not english or spanish.gettext(english) == english:
            continue
        for piece in re.split(r"%\(\w+\)\w|\{\w+\}|%%", english):
            piece = " ".join(piece.split()).strip(" ,.:;")
            if len(piece.split()) >= 3:
                pieces.add(piece)
    return pieces


@pytest.fixture(scope="module")
def spanish(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, Booklet, Path]:
    root = tmp_path_factory.mktemp("spanish") / "clinic"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")
    shutil.rmtree(root / "content" / "locale")
    write(root, "profiles/lucia-vidal.yaml", PROFILE)
    english = load_project(root).library
    translate_everything(root, english)
    assert problems(root) == []
    project = load_project(root)
    booklet = render_booklet(root, project.config, project.library, project.profiles["lucia-vidal"])
    return project.library, booklet, root


def leaks(booklet: Booklet, library: Library) -> list[str]:
    sentences, messages = english_sentences(library), english_messages()
    found = []
    for name, html in {**booklet.pages, "handout": booklet.handout}.items():
        text = shown_text(html)
        found += [f"{name}: {s}" for s in sorted(sentences) if s in text]
        found += [f"{name}: {m}" for m in sorted(messages) if m in text]
    return found


def test_a_complete_translation_leaves_nothing_untranslated(
    spanish: tuple[Library, Booklet, Path],
) -> None:
    library, _, _ = spanish
    translation = library.translations["es"]
    assert translation.untranslated == () and translation.complete
    assert translation.exercises == (0, len(library.exercises))
    assert translation.strings == (0, translation.strings[1])


def test_the_spanish_booklet_and_handout_have_no_english_left(
    spanish: tuple[Library, Booklet, Path],
) -> None:
    library, booklet, _ = spanish
    assert leaks(booklet, library) == []
    pages = booklet.pages
    assert all('<html lang="es">' in html for html in [*pages.values(), booklet.handout])
    assert "Hola, Lucía" in pages["index.html"]
    assert "2 de septiembre de 2026" in pages["progress.html"]
    assert "Subir a su nieta al coche" in pages["index.html"]  # the clinician's words, as written
    assert "su espalda está protegiéndose" in pages["2026-09-02-index.html"]


def test_the_check_can_fail(spanish: tuple[Library, Booklet, Path]) -> None:
    library, booklet, _ = spanish
    english = library.exercises["glute-bridge"]
    leaked = booklet.handout + f"<p>{english.meta.breathing}</p><p>Your main session</p>"
    found = leaks(Booklet(**{**vars(booklet), "handout": leaked}), library)
    assert found == [
        "handout: Breathe in as you lower them slowly.",
        "handout: Breathe out as you lift your hips.",
        "handout: Your main session",
    ]


def test_the_locked_page_and_passphrase_form_are_spanish(
    spanish: tuple[Library, Booklet, Path],
) -> None:
    library, booklet, root = spanish
    config = load_project(root).config
    locked = render_sealed_page(root, config, booklet.language, "index.html", "c2VhbGVk", "d3JhcA")
    assert '<html lang="es">' in locked and "Abrir mi cuaderno" in locked
    page = Booklet(**{**vars(booklet), "pages": {"locked.html": locked}, "handout": ""})
    assert leaks(page, library) == []


def test_the_spanish_handout_pdf_says_it_is_spanish(spanish: tuple[Library, Booklet, Path]) -> None:
    _, booklet, root = spanish
    pdf = PdfReader(io.BytesIO(render_pdf(booklet, load_project(root).config, root)))
    assert pdf.trailer["/Root"]["/Lang"] == "es"
    assert pdf.metadata is not None and pdf.metadata.title == "Su plan de ejercicios: Lucía Vidal"
    text = "".join(page.extract_text() for page in pdf.pages).replace("\x00", "")
    assert "-\n" in text  # long words broken by Spanish rules at the end of a line,
    assert "\u2010" not in text  # with a hyphen the font has (it has no U+2010: a box)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, Booklet]:
    """The bundled library with its own Spanish, as written by hand."""
    root = tmp_path_factory.mktemp("bundled") / "clinic"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")
    write(root, "profiles/lucia-vidal.yaml", PROFILE)
    project = load_project(root)
    booklet = render_booklet(root, project.config, project.library, project.profiles["lucia-vidal"])
    return project.library, booklet


def test_the_bundled_spanish_is_complete_and_leaves_no_english(
    bundled: tuple[Library, Booklet],
) -> None:
    """Every content file of the starter library has its Spanish, and a Spanish patient's
    booklet and handout, written from it, show none of the English library's sentences."""
    library, booklet = bundled
    translation = library.translations["es"]
    assert translation.untranslated == () and translation.complete
    assert leaks(booklet, library) == []
    assert "Deténgase si" in booklet.handout


# Words that describe the reader in the masculine, as the Spanish once had them: a profile does
# not say which to use, so the library writes around them (content/locale/es/README.md).
MASCULINE = re.compile(
    r"\b(?:[Mm]anténgase|[Ss]iéntese|[Pp]óngase|[Qq]uédese|quede|quedar|ponerse|sentarse"
    r"|seguir|[Ss]e siente|sentirse|se sienta|descanse|[Cc]aminando|[Dd]e pie y"
    r"|estar|rato|ratos largos|periodos largos|que pase|[Dd]esde|a|abdominal)"
    r" (?:bien )?(?:sentado|erguido|tumbado|mareado|inseguro|seguro|quieto|tranquilo|relajado"
    r"|apoyado|cansado)\b"
    r"|(?:^|[.:;] )(?:Sentado|Tumbado|Apoyado|Acostado)\b|\b[Ss]e queda sentado\b"
    r"|\busted solo\b|\bmantenerle quieto\b"
)


def test_the_bundled_spanish_describes_no_reader_in_the_masculine(
    bundled: tuple[Library, Booklet],
) -> None:
    library, booklet = bundled
    spanish = library.in_language("es")
    found = [
        match[0]
        for text in library_texts(spanish)
        for match in MASCULINE.finditer(" ".join(text.split()))
    ]
    assert found == []
    assert MASCULINE.findall(shown_text(booklet.handout)) == []
    for old in ("Se siente mareado o inseguro.", "Manténgase erguido.", "Sentado en una silla"):
        assert MASCULINE.search(old), old  # the check can fail
