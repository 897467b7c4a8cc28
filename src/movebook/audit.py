"""The audit: what a plan asks of a patient each day and each week, counted as a clinician
counts it (distinct exercises a day, minutes, sessions, doses against the library's). Pure."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from movebook.model import Exercise, Profile
from movebook.plan import PRACTICE, Plan, PlannedExercise, Session, phase_dose, weekly_dose

# A weekly dose this far from the library's for the phase is off the library.
DOSE_RATIO_LOW = 0.5
DOSE_RATIO_HIGH = 2.0
WEEK = 7
MAINTENANCE_PHASE = 4  # the last phase: one short routine a few times a week


@dataclass(frozen=True)
class DayLoad:
    """One day of the week: the distinct exercises done, the minutes, the sessions."""

    exercises: frozenset[str]
    minutes: int  # in sessions: the activities practised within the day are not counted
    sessions: int
    practice_minutes: int = 0  # the walk, the standing practice: the patient's own activity


@dataclass(frozen=True)
class PlanMetrics:
    """A plan's load on the patient, day by day and over the week."""

    days: tuple[DayLoad, ...]  # Monday .. Sunday
    max_distinct_per_day: int
    max_minutes_per_day: int
    min_minutes_per_day: int
    minutes_per_week: int
    max_sessions_per_day: int
    practice_minutes_per_day: int  # the activities practised within the day, at most
    exposures_per_week: dict[str, int]  # times each exercise is done a week, in every session
    dose_ratios: dict[str, float]  # exposures a week / the library's weekly dose for the phase
    # the work a week (sets x reps, or x minutes, each time) / the library's: a micro-dose
    # done as often as the library says is still less work
    volume_ratios: dict[str, float]
    each_side_marked: tuple[str, ...]  # marked-side-only exercises dosed "each side"


def library_per_week(exercise: Exercise, phase: int) -> int:
    """How often a week the library doses an exercise in a phase."""
    return weekly_dose(exercise, phase)


def marked_side_only(exercise: Exercise) -> bool:
    """A directional drill, done on the side the clinician marks and never on both."""
    return exercise.meta.marked_side_only


def times_a_day(plan: Plan) -> list[Counter[str]]:
    """For each day, Monday first, how many times each session is done: once for each time
    the weekly rhythm lists it, times its `per_day`."""
    sessions = {session.id: session for session in plan.sessions}
    days: list[Counter[str]] = []
    for day in range(WEEK):
        ids = plan.weekly_rhythm[day] if day < len(plan.weekly_rhythm) else ()
        count: Counter[str] = Counter()
        for session_id in ids:
            session = sessions.get(session_id)
            if session is not None:
                count[session_id] += session.per_day or 1
        days.append(count)
    return days


def _day(counts: Counter[str], sessions: dict[str, Session]) -> DayLoad:
    timed = {name: times for name, times in counts.items() if name != PRACTICE}
    practice = sessions[PRACTICE].exercises if PRACTICE in counts else ()
    return DayLoad(
        exercises=frozenset(  # what is bound to an occasion is not in an ordinary day
            p.id
            for name in counts
            for p in sessions[name].exercises
            if not p.exercise.meta.occasion
        ),
        minutes=sum(sessions[name].minutes * times for name, times in timed.items()),
        sessions=sum(timed.values()),
        practice_minutes=sum(_practice_minutes(p) for p in practice),
    )


def _practice_minutes(planned: PlannedExercise) -> int:
    """An activity's minutes on a day it is done: each time, times how often that day; one
    bound to an occasion (a long journey) is not part of an ordinary day."""
    if planned.exercise.meta.occasion:
        return 0
    each = math.ceil(planned.dose.seconds / 60)
    return each * (planned.dose.per_day or 1)


def _per_week(planned: PlannedExercise) -> int:
    dose = planned.dose
    return dose.per_week if dose.per_week is not None else WEEK * (dose.per_day or 1)


