"""Translations of the library: words only, beside the English files, checked against them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from conftest import GOOD_PROFILE, REPO, problems, write
from movebook.cli import main
from movebook.project import load_project

FIXTURES = REPO / "tests" / "data" / "locale"
BRIDGE = "content/locale/es/exercises/strength/glute-bridge.md"
SPANISH_PROFILE = GOOD_PROFILE.replace("name: Ana Silva", "name: Ana Silva\nlanguage: es")


@pytest.fixture
def spanish(project: Path) -> Path:
    """The scratch project with the fixture translations: two exercises, phases, blocks and
    rituals in Spanish, everything else left in English."""
    shutil.rmtree(project / "content" / "locale", ignore_errors=True)
    shutil.copytree(FIXTURES, project / "content" / "locale")
    return project


def bridge(project: Path, old: str, new: str) -> None:
    path = project / BRIDGE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_translation_gives_the_words_and_the_english_file_the_rest(spanish: Path) -> None:
    library = load_project(spanish).library
    english, translated = library.exercises["glute-bridge"], library.in_language("es").exercises
    bridge_es = translated["glute-bridge"]
    assert bridge_es.meta.title == "Puente de glúteos"
    assert bridge_es.meta.dose == english.meta.dose and bridge_es.meta.block == "strength"
    assert [s.dimension for s in bridge_es.meta.micro_steps] == [
        s.dimension for s in english.meta.micro_steps
    ]
    assert bridge_es.meta.micro_steps[0].step.startswith("Tarde cuatro segundos")
    assert list(bridge_es.sections) == list(english.sections)  # keyed as the templates expect
    assert bridge_es.sections["Stop if"].startswith("- El dolor, el hormigueo")
    assert bridge_es.meta.figure is not None and bridge_es.meta.figure.alt.startswith("Tumbado")
    assert translated["cat-camel"] is library.exercises["cat-camel"]  # no file: English
    spanish_library = library.in_language("es")
    assert spanish_library.phases[1].exit_criteria[2].text.startswith("Su dolor es de 3")
    assert spanish_library.phases[1].exit_criteria[2].measure == "nprs"
    assert spanish_library.rituals[0].name == "Movilidad de la mañana"
    assert spanish_library.blocks[0].name == "Calmar"
    assert library.in_language("fr") is library  # no translation at all
    assert library.in_language("es-MX") is spanish_library  # a region reads its language


def test_missing_translations_are_listed_never_errors(spanish: Path) -> None:
    assert problems(spanish) == []
    translation = load_project(spanish).library.translations["es"]
    assert translation.exercises == (74, 76) and translation.education == (8, 8)
    assert "content/locale/es/exercises/mobility/cat-camel.md" in translation.untranslated
    assert "content/locale/es/vocabulary/findings.yaml" in translation.untranslated
    assert not any("glute-bridge" in rel or "phases" in rel for rel in translation.untranslated)


def test_a_dose_load_is_translated_phase_by_phase(spanish: Path) -> None:
    bridge(spanish, "figure_alt:", "load: {2: Un libro.}\nfigure_alt:")
    assert problems(spanish, "content/locale") == [
        f"{BRIDGE}:10: load: expected a load for each phase whose dose gives one in "
        "content/exercises/strength/glute-bridge.md (none), got 2"
    ]
    bridge(spanish, "load: {2: Un libro.}\n", "")
    rel = "content/locale/es/exercises/strength/band-row.md"
    write(spanish, rel, (REPO / rel).read_text(encoding="utf-8"))
    library = load_project(spanish).library
    english = library.exercises["band-row"].meta.dose
    spanish_doses = library.in_language("es").exercises["band-row"].meta.dose
    assert english[1].load == "Use your lightest band."
    assert spanish_doses[1].load == "Use la banda más suave que tenga."
    assert spanish_doses[3].load is not None and spanish_doses[3].load.startswith("Use una banda")
    assert {p: d.model_copy(update={"load": None}) for p, d in spanish_doses.items()} == {
        p: d.model_copy(update={"load": None}) for p, d in english.items()
    }


def test_a_translation_of_no_english_file_is_an_error(spanish: Path) -> None:
    (spanish / BRIDGE).rename(spanish / BRIDGE.replace("bridge", "brige"))
    assert problems(spanish, "content/locale") == [
        "content/locale/es/exercises/strength/glute-brige.md:1: expected the path of an "
        "English exercise under content/, got 'exercises/strength/glute-brige.md' "
        "(did you mean 'exercises/strength/glute-bridge.md'?)"
    ]


def test_a_key_that_is_not_a_word_field_is_an_error(spanish: Path) -> None:
    bridge(spanish, "breathing:", "block: strength\nbreathing:")
    assert problems(spanish, "content/locale") == [
        f"{BRIDGE}:4: block: expected a word field "
        "(title, summary, breathing, micro_steps, figure_alt, load, side_cue, supported), "
        "got 'block'"
    ]


def test_micro_steps_must_match_the_english_in_number(spanish: Path) -> None:
    bridge(spanish, "  - Junte un poco más los pies y las rodillas.\n", "")
    assert problems(spanish, "content/locale") == [
        f"{BRIDGE}:5: micro_steps: expected 4 steps, as in "
        "content/exercises/strength/glute-bridge.md, got 3"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "## Preparación",
            "## Preparacion",
            [
                ":12: body: expected a section heading from Preparación, El movimiento, Qué debe "
                "sentir, Errores frecuentes, Deténgase si, got 'Preparacion' "
                "(did you mean 'Preparación'?)",
                ":12: body: expected a '## Preparación' section, got none",
            ],
        ),
        (
            "## Errores frecuentes",
            "## Set-up",
            [
                ":36: body: expected a section heading from Preparación, El movimiento, Qué debe "
                "sentir, Errores frecuentes, Deténgase si, got 'Set-up'",
                ":12: body: expected a '## Errores frecuentes' section, got none",
            ],
        ),
    ],
)
def test_the_sections_are_the_five_of_the_language(
    spanish: Path, old: str, new: str, expected: list[str]
) -> None:
    bridge(spanish, old, new)
    assert problems(spanish, "content/locale") == sorted(BRIDGE + line for line in expected)


def test_exit_criteria_must_match_the_english_in_number(spanish: Path) -> None:
    path = spanish / "content/locale/es/phases.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    - Puede caminar 30 minutos.\n", ""), encoding="utf-8")
    assert problems(spanish, "content/locale") == [
        "content/locale/es/phases.yaml:12: [1].exit_criteria: expected 4 exit criteria, "
        "as phase 2 in content/phases.yaml, got 3"
    ]


def test_vocabulary_ids_and_fields_are_the_english_files(spanish: Path) -> None:
    write(
        spanish,
        "content/locale/es/vocabulary/findings.yaml",
        """\
        apical_breathing:
          patient: Respira sobre todo con la parte alta del pecho.
          sided: true
        apical_breathin:
          patient: Respira arriba.
        """,
    )
    assert problems(spanish, "content/locale") == [
        "content/locale/es/vocabulary/findings.yaml:3: apical_breathing.sided: expected a word "
        "field (label, patient, replaces_stop_sign, stop_sign), got 'sided'",
        "content/locale/es/vocabulary/findings.yaml:4: apical_breathin: expected an id of "
        "content/vocabulary/findings.yaml, got 'apical_breathin' (did you mean "
        "'apical_breathing'?)",
    ]


def catalogue_size() -> int:
    """The messages of the Spanish catalogue, counted apart from movebook's own count."""
    po = REPO / "src/movebook/theme/locale/es/LC_MESSAGES/movebook.po"
    with po.open("rb") as file:
        return sum(1 for message in read_po(file) if message.id)


