"""Phase readiness: the current phase's exit criteria against the newest assessment, as the
clinician sees it in `movebook plan`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import GOOD_PROFILE, REPO, write
from movebook.cli import main
from movebook.model import Assessment, Criterion, PhaseDef, Profile
from movebook.plan import build_plan
from movebook.project import load_project
from movebook.readiness import check, phase_readiness, psfs_mean
from movebook.views import plan_json, plan_json_text, plan_text

PROJECT = load_project(REPO)
LIBRARY = PROJECT.library
DEFAULTS = PROJECT.config.defaults.equipment

# Phase 2 of the bundled library: sitting >= 45, walking >= 30, NPRS <= 3, one to judge.
READY_FOR_3 = {"sitting_min": 45, "walking_min": 30}


def visit(
    phase: int = 2,
    date: str = "2026-09-02",
    tolerances: dict[str, int] | None = None,
    **measures: Any,
) -> dict[str, Any]:
    return {
        "date": date,
        "phase": phase,
        "signature": {"findings": []},
        "tolerances": tolerances or {},
        "measures": measures,
    }


def patient(*visits: dict[str, Any], red_flags: tuple[str, ...] = ()) -> Profile:
    return Profile.model_validate(
        {"id": "p", "name": "P", "red_flags": list(red_flags), "assessments": list(visits)}
    )


def assessment(**fields: Any) -> Assessment:
    return patient(visit(**fields)).latest


def statuses(profile: Profile) -> list[str]:
    return [item.status for item in phase_readiness(profile, LIBRARY).checks]


# --- one criterion -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sitting", "status"), [(44, "not_met"), (45, "met"), (46, "met"), (0, "not_met")]
)
def test_at_least_is_met_from_the_threshold_up(sitting: int, status: str) -> None:
    criterion = Criterion(text="Sit 45 min", measure="sitting_min", at_least=45)
    result = check(criterion, assessment(tolerances={"sitting_min": sitting}))
    assert (result.status, result.value) == (status, sitting)


@pytest.mark.parametrize(("nprs", "status"), [(2, "met"), (3, "met"), (4, "not_met"), (0, "met")])
def test_at_most_is_met_up_to_the_threshold(nprs: int, status: str) -> None:
    criterion = Criterion(text="Pain 3 or less", measure="nprs", at_most=3)
    assert check(criterion, assessment(nprs=nprs)).status == status


@pytest.mark.parametrize(("odi", "status"), [(20.0, "met"), (19.5, "met"), (20.5, "not_met")])
def test_fractional_values_are_compared_as_they_are(odi: float, status: str) -> None:
    criterion = Criterion(text="ODI 20 % or less", measure="odi", at_most=20)
    assert check(criterion, assessment(odi=odi)).status == status


@pytest.mark.parametrize(
    "measure",
    [
        "nprs",
        "odi",
        "psfs_mean",
        "sitting_min",
        "standing_min",
        "walking_min",
        "morning_stiffness_min",
        "sleep_disturbed_nights",
    ],
)
def test_a_missing_value_is_not_measured_yet(measure: str) -> None:
    criterion = Criterion.model_validate({"text": "t", "measure": measure, "at_least": 0})
    result = check(criterion, assessment())
    assert (result.status, result.value) == ("not_measured", None)


def test_every_measure_reads_its_own_value() -> None:
    tolerances = {
        "sitting_min": 1,
        "standing_min": 2,
        "walking_min": 3,
        "morning_stiffness_min": 4,
        "sleep_disturbed_nights": 5,
    }
    visit_ = assessment(tolerances=tolerances, nprs=6, odi=7.5, psfs={"a": 8})
    expected = {**tolerances, "nprs": 6, "odi": 7.5, "psfs_mean": 8}
    for measure, value in expected.items():
        criterion = Criterion.model_validate({"text": "t", "measure": measure, "at_least": 0})
        assert check(criterion, visit_).value == value, measure


def test_a_criterion_without_a_measure_is_judged_together() -> None:
    result = check(Criterion(text="You feel confident"), assessment(nprs=0))
    assert (result.status, result.value) == ("judge", None)


# --- the PSFS mean -------------------------------------------------------------


@pytest.mark.parametrize(
    ("psfs", "mean"),
    [
        ({}, None),
        ({"Lift Leo": 7}, 7),
        ({"a": 6, "b": 7}, 6.5),
        ({"a": 6, "b": 7, "c": 8}, 7),
        ({"a": 7, "b": 7, "c": 6}, 6.67),  # to two decimals: what is shown is what is compared
    ],
)
def test_psfs_mean(psfs: dict[str, int], mean: float | None) -> None:
    assert psfs_mean(assessment(psfs=psfs)) == mean


def test_psfs_mean_against_its_threshold() -> None:
    criterion = Criterion(text="PSFS 7 or better", measure="psfs_mean", at_least=7)
    assert check(criterion, assessment(psfs={"a": 6, "b": 8})).status == "met"
    assert check(criterion, assessment(psfs={"a": 7, "b": 7, "c": 6})).status == "not_met"
    assert check(criterion, assessment(psfs={})).status == "not_measured"


# --- the verdict ---------------------------------------------------------------


def test_ready_when_every_measurable_criterion_is_met() -> None:
    readiness = phase_readiness(patient(visit(tolerances=READY_FOR_3, nprs=3)), LIBRARY)
    assert readiness.verdict == "ready"
    assert (readiness.phase, readiness.next_phase) == (2, 3)
    assert [c.status for c in readiness.checks] == ["met", "met", "met", "judge"]
    assert [c.value for c in readiness.checks] == [45, 30, 3, None]
    assert readiness.measurable == 3


def test_not_yet_when_any_criterion_is_not_met() -> None:
    profile = patient(visit(tolerances=READY_FOR_3, nprs=4))
    assert phase_readiness(profile, LIBRARY).verdict == "not_yet"
    assert statuses(profile) == ["met", "met", "not_met", "judge"]


def test_not_met_outweighs_not_measured() -> None:
    profile = patient(visit(tolerances={"sitting_min": 45}, nprs=4))
    assert statuses(profile) == ["met", "not_measured", "not_met", "judge"]
    assert phase_readiness(profile, LIBRARY).verdict == "not_yet"


def test_cannot_tell_while_a_measurable_criterion_has_no_value() -> None:
    profile = patient(visit(tolerances={"sitting_min": 45}, nprs=3))
    assert statuses(profile) == ["met", "not_measured", "met", "judge"]
    assert phase_readiness(profile, LIBRARY).verdict == "cannot_tell"


def test_cannot_tell_with_nothing_measured() -> None:
    readiness = phase_readiness(patient(visit(phase=1)), LIBRARY)
    assert readiness.verdict == "cannot_tell"
    assert [c.status for c in readiness.checks] == ["not_measured"] * 3 + ["judge"]


def test_cannot_tell_when_no_criterion_has_a_measure() -> None:
    """Ready needs at least one measured criterion: judging alone is the clinician's call."""
    phases = tuple(
        PhaseDef(number=p.number, name=p.name, aim=p.aim, exit_criteria=[Criterion(text="Judge")])
        for p in LIBRARY.phases
    )
    library = dataclasses.replace(LIBRARY, phases=phases)
    readiness = phase_readiness(patient(visit(tolerances=READY_FOR_3, nprs=3)), library)
    assert readiness.verdict == "cannot_tell"
    assert readiness.measurable == 0


