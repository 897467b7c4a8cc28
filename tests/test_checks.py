"""The clinician checks of `movebook check`: a warning, one line each at the profile's line,
when the plan does not follow the latest note or an `include` breaks the day's budget; never a
failure. The plans here are written by hand or come from scratch profiles, so the warnings
do not move when the engine learns to honour the samples' notes."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import GOOD_PROFILE, REPO, write
from movebook.audit import plan_metrics
from movebook.checks import WEEKDAYS, note_warnings
from movebook.cli import main
from movebook.model import Profile
from movebook.notes import read_note
from movebook.plan import BUDGET, Plan, PlannedDose, PlannedExercise, Session, build_plan
from movebook.plan import patient_of as plan_patient
from movebook.project import load_project

PROJECT = load_project(REPO)
LIBRARY = PROJECT.library
EQUIPMENT = PROJECT.config.defaults.equipment
RITUALS = {ritual.id: ritual for ritual in LIBRARY.rituals}


def planned(exercise: str) -> PlannedExercise:
    dose = PlannedDose(
        sets=1,
        reps=6,
        hold_s=None,
        tempo=None,
        minutes=None,
        rest_s=0,
        per_day=None,
        per_week=None,
        per_side=False,
    )
    return PlannedExercise(LIBRARY.exercises[exercise], dose, (), (), None, None)


def session(
    name: str,
    *exercises: str,
    per_day: int | None = None,
    per_week: int | None = None,
    every_min: int | None = None,
) -> Session:
    return Session(
        name,
        tuple(map(planned, exercises)),
        per_day=per_day,
        per_week=per_week,
        ritual=RITUALS.get(name),
        every_min=every_min,
    )


def plan_of(*sessions: Session, phase: int = 1) -> Plan:
    """A plan by hand: weekly sessions on the first days of the week, the others every day."""
    rhythm = tuple(
        tuple(s.id for s in sessions if s.per_week is None or day < s.per_week) for day in range(7)
    )
    return Plan("ana-silva", "2026-09-02", phase, (), sessions, (), (), (), rhythm)


def profile_of(**changes: object) -> Profile:
    data = yaml.safe_load(GOOD_PROFILE)
    data.update({k: v for k, v in changes.items() if k != "assessment"})
    data["assessments"][0].update(changes.get("assessment", {}))  # type: ignore[call-overload]
    return Profile.model_validate(data)


def warnings(note: str, plan: Plan, **changes: object) -> list[str]:
    patient = plan_patient(profile_of(**changes), LIBRARY, EQUIPMENT)
    return list(note_warnings(read_note(note, LIBRARY), plan, LIBRARY, patient))


MAIN = session("main", "wall-side-glide", "bird-dog", per_week=4)


def test_a_plan_that_follows_the_note_gives_no_warning() -> None:
    plan = plan_of(
        session("main", "glute-bridge", "step-up", per_week=3),
        session("morning", "log-roll-out-of-bed", "wall-side-glide", per_day=1),
        session("midday", "wall-side-glide", per_day=2, every_min=120),
    )
    note = (
        "Do it three times a week. Keep up the bridges and step-ups; the side glide every two "
        "hours, and as your first move of the day. Hold off bending forward."
    )
    assert warnings(note, plan) == []


def test_an_exercise_the_plan_does_not_contain() -> None:
    plan = plan_of(MAIN)
    assert warnings("Keep up the bridges, step-ups and the log roll.", plan) == [
        "the note asks for 'Glute bridge' (glute-bridge), which the plan does not contain",
        "the note asks for 'Step-up' (step-up), which the plan does not contain: "
        "it is not used in phase 1",
        "the note asks for 'Log roll out of bed' (log-roll-out-of-bed), "
        "which the plan does not contain",
    ]


def test_why_the_plan_cannot_contain_it() -> None:
    plan = plan_of(MAIN)
    assert warnings("Keep up the bridges.", plan, precautions=["pregnancy"]) == [
        "the note asks for 'Glute bridge' (glute-bridge), which the plan does not contain: "
        "it is contraindicated by pregnancy"
    ]
    excluded = {"overrides": {"exclude": ["glute-bridge"]}}
    assert warnings("Keep up the bridges.", plan, assessment=excluded) == [
        "the note asks for 'Glute bridge' (glute-bridge), which the plan does not contain: "
        "it is under overrides.exclude"
    ]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        (
            "The side glide every two hours.",
            "the note asks for 'Wall side glide' (wall-side-glide) every 2 hours, "
            "but the plan has it every 30 minutes",
        ),
        (
            "The bird dog every hour.",
            "the note asks for 'Bird dog' (bird-dog) every hour, but the plan gives it no interval",
        ),
        (
            "The side glide three times a week.",
            "the note asks for 'Wall side glide' (wall-side-glide) 3 times a week, "
            "but the plan has it 18 times a week",
        ),
        (
            "The bird dog once a week.",
            "the note asks for 'Bird dog' (bird-dog) once a week, "
            "but the plan has it 4 times a week",
        ),
        (
            "The side glide twice a day.",
            "the note asks for 'Wall side glide' (wall-side-glide) twice a day, "
            "but the plan has it 2 to 3 times a day",
        ),
        (
            "The bird dog every day.",
            "the note asks for 'Bird dog' (bird-dog) once a day, "
            "but the plan has it on 4 days a week",
        ),
        (
            "The side glide at every break.",
            "the note asks for 'Wall side glide' (wall-side-glide) at every break, "
            "which the plan does not schedule",
        ),
    ],
)
def test_a_frequency_or_interval_the_plan_does_not_follow(note: str, expected: str) -> None:
    plan = plan_of(MAIN, session("midday", "wall-side-glide", per_day=2, every_min=30))
    assert warnings(note, plan) == [expected]


def test_the_first_move_of_the_day() -> None:
    note = "Keep the side glide as your first move of the day."
    rocking_first = session("morning", "seated-pelvic-rocking", "wall-side-glide", per_day=1)
    assert warnings(note, plan_of(MAIN, rocking_first)) == [
        "the note asks for 'Wall side glide' (wall-side-glide) as the first move of the day, "
        "but the plan starts with 'Seated pelvic rocking' (seated-pelvic-rocking)"
    ]
    assert warnings(note, plan_of(MAIN)) == [
        "the note asks for 'Wall side glide' (wall-side-glide) as the first move of the day, "
        "but the plan has no first move"
    ]
    # the log roll gets the patient up: the glide after it is still the day's first move
    after_getting_up = session("morning", "log-roll-out-of-bed", "wall-side-glide", per_day=1)
    assert warnings(note, plan_of(MAIN, after_getting_up)) == []


def test_what_the_note_leaves_out_and_the_plan_still_has() -> None:
    plan = plan_of(session("main", "cat-camel", "seated-forward-bend", "knee-to-chest", per_week=4))
    note = "I have left out the cat-camel. Hold off bending forward, and no more stooping."
    assert warnings(note, plan) == [
        "the note leaves out 'Cat-camel' (cat-camel), which the plan still contains",
        "the note says to avoid 'bending forward' (spine flexion), which the plan's "
        "'Cat-camel' (cat-camel), 'Seated forward bend' (seated-forward-bend), "
        "'Knee to chest' (knee-to-chest) do",
    ]


def test_the_program_s_count() -> None:
    assert warnings("Do it three times a week.", plan_of(MAIN)) == [
        "the note asks for the program 3 times a week, but the plan has the main session "
        "4 times a week"
    ]
    assert warnings("Keep the routine 4x a week.", plan_of(MAIN)) == []


def test_an_exercise_every_morning() -> None:
    note = "Do the open book every morning."
    midday = session("midday", "open-book", per_day=2)
    assert warnings(note, plan_of(MAIN, midday)) == [
        "the note asks for 'Open book' (open-book) every morning, but the plan has no morning "
        "ritual"
    ]
    morning = session("morning", "wall-slides", per_day=1)
    assert warnings(note, plan_of(MAIN, morning, midday)) == [
        "the note asks for 'Open book' (open-book) every morning, but the morning ritual does "
        "not have it"
    ]
    assert warnings(note, plan_of(MAIN, session("morning", "open-book", per_day=1))) == []


def test_an_event_the_plan_does_not_schedule() -> None:
    note = "On the train to Leicester, use the seat routine every half hour."
    seat = replace(planned("travel-seat-circuit"), every_min=30)
    assert warnings(note, plan_of(MAIN, Session("practice", (seat,)))) == [
        "the note asks for 'Seat exercises for long journeys' (travel-seat-circuit) on the train "
        "to Leicester, which the plan does not schedule"
    ]
    on_the_train = replace(seat, when="on the train to Leicester")
    assert warnings(note, plan_of(MAIN, Session("practice", (on_the_train,)))) == []


LEFT_HIP = {"signature": {"findings": [{"id": "hip_abductor_weakness", "side": "left"}]}}


def test_a_region_in_each_position_the_note_names() -> None:
    note = "We build strength in your left hip standing and side-lying."
    carry = plan_of(session("main", "suitcase-carry", "bird-dog", per_week=4), phase=2)
    assert warnings(note, carry, assessment=LEFT_HIP) == [
        "the note asks for left hip strength work lying on your side (hip_abductor_weakness); "
        "the plan has none"
    ]
    clams = plan_of(session("main", "suitcase-carry", "side-lying-clam", per_week=4), phase=2)
    assert warnings(note, clams, assessment=LEFT_HIP) == []
    # "or": one of the positions is enough
    assert warnings(note.replace(" and ", " or "), carry, assessment=LEFT_HIP) == []


def test_a_region_s_kind_of_work_and_side() -> None:
    hips = {
        "signature": {
            "findings": [
                {"id": "hip_mobility_limited", "side": "left"},
                {"id": "hip_abductor_weakness", "side": "right"},
            ]
        }
    }
    strength = plan_of(session("main", "chair-hip-abduction", per_week=4))
    assert warnings("Loosen your left hip.", strength, assessment=hips) == [
        "the note asks for left hip mobility work (hip_mobility_limited); the plan has none"
    ]
    # the abduction targets the right hip's finding: nothing for the left, nor any mobility
    assert warnings("Work on your left hip.", strength, assessment=hips) == [
        "the note asks for left hip work (hip_mobility_limited); the plan has none"
    ]
    assert warnings("Strengthen your hips.", strength, assessment=hips) == []
    # a region the patient has no finding in: any exercise for one of its findings
    assert warnings("Build strength in your upper back.", strength, assessment=hips) == [
        "the note asks for upper back strength work (thoracic_stiffness); the plan has none"
    ]
    rows = plan_of(session("main", "band-row", per_week=4))
    assert warnings("Build strength in your upper back.", rows, assessment=hips) == []


def test_a_region_every_morning() -> None:
    note = (
        "Your lower back does the turning your upper back should share. Work on that area "
        "every morning."
    )
    upper_back = {"signature": {"findings": ["thoracic_stiffness"]}}
    rows = session("main", "band-row", per_week=4)
    midday = session("midday", "wall-slides", per_day=2)
    assert warnings(note, plan_of(rows, midday), assessment=upper_back) == [
        "the note asks for upper back work every morning (thoracic_stiffness); the plan has no "
        "morning ritual"
    ]
    rocking = session("morning", "seated-pelvic-rocking", per_day=1)
    assert warnings(note, plan_of(rows, rocking), assessment=upper_back) == [
        "the note asks for upper back work every morning (thoracic_stiffness); the morning "
        "ritual has none"
    ]
    slides = session("morning", "seated-pelvic-rocking", "wall-slides", per_day=1)
    assert warnings(note, plan_of(rows, slides), assessment=upper_back) == []
    # a maintenance plan has no rituals: anywhere in the plan will do
    assert warnings(note, plan_of(rows, phase=4), assessment=upper_back) == []


def test_a_region_asked_twice_warns_once() -> None:
    note = "Strengthen your left hip. Later, strengthen your left hip again."
    assert warnings(note, plan_of(MAIN), assessment=LEFT_HIP) == [
        "the note asks for left hip strength work (hip_abductor_weakness); the plan has none"
    ]


# --- `movebook check` on scratch profiles ------------------------------------------------------


def check(project: Path) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(main, ["check", "--project", str(project)])
    return result.exit_code, result.stderr.splitlines(), result.stdout


def with_note(note: str, profile: str = GOOD_PROFILE) -> str:
    return profile + "    notes: |\n" + textwrap.indent(note, "      ")


def test_check_warns_at_the_note_s_line_and_passes(project: Path) -> None:
    text = with_note("Ana, keep up the step-ups\nand the bridges.\n")
    text = text.replace("name: Ana Silva\n", "name: Ana Silva\nprecautions: [pregnancy]\n")
    path = write(project, "profiles/ana-silva.yaml", text)
    line = path.read_text(encoding="utf-8").splitlines().index("    notes: |") + 1
    code, stderr, stdout = check(project)
    assert code == 0
    where = f"warning: profiles/ana-silva.yaml:{line}: assessments[0].notes:"
    assert stderr == [
        f"{where} the note asks for 'Step-up' (step-up), which the plan does not contain: "
        "it is not used in phase 1",
        f"{where} the note asks for 'Glute bridge' (glute-bridge), which the plan does not "
        "contain: it is contraindicated by pregnancy",
    ]
    assert stdout.endswith(": no errors, 2 warnings\n")


def test_check_warns_of_a_region_the_plan_cannot_work(project: Path) -> None:
    # off the floor, no exercise can be side-lying: the plan can never follow the note
    findings = "        - apical_breathing\n        - {id: pelvic_rotation, side: left}\n"
    text = with_note("Build strength in your left hip side-lying.\n").replace(
        findings,
        "        - cannot_get_to_floor\n        - {id: hip_abductor_weakness, side: left}\n",
    )
    path = write(project, "profiles/ana-silva.yaml", text)
    line = path.read_text(encoding="utf-8").splitlines().index("    notes: |") + 1
    code, stderr, stdout = check(project)
    assert code == 0
    assert stderr == [
        f"warning: profiles/ana-silva.yaml:{line}: assessments[0].notes: the note asks for left "
        "hip strength work lying on your side (hip_abductor_weakness); the plan has none"
    ]
    assert stdout.endswith(": no errors, 1 warning\n")


def test_only_the_latest_note_is_checked(project: Path) -> None:
    second = GOOD_PROFILE.split("assessments:\n")[1].replace("2026-09-02", "2026-10-02")
    earlier = with_note("Keep up the step-ups.\n") + second
    write(project, "profiles/ana-silva.yaml", earlier)
    assert check(project)[:2] == (0, [])


@pytest.mark.parametrize(
    "profile",
    [
        with_note("Haz los puentes tres veces por semana.\n"),  # another language reads as nothing
        with_note("Keep up the step-ups.\n").replace(
            "name: Ana Silva\n", "name: Ana Silva\nred_flags: [cauda_equina_signs]\n"
        ),  # a red flag blocks the plan
    ],
    ids=["spanish", "red-flag"],
)
def test_no_warning(project: Path, profile: str) -> None:
    write(project, "profiles/ana-silva.yaml", profile)
    code, stderr, stdout = check(project)
    assert (code, stderr) == (0, [])
    assert stdout.endswith(": no errors\n")


def test_errors_come_without_warnings(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", with_note("Keep up the step-ups.\n"))
    write(project, "profiles/bo.yaml", "id: bo\nname: Bo\nassessments:\n  - {}\n")
    code, stderr, _ = check(project)
    assert code == 1
    assert not [line for line in stderr if line.startswith("warning:")]


def test_an_include_that_makes_a_day_too_long(project: Path) -> None:
    overrides = (
        "    overrides:\n"
        "      include: [glute-bridge, heel-slides]\n"
        "      dose: {heel-slides: {sets: 6, reps: 12, hold_s: 10}}\n"
    )
    text = GOOD_PROFILE + overrides
    path = write(project, "profiles/ana-silva.yaml", text)
    line = path.read_text(encoding="utf-8").splitlines().index(overrides.splitlines()[1]) + 1
    plan = build_plan(load_project(project).profiles["ana-silva"], LIBRARY, EQUIPMENT)
    days = plan_metrics(plan).days
    limits = [
        BUDGET.main_day_minutes if "main" in day else BUDGET.day_minutes
        for day in plan.weekly_rhythm
    ]
    over = [
        d for d in range(7) if "heel-slides" in days[d].exercises and days[d].minutes > limits[d]
    ]
    assert over, "the included heel slides make no day too long"
    worst = max(over, key=lambda day: (days[day].minutes - limits[day], -day))
    without = text.replace("glute-bridge, heel-slides", "glute-bridge").replace(
        "{sets: 6, reps: 12, hold_s: 10}", "{}"
    )
    write(project, "profiles/ana-silva.yaml", without)
    unpinned = build_plan(load_project(project).profiles["ana-silva"], LIBRARY, EQUIPMENT)
    rhythm = unpinned.weekly_rhythm
    before = max(
        day.minutes
        for day, ids in zip(plan_metrics(unpinned).days, rhythm, strict=True)
        if ("main" in ids) == ("main" in plan.weekly_rhythm[worst])
    )
    assert before <= limits[worst]
    write(project, "profiles/ana-silva.yaml", text)
    code, stderr, _ = check(project)
    assert code == 0
    assert stderr == [
        f"warning: profiles/ana-silva.yaml:{line}: assessments[0].overrides.include[1]: the "
        f"included 'Heel slides' (heel-slides) brings {WEEKDAYS[worst]} to "
        f"{days[worst].minutes} minutes of exercise, over the day's budget of {limits[worst]} "
        f"(at most {before} without it)"
    ]
