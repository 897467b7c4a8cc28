"""The caseload audit: a plan measured as the reviewing physiotherapist counted it, and
`movebook audit` over the sample caseload."""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import GOOD_PROFILE, REPO, write
from movebook.audit import (
    audit_profile,
    library_per_week,
    low_volume,
    marked_side_only,
    off_library,
    plan_metrics,
    summarize,
)
from movebook.cli import main
from movebook.model import Exercise
from movebook.plan import Plan, PlannedDose, PlannedExercise, Session, build_plan
from movebook.project import load_project

PROJECT = load_project(REPO)
LIBRARY = PROJECT.library
EQUIPMENT = PROJECT.config.defaults.equipment
MAIN_DAYS = ("main", "morning", "midday")
OTHER_DAYS = ("morning", "midday")


def planned(
    exercise_id: str, per_side: bool = False, exercise: Exercise | None = None
) -> PlannedExercise:
    dose = PlannedDose(
        sets=1,
        reps=8,
        hold_s=None,
        tempo=None,
        minutes=None,
        rest_s=0,
        per_day=None,
        per_week=None,
        per_side=per_side,
    )
    return PlannedExercise(
        exercise=exercise or LIBRARY.exercises[exercise_id],
        dose=dose,
        addresses=(),
        rehearses=(),
        side=None,
        note=None,
    )


def a_plan(*sessions: Session, rhythm: tuple[tuple[str, ...], ...], phase: int = 2) -> Plan:
    return Plan(
        profile="ana-silva",
        assessment_date="2026-09-02",
        phase=phase,
        red_flags=(),
        sessions=sessions,
        phases=(),
        unaddressed_findings=(),
        unaddressed_goals=(),
        weekly_rhythm=rhythm,
    )


MAIN = Session(
    "main", (planned("bird-dog"), planned("sit-to-stand"), planned("glute-bridge")), per_week=3
)
MORNING = Session("morning", (planned("cat-camel"), planned("wall-slides")), per_day=1)
MIDDAY = Session("midday", (planned("sit-to-stand"), planned("wall-slides")), per_day=3)
# Main sessions on Monday, Wednesday and Friday; the rituals every day.
RHYTHM = (MAIN_DAYS, OTHER_DAYS, MAIN_DAYS, OTHER_DAYS, MAIN_DAYS, OTHER_DAYS, OTHER_DAYS)
PLAN = a_plan(MAIN, MORNING, MIDDAY, rhythm=RHYTHM)


def test_a_day_counts_each_session_as_often_as_it_is_done_that_day() -> None:
    metrics = plan_metrics(PLAN)
    monday, tuesday = metrics.days[0], metrics.days[1]
    assert monday.exercises == {
        "bird-dog",
        "sit-to-stand",
        "glute-bridge",
        "cat-camel",
        "wall-slides",
    }
    assert tuesday.exercises == {"cat-camel", "wall-slides", "sit-to-stand"}
    assert monday.minutes == MAIN.minutes + MORNING.minutes + 3 * MIDDAY.minutes
    assert tuesday.minutes == MORNING.minutes + 3 * MIDDAY.minutes
    assert (monday.sessions, tuesday.sessions) == (5, 4)


def test_the_week_is_the_extremes_and_the_sum_of_its_days() -> None:
    metrics = plan_metrics(PLAN)
    main_day = MAIN.minutes + MORNING.minutes + 3 * MIDDAY.minutes
    other_day = MORNING.minutes + 3 * MIDDAY.minutes
    assert metrics.max_distinct_per_day == 5
    assert (metrics.min_minutes_per_day, metrics.max_minutes_per_day) == (other_day, main_day)
    assert metrics.minutes_per_week == 3 * main_day + 4 * other_day
    assert metrics.max_sessions_per_day == 5


def test_exposures_count_every_session_an_exercise_is_in() -> None:
    metrics = plan_metrics(PLAN)
    assert metrics.exposures_per_week == {
        "bird-dog": 3,
        "glute-bridge": 3,
        "sit-to-stand": 3 + 21,
        "cat-camel": 7,
        "wall-slides": 7 + 21,
    }


def test_dose_ratio_is_exposures_over_the_library_weekly_dose_for_the_phase() -> None:
    metrics = plan_metrics(PLAN)
    sit_to_stand = LIBRARY.exercises["sit-to-stand"]  # phase 2: once a day; phase 3: 4x a week
    assert library_per_week(sit_to_stand, 2) == 7
    assert library_per_week(sit_to_stand, 3) == 4
    assert metrics.dose_ratios["sit-to-stand"] == pytest.approx(24 / 7)
    for name, ratio in metrics.dose_ratios.items():
        exposures = metrics.exposures_per_week[name]
        assert ratio == pytest.approx(exposures / library_per_week(LIBRARY.exercises[name], 2))


