"""A clinician's load ceiling and a finding's own stop sign: an osteoporosis patient's
spine-loading cards say the most she may lift or carry, a profile that needs a limit and has
none is warned about, and a stenosis patient's rule for every exercise expects his usual
walking leg symptoms (review 9 #2 and #3). The loader's limits are in tests/test_limits.py."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import GOOD_PROFILE, REPO, problems, write
from movebook.cli import main
from movebook.model import Profile
from movebook.plan.dose import with_load_limit
from movebook.project import Project, check_project, load_project
from movebook.render import render_booklet, rule_stop_signs, shared_stop_signs

P = "profiles/ana-silva.yaml"
LIMITED = (
    "Take care: Keep your back long when you bend, never rounded under load. "
    "Lift and carry no more than 5 kg, your clinician's limit."
)
SPREADS = (
    "Pain spreads into your buttock or leg, or further down it than before, or you feel new "
    "pins and needles or numbness."
)
STENOSIS_SIGN = (
    "Buttock or leg pain, pins and needles or numbness that is new, goes further down than "
    "your usual walking symptoms, or does not ease within a few minutes of sitting or leaning "
    "forward. Your usual heavy or tingling legs on a walk are expected."
)
CARD = re.compile(
    r'<article class="card block-[\w-]+" id="exercise-([\w-]+)">(.*?)</article>', re.S
)


@pytest.fixture(scope="module")
def samples() -> Project:
    return load_project(REPO)


def text_of(html: str) -> str:
    """What a reader sees of some HTML: its words, its entities as the characters they are."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def cards(handout: str) -> dict[str, str]:
    return {exercise: text_of(card) for exercise, card in CARD.findall(handout)}


def rule_box(handout: str) -> str:
    """The rule for every exercise, as page 1 ends with it (page 2 has the same box)."""
    start = handout.index('<div class="rule program-rule" id="rule">')
    return text_of(handout[start : handout.index("</div>", start)])


def with_osteoporosis(limit: str | None = None) -> str:
    extra = "precautions: [osteoporosis]\n" + (f"load_limit_kg: {limit}\n" if limit else "")
    return GOOD_PROFILE.replace("name: Ana Silva\n", "name: Ana Silva\n" + extra)


# --- the load ceiling -------------------------------------------------------------------


def test_maria_reads_her_5_kg_limit_on_every_spine_loading_card(samples: Project) -> None:
    profile = samples.profiles["maria-lopez"]
    booklet = render_booklet(samples.root, samples.config, samples.library, profile)
    shown = cards(booklet.handout)
    spine = {
        exercise for exercise in shown if "spine" in samples.library.exercises[exercise].meta.loads
    }
    assert spine == {"chair-squat", "lift-to-car-seat", "luggage-lift-and-carry"}
    for exercise, card in shown.items():
        assert (LIMITED in card) == (exercise in spine), exercise
    assert "3 kg" in shown["lift-to-car-seat"]  # a start load where there was none
    take_care = rule_box(booklet.handout).split("Take care:", 1)[1]
    assert take_care.split(" Lift and carry")[1].startswith(
        " no more than 5 kg, your clinician's limit"
    )
    assert "the weight your clinician agreed" not in text_of(booklet.handout)


TURN_GENTLY = (
    "Take care: Turn gently, stop well short of as far as you can go, and never turn while "
    "holding a weight."
)


@pytest.mark.parametrize(
    ("name", "turning"),
    [
        ("maria-lopez", {"open-book", "travel-seat-circuit"}),
        ("fatima-al-sayed", {"seated-thoracic-rotation"}),
    ],
)
def test_an_osteoporosis_patients_turning_cards_say_to_turn_gently(
    samples: Project, name: str, turning: set[str]
) -> None:
    profile = samples.profiles[name]
    booklet = render_booklet(samples.root, samples.config, samples.library, profile)
    shown = cards(booklet.handout)
    rotating = {e for e in shown if "rotation" in samples.library.exercises[e].meta.spine}
    assert rotating == turning
    for exercise, card in shown.items():
        assert (TURN_GENTLY in card) == (exercise in rotating), exercise
        assert not (TURN_GENTLY in card and "Lift and carry no more than" in card), exercise


def test_a_spanish_turning_card_says_to_turn_gently_in_spanish(samples: Project) -> None:
    profile = Profile.model_validate(
        samples.profiles["maria-lopez"].model_dump() | {"language": "es"}
    )
    booklet = render_booklet(samples.root, samples.config, samples.library, profile)
    assert (
        "Gire con suavidad, pare bastante antes de donde podría llegar y no gire nunca "
        "sujetando un peso."
    ) in cards(booklet.handout)["open-book"]


def test_a_card_line_is_only_for_what_the_cards_guard(project: Path) -> None:
    rel = "content/vocabulary/precautions.yaml"
    path = project / rel
    text = path.read_text(encoding="utf-8")
    line = text[: text.index("    rotation: Turn gently")].count("\n") + 1
    path.write_text(text.replace("    rotation: Turn gently", "    twist: Turn gently"))
    assert problems(project) == [
        f"{rel}:{line}: osteoporosis.card_lines.twist: expected one of 'legs', 'spine', "
        "'neutral', 'flexion', 'extension', 'rotation', 'side_bend' or 'side_glide', got 'twist'"
    ]
    path.write_text(text.replace("    rotation: Turn gently", "    side_bend: Turn gently"))
    assert problems(project) == [
        f"{rel}:{line - 1}: osteoporosis.card_lines: expected only what on_cards lists "
        "(spine, rotation), got 'side_bend'"
    ]


