"""The bundled starter library is worth using: coverage computed from its files."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import REPO
from movebook.model import Exercise, Library
from movebook.project import load_project


@pytest.fixture(scope="module")
def library() -> Library:
    return load_project(REPO).library


def drills(library: Library) -> list[Exercise]:
    task_blocks = {block.id for block in library.blocks if block.rehearses_tasks}
    return [e for e in library.exercises.values() if e.meta.block in task_blocks]


def chair_only(library: Library, exercise: Exercise) -> bool:
    """Doable by a patient who owns a chair and cannot get down to the floor."""
    vocabulary = library.vocabulary
    everyday = {name for name, item in vocabulary.equipment.items() if item.everyday}
    return not vocabulary.positions[exercise.meta.position].floor and set(
        exercise.meta.equipment
    ) <= everyday | {"chair"}


def test_at_least_48_exercises(library: Library) -> None:
    assert len(library.exercises) >= 48


def test_every_block_has_at_least_6_exercises(library: Library) -> None:
    per_block = Counter(e.meta.block for e in library.exercises.values())
    assert {
        block.id: per_block[block.id] for block in library.blocks if per_block[block.id] < 6
    } == {}


def test_every_phase_has_at_least_10_eligible_exercises(library: Library) -> None:
    per_phase = Counter(p for e in library.exercises.values() for p in e.meta.phases)
    assert {
        phase.number: per_phase[phase.number]
        for phase in library.phases
        if per_phase[phase.number] < 10
    } == {}


def test_every_finding_is_targeted_by_at_least_2_exercises(library: Library) -> None:
    targeted = Counter(t for e in library.exercises.values() for t in e.meta.targets)
    thin = {f: targeted[f] for f in library.vocabulary.findings if targeted[f] < 2}
    assert thin == {}


def test_every_goal_task_is_rehearsed_by_an_integration_drill(library: Library) -> None:
    rehearsed = {task for drill in drills(library) for task in drill.meta.tasks}
    assert set(library.vocabulary.tasks) - rehearsed == set()


@pytest.mark.parametrize("task", ["getting_out_of_bed", "sit_to_stand", "floor_transfer"])
def test_transitions_are_taught_as_exercises(library: Library, task: str) -> None:
    assert [
        d.id
        for d in drills(library)
        if task in d.meta.tasks and "painful_transitions" in d.meta.targets
    ]


def test_a_hip_hinge_drill_teaches_picking_up_a_bag(library: Library) -> None:
    assert [
        d.id
        for d in drills(library)
        if "lumbar_hinge_dominant" in d.meta.targets
        and {"carry_luggage", "household_chores"} & set(d.meta.tasks)
        and "shopping_bag" in d.meta.equipment
    ]


def test_most_exercises_sit_on_a_progression_chain(library: Library) -> None:
    linked = {
        name
        for e in library.exercises.values()
        for name in (e.id, e.meta.progresses_to, e.meta.regresses_to)
        if e.meta.progresses_to or e.meta.regresses_to
    }
    assert len(linked) / len(library.exercises) >= 0.85


def test_chair_only_patients_have_options_in_every_block_and_phase(library: Library) -> None:
    for block in library.blocks:
        for phase in library.phases:
            options = [
                e.id
                for e in library.exercises.values()
                if e.meta.block == block.id
                and phase.number in e.meta.phases
                and chair_only(library, e)
            ]
            assert len(options) >= 1, (block.id, phase.number)
        assert (
            len(
                [
                    e
                    for e in library.exercises.values()
                    if e.meta.block == block.id and chair_only(library, e)
                ]
            )
            >= 2
        ), block.id


def test_every_exercise_has_a_micro_step_ladder(library: Library) -> None:
    short = [
        e.id
        for e in library.exercises.values()
        if len(e.meta.micro_steps) < 3 or len({s.dimension for s in e.meta.micro_steps}) < 2
    ]
    assert short == []


def test_every_exercise_tells_the_patient_when_to_stop(library: Library) -> None:
    for exercise in library.exercises.values():
        stop = exercise.sections["Stop if"].lower()
        assert "leg" in stop, exercise.id


@pytest.mark.parametrize(
    "page",
    [
        "pain-and-the-nervous-system",
        "flare-up-plan",
        "breathing",
        "daily-rituals",
        "transitions",
        "red-flags",
    ],
)
def test_education_pages(library: Library, page: str) -> None:
    assert library.education[page].body.count("\n") > 20


def test_every_ritual_has_exercises(library: Library) -> None:
    for ritual in library.rituals:
        assert len([e for e in library.exercises.values() if ritual.id in e.meta.rituals]) >= 3


def test_every_directional_preference_has_favoured_exercises(library: Library) -> None:
    for name, direction in library.vocabulary.directions.items():
        if direction.favours:
            assert [
                e.id
                for e in library.exercises.values()
                if set(direction.favours) & set(e.meta.spine)
            ], name