def test_volume_is_sets_times_reps_times_exposures_over_the_library_s() -> None:
    """A ritual's one set of 8, done as often as the library says, is less work than the
    library's sets: the audit sees it (the review's desk break at a quarter of its work)."""
    metrics = plan_metrics(PLAN)
    bird_dog = LIBRARY.exercises["bird-dog"]
    dose = bird_dog.meta.dose[2]  # every planned dose here is 1 x 8
    library_work = dose.sets * (dose.reps or 1) * library_per_week(bird_dog, 2)
    assert metrics.volume_ratios["bird-dog"] == pytest.approx(3 * 8 / library_work)
    assert metrics.volume_ratios["bird-dog"] < metrics.dose_ratios["bird-dog"]  # 2 sets a time
    assert set(low_volume(metrics)) == {
        name for name, ratio in metrics.volume_ratios.items() if ratio < 0.5
    }
    assert "bird-dog" not in low_volume(metrics, clinician_dosed={"bird-dog"})


def test_a_phase_without_its_own_dose_takes_the_nearest_earlier_one() -> None:
    walking = LIBRARY.exercises["walking-program"]
    defined = {phase: library_per_week(walking, phase) for phase in walking.meta.dose}
    assert defined == {1: 14, 2: 14, 3: 7, 4: 4}


def test_off_library_is_beyond_twice_or_under_half_the_library_and_spares_clinician_doses() -> None:
    metrics = plan_metrics(PLAN)
    beyond = {name for name, ratio in metrics.dose_ratios.items() if ratio > 2 or ratio < 0.5}
    assert beyond, "the plan has doses off the library to find"
    assert set(off_library(metrics)) == beyond
    assert set(off_library(metrics, clinician_dosed={"sit-to-stand"})) == beyond - {"sit-to-stand"}


def test_a_marked_side_only_drill_dosed_each_side_is_reported() -> None:
    glide = LIBRARY.exercises["wall-side-glide"]
    marked = dataclasses.replace(
        glide, meta=glide.meta.model_copy(update={"marked_side_only": True})
    )
    assert marked_side_only(marked)
    session = Session(
        "main",
        (
            planned("wall-side-glide", per_side=True, exercise=marked),
            planned("single-leg-stance", per_side=True),  # sided, not directional
        ),
        per_week=3,
    )
    metrics = plan_metrics(a_plan(session, rhythm=(("main",),) * 7))
    assert metrics.each_side_marked == ("wall-side-glide",)
    one_side = Session("main", (planned("wall-side-glide", exercise=marked),), per_week=3)
    assert plan_metrics(a_plan(one_side, rhythm=(("main",),) * 7)).each_side_marked == ()


def test_a_blocked_plan_measures_nothing() -> None:
    blocked = dataclasses.replace(
        a_plan(rhythm=()), red_flags=(("fever", LIBRARY.vocabulary.red_flags["fever"]),)
    )
    metrics = plan_metrics(blocked)
    assert len(metrics.days) == 7
    assert (metrics.max_distinct_per_day, metrics.max_minutes_per_day) == (0, 0)
    assert (metrics.minutes_per_week, metrics.max_sessions_per_day) == (0, 0)
    assert metrics.dose_ratios == {}


def test_the_summary_budgets_minutes_a_day_in_phases_1_to_3_and_a_week_in_phase_4() -> None:
    maintenance = a_plan(
        Session("main", MAIN.exercises, per_week=3),
        rhythm=(("main",), (), ("main",), (), ("main",), (), ()),
        phase=4,
    )
    profile = PROJECT.profiles["maria-lopez"]
    audits = [audit_profile(profile, PLAN), audit_profile(profile, maintenance)]
    summary = summarize(audits)
    daily = plan_metrics(PLAN)
    assert (summary.min_minutes_per_day, summary.max_minutes_per_day) == (
        daily.min_minutes_per_day,
        daily.max_minutes_per_day,
    )
    assert summary.max_minutes_per_week == 3 * MAIN.minutes
    assert summary.max_distinct_per_day == 5
    assert (summary.profiles, summary.blocked) == (2, 0)


# --- `movebook audit` over the sample caseload ------------------------------------------


AUDITS = {
    name: audit_profile(profile, build_plan(profile, LIBRARY, EQUIPMENT))
    for name, profile in PROJECT.profiles.items()
}


