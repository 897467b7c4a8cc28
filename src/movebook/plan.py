"""Stage 3, plan: from a profile and the library to a phased, dosed plan. Pure and deterministic."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from movebook.model import (
    Assessment,
    Criterion,
    Dose,
    Exercise,
    Library,
    Profile,
    RedFlagDef,
    Ritual,
)

MAIN_SESSION_MIN = 4
MAIN_SESSION_MAX = 6
SECONDS_PER_REP = 4  # a rep with no tempo given: about four unhurried seconds
SECONDS_BETWEEN_EXERCISES = 20


@dataclass(frozen=True)
class PlannedDose:
    """An exercise's dose for this patient, with the reasons it differs from the library's."""

    sets: int
    reps: int | None
    hold_s: int | None
    tempo: str | None
    minutes: int | None
    rest_s: int
    per_day: int | None
    per_week: int | None
    per_side: bool
    start_reps: int | None = None  # a gentler first week: one set of this many reps
    gentle_start: bool = False  # a gentler first week: one set
    adjustments: tuple[str, ...] = ()  # why it differs: "shorter_holds", "clinician"

    @property
    def seconds(self) -> int:
        """Estimated time for all sets, both sides, rests between sets."""
        if self.minutes is not None:
            work = self.minutes * 60
        else:
            per_rep = sum(map(int, self.tempo.split("-"))) if self.tempo else SECONDS_PER_REP
            work = (self.reps or 1) * (per_rep + (self.hold_s or 0))
        one_side = self.sets * work + (self.sets - 1) * self.rest_s
        return one_side * (2 if self.per_side else 1)


@dataclass(frozen=True)
class PlannedExercise:
    """An exercise as this patient does it: why it was chosen, how much, what comes next."""

    exercise: Exercise
    dose: PlannedDose
    addresses: tuple[str, ...]  # the patient's findings it targets
    rehearses: tuple[str, ...]  # the patient's goal tasks it rehearses
    side: str | None  # the side to favour, from sided findings
    note: str | None  # the clinician's note for this exercise
    pinned: bool = False  # included by the clinician

    @property
    def id(self) -> str:
        return self.exercise.id


@dataclass(frozen=True)
class Session:
    """One session of the day: the main session, a goal practice, or a ritual."""

    id: str  # "main", "practice" or a ritual's id
    exercises: tuple[PlannedExercise, ...]
    per_day: int | None = None
    per_week: int | None = None
    ritual: Ritual | None = None  # its name and time of day come from the library
    every_min: int | None = None  # a reset repeated through sitting time, every so many minutes

    @property
    def minutes(self) -> int:
        seconds = sum(e.dose.seconds + SECONDS_BETWEEN_EXERCISES for e in self.exercises)
        return max(1, math.ceil(seconds / 60))


@dataclass(frozen=True)
class PhaseStep:
    """One phase of the plan; later phases preview where today's exercises lead."""

    number: int
    name: str
    aim: str
    exit_criteria: tuple[Criterion, ...]
    status: str  # "done" | "current" | "next" | "later"
    exercises: tuple[str, ...]  # exercise ids for this phase (current: today's; later: previews)


@dataclass(frozen=True)
class Plan:
    profile: str
    assessment_date: str
    phase: int
    red_flags: tuple[tuple[str, RedFlagDef], ...]
    sessions: tuple[Session, ...]
    phases: tuple[PhaseStep, ...]
    unaddressed_findings: tuple[tuple[str, str], ...]  # (finding, why)
    unaddressed_goals: tuple[tuple[str, str], ...]  # (task, why)
    weekly_rhythm: tuple[tuple[str, ...], ...] = ()  # session ids for Monday .. Sunday

    @property
    def blocked(self) -> bool:
        return bool(self.red_flags)

    def exercises(self) -> list[PlannedExercise]:
        """Every planned exercise once, in the order first met."""
        seen: dict[str, PlannedExercise] = {}
        for session in self.sessions:
            for planned in session.exercises:
                seen.setdefault(planned.id, planned)
        return list(seen.values())


# --- eligibility -------------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    """What selection needs to know about a patient at one assessment."""

    assessment: Assessment
    equipment: frozenset[str]
    precautions: frozenset[str]

    @property
    def phase(self) -> int:
        return self.assessment.phase

    @functools.cached_property
    def findings(self) -> dict[str, str | None]:
        return {f.id: f.side for f in self.assessment.signature.findings}

    @functools.cached_property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(goal.task for goal in self.assessment.goals))