def test_the_last_phase_has_nothing_to_move_on_to() -> None:
    readiness = phase_readiness(patient(visit(phase=4, nprs=0, odi=0)), LIBRARY)
    assert readiness.verdict == "last_phase"
    assert readiness.next_phase is None
    assert [c.status for c in readiness.checks] == ["judge", "judge"]


def test_the_newest_assessment_counts_and_changes_are_marked() -> None:
    profile = patient(
        visit(date="2026-08-01", tolerances={"sitting_min": 30, "walking_min": 30}, nprs=3),
        visit(date="2026-09-02", tolerances=READY_FOR_3, nprs=4),
    )
    readiness = phase_readiness(profile, LIBRARY)
    assert readiness.verdict == "not_yet"
    assert (readiness.assessment_date, readiness.previous_date) == ("2026-09-02", "2026-08-01")
    sitting, walking, pain, judge = readiness.checks
    assert sitting.previous is not None and sitting.previous.status == "not_met"
    assert (sitting.status, sitting.changed) == ("met", True)
    assert (walking.status, walking.changed) == ("met", False)
    assert (pain.status, pain.changed) == ("not_met", True)
    assert pain.previous is not None and pain.previous.value == 3
    assert not judge.changed


def test_a_single_assessment_has_no_previous() -> None:
    readiness = phase_readiness(patient(visit(nprs=3)), LIBRARY)
    assert readiness.previous_date is None
    assert all(c.previous is None and not c.changed for c in readiness.checks)


@pytest.mark.parametrize("profile_id", sorted(PROJECT.profiles))
def test_every_bundled_profile_gets_a_verdict(profile_id: str) -> None:
    profile = PROJECT.profiles[profile_id]
    readiness = phase_readiness(profile, LIBRARY)
    assert readiness.phase == profile.latest.phase
    assert len(readiness.checks) == len(LIBRARY.phases[profile.latest.phase - 1].exit_criteria)
    assert (readiness.verdict == "last_phase") == (profile.latest.phase == 4)


# --- in `movebook plan` --------------------------------------------------------

ANA_READY = GOOD_PROFILE.replace("phase: 1", "phase: 2").replace(
    '    measures: {nprs: 6, odi: 42, psfs: {"Lift Leo": 3}}\n',
    "    tolerances: {sitting_min: 50, walking_min: 30}\n"
    '    measures: {nprs: 3, odi: 42, psfs: {"Lift Leo": 3}}\n',
)


def plan_command(project: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["plan", "ana-silva", *args, "--project", str(project)])
    assert result.exit_code == 0, result.output
    return result.output