def test_the_plan_a_clinician_reads_says_the_limit() -> None:
    result = CliRunner().invoke(main, ["plan", "maria-lopez", "--project", str(REPO)])
    assert result.exit_code == 0, result.output
    assert (
        "Precaution: Osteoporosis. Keep your back long when you bend, never rounded under "
        "load. Lift and carry no more than 5 kg, your clinician's limit.\n"
    ) in result.output


def test_a_spanish_booklet_says_the_limit_in_spanish_with_a_decimal_comma(
    samples: Project,
) -> None:
    profile = Profile.model_validate(
        samples.profiles["maria-lopez"].model_dump() | {"language": "es", "load_limit_kg": 2.5}
    )
    booklet = render_booklet(samples.root, samples.config, samples.library, profile)
    line = "No levante ni lleve más de 2,5 kg, el límite de su fisioterapeuta."
    shown = cards(booklet.handout)
    assert all(line in shown[e] for e in ("chair-squat", "lift-to-car-seat")), shown.keys()
    assert "your clinician's limit" not in text_of(booklet.handout)  # her note is English


def test_without_a_limit_the_line_names_no_weight(samples: Project) -> None:
    profile = samples.profiles["maria-lopez"].model_copy(update={"load_limit_kg": None})
    line = with_load_limit(samples.library, profile).vocabulary.precautions["osteoporosis"]
    assert line.patient is not None
    assert line.patient.endswith("no more than the weight your clinician agreed with you.")


def test_every_spine_loading_dose_says_a_start_load_and_every_step_up_in_load_the_limit(
    samples: Project,
) -> None:
    """The chair-seat lift says its start in its set-up ("one bottle or book"), as phase 1 has
    no room for a load line on Kwame's page 1."""
    in_set_up = {"lift-bag-from-chair-seat": ("one bottle or book", "una botella o un libro")}
    for number, (language, limit) in enumerate(
        (("en", "limit your clinician has set"), ("es", "fisioterapeuta"))
    ):
        library = samples.library.in_language(language)
        for exercise in library.exercises.values():
            meta = exercise.meta
            if "spine" not in meta.loads:
                continue
            if exercise.id in in_set_up:
                set_up = next(iter(exercise.sections.values()))
                assert in_set_up[exercise.id][number] in set_up.lower(), (language, exercise.id)
            else:
                assert all(dose.load for dose in meta.dose.values()), (language, exercise.id)
            for step in meta.micro_steps:
                if step.dimension == "load":
                    assert limit in step.step, (language, exercise.id)


def test_a_profile_with_osteoporosis_and_no_limit_is_warned_about(project: Path) -> None:
    write(project, P, with_osteoporosis())
    result = CliRunner().invoke(main, ["check", "--project", str(project)])
    assert result.exit_code == 0, result.output
    warning = (
        f"warning: {P}:3: precautions[0]: osteoporosis needs load_limit_kg (the most you want "
        "lifted or carried), got none: the Take care line names no weight"
    )
    assert warning in result.output.splitlines()
    assert result.output.splitlines()[-1].endswith(": no errors, 1 warning")
    write(project, P, with_osteoporosis("4"))
    _, report = check_project(project)
    assert report.problems == report.warnings == []


@pytest.mark.parametrize(
    ("value", "got"),
    [("0", "0"), ("51", "51"), ("0.2", "0.2"), ("five", "'five'"), ("true", "true")],
)
def test_a_limit_that_is_not_a_weight_is_one_line(project: Path, value: str, got: str) -> None:
    write(project, P, with_osteoporosis(value))
    assert problems(project, "profiles/") == [
        f"{P}:4: load_limit_kg: expected a number of kg between 0.5 and 50, got {got}"
    ]


def test_a_build_warns_too(project: Path) -> None:
    write(project, P, with_osteoporosis())
    result = CliRunner().invoke(main, ["build", "--no-pdf", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {P}:3: precautions[0]: osteoporosis needs load_limit_kg (the most you want "
        "lifted or carried), got none: the Take care line names no weight"
    ) in result.output.splitlines()


# --- the stop sign a finding changes -----------------------------------------------------


def test_aurelios_rule_box_expects_his_walking_leg_symptoms(samples: Project) -> None:
    profile = samples.profiles["aurelio-bianchi"]
    booklet = render_booklet(samples.root, samples.config, samples.library, profile)
    box = rule_box(booklet.handout)
    assert "spreads into your buttock or leg" not in box
    assert STENOSIS_SIGN in box
    pointer = "Also stop for the signs under “One rule for every exercise”"
    shown = cards(booklet.handout)
    assert pointer in shown["walking-program"] and pointer in shown["counter-forward-lean"]
    assert not any(SPREADS in card for card in shown.values())  # nor on a card instead
    walking = text_of(booklet.pages["exercise-walking-program.html"])  # the web keeps every sign
    assert STENOSIS_SIGN in walking and "spreads into your buttock" not in walking


def test_another_patients_rule_box_is_unchanged(samples: Project) -> None:
    profile = samples.profiles["maria-lopez"]
    booklet = render_booklet(samples.root, samples.config, samples.library, profile)
    assert SPREADS in rule_box(booklet.handout)
    assert "usual walking symptoms" not in booklet.handout


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_findings_stop_sign_replaces_a_shared_one_in_each_language(
    samples: Project, language: str
) -> None:
    library = samples.library.in_language(language)
    shared = shared_stop_signs(library)
    changing = {
        name: finding
        for name, finding in library.vocabulary.findings.items()
        if finding.replaces_stop_sign
    }
    assert list(changing) == ["stenosis"]
    for name, finding in changing.items():
        assert finding.replaces_stop_sign in shared, (language, name)
        signs = rule_stop_signs(shared, [name], library)
        assert finding.stop_sign in signs and finding.replaces_stop_sign not in signs
    assert rule_stop_signs(shared, ["thoracic_stiffness"], library) == shared
