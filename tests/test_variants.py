"""The forms of an exercise a patient is shown: held on for a precaution that needs support
(balance impairment), and a directional drill's way said in full for the marked side, with
its figure mirrored to that side. In the plan, on page 1, on the card and on the web."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from markupsafe import escape

from conftest import REPO, problems, write
from movebook.figure import figure_problems, figure_svg, mirrored
from movebook.model import Assessment, Finding, Profile
from movebook.plan import PlannedExercise, build_plan, patient_of, why_not
from movebook.project import load_project
from movebook.render import Booklet, figure_id, flat_svg, render_booklet, render_site_index
from movebook.wording import Words
from strategies import profiles

PROJECT = load_project(REPO)
LIBRARY = PROJECT.library
EXERCISES = LIBRARY.exercises
DEFAULTS = PROJECT.config.defaults.equipment
BALANCE = "balance_impairment"
STANDING = "standing"
ENGLISH = Words("en")


def holding(profile: Profile) -> Profile:
    return profile.model_copy(update={"precautions": sorted({*profile.precautions, BALANCE})})


def standing(plan_exercises: list[PlannedExercise]) -> list[PlannedExercise]:
    return [p for p in plan_exercises if p.exercise.meta.position == STANDING]


# --- holding on: the plan ----------------------------------------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(red_flags=False))
def test_every_standing_exercise_a_balance_impaired_patient_gets_is_held(
    profile: Profile,
) -> None:
    plan = build_plan(holding(profile), LIBRARY, DEFAULTS)
    for session in plan.sessions:
        for planned in standing(list(session.exercises)):
            supported = planned.exercise.meta.supported
            assert supported is not None and planned.supported, planned.id
            assert ENGLISH.hold(planned) == supported.hold  # page 1 and the card print it
            shown = planned.shown
            if supported.set_up is not None:
                assert shown.sections["Set-up"] == supported.set_up
            if supported.figure is not None:
                assert shown.figure_form.startswith("supported")


def test_a_standing_exercise_without_a_supported_form_is_not_chosen_for_balance() -> None:
    aurelio = PROJECT.profiles["aurelio-bianchi"]
    patient = replace(
        patient_of(aurelio, LIBRARY, DEFAULTS), equipment=frozenset(LIBRARY.vocabulary.equipment)
    )
    assert dict(patient.supports) == {STANDING: (BALANCE,)}
    free = sorted(
        n for n, e in EXERCISES.items() if e.meta.position == STANDING and not e.meta.supported
    )
    assert free == [
        "band-rotation-chop", "band-row", "goblet-squat", "hip-hinge-bag-pickup",
        "hip-hinge-dowel", "lift-to-car-seat", "luggage-lift-and-carry",
        "overhead-shelf-reach", "pallof-press", "romanian-deadlift", "single-leg-rdl",
        "single-leg-stance", "suitcase-carry", "walk-jog-intervals",
    ]  # fmt: skip
    assert why_not(EXERCISES["band-row"], patient, LIBRARY, phase=2) == (
        "it is done standing with nothing to hold, which balance_impairment rules out"
    )
    for name in free:  # each for a reason: both hands busy, or free balance is the point
        assert why_not(EXERCISES[name], patient, LIBRARY, phase=EXERCISES[name].meta.phases[0])


def test_a_patient_without_the_precaution_does_each_exercise_as_written() -> None:
    plan = build_plan(PROJECT.profiles["maria-lopez"], LIBRARY, DEFAULTS)
    assert standing(plan.exercises())
    for planned in plan.exercises():
        assert not planned.supported and planned.shown is planned.exercise
        assert ENGLISH.hold(planned) is None


# --- holding on: what Aurelio reads --------------------------------------------------------------


@pytest.fixture(scope="module")
def aurelio() -> tuple[Any, Booklet]:
    profile = PROJECT.profiles["aurelio-bianchi"]
    plan = build_plan(profile, LIBRARY, DEFAULTS)
    return plan, render_booklet(REPO, PROJECT.config, LIBRARY, profile)


def page_one(handout: str) -> str:
    return handout[handout.index('id="program"') : handout.index('id="contents"')]


def card(handout: str, exercise: str) -> str:
    start = handout.index(f'id="exercise-{exercise}"')
    return handout[start : handout.index("</article>", start)]


def test_every_standing_exercise_of_a_sample_patient_with_balance_shows_its_hold() -> None:
    held = [p for p in PROJECT.profiles.values() if BALANCE in p.precautions]
    assert [p.id for p in held] == ["aurelio-bianchi"]
    for profile in held:
        plan = build_plan(profile, LIBRARY, DEFAULTS)
        booklet = render_booklet(REPO, PROJECT.config, LIBRARY, profile)
        for planned in standing(plan.exercises()):
            supported = planned.exercise.meta.supported
            assert supported is not None
            hold = str(escape(supported.hold))
            assert hold in page_one(booklet.handout), planned.id
            assert hold in card(booklet.handout, planned.id), planned.id
            assert hold in booklet.pages[f"exercise-{planned.id}.html"], planned.id


def test_aurelio_squats_and_stands_at_the_counter_holding_on(aurelio: Any) -> None:
    plan, booklet = aurelio
    ids = {p.id for p in standing(plan.exercises())}
    assert {"chair-squat", "standing-tolerance-shifts"} <= ids
    handout = booklet.handout
    squat = card(handout, "chair-squat")
    assert "Keep both hands on the counter." in squat
    assert "Stand between them, facing the counter" in squat
    assert "Reach your arms forward for balance" not in handout
    # hands on the counter leave none for a bag: the card, page 1 and the clinician's plan
    # give the held-on form's load, and no step forward in load
    assert "Your body weight only, no bag." in squat
    assert "hug" not in squat.lower()
    assert page_one(handout).count("Your body weight only, no bag.") == 1
    squat_plan = next(p for p in plan.exercises() if p.id == "chair-squat")
    assert squat_plan.dose.load == "Your body weight only, no bag."
    shifts = card(handout, "standing-tolerance-shifts")
    assert "Keep one hand on the counter." in shifts
    assert "close enough to rest one hand on the counter" in shifts
    assert "your arms hang loose" not in shifts
    for exercise in ("chair-squat", "standing-tolerance-shifts"):
        supported = EXERCISES[exercise].meta.supported
        assert supported is not None and supported.figure is not None
        alt = f'alt="{escape(supported.figure.alt)}"'
        assert handout.count(alt) == 2, exercise  # page 1 and the card, drawn holding on
        own = EXERCISES[exercise].meta.figure
        assert own is not None and f'alt="{escape(own.alt)}"' not in handout
        page = booklet.pages[f"exercise-{exercise}.html"]
        assert f'id="fig-{exercise}--supported"' in page


def test_the_supported_figures_rest_the_hands_on_the_counter() -> None:
    for exercise in ("chair-squat", "standing-tolerance-shifts"):
        supported = EXERCISES[exercise].meta.supported
        assert supported is not None and supported.figure is not None
        assert figure_problems(supported.figure) == []
        frames = supported.figure.frames
        assert all(any(c.on == "counter" for c in f.contacts or ()) for f in frames), exercise


def test_the_site_stylesheet_moves_each_form_under_its_own_name() -> None:
    css = render_site_index(REPO, PROJECT.config, LIBRARY)["assets/booklet.css"]
    for prefix in ("fig-chair-squat", "fig-chair-squat--supported", "fig-wall-side-glide--left"):
        assert f"@keyframes {prefix}-j" in css, prefix
    assert "fig-wall-side-glide--right" not in css  # drawn on the right already


# --- the way to go: the marked side -----------------------------------------------------------

LEFT_CUE = "Stand with your left side to the wall, and glide your hips to the left, towards it."
RIGHT_CUE = "Stand with your right side to the wall, and glide your hips to the right, towards it."


def other_side(profile: Profile, side: str) -> Profile:
    latest = profile.latest
    findings = [
        Finding(id=f.id, side=side) if f.id == "lateral_shift" else f
        for f in latest.signature.findings
    ]
    signature = latest.signature.model_copy(
        update={"findings": findings, "directional_preference": f"lateral_shift_{side}"}
    )
    notes = latest.notes.replace("to the left", f"to the {side}")
    assessment: Assessment = latest.model_copy(update={"signature": signature, "notes": notes})
    return profile.model_copy(update={"assessments": [*profile.assessments[:-1], assessment]})


@pytest.fixture(scope="module")
def kwame() -> Booklet:
    return render_booklet(REPO, PROJECT.config, LIBRARY, PROJECT.profiles["kwame-mensah"])


def test_kwame_reads_left_side_to_the_wall_and_hips_to_the_left(kwame: Booklet) -> None:
    handout = kwame.handout
    line = (
        f"{LEFT_CUE} Do this on your left side only, the side your clinician marked, "
        "unless they tell you otherwise."
    )
    assert line in page_one(handout)
    assert line in card(handout, "wall-side-glide")
    assert line in kwame.pages["exercise-wall-side-glide.html"]
    assert RIGHT_CUE not in handout


def test_kwame_sees_his_left_shoulder_on_the_wall(kwame: Booklet) -> None:
    # the figure is drawn with the right shoulder on the wall: his is the mirrored one
    glide = EXERCISES["wall-side-glide"].meta.figure
    assert glide is not None and glide.side == "right"
    left = mirrored(glide)
    contacts = [c.model_dump() for c in left.frames[0].contacts or ()]
    assert {"part": "left_elbow", "on": "wall"} in contacts
    handout = kwame.handout
    assert handout.count('id="fig-wall-side-glide--left"') == 0  # on paper, an image
    assert handout.count(f'alt="{escape(left.alt)}"') == 2  # page 1 and the card
    assert 'id="fig-wall-side-glide--left"' in kwame.pages["exercise-wall-side-glide.html"]
    assert 'id="fig-wall-side-glide--left"' in kwame.pages["session-midday.html"]
    assert 'id="fig-wall-side-glide"' not in kwame.pages["session-midday.html"]


def test_a_right_side_patient_reads_the_right_way_and_sees_the_figure_as_drawn() -> None:
    profile = other_side(PROJECT.profiles["kwame-mensah"], "right")
    plan = build_plan(profile, LIBRARY, DEFAULTS)
    glide = next(p for p in plan.exercises() if p.id == "wall-side-glide")
    assert glide.dose.only_side == "right"
    assert glide.shown is glide.exercise and figure_id(glide.shown) == "fig-wall-side-glide"
    booklet = render_booklet(REPO, PROJECT.config, LIBRARY, profile)
    line = (
        f"{RIGHT_CUE} Do this on your right side only, the side your clinician marked, "
        "unless they tell you otherwise."
    )
    assert line in page_one(booklet.handout)
    assert line in card(booklet.handout, "wall-side-glide")
    assert LEFT_CUE not in booklet.handout
    assert 'id="fig-wall-side-glide"' in booklet.pages["session-midday.html"]


# --- the way to go: the leg to stand on ---------------------------------------------------------

# A one-sided standing drill whose text has the patient stand on one leg.
ONE_LEG = re.compile(
    r"\b(?:weight onto (?:one|the leg)|stand(?:ing)? on (?:one|the|that) leg"
    r"|standing (?:leg|knee|hip|heel|thigh)|weight on the top leg)",
    re.I,
)
# The leg a side cue has the patient stand on, in each language.
STOOD_ON = {
    "en": re.compile(r"\b(?:[Ss]tand on|standing on|[Ss]tep up with) your (left|right)\b"),
    "es": re.compile(
        r"\b(?:de pie sobre|subiendo con el pie) (?:la pierna |la )?(izquierd|derech)"
    ),
}
SIDES = {"izquierd": "left", "derech": "right"}
# Lifting or taking back the leg that the side names: the patient stands on the other one.
MOVING_LEG = {"chair-hip-abduction", "standing-hip-extension"}


def cues_naming(
    drills: list[str], named: dict[str, re.Pattern[str]], opposite: set[str]
) -> list[str]:
    """Each drill's side cue, for each side and language, names that side (the leg to stand
    on, the side to lie on), or the other one for the drills in `opposite`: what does not."""
    spanish = LIBRARY.in_language("es").exercises
    wrong = []
    for language, exercises in (("en", EXERCISES), ("es", spanish)):
        for name in drills:
            cue = exercises[name].meta.side_cue
            if cue is None:
                wrong.append(f"{name} ({language}): no side cue")
                continue
            for side in ("left", "right"):
                other = "right" if side == "left" else "left"
                said = [SIDES.get(s, s) for s in named[language].findall(getattr(cue, side))]
                if said != [other if name in opposite else side]:
                    wrong.append(f"{name} ({language}, {side}): {getattr(cue, side)!r}")
    return wrong


def one_leg_drills() -> list[str]:
    return sorted(
        name
        for name, e in EXERCISES.items()
        if e.meta.unilateral
        and e.meta.position == STANDING
        and ONE_LEG.search(" ".join(" ".join(e.sections.values()).split()))
    )


def test_every_one_leg_drill_names_the_leg_to_stand_on_in_both_languages() -> None:
    drills = one_leg_drills()
    assert drills == [
        "chair-hip-abduction", "single-leg-rdl", "single-leg-stance", "standing-hip-extension",
        "step-up", "supported-single-leg-stance",
    ]  # fmt: skip
    assert cues_naming(drills, STOOD_ON, MOVING_LEG) == []


def test_the_side_line_names_the_leg_and_the_body_leaves_it_to_the_plan() -> None:
    aurelio = build_plan(PROJECT.profiles["aurelio-bianchi"], LIBRARY, DEFAULTS)
    balance = next(p for p in aurelio.exercises() if p.id == "supported-single-leg-stance")
    assert ENGLISH.side_line(balance.dose, balance) == (
        "Stand on your right leg first. Do one more set on that side."
    )
    movement = " ".join(balance.shown.sections["The movement"].split())
    assert "If your plan names no leg to start on, start on your steadier one." in movement
    lucia = PROJECT.profiles["lucia-fernandez"]
    spanish = LIBRARY.in_language("es")
    plan = build_plan(lucia, spanish, DEFAULTS)
    stance = next(p for p in plan.exercises() if p.id == "single-leg-stance")
    assert Words("es").side_line(stance.dose, stance) == (
        "Empiece de pie sobre la pierna derecha. Es el lado que necesita el trabajo."
    )


# --- the way to go: the side to lie on ------------------------------------------------------------

# The side a side cue has the patient lie on, in each language.
LIES_ON = {
    "en": re.compile(r"\bLie on your (left|right) side"),
    "es": re.compile(r"\bsobre el lado (izquierd|derech)"),
}
# Lifting the top leg: the side the plan names is the one on top, so the patient lies on the
# other. In a side plank the side lain on holds the body up, so it is the side named.
TOP_LEG = {"side-lying-clam"}


def side_lying_drills_for_a_side() -> list[str]:
    sided = {name for name, finding in LIBRARY.vocabulary.findings.items() if finding.sided}
    return sorted(
        name
        for name, e in EXERCISES.items()
        if e.meta.unilateral and e.meta.position == "side_lying" and sided & set(e.meta.targets)
    )


def test_every_side_lying_drill_for_a_side_names_the_side_to_lie_on_in_both_languages() -> None:
    """'Start with your left side' does not say whether the left side is down or up: a
    clamshell for a weak left hip done lying on the left works the right hip (review 9 #10)."""
    drills = side_lying_drills_for_a_side()
    assert drills == ["side-lying-clam", "side-plank-from-knees"]
    assert cues_naming(drills, LIES_ON, TOP_LEG) == []


def test_mei_lins_clamshell_has_her_lie_on_her_right_side_for_her_left_hip() -> None:
    mei_lin = build_plan(PROJECT.profiles["mei-lin-chen"], LIBRARY, DEFAULTS)
    clam = next(p for p in mei_lin.exercises() if p.id == "side-lying-clam")
    assert clam.side == "left"
    line = ENGLISH.side_line(clam.dose, clam)
    assert line is not None and line.startswith(
        "Lie on your right side first, to work the hip on top: your left."
    )
    movement = " ".join(clam.shown.sections["The movement"].split())
    assert "Your plan says which side to lie on first." in movement


def _marks(svg: str, width: float | None = None) -> list[tuple[int, int]]:
    """Every point the drawing puts down (line ends, circle centres, polygon corners, box
    edges), rounded; mirrored across the drawing's width when given one."""
    root = ElementTree.fromstring(svg)
    points: list[tuple[float, float]] = []
    for element in root.iter():
        tag, get = element.tag.rsplit("}", 1)[-1], element.get
        if tag == "line":
            points += [(float(get("x1", 0)), float(get("y1", 0)))]
            points += [(float(get("x2", 0)), float(get("y2", 0)))]
        elif tag == "circle":
            points.append((float(get("cx", 0)), float(get("cy", 0))))
        elif tag == "polygon":
            pairs = (pair.split(",") for pair in (get("points") or "").split())
            points += [(float(x), float(y)) for x, y in pairs]
        elif tag == "rect":
            x, w = float(get("x", 0)), float(get("width", 0))
            points += [(x, float(get("y", 0))), (x + w, float(get("y", 0)))]
    if width is not None:
        points = [(width - x, y) for x, y in points]
    return sorted((round(x), round(y)) for x, y in points)


def test_the_left_figure_is_the_mirror_of_the_right() -> None:
    glide = EXERCISES["wall-side-glide"].meta.figure
    assert glide is not None
    right = flat_svg(figure_svg(glide, "x"))
    left = flat_svg(figure_svg(mirrored(glide), "x"))
    size = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', right)
    assert size is not None and size[0] in left  # the same box
    ours, theirs = _marks(left), _marks(right, float(size[1]))
    assert len(ours) == len(theirs) > 50
    assert all(abs(a[0] - b[0]) <= 1 and a[1] == b[1] for a, b in zip(ours, theirs, strict=True))
    assert _marks(left) != _marks(right)  # not symmetric to begin with
    assert mirrored(mirrored(glide)) == glide


def test_kwames_set_up_agrees_with_the_mckenzie_correction() -> None:
    # a left lateral shift: shoulders left of the pelvis, so the hips glide left, to the wall
    set_up = " ".join(EXERCISES["wall-side-glide"].sections["Set-up"].split())
    assert "the wall is on the side your upper body leans towards" in set_up
    assert "the hip that sticks out is furthest from the wall" in set_up
    assert "sliding your hips to the left" in PROJECT.profiles["kwame-mensah"].latest.notes


def test_spanish_says_the_way_and_the_hold_in_spanish() -> None:
    spanish = LIBRARY.in_language("es").exercises
    cue = spanish["wall-side-glide"].meta.side_cue
    assert cue is not None and cue.left.startswith("Póngase con el lado izquierdo hacia la pared")
    squat = spanish["chair-squat"].meta.supported
    assert squat is not None and squat.figure is not None
    assert squat.hold == "Mantenga las dos manos en la encimera."
    assert squat.figure.alt.startswith("De pie entre una silla y la encimera")
    assert squat.set_up is not None and "encimera" in squat.set_up
    held = [n for n, e in EXERCISES.items() if e.meta.supported]
    for name in held:  # every supported form translated, word for word field
        english, words = EXERCISES[name].meta.supported, spanish[name].meta.supported
        assert english is not None and words is not None
        assert words.hold != english.hold, name
        assert (words.set_up is None) == (english.set_up is None), name
        assert words.set_up != english.set_up or words.set_up is None, name


# --- validation ------------------------------------------------------------------------------


def _edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace text in a project file; the line the new text starts on."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, rel
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


SQUAT = "content/exercises/strength/chair-squat.md"
GLIDE = "content/exercises/mobility/wall-side-glide.md"


def test_a_supported_form_for_an_exercise_not_standing_is_an_error(project: Path) -> None:
    rel = "content/exercises/stability/dead-bug.md"
    line = _edit(project, rel, "breathing:", "supported: {hold: Hold on.}\nbreathing:")
    assert problems(project) == [
        f"{rel}:{line}: supported: expected an exercise in standing (where a precaution needs "
        "support), got one in supine"
    ]


def test_a_supported_form_needs_its_hold_and_known_keys(project: Path) -> None:
    line = _edit(project, SQUAT, "  hold: Keep both", "  held: Keep both")
    assert problems(project) == [
        f"{SQUAT}:{line - 1}: supported.hold: expected a value (required), got nothing",
        f"{SQUAT}:{line}: supported.held: expected a known key, got 'held' (did you mean 'hold'?)",
    ]


def test_a_supported_figure_is_checked_like_any_figure(project: Path) -> None:
    line = _edit(project, SQUAT, "shoulder: 80, elbow: 20}", "shoulder: 80, elbo: 20}")
    assert problems(project) == [
        f"{SQUAT}:{line}: supported.figure.frames[1].set.elbo: expected a joint, got 'elbo' "
        "(did you mean 'elbow'?)"
    ]


def test_a_side_cue_needs_a_one_sided_drill_and_both_sides(project: Path) -> None:
    rel = "content/exercises/stability/standing-weight-shift.md"
    line = _edit(project, rel, "unilateral: false\n", "unilateral: false\n")
    cue = "side_cue: {left: Go left., right: Go right.}\n"
    _edit(project, rel, "rituals:", f"{cue}rituals:")
    assert problems(project) == [
        f"{rel}:{line}: unilateral: expected true for a drill with a side_cue, got false"
    ]
    _edit(project, rel, cue, "")
    rel = "content/exercises/mobility/prone-hip-shift.md"
    old = '  right: "Slide your hips to your right, towards the side your clinician marked."\n'
    _edit(project, rel, old, "")
    line = _edit(project, rel, "side_cue:", "side_cue:")
    assert problems(project) == [
        f"{rel}:{line}: side_cue.right: expected a value (required), got nothing"
    ]


def test_a_figure_with_a_side_needs_a_one_sided_exercise(project: Path) -> None:
    rel = "content/exercises/stability/standing-weight-shift.md"
    line = _edit(project, rel, "figure:\n", "figure:\n  side: left\n")
    assert problems(project) == [
        f"{rel}:{line + 1}: figure.side: expected no side for an exercise done on both sides, "
        "got 'left'"
    ]


def test_a_needs_support_position_must_be_known(project: Path) -> None:
    rel = "content/vocabulary/precautions.yaml"
    line = _edit(project, rel, "  needs_support: [standing]", "  needs_support: [standin]")
    assert problems(project) == [  # and no follow-on error for each supported exercise
        f"{rel}:{line}: balance_impairment.needs_support[0]: expected a known position, got "
        "'standin' (did you mean 'standing'?)"
    ]


def test_a_translation_gives_only_the_forms_the_english_has(project: Path) -> None:
    es = "content/locale/es/exercises"
    bug = f"{es}/stability/dead-bug.md"
    one = _edit(project, bug, "breathing:", "supported: {hold: Sujétese.}\nbreathing:")
    split = f"{es}/integration/chair-split-squat.md"
    two = _edit(project, split, "supported:\n", "supported:\n  set_up: Póngase.\n")
    glide = f"{es}/mobility/wall-side-glide.md"
    three = _edit(project, glide, "side_cue:\n", "side_cue:\n  up: arriba\n")
    english = "content/exercises"
    assert problems(project, "content/locale") == [
        f"{split}:{two + 1}: supported.set_up: expected no set_up "
        f"({english}/integration/chair-split-squat.md has none under supported), got one",
        f"{glide}:{three + 1}: side_cue.up: expected a known key, got 'up'",
        f"{bug}:{one}: supported: expected no supported ({english}/stability/dead-bug.md has "
        "none), got one",
    ]


def test_a_translation_without_the_supported_words_is_listed_as_untranslated(
    project: Path,
) -> None:
    rel = "content/locale/es/exercises/strength/chair-squat.md"
    path = project / rel
    text = path.read_text(encoding="utf-8")
    start = text.index("supported:\n")
    end = text.index("\n---\n")
    write(project, rel, text[:start] + text[end + 1 :])
    translation = load_project(project).library.translation("es")
    assert translation is not None
    assert f"{rel}: supported" in translation.untranslated