def section(output: str) -> list[str]:
    """The readiness section of the text plan: from its verdict line to who decides."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("Ready for", "Phase 4 is")))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    return lines[start : end + 1]


def test_plan_text_says_ready_and_why(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", ANA_READY)
    output = plan_command(project)
    assert section(output) == [
        "Ready for phase 3? Looks ready: all 3 measurable criteria are met.",
        "  met               Sitting 45 min or more: 50 min",
        "  met               Walking 30 min or more: 30 min",
        "  met               Pain (NPRS) 3/10 or less: 3/10",
        "  judge together    You feel confident bending to pick up something light from the floor.",
        "The clinician decides: set `phase: 3` in the newest assessment to move on.",
    ]
    assert output.index("\nPhases\n") < output.index("Ready for phase 3?")


def test_plan_text_says_not_yet_with_values_and_changes(project: Path) -> None:
    second = """\
  - date: 2026-10-07
    phase: 2
    signature: {directional_preference: extension}
    tolerances: {sitting_min: 40, walking_min: 35}
    measures: {nprs: 4}
"""
    write(project, "profiles/ana-silva.yaml", ANA_READY + second)
    assert section(plan_command(project)) == [
        "Ready for phase 3? Not yet: 2 of 3 measurable criteria not met.",
        "  not met           Sitting 45 min or more: 40 min  (was met on 2026-09-02: 50 min)",
        "  met               Walking 30 min or more: 35 min",
        "  not met           Pain (NPRS) 3/10 or less: 4/10  (was met on 2026-09-02: 3/10)",
        "  judge together    You feel confident bending to pick up something light from the floor.",
        "The clinician decides: set `phase: 3` in the newest assessment to move on.",
    ]


def test_plan_text_cannot_tell_what_was_not_measured(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    assert section(plan_command(project)) == [
        "Ready for phase 2? Cannot tell yet: 0 of 3 measurable criteria met, 3 not measured yet.",
        "  not measured yet  Sitting 20 min or more",
        "  not measured yet  Morning stiffness 30 min or less",
        "  not measured yet  Sleep disturbed 2 nights a week or fewer",
        "  judge together    You can do your settle and mobilise exercises without a flare the "
        "next day.",
        "The clinician decides: set `phase: 2` in the newest assessment to move on.",
    ]


def test_plan_text_in_the_last_phase(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE.replace("phase: 1", "phase: 4"))
    assert section(plan_command(project)) == [
        "Phase 4 is the last phase (maintenance): there is no next phase to move on to.",
        "  judge together    You keep up your maintenance routine at least three times a week.",
        "  judge together    You know your flare-up plan and have used it on your own if needed.",
        "Keep checking these at each review.",
    ]


def test_a_red_flag_patient_gets_no_readiness(project: Path) -> None:
    flagged = ANA_READY.replace(
        "name: Ana Silva\n", "name: Ana Silva\nred_flags: [cauda_equina_signs]\n"
    )
    write(project, "profiles/ana-silva.yaml", flagged)
    output = plan_command(project)
    assert "RED FLAGS" in output
    assert "Ready for" not in output and "clinician decides" not in output
    assert json.loads(plan_command(project, "--json"))["readiness"] is None


def test_plan_json_has_the_readiness(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", ANA_READY)
    readiness = json.loads(plan_command(project, "--json"))["readiness"]
    assert readiness["verdict"] == "ready"
    assert (readiness["phase"], readiness["next_phase"]) == (2, 3)
    assert readiness["summary"] == "Looks ready: all 3 measurable criteria are met."
    assert readiness["assessment_date"] == "2026-09-02"
    assert readiness["previous_assessment_date"] is None
    assert readiness["counts"] == {
        "measurable": 3,
        "met": 3,
        "not_met": 0,
        "not_measured": 0,
        "judge": 1,
    }
    assert readiness["criteria"][0] == {
        "text": "You can sit for 45 minutes in comfort.",
        "measure": "sitting_min",
        "at_least": 45,
        "at_most": None,
        "status": "met",
        "value": 50,
        "previous": None,
        "changed": False,
    }
    assert [c["status"] for c in readiness["criteria"]] == ["met", "met", "met", "judge"]
    assert readiness["criteria"][3]["measure"] is None


def test_plan_json_is_the_same_bytes_every_time(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", ANA_READY)
    assert plan_command(project, "--json") == plan_command(project, "--json")
    profile = PROJECT.profiles["amara-okonkwo"]
    plan = build_plan(profile, LIBRARY, DEFAULTS)
    assert plan_json_text(plan, phase_readiness(profile, LIBRARY)) == plan_json_text(
        plan, phase_readiness(profile, LIBRARY)
    )


def test_the_views_work_without_a_readiness() -> None:
    profile = PROJECT.profiles["maria-lopez"]
    plan = build_plan(profile, LIBRARY, DEFAULTS)
    assert plan_json(plan)["readiness"] is None
    assert "Ready for" not in plan_text(plan, LIBRARY)
    assert "Ready for phase 4?" in plan_text(plan, LIBRARY, phase_readiness(profile, LIBRARY))