def test_audit_json_has_every_profile_with_the_numbers_of_its_metrics() -> None:
    result = CliRunner().invoke(main, ["audit", "--json", "--project", str(REPO)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [row["profile"] for row in data["profiles"]] == sorted(PROJECT.profiles)
    for row in data["profiles"]:
        profile = PROJECT.profiles[row["profile"]]
        expected = AUDITS[profile.id]
        assert row["phase"] == profile.latest.phase
        assert row["precautions"] == list(profile.precautions)
        assert row["blocked"] == bool(profile.red_flags)
        if row["blocked"]:
            assert row["red_flags"] == list(profile.red_flags)
            assert "minutes_per_week" not in row
            continue
        metrics = expected.metrics
        assert row["max_distinct_per_day"] == metrics.max_distinct_per_day
        assert row["min_minutes_per_day"] == metrics.min_minutes_per_day
        assert row["max_minutes_per_day"] == metrics.max_minutes_per_day
        assert row["minutes_per_week"] == metrics.minutes_per_week
        assert row["max_sessions_per_day"] == metrics.max_sessions_per_day
        assert row["exposures_per_week"] == metrics.exposures_per_week
        assert row["off_library"] == list(expected.off_library)
        assert row["low_volume"] == list(expected.low_volume)
        assert row["days"][0]["day"] == "Monday"
        assert [day["minutes"] for day in row["days"]] == [d.minutes for d in metrics.days]
    assert data["summary"] == dataclasses.asdict(summarize(list(AUDITS.values())))
    assert data["summary"]["blocked"] == 1


def test_audit_prints_a_header_a_line_per_profile_and_a_summary() -> None:
    result = CliRunner().invoke(main, ["audit", "--project", str(REPO)])
    assert result.exit_code == 0, result.output
    header, *rows, summary_line = result.output.splitlines()
    assert header.split() == [
        "profile",
        "phase",
        "exercises/day",
        "min/day",
        "min/week",
        "in-day-min",
        "sessions/day",
        "off-library",
        "low-volume",
        "precautions",
    ]
    assert [row.split()[0] for row in rows] == sorted(PROJECT.profiles)
    for row in rows:
        profile = PROJECT.profiles[row.split()[0]]
        audit = AUDITS[profile.id]
        metrics = audit.metrics
        if audit.blocked:
            assert row.split(None, 2)[1:] == [
                str(audit.phase),
                f"blocked by red flags: {', '.join(profile.red_flags)}",
            ]
            continue
        assert row.split(None, 9) == [
            profile.id,
            str(audit.phase),
            str(metrics.max_distinct_per_day),
            f"{metrics.min_minutes_per_day}-{metrics.max_minutes_per_day}",
            str(metrics.minutes_per_week),
            str(metrics.practice_minutes_per_day),
            str(metrics.max_sessions_per_day),
            str(len(audit.off_library)),
            str(len(audit.low_volume)),
            ", ".join(profile.precautions) or "-",
        ]
    summary = summarize(list(AUDITS.values()))
    assert summary_line == (
        f"{summary.profiles} profiles, 1 blocked: "
        f"up to {summary.max_distinct_per_day} exercises and "
        f"{summary.max_sessions_per_day} sessions a day; "
        f"phases 1-3 {summary.min_minutes_per_day}-{summary.max_minutes_per_day} minutes a day; "
        f"phase 4 up to {summary.max_minutes_per_week} minutes a week; "
        f"{summary.off_library} doses off the library in {summary.plans_off_library} "
        f"of {summary.profiles - 1} plans"
    )


def test_audit_of_a_broken_project_is_its_problems_one_a_line(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE.replace("phase: 1", "phase: 7"))
    result = CliRunner().invoke(main, ["audit", "--project", str(project)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "profiles/ana-silva.yaml:5: assessments[0].phase: expected 1-4, got 7"
    ]


# --- scripts/caseload.py -----------------------------------------------------------------


def caseload(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "caseload.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_generated_caseload_of_200_passes_check_and_varies_as_a_clinic_s_does(
    project: Path,
) -> None:
    result = caseload("--count", "200", "--seed", "1", "--out", str(project / "profiles"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote 200 profiles to {project / 'profiles'}\n"
    checked = subprocess.run(
        [sys.executable, "-m", "movebook", "check", "--project", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    # a generated include may make a day too long: a clinician check's warning, not an error
    assert all(
        line.startswith("warning: profiles/") and ".overrides.include[" in line
        for line in checked.stderr.splitlines()
    )
    assert checked.stdout.startswith("200 profiles, ")
    assert ": no errors" in checked.stdout

    profiles = list(load_project(project).profiles.values())
    assessments = [a for p in profiles for a in p.assessments]
    moves = {b.phase - a.phase for p in profiles for a, b in itertools.pairwise(p.assessments)}
    pains = {
        (b.measures.nprs or 0) - (a.measures.nprs or 0)
        for p in profiles
        for a, b in itertools.pairwise(p.assessments)
    }
    vocabulary = LIBRARY.vocabulary
    assert {p.latest.phase for p in profiles} == {1, 2, 3, 4}
    assert {len(p.assessments) for p in profiles} == {1, 2, 3, 4}
    assert {-1, 0, 1} <= moves
    assert min(pains) < 0 < max(pains), "measures improve and worsen"
    assert {a.signature.directional_preference for a in assessments} == set(vocabulary.directions)
    assert {f.id for a in assessments for f in a.signature.findings} == set(vocabulary.findings)
    assert {f.side for a in assessments for f in a.signature.findings} == {
        "left",
        "right",
        "both",
        None,
    }
    assert {name for p in profiles for name in p.precautions} == set(vocabulary.precautions)
    assert {g.task for a in assessments for g in a.goals} == set(vocabulary.tasks)
    assert [p for p in profiles if p.equipment == ["chair"]], "chair-only homes"
    assert [p for p in profiles if p.equipment is None], "the clinic's default equipment"
    for kind in ("include", "exclude", "dose", "notes"):
        assert [a for a in assessments if getattr(a.overrides, kind)], kind
    assert 0 < len([p for p in profiles if p.red_flags]) < 20
    assert [a for a in assessments if a.tolerances.sitting_min is not None]
    assert [a for a in assessments if a.measures.psfs]


def test_the_same_seed_writes_the_same_bytes_and_another_seed_others(tmp_path: Path) -> None:
    for name, seed in (("one", "7"), ("again", "7"), ("other", "8")):
        assert (
            caseload("--count", "5", "--seed", seed, "--out", str(tmp_path / name)).returncode == 0
        )
    files = {name: sorted((tmp_path / name).iterdir()) for name in ("one", "again", "other")}
    assert [p.name for p in files["one"]] == [f"case-000{n}.yaml" for n in range(1, 6)]
    texts = {name: [p.read_text() for p in paths] for name, paths in files.items()}
    assert texts["one"] == texts["again"]
    assert texts["one"] != texts["other"]


def test_a_clinic_s_own_vocabulary_is_drawn_from(project: Path) -> None:
    findings = project / "content" / "vocabulary" / "findings.yaml"
    findings.write_text(
        findings.read_text() + "desk_slump:\n  label: Slumps at the desk\n", encoding="utf-8"
    )
    result = caseload(
        "--count",
        "60",
        "--seed",
        "1",
        "--out",
        str(project / "profiles"),
        "--project",
        str(project),
    )
    assert result.returncode == 0, result.stderr
    profiles = load_project(project).profiles.values()
    assert [
        p
        for p in profiles
        for a in p.assessments
        for f in a.signature.findings
        if f.id == "desk_slump"
    ]


def test_caseload_never_writes_over_a_profile(project: Path) -> None:
    mine = write(project, "profiles/case-0002.yaml", GOOD_PROFILE)
    result = caseload("--count", "3", "--seed", "1", "--out", str(project / "profiles"))
    assert result.returncode == 1
    assert result.stderr == f"{mine}: expected a new file, got one already there\n"
    assert sorted(p.name for p in (project / "profiles").iterdir()) == ["case-0002.yaml"]
    assert mine.read_text() == textwrap.dedent(GOOD_PROFILE)


def test_caseload_from_a_broken_library_is_its_problems_one_a_line(project: Path) -> None:
    findings = project / "content" / "vocabulary" / "findings.yaml"
    line = len(findings.read_text().splitlines()) + 1
    findings.write_text(
        findings.read_text() + "desk_slump: {lable: Desk slump}\n", encoding="utf-8"
    )
    out = project / "out"
    result = caseload("--count", "3", "--seed", "1", "--out", str(out), "--project", str(project))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"content/vocabulary/findings.yaml:{line}: desk_slump.label: expected a value (required), "
        "got nothing",
        f"content/vocabulary/findings.yaml:{line}: desk_slump.lable: expected a known key, "
        "got 'lable' (did you mean 'label'?)",
    ]
    assert not out.exists()
