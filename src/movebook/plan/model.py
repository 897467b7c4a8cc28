"""The plan's vocabulary and what it hands on: planned doses, exercises, sessions, phase
steps, the plan, and the patient as the planner sees them."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from movebook.model import (
    Assessment,
    Budget,
    Criterion,
    Exercise,
    Goal,
    Library,
    PrecautionDef,
    Profile,
    RedFlagDef,
    Ritual,
)
from movebook.notes import Timing

SECONDS_PER_REP = 4  # a rep with no tempo given: about four unhurried seconds
SECONDS_PER_BREATH = 8  # a slow breath in and out, at the least
SECONDS_BETWEEN_EXERCISES = 20
SHIFT = "lateral_shift"  # a finding whose correction comes before any extension work
PRACTICE = "practice"  # the session of activities practised within the day: not timed in it
MOBILITY_BLOCK = "mobility"  # its drills move a joint or stretch: one version of each a day
SETTLE_BLOCK = "regulation"  # its drills calm the system: one may serve no finding or goal
TASK_BLOCK = "integration"  # the practice of daily tasks: for a patient with one of them
CAPACITY_BLOCKS = ("stability", "strength")  # what phases 2-3 build: never cut to nothing
SETTLE_SECONDS = 180  # the main session's settling drill takes about this long, at most
SHORTEST_MINUTES = 3  # a timed drill (a walk, standing practice) is never cut shorter than this
RITUAL_SLACK = 1.3  # a ritual's exercises may run this much over its minutes
RITUAL_FILL = 0.7  # and are added to until they take this share of them
MAIN_DAYS = (3, 4, 5)  # a week's main sessions before phase 4: strength needs rest days

WORD = re.compile(r"[a-z0-9']+")

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
    carry: bool = False  # its reps (done each side: its sets) are carries of hold_s seconds
    load: str | None = None  # what to lift, carry or pull against, said to the patient
    load_phase: int | None = None  # the library phase whose load it is (None: the clinician's)

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
    # The precautions whose line its card repeats: it loads or moves what they guard.
    cautions: tuple[PrecautionDef, ...] = ()
    supported: bool = False  # done in its supported form, holding on, for a precaution

    @functools.cached_property
    def shown(self) -> Exercise:
        """The exercise as this patient sees it: holding on where `supported`, its figure on
        the only side they do it on."""
        return self.exercise.shown(self.supported, self.dose.only_side)

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


@dataclass(frozen=True)
class Patient:
    """What selection needs to know about a patient at one assessment."""

    assessment: Assessment
    equipment: frozenset[str]
    precautions: frozenset[str]
    # What the clinician's note asks for that the patient may do, with the note's timing.
    asked: Mapping[str, Timing | None] = field(default_factory=dict)
    # The patient's precautions as the library defines them.
    cautioned: Mapping[str, PrecautionDef] = field(default_factory=dict)
    # The tasks each goal label names, by label (see TaskDef.words).
    named: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Positions every exercise is done holding on in (a precaution's needs_support), by the
    # precautions that ask it.
    supports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The patient's findings whose side is a direction (FindingDef.directional).
    directional: frozenset[str] = frozenset()

    @property
    def phase(self) -> int:
        return self.assessment.phase

    @functools.cached_property
    def findings(self) -> dict[str, str | None]:
        return {f.id: f.side for f in self.assessment.signature.findings}

    @functools.cached_property
    def tasks(self) -> list[str]:
        """The goals' tasks, each as its label names them where it does (see TaskDef.words)."""
        return list(
            dict.fromkeys(task for goal in self.assessment.goals for task in self.practised(goal))
        )

    def practised(self, goal: Goal) -> tuple[str, ...]:
        return self.named.get(goal.label or "", ()) or (goal.task,)


def patient_of(
    profile: Profile, library: Library, default_equipment: Sequence[str], at: int = -1
) -> Patient:
    everyday = {name for name, item in library.vocabulary.equipment.items() if item.everyday}
    owned = profile.equipment if profile.equipment is not None else default_equipment
    assessment = profile.assessments[at]
    named = {
        goal.label: names
        for goal in assessment.goals
        if goal.label and (names := label_tasks(goal.label, library))
    }
    tasks = library.vocabulary.tasks
    at_hand = {
        item
        for goal in assessment.goals
        for task in named.get(goal.label or "", (goal.task,))
        if task in tasks
        for item in tasks[task].equipment
    }
    precautions = library.vocabulary.precautions
    supports: dict[str, tuple[str, ...]] = {}
    for name in profile.precautions:
        for position in precautions[name].needs_support if name in precautions else ():
            supports[position] = (*supports.get(position, ()), name)
    return Patient(
        assessment=assessment,
        equipment=frozenset(owned) | everyday | at_hand,
        precautions=frozenset(profile.precautions),
        cautioned={
            name: library.vocabulary.precautions[name]
            for name in profile.precautions
            if name in library.vocabulary.precautions
        },
        named=named,
        supports=supports,
        directional=frozenset(
            f.id
            for f in assessment.signature.findings
            if f.id in library.vocabulary.findings and library.vocabulary.findings[f.id].directional
        ),
    )


def label_tasks(label: str, library: Library) -> tuple[str, ...]:
    """The tasks a goal's label names by their words, in the library's order: whole words
    or phrases, whatever the case ("Carry the shopping up the stairs": carry_luggage,
    stairs)."""
    text = _spaced(label)
    return tuple(
        name
        for name, task in library.vocabulary.tasks.items()
        if any(_spaced(words) in text for words in task.words)
    )


def _spaced(text: str) -> str:
    """Lower-case words between single spaces, with a space at each end, to find whole words."""
    return " " + " ".join(WORD.findall(text.lower())) + " "