def test_a_build_says_once_per_language_what_is_still_english(spanish: Path) -> None:
    write(spanish, "profiles/ana-silva.yaml", SPANISH_PROFILE)
    write(spanish, "profiles/bo-lund.yaml", SPANISH_PROFILE.replace("ana-silva", "bo-lund"))
    write(spanish, "profiles/cy-marsh.yaml", GOOD_PROFILE.replace("ana-silva", "cy-marsh"))
    result = CliRunner().invoke(main, ["build", "--no-pdf", "-j", "1", "--project", str(spanish)])
    assert result.exit_code == 0, result.output
    untranslated = [line for line in result.stderr.splitlines() if line.startswith("warning: es")]
    assert untranslated == [
        f"warning: es: 74 of 76 exercises, 8 of 8 education pages, 0 of {catalogue_size()} strings "
        "untranslated; English used"
    ]


def test_check_lists_what_is_still_english_in_the_languages_patients_read(
    spanish: Path,
) -> None:
    write(spanish, "profiles/ana-silva.yaml", GOOD_PROFILE)
    result = CliRunner().invoke(main, ["check", "--project", str(spanish)])
    assert result.stdout.startswith("1 profile, ")  # no one reads Spanish: nothing to say
    write(spanish, "profiles/ana-silva.yaml", SPANISH_PROFILE)
    result = CliRunner().invoke(main, ["check", "--project", str(spanish)])
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"es: 74 of 76 exercises, 8 of 8 education pages, 0 of {catalogue_size()} strings "
        "untranslated; English used"
    )
    assert "  content/locale/es/exercises/mobility/cat-camel.md" in lines
    assert "  content/locale/es/vocabulary/red_flags.yaml" in lines
    assert lines[-1] == "1 profile, 76 exercises, 8 education pages: no errors"


def test_rituals_blocks_and_pages_are_checked_like_the_rest(spanish: Path) -> None:
    write(spanish, "content/locale/es/rituals.yaml", "morning:\n  name: Mañana\n  minutes: 5\n")
    write(spanish, "content/locale/es/blocks.yaml", "strenght:\n  name: Fortalecer\n")
    write(spanish, "content/locale/es/education/breathing.markdown", "---\ntitle: x\n---\nx\n")
    write(spanish, "content/locale/es/education/breathe.md", "---\ntitle: Respirar\n---\nTexto.\n")
    path = spanish / "content/locale/es/phases.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("number: 2", "number: 3"), "utf-8")
    assert problems(spanish, "content/locale") == [
        "content/locale/es/blocks.yaml:1: strenght: expected an id of content/blocks.yaml, got "
        "'strenght' (did you mean 'strength'?)",
        "content/locale/es/education/breathe.md:1: expected the path of an English education "
        "page under content/, got 'education/breathe.md' (did you mean "
        "'education/breathing.md'?)",
        "content/locale/es/education/breathing.markdown:1: expected a .md file, got .markdown "
        "(movebook reads content/locale/es/education/*.md)",
        "content/locale/es/phases.yaml:9: [1].number: expected 2 (the phase in this place in "
        "content/phases.yaml), got 3",
        "content/locale/es/rituals.yaml:3: morning.minutes: expected a word field "
        "(name, when, purpose), got 'minutes'",
    ]


def test_a_broken_translation_file_is_one_line_where_it_breaks(spanish: Path) -> None:
    write(spanish, "content/locale/es/vocabulary/tasks.yaml", "stairs: {label: Escaleras\n")
    assert problems(spanish, "content/locale") == [
        "content/locale/es/vocabulary/tasks.yaml:1: expected valid YAML, got did not find "
        "expected ',' or '}'"
    ]