def patient_of(
    profile: Profile, library: Library, default_equipment: Sequence[str], at: int = -1
) -> Patient:
    everyday = {name for name, item in library.vocabulary.equipment.items() if item.everyday}
    owned = profile.equipment if profile.equipment is not None else default_equipment
    return Patient(
        assessment=profile.assessments[at],
        equipment=frozenset(owned) | everyday,
        precautions=frozenset(profile.precautions),
    )


def why_not(
    exercise: Exercise, patient: Patient, library: Library, phase: int | None = None
) -> str:
    """Why an exercise cannot be given to this patient in a phase, or '' if it can."""
    meta = exercise.meta
    phase = patient.phase if phase is None else phase
    if phase not in meta.phases:
        return f"it is not used in phase {phase}"
    missing = sorted(set(meta.equipment) - patient.equipment)
    if missing:
        return f"it needs {', '.join(missing)}"
    if meta.only_for_tasks and not set(meta.only_for_tasks) & set(patient.tasks):
        return f"it is only for a {' or '.join(meta.only_for_tasks)} goal"
    vocabulary = library.vocabulary
    position = vocabulary.positions.get(meta.position)
    if position is not None and position.floor:
        findings = vocabulary.findings
        no_floor = [f for f in patient.findings if f in findings and findings[f].rules_out_floor]
        if no_floor:
            return f"it is done on the floor, which {', '.join(no_floor)} rules out for now"
    recorded = set(patient.findings) | patient.precautions
    against = [c for c in meta.contraindications if c in recorded]
    if against:
        return f"it is contraindicated by {', '.join(against)}"
    early = [
        f"{c} before phase {first}"
        for c, first in meta.contraindicated_before_phase.items()
        if c in recorded and phase < first
    ]
    if early:
        return f"it is contraindicated by {', '.join(early)}"
    preference = patient.assessment.signature.directional_preference
    direction = library.vocabulary.directions.get(preference)
    if direction and direction.avoid_until_phase and phase < direction.avoid_until_phase:
        avoided = sorted(set(meta.spine) & set(direction.avoids))
        if avoided:
            return (
                f"it moves into {', '.join(avoided)}, which a {preference} preference "
                f"avoids before phase {direction.avoid_until_phase}"
            )
    return ""


# --- dose --------------------------------------------------------------------


def phase_dose(exercise: Exercise, phase: int) -> Dose:
    """The library dose for a phase: its own, or the nearest earlier phase's."""
    defined = sorted(p for p in exercise.meta.dose if p <= phase) or sorted(exercise.meta.dose)
    return exercise.meta.dose[defined[-1]]


def plan_dose(exercise: Exercise, patient: Patient) -> PlannedDose:
    base = phase_dose(exercise, patient.phase)
    dose = PlannedDose(
        sets=base.sets,
        reps=base.reps,
        hold_s=base.hold_s,
        tempo=base.tempo,
        minutes=base.minutes,
        rest_s=base.rest_s,
        per_day=base.per_day,
        per_week=base.per_week,
        per_side=exercise.meta.unilateral,
    )
    findings = patient.findings
    notes: list[str] = []
    if "static_hold_intolerance" in findings and dose.hold_s and dose.hold_s > 3:
        shorter = max(3, dose.hold_s // 2)
        dose = replace(dose, hold_s=shorter, reps=math.ceil((dose.reps or 1) * 1.5))
        notes.append("shorter_holds")
    gentle = "fear_of_movement" in findings or patient.phase == 1
    if gentle and (dose.sets > 1 or (dose.reps or 0) > 3):
        start_reps = max(2, math.ceil((dose.reps or 0) * 2 / 3)) if dose.reps else None
        dose = replace(dose, gentle_start=True, start_reps=start_reps)
    change = patient.assessment.overrides.dose.get(exercise.id)
    if change is not None:
        given = {k: v for k, v in change.model_dump().items() if v is not None}
        if given.get("per_day") is not None:
            given["per_week"] = None
        if given.get("per_week") is not None and "per_day" not in given:
            given["per_day"] = None
        dose = replace(dose, **given)
        notes.append("clinician")
    return replace(dose, adjustments=tuple(notes))


# --- selection ---------------------------------------------------------------


@dataclass
class _Cover:
    """How often each finding and goal is fed so far; drives variety and redundancy."""

    findings: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)

    def add(self, exercise: Exercise) -> None:
        for target in exercise.meta.targets:
            if target in self.findings:
                self.findings[target] += 1
        for task in exercise.meta.tasks:
            if task in self.tasks:
                self.tasks[task] += 1


