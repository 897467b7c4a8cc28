"""The daily rituals: their members, order and positions, re-dosed for a micro-session."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from movebook.model import Exercise, Library, Ritual
from movebook.notes import FIRST_THING
from movebook.plan.dose import _micro, _planned, plan_dose, weekly_dose
from movebook.plan.model import (
    MAIN_DAYS,
    MOBILITY_BLOCK,
    RITUAL_FILL,
    RITUAL_SLACK,
    SECONDS_BETWEEN_EXERCISES,
    SETTLE_BLOCK,
    SHIFT,
    Patient,
    PlannedExercise,
)
from movebook.plan.selection import (
    _FLOOR_LEVEL,
    _LEVEL,
    _best,
    _Choosing,
    _Cover,
    _level,
    _relevant,
)


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
    # The main session's exercises' easier and harder versions: a ritual may do a main
    # mobility drill again, but not its neighbour on the ladder the same day (a standing hip
    # flexor stretch on the day of the kneeling one: the same stretch twice). A whole ladder
    # family is too broad a pattern for this: prone on elbows in the evening and a standing
    # back bend in the main session are both what an extension preference wants. Stability
    # and strength may well pair an easier daily drill with its harder main-day version.
    main_neighbours: frozenset[str] = frozenset()


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
        if exercise.id in self.day.main_neighbours and exercise.meta.block == MOBILITY_BLOCK:
            return False  # nor in a day the next stretch up or down from a main one
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


def _neighbours(main: Mapping[str, PlannedExercise], library: Library) -> frozenset[str]:
    """The exercises one step up or down the ladder from a main session's, not in it."""
    linked = {
        other
        for planned in main.values()
        for other in (planned.exercise.meta.regresses_to, planned.exercise.meta.progresses_to)
        if other is not None
    }
    linked |= {
        e.id
        for e in library.exercises.values()
        if e.meta.regresses_to in main or e.meta.progresses_to in main
    }
    return frozenset(linked - set(main))


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
        distinct=set(portfolio) | {p.id for p in practice if not p.exercise.meta.occasion},
        floor_bouts=int(any(_level(p.exercise, library) == _FLOOR_LEVEL for p in main)),
        floor_limit=1 if painful else len(library.rituals) + 1,
        main_neighbours=_neighbours(portfolio, library),
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
                if not (_first_thing(e, patient) and ritual.id == "morning")
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
