"""The clinical audit of the bundled library: tags that say what each movement does, the
precautions clinicians expect, and daily-life goals rehearsed safely in every phase.

The spine table below is the hand check: every exercise text was read and its spinal
movement recorded with the reason. A change to an exercise's `spine:` or a new exercise
fails here until someone reads it again and updates the table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REPO, problems, write
from movebook.model import Dose, Exercise, Profile
from movebook.plan import Patient, build_plan, patient_of, why_not
from movebook.project import load_project

PROJECT = load_project(REPO)
LIBRARY = PROJECT.library
VOCABULARY = LIBRARY.vocabulary
EXERCISES = LIBRARY.exercises
DEFAULTS = PROJECT.config.defaults.equipment

N, F, E, R, SB, SG = "neutral", "flexion", "extension", "rotation", "side_bend", "side_glide"

SPINE: dict[str, tuple[list[str], str]] = {
    # integration
    "band-rotation-chop": ([R], "chest and hips turn together as the band is pulled across"),
    "chair-split-squat": ([N], "the body stays upright between the hands as the knees bend"),
    "desk-movement-break": ([R], "step 4 turns the upper body to each side; the rest is still"),
    "floor-transfer": ([N], "each stage hinges from the hips with a long back"),
    "gardening-half-kneel-reach": ([N], "the lean comes from the hips, head and tailbone in line"),
    "hip-hinge-bag-pickup": ([N], "a hip hinge with the back long from head to tailbone"),
    "kneeling-lift": ([N], "kneeling, the lean comes from the hips with a long back"),
    "lift-bag-from-chair-seat": ([N], "a short hip hinge to seat height with a long back"),
    "lift-to-car-seat": ([N], "hinge with a long back; the feet turn, the back does not twist"),
    "log-roll-out-of-bed": ([N], "knees, hips and shoulders roll as one, so nothing twists"),
    "luggage-lift-and-carry": ([N], "hinge to lift, then walk tall without leaning to the bag"),
    "overhead-shelf-reach": ([N], "the reach comes from the shoulders; ribs soft, back quiet"),
    "sit-to-stand": ([N], "the lean is at the hips; the back moves as one piece"),
    "stair-practice": ([N], "an upright body over a level pelvis"),
    "standing-tolerance-shifts": ([N], "weight moves through the legs; the tail drop only softens"),
    "table-height-gardening": ([N], "reaches are hip hinges; position changes are in the legs"),
    "travel-seat-circuit": ([R], "step 5 turns the upper body to each side in the seat"),
    "walk-jog-intervals": ([N], "upright walking and jogging"),
    "walking-program": ([N], "upright walking"),
    # mobility
    "cat-camel": ([F, E], "the back rounds up to the ceiling, then dips through the middle"),
    "half-kneeling-ankle-rock": ([N], "the body stays tall while the ankle bends"),
    "half-kneeling-hip-flexor-stretch": ([N], "the tail tuck stops the arch; the body moves whole"),
    "knee-to-chest": ([F], "knees drawn to the chest lift the tailbone: lumbar flexion"),
    "ninety-ninety-hip-switch": ([N], "the knees lower side to side, chest forward: the hips turn"),
    "open-book": ([R], "the chest turns to the ceiling while the knees stay together"),
    "prone-hip-shift": ([SG, E], "hips slide sideways under still shoulders, lying face down"),
    "prone-on-elbows": ([E], "propped on the forearms, the lower back sags into a curve"),
    "prone-press-up": ([E], "the arms press the chest up while the hips stay down"),
    "quadruped-rock-back": ([N], "the rock stops before the lower back rounds"),
    "seated-forward-bend": ([F], "the back rounds and the chest sinks towards the knees"),
    "seated-hip-rotation": ([N], "thigh and pelvis stay still while the lower leg swings"),
    "seated-pelvic-rocking": (
        [F, E],
        "the lower back rounds as the pelvis rolls back, then curves",
    ),
    "seated-thoracic-rotation": ([R], "chest and shoulders turn while the knees face forward"),
    "standing-back-extension": ([E], "leaning backwards over the hands"),
    "standing-hip-flexor-stretch": ([N], "the tail tuck keeps the back from arching"),
    "thread-the-needle": ([R, F], "the arm threads under: the upper back turns and rounds"),
    "wall-ankle-rock": ([N], "the body stays tall while the knee travels to the wall"),
    "wall-side-glide": ([SG], "the hips glide sideways under a shoulder resting on the wall"),
    "wall-slides": ([N], "the arms slide up while the ribs stay down"),
    # regulation
    "constructive-rest": ([N], "lying still on the back"),
    "counter-forward-lean": ([F], "the tailbone drops, the lower back rounds a little, supported"),
    "crocodile-breathing": ([N], "lying face down and breathing; nothing moves"),
    "ninety-ninety-breathing": ([N], "legs on a chair, back resting in its curve, breathing"),
    "seated-belly-breathing": ([N], "supported sitting, breathing only"),
    "side-lying-rib-breathing": ([N], "lying on the side, breathing into the ribs"),
    "supported-childs-pose": ([F], "sitting back towards the heels rounds the lower back"),
    "walking-breath-rhythm": ([N], "upright walking with the breath counted to the steps"),
    "wall-lean-breathing": ([N], "forearms on the wall, back long"),
    # stability
    "bird-dog": ([N], "arm and leg reach while the back stays level and still"),
    "core-connection": ([N], "the back and pelvis stay still"),
    "dead-bug": ([N], "the limbs move while the back rests still"),
    "heel-slides": ([N], "the heel slides while the pelvis stays still"),
    "pallof-press": ([N], "the trunk resists the band's pull to turn: nothing turns"),
    "quadruped-leg-slide": ([N], "the leg slides back while the hips stay level"),
    "seated-core-connection": ([N], "the spine does not move while the tummy draws in"),
    "seated-knee-squeeze": ([N], "the knees squeeze evenly; nothing in the back moves"),
    "side-lying-clam": ([N], "the knee opens while the hips stay stacked"),
    "side-plank-from-knees": ([N], "the body holds one straight line from knees to head"),
    "single-leg-stance": ([N], "standing tall and level on one leg"),
    "standing-march": ([N], "the feet lift in turn while the body stays tall"),
    "standing-weight-shift": ([N], "the whole body moves over one foot, shoulders level"),
    "supported-single-leg-stance": ([N], "standing tall and level on one leg, both hands held"),
    # strength
    "band-row": ([N], "only the arms and shoulder blades move"),
    "banded-side-steps": ([N], "side steps with the body facing forward"),
    "chair-hip-abduction": ([N], "the leg lifts sideways while the body stays upright"),
    "chair-squat": ([N], "hips back and down with the back long"),
    "glute-bridge": ([N], "the hips lift to a straight slope and no higher, so no arch"),
    "goblet-squat": ([N], "the hips sit down between the heels with the back long"),
    "hip-hinge-dowel": ([N], "the stick keeps three points: the back stays long"),
    "romanian-deadlift": ([N], "a hip hinge with the back long"),
    "single-leg-bridge": ([N], "the hips lift level to a straight slope"),
    "single-leg-rdl": ([N], "a one-leg hip hinge in one long line"),
    "standing-hip-extension": ([N], "the leg goes back only until the back would join in"),
    "step-up": ([N], "a slight lean from the hips with the back long"),
    "suitcase-carry": ([N], "walking tall without leaning towards or away from the bag"),
    "wall-hip-hinge": ([N], "only the hips fold; the back stays long"),
}


def test_the_hand_checked_spine_table_matches_every_exercise() -> None:
    actual = {name: sorted(e.meta.spine) for name, e in EXERCISES.items()}
    expected = {name: sorted(spine) for name, (spine, _) in SPINE.items()}
    assert actual == expected


# Words in what the patient is told to do that mean the spine moves. Common faults and
# Stop if are left out: they describe what not to do.
MOVEMENT_WORDS = {
    F: r"\b(?:back|spine)\b[^.;]{0,25}?\brounds?\b|\bround(?:s|ing)? (?:your |the )?"
    r"(?:lower |upper )?back|\bcurl|\bslump|\bbend(?:s|ing)? forward",
    E: r"\barch(?:es|ing)?\b|\blean(?:s|ing)? back(?:wards)?\b|\bsags?\b|\bdips?\b",
    R: r"\btwist|\brotat|\bwring|\bturn(?:s)? (?:your |the )?(?:upper body|chest)"
    r"|\b(?:chest|upper back) (?:turns?|turning)\b",
    SB: r"\bbend(?:s|ing)? sideways|\bside ?bend|\blean(?:s|ing)? (?:sideways|to one side)",
    SG: r"\b(?:slide|glide|push) your hips (?:sideways|towards the wall|across)",
}
DESCRIBING = ("Set-up", "The movement", "What you should feel")

# Reviewed false positives: the phrase (in the exercise's text) around a movement word,
# and why the spine does not make that movement.
ALLOWED: dict[str, dict[str, str]] = {
    "crocodile-breathing": {
        "makes your lower back arch": "a reason to add a pillow, not part of the drill",
    },
    "glute-bridge": {
        "only arches your lower back": "why the lift stops at a straight slope",
        "hips start to sag": "when to end the set",
    },
    "half-kneeling-hip-flexor-stretch": {"without arching your back": "a negation"},
    "kneeling-lift": {"do not twist": "a negation: the knees turn instead"},
    "lift-to-car-seat": {
        "your back does not twist": "the feet turn instead",
        "with no twisting strain": "a negation",
    },
    "log-roll-out-of-bed": {"so nothing twists": "the body rolls as one"},
    "ninety-ninety-hip-switch": {
        "rather than slumped": "a negation",
        "lean back slightly onto them": "the whole trunk reclines onto the hands, back tall",
    },
    "overhead-shelf-reach": {
        "not from arching": "a negation",
        "without arching": "a negation",
    },
    "pallof-press": {"with no twist": "the trunk resists the band's turn"},
    "quadruped-rock-back": {
        "before you feel your lower back start to round": "the rock stops short of it",
    },
    "seated-core-connection": {"or leaning back": "'you are not ... leaning back'"},
    "single-leg-bridge": {"hips tip or twist": "when to end the set"},
    "standing-hip-extension": {"back starts to arch": "when to end the set"},
    "standing-tolerance-shifts": {"not leaning back": "a negation"},
    "standing-weight-shift": {
        "slide your hips sideways": "the whole body moves over one foot, shoulders level: "
        "the trunk does not glide on the pelvis",
    },
    "suitcase-carry": {"no twisting": "a negation"},
    "wall-hip-hinge": {"back starts to round or arch": "when to end the set"},
    "wall-side-glide": {"do not twist": "a negation"},
    "wall-slides": {"lower back start to arch": "where to stop"},
}


def _describing_text(exercise: Exercise) -> str:
    return re.sub(r"\s+", " ", " ".join(exercise.sections[name] for name in DESCRIBING).lower())


def _untagged_movements(exercise: Exercise) -> list[tuple[str, str]]:
    """Movement words the tags do not cover and no reviewed phrase explains."""
    text = _describing_text(exercise)
    allowed = [
        (match.start(), match.end())
        for phrase in ALLOWED.get(exercise.id, {})
        for match in re.finditer(re.escape(phrase), text)
    ]
    return [
        (movement, match.group(0))
        for movement, pattern in MOVEMENT_WORDS.items()
        if movement not in exercise.meta.spine
        for match in re.finditer(pattern, text)
        if not any(start <= match.start() and match.end() <= end for start, end in allowed)
    ]


def test_no_exercise_text_moves_the_spine_in_a_way_its_tags_do_not_say() -> None:
    untagged = {
        name: found
        for name, exercise in EXERCISES.items()
        if (found := _untagged_movements(exercise))
    }
    assert untagged == {}


def test_every_reviewed_phrase_is_still_in_its_exercise() -> None:
    stale = sorted(
        (name, phrase)
        for name, phrases in ALLOWED.items()
        for phrase in phrases
        if phrase not in _describing_text(EXERCISES[name])
    )
    assert stale == []


def test_the_lint_catches_a_spine_movement_the_tags_leave_out() -> None:
    rocking = EXERCISES["seated-pelvic-rocking"]
    neutral = replace(rocking, meta=rocking.meta.model_copy(update={"spine": [N]}))
    assert _untagged_movements(neutral) == [(F, "slump"), (F, "back rounds")]
    twisting = replace(
        EXERCISES["wall-hip-hinge"],
        sections={**EXERCISES["wall-hip-hinge"].sections, "The movement": "Twist to the left."},
    )
    assert _untagged_movements(twisting) == [(R, "twist")]


# --- precautions --------------------------------------------------------------------------


def contraindicated(name: str, by: str) -> bool:
    return by in EXERCISES[name].meta.contraindications


# A supported, small, unloaded lean: the flexion relief an osteoporotic back may still have.
OSTEOPOROSIS_FLEXION_ALLOWED = {"counter-forward-lean"}


def test_osteoporosis_rules_out_end_range_and_loaded_flexion() -> None:
    flexion = {n for n, e in EXERCISES.items() if F in e.meta.spine}
    assert flexion >= {
        "supported-childs-pose",
        "knee-to-chest",
        "seated-forward-bend",
        "cat-camel",
        "thread-the-needle",
        "seated-pelvic-rocking",
    }
    missing = sorted(
        n for n in flexion - OSTEOPOROSIS_FLEXION_ALLOWED if not contraindicated(n, "osteoporosis")
    )
    assert missing == []
    assert "smaller still" in EXERCISES["counter-forward-lean"].sections["The movement"]


def test_pregnancy_rules_out_every_exercise_lying_on_the_back_or_front() -> None:
    lying = {n for n, e in EXERCISES.items() if e.meta.position in ("supine", "prone")}
    assert len(lying) >= 12
    assert sorted(n for n in lying if not contraindicated(n, "pregnancy")) == []


def test_recent_surgery_rules_out_lifting_bending_and_loaded_twisting() -> None:
    lifting = {
        n for n, e in EXERCISES.items() if {"shopping_bag", "dumbbell"} & set(e.meta.equipment)
    }
    bending = {n for n, e in EXERCISES.items() if F in e.meta.spine}
    others = {"band-rotation-chop", "walk-jog-intervals", "floor-transfer", "prone-press-up"}
    assert (
        sorted(n for n in lifting | bending | others if not contraindicated(n, "recent_surgery"))
        == []
    )


SINGLE_LEG_OR_JOGGING = {
    "walk-jog-intervals": "balance_impairment",
    "single-leg-stance": "balance_impairment",
    "single-leg-rdl": "balance_impairment",
    "supported-single-leg-stance": "supported",
    "step-up": "supported",
    "stair-practice": "supported",
    "standing-march": "supported",
    "chair-hip-abduction": "supported",
    "standing-hip-extension": "supported",
}


@pytest.mark.parametrize(("name", "rule"), sorted(SINGLE_LEG_OR_JOGGING.items()))
def test_balance_impairment_gets_single_leg_or_jogging_work_only_with_support(
    name: str, rule: str
) -> None:
    exercise = EXERCISES[name]
    if rule == "balance_impairment":
        assert contraindicated(name, "balance_impairment")
    else:
        assert not contraindicated(name, "balance_impairment")
        set_up = exercise.sections["Set-up"]
        assert re.search(r"both hands|rail|hand resting on", set_up), set_up


def test_floor_level_lifts_are_not_for_balance_impairment() -> None:
    lifts = ("hip-hinge-bag-pickup", "kneeling-lift", "lift-to-car-seat", "luggage-lift-and-carry")
    for name in lifts:
        assert contraindicated(name, "balance_impairment"), name


def test_walk_jog_intervals_are_only_for_runners_and_not_maintenance() -> None:
    walk_jog = EXERCISES["walk-jog-intervals"].meta
    assert walk_jog.only_for_tasks == ["running"]
    assert {"balance_impairment", "recent_surgery"} <= set(walk_jog.contraindications)
    assert walk_jog.phases == [3]
    assert [n for n, e in EXERCISES.items() if e.meta.only_for_tasks] == ["walk-jog-intervals"]


PELVIC_GIRDLE = {
    "ninety-ninety-hip-switch", "single-leg-stance", "supported-single-leg-stance",
    "single-leg-rdl", "single-leg-bridge", "step-up", "banded-side-steps",
    "half-kneeling-hip-flexor-stretch", "half-kneeling-ankle-rock", "gardening-half-kneel-reach",
    "suitcase-carry", "luggage-lift-and-carry", "walk-jog-intervals", "chair-hip-abduction",
    "standing-hip-extension", "chair-split-squat",
}  # fmt: skip


def test_pelvic_girdle_pain_rules_out_asymmetric_loading_and_wide_or_single_leg_work() -> None:
    tagged = {n for n in EXERCISES if contraindicated(n, "pelvic_girdle_pain")}
    assert tagged == PELVIC_GIRDLE
    served = {n for n, e in EXERCISES.items() if "pelvic_girdle_pain" in e.meta.targets}
    assert served and not served & tagged


def test_stenosis_rules_out_extension_drills_and_is_eased_by_flexion() -> None:
    # Extension only: the drills that also round the back take it out of extension each rep.
    extension = {n for n, e in EXERCISES.items() if E in e.meta.spine and F not in e.meta.spine}
    assert sorted(n for n in extension if not contraindicated(n, "stenosis")) == []
    easing = {n for n, e in EXERCISES.items() if "stenosis" in e.meta.targets}
    assert {"counter-forward-lean", "seated-forward-bend", "walking-program"} <= easing
    assert all(F in EXERCISES[n].meta.spine or n == "walking-program" for n in easing)


def test_rotation_and_flexion_limits_that_lift_later_in_the_plan() -> None:
    thoracic_rotation = ("open-book", "seated-thoracic-rotation", "thread-the-needle")
    for name in (*thoracic_rotation, "band-rotation-chop"):
        meta = EXERCISES[name].meta
        assert "rotation_intolerance" not in meta.contraindications, name
        assert meta.contraindicated_before_phase == {"rotation_intolerance": 3}, name
    assert EXERCISES["cat-camel"].meta.contraindicated_before_phase == {
        "flexion_intolerance": 3,
        "extension_intolerance": 3,
    }
    assert EXERCISES["seated-pelvic-rocking"].meta.contraindicated_before_phase == {
        "flexion_intolerance": 2
    }


def test_directional_drills_are_marked_side_only() -> None:
    marked = {n for n, e in EXERCISES.items() if e.meta.marked_side_only}
    assert marked == {"wall-side-glide", "prone-hip-shift"}
    gliding = {n for n, e in EXERCISES.items() if SG in e.meta.spine}
    assert gliding == marked
    for name in marked:
        assert "marked side only" in EXERCISES[name].sections["The movement"], name
        assert "lateral_shift" in EXERCISES[name].meta.targets, name


def test_no_floor_level_lift_in_phase_1_but_a_raised_one() -> None:
    assert min(EXERCISES["hip-hinge-bag-pickup"].meta.phases) == 2
    raised = EXERCISES["lift-bag-from-chair-seat"]
    assert 1 in raised.meta.phases and "chair seat" in raised.meta.title
    assert raised.meta.progresses_to == "hip-hinge-bag-pickup"
    assert EXERCISES["hip-hinge-bag-pickup"].meta.regresses_to == raised.id


def test_maintenance_dose_is_never_more_than_phase_3() -> None:
    def weekly(dose: Dose) -> int:
        amount = dose.sets * (dose.minutes or dose.reps or 1)
        return amount * ((dose.per_day or 0) * 7 + (dose.per_week or 0))

    heavier = sorted(
        n
        for n, e in EXERCISES.items()
        if 3 in e.meta.dose and 4 in e.meta.dose and weekly(e.meta.dose[4]) > weekly(e.meta.dose[3])
    )
    assert heavier == []


# --- daily life and sport ------------------------------------------------------------------

SPORT = {"running", "return_to_sport"}
NEEDS_MORE_THAN_A_CHAIR = {"stairs": "stairs need a step or the bottom stair"}


def chair_only(exercise: Exercise) -> bool:
    everyday = {n for n, item in VOCABULARY.equipment.items() if item.everyday}
    floor = VOCABULARY.positions[exercise.meta.position].floor
    return not floor and set(exercise.meta.equipment) <= everyday | {"chair"}


def test_sport_tasks_are_marked() -> None:
    assert {n for n, t in VOCABULARY.tasks.items() if t.sport} == SPORT


@pytest.mark.parametrize("task", sorted(set(VOCABULARY.tasks) - SPORT))
@pytest.mark.parametrize("phase", [1, 2, 3])
def test_every_daily_life_task_is_rehearsed_in_every_phase(task: str, phase: int) -> None:
    rehearsing = [e for e in EXERCISES.values() if task in e.meta.tasks and phase in e.meta.phases]
    assert rehearsing, f"nothing rehearses {task} in phase {phase}"
    if task not in NEEDS_MORE_THAN_A_CHAIR:
        assert [e.id for e in rehearsing if chair_only(e)], f"{task}, phase {phase}: chair only"


# --- the engine honours the new fields -------------------------------------------------------


def patient(
    findings: list[str], tasks: Sequence[str] = (), phase: int = 2
) -> tuple[Profile, Patient]:
    profile = Profile.model_validate(
        {
            "id": "audit",
            "name": "Audit Patient",
            "assessments": [
                {
                    "date": "2026-09-02",
                    "phase": phase,
                    "signature": {"findings": findings},
                    "goals": [{"task": task} for task in tasks],
                }
            ],
        }
    )
    return profile, patient_of(profile, LIBRARY, DEFAULTS)


def test_walk_jog_is_only_for_a_running_goal() -> None:
    walk_jog = EXERCISES["walk-jog-intervals"]
    _, golfer = patient([], ["return_to_sport"], phase=3)
    assert why_not(walk_jog, golfer, LIBRARY) == "it is only for a running goal"
    _, runner = patient([], ["running"], phase=3)
    assert why_not(walk_jog, runner, LIBRARY) == ""


def test_cannot_get_to_the_floor_rules_out_every_floor_exercise() -> None:
    _, person = patient(["cannot_get_to_floor"], ["floor_transfer", "gardening"], phase=2)
    for exercise in EXERCISES.values():
        floor = VOCABULARY.positions[exercise.meta.position].floor
        reason = why_not(exercise, person, LIBRARY)
        if floor and 2 in exercise.meta.phases and set(exercise.meta.equipment) <= person.equipment:
            assert reason == (
                "it is done on the floor, which cannot_get_to_floor rules out for now"
            ), exercise.id
    assert why_not(EXERCISES["chair-split-squat"], person, LIBRARY) == ""
    profile, _ = patient(["cannot_get_to_floor"], ["floor_transfer", "gardening"], phase=2)
    plan = build_plan(profile, LIBRARY, DEFAULTS)
    floor = [p.id for p in plan.exercises() if VOCABULARY.positions[p.exercise.meta.position].floor]
    assert floor == []
    assert plan.unaddressed_goals == ()


def test_a_limit_before_a_phase_lifts_in_that_phase() -> None:
    open_book = EXERCISES["open-book"]
    _, early = patient(["rotation_intolerance"], phase=2)
    assert why_not(open_book, early, LIBRARY) == (
        "it is contraindicated by rotation_intolerance before phase 3"
    )
    _, later = patient(["rotation_intolerance"], phase=3)
    assert why_not(open_book, later, LIBRARY) == ""


# --- the sample patients ---------------------------------------------------------------------


def planned_anywhere(profile: Profile) -> set[str]:
    """Today's exercises and every later phase's preview."""
    plan = build_plan(profile, LIBRARY, DEFAULTS)
    return {p.id for p in plan.exercises()} | {i for step in plan.phases for i in step.exercises}


def test_no_sample_plan_breaks_a_precaution_in_any_phase() -> None:
    for profile in PROJECT.profiles.values():
        ids = planned_anywhere(profile)
        precautions = set(profile.precautions)
        if "osteoporosis" in precautions:
            flexion = {i for i in ids if F in EXERCISES[i].meta.spine}
            assert flexion <= OSTEOPOROSIS_FLEXION_ALLOWED, profile.id
        if "pregnancy" in precautions:
            lying = {i for i in ids if EXERCISES[i].meta.position in ("supine", "prone")}
            assert lying == set(), profile.id
        if "balance_impairment" in precautions:
            assert not ids & {"walk-jog-intervals", "single-leg-stance", "hip-hinge-bag-pickup"}
        running = any(g.task == "running" for g in profile.latest.goals)
        assert running or "walk-jog-intervals" not in ids, profile.id


def test_kwame_lifts_nothing_in_phase_1_while_his_shift_is_uncorrected() -> None:
    profile = PROJECT.profiles["kwame-mensah"]
    assert profile.latest.phase == 1
    today = {p.id for p in build_plan(profile, LIBRARY, DEFAULTS).exercises()}
    assert not today & {"hip-hinge-bag-pickup", "lift-bag-from-chair-seat"}  # review 9 #7
    assert not {i for i in today if F in EXERCISES[i].meta.spine}


# --- validation of the new fields --------------------------------------------------------------

DEAD_BUG_PATH = "content/exercises/stability/dead-bug.md"
DEAD_BUG = (REPO / DEAD_BUG_PATH).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "unilateral: true",
            "unilateral: false\nmarked_side_only: true",
            "12: unilateral: expected true for a marked_side_only drill, got false",
        ),
        (
            "tasks: []",
            "tasks: []\nonly_for_tasks: [running]",
            "8: only_for_tasks[0]: expected a task the exercise rehearses (under tasks), "
            "got 'running'",
        ),
        (
            "tasks: []",
            "tasks: []\nonly_for_tasks: [runing]",
            "8: only_for_tasks[0]: expected a known goal task, got 'runing' "
            "(did you mean 'running'?)",
        ),
        (
            "contraindications: [pregnancy]",
            "contraindications: [pregnancy]\ncontraindicated_before_phase: {pregnancy: 3}",
            "10: contraindicated_before_phase.pregnancy: expected a finding or precaution not "
            "also under contraindications, got 'pregnancy'",
        ),
        (
            "contraindications: [pregnancy]",
            "contraindications: [pregnancy]\ncontraindicated_before_phase: "
            "{rotation_intolerance: 1}",
            "10: contraindicated_before_phase.rotation_intolerance: expected 2-4, got 1",
        ),
    ],
)
def test_new_fields_are_checked(project: Path, old: str, new: str, expected: str) -> None:
    assert old in DEAD_BUG
    write(project, DEAD_BUG_PATH, DEAD_BUG.replace(old, new))
    assert problems(project) == [f"{DEAD_BUG_PATH}:{expected}"]


def test_every_loaded_exercise_says_what_to_lift_from_phase_3_on() -> None:
    """Review 9 #15: a loaded exercise in phases 3 and 4 says its load, even if that is
    the body's own weight, so that the step up in load is written down and not guessed."""
    unsaid = [
        f"{name} phase {phase}"
        for name, exercise in EXERCISES.items()
        if exercise.meta.loads
        for phase, dose in exercise.meta.dose.items()
        if phase >= 3 and not dose.load
    ]
    assert unsaid == []
    for name in ("step-up", "sit-to-stand"):  # the two that had none
        assert EXERCISES[name].meta.dose[4].load, name
    held = EXERCISES["step-up"].meta.supported
    assert held is not None and held.load is not None and "bag" not in held.load