def _score(
    exercise: Exercise, patient: Patient, cover: _Cover, library: Library
) -> tuple[float, ...]:
    """Higher is better: new findings first, then new goals, then fit to the phase."""
    meta = exercise.meta
    new_findings = sum(1 for t in meta.targets if cover.findings.get(t) == 0)
    fed_findings = sum(1 for t in meta.targets if cover.findings.get(t, -1) > 0)
    new_tasks = sum(1 for t in meta.tasks if cover.tasks.get(t) == 0)
    fed_tasks = sum(1 for t in meta.tasks if cover.tasks.get(t, -1) > 0)
    favoured = 1 if _favoured(exercise, patient, library) else 0
    # Prefer the version made for this phase: in phase 3 a goblet squat over a chair squat.
    fit = -abs(min(meta.phases) - patient.phase)
    return (new_findings * 3 + new_tasks * 3 + favoured * 2 + fed_findings + fed_tasks, fit)


def _best(
    candidates: Iterable[Exercise], patient: Patient, cover: _Cover, library: Library
) -> Exercise | None:
    ranked = sorted(
        candidates, key=lambda e: (_score(e, patient, cover, library), e.id), reverse=True
    )
    return ranked[0] if ranked else None


def _favoured(exercise: Exercise, patient: Patient, library: Library) -> bool:
    """Does the exercise move the way this patient's directional preference eases?"""
    preference = patient.assessment.signature.directional_preference
    direction = library.vocabulary.directions.get(preference)
    return bool(direction and set(direction.favours) & set(exercise.meta.spine))


def _relevant(exercise: Exercise, patient: Patient, library: Library) -> bool:
    return (
        bool(set(exercise.meta.targets) & set(patient.findings))
        or bool(set(exercise.meta.tasks) & set(patient.tasks))
        or _favoured(exercise, patient, library)
    )


def _side(exercise: Exercise, patient: Patient) -> str | None:
    if not exercise.meta.unilateral:
        return None
    sides = {patient.findings[t] for t in exercise.meta.targets if patient.findings.get(t)}
    sides.discard(None)
    if len(sides) == 1:
        side = sides.pop()
        return None if side == "both" else side
    return None


def _planned(exercise: Exercise, patient: Patient, pinned: bool = False) -> PlannedExercise:
    findings = patient.findings
    tasks = patient.tasks
    return PlannedExercise(
        exercise=exercise,
        dose=plan_dose(exercise, patient),
        addresses=tuple(t for t in exercise.meta.targets if t in findings),
        rehearses=tuple(t for t in exercise.meta.tasks if t in tasks),
        side=_side(exercise, patient),
        note=patient.assessment.overrides.notes.get(exercise.id),
        pinned=pinned,
    )


def _block_order(library: Library) -> dict[str, int]:
    return {block.id: index for index, block in enumerate(library.blocks)}


def build_plan(profile: Profile, library: Library, default_equipment: Sequence[str]) -> Plan:
    """The plan for the profile's latest assessment."""
    patient = patient_of(profile, library, default_equipment)
    assessment = patient.assessment
    if profile.red_flags:
        return Plan(
            profile=profile.id,
            assessment_date=assessment.date.isoformat(),
            phase=assessment.phase,
            red_flags=tuple(
                (flag, library.vocabulary.red_flags[flag]) for flag in profile.red_flags
            ),
            sessions=(),
            phases=(),
            unaddressed_findings=(),
            unaddressed_goals=(),
        )

    excluded = set(assessment.overrides.exclude)
    eligible = [
        e
        for e in library.exercises.values()
        if e.id not in excluded and not why_not(e, patient, library)
    ]
    cover = _Cover(
        findings={finding: 0 for finding in patient.findings},
        tasks={task: 0 for task in patient.tasks},
    )
    order = _block_order(library)

    main = _main_session(eligible, patient, library, cover, order)
    practice = _practice_session(eligible, patient, library, cover, {p.id for p in main})
    rituals = [
        _ritual(ritual, eligible, patient, library, cover, order) for ritual in library.rituals
    ]
    sessions = [_session("main", main, per_week=_main_days(main, patient))]
    if practice:
        sessions.append(_session("practice", practice, per_week=2))
    sessions.extend(session for session in rituals if session.exercises)

    chosen = {p.id for s in sessions for p in s.exercises}
    return Plan(
        profile=profile.id,
        assessment_date=assessment.date.isoformat(),
        phase=assessment.phase,
        red_flags=(),
        sessions=tuple(sessions),
        phases=_phases(library, patient, [library.exercises[i] for i in _ordered(chosen, main)]),
        unaddressed_findings=_unaddressed(
            patient.findings, cover.findings, "finding", library, patient
        ),
        unaddressed_goals=_unaddressed(
            dict.fromkeys(patient.tasks), cover.tasks, "task", library, patient
        ),
        weekly_rhythm=_weekly_rhythm(sessions),
    )