def plan_metrics(plan: Plan) -> PlanMetrics:
    """Measure a plan; a blocked plan (red flags) measures all zeros."""
    sessions = {session.id: session for session in plan.sessions}
    week = times_a_day(plan)
    days = tuple(_day(counts, sessions) for counts in week)
    weekly: Counter[str] = Counter()
    for counts in week:
        weekly.update(counts)
    exposures: Counter[str] = Counter()
    volumes: Counter[str] = Counter()
    exercises: dict[str, Exercise] = {}
    each_side: list[str] = []
    for session in plan.sessions:
        for planned in session.exercises:
            if session.id == PRACTICE and planned.exercise.meta.occasion:
                continue  # done on its occasion: no weekly count to hold to the library's
            # each activity keeps its own rhythm
            times = _per_week(planned) if session.id == PRACTICE else weekly[session.id]
            exposures[planned.id] += times
            dose = planned.dose
            volumes[planned.id] += times * _work(dose.sets, dose.reps, dose.minutes)
            exercises[planned.id] = planned.exercise
            if planned.dose.per_side and marked_side_only(planned.exercise):
                each_side.append(planned.id)
    ratios = {
        name: times / library_per_week(exercises[name], plan.phase)
        for name, times in exposures.items()
    }
    volume_ratios = {
        name: work / (_library_work(exercises[name], plan.phase)) for name, work in volumes.items()
    }
    minutes = [day.minutes for day in days]
    return PlanMetrics(
        days=days,
        max_distinct_per_day=max(len(day.exercises) for day in days),
        max_minutes_per_day=max(minutes),
        min_minutes_per_day=min(minutes),
        minutes_per_week=sum(minutes),
        max_sessions_per_day=max(day.sessions for day in days),
        practice_minutes_per_day=max(day.practice_minutes for day in days),
        exposures_per_week=dict(exposures),
        dose_ratios=ratios,
        volume_ratios=volume_ratios,
        each_side_marked=tuple(dict.fromkeys(each_side)),
    )


def _work(sets: int, reps: int | None, minutes: int | None) -> int:
    """One time's work: sets times reps (or minutes); a hold alone counts a set as one."""
    return sets * (minutes or reps or 1)


def _library_work(exercise: Exercise, phase: int) -> int:
    """The library's work a week for the phase."""
    dose = phase_dose(exercise, phase)
    return _work(dose.sets, dose.reps, dose.minutes) * library_per_week(exercise, phase)


def low_volume(metrics: PlanMetrics, clinician_dosed: Collection[str] = ()) -> tuple[str, ...]:
    """Exercises done with less than half the library's work a week (sets x reps x times),
    however often: a clinician's own dose aside."""
    return tuple(
        name
        for name, ratio in metrics.volume_ratios.items()
        if name not in clinician_dosed and ratio < DOSE_RATIO_LOW
    )


def off_library(metrics: PlanMetrics, clinician_dosed: Collection[str] = ()) -> tuple[str, ...]:
    """Exercises done more than twice, or less than half, as often as the library doses them
    for the phase; a clinician's own dose is theirs to set, so it is left out."""
    return tuple(
        name
        for name, ratio in metrics.dose_ratios.items()
        if name not in clinician_dosed and not DOSE_RATIO_LOW <= ratio <= DOSE_RATIO_HIGH
    )


@dataclass(frozen=True)
class ProfileAudit:
    """One patient's line in the caseload audit."""

    profile: str
    phase: int
    precautions: tuple[str, ...]
    red_flags: tuple[str, ...]  # any: the plan is blocked, there is nothing to measure
    metrics: PlanMetrics
    off_library: tuple[str, ...]
    low_volume: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return bool(self.red_flags)


def audit_profile(profile: Profile, plan: Plan) -> ProfileAudit:
    """Audit the plan of a profile's latest assessment."""
    metrics = plan_metrics(plan)
    return ProfileAudit(
        profile=profile.id,
        phase=plan.phase,
        precautions=tuple(profile.precautions),
        red_flags=tuple(name for name, _ in plan.red_flags),
        metrics=metrics,
        off_library=off_library(metrics, profile.latest.overrides.dose),
        low_volume=low_volume(metrics, profile.latest.overrides.dose),
    )


@dataclass(frozen=True)
class CaseloadSummary:
    """The whole caseload at a glance: the extremes over every plan that is not blocked, the
    minutes a day over phases 1-3 and a week over phase 4 (maintenance), as the model sets
    its time budget."""

    profiles: int
    blocked: int
    max_distinct_per_day: int
    max_sessions_per_day: int
    min_minutes_per_day: int  # phases 1-3
    max_minutes_per_day: int  # phases 1-3
    max_minutes_per_week: int  # phase 4
    off_library: int  # exercises, over every plan
    plans_off_library: int


def summarize(audits: Sequence[ProfileAudit]) -> CaseloadSummary:
    planned = [audit for audit in audits if not audit.blocked]
    daily = [audit.metrics for audit in planned if audit.phase < MAINTENANCE_PHASE]
    weekly = [audit.metrics for audit in planned if audit.phase == MAINTENANCE_PHASE]
    return CaseloadSummary(
        profiles=len(audits),
        blocked=len(audits) - len(planned),
        max_distinct_per_day=max((a.metrics.max_distinct_per_day for a in planned), default=0),
        max_sessions_per_day=max((a.metrics.max_sessions_per_day for a in planned), default=0),
        min_minutes_per_day=min((m.min_minutes_per_day for m in daily), default=0),
        max_minutes_per_day=max((m.max_minutes_per_day for m in daily), default=0),
        max_minutes_per_week=max((m.minutes_per_week for m in weekly), default=0),
        off_library=sum(len(audit.off_library) for audit in planned),
        plans_off_library=sum(1 for audit in planned if audit.off_library),
    )
