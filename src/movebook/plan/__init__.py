"""Stage 3, plan: from a profile and the library to a phased, dosed plan. Pure and deterministic.

A plan is a small portfolio of exercises that matter (DOMAIN.md 3-4): a main session of four to
six, daily rituals that reuse them in micro-doses plus what a ritual's purpose needs, every
exercise done about as often a week as the library doses it, and the day inside a time budget.
At a reassessment the plan starts from the last one: what still fits stays, or moves one step on.

This module holds the public API and build_plan(s), which put the parts together: model (the
dataclasses and constants), dose, selection (why_not, the main session), rituals, day (budget,
rhythms, the maintenance routine) and continuity (the carried-on plan, later phases). Each
imports only those before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from movebook.model import URGENCIES, Assessment, Budget, Library, Profile
from movebook.notes import MORNING, read_note
from movebook.plan.continuity import _continuity, _phases, worse
from movebook.plan.day import WORKING_DAY_MINUTES, _day, _main_days, _maintenance, _weekly_rhythm
from movebook.plan.dose import (
    ROUND_SECONDS,
    _planned,
    _sided_if_marked,
    phase_dose,
    plan_dose,
    weekly_dose,
)
from movebook.plan.model import (
    BUDGET,
    CAPACITY_BLOCKS,
    MAIN_DAYS,
    PRACTICE,
    RITUAL_FILL,
    RITUAL_SLACK,
    SECONDS_BETWEEN_EXERCISES,
    SECONDS_PER_BREATH,
    SECONDS_PER_REP,
    SETTLE_BLOCK,
    SETTLE_SECONDS,
    SHIFT,
    SHORTEST_MINUTES,
    TASK_BLOCK,
    Patient,
    PhaseStep,
    Plan,
    PlannedDose,
    PlannedExercise,
    Session,
    patient_of,
)
from movebook.plan.rituals import _gets_up
from movebook.plan.selection import (
    _best,
    _Choosing,
    _Cover,
    _main_session,
    _practice,
    _ritual_goals,
    _sports,
    _turns,
    _unaddressed,
    why_not,
)

__all__ = [
    "BUDGET",
    "CAPACITY_BLOCKS",
    "MAIN_DAYS",
    "PRACTICE",
    "RITUAL_FILL",
    "RITUAL_SLACK",
    "ROUND_SECONDS",
    "SECONDS_BETWEEN_EXERCISES",
    "SECONDS_PER_BREATH",
    "SECONDS_PER_REP",
    "SETTLE_BLOCK",
    "SETTLE_SECONDS",
    "SHIFT",
    "SHORTEST_MINUTES",
    "TASK_BLOCK",
    "WORKING_DAY_MINUTES",
    "Patient",
    "PhaseStep",
    "Plan",
    "PlannedDose",
    "PlannedExercise",
    "Session",
    "build_plan",
    "build_plans",
    "patient_of",
    "phase_dose",
    "plan_dose",
    "weekly_dose",
    "why_not",
    "worse",
]


def build_plan(
    profile: Profile,
    library: Library,
    default_equipment: Sequence[str],
    budget: Budget = BUDGET,
) -> Plan:
    """The plan for the profile's latest assessment, continuing the plans before it."""
    return build_plans(profile, library, default_equipment, budget)[-1]


def build_plans(
    profile: Profile,
    library: Library,
    default_equipment: Sequence[str],
    budget: Budget = BUDGET,
) -> list[Plan]:
    """The plan of every assessment, oldest first: each starts from the one before."""
    plans: list[Plan] = []
    for index in range(len(profile.assessments)):
        before = plans[-1] if plans else None
        previous = profile.assessments[index - 1] if index else None
        patient = patient_of(profile, library, default_equipment, at=index)
        plans.append(_plan(profile, library, patient, before, previous, budget))
    return plans