def _ordered(chosen: set[str], main: Sequence[PlannedExercise]) -> list[str]:
    first = [p.id for p in main]
    return first + sorted(chosen - set(first))


def _main_session(
    eligible: list[Exercise],
    patient: Patient,
    library: Library,
    cover: _Cover,
    order: Mapping[str, int],
) -> list[PlannedExercise]:
    """One exercise per block that serves this patient best, a sixth where it adds something."""
    by_id = {e.id: e for e in eligible}
    pinned = [by_id[i] for i in patient.assessment.overrides.include if i in by_id]
    picked: list[Exercise] = list(pinned)
    for exercise in pinned:
        cover.add(exercise)
    for block in library.blocks:
        if any(e.meta.block == block.id for e in picked):
            continue
        pool = [e for e in eligible if e.meta.block == block.id and e not in picked]
        relevant = [e for e in pool if _relevant(e, patient, library)]
        choice = _best(relevant or pool, patient, cover, library)
        if choice is not None:
            picked.append(choice)
            cover.add(choice)
    while len(picked) < MAIN_SESSION_MAX:
        pool = [e for e in eligible if e not in picked and _adds_something(e, cover)]
        choice = _best(pool, patient, cover, library)
        if choice is None:
            break
        picked.append(choice)
        cover.add(choice)
    while len(picked) < MAIN_SESSION_MIN:
        choice = _best([e for e in eligible if e not in picked], patient, cover, library)
        if choice is None:
            break
        picked.append(choice)
        cover.add(choice)
    picked.sort(key=lambda e: (order[e.meta.block], e.id))
    pinned_ids = {e.id for e in pinned}
    return [_planned(e, patient, pinned=e.id in pinned_ids) for e in picked]


def _adds_something(exercise: Exercise, cover: _Cover) -> bool:
    return any(cover.findings.get(t) == 0 for t in exercise.meta.targets) or any(
        cover.tasks.get(t) == 0 for t in exercise.meta.tasks
    )


def _practice_session(
    eligible: list[Exercise],
    patient: Patient,
    library: Library,
    cover: _Cover,
    taken: set[str],
) -> list[PlannedExercise]:
    """Drills for the goals the main session could not fit (at most three)."""
    drills: list[Exercise] = []
    task_blocks = {b.id for b in library.blocks if b.rehearses_tasks}
    while len(drills) < 3 and any(n == 0 for n in cover.tasks.values()):
        pool = [
            e
            for e in eligible
            if e.meta.block in task_blocks
            and e.id not in taken
            and e not in drills
            and any(cover.tasks.get(t) == 0 for t in e.meta.tasks)
        ]
        choice = _best(pool, patient, cover, library)
        if choice is None:
            break
        drills.append(choice)
        cover.add(choice)
    return [_planned(e, patient) for e in drills]


def _ritual(
    ritual: Ritual,
    eligible: list[Exercise],
    patient: Patient,
    library: Library,
    cover: _Cover,
    order: Mapping[str, int],
) -> Session:
    """Fill a ritual up to its minutes with exercises tagged for it, feeding findings again."""
    pool = [e for e in eligible if ritual.id in e.meta.rituals]
    budget = ritual.minutes * 60
    picked: list[PlannedExercise] = []
    used = 0
    # Transitions that hurt are practised where they happen: the log roll in the morning.
    must = [
        e
        for e in pool
        if "painful_transitions" in patient.findings and "painful_transitions" in e.meta.targets
    ]
    while pool:
        candidates = [e for e in must if e in pool] or [
            e for e in pool if _relevant(e, patient, library)
        ]
        choice = _best(candidates or pool, patient, cover, library)
        if choice is None:
            break
        pool.remove(choice)
        planned = _planned(choice, patient)
        cost = planned.dose.seconds + SECONDS_BETWEEN_EXERCISES
        if picked and used + cost > budget * 1.2:
            continue
        picked.append(planned)
        cover.add(choice)
        used += cost
        if used >= budget * 0.8:
            break
    picked.sort(key=lambda p: (order[p.exercise.meta.block], p.id))
    per_day: int | None = 1
    per_week: int | None = None
    every_min = None
    if ritual.id == "midday":
        every_min, per_day = _reset_rhythm(patient)
    if patient.phase == 4:  # maintenance: rituals several times a week rather than daily
        per_day, per_week = None, 3
    return _session(
        ritual.id, picked, per_day=per_day, per_week=per_week, ritual=ritual, every_min=every_min
    )


