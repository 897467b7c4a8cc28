"""The course of care, planned: the plan of every assessment, what changed from one plan to the
next and why, and each exercise's next step and step back. The last of the plan stage: the
render stage formats what is decided here and decides nothing. Pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from movebook.model import Assessment, Budget, Exercise, Library, Profile
from movebook.notes import read_note
from movebook.plan import (
    BUDGET,
    Patient,
    Plan,
    PlannedDose,
    build_plans,
    patient_of,
    plan_dose,
    why_not,
    worse,
)

# Why an exercise changed between two plans (ExerciseChange.reason).
PHASE = "phase"  # progressed: the patient moved up a phase
BETTER = "better"  # progressed: measures held or improved, and the next step is allowed
WORSE = "worse"  # stepped back: pain or disability went up, or the phase came down
NO_LONGER_FITS = "no_longer_fits"  # a new finding, precaution or phase rules it out
CLINICIAN = "clinician"  # the clinician included, asked for, excluded or stopped it
NEW = "new"  # added: it serves a finding or goal recorded for the first time
SERVES = "serves"  # added: it serves a finding or goal the patient has
RESOLVED = "resolved"  # retired: nothing it served is recorded any more
REPLACED = "replaced"  # retired: what it served is now served by other exercises
BUDGET_CUT = "budget"  # retired: left out to keep the day within its minutes


@dataclass(frozen=True)
class ExerciseChange:
    kind: str  # progressed | stepped_back | added | retired
    before: str | None  # exercise ids
    after: str | None
    reason: str = ""  # one of the reasons above
    serves: str | None = None  # added: the goal task or finding it is for
    goal: bool = False  # `serves` is a goal task (else a finding)


@dataclass(frozen=True)
class Step:
    """An exercise with a page in the booklet: its next step and step back as this patient may
    take them, and the dose it would have now (for a step not yet in the plan)."""

    exercise: Exercise
    next_step: Exercise | None
    step_back: Exercise | None
    dose: PlannedDose


@dataclass(frozen=True)
class Visit:
    """One assessment's plan, with what changed since the one before."""

    assessment: Assessment
    plan: Plan
    steps: Mapping[str, Step]  # every exercise with a page: the plan's and their steps
    changes: tuple[ExerciseChange, ...] = ()  # from the plan before; none for the first

    def next_step(self, exercise: Exercise) -> Exercise | None:
        step = self.steps.get(exercise.id)
        return None if step is None else step.next_step

    def step_back(self, exercise: Exercise) -> Exercise | None:
        step = self.steps.get(exercise.id)
        return None if step is None else step.step_back


def plan_course(
    profile: Profile,
    library: Library,
    default_equipment: Sequence[str],
    budget: Budget = BUDGET,
) -> tuple[Visit, ...]:
    """Every assessment's plan, oldest first, each continuing the one before, with its steps
    and its changes."""
    plans = build_plans(profile, library, default_equipment, budget)
    visits: list[Visit] = []
    for index, (assessment, plan) in enumerate(zip(profile.assessments, plans, strict=True)):
        patient = patient_of(profile, library, default_equipment, at=index)
        changes: tuple[ExerciseChange, ...] = ()
        if index:
            before = profile.assessments[index - 1]
            changes = tuple(changes_between(plans[index - 1], plan, before, patient, library))
        visits.append(Visit(assessment, plan, _steps(plan, patient, library), changes))
    return tuple(visits)


def _steps(plan: Plan, patient: Patient, library: Library) -> dict[str, Step]:
    """A page for every planned exercise and for its next step and step back where this
    patient may take them: the next step in this phase or a later one, the step back in this
    one (a step back the patient may not do today is no help)."""

    def suits(exercise: Exercise, later: bool) -> bool:
        phases = (
            [p for p in exercise.meta.phases if p >= patient.phase] if later else [patient.phase]
        )
        return any(not why_not(exercise, patient, library, p) for p in phases)

    def step(exercise_id: str | None, later: bool) -> Exercise | None:
        exercise = library.exercises.get(exercise_id) if exercise_id else None
        return exercise if exercise is not None and suits(exercise, later) else None

    planned = {p.id: p for p in plan.exercises()}
    pages: dict[str, Step] = {}
    for exercise_id in planned:
        exercise = library.exercises[exercise_id]
        up = step(exercise.meta.progresses_to, later=True)
        down = step(exercise.meta.regresses_to, later=False)
        for page in (exercise, up, down):
            if page is None or page.id in pages:
                continue
            other = page.id
            dose = planned[other].dose if other in planned else plan_dose(page, patient)
            pages[other] = Step(
                page,
                step(page.meta.progresses_to, later=True),
                step(page.meta.regresses_to, later=False),
                dose,
            )
    return pages


