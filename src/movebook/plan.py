"""Stage 3, plan: from a profile and the library to a phased, dosed plan. Pure and deterministic.

A plan is a small portfolio of exercises that matter (DOMAIN.md 3-4): a main session of four to
six, daily rituals that reuse them in micro-doses plus what a ritual's purpose needs, every
exercise done about as often a week as the library doses it, and the day inside a time budget.
At a reassessment the plan starts from the last one: what still fits stays, or moves one step on.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from movebook.model import (
    Assessment,
    Budget,
    Criterion,
    Dose,
    Exercise,
    Library,
    PrecautionDef,
    Profile,
    RedFlagDef,
    Ritual,
)
from movebook.notes import FIRST_THING, MORNING, NoteReading, Timing, read_note

SECONDS_PER_REP = 4  # a rep with no tempo given: about four unhurried seconds
SECONDS_PER_BREATH = 8  # a slow breath in and out, at the least
SECONDS_BETWEEN_EXERCISES = 20
SHIFT = "lateral_shift"  # a finding whose correction comes before any extension work
PRACTICE = "practice"  # the session of activities practised within the day: not timed in it
SETTLE_BLOCK = "regulation"  # its drills calm the system: one may serve no finding or goal
CAPACITY_BLOCKS = ("stability", "strength")  # what phases 2-3 build: never cut to nothing
SETTLE_SECONDS = 180  # the main session's settling drill takes about this long, at most
SHORTEST_MINUTES = 3  # a timed drill (a walk, standing practice) is never cut shorter than this
RITUAL_SLACK = 1.3  # a ritual's exercises may run this much over its minutes
RITUAL_FILL = 0.7  # and are added to until they take this share of them
MAIN_DAYS = (3, 4, 5)  # a week's main sessions before phase 4: strength needs rest days


BUDGET = Budget()


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
    rep_s: int = SECONDS_PER_REP  # how long one rep takes, without its hold
    only_side: str | None = None  # a directional drill: this side only, never "each side"
    extra_side: str | None = None  # both sides, with a set more on this one
    extra_hand: str | None = None  # a load carried in one hand: the extra set in this hand

    @property
    def seconds(self) -> int:
        """Estimated time for all sets, both sides, rests between sets (a set is done on one
        side, then the other)."""
        if self.minutes is not None:
            work = self.minutes * 60
        else:
            work = (self.reps or 1) * (self.rep_s + (self.hold_s or 0))
        rests = (self.sets - 1) * self.rest_s
        if not self.per_side:
            return self.sets * work + rests
        # one side rests while the other works: a rest comes between rounds of both sides
        extra = work + self.rest_s if self.extra_side else 0
        return 2 * self.sets * work + rests + extra


@dataclass(frozen=True)
class PlannedExercise:
    """An exercise as this patient does it: why it was chosen, how much, what comes next."""

    exercise: Exercise
    dose: PlannedDose
    addresses: tuple[str, ...]  # the patient's findings it targets
    rehearses: tuple[str, ...]  # the patient's goal tasks it rehearses
    side: str | None  # the side that needs it most, from sided findings
    note: str | None  # the clinician's note for this exercise
    pinned: bool = False  # included by the clinician
    asked: bool = False  # named in the clinician's note: kept like a pin, its dose the library's
    when: str | None = None  # the note's own words for when: "before every performance"
    every_min: int | None = None  # the note's interval for it: "every half hour"

    @property
    def held(self) -> bool:
        """The clinician wants it: pinned, or asked for in the note. Never trimmed away."""
        return self.pinned or self.asked

    @property
    def id(self) -> str:
        return self.exercise.id


@dataclass(frozen=True)
class Session:
    """One session of the day: the main session (in phase 4 the maintenance routine) or a
    ritual."""

    id: str  # "main" or a ritual's id
    exercises: tuple[PlannedExercise, ...]
    per_day: int | None = None
    per_week: int | None = None
    ritual: Ritual | None = None  # its name and time of day come from the library
    every_min: int | None = None  # a reset repeated through sitting time, every so many minutes

    @property
    def minutes(self) -> int:
        """Its minutes each time; of the day's practice, each activity as often as it is done
        on an ordinary day (a walk twice a day counts twice)."""
        if self.id == PRACTICE:  # what is bound to an occasion is not in an ordinary day
            return sum(
                max(1, math.ceil(e.dose.seconds / 60)) * (e.dose.per_day or 1)
                for e in self.exercises
                if not e.exercise.meta.occasion
            )
        seconds = sum(e.dose.seconds + SECONDS_BETWEEN_EXERCISES for e in self.exercises)
        return max(1, math.ceil(seconds / 60))

    @property
    def per_week_total(self) -> int:
        """How many times a week the session is done."""
        return self.per_week if self.per_week is not None else 7 * (self.per_day or 1)


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
    precautions: tuple[tuple[str, PrecautionDef], ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()  # (exercise, why): left out to keep the budget
    activities: tuple[str, ...] = ()  # sport goal tasks: the patient's own activity

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
    # What the clinician's note asks for that the patient may do, with the note's timing.
    asked: Mapping[str, Timing | None] = field(default_factory=dict)

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
    # A lateral shift is corrected first (McKenzie): extension waits until the patient stands
    # straight, unless the drill is itself the shift correction (done on the marked side).
    if (
        SHIFT in patient.findings
        and phase == 1
        and "extension" in meta.spine
        and not meta.marked_side_only
    ):
        return f"it moves into extension, which waits until the {SHIFT} is corrected"
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


def weekly_dose(exercise: Exercise, phase: int) -> int:
    """How many times a week the library would have the exercise done in a phase."""
    base = phase_dose(exercise, phase)
    return base.per_week if base.per_week is not None else 7 * (base.per_day or 1)


def _rep_seconds(exercise: Exercise, tempo: str | None) -> int:
    counted = sum(map(int, tempo.split("-"))) if tempo else SECONDS_PER_REP
    if exercise.meta.block == SETTLE_BLOCK:  # its reps are breaths, and a breath is slow
        return max(SECONDS_PER_BREATH, counted)
    return counted


def plan_dose(exercise: Exercise, patient: Patient) -> PlannedDose:
    base = phase_dose(exercise, patient.phase)
    side = _side(exercise, patient)
    marked = exercise.meta.marked_side_only and side is not None
    dose = PlannedDose(
        sets=base.sets,
        reps=base.reps,
        hold_s=base.hold_s,
        tempo=base.tempo,
        minutes=base.minutes,
        rest_s=base.rest_s,
        per_day=base.per_day,
        per_week=base.per_week,
        per_side=exercise.meta.unilateral and not marked,
        rep_s=base.rep_s or _rep_seconds(exercise, base.tempo),
        only_side=side if marked else None,
        extra_side=side if exercise.meta.unilateral and not marked else None,
        extra_hand=_hand(exercise, side) if exercise.meta.unilateral and not marked else None,
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
        # the clinician's amount, as written
        dose = replace(dose, **given, extra_side=None, extra_hand=None)
        if "tempo" in given:
            dose = replace(dose, rep_s=_rep_seconds(exercise, dose.tempo))
        notes.append("clinician")
    return replace(dose, adjustments=tuple(notes))


def _hand(exercise: Exercise, side: str | None) -> str | None:
    """The hand that carries the extra set's load: for a weak side, a load held in the other
    hand makes that side work harder."""
    hand = exercise.meta.load_hand
    if side not in ("left", "right") or hand is None:
        return None
    if hand == "same":
        return side
    return "right" if side == "left" else "left"


ROUND_SECONDS = 60  # a rep this long is a round of moves: a micro-session does one


def _micro(dose: PlannedDose) -> PlannedDose:
    """The same exercise in a micro-session: one set; of a drill done in rounds, one round."""
    if dose.rep_s >= ROUND_SECONDS and dose.reps:
        return replace(dose, sets=1, reps=1)
    return replace(dose, sets=1)


# --- selection ---------------------------------------------------------------


@dataclass
class _Cover:
    """How often each finding and goal is fed so far; drives variety and redundancy."""

    findings: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, patient: Patient) -> _Cover:
        """Nothing fed yet: every finding and goal of the patient at zero."""
        return cls({f: 0 for f in patient.findings}, {t: 0 for t in patient.tasks})

    def add(self, exercise: Exercise) -> None:
        for target in exercise.meta.targets:
            if target in self.findings:
                self.findings[target] += 1
        for task in exercise.meta.tasks:
            if task in self.tasks:
                self.tasks[task] += 1


@dataclass(frozen=True)
class _Choosing:
    """What every choice of one plan needs to know."""

    patient: Patient
    library: Library
    eligible: tuple[Exercise, ...]
    kept: frozenset[str]  # where the last plan's exercises lead now: chosen first
    avoid: frozenset[str]  # the last plan's step backs, for a patient who is not worse
    budget: Budget
    main_days: tuple[int, ...] = MAIN_DAYS  # the note's "three times a week", else the choice

    def placed(self, exercise: Exercise) -> str:
        """Where an exercise the note asks for goes: the main session, a ritual ("morning",
        "midday"), or the day's practice; "" when the note does not ask for it."""
        if exercise.id not in self.patient.asked:
            return ""
        timing = self.patient.asked[exercise.id]
        meta = exercise.meta
        rituals = self.patient.phase < 4
        if meta.activity or (timing and timing.event):
            return PRACTICE
        if timing and timing.moment:  # first thing, or every morning
            return "morning" if rituals else PRACTICE
        if timing and (timing.every_min or timing.per_day):
            if rituals and "midday" in meta.rituals:
                return "midday"
            return PRACTICE if not rituals or not meta.rituals else meta.rituals[0]
        if meta.position == "lying_in_bed":
            return "morning" if rituals else ""
        if rituals and _daily_context(exercise, self.patient.phase):
            return meta.rituals[0]
        return "main"

    @functools.cached_property
    def order(self) -> dict[str, int]:
        return {block.id: index for index, block in enumerate(self.library.blocks)}

    @functools.cached_property
    def families(self) -> dict[str, str]:
        return _families(self.library)

    def pattern(self, exercise: Exercise) -> str:
        return exercise.meta.pattern or self.families[exercise.id]


