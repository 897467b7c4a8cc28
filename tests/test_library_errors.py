"""Every kind of bad library file is reported with its file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, problems, write

DEAD_BUG = (REPO / "content/exercises/stability/dead-bug.md").read_text(encoding="utf-8")
E = "content/exercises/stability/dead-bug.md"


def check(project: Path, text: str, rel: str = E) -> list[str]:
    write(project, rel, text)
    return problems(project)


def test_bundled_library_is_clean(project: Path) -> None:
    assert problems(project) == []


def test_dangling_link(project: Path) -> None:
    text = DEAD_BUG.replace("regresses_to: heel-slides", "regresses_to: heel-slide")
    assert check(project, text) == [
        f"{E}:19: regresses_to: expected an exercise in the library, got 'heel-slide' "
        "(did you mean 'heel-slides'?)"
    ]


def test_progression_cycle(project: Path) -> None:
    # heel-slides -> dead-bug already; dead-bug -> core-connection -> heel-slides closes a loop.
    text = DEAD_BUG.replace("progresses_to: null", "progresses_to: core-connection")
    assert check(project, text) == [
        "content/exercises/stability/core-connection.md:20: progresses_to: expected links that "
        "lead from easier to harder, got a cycle: core-connection -> heel-slides -> dead-bug "
        "-> core-connection"
    ]


def test_link_to_itself(project: Path) -> None:
    text = DEAD_BUG.replace("progresses_to: null", "progresses_to: dead-bug")
    assert check(project, text) == [
        f"{E}:20: progresses_to: expected another exercise, got 'dead-bug' itself"
    ]


def test_duplicate_exercise_id(project: Path) -> None:
    found = check(project, DEAD_BUG, "content/exercises/strength/dead-bug.md")
    assert found == [
        "content/exercises/strength/dead-bug.md:1: id: expected a unique exercise id, "
        f"got 'dead-bug' again (also {E})"
    ]


def test_unsafe_file_name(project: Path) -> None:
    found = check(
        project,
        DEAD_BUG.replace("progresses_to: null", "progresses_to: null"),
        "content/exercises/stability/Dead Bug.md",
    )
    assert (
        "content/exercises/stability/Dead Bug.md:1: id: expected a file name of lower-case "
        "letters, digits and hyphens, got 'Dead Bug'" in found
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "block: stability",
            "block: stabilty",
            "4: block: expected a known session block, got 'stabilty' (did you mean 'stability'?)",
        ),
        (
            "targets: [stabilizer_timing_delay, rib_flare_overhead]",
            "targets: [stabiliser_timing_delay, rib_flare_overhead]",
            "6: targets[0]: expected a known finding, got 'stabiliser_timing_delay' "
            "(did you mean 'stabilizer_timing_delay'?)",
        ),
        (
            "contraindications: [pregnancy]",
            "contraindications: [pregnant]",
            "9: contraindications[0]: expected a known finding or precaution, got 'pregnant' "
            "(did you mean 'pregnancy'?)",
        ),
        (
            "equipment: [mat]",
            "equipment: [mat, kettlebel]",
            "11: equipment[1]: expected known equipment, got 'kettlebel'",
        ),
        (
            "spine: [neutral]",
            "spine: [nuetral]",
            "8: spine[0]: expected one of 'neutral', 'flexion', 'extension', 'rotation', "
            "'side_bend' or 'side_glide', got 'nuetral' (did you mean 'neutral'?)",
        ),
        (
            "{dimension: tempo,",
            "{dimension: speed,",
            "22: micro_steps[0].dimension: expected one of 'tempo', 'load', 'range', 'support' "
            "or 'context', got 'speed'",
        ),
        (
            "phases: [2, 3, 4]",
            "phases: [2, 3, 5]",
            "5: phases[2]: expected 1-4, got 5",
        ),
    ],
)
def test_unknown_ids_and_values(project: Path, old: str, new: str, expected: str) -> None:
    assert old in DEAD_BUG
    assert check(project, DEAD_BUG.replace(old, new)) == [f"{E}:{expected}"]


def test_dose_for_a_phase_the_exercise_does_not_suit(project: Path) -> None:
    text = DEAD_BUG.replace("phases: [2, 3, 4]", "phases: [3, 4]")
    assert check(project, text) == [
        f"{E}:15: dose[2]: expected one of the exercise's phases (3, 4), got 2"
    ]


def test_dose_missing_for_the_first_phase(project: Path) -> None:
    text = DEAD_BUG.replace("phases: [2, 3, 4]", "phases: [1, 2, 3, 4]")
    assert check(project, text) == [
        f"{E}:14: dose: expected a dose for phase 1, its first phase, got none"
    ]


def test_incomplete_dose(project: Path) -> None:
    text = DEAD_BUG.replace(", per_day: 1}", "}").replace("tempo: 2-1-2", "tempo: fast")
    assert check(project, text) == [
        f"{E}:15: dose[2]: expected exactly one of per_day or per_week, got neither",
        f"{E}:17: dose[4].tempo: expected a tempo as lower-pause-lift seconds, like 3-1-3, "
        "got 'fast'",
    ]


def test_a_load_given_for_one_phase_is_given_for_every_phase(project: Path) -> None:
    text = DEAD_BUG.replace("per_day: 1}", 'per_day: 1, load: "A light book."}')
    assert check(project, text) == [
        f"{E}:16: dose[3]: expected a load, as phase 2's dose gives one, got none",
        f"{E}:17: dose[4]: expected a load, as phase 2's dose gives one, got none",
    ]


def test_a_carry_is_dosed_in_seconds(project: Path) -> None:
    text = DEAD_BUG.replace("unilateral: true", "unilateral: true\ncarry: true")
    assert check(project, text) == [
        f"{E}:{line}: dose[{phase}]: expected hold_s, the seconds of each carry, got none"
        for line, phase in ((16, 2), (17, 3), (18, 4))
    ]


def test_floor_exercise_needs_a_mat(project: Path) -> None:
    text = DEAD_BUG.replace("equipment: [mat]", "equipment: []")
    assert check(project, text) == [
        f"{E}:11: equipment: expected 'mat' for the floor position 'supine', got none"
    ]


def test_integration_drill_needs_a_task(project: Path) -> None:
    text = DEAD_BUG.replace("block: stability", "block: integration")
    assert check(project, text) == [
        f"{E}:7: tasks: expected at least one goal task for a integration drill, got none"
    ]


def test_missing_front_matter(project: Path) -> None:
    assert check(project, "## Set-up\n\nLie down.\n") == [
        f"{E}:1: expected front matter between two '---' lines at the top, got none"
    ]


def test_missing_and_misspelt_sections(project: Path) -> None:
    text = DEAD_BUG.replace("## Set-up", "## Setup")
    assert check(project, text) == [
        f"{E}:36: body: expected a '## Set-up' section, got none",
        f"{E}:36: body: expected a section heading from Set-up, The movement, What you should "
        "feel, Common faults, Stop if, got 'Setup' (did you mean 'Set-up'?)",
    ]


def test_unknown_key_in_front_matter(project: Path) -> None:
    text = DEAD_BUG.replace("breathing:", "breath:")
    assert check(project, text) == [
        f"{E}:2: breathing: expected a value (required), got nothing",
        f"{E}:18: breath: expected a known key, got 'breath' (did you mean 'breathing'?)",
    ]


def test_bad_vocabulary_file(project: Path) -> None:
    path = project / "content/vocabulary/findings.yaml"
    path.write_text(
        path.read_text() + "Bad Id:\n  label: x\nnew_finding:\n  labl: y\n", encoding="utf-8"
    )
    found = problems(project)
    assert (
        "content/vocabulary/findings.yaml:84: Bad Id: expected an id of lower-case letters, "
        "digits and underscores, got 'Bad Id'" in found
    )
    assert (
        "content/vocabulary/findings.yaml:87: new_finding.labl: expected a known key, "
        "got 'labl' (did you mean 'label'?)" in found
    )


def test_phases_must_be_one_to_four(project: Path) -> None:
    path = project / "content/phases.yaml"
    path.write_text(path.read_text().replace("- number: 4", "- number: 3"), encoding="utf-8")
    assert problems(project) == [
        "content/phases.yaml:49: expected phases numbered 1, 2, 3, 4 in order, got [1, 2, 3, 3]"
    ]


def test_bad_config(project: Path) -> None:
    path = project / "movebook.yaml"
    path.write_text(
        path.read_text().replace("accent:", "accent_colour:").replace("A4", "A5"),
        encoding="utf-8",
    )
    assert problems(project) == [
        "movebook.yaml:6: clinic.accent_colour: expected a known key, got 'accent_colour' "
        "(did you mean 'accent'?)",
        "movebook.yaml:15: pdf.page_size: expected one of 'A4' or 'Letter', got 'A5'",
    ]


def test_a_name_another_exercise_already_has(project: Path) -> None:
    # a clinician's note names an exercise by its title or also_called: one exercise per name
    text = DEAD_BUG.replace(
        "title: Dead bug\n", "title: Dead bug\nalso_called: [Bird Dogs, core-connection, bug]\n"
    )
    assert check(project, text) == [
        f"{E}:3: also_called[0]: expected a name no other exercise has, got 'Bird Dogs' "
        "(also a name of bird-dog)",
        f"{E}:3: also_called[1]: expected a name no other exercise has, got 'core-connection' "
        "(also a name of core-connection)",
    ]


def test_also_called_is_a_short_plain_name(project: Path) -> None:
    text = DEAD_BUG.replace("title: Dead bug\n", "title: Dead bug\nalso_called: ['<b>bug</b>']\n")
    assert check(project, text) == [
        f"{E}:3: also_called[0]: expected a short name (letters, digits, spaces, hyphens and "
        "apostrophes, at most 60 characters), got '<b>bug</b>'"
    ]


STAIRS = "content/exercises/integration/stair-practice.md"
STEP_UP = "content/exercises/strength/step-up.md"


def test_a_step_back_that_starts_in_a_later_phase_is_an_inverted_link(project: Path) -> None:
    # The links as they were: stair practice (phases 1-4, with the rail) stepping "back" to
    # the step-up (phases 2-4), which "led on" to it.
    stairs = (REPO / STAIRS).read_text(encoding="utf-8")
    step_up = (REPO / STEP_UP).read_text(encoding="utf-8")
    write(project, STAIRS, stairs.replace("regresses_to: null", "regresses_to: step-up"))
    write(
        project,
        STEP_UP,
        step_up.replace("regresses_to: stair-practice", "regresses_to: null").replace(
            "progresses_to: null", "progresses_to: stair-practice"
        ),
    )
    assert problems(project) == [
        f"{STAIRS}:21: regresses_to: expected an easier exercise used from phase 1 (as "
        "stair-practice is) or earlier, got 'step-up', used from phase 2",
        f"{STEP_UP}:24: progresses_to: expected a harder exercise used from phase 2 (as "
        "step-up is) or later, got 'stair-practice', used from phase 1",
    ]


def test_two_exercises_each_the_other_s_step_back_are_a_cycle(project: Path) -> None:
    stairs = (REPO / STAIRS).read_text(encoding="utf-8")
    write(project, STAIRS, stairs.replace("regresses_to: null", "regresses_to: step-up"))
    assert problems(project) == [
        f"{STAIRS}:22: progresses_to: expected links that lead from easier to harder, got a "
        "cycle: stair-practice -> step-up -> stair-practice"
    ]