def _chain(start: str, library: Library, link: str) -> list[str]:
    """The exercises reached from `start` by following one kind of link, nearest first."""
    seen: list[str] = []
    current = library.exercises.get(start)
    while current is not None:
        following = getattr(current.meta, link)
        if following is None or following in seen or following == start:
            break
        seen.append(following)
        current = library.exercises.get(following)
    return seen


def match_exercises(
    old: Sequence[str], new: Sequence[str], library: Library
) -> list[ExerciseChange]:
    """Exercises that left the plan, matched through the library's progression links to the
    ones that took their place (progressed, or stepped back); the rest added or retired."""
    gone = [e for e in old if e not in new]
    came = [e for e in new if e not in old]
    changes: list[ExerciseChange] = []
    for exercise in list(gone):
        for kind, link in (("progressed", "progresses_to"), ("stepped_back", "regresses_to")):
            match = next((e for e in _chain(exercise, library, link) if e in came), None)
            if match:
                changes.append(ExerciseChange(kind, exercise, match))
                gone.remove(exercise)
                came.remove(match)
                break
    changes += [ExerciseChange("added", None, e) for e in came]
    changes += [ExerciseChange("retired", e, None) for e in gone]
    return changes


def changes_between(
    before: Plan, after: Plan, previous: Assessment, patient: Patient, library: Library
) -> list[ExerciseChange]:
    """What changed from one plan to the next, each with its reason."""
    if before.blocked or after.blocked:
        return []
    now = patient.assessment
    old = [p.id for p in before.exercises()]
    new = {p.id: p for p in after.exercises()}
    clinician = _clinician(now, library)
    found_before = {f.id for f in previous.signature.findings}
    goals_before = {g.task for g in previous.goals}
    dropped = dict(after.dropped)
    served = {t for p in new.values() for t in (*p.addresses, *p.rehearses)}
    reasoned = []
    matched: list[ExerciseChange] = []
    for change in match_exercises(old, list(new), library):
        if change.kind == "stepped_back" and change.before and change.after:
            own = set(library.exercises[change.after].meta.tasks)
            own -= set(library.exercises[change.before].meta.tasks)
            if own & set(patient.tasks):  # the easier drill is there for a goal of its own
                matched.append(ExerciseChange("added", None, change.after))
                matched.append(ExerciseChange("retired", change.before, None))
                continue
        matched.append(change)
    for change in matched:
        gone = library.exercises[change.before] if change.before else None
        reason, serves = "", None
        if change.kind == "progressed":
            reason = PHASE if now.phase > previous.phase else BETTER
        elif change.kind == "stepped_back" and gone is not None:
            if gone.id in clinician or (change.after in clinician):
                reason = CLINICIAN
            elif worse(previous, now):
                reason = WORSE
            else:
                reason = NO_LONGER_FITS if why_not(gone, patient, library) else CLINICIAN
        elif change.kind == "added" and change.after is not None:
            planned = new[change.after]
            fresh = [f for f in planned.addresses if f not in found_before]
            fresh += [t for t in planned.rehearses if t not in goals_before]
            if planned.held:
                reason = CLINICIAN
            elif fresh:
                reason, serves = NEW, fresh[0]
            else:
                reason = SERVES
                serves = next(iter((*planned.rehearses, *planned.addresses)), None)
        elif gone is not None:
            wanted = set(gone.meta.targets) & set(patient.findings)
            wanted |= set(gone.meta.tasks) & set(patient.tasks)
            if gone.id in clinician:
                reason = CLINICIAN
            elif why_not(gone, patient, library):
                reason = NO_LONGER_FITS
            elif gone.id in dropped:
                reason = BUDGET_CUT
            elif not wanted:
                reason = RESOLVED
            else:
                reason = REPLACED if wanted <= served else BUDGET_CUT
        goal = serves is not None and serves in patient.tasks
        reasoned.append(
            ExerciseChange(change.kind, change.before, change.after, reason, serves, goal)
        )
    return reasoned


def _clinician(assessment: Assessment, library: Library) -> set[str]:
    """The exercises the clinician named in this assessment: included, excluded, asked for or
    stopped in the note."""
    reading = read_note(assessment.notes, library)
    overrides = assessment.overrides
    asked = {ask.exercise for ask in reading.asks}
    return {*overrides.include, *overrides.exclude, *asked, *reading.stops}