def _families(library: Library) -> dict[str, str]:
    """Exercises linked as each other's easier or harder version move in one pattern: the
    name of each exercise's family (the first id of its ladder)."""
    parent = {exercise_id: exercise_id for exercise_id in library.exercises}

    def root(exercise_id: str) -> str:
        while parent[exercise_id] != exercise_id:
            exercise_id = parent[exercise_id]
        return exercise_id

    for exercise in library.exercises.values():
        for other in (exercise.meta.regresses_to, exercise.meta.progresses_to):
            if other in parent:
                a, b = sorted((root(exercise.id), root(other)))
                parent[b] = a
    return {exercise_id: root(exercise_id) for exercise_id in library.exercises}


def _sports(library: Library) -> set[str]:
    """The goal tasks that are a sport: they may wait for phase 3, and are the patient's own
    activity in phase 4."""
    return {name for name, task in library.vocabulary.tasks.items() if task.sport}


def _score(exercise: Exercise, choosing: _Choosing, cover: _Cover) -> tuple[float, ...]:
    """Higher is better: what the last plan leads to, new findings and goals, then fit."""
    meta = exercise.meta
    patient, library = choosing.patient, choosing.library
    new_findings = sum(1 for t in meta.targets if cover.findings.get(t) == 0)
    fed_findings = sum(1 for t in meta.targets if cover.findings.get(t, -1) > 0)
    new_tasks = sum(1 for t in meta.tasks if cover.tasks.get(t) == 0)
    fed_tasks = sum(1 for t in meta.tasks if cover.tasks.get(t, -1) > 0)
    favoured = 1 if _favoured(exercise, patient, library) else 0
    kept = 4 if exercise.id in choosing.kept else 0
    # Prefer the version made for this phase: in phase 3 a goblet squat over a chair squat.
    fit = -abs(min(meta.phases) - patient.phase)
    value = new_findings * 3 + new_tasks * 3 + favoured * 2 + fed_findings + fed_tasks + kept
    return (value, fit)


def _best(candidates: Iterable[Exercise], choosing: _Choosing, cover: _Cover) -> Exercise | None:
    ranked = sorted(candidates, key=lambda e: (_score(e, choosing, cover), e.id), reverse=True)
    return ranked[0] if ranked else None


def _favoured(exercise: Exercise, patient: Patient, library: Library) -> bool:
    """Does the exercise move the way this patient's directional preference eases?"""
    preference = patient.assessment.signature.directional_preference
    direction = library.vocabulary.directions.get(preference)
    return bool(direction and set(direction.favours) & set(exercise.meta.spine))


def _relevant(exercise: Exercise, patient: Patient, library: Library) -> bool:
    """Does it serve this patient: a finding, a goal, or the direction that eases them?"""
    return (
        bool(set(exercise.meta.targets) & set(patient.findings))
        or bool(set(exercise.meta.tasks) & set(patient.tasks))
        or _favoured(exercise, patient, library)
    )


def _side(exercise: Exercise, patient: Patient) -> str | None:
    """The side a one-sided finding puts first; for a drill that corrects a direction, the
    side the clinician marked (the finding's, else the one in the directional preference)."""
    if not exercise.meta.unilateral:
        return None
    sides = {patient.findings[t] for t in exercise.meta.targets if patient.findings.get(t)}
    sides.discard(None)
    if len(sides) == 1:
        side = sides.pop()
        if side != "both":
            return side
    if exercise.meta.marked_side_only:
        preference = patient.assessment.signature.directional_preference
        for side in ("left", "right"):
            if preference.endswith(f"_{side}"):
                return side
    return None


def _sided_if_marked(exercise: Exercise, patient: Patient) -> bool:
    """A drill done on the marked side only needs a marked side: without one it is not given."""
    return not exercise.meta.marked_side_only or _side(exercise, patient) is not None