def _plan(
    profile: Profile,
    library: Library,
    patient: Patient,
    before: Plan | None,
    previous: Assessment | None,
    budget: Budget,
) -> Plan:
    assessment = patient.assessment
    precautions = tuple(
        (name, library.vocabulary.precautions[name])
        for name in profile.precautions
        if name in library.vocabulary.precautions
    )
    if profile.red_flags:
        return Plan(
            profile=profile.id,
            assessment_date=assessment.date.isoformat(),
            phase=assessment.phase,
            red_flags=tuple(  # the most urgent first: the booklet leads with its action
                sorted(
                    ((flag, library.vocabulary.red_flags[flag]) for flag in profile.red_flags),
                    key=lambda item: URGENCIES.index(item[1].urgency),
                )
            ),
            sessions=(),
            phases=(),
            unaddressed_findings=(),
            unaddressed_goals=(),
            precautions=precautions,
        )

    reading = read_note(assessment.notes, library)
    excluded = set(assessment.overrides.exclude) | reading.stops
    eligible = tuple(
        e
        for e in library.exercises.values()
        if e.id not in excluded
        and not why_not(e, patient, library)
        and _sided_if_marked(e, patient)
        and not set(e.meta.spine) & reading.avoid  # "hold off bending forward"
    )
    allowed = {e.id for e in eligible}
    asked = {ask.exercise: ask.timing for ask in reading.asks if ask.exercise in allowed}
    patient = replace(patient, asked=asked)
    for region in reading.regions:  # "your upper back and left hip, every morning"
        working = [e for e in eligible if region.worked_by(e, patient.findings)]
        if any(e.id in asked for e in working):
            continue
        working = [e for e in working if not e.meta.activity]
        if region.turning:  # "the turning your upper back and hip should share"
            working = [e for e in working if _turns(e)] or working
        if region.timing and region.timing.moment:  # in the morning: what the ritual can hold
            working = [e for e in working if MORNING in e.meta.rituals] or working
        region_pick = _best(working, _Choosing(patient, library, eligible, frozenset(),
                                          frozenset(), budget), _Cover.of(patient))  # fmt: skip
        if region_pick is not None:
            asked[region_pick.id] = region.timing
    patient = replace(patient, asked=asked)
    kept, avoid = _continuity(before, previous, patient, library, eligible)
    choosing = _Choosing(
        patient, library, eligible, kept, avoid, budget, _main_days(reading, patient.phase)
    )
    cover = _Cover.of(patient)
    dropped: list[tuple[str, str]] = []
    practice = _practice(choosing, cover)
    daily = _ritual_goals(choosing, cover)
    # The main session leaves room in the day's distinct exercises for the day's practice,
    # its goals' daily drills and the move out of bed.
    getting_up = any(_gets_up(e, patient) for e in eligible)
    ordinary = [p for p in practice if not p.exercise.meta.occasion]  # not on its occasion
    reserved = len(ordinary) + len(daily) + int(getting_up)
    main_max = max(budget.main_min, min(budget.main_max, budget.distinct_max - reserved))
    main = _main_session(
        replace(choosing, budget=budget.model_copy(update={"main_max": main_max})),
        cover,
        {e.id for e in daily},
    )
    if patient.phase >= 4:  # no rituals in phase 4: the desk break is part of the working day
        practice += [_planned(e, patient) for e in daily]
        daily = []
    if patient.phase >= 4:
        sessions = _maintenance(main, choosing, dropped)
    else:
        sessions = _day(main, choosing, cover, dropped, practice, daily)
    if practice:
        sessions.append(Session(PRACTICE, tuple(practice)))
    chosen = [p.exercise for p in sessions[0].exercises]
    chosen += [p.exercise for s in sessions[1:] for p in s.exercises if p.exercise not in chosen]
    final_cover = _Cover.of(patient)
    for exercise in chosen:
        final_cover.add(exercise)
    sport = _sports(library)
    return Plan(
        profile=profile.id,
        assessment_date=assessment.date.isoformat(),
        phase=assessment.phase,
        red_flags=(),
        sessions=tuple(sessions),
        phases=_phases(choosing, chosen),
        unaddressed_findings=_unaddressed(
            patient.findings, final_cover.findings, "finding", library, patient
        ),
        unaddressed_goals=_unaddressed(
            dict.fromkeys(patient.tasks), final_cover.tasks, "task", library, patient
        ),
        weekly_rhythm=_weekly_rhythm(sessions),
        precautions=precautions,
        dropped=tuple(
            (name, why)
            for name, why in dict(reversed(dropped)).items()
            if name not in {e.id for e in chosen}
        ),
        activities=tuple(t for t in patient.tasks if t in sport) if patient.phase >= 4 else (),
    )