def _reset_rhythm(patient: Patient) -> tuple[int, int]:
    """Reset a little before sitting would start to hurt: every N minutes, a few times a day."""
    sitting = patient.assessment.tolerances.sitting_min
    interval = 45 if sitting is None else max(15, min(60, int(sitting * 0.8) // 5 * 5))
    return interval, max(2, min(6, 240 // interval))


def _main_days(main: Sequence[PlannedExercise], patient: Patient) -> int:
    """Strength work needs rest days: as often as its weekly doses ask, three to five days."""
    weekly = [p.dose.per_week for p in main if p.dose.per_week]
    days = max(weekly) if weekly else 3
    return max(3, min(5, days)) if patient.phase < 4 else 3


def _session(
    session_id: str,
    exercises: Sequence[PlannedExercise],
    per_day: int | None = None,
    per_week: int | None = None,
    ritual: Ritual | None = None,
    every_min: int | None = None,
) -> Session:
    """A session sets how often its exercises are done, so their doses follow it."""
    if per_day is None and per_week is None:
        per_day = 1
    timed = tuple(
        replace(p, dose=replace(p.dose, per_day=per_day, per_week=per_week)) for p in exercises
    )
    return Session(session_id, timed, per_day, per_week, ritual, every_min)


_SPREAD = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 5),
    5: (0, 1, 2, 4, 5),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}


def _weekly_rhythm(sessions: Sequence[Session]) -> tuple[tuple[str, ...], ...]:
    """Which sessions fall on which day, Monday first: main sessions spread out, practice
    between them."""
    days: list[list[str]] = [[] for _ in range(7)]
    main_days: tuple[int, ...] = ()
    for session in sessions:
        if session.per_week:
            if session.id == "main":
                main_days = _SPREAD[min(7, session.per_week)]
                chosen = main_days
            else:
                free = [d for d in range(7) if d not in main_days] or list(range(7))
                chosen = tuple(free[:: max(1, len(free) // session.per_week)][: session.per_week])
            for index in chosen:
                days[index].append(session.id)
        else:
            for names in days:
                names.append(session.id)
    return tuple(tuple(ids) for ids in days)


# --- the phased plan ---------------------------------------------------------


def _phases(library: Library, patient: Patient, today: list[Exercise]) -> tuple[PhaseStep, ...]:
    steps = []
    for phase in library.phases:
        ids: tuple[str, ...] = ()
        if phase.number < patient.phase:
            status = "done"
        elif phase.number == patient.phase:
            status, ids = "current", tuple(e.id for e in today)
        else:
            status = "next" if phase.number == patient.phase + 1 else "later"
            later = (_continue(e, phase.number, patient, library) for e in today)
            ids = tuple(i for i in dict.fromkeys(later) if i)
        steps.append(
            PhaseStep(
                number=phase.number,
                name=phase.name,
                aim=phase.aim,
                exit_criteria=tuple(phase.exit_criteria),
                status=status,
                exercises=ids,
            )
        )
    return tuple(steps)


def _continue(exercise: Exercise, phase: int, patient: Patient, library: Library) -> str:
    """Follow progressions to the first version that suits `phase`: continuity across phases."""
    current: Exercise | None = exercise
    seen: set[str] = set()
    best = ""
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if not why_not(current, patient, library, phase):
            best = current.id
        nxt = current.meta.progresses_to
        current = library.exercises.get(nxt) if nxt else None
    return best


def _unaddressed(
    wanted: Mapping[str, object],
    cover: Mapping[str, int],
    kind: str,
    library: Library,
    patient: Patient,
) -> tuple[tuple[str, str], ...]:
    """What the plan could not serve, and why: nothing in the library, or nothing allowed."""
    missing = []
    for name in wanted:
        if cover.get(name, 0) > 0:
            continue
        serving = [
            e
            for e in library.exercises.values()
            if name in (e.meta.targets if kind == "finding" else e.meta.tasks)
        ]
        if not serving:
            why = "the library has no exercise for it"
        else:
            excluded = set(patient.assessment.overrides.exclude)
            reasons = sorted(
                {
                    why_not(e, patient, library)
                    or (
                        f"{e.id} is excluded by the clinician" if e.id in excluded else "not chosen"
                    )
                    for e in serving
                }
            )
            why = "no exercise for it suits this patient now: " + "; ".join(reasons)
        missing.append((name, why))
    return tuple(missing)