def _planned(exercise: Exercise, patient: Patient, pinned: bool = False) -> PlannedExercise:
    findings = patient.findings
    tasks = patient.tasks
    timing = patient.asked.get(exercise.id)
    trigger = (timing.event if timing else None) or exercise.meta.occasion
    return PlannedExercise(
        exercise=exercise,
        dose=plan_dose(exercise, patient),
        addresses=tuple(t for t in exercise.meta.targets if t in findings),
        rehearses=tuple(t for t in exercise.meta.tasks if t in tasks),
        side=_side(exercise, patient),
        note=patient.assessment.overrides.notes.get(exercise.id),
        pinned=pinned,
        asked=exercise.id in patient.asked,
        when=trigger,
        every_min=timing.every_min if timing else None,
    )


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
            red_flags=tuple(
                (flag, library.vocabulary.red_flags[flag]) for flag in profile.red_flags
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
        if region.timing and region.timing.moment:  # in the morning: what the ritual can hold
            working = [e for e in working if MORNING in e.meta.rituals] or working
        working = [e for e in working if not e.meta.activity]
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
    reserved = len(practice) + len(daily) + int(getting_up)
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


def _main_days(reading: NoteReading, phase: int) -> tuple[int, ...]:
    """The main session's (or the routine's) days a week: as the note says, else chosen."""
    asked = reading.program_per_week
    if asked is not None and 1 <= asked <= 7:
        return (asked,)
    return MAIN_DAYS


# --- continuity --------------------------------------------------------------


def _continuity(
    before: Plan | None,
    previous: Assessment | None,
    patient: Patient,
    library: Library,
    eligible: Sequence[Exercise],
) -> tuple[frozenset[str], frozenset[str]]:
    """Where the last plan's exercises lead now, and which step backs to keep away from.

    What still fits stays; a patient who moved up a phase takes the next step where it is
    allowed; a step back comes only for a patient who is worse, or an exercise no longer
    allowed."""
    if before is None or previous is None or before.blocked:
        return frozenset(), frozenset()
    allowed = {e.id for e in eligible}
    moved_up = patient.phase > previous.phase
    worse_now = worse(previous, patient.assessment)
    kept: set[str] = set()
    avoid: set[str] = set()
    for planned in before.exercises():
        exercise = planned.exercise
        harder = exercise.meta.progresses_to
        easier = exercise.meta.regresses_to
        if moved_up and harder in allowed:
            kept.add(harder)
        elif exercise.id in allowed:
            kept.add(exercise.id)
        elif easier in allowed:
            kept.add(easier)
        easier_one = library.exercises.get(easier or "")
        own_goal = easier_one is not None and bool(  # a drill for another goal is no step back
            (set(easier_one.meta.tasks) - set(exercise.meta.tasks)) & set(patient.tasks)
        )
        if easier and not worse_now and exercise.id in allowed and not own_goal:
            avoid.add(easier)
    # One exercise's next step may be another's step back (a chair squat leads to the sit to
    # stand that a split squat eases into): the harder one the patient already does wins.
    kept -= {
        p.exercise.meta.regresses_to
        for p in before.exercises()
        if p.exercise.meta.regresses_to and p.id in kept
    }
    return frozenset(kept), frozenset(avoid - kept)


def worse(before: Assessment, now: Assessment) -> bool:
    """Pain or disability up since the last visit, or the clinician moved the phase down."""
    if now.phase < before.phase:
        return True
    then, current = before.measures, now.measures
    pain = then.nprs is not None and current.nprs is not None and current.nprs > then.nprs
    odi = then.odi is not None and current.odi is not None and current.odi > then.odi
    return pain or odi


# --- practice within the day ------------------------------------------------


def _practice(choosing: _Choosing, cover: _Cover) -> list[PlannedExercise]:
    """Activities practised within the day (a walk, standing at the stove, a journey's seat
    routine), dosed as the library says: one for each goal it is made for (its first task),
    or for another goal that no session drill could rehearse."""
    patient, library = choosing.patient, choosing.library
    sport = _sports(library)
    activities = [e for e in choosing.eligible if e.meta.activity]
    drills = [e for e in choosing.eligible if not e.meta.activity]
    by_id = {e.id: e for e in activities}
    picked = [by_id[i] for i in patient.assessment.overrides.include if i in by_id]
    picked += [  # what the note asks for at an event of the day ("before every performance")
        e for e in choosing.eligible if choosing.placed(e) == PRACTICE and e not in picked
    ]
    for exercise in picked:
        cover.add(exercise)
    for task in patient.tasks:
        if (task in sport and patient.phase != 3) or cover.tasks.get(task, 0):
            continue
        made_for = [e for e in activities if e.meta.tasks[:1] == [task]]
        if patient.phase >= 4 and not made_for:  # no rituals then: getting up is its own time
            made_for = [
                e for e in drills if task in e.meta.tasks and e.meta.position == "lying_in_bed"
            ]
        if not made_for and not any(task in e.meta.tasks for e in drills):
            made_for = [e for e in activities if task in e.meta.tasks]
        choice = _best(made_for, choosing, cover)
        if choice is not None and choice not in picked:
            picked.append(choice)
            cover.add(choice)
    pinned = set(patient.assessment.overrides.include)
    return [_planned(e, patient, pinned=e.id in pinned) for e in picked]


def _daily_context(exercise: Exercise, phase: int) -> bool:
    """A goal's drill practised every day where the task happens (a desk break, a sit to
    stand): it belongs to a ritual, not to the main session."""
    meta = exercise.meta
    return (
        bool(meta.tasks and meta.rituals)
        and not meta.activity
        and meta.block == "integration"
        and phase_dose(exercise, phase).per_day is not None
    )


def _ritual_goals(choosing: _Choosing, cover: _Cover) -> list[Exercise]:
    """A goal practised where it happens, every day: a desk break in the mid-day reset, not
    in the main session (in phase 4, which has no rituals, within the working day)."""
    patient = choosing.patient
    sport = _sports(choosing.library)
    picked: list[Exercise] = []
    for task in patient.tasks:
        if task in sport or cover.tasks.get(task, 0):
            continue
        daily = [
            e
            for e in choosing.eligible
            if task in e.meta.tasks
            and e.id not in choosing.avoid
            and _daily_context(e, patient.phase)
        ]
        choice = _best(daily, choosing, cover)
        if choice is not None and choice not in picked:
            picked.append(choice)
            cover.add(choice)
    rituals = {ritual.id for ritual in choosing.library.rituals}
    for exercise in choosing.eligible:  # what the note asks for in a ritual, first of all
        if choosing.placed(exercise) in rituals and exercise not in picked:
            picked.insert(0, exercise)
            cover.add(exercise)
    return picked


# --- the main session --------------------------------------------------------


def _main_session(
    choosing: _Choosing, cover: _Cover, elsewhere: Collection[str] | None = None
) -> list[PlannedExercise]:
    """Four to six exercises that matter, one per block where a block has one for this patient,
    in block order: each serves a finding, a goal or the patient's direction, but for one
    settling drill; no two of one movement pattern."""
    patient, library, budget = choosing.patient, choosing.library, choosing.budget
    by_id = {e.id: e for e in choosing.eligible if not e.meta.activity}
    pinned = [by_id[i] for i in patient.assessment.overrides.include if i in by_id]
    asked = [e for e in choosing.eligible if choosing.placed(e) == "main" and e not in pinned]
    picked: list[Exercise] = [*pinned, *asked[: max(0, budget.main_max - len(pinned))]]
    for exercise in picked:
        cover.add(exercise)
    # Drills done in bed belong to the morning ritual: the patient gets up every day.
    pool = [
        e
        for e in choosing.eligible
        if e.id not in choosing.avoid
        and e.id not in (elsewhere or ())
        and not e.meta.activity
        and not (elsewhere is not None and _daily_context(e, patient.phase))
        and not (e.meta.position == "lying_in_bed" and e.meta.rituals)
    ]

    def free(exercise: Exercise) -> bool:
        """Not picked, and no other of its pattern (two hinges; a squat and a sit-to-stand;
        a carry and a lift-and-carry) in the session."""
        settled = exercise.meta.block == SETTLE_BLOCK and any(
            e.meta.block == SETTLE_BLOCK for e in picked
        )  # one settling drill is enough
        return (
            exercise not in picked
            and not settled
            and not any(choosing.pattern(e) == choosing.pattern(exercise) for e in picked)
        )

    def useful(exercise: Exercise) -> bool:
        return _relevant(exercise, patient, library) or exercise.id in choosing.kept

    def pick_block(block_id: str) -> None:
        if any(e.meta.block == block_id for e in picked) or len(picked) >= budget.main_max:
            return
        here = [e for e in pool if e.meta.block == block_id and free(e)]
        candidates = [e for e in here if useful(e)]
        if block_id == SETTLE_BLOCK:  # one settling drill, even if it serves nothing else:
            # a few calm minutes to start, not a walk that takes the session's time
            short = [e for e in here if plan_dose(e, patient).seconds <= SETTLE_SECONDS]
            candidates = [e for e in candidates if e in short] or short or candidates or here
            # one the main session's days dose well; a daily drill waits for a ritual
            weekly = [e for e in candidates if weekly_dose(e, patient.phase) <= 2 * MAIN_DAYS[0]]
            candidates = weekly or candidates
        choice = _best(candidates, choosing, cover)
        if choice is not None:
            picked.append(choice)
            cover.add(choice)

    pick_block(SETTLE_BLOCK)
    # Daily-life goals are practised from the start, at a safe level (sport may wait): they
    # come before the blocks fill the session, so that each has its drill.
    sport = _sports(library)
    for task in patient.tasks:
        waits = task in sport and patient.phase < 3
        if waits or cover.tasks.get(task, 0) or len(picked) >= budget.main_max:
            continue
        serving = [e for e in pool if task in e.meta.tasks and e not in picked]
        # A second lift in one session, say, rather than a goal left without practice.
        choice = _best([e for e in serving if free(e)] or serving, choosing, cover)
        if choice is not None:
            picked.append(choice)
            cover.add(choice)
    # Phases 2-3 build capacity: a stability and a strength exercise for a current finding.
    if 2 <= patient.phase <= 3:
        for block_id in CAPACITY_BLOCKS:
            if len(picked) >= budget.main_max or any(e.meta.block == block_id for e in picked):
                continue
            serving = [
                e
                for e in pool
                if e.meta.block == block_id
                and free(e)
                and set(e.meta.targets) & set(patient.findings)
            ]
            choice = _best(serving, choosing, cover)
            if choice is not None:
                picked.append(choice)
                cover.add(choice)
    # Then one exercise from each block still empty, the most useful first, while there is room.
    while len(picked) < budget.main_max:
        filled = {e.meta.block for e in picked}
        open_blocks = [b.id for b in library.blocks if b.id not in filled]
        candidates = [e for e in pool if e.meta.block in open_blocks and free(e) and useful(e)]
        choice = _best(candidates, choosing, cover)
        if choice is None:
            break
        picked.append(choice)
        cover.add(choice)
    while len(picked) < budget.main_max:
        choice = _best([e for e in pool if free(e) and _adds_something(e, cover)], choosing, cover)
        if choice is None:
            break
        picked.append(choice)
        cover.add(choice)
    while len(picked) < budget.main_min:  # few findings and goals: general capacity work
        fitting = [e for e in pool if free(e) and e.meta.position != "lying_in_bed"]
        choice = _best([e for e in fitting if useful(e)] or fitting, choosing, cover)
        if choice is None:
            break
        picked.append(choice)
        cover.add(choice)
    # With a shift, extension comes only after the glide that corrects it, in the session.
    extending = any("extension" in e.meta.spine and not e.meta.marked_side_only for e in picked)
    if SHIFT in patient.findings and extending:
        glides = [
            e
            for e in choosing.eligible
            if e.meta.marked_side_only and SHIFT in e.meta.targets and not e.meta.activity
        ]
        if glides and not any(e in picked for e in glides):
            glide = _best(glides, choosing, cover)
            if glide is not None:
                if len(picked) >= budget.main_max:
                    others = [e for e in picked if e not in pinned and e not in asked]
                    if others:
                        picked.remove(others[-1])
                picked.append(glide)
    # Blocks in their order; within a block the shift's correction first, then from the floor
    # up, so positions change little.
    shifted = SHIFT in patient.findings
    picked.sort(
        key=lambda e: (
            e.meta.block != SETTLE_BLOCK,
            not (shifted and e.meta.marked_side_only),
            choosing.order[e.meta.block],
            not e.meta.marked_side_only,
            _level(e, library),
            e.id,
        )
    )
    pinned_ids = {e.id for e in pinned}
    return [_planned(e, patient, pinned=e.id in pinned_ids) for e in picked]


def _adds_something(exercise: Exercise, cover: _Cover) -> bool:
    return any(cover.findings.get(t) == 0 for t in exercise.meta.targets) or any(
        cover.tasks.get(t) == 0 for t in exercise.meta.tasks
    )


def _value(
    planned: PlannedExercise, choosing: _Choosing, others: Sequence[PlannedExercise] = ()
) -> tuple[int, ...]:
    """How much an exercise is worth keeping when the day is too long: the clinician's pins;
    then what is protected (the only drill for a daily-life goal; in phases 2-3 the only
    stability or strength exercise that serves a finding); the settling drill (it calms the
    rest); the only drill for a finding; then how much it serves."""
    settle = planned.exercise.meta.block == SETTLE_BLOCK
    rest = [p for p in others if p.id != planned.id]
    sport = _sports(choosing.library)
    waits = sport if choosing.patient.phase < 3 else set()
    only_goal = any(
        t not in waits and not any(t in p.rehearses for p in rest) for t in planned.rehearses
    )
    only_finding = any(not any(f in p.addresses for p in rest) for f in planned.addresses)
    block = planned.exercise.meta.block
    capacity = block in CAPACITY_BLOCKS and 2 <= choosing.patient.phase <= 3
    only_capacity = (
        capacity
        and bool(planned.addresses)
        and not any(p.exercise.meta.block == block and p.addresses for p in rest)
    )
    serves = len(planned.addresses) + len(planned.rehearses)
    favoured = _favoured(planned.exercise, choosing.patient, choosing.library)
    protected = only_goal or only_capacity
    return (int(planned.held), int(protected), int(settle), int(only_finding), serves + favoured)


# --- the day: main session and rituals ---------------------------------------

# Where each position sits between the bed and standing: a ritual moves one way through them.
_LEVEL = {"lying_in_bed": 0, "sitting": 2, "standing": 3}
_FLOOR_LEVEL = 1


def _level(exercise: Exercise, library: Library) -> int:
    position = exercise.meta.position
    if position in _LEVEL:
        return _LEVEL[position]
    return _FLOOR_LEVEL if library.vocabulary.positions[position].floor else 2


def _day(
    main: list[PlannedExercise],
    choosing: _Choosing,
    cover: _Cover,
    dropped: list[tuple[str, str]],
    practice: Sequence[PlannedExercise] = (),
    daily: Sequence[Exercise] = (),
) -> list[Session]:
    """Phases 1-3: the main session on some days, the rituals every day, within the budget."""
    sessions = _day_within_budget(main, choosing, cover, dropped, practice, daily)
    return _daily_in_main(_settled_daily(sessions, choosing), choosing)


def _settled_daily(sessions: list[Session], choosing: _Choosing) -> list[Session]:
    """The main session's settling drill, if its library dose is daily and no ritual took it,
    would be done too rarely: it becomes the breathing drill a ritual already does, or goes."""
    main, rituals = sessions[0], sessions[1:]
    settle = [p for p in main.exercises if p.exercise.meta.block == SETTLE_BLOCK and not p.held]
    if not settle:
        return sessions
    planned = settle[0]
    if _within(_exposures(sessions)[planned.id], planned.exercise, choosing):
        return sessions
    exposures = _exposures(sessions)
    swaps = [
        p
        for s in rituals
        for p in s.exercises
        if p.exercise.meta.block == SETTLE_BLOCK
        and p.id not in {e.id for e in main.exercises}
        and exposures[p.id] + (main.per_week or 0)
        <= 2 * weekly_dose(p.exercise, choosing.patient.phase)
    ]
    days = main.per_week or MAIN_DAYS[0]
    weekly = [  # or one the main session's days dose well on their own
        e
        for e in choosing.eligible
        if e.meta.block == SETTLE_BLOCK
        and e.id not in choosing.avoid
        and 0.5 * weekly_dose(e, choosing.patient.phase) <= days
        and days <= 2 * weekly_dose(e, choosing.patient.phase)
        and plan_dose(e, choosing.patient).seconds <= SETTLE_SECONDS
        and e.meta.position != "lying_in_bed"
    ]
    if swaps:
        swap = _planned(swaps[0].exercise, choosing.patient)
        changed = [swap if p is planned else p for p in main.exercises]
    elif weekly:
        swap = _planned(sorted(weekly, key=lambda e: e.id)[0], choosing.patient)
        changed = [swap if p is planned else p for p in main.exercises]
    elif len(main.exercises) > choosing.budget.main_min:
        changed = [p for p in main.exercises if p is not planned]
    else:
        return sessions
    return [_session("main", changed, per_week=main.per_week), *rituals]


def _daily_in_main(sessions: list[Session], choosing: _Choosing) -> list[Session]:
    """A daily drill (a mobility drill the library doses twice a day) that only the main
    session holds is done too rarely: it leaves the main session while that keeps its four."""
    main, rituals = sessions[0], sessions[1:]
    exposures = _exposures(sessions)
    everyone = [p for s in sessions for p in s.exercises]
    rare = [
        p
        for p in main.exercises
        if not p.held
        and phase_dose(p.exercise, choosing.patient.phase).per_day is not None
        and not _within(exposures[p.id], p.exercise, choosing)
        and not _value(p, choosing, everyone)[1]
    ]
    keep = list(main.exercises)
    for planned in sorted(rare, key=lambda p: (_value(p, choosing, everyone), p.id)):
        if len(keep) <= choosing.budget.main_min:
            break
        keep.remove(planned)
    rituals = [_with_daily(s, [p for p in rare if p in keep], choosing) for s in rituals]
    out = [_session("main", keep, per_week=main.per_week), *rituals]
    day = sum(s.minutes * (s.per_day or 1) for s in out if s.id != PRACTICE)
    if day <= choosing.budget.main_day_minutes:
        return out
    # The day cannot hold them twice a day: each becomes a drill of its block the main
    # session's days dose well, for the same findings, where the library has one.
    days = main.per_week or MAIN_DAYS[0]
    taken = {choosing.pattern(p.exercise) for p in keep}
    for planned in [p for p in rare if p in keep]:
        meta = planned.exercise.meta
        swaps = [
            e
            for e in choosing.eligible
            if e.meta.block == meta.block
            and e.id not in choosing.avoid
            and not e.meta.activity
            and choosing.pattern(e) not in taken
            and set(e.meta.targets) & set(planned.addresses)
            and 0.5 * weekly_dose(e, choosing.patient.phase) <= days
            and days <= 2 * weekly_dose(e, choosing.patient.phase)
            and e.meta.position != "lying_in_bed"
        ]
        swap = _best(swaps, choosing, _Cover.of(choosing.patient))
        if swap is not None:
            keep[keep.index(planned)] = _planned(swap, choosing.patient)
            taken.add(choosing.pattern(swap))
    return [_session("main", keep, per_week=main.per_week), *sessions[1:]]


def _with_daily(session: Session, rare: Sequence[PlannedExercise], choosing: _Choosing) -> Session:
    """A ritual with the daily drills it can take (by its tags, or its blocks and positions),
    one breathing drill at most, in a micro-dose."""
    ritual = session.ritual
    if ritual is None or not rare:
        return session
    members = list(session.exercises)
    for planned in rare:
        meta = planned.exercise.meta
        takes = ritual.id in meta.rituals or (
            meta.block in ritual.reuses and meta.position in ritual.positions
        )
        breathing = meta.block == SETTLE_BLOCK and any(
            p.exercise.meta.block == SETTLE_BLOCK for p in members
        )
        # getting down to the floor hurts early on: one floor bout a day, the main session's
        floor = _level(planned.exercise, choosing.library) == _FLOOR_LEVEL and _painful_early(
            choosing.patient
        )
        level = _flow(planned.exercise, ritual, choosing.library)
        uncorrected = _needs_correction(planned.exercise, choosing.patient) and not any(
            p.exercise.meta.marked_side_only
            and _flow(p.exercise, ritual, choosing.library) <= level
            for p in members
        )
        if (
            takes
            and not breathing
            and not floor
            and not uncorrected
            and planned.id not in {p.id for p in members}
        ):
            members.append(replace(planned, dose=_micro(planned.dose)))
    if len(members) == len(session.exercises):
        return session
    order = {block.id: index for index, block in enumerate(choosing.library.blocks)}
    getting_up = [p for p in members if _gets_up(p.exercise, choosing.patient)]
    rest = sorted(
        (p for p in members if p not in getting_up),
        key=lambda p: (
            _flow(p.exercise, ritual, choosing.library),
            order[p.exercise.meta.block],
            not p.exercise.meta.marked_side_only,
        ),
    )
    return _session(
        session.id, [*getting_up, *rest], session.per_day, session.per_week, ritual,
        session.every_min,
    )  # fmt: skip


def _day_within_budget(
    main: list[PlannedExercise],
    choosing: _Choosing,
    cover: _Cover,
    dropped: list[tuple[str, str]],
    practice: Sequence[PlannedExercise],
    daily: Sequence[Exercise],
) -> list[Session]:
    budget = choosing.budget
    # The main session first keeps its own minutes, so the rituals are made around the
    # main session the patient will do (and the day's distinct exercises it leaves room for).
    while _session("main", main).minutes > budget.main_minutes:
        alone = _trim(main, [], choosing, dropped, main_first=True, only_main=True)
        if alone is None:
            break
        main = alone[0]

    def compose(fill: float) -> list[tuple[Ritual, list[PlannedExercise]]]:
        fed = _Cover.of(choosing.patient)  # what the day holds so far, after the trims
        for exercise in [*(p.exercise for p in (*main, *practice)), *daily]:
            fed.add(exercise)
        return _rituals(main, choosing, fed, practice, daily, fill)

    rituals = compose(RITUAL_FILL)
    if _ritual_minutes(rituals) < budget.day_minimum:  # a short day: rituals up to their minutes
        rituals = compose(1.0)
    while True:
        sessions = _best_rhythm(main, rituals, choosing)
        main_day = sum(s.minutes * (s.per_day or 1) for s in sessions)
        other_day = main_day - sessions[0].minutes
        if other_day < budget.day_minimum and main_day < budget.main_day_minutes:
            fuller = _fuller(rituals, choosing)
            if fuller is not None:  # a day without the main session is too short: more sets
                longer = _best_rhythm(main, fuller, choosing)
                if sum(s.minutes * (s.per_day or 1) for s in longer) <= budget.main_day_minutes:
                    rituals = fuller
                    continue
        long_main = sessions[0].minutes > budget.main_minutes
        over = main_day > budget.main_day_minutes or other_day > budget.day_minutes
        if not over and not long_main:
            return sessions
        trimmed = _trim(main, rituals, choosing, dropped, main_first=long_main, only_main=not over)
        if trimmed is None:
            return sessions
        main, rituals = trimmed


def _shorter(planned: PlannedExercise) -> PlannedExercise:
    """A timed drill at half its minutes (never under SHORTEST_MINUTES), saying why."""
    dose = planned.dose
    minutes = max(SHORTEST_MINUTES, (dose.minutes or 0) // 2)
    notes = dose.adjustments if "shorter" in dose.adjustments else (*dose.adjustments, "shorter")
    return replace(planned, dose=replace(dose, minutes=minutes, adjustments=notes))


def _fuller(
    rituals: list[tuple[Ritual, list[PlannedExercise]]], choosing: _Choosing
) -> list[tuple[Ritual, list[PlannedExercise]]] | None:
    """A ritual member back to one more of its sets (a micro-dose is one), the most useful
    first; None if every member does all its sets already."""
    options = []
    for index, (_, members) in enumerate(rituals):
        for planned in members:
            full = plan_dose(planned.exercise, choosing.patient).sets
            if planned.dose.sets < full:
                options.append((_value(planned, choosing), planned.id, index, planned))
    if not options:
        return None
    _, _, index, best = max(options, key=lambda option: option[:2])
    ritual, members = rituals[index]
    more = replace(best, dose=replace(best.dose, sets=best.dose.sets + 1))
    changed = list(rituals)
    changed[index] = (ritual, [more if p is best else p for p in members])
    return changed


def _trim(
    main: list[PlannedExercise],
    rituals: list[tuple[Ritual, list[PlannedExercise]]],
    choosing: _Choosing,
    dropped: list[tuple[str, str]],
    main_first: bool,
    only_main: bool,
) -> tuple[list[PlannedExercise], list[tuple[Ritual, list[PlannedExercise]]]] | None:
    """One step towards the budget, the least loss first: fewer sets in the main session;
    if the whole day is too long, an exercise a ritual repeats from another ritual, then a
    ritual's least useful extra; then the weaker side's extra set; then the main session's
    least useful exercise (never the clinician's, the only drill for a daily-life goal, or
    in phases 2-3 the only stability or strength exercise); then a shorter timed drill.
    None: nothing is left to take away."""
    heavy = [p for p in main if p.dose.sets > 2 and not p.pinned]
    if heavy:
        least = min(heavy, key=lambda p: (_value(p, choosing), p.id))
        fewer = replace(least, dose=replace(least.dose, sets=2))
        return [fewer if p is least else p for p in main], rituals
    everyone = [*main, *(p for _, members in rituals for p in members)]
    in_main = {p.id for p in main}
    if not only_main:
        thinner = _thinner_rituals(rituals, choosing, everyone, in_main, dropped)
        if thinner is not None:
            return main, thinner
    extra = [p for p in main if p.dose.extra_side and not p.pinned]
    if extra:  # both sides the same: the set more on the weaker side, before an exercise
        most = max(extra, key=lambda p: (p.dose.seconds, p.id))
        even = replace(most, dose=replace(most.dose, extra_side=None, extra_hand=None))
        return [even if p is most else p for p in main], rituals
    if not only_main:  # and in a ritual, where it is done every day
        for index, (ritual, members) in enumerate(rituals):
            sided = [p for p in members if p.dose.extra_side and not p.pinned]
            if sided:
                most = max(sided, key=lambda p: (p.dose.seconds, p.id))
                even = replace(most, dose=replace(most.dose, extra_side=None, extra_hand=None))
                evened = list(rituals)
                evened[index] = (ritual, [even if p is most else p for p in members])
                return main, evened
    removable = [p for p in main if not p.held and not _value(p, choosing, everyone)[1]]
    if len(main) > choosing.budget.main_min and removable:
        daily = {p.id for _, members in rituals for p in members}
        least = min(  # what a ritual does every day anyway goes first
            removable, key=lambda p: (p.id not in daily, _value(p, choosing, everyone), p.id)
        )
        why = "the main session short" if main_first else "the day short"
        dropped.append((least.id, f"left out of the main session to keep {why}"))
        return [p for p in main if p is not least], rituals
    timed = [  # a walk or a standing drill that rehearses a goal keeps its time
        p
        for p in main
        if (p.dose.minutes or 0) > SHORTEST_MINUTES and not p.pinned and not p.rehearses
    ]
    if timed:
        most = max(timed, key=lambda p: (p.dose.minutes or 0, p.id))
        shorter = _shorter(most)
        return [shorter if p is most else p for p in main], rituals
    return None


def _thinner_rituals(
    rituals: list[tuple[Ritual, list[PlannedExercise]]],
    choosing: _Choosing,
    everyone: Sequence[PlannedExercise],
    in_main: set[str],
    dropped: list[tuple[str, str]],
) -> list[tuple[Ritual, list[PlannedExercise]]] | None:
    """One ritual member fewer: first one another ritual repeats, then the least useful
    extra; never the move out of bed, a pin, or what leaves the rituals too short a day."""
    seen: dict[str, int] = {}
    for _, exercises in rituals:
        for planned in exercises:
            seen[planned.id] = seen.get(planned.id, 0) + 1
    candidates = [
        (index, planned)
        for index, (ritual, exercises) in enumerate(rituals)
        for planned in exercises
        if not planned.held
        and not _needed_in_ritual(planned, ritual, choosing)
        and not (  # the glide stays while an extension drill in the ritual needs it first
            planned.exercise.meta.marked_side_only
            and any(_needs_correction(p.exercise, choosing.patient) for p in exercises)
        )
        and not (planned.rehearses and _value(planned, choosing, everyone)[1])
    ]
    if not candidates:
        return None

    def loss(member: tuple[int, PlannedExercise]) -> tuple[object, ...]:
        index, planned = member
        repeated = seen[planned.id] > 1 and not planned.exercise.meta.marked_side_only
        left = sum(
            _weekly(ritual)
            for number, (ritual, exercises) in enumerate(rituals)
            if number != index and any(p.id == planned.id for p in exercises)
        ) + (MAIN_DAYS[-1] if planned.id in in_main else 0)
        too_rare = left < 0.5 * weekly_dose(planned.exercise, choosing.patient.phase)
        # a repeat goes from the last ritual that has it; a ritual's own goal drill stays
        return (
            too_rare,
            not repeated,
            bool(_value(planned, choosing, everyone)[3]),  # the day's only drill for a finding
            planned.id in in_main,
            bool(planned.rehearses),
            _value(planned, choosing, everyone),
            -index if repeated else index,
            planned.id,
        )

    # The days without the main session keep their minimum where they can; a main-session
    # day over its minutes matters more than one of those a minute or two short.
    for floor in (choosing.budget.day_minimum, choosing.budget.day_minimum * 0.8):
        for index, least in sorted(candidates, key=loss):
            ritual, exercises = rituals[index]
            thinner = list(rituals)
            thinner[index] = (ritual, [p for p in exercises if p is not least])
            if _ritual_minutes(thinner) < floor:
                continue
            still = any(p.id == least.id for _, rest in thinner for p in rest)
            if least.id not in in_main and not still:
                why = f"left out of the {ritual.id} ritual to keep the day short"
                dropped.append((least.id, why))
            return thinner
    return None


def _ritual_minutes(rituals: Sequence[tuple[Ritual, Sequence[PlannedExercise]]]) -> int:
    """The minutes of a day of rituals alone, with the fewest resets."""
    total = 0
    for ritual, members in rituals:
        if members:
            times = 2 if ritual.id == "midday" else 1
            total += _session(ritual.id, members).minutes * times
    return total


def _needed_in_ritual(planned: PlannedExercise, ritual: Ritual, choosing: _Choosing) -> bool:
    """The move out of bed belongs to the morning: the patient gets up every day."""
    return ritual.id == "morning" and _gets_up(planned.exercise, choosing.patient)


def _gets_up(exercise: Exercise, patient: Patient) -> bool:
    painful = "painful_transitions" in patient.findings or "getting_out_of_bed" in patient.tasks
    return painful and exercise.meta.position == "lying_in_bed"


@dataclass
class _Day:
    """What the rituals composed so far take up: the day's distinct exercises, floor bouts."""

    distinct: set[str]
    floor_bouts: int
    floor_limit: int


@dataclass
class _Composing:
    """One ritual being put together."""

    ritual: Ritual
    day: _Day
    library: Library
    patient: Patient
    limit: int  # distinct exercises a day
    pattern: Callable[[Exercise], str]  # the plan's _Choosing.pattern
    picked: list[Exercise] = field(default_factory=list)
    seconds: int = 0  # the micro-doses picked, with the pauses between them

    def cost(self, exercise: Exercise) -> int:
        dose = _micro(plan_dose(exercise, self.patient))
        return dose.seconds + SECONDS_BETWEEN_EXERCISES

    def on_floor(self) -> bool:
        return any(_level(e, self.library) == _FLOOR_LEVEL for e in self.picked)

    def fits(self, exercise: Exercise) -> bool:
        if exercise in self.picked:
            return False
        settling = any(e.meta.block == SETTLE_BLOCK for e in self.picked)
        if exercise.meta.block == SETTLE_BLOCK and settling:
            return False  # one breathing drill a ritual is enough
        if exercise.id not in self.day.distinct and len(self.day.distinct) >= self.limit:
            return False
        if any(self.pattern(e) == self.pattern(exercise) for e in self.picked):
            return False  # one of each pattern in a session
        if _needs_correction(exercise, self.patient) and not any(
            e.meta.marked_side_only
            and _flow(e, self.ritual, self.library) <= _flow(exercise, self.ritual, self.library)
            for e in self.picked
        ):
            return False  # with a shift, no extension before the glide that corrects it
        levels = {_level(e, self.library) for e in [*self.picked, exercise]}
        if len(levels) > 3:  # taken in level order, that is at most two changes of position
            return False
        floor = _level(exercise, self.library) == _FLOOR_LEVEL
        new_bout = floor and not self.on_floor()
        if new_bout and self.day.floor_bouts >= self.day.floor_limit:
            return False
        # A micro-session stays near its minutes (a reset of 3 minutes is not a walk of 8).
        return self.seconds + self.cost(exercise) <= self.ritual.minutes * 60 * RITUAL_SLACK

    def add(self, exercise: Exercise) -> None:
        if _level(exercise, self.library) == _FLOOR_LEVEL and not self.on_floor():
            self.day.floor_bouts += 1
        self.picked.append(exercise)
        self.day.distinct.add(exercise.id)
        self.seconds += self.cost(exercise)


def _rituals(
    main: list[PlannedExercise],
    choosing: _Choosing,
    cover: _Cover,
    practice: Sequence[PlannedExercise] = (),
    daily: Sequence[Exercise] = (),
    fill: float = RITUAL_FILL,
) -> list[tuple[Ritual, list[PlannedExercise]]]:
    """Each ritual reuses the portfolio, in a micro-dose, adding first what its purpose needs
    (the move out of bed in the morning, an unloading or breathing drill in the evening), then
    what serves this patient, up to about its minutes."""
    patient, library, budget = choosing.patient, choosing.library, choosing.budget
    portfolio = {p.id: p for p in main}
    # Getting down to the floor hurts early on: one floor bout a day, main session included.
    painful = _painful_early(patient)
    day = _Day(
        distinct=set(portfolio) | {p.id for p in practice},
        floor_bouts=int(any(_level(p.exercise, library) == _FLOOR_LEVEL for p in main)),
        floor_limit=1 if painful else len(library.rituals) + 1,
    )
    composing = [
        _Composing(ritual, day, library, patient, budget.distinct_max, choosing.pattern)
        for ritual in library.rituals
    ]
    tagged: dict[str, list[Exercise]] = {}
    for ritual in library.rituals:
        own = [
            e
            for e in choosing.eligible
            if ritual.id in e.meta.rituals and (e.id not in choosing.avoid or _gets_up(e, patient))
        ]
        tagged[ritual.id] = own + [
            planned.exercise
            for planned in main
            if planned.exercise not in own
            and planned.exercise.meta.block in ritual.reuses
            and planned.exercise.meta.position in ritual.positions
        ]

    def room(exercise: Exercise, ritual: Ritual) -> bool:
        """Would one more ritual keep the exercise within twice its weekly dose?"""
        target = weekly_dose(exercise, patient.phase)
        so_far = sum(_weekly(c.ritual) for c in composing for e in c.picked if e.id == exercise.id)
        so_far += MAIN_DAYS[0] if exercise.id in portfolio else 0
        return so_far + _weekly(ritual) <= 2 * target

    for exercise in daily:  # a goal's daily drill, or the note's, in the ritual it is made for
        place = choosing.placed(exercise) or next(
            (r for r in exercise.meta.rituals if r in {c.ritual.id for c in composing}), ""
        )
        for being in composing:
            if being.ritual.id == place and exercise not in being.picked:
                being.add(exercise)
    for ritual, being in zip(library.rituals, composing, strict=True):
        if ritual.id == "morning":  # the first move of the day is getting out of bed
            for exercise in tagged[ritual.id]:
                if _gets_up(exercise, patient) and exercise not in being.picked:
                    being.add(exercise)  # it goes in even over the day's limit
        if ritual.id == "evening":
            settling = [
                e for e in tagged[ritual.id] if e.meta.block == SETTLE_BLOCK and being.fits(e)
            ]
            relevant = [e for e in settling if _relevant(e, patient, library)]
            reused = [e for e in settling if e.id in portfolio]  # the main session's, daily
            choice = _best(reused or relevant or settling, choosing, cover)
            if choice is not None:
                being.add(choice)
    for ritual, being in zip(library.rituals, composing, strict=True):
        # first the daily drills, which the main session's days alone would do too rarely
        reused = sorted(
            (e for e in tagged[ritual.id] if e.id in portfolio),
            key=lambda e: (weekly_dose(e, patient.phase) <= 2 * MAIN_DAYS[-1], e.id),
        )
        for exercise in reused:
            if room(exercise, ritual) and being.fits(exercise):
                being.add(exercise)
    # A daily drill of the main session goes into a ritual as well, or it is done too rarely.
    daily_drills = [p.exercise for p in main] + [e for c in composing for e in c.picked]
    daily_drills.sort(key=lambda e: e.meta.block != SETTLE_BLOCK)  # its breathing slot first
    for exercise in {e.id: e for e in daily_drills}.values():
        for ritual, being in zip(library.rituals, composing, strict=True):
            takes = exercise in tagged[ritual.id] or exercise.meta.block in ritual.reuses
            under = _under(exercise, composing, portfolio, patient)
            if takes and under and being.fits(exercise):
                being.add(exercise)
    for ritual, being in zip(library.rituals, composing, strict=True):
        while being.seconds < ritual.minutes * 60 * fill:
            relevant = [
                e
                for e in tagged[ritual.id]
                if being.fits(e) and _relevant(e, patient, library) and room(e, ritual)
            ]
            choice = _best(relevant, choosing, cover)
            if choice is None:
                break
            being.add(choice)
            cover.add(choice)
    done: list[tuple[Ritual, list[PlannedExercise]]] = []
    for ritual, being in zip(library.rituals, composing, strict=True):
        picked = sorted(
            being.picked,
            key=lambda e: (
                e.meta.position != "lying_in_bed",  # out of bed first
                _flow(e, ritual, library)
                if not _first_thing(e, patient)
                else _LEVEL["sitting"] - 1,
                choosing.order[e.meta.block],
                not e.meta.marked_side_only,  # a shift's correction before any extension
                e.id,
            ),
        )
        members = [
            replace(p, dose=_micro(p.dose))
            for p in (portfolio.get(e.id) or _planned(e, patient) for e in picked)
        ]
        done.append((ritual, members))
    return done


def _weekly(ritual: Ritual) -> int:
    """How often a week a ritual is done, at the least: the mid-day reset twice a day."""
    return 14 if ritual.id == "midday" else 7


def _needs_correction(exercise: Exercise, patient: Patient) -> bool:
    """An extension drill for a patient with a lateral shift: the shift's correction (a glide
    on the marked side) comes first in its session. Breathing drills aside."""
    meta = exercise.meta
    preference = patient.assessment.signature.directional_preference
    marked = patient.findings.get(SHIFT) in ("left", "right") or preference.endswith(
        ("_left", "_right")
    )
    return (
        SHIFT in patient.findings
        and marked  # without a side to glide towards there is no correction to wait for
        and "extension" in meta.spine
        and not meta.marked_side_only
        and meta.block != SETTLE_BLOCK
    )


def _painful_early(patient: Patient) -> bool:
    """Getting down to the floor and up again hurts: one floor bout a day is enough."""
    return "painful_transitions" in patient.findings and patient.phase == 1


def _first_thing(exercise: Exercise, patient: Patient) -> bool:
    """The note asks for it as the first move of the day: straight after getting up."""
    timing = patient.asked.get(exercise.id)
    return bool(timing and timing.trigger == FIRST_THING)


def _under(
    exercise: Exercise,
    composing: Sequence[_Composing],
    portfolio: Mapping[str, PlannedExercise],
    patient: Patient,
) -> bool:
    """Done less than half as often as the library doses it, with the main session on as many
    days as it can be."""
    per_week = sum(_weekly(c.ritual) for c in composing for e in c.picked if e.id == exercise.id)
    per_week += MAIN_DAYS[-1] if exercise.id in portfolio else 0
    return per_week < 0.5 * weekly_dose(exercise, patient.phase)


def _flow(exercise: Exercise, ritual: Ritual, library: Library) -> int:
    """Up from bed through the day, down towards the floor at night."""
    level = _level(exercise, library)
    return -level if ritual.id == "evening" else level


def _best_rhythm(
    main: list[PlannedExercise],
    rituals: Sequence[tuple[Ritual, list[PlannedExercise]]],
    choosing: _Choosing,
    week_minutes: int | None = None,
) -> list[Session]:
    """The main session's days a week and the resets a day that keep the week within its
    minutes and most exercises within half and twice their library dose, then the shortest
    day."""
    options = []
    for days in choosing.main_days:
        for resets in range(2, choosing.budget.resets_max + 1):
            sessions = _sessions(main, rituals, choosing, days, resets)
            exposures = _exposures(sessions)
            off = sum(
                1
                for session in sessions
                for planned in session.exercises
                if "clinician" not in planned.dose.adjustments
                and not _within(exposures[planned.id], planned.exercise, choosing)
            )
            total = sum(s.minutes * s.per_week_total for s in sessions)
            over = week_minutes is not None and total > week_minutes
            # a short day is not filled with more main sessions: strength needs rest days
            rank = (over, total if over else 0, off, total, days, resets)
            options.append((rank, sessions))
    return min(options, key=lambda option: option[0])[1]


def _within(per_week: int, exercise: Exercise, choosing: _Choosing) -> bool:
    target = weekly_dose(exercise, choosing.patient.phase)
    return 0.5 * target <= per_week <= 2 * target


def _exposures(sessions: Sequence[Session]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for session in sessions:
        for planned in session.exercises:
            counts[planned.id] = counts.get(planned.id, 0) + session.per_week_total
    return counts


def _sessions(
    main: list[PlannedExercise],
    rituals: Sequence[tuple[Ritual, list[PlannedExercise]]],
    choosing: _Choosing,
    days: int,
    resets: int,
) -> list[Session]:
    sessions = [_session("main", main, per_week=days)]
    for ritual, members in rituals:
        if not members:
            continue
        per_day, every_min = 1, None
        if ritual.id == "midday":
            every_min, per_day = _reset_rhythm(members, resets)
        if every_min is not None:  # the note's interval is for its drill, not for the rest
            members = [
                p
                for p in members
                if p.held or 7 * per_day <= 2 * weekly_dose(p.exercise, choosing.patient.phase)
            ]
        sessions.append(
            _session(ritual.id, members, per_day=per_day, ritual=ritual, every_min=every_min)
        )
    return sessions


WORKING_DAY_MINUTES = 600  # the waking, working hours a reset interval spreads over


def _reset_rhythm(members: Sequence[PlannedExercise], resets: int) -> tuple[int | None, int]:
    """How many resets a day, and an interval only where the clinician's note set one ("the
    glide every two hours"): then as many resets as fit a working day. A count and an
    interval chosen together would contradict each other ("twice a day, every 45 minutes")."""
    asked = [p.every_min for p in members if p.every_min]
    if not asked:
        return None, resets
    every = min(asked)
    return every, max(2, min(12, WORKING_DAY_MINUTES // every))


def _maintenance(
    main: list[PlannedExercise], choosing: _Choosing, dropped: list[tuple[str, str]]
) -> list[Session]:
    """Phase 4: one routine of ten to fifteen minutes, four to six exercises, several days a
    week; the patient's sport is their own activity, not part of the routine."""
    budget, library = choosing.budget, choosing.library
    sport = _sports(library)
    routine: list[PlannedExercise] = []
    for planned in main:
        tasks = set(planned.exercise.meta.tasks)
        if tasks and tasks <= sport and not planned.held:
            dropped.append((planned.id, "the patient's own sport replaces it in phase 4"))
        else:
            routine.append(planned)
    # A drill left for the sport makes room for another exercise that serves the patient;
    # a routine under its minutes takes one more, up to the main session's size.
    while len(routine) < budget.main_min or (
        len(routine) < budget.main_max
        and _session("main", routine).minutes < budget.maintenance_min
    ):
        more = _one_more(routine, choosing)
        if more is None:
            break
        routine = sorted(
            [*routine, more], key=lambda p: (choosing.order[p.exercise.meta.block], p.id)
        )
    high = budget.maintenance_max
    while True:
        sessions = _best_rhythm(routine, (), choosing, high * MAIN_DAYS[-1])
        if sessions[0].minutes <= high:
            break
        trimmed = _trim(routine, [], choosing, dropped, main_first=True, only_main=True)
        if trimmed is not None:
            routine = trimmed[0]
            continue
        # Strength is kept with a third of the work that built it: one set of each.
        heavy = [p for p in routine if p.dose.sets > 1 and not p.pinned]
        if not heavy:
            break
        least = min(heavy, key=lambda p: (_value(p, choosing, routine), p.id))
        fewer = replace(least, dose=replace(least.dose, sets=1))
        routine = [fewer if p is least else p for p in routine]
    for index, (name, why) in enumerate(dropped):
        if why.startswith("left out of the main session"):
            dropped[index] = (name, "left out to keep the maintenance routine short")
    return sessions


def _one_more(routine: Sequence[PlannedExercise], choosing: _Choosing) -> PlannedExercise | None:
    """The most useful exercise a maintenance routine could add: of a pattern it lacks, for
    this patient, no sport, daily-context drill or bed drill."""
    sport = _sports(choosing.library)
    taken = {choosing.pattern(p.exercise) for p in routine}
    pool = [
        e
        for e in choosing.eligible
        if choosing.pattern(e) not in taken
        and not e.meta.activity
        and not (e.meta.tasks and set(e.meta.tasks) <= sport)
        and not _daily_context(e, choosing.patient.phase)
        and e.meta.position != "lying_in_bed"
        and _relevant(e, choosing.patient, choosing.library)
    ]
    cover = _Cover.of(choosing.patient)
    for planned in routine:
        cover.add(planned.exercise)
    choice = _best(pool, choosing, cover)
    return None if choice is None else _planned(choice, choosing.patient)


def _session(
    session_id: str,
    exercises: Sequence[PlannedExercise],
    per_day: int | None = None,
    per_week: int | None = None,
    ritual: Ritual | None = None,
    every_min: int | None = None,
) -> Session:
    """A session sets how often its exercises are done in it, so their doses follow it."""
    if per_day is None and per_week is None:
        per_day = 1
    timed = tuple(
        replace(
            p,
            dose=replace(p.dose, per_day=per_day, per_week=per_week),
            every_min=every_min or p.every_min,
        )
        for p in exercises
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
    """Which sessions fall on which day, Monday first: weekly sessions spread out."""
    days: list[list[str]] = [[] for _ in range(7)]
    for session in sessions:
        chosen = _SPREAD[min(7, session.per_week)] if session.per_week else range(7)
        for index in chosen:
            days[index].append(session.id)
    return tuple(tuple(ids) for ids in days)


# --- the phased plan ---------------------------------------------------------


def _phases(choosing: _Choosing, today: list[Exercise]) -> tuple[PhaseStep, ...]:
    """Today's exercises, and where they lead in each later phase: one step further each
    phase where the next step is allowed; in phase 4, the maintenance routine."""
    patient, library = choosing.patient, choosing.library
    steps = []
    ahead = list(today)
    for phase in library.phases:
        ids: tuple[str, ...] = ()
        if phase.number < patient.phase:
            status = "done"
        elif phase.number == patient.phase:
            status, ids = "current", tuple(e.id for e in today)
        else:
            status = "next" if phase.number == patient.phase + 1 else "later"
            before = {e.id for e in ahead}
            ahead = _ahead(ahead, phase.number, choosing)
            if {e.id for e in ahead} == before:  # nothing moved on: one exercise of this phase
                fresh = _fresh(ahead, phase.number, choosing)
                if fresh is not None:
                    ahead.append(fresh)
            ids = tuple(e.id for e in ahead)
            if phase.number >= 4:
                ids = _routine_preview(ahead, phase.number, choosing)
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


def _ahead(exercises: Sequence[Exercise], phase: int, choosing: _Choosing) -> list[Exercise]:
    """Each exercise one step on in `phase`: its harder version where allowed, else itself,
    else the first allowed version further up its ladder; gone if none is allowed. A step
    that rehearses only tasks the patient does not have is passed over (a shelf reach for
    someone with no overhead goal). Then every goal keeps a drill that rehearses it."""
    patient, library = choosing.patient, choosing.library
    ahead: dict[str, Exercise] = {}
    for exercise in exercises:
        nxt = library.exercises.get(exercise.meta.progresses_to or "")
        if nxt is not None and _may_preview(nxt, phase, choosing):
            ahead.setdefault(nxt.id, nxt)
            continue
        found = _continue(exercise, phase, choosing)
        if found:
            ahead.setdefault(found, library.exercises[found])
    # One of each pattern: the furthest along its ladder (a bag pickup, not also a wall hinge).
    furthest: dict[str, Exercise] = {}
    for exercise in ahead.values():
        family = choosing.pattern(exercise)
        held = furthest.get(family)
        if held is None or min(exercise.meta.phases) > min(held.meta.phases):
            furthest[family] = exercise
    kept = set(map(id, furthest.values()))
    ahead = {name: e for name, e in ahead.items() if id(e) in kept}
    sport = _sports(library)
    for task in patient.tasks:
        if (task in sport and phase >= 4) or any(task in e.meta.tasks for e in ahead.values()):
            continue
        serving = [
            e
            for e in library.exercises.values()
            if task in e.meta.tasks and _may_preview(e, phase, choosing)
        ]
        serving.sort(key=lambda e: (abs(min(e.meta.phases) - phase), e.id))
        if serving:
            ahead.setdefault(serving[0].id, serving[0])
    return list(ahead.values())


def _fresh(ahead: Sequence[Exercise], phase: int, choosing: _Choosing) -> Exercise | None:
    """An exercise made for `phase` (first used in it) that serves this patient, of a pattern
    the preview does not hold yet where there is one: so a later phase always moves on."""
    taken = {choosing.pattern(e) for e in ahead}
    patient, library = choosing.patient, choosing.library
    fresh = [
        e
        for e in library.exercises.values()
        if min(e.meta.phases) == phase
        and e not in ahead
        and e.meta.block != SETTLE_BLOCK
        and not e.meta.activity
        and _relevant(e, patient, library)
        and _may_preview(e, phase, choosing)
    ]
    # a new pattern first; else the harder exercise of one the preview has
    fresh.sort(
        key=lambda e: (
            choosing.pattern(e) in taken,
            -len(set(e.meta.targets) & set(patient.findings)),
            e.id,
        )
    )
    return fresh[0] if fresh else None


def _may_preview(exercise: Exercise, phase: int, choosing: _Choosing) -> bool:
    """Allowed in `phase`, not excluded, and not made only for tasks the patient lacks."""
    patient = choosing.patient
    tasks = set(exercise.meta.tasks)
    foreign = bool(tasks) and not tasks & set(patient.tasks)
    return (
        exercise.id not in patient.assessment.overrides.exclude
        and not why_not(exercise, patient, choosing.library, phase)
        and _sided_if_marked(exercise, patient)
        and not foreign
    )


def _routine_preview(
    exercises: Sequence[Exercise], phase: int, choosing: _Choosing
) -> tuple[str, ...]:
    """The maintenance routine a later phase 4 would keep: at most the main session's size,
    the most useful first, without drills for a sport the patient will simply do, and without
    a settling drill or a move out of bed (a short routine of what keeps the gains)."""
    library, patient = choosing.library, choosing.patient
    sport = _sports(library)
    kept = [
        e
        for e in exercises
        if not (e.meta.tasks and set(e.meta.tasks) <= sport)
        and e.meta.block != SETTLE_BLOCK
        and (e.meta.position != "lying_in_bed" or set(e.meta.tasks) & set(patient.tasks))
    ]
    ranked = sorted(
        kept,
        key=lambda e: (
            -(
                len(set(e.meta.targets) & set(patient.findings))
                + len(set(e.meta.tasks) & set(patient.tasks))
            ),
            e.id,
        ),
    )
    chosen = [e for e in kept if e.id in {r.id for r in ranked[: choosing.budget.main_max]}]
    taken = {choosing.pattern(e) for e in chosen}
    more = sorted(  # a routine of four at least: more of what serves the patient
        (
            e
            for e in library.exercises.values()
            if choosing.pattern(e) not in taken
            and e.meta.block != SETTLE_BLOCK
            and e.meta.position != "lying_in_bed"
            and not e.meta.activity
            and _relevant(e, patient, library)
            and _may_preview(e, phase, choosing)
        ),
        key=lambda e: (-len(set(e.meta.targets) & set(patient.findings)), e.id),
    )
    for exercise in more:
        if len(chosen) >= choosing.budget.main_min:
            break
        if choosing.pattern(exercise) not in taken:
            chosen.append(exercise)
            taken.add(choosing.pattern(exercise))
    return tuple(e.id for e in chosen)


def _continue(exercise: Exercise, phase: int, choosing: _Choosing) -> str:
    """Follow progressions to the first version that suits `phase`: continuity across phases."""
    library = choosing.library
    current: Exercise | None = exercise
    seen: set[str] = set()
    best = ""
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if _may_preview(current, phase, choosing):
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
        if kind == "task" and library.vocabulary.tasks[name].sport and patient.phase >= 4:
            continue  # the patient's own activity now (Plan.activities), not a drill
        serving = [
            e
            for e in library.exercises.values()
            if name in (e.meta.targets if kind == "finding" else e.meta.tasks)
        ]
        if not serving:
            why = "the library has no exercise for it"
        elif kind == "task" and library.vocabulary.tasks[name].sport and patient.phase < 3:
            why = "a sport: its drills start in phase 3"
        else:
            excluded = set(patient.assessment.overrides.exclude)
            reasons = sorted(
                {
                    why_not(e, patient, library)
                    or (
                        f"{e.id} is excluded by the clinician"
                        if e.id in excluded
                        else "not chosen, to keep the day short"
                    )
                    for e in serving
                }
            )
            why = "no exercise for it suits this patient now: " + "; ".join(reasons)
        missing.append((name, why))
    return tuple(missing)
